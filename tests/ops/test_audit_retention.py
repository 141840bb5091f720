"""AU-06 (retention ≥ 6 calendar months, archive, verified purge, audited) and AU-09 (the copy
that leaves the host, tested against a loopback TCP listener)."""

import gzip
import json
import logging
import os
import socketserver
import subprocess
import sys
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction

from duban.core import audit_archive, ledger, triggers
from duban.core.jobs import REGISTRY, autodiscover
from duban.core.models import AuditEntry
from duban.ops.audit_ship import AuditSyslogHandler

BJ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 8, 31, 12, 0, tzinfo=BJ)
# 6 calendar months before 31 August 12:00 is 28 February 12:00; "180 days" would be 4 March.
WRITTEN = {
    "old_1": datetime(2025, 12, 1, 9, 0, tzinfo=BJ),
    "old_2": datetime(2026, 1, 15, 9, 0, tzinfo=BJ),
    "old_3": datetime(2026, 2, 28, 11, 59, tzinfo=BJ),
    "young_1": datetime(2026, 2, 28, 12, 1, tzinfo=BJ),
    "young_2": datetime(2026, 3, 2, 9, 0, tzinfo=BJ),  # purged by a 180-day rule, kept by months
    "young_3": datetime(2026, 8, 30, 9, 0, tzinfo=BJ),
}


@pytest.fixture
def dated_entries(db, settings, tmp_path):
    settings.DUBAN_AUDIT_RETENTION_MONTHS = 6
    settings.DUBAN_AUDIT_ARCHIVE_DIR = str(tmp_path / "archive")
    for event, when in WRITTEN.items():
        with time_machine.travel(when, tick=False):
            ledger.append(event=event, object_type="test", object_id=event, data={"n": event})
    return tmp_path / "archive"


def test_the_purge_keeps_six_calendar_months_archives_the_rest_and_is_audited(dated_entries, capsys):
    with time_machine.travel(NOW, tick=False):
        call_command("audit_archive")
    out = capsys.readouterr().out
    assert "archived and purged 1..3 (3)" in out
    events = list(AuditEntry.objects.order_by("seq").values_list("event", flat=True))
    assert events == ["young_1", "young_2", "young_3", "audit_purged"]
    purge = AuditEntry.objects.get(event="audit_purged")
    assert purge.data["from_seq"] == 1 and purge.data["up_to_seq"] == 3 and purge.data["count"] == 3
    assert purge.data["retention_months"] == 6
    result = ledger.verify()
    assert result.ok, result.reason
    assert result.checked == 4
    archive = dated_entries / purge.data["archive"]
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    check = audit_archive.verify_archive(archive, expected_prev=ledger.GENESIS)
    assert check.ok and check.count == 3 and check.last_mac == purge.data["last_mac"]
    with gzip.open(archive, "rt") as fh:
        rows = [json.loads(line) for line in fh][1:]
    assert [r[10] for r in rows] == ["old_1", "old_2", "old_3"]

    # Nothing more is due: a second run purges nothing and writes nothing.
    with time_machine.travel(NOW, tick=False):
        assert audit_archive.archive_and_purge().purged == 0
    assert AuditEntry.objects.count() == 4

    # The chain still detects a deletion that no purge recorded.
    triggers.uninstall(connection)
    with connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditentry WHERE event = 'young_1'")
    triggers.install(connection)
    broken = ledger.verify()
    assert not broken.ok and "missing" in broken.reason


def test_an_edited_archive_fails_its_check(dated_entries):
    with time_machine.travel(NOW, tick=False):
        result = audit_archive.archive_and_purge()
    with gzip.open(result.path, "rt") as fh:
        lines = fh.read().splitlines()
    lines[2] = lines[2].replace("old_2", "old_X")
    edited = dated_entries / "edited.jsonl.gz"
    with gzip.open(edited, "wt") as fh:
        fh.write("\n".join(lines) + "\n")
    check = audit_archive.verify_archive(edited)
    assert not check.ok and "seq 2 does not match its MAC" in check.reason


def test_a_failed_purge_deletes_nothing(dated_entries, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("ledger unavailable")

    monkeypatch.setattr(audit_archive.ledger, "append", fail)
    with time_machine.travel(NOW, tick=False), pytest.raises(RuntimeError):
        audit_archive.archive_and_purge()
    assert AuditEntry.objects.count() == 6
    assert ledger.verify().ok


def test_the_daily_job_is_registered_and_off_unless_enabled(dated_entries, settings):
    autodiscover()
    job = REGISTRY["audit_archive"]
    settings.DUBAN_AUDIT_PURGE = False
    with time_machine.travel(NOW, tick=False):
        job.func()
    assert AuditEntry.objects.count() == 6
    settings.DUBAN_AUDIT_PURGE = True
    with time_machine.travel(NOW, tick=False):
        job.func()
    assert AuditEntry.objects.count() == 4


def _settings_in_subprocess(**env) -> subprocess.CompletedProcess:
    code = "import duban.settings as s, json; print(json.dumps(s.LOGGING['loggers']['duban.audit']))"
    full = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_AUDIT")} | env
    return subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True, timeout=60,
                          check=False)


def test_a_retention_below_six_months_aborts_startup_and_the_syslog_copy_is_configured():
    low = _settings_in_subprocess(DUBAN_AUDIT_RETENTION_MONTHS="5")
    assert low.returncode != 0 and "at least 6" in low.stderr
    shipped = _settings_in_subprocess(DUBAN_AUDIT_SYSLOG="tcp://127.0.0.1:6514")
    assert shipped.returncode == 0, shipped.stderr
    assert json.loads(shipped.stdout)["handlers"] == ["audit_syslog"]


class _Collector(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self):
        self.frames: list[str] = []
        self.got = threading.Condition()
        super().__init__(("127.0.0.1", 0), _Frames)


class _Frames(socketserver.StreamRequestHandler):
    def handle(self):
        buffer = b""
        while chunk := self.request.recv(65536):
            buffer += chunk
            while b" " in buffer:
                size, rest = buffer.split(b" ", 1)
                if len(rest) < int(size):
                    break
                frame, buffer = rest[: int(size)], rest[int(size):]
                with self.server.got:
                    self.server.frames.append(frame.decode())
                    self.server.got.notify_all()


@pytest.fixture
def collector():
    server = _Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def shipping():
    log = logging.getLogger("duban.audit")
    handlers = []

    def attach(address):
        handler = AuditSyslogHandler(address)
        log.addHandler(handler)
        handlers.append(handler)
        return handler

    yield attach
    for handler in handlers:
        log.removeHandler(handler)
        handler.close()


def test_committed_entries_reach_a_loopback_collector_and_rolled_back_ones_do_not(
        db, collector, shipping, django_capture_on_commit_callbacks):
    handler = shipping(f"tcp://127.0.0.1:{collector.server_address[1]}")
    with django_capture_on_commit_callbacks(execute=True):
        first = ledger.append(event="copy_one", object_type="test", object_id="1")
        second = ledger.append(event="copy_two", object_type="test", object_id="2")
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            ledger.append(event="rolled_back", object_type="test", object_id="3")
            1 / 0  # noqa: B018
    assert handler.flush()
    with collector.got:
        collector.got.wait_for(lambda: len(collector.frames) >= 2, timeout=5)
    assert len(collector.frames) == 2
    for frame, entry in zip(collector.frames, (first, second), strict=True):
        assert frame.startswith("<86>1 ")  # authpriv.info, RFC 5424
        body = json.loads(frame.split(" audit - ", 1)[1])
        assert body["seq"] == entry.seq and body["mac"] == entry.mac and body["event"] == entry.event
        assert "data" not in body


def test_a_collector_that_is_down_does_not_fail_the_change(db, shipping, django_capture_on_commit_callbacks):
    import socket

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    handler = shipping(f"tcp://127.0.0.1:{port}")
    with django_capture_on_commit_callbacks(execute=True):
        entry = ledger.append(event="while_down", object_type="test", object_id="1")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
    assert handler.flush()
    assert handler.dropped == 1 and handler.sent == 0

"""BR-01, BR-02: backup → damaged or foreign backups refused (database untouched) → restore →
verify-ledger, through the `duban` commands, on SQLite and PostgreSQL alike."""

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from duban.accounts.models import User
from duban.core import ledger
from duban.core.models import AuditEntry
from duban.ops import backup

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def media(settings, tmp_path):
    root = tmp_path / "data" / "media"
    (root / "evidence" / "2026").mkdir(parents=True)
    (root / "evidence" / "2026" / "photo.jpg").write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 40)
    (root / "exports").mkdir()
    (root / "exports" / "台账.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    settings.MEDIA_ROOT = root
    settings.DUBAN_BACKUP_DIR = str(tmp_path / "backups")
    return root


def _members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}


def _write(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _resign(members: dict, **changes) -> dict:
    manifest = json.loads(members["manifest.json"])
    manifest.update(changes)
    manifest["signature"] = backup._sign(manifest)
    return {**members, "manifest.json": json.dumps(manifest).encode()}


def _state():
    counts = backup._live_counts()
    return {t: n for t, n in counts.items() if t != "django_session"}


def _run(*args, **kwargs) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, **kwargs)
    return out.getvalue()


def test_backup_refuses_bad_archives_restores_and_verifies(cast, client, media, tmp_path, settings):
    client.post("/accounts/login/", {"username": "supervisor", "password": cast.password})
    out = _run("backup")
    assert "backup written" in out
    archive = next(Path(settings.DUBAN_BACKUP_DIR).glob("duban-*.tar"))
    assert archive.stat().st_mode & 0o077 == 0  # 0600
    members = _members(archive)
    manifest = json.loads(members["manifest.json"])
    assert manifest["instance_id"] == backup.instance_id()
    assert manifest["vendor"] == connection.vendor
    assert manifest["schema"] == backup.code_schema()
    assert manifest["files"]["media/evidence/2026/photo.jpg"]["sha256"] == hashlib.sha256(
        (media / "evidence/2026/photo.jpg").read_bytes()).hexdigest()
    assert manifest["tables"]["accounts_user"] == User.objects.count() == 11
    assert manifest["ledger_head"]["seq"] == AuditEntry.objects.count()

    # What happens after the backup is what a restore must take back.
    User.objects.filter(username="leader").update(email="changed@after.backup")
    ledger.append(event="after_backup", object_type="test", object_id="1")
    (media / "evidence" / "2026" / "photo.jpg").write_bytes(b"overwritten")
    before = _state()

    bad = tmp_path / "bad"
    bad.mkdir()
    raw = archive.read_bytes()
    tampered = dict(members)
    tampered["media/evidence/2026/photo.jpg"] = b"\xff\xd8\xff" + b"x" * 10
    db_member = "db.sqlite3" if connection.vendor == "sqlite" else "db.pgdump"
    cases = {
        "truncated": (bad / "truncated.tar", raw[: len(raw) // 2], "damaged archive"),
        "empty file": (bad / "empty.tar", b"", "empty file"),
        "not a tar": (bad / "junk.tar", b"hello" * 200, "damaged archive"),
    }
    for path, data, _msg in cases.values():
        path.write_bytes(data)
    written = {
        "digest mismatch": (_write(bad / "digest.tar", tampered), "digest mismatch"),
        "edited manifest": (_write(bad / "edited.tar", {**members, "manifest.json": members["manifest.json"].replace(
            b'"accounts_user": 11', b'"accounts_user": 12')}), "signature"),
        "no manifest": (_write(bad / "nomanifest.tar", {k: v for k, v in members.items() if k != "manifest.json"}),
                        "no manifest"),
        "unlisted member": (_write(bad / "extra.tar", {**members, "media/evil.sh": b"#!/bin/sh\n"}),
                            "not in the manifest"),
        "other schema": (_write(bad / "schema.tar", _resign(members, schema=manifest["schema"][:-1])),
                         "another schema version"),
        "foreign instance": (_write(bad / "foreign.tar", _resign(members, instance_id="0" * 24)), "foreign backup"),
        "empty payload": (_write(bad / "payload.tar", {**members, db_member: b""}), "digest mismatch"),
        "no dump listed": (_write(bad / "nodump.tar", _resign(
            {k: v for k, v in members.items() if k != db_member},
            files={k: v for k, v in manifest["files"].items() if k != db_member})), "empty payload"),
    }
    refusals = {name: (path, msg) for name, (path, _d, msg) in cases.items()} | written
    for name, (path, msg) in refusals.items():
        with pytest.raises(CommandError, match=msg):
            _run("restore", str(path), "--force")
        assert _state() == before, f"{name}: the refused restore changed the database"
        assert (media / "evidence" / "2026" / "photo.jpg").read_bytes() == b"overwritten", name
        with pytest.raises(CommandError, match="NOT usable"):
            _run("verify_backup", str(path))
    # A backup read with another ledger key (another instance) is refused too, as is one with no key.
    own_key = settings.DUBAN_LEDGER_KEY
    settings.DUBAN_LEDGER_KEY = "another-instance-ledger-key-0123456789"
    with pytest.raises(CommandError, match="signature"):
        _run("restore", str(archive), "--force")
    settings.DUBAN_LEDGER_KEY = ""
    with pytest.raises(CommandError, match="DUBAN_LEDGER_KEY"):
        _run("restore", str(archive), "--force")
    settings.DUBAN_LEDGER_KEY = own_key
    assert _state() == before

    # Without --force a database holding data is not overwritten.
    with pytest.raises(CommandError, match="not empty"):
        _run("restore", str(archive))

    # The good archive verifies in a scratch database and the live one only gains the record.
    out = _run("verify_backup", str(archive))
    assert "ledger intact" in out and "backup verified" in out
    assert AuditEntry.objects.filter(event="backup_verified").count() == 1
    assert (Path(settings.DUBAN_BACKUP_DIR) / "verify-log.jsonl").read_text().count("\n") == 1

    out = _run("restore", str(archive), "--force", "--operator", "sysadmin1")
    assert "restore done" in out
    counts = backup._live_counts()
    for table, n in manifest["tables"].items():
        expected = n + 1 if table == "core_auditentry" else n  # + backup_restored
        assert counts[table] == expected, table
    assert not AuditEntry.objects.filter(event__in=["after_backup", "backup_verified"]).exists()
    restored = AuditEntry.objects.get(event="backup_restored")
    assert restored.data["operator"] == "sysadmin1" and restored.data["forced"] is True
    assert User.objects.get(username="leader").email != "changed@after.backup"
    for name, meta in manifest["files"].items():
        if name.startswith("media/"):
            assert hashlib.sha256((media / name[len("media/"):]).read_bytes()).hexdigest() == meta["sha256"]
    moved = list(media.parent.glob("media.pre-restore-*"))
    assert len(moved) == 1 and (moved[0] / "evidence/2026/photo.jpg").read_bytes() == b"overwritten"
    assert "ledger intact" in _run("verify_ledger")
    client.cookies.clear()
    response = client.post("/accounts/login/", {"username": "bajiao", "password": cast.password})
    assert response.status_code == 302
    assert client.get("/").status_code == 200

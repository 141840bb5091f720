"""RL-07: embedded SQLite under concurrency, as the app does it. 10 writer threads × 100 updates
through the HTTP API (each a PATCH with its version check and its ledger entry, on one connection
per thread) answer 200 every time: no "database is locked" 500s. An online backup (`duban
backup`, the sqlite3 backup API) taken while writers run passes PRAGMA integrity_check on its own
copy, and holds a ledger that verifies. (WAL, busy_timeout and foreign keys:
tests/core/test_platform.py.)"""

import json
import sqlite3
import tarfile
import threading
import time

import pytest
from django.db import close_old_connections, connection
from django.test import Client

from duban.core import ledger
from duban.ops import backup
from duban.tasks.models import Task

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS, UPDATES = 10, 100


@pytest.fixture
def sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("RL-07 is about the embedded SQLite engine; PostgreSQL has its own concurrency tests")


def _token(cast):
    response = Client().post("/api/auth/token", json.dumps({"username": cast.supervisor.username,
                                                            "password": cast.password}),
                             content_type="application/json")
    assert response.status_code == 200
    return response.json()["token"]


def _writers(tasks, token, updates, stop=None):
    answers, errors = [[] for _ in tasks], []
    start = threading.Barrier(len(tasks))

    def write(n):
        client, headers = Client(), {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        client.raise_request_exception = False  # a 500 is counted, not raised
        try:
            version = tasks[n].version
            start.wait(timeout=60)
            for i in range(updates):
                if stop is not None and stop.is_set():
                    break
                response = client.patch(f"/api/tasks/{tasks[n].pk}",
                                        json.dumps({"version": version, "title": f"写入者{n}第{i}次"}),
                                        content_type="application/json", **headers)
                answers[n].append((response.status_code, response.content[:200]))
                if response.status_code == 200:
                    version = response.json()["version"]
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(len(tasks))]
    for t in threads:
        t.start()
    return threads, answers, errors


def test_ten_writers_times_a_hundred_updates_never_get_database_is_locked(sqlite_only, build):
    c = build.cast
    tasks = [build.task(title=f"并发任务{n}") for n in range(WRITERS)]
    token = _token(c)
    threads, answers, errors = _writers(tasks, token, UPDATES)
    for t in threads:
        t.join(timeout=280)
    assert not any(t.is_alive() for t in threads) and errors == []
    bad = [a for per in answers for a in per if a[0] != 200]
    assert bad == [], bad[:5]
    assert sum(len(per) for per in answers) == WRITERS * UPDATES
    for n, task in enumerate(tasks):
        row = Task.objects.get(pk=task.pk)
        assert (row.title, row.version) == (f"写入者{n}第{UPDATES - 1}次", task.version + UPDATES)
    result = ledger.verify()
    assert result.ok, result.reason


def test_an_online_backup_during_writes_passes_integrity_check(sqlite_only, build, tmp_path, settings):
    c = build.cast
    settings.MEDIA_ROOT = tmp_path / "media"
    tasks = [build.task(title=f"备份中写入{n}") for n in range(4)]
    token = _token(c)
    stop = threading.Event()
    threads, answers, errors = _writers(tasks, token, 10_000, stop=stop)
    try:
        deadline = time.monotonic() + 60
        while sum(len(a) for a in answers) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)  # the writers are under way
        made = backup.create(tmp_path / "backups")
        during = sum(len(a) for a in answers)
        time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=120)
    assert errors == [] and during >= 20
    assert sum(len(a) for a in answers) > during  # writes went on while the copy was taken
    assert all(code == 200 for per in answers for code, _body in per)
    with tarfile.open(made.path) as tar:
        tar.extract(backup.SQLITE_MEMBER, tmp_path / "x", filter="data")
    copy = sqlite3.connect(tmp_path / "x" / backup.SQLITE_MEMBER)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("PRAGMA foreign_key_check").fetchall() == []
        titles = copy.execute("SELECT count(*) FROM tasks_task WHERE title LIKE '写入者%'").fetchone()[0]
        assert titles >= 1  # the copy caught the writers mid-run
        seq = copy.execute("SELECT max(seq) FROM core_auditentry").fetchone()[0]
        assert seq == made.manifest["ledger_head"]["seq"]
    finally:
        copy.close()

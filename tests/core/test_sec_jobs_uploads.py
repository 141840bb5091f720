"""Issue 11 findings: a job run killed mid-way is reclaimed once its lease runs out, not a full
period later, while a live run keeps its claim (RL-02); a process killed mid-upload leaves a
temporary file that the worker removes (DP-06, FU-02)."""

import os
import threading
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from duban.core import jobs, uploads
from duban.core.models import JobRun


@pytest.mark.django_db
def test_a_run_killed_mid_way_is_reclaimed_after_its_lease_not_a_full_period(monkeypatch, settings):
    settings.DUBAN_JOB_LEASE_SECONDS = 300
    job = jobs.Job("daily", timedelta(hours=24), lambda: None)
    monkeypatch.setattr(jobs, "REGISTRY", {"daily": job})
    start = timezone.now()
    assert jobs.claim(job, start)  # … and the process dies here: nothing records the end
    assert not jobs.claim(job, start + timedelta(minutes=4))  # still leased
    assert jobs.run_due(start + timedelta(minutes=6)) == ["daily"]  # not 24 h later
    row = JobRun.objects.get(name="daily")
    assert row.next_run_at == start + timedelta(minutes=6) + timedelta(hours=24)
    assert row.last_finished_at is not None


@pytest.mark.django_db
def test_a_finished_run_waits_its_period(monkeypatch):
    ran = []
    monkeypatch.setattr(jobs, "REGISTRY", {"hourly": jobs.Job("hourly", timedelta(hours=1), lambda: ran.append(1))})
    start = timezone.now()
    assert "hourly" in jobs.run_due(start)
    assert "hourly" not in jobs.run_due(start + timedelta(minutes=30))
    assert "hourly" in jobs.run_due(start + timedelta(minutes=61))
    assert ran == [1, 1]


@pytest.mark.django_db
def test_a_run_that_lost_its_lease_changes_nothing_of_the_new_runs_row(monkeypatch, settings):
    settings.DUBAN_JOB_LEASE_SECONDS = 60
    job = jobs.Job("slow", timedelta(hours=1), lambda: None)
    start = timezone.now()
    assert jobs.claim(job, start)
    later = start + timedelta(minutes=2)
    assert jobs.claim(job, later)  # another worker reclaims the expired lease
    assert not jobs.renew(job, start)  # the old run's heartbeat is refused
    assert JobRun.objects.get(name="slow").last_started_at == later


@pytest.mark.django_db(transaction=True)
def test_a_live_run_keeps_its_claim_with_its_heartbeat(monkeypatch, settings):
    settings.DUBAN_JOB_LEASE_SECONDS = 1
    started = threading.Event()
    job = jobs.Job("long", timedelta(hours=1), lambda: (started.set(), time.sleep(2.5)))
    monkeypatch.setattr(jobs, "REGISTRY", {"long": job})
    runner = threading.Thread(target=jobs.run_due)
    runner.start()
    started.wait(5)
    time.sleep(1.6)  # past the first lease: only the heartbeat keeps it
    assert not jobs.claim(job, timezone.now())
    runner.join(10)
    assert JobRun.objects.get(name="long").next_run_at > timezone.now() + timedelta(minutes=50)


def test_stale_upload_temporary_files_are_removed_and_fresh_ones_kept(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    stale, fresh, other = tmp_path / "tmpab12.upload.pdf", tmp_path / "tmpcd34.upload.pdf", tmp_path / "keep.txt"
    for path in (stale, fresh, other):
        path.write_bytes(b"x")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    assert uploads.remove_stale_temporary_files() == [stale.name]
    assert not stale.exists() and fresh.exists() and other.exists()


@pytest.mark.django_db
def test_the_worker_removes_what_a_killed_upload_left_when_it_starts(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    left = tmp_path / "tmpzz99.upload.docx"
    left.write_bytes(b"partial")
    old = time.time() - 2 * 3600
    os.utime(left, (old, old))
    call_command("worker", "--once", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert not left.exists()
    assert "remove_stale_upload_files" in jobs.REGISTRY


def test_large_uploads_stream_into_the_directory_the_worker_cleans():
    from django.conf import settings

    assert uploads.upload_temp_dir() == __import__("pathlib").Path(settings.FILE_UPLOAD_TEMP_DIR)
    assert uploads.upload_temp_dir().is_dir()

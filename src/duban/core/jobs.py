"""Periodic background jobs, run by `duban worker` without any extra server.

A job is a plain idempotent function registered with ``@periodic(name, every)``. Its schedule
is a JobRun row: a worker claims a due job with a compare-and-swap UPDATE on ``next_run_at``
that touches exactly one row, so two workers (or two app servers) never run the same job at
once, and a worker that was down catches up on its next pass (``next_run_at <= now``).
Apps register jobs in ``duban/<app>/jobs.py``; the worker imports them all.

A claim is a lease, not the next period: claiming sets ``next_run_at`` to now + the lease
(``DUBAN_JOB_LEASE_SECONDS``, 5 min), a heartbeat thread pushes it on while the job runs, and
only a finished run sets it to start + the period. So a run killed mid-way (``kill -9``, a lost
machine) is claimed again by any worker once its lease runs out, not a full period (1 h, 24 h)
later; and a long run keeps its claim as long as its process lives. Every write after the claim
is conditional on the run's own ``last_started_at``, so a run that lost its lease changes nothing.
"""

from __future__ import annotations

import importlib
import logging
import threading
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

from duban.core.models import JobRun

log = logging.getLogger("duban.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    func: object


REGISTRY: dict[str, Job] = {}


def periodic(name: str, every: timedelta):
    def register(func):
        REGISTRY[name] = Job(name, every, func)
        return func

    return register


def autodiscover() -> None:
    for config in apps.get_app_configs():
        if config.name.startswith("duban."):
            try:
                importlib.import_module(f"{config.name}.jobs")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.jobs":
                    raise


def lease() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "DUBAN_JOB_LEASE_SECONDS", 300)))


def claim(job: Job, now) -> bool:
    JobRun.objects.get_or_create(name=job.name, defaults={"next_run_at": now})
    claimed = JobRun.objects.filter(name=job.name, next_run_at__lte=now).update(
        next_run_at=now + lease(), last_started_at=now
    )
    return claimed == 1  # 0: not due yet (or still leased), or another worker got there first


def renew(job: Job, started) -> bool:
    """Extend this run's lease; False when another worker has taken the job over."""
    return JobRun.objects.filter(name=job.name, last_started_at=started).update(
        next_run_at=timezone.now() + lease()) == 1


@contextmanager
def _heartbeat(job: Job, started):
    """Renew the lease every third of it from a thread while the job runs."""
    done = threading.Event()
    interval = max(lease().total_seconds() / 3, 0.05)

    def beat():
        try:
            while not done.wait(interval):
                try:
                    if not renew(job, started):
                        log.warning("job %s lost its lease", job.name)
                        return
                except Exception:  # noqa: BLE001 - a missed beat only shortens the lease
                    log.exception("job %s: lease renewal failed", job.name)
        finally:
            connection.close()  # the thread's own connection

    thread = threading.Thread(target=beat, name=f"lease-{job.name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=interval + 5)


def run_due(now=None) -> list[str]:
    """Run every job that is due; returns the names run. A failing job is logged and recorded
    on its row and does not stop the others."""
    now = now or timezone.now()
    ran = []
    for job in list(REGISTRY.values()):
        if not claim(job, now):
            continue
        error = ""
        try:
            with _heartbeat(job, now):
                job.func()
        except Exception:  # noqa: BLE001 - one broken job must not stop the worker
            error = traceback.format_exc()
            log.exception("job %s failed", job.name)
        JobRun.objects.filter(name=job.name, last_started_at=now).update(
            next_run_at=now + job.every, last_finished_at=timezone.now(), last_error=error[-4000:])
        ran.append(job.name)
    return ran


@periodic("clear_expired_sessions", timedelta(hours=1))
def clear_expired_sessions() -> None:
    from django.contrib.sessions.models import Session

    Session.objects.filter(expire_date__lt=timezone.now()).delete()


@periodic("remove_stale_upload_files", timedelta(hours=1))
def remove_stale_upload_files() -> None:
    from duban.core import uploads

    uploads.remove_stale_temporary_files()

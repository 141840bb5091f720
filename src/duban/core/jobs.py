"""Periodic background jobs, run by `duban worker` without any extra server.

A job is a plain idempotent function registered with ``@periodic(name, every)``. Its schedule
is a JobRun row: a worker claims a due job with a compare-and-swap UPDATE on ``next_run_at``
that touches exactly one row, so two workers (or two app servers) never run the same job at
once, and a worker that was down catches up on its next pass (``next_run_at <= now``).
Apps register jobs in ``duban/<app>/jobs.py``; the worker imports them all.
"""

from __future__ import annotations

import importlib
import logging
import traceback
from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
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


def claim(job: Job, now) -> bool:
    JobRun.objects.get_or_create(name=job.name, defaults={"next_run_at": now})
    claimed = JobRun.objects.filter(name=job.name, next_run_at__lte=now).update(
        next_run_at=now + job.every, last_started_at=now
    )
    return claimed == 1  # 0: not due yet, or another worker got there first


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
            job.func()
        except Exception:  # noqa: BLE001 - one broken job must not stop the worker
            error = traceback.format_exc()
            log.exception("job %s failed", job.name)
        JobRun.objects.filter(name=job.name).update(last_finished_at=timezone.now(), last_error=error[-4000:])
        ran.append(job.name)
    return ran


@periodic("clear_expired_sessions", timedelta(hours=1))
def clear_expired_sessions() -> None:
    from django.contrib.sessions.models import Session

    Session.objects.filter(expire_date__lt=timezone.now()).delete()


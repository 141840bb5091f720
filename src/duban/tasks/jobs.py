"""Background jobs of the task app (run by `duban worker`, see duban.core.jobs).

``scan_overdue_reports`` records every missed report deadline through
services.task_report_overdue: the lead unit gets one notice and the task's timeline one
"进展报送逾期" entry per missed deadline. It is idempotent: the notice's dedupe key is the missed
deadline, and a unique constraint on (unit, task, kind, dedupe_key) makes a second run — or a
second worker racing the first — record nothing. A worker that was down catches up: it looks at
every deadline already past, not at "deadlines that passed today". The job writes no row itself.
"""

from __future__ import annotations

from datetime import date, timedelta

from duban.core.jobs import periodic
from duban.tasks import lights, services
from duban.tasks.models import Notification, NotificationKind, Task, TaskStatus

BATCH = 500


def scan_overdue_reports(today: date | None = None) -> int:
    """Record each task's missed report deadline once; returns how many were recorded by this
    run (0 on a repeated run)."""
    today = today or lights.today()
    overdue = (Task.objects.filter(status__in=[TaskStatus.ACKNOWLEDGED, TaskStatus.IN_PROGRESS],
                                   next_report_due__lt=today, lead_unit__isnull=False)
               .select_related("lead_unit").order_by("pk"))
    recorded = 0
    last_pk = 0
    while True:
        batch = list(overdue.filter(pk__gt=last_pk)[:BATCH])
        if not batch:
            break
        last_pk = batch[-1].pk
        # One query tells which deadlines are already recorded (a repeated run does no more).
        done = set(Notification.objects.filter(kind=NotificationKind.REPORT_OVERDUE, task_id__in=[t.pk for t in batch])
                   .values_list("task_id", "dedupe_key"))
        for task in batch:
            if (task.pk, task.next_report_due.isoformat()) not in done:
                recorded += services.task_report_overdue(task=task, due=task.next_report_due)
    return recorded


@periodic("tasks.scan_overdue_reports", timedelta(hours=1))
def _scan_overdue_reports_job():
    scan_overdue_reports()

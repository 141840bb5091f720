"""Background jobs of the task app (run by `duban worker`, see duban.core.jobs).

``scan_overdue_reports`` notifies the lead unit once per missed report deadline. It is
idempotent: the notice's dedupe key is the missed deadline, and a unique constraint on
(unit, task, kind, dedupe_key) makes a second run — or a second worker racing the first —
create nothing. A worker that was down catches up: it looks at every deadline already past,
not at "deadlines that passed today".
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from duban.core import ledger
from duban.core.jobs import periodic
from duban.tasks import lights
from duban.tasks.models import Notification, NotificationKind, Task, TaskStatus

BATCH = 500


def scan_overdue_reports(today: date | None = None) -> int:
    """Create one "report overdue" notice per task and missed deadline; returns how many were
    created by this run (0 on a repeated run)."""
    today = today or lights.today()
    overdue = (Task.objects.filter(status__in=[TaskStatus.ACKNOWLEDGED, TaskStatus.IN_PROGRESS],
                                   next_report_due__lt=today, lead_unit__isnull=False)
               .order_by("pk").values_list("pk", "lead_unit_id", "next_report_due", "title"))
    created = 0
    last_pk = 0
    while True:
        batch = list(overdue.filter(pk__gt=last_pk)[:BATCH])
        if not batch:
            break
        last_pk = batch[-1][0]
        notices = [
            Notification(unit_id=unit_id, task_id=pk, kind=NotificationKind.REPORT_OVERDUE,
                         dedupe_key=due.isoformat(),
                         message=_("“%(title)s”的进展报送已逾期(应于 %(due)s 前报送)。") % {"title": title, "due": due})
            for pk, unit_id, due, title in batch
        ]
        with transaction.atomic():
            existing = set(Notification.objects.filter(
                kind=NotificationKind.REPORT_OVERDUE, task_id__in=[n.task_id for n in notices]
            ).values_list("task_id", "dedupe_key"))
            fresh = [n for n in notices if (n.task_id, n.dedupe_key) not in existing]
            # ignore_conflicts: a second worker that got here first wins; nothing is sent twice.
            made = Notification.objects.bulk_create(fresh, ignore_conflicts=True)
            if fresh:
                ledger.append(event="task_reports_overdue_scan", object_type="tasks.job", object_id="scan_overdue_reports",
                              data={"notified": [n.task_id for n in fresh], "on": today.isoformat()})
            created += len(made)
    return created


@periodic("tasks.scan_overdue_reports", timedelta(hours=1))
def _scan_overdue_reports_job():
    scan_overdue_reports()

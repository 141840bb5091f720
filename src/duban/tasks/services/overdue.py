"""Missed progress-report deadlines (the background scan in duban.tasks.jobs calls this)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from duban.tasks.models import NotificationKind, Task
from duban.tasks.services._common import _ledger_task, _notify


@transaction.atomic
def task_report_overdue(*, actor=None, task: Task, due: date) -> bool:
    """The report due on ``due`` was missed: the lead unit is told, and the task's timeline says
    so (``task_overdue_report``, "进展报送逾期"). Once per task and missed deadline: a repeated
    call — a second run, or a second worker racing the first — records nothing and returns False."""
    if task.lead_unit_id is None:
        return False
    message = _("“%(title)s”的进展报送已逾期(应于 %(due)s 前报送)。") % {"title": task.title, "due": due}
    if not _notify(actor=actor, task=task, kind=NotificationKind.REPORT_OVERDUE, units=[task.lead_unit],
                   message=message, dedupe_key=due.isoformat()):
        return False
    _ledger_task("task_overdue_report", task, {"due": due.isoformat()}, actor=actor)
    return True

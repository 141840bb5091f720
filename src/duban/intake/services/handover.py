"""Hand over (交办) in one step every task a confirmed draft created that is ready: each draft task
of the source is assigned through the tasks service (its own checks, its own ledger entry);
those it refuses (no lead unit, no due date, a due date already past …) stay drafts and are
listed with the reason."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from duban.core import permissions
from duban.intake.models import DraftStatus, IntakeDraft
from duban.intake.services._base import _require
from duban.tasks import services as task_services
from duban.tasks.models import Task, TaskStatus


@dataclass
class Handover:
    assigned: list[Task] = field(default_factory=list)
    refused: list[tuple[Task, str]] = field(default_factory=list)


def draft_assign_ready(*, actor, draft: IntakeDraft) -> Handover:
    """Assign the ready draft tasks of the draft's source, parents before their children."""
    _require(actor)
    if not permissions.can(actor, permissions.TASKS_MANAGE):
        raise ValidationError(_("没有交办任务的权限。"), code="forbidden")
    if draft.status != DraftStatus.CONFIRMED or draft.source_id is None:
        raise ValidationError(_("草稿尚未确认生成任务,不能交办。"), code="not_confirmed")
    result = Handover()
    tasks = list(Task.objects.filter(source_id=draft.source_id, status=TaskStatus.DRAFT).order_by("path"))
    if not tasks:
        raise ValidationError(_("该来源没有待交办的任务。"), code="nothing_to_assign")
    for task in tasks:
        try:
            with transaction.atomic():
                result.assigned.append(task_services.task_assign(actor=actor, task=task))
        except ValidationError as exc:
            result.refused.append((task, ";".join(exc.messages)))
    return result

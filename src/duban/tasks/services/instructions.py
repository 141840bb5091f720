"""Leaders' instructions (批示), milestones and notification read state."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.tasks import statemachine
from duban.tasks.models import (
    Instruction,
    Milestone,
    Notification,
    NotificationKind,
    NotificationRead,
    Task,
)
from duban.tasks.services._common import (
    S,
    _clean_text,
    _lead_and_co_units,
    _ledger_task,
    _lock,
    _notify,
)


# --- instructions, milestones, notifications --------------------------------------------------
@transaction.atomic
def instruction_add(*, actor, task: Task, text: str) -> Instruction:
    """A leader's instruction (批示); the lead unit is notified."""
    current = _lock(task)
    statemachine.check_actor(actor, statemachine.INSTRUCT, current, _("批示"))
    if current.status not in statemachine.INSTRUCTABLE:
        raise ValidationError(_("任务当前状态为“%(status)s”,不能批示。") % {"status": current.get_status_display()},
                              code="bad_state")
    text = _clean_text(text, "text", required=True, max_length=5000, label=_("批示内容"))
    instruction = Instruction.objects.create(task=current, author=actor, text=text)
    _notify(current, _lead_and_co_units(current), NotificationKind.INSTRUCTION, text[:200])
    _ledger_task("task_instruct", current, {"instruction": instruction.pk, "text": text}, actor=actor)
    return instruction


@transaction.atomic
def milestone_set_done(*, actor, milestone: Milestone, done: bool) -> Milestone:
    task = _lock(milestone.task)
    statemachine.check_actor(actor, statemachine.LEAD, task, _("更新节点"))
    if task.status not in (S.ACKNOWLEDGED, S.IN_PROGRESS):
        raise ValidationError(_("任务当前状态为“%(status)s”,不能更新节点。") % {"status": task.get_status_display()},
                              code="bad_state")
    current = Milestone.objects.get(pk=milestone.pk)
    if current.done == bool(done):
        return current
    current.done = bool(done)
    current.done_at = timezone.now() if done else None
    current.save(update_fields=["done", "done_at"])
    _ledger_task("task_milestone", task, {"milestone": current.pk, "name": current.name, "done": current.done}, actor=actor)
    return current


def notification_mark_read(*, user, notification: Notification) -> None:
    """Per-user read state of a unit's notice. Not ledgered: it records what a user has seen,
    not a change of business data (like the session's last-seen time)."""
    if user.unit_id is None or not notification.unit.path.startswith(user.unit.path):
        raise PermissionDenied(_("您没有执行此操作的权限。"))
    NotificationRead.objects.get_or_create(notification=notification, user=user)

"""Leaders' instructions (批示) and their replies, milestones and notification read state."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.core import workdays
from duban.tasks import evidence as evidence_files
from duban.tasks import lights, statemachine
from duban.tasks.models import (
    CLOSED_STATUSES,
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
from duban.tasks.services.reports import _evidence_rows


# --- instructions, milestones, notifications --------------------------------------------------
def reply_days_default() -> int:
    return int(getattr(settings, "DUBAN_INSTRUCTION_REPLY_DAYS", 3))


@transaction.atomic
def instruction_add(*, actor, task: Task, text: str, reply_days: int | None = None) -> Instruction:
    """A leader's instruction (批示). It demands the lead unit's written reply within ``reply_days``
    working days (official calendar, duban.core.workdays; default DUBAN_INSTRUCTION_REPLY_DAYS).
    The acting holder of the responsible post is told, with a copy to the unit's principal leader."""
    current = _lock(task)
    statemachine.check_actor(actor, statemachine.INSTRUCT, current, _("批示"))
    if current.status not in statemachine.INSTRUCTABLE:
        raise ValidationError(_("任务当前状态为“%(status)s”,不能批示。") % {"status": current.get_status_display()},
                              code="bad_state")
    text = _clean_text(text, "text", required=True, max_length=5000, label=_("批示内容"))
    days = reply_days_default() if reply_days in (None, "") else reply_days
    if isinstance(days, str) and days.strip().isdigit():
        days = int(days.strip())
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 30:
        raise ValidationError({"reply_days": _("回复时限应为 1 到 30 个工作日。")})
    today = lights.today()
    reply_due = workdays.add_workdays(today, days)
    instruction = Instruction.objects.create(task=current, author=actor, text=text, reply_due=reply_due)
    _notify(actor=actor, task=current, kind=NotificationKind.INSTRUCTION, units=_lead_and_co_units(current),
            message=text[:200], copy_unit_leader=True,
            body=_("%(author)s批示:%(text)s\n请于 %(due)s 前回复(%(days)s 个工作日)。") % {
                "author": actor.get_full_name() or actor.username, "text": text[:400], "due": reply_due,
                "days": days})
    _ledger_task("task_instruct", current, {"instruction": instruction.pk, "text": text,
                                            "reply_due": reply_due.isoformat(), "reply_days": days}, actor=actor)
    return instruction


def instruction_reply(*, actor, instruction: Instruction, text: str, files=()) -> Instruction:
    """The lead unit's written reply to a 批示, with optional files (kept as the task's evidence).
    A reply after the deadline is accepted and marked late; both the reply and its lateness are
    in the task's ledger (``task_instruction_reply``). One reply per instruction; none on a
    closed task."""
    checked = evidence_files.check_uploads(files)
    with evidence_files.stored(checked) as names, transaction.atomic():
        return _instruction_reply(actor=actor, instruction=instruction, text=text, checked=checked, names=names)


def _instruction_reply(*, actor, instruction, text, checked, names) -> Instruction:
    task = _lock(instruction.task)
    statemachine.check_actor(actor, statemachine.LEAD, task, _("回复批示"))
    text = _clean_text(text, "reply_text", required=True, max_length=10000, label=_("回复内容"))
    qs = Instruction.objects.filter(pk=instruction.pk)
    current = (qs.select_for_update() if connection.features.has_select_for_update else qs).get()
    if current.task_id != task.pk:
        raise ValidationError(_("批示不属于该任务。"))
    if current.replied_at is not None:
        raise ValidationError(_("该批示已回复,不能重复回复。"), code="duplicate")
    if current.reply_due is None:
        raise ValidationError(_("该批示不要求回复。"), code="no_reply")
    if task.status in CLOSED_STATUSES:
        raise ValidationError(_("任务已%(status)s,批示不再接受回复。") % {"status": task.get_status_display()},
                              code="closed")
    today = lights.today()
    late = today > current.reply_due
    rows = _evidence_rows(task, None, actor, checked, names)
    current.reply_text, current.replied_by, current.replied_at, current.reply_late = text, actor, timezone.now(), late
    current.save(update_fields=["reply_text", "replied_by", "replied_at", "reply_late"])
    current.reply_files.set(rows)
    _notify(actor=actor, task=task, kind=NotificationKind.INSTRUCTION_REPLY, units=(), users=[current.author],
            title=_("批示已回复%(late)s:%(title)s") % {"late": _("(逾期)") if late else "", "title": task.title},
            body=text[:500])
    _ledger_task("task_instruction_reply", task, {
        "instruction": current.pk, "text": text, "reply_due": current.reply_due.isoformat(), "late": late,
        "files": [{"name": f.original_name, "sha256": f.sha256, "size": f.size} for f in checked]}, actor=actor)
    return current


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

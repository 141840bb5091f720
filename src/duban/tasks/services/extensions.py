"""Extension requests (延期) and their decision."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.core import permissions
from duban.core.services import ConcurrentEditError, save_versioned
from duban.orgs import selectors as org_selectors
from duban.tasks import statemachine
from duban.tasks.models import (
    CLOSED_STATUSES,
    ExtensionRequest,
    ExtensionStatus,
    NotificationKind,
    Task,
)
from duban.tasks.services._common import (
    _clean_text,
    _ledger_task,
    _lock,
    _notify,
    _require,
    _sync,
)


def _requester_unless_acting(task: Task, requester) -> list:
    """The requester is told as well, unless they are the one the post's notice reaches today."""
    if task.responsible_post_id:
        acting = org_selectors.acting_holder(task.responsible_post)
        if acting.person is not None and acting.person.pk == requester.person_id:
            return []
    return [requester]


# --- extensions -------------------------------------------------------------------------------
@transaction.atomic
def extension_request(*, actor, task: Task, requested_due: date, reason: str) -> ExtensionRequest:
    current = _lock(task)
    statemachine.check_actor(actor, statemachine.LEAD, current, _("申请延期"))
    if current.status not in statemachine.EXTENDABLE:
        raise ValidationError(_("任务当前状态为“%(status)s”,不能申请延期。") % {"status": current.get_status_display()},
                              code="bad_state")
    reason = _clean_text(reason, "reason", required=True, max_length=2000, label=_("延期理由"))
    if not isinstance(requested_due, date):
        raise ValidationError({"requested_due": _("日期格式不正确。")})
    if current.due_date is None or requested_due <= current.due_date:
        raise ValidationError({"requested_due": _("申请延至的日期应晚于当前完成时限(%(due)s)。") % {"due": current.due_date}})
    parent = Task.objects.get_parent(current)
    if parent is not None and parent.due_date and requested_due > parent.due_date:
        raise ValidationError({"requested_due": _("不能晚于上级任务的完成时限(%(due)s)。") % {"due": parent.due_date}})
    if ExtensionRequest.objects.filter(task=current, status=ExtensionStatus.PENDING).exists():
        raise ValidationError(_("该任务已有待审批的延期申请。"), code="pending_exists")
    extension = ExtensionRequest.objects.create(task=current, requested_by=actor, current_due=current.due_date,
                                                requested_due=requested_due, reason=reason)
    _ledger_task("task_extension_request", current, {"extension": extension.pk, "from": str(current.due_date),
                                                     "to": str(requested_due), "reason": reason}, actor=actor)
    return extension


@transaction.atomic
def extension_decide(*, actor, extension: ExtensionRequest, approve: bool, reason: str = "",
                     expected_version: int | None = None) -> ExtensionRequest:
    """Approve (the due date moves, the original is kept) or refuse an extension request."""
    _require(actor, permissions.TASKS_MANAGE)
    expected_version = extension.version if expected_version is None else expected_version
    current_ext = ExtensionRequest.objects.get(pk=extension.pk)
    if current_ext.version != expected_version:
        raise ConcurrentEditError()
    if current_ext.status != ExtensionStatus.PENDING:
        raise ValidationError(_("该延期申请已审批。"), code="decided")
    if current_ext.requested_by_id == actor.pk:
        raise PermissionDenied(_("不能审批自己提交的延期申请。"))
    reason = _clean_text(reason, "reason", required=not approve, max_length=2000, label=_("审批意见"))
    task = _lock(current_ext.task)
    if task.status in CLOSED_STATUSES:
        raise ValidationError(_("任务已办结或中止,延期申请无需审批。"))
    data = {"extension": current_ext.pk, "reason": reason}
    if approve:
        if task.due_date != current_ext.current_due:
            raise ValidationError(_("申请提交后完成时限已变更,请让申请人重新申请。"), code="due_changed")
        parent = Task.objects.get_parent(task)
        if parent is not None and parent.due_date and current_ext.requested_due > parent.due_date:
            raise ValidationError(_("不能晚于上级任务的完成时限(%(due)s)。") % {"due": parent.due_date})
        data.update({"from": str(task.due_date), "to": str(current_ext.requested_due)})
        task.original_due_date = task.original_due_date or task.due_date
        task.due_date = current_ext.requested_due
        save_versioned(task, expected_version=task.version, fields=["original_due_date", "due_date"])
    current_ext.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
    current_ext.decided_by = actor
    current_ext.decided_at = timezone.now()
    current_ext.decision_reason = reason
    save_versioned(current_ext, expected_version=expected_version,
                   fields=["status", "decided_by", "decided_at", "decision_reason"])
    if approve:
        body = _("延期申请已同意,完成时限延至 %(due)s。") % {"due": current_ext.requested_due}
    else:
        body = _("延期申请未同意,完成时限仍为 %(due)s。理由:%(reason)s") % {"due": task.due_date, "reason": reason}
    _notify(actor=actor, task=task, kind=NotificationKind.EXTENSION_DECIDED, units=[task.lead_unit],
            message=task.title, body=body, users=_requester_unless_acting(task, current_ext.requested_by))
    _ledger_task("task_extension_approve" if approve else "task_extension_refuse", task, data, actor=actor)
    _sync(extension, current_ext)
    return current_ext



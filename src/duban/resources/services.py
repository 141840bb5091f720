"""Every write of resource requests: validated, atomic, one ledger entry per change.

Only the unit that currently holds a request acts on it (forward, prioritise, decide, allocate):
an account acts for its own unit. A request is addressed to a unit above the requester and can
only travel upwards; a granted request becomes a task for the granting unit (duban.tasks, which
needs the 督查室's TASKS_MANAGE).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.core import ledger, permissions
from duban.orgs.models import Unit
from duban.resources.models import GRANTED_STATES, Allocation, Ceiling, Kind, ResourceRequest, Status, Step
from duban.tasks import services as task_services
from duban.tasks.models import Task

LIMIT = Decimal("1e13")


class Outcome:
    FULL, PART, REFUSED = "full", "part", "refused"
    CHOICES = ((FULL, "full"), (PART, "part"), (REFUSED, "refused"))


def _require(actor, perm):
    if not permissions.can(actor, perm):
        raise PermissionDenied(_("您没有执行此操作的权限。"))


def _amount(value, field, label) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError, AttributeError):
        raise ValidationError({field: _("%(label)s应为数字。") % {"label": label}}) from None
    if not number.is_finite() or number <= 0 or number >= LIMIT:
        raise ValidationError({field: _("%(label)s应为正数。") % {"label": label}})
    return number.quantize(Decimal("0.01"))


def _text(value, field, label, *, required=True, max_length=2000) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: _("请填写%(label)s。") % {"label": label}})
    if len(text) > max_length:
        raise ValidationError({field: _("%(label)s不能超过 %(n)s 个字。") % {"label": label, "n": max_length}})
    return text


def is_above(upper: Unit, lower: Unit) -> bool:
    return upper.pk != lower.pk and lower.path.startswith(upper.path)


def _lock(request: ResourceRequest) -> ResourceRequest:
    return ResourceRequest.objects.select_for_update().select_related("current_unit", "requester_unit") \
        .get(pk=request.pk)


def _sync(target, source):
    for f in source._meta.concrete_fields:
        setattr(target, f.attname, getattr(source, f.attname))


def _holder(actor, request: ResourceRequest) -> ResourceRequest:
    _require(actor, permissions.RESOURCES_DECIDE)
    current = _lock(request)
    unit = getattr(actor, "unit", None)
    if unit is None or unit.pk != current.current_unit_id:
        raise PermissionDenied(_("该申请不在本单位办理。"))
    return current


def _ledger(event, req, actor, data):
    ledger.append(event=event, obj=req, actor=actor, data={"status": req.status, "holder": req.current_unit_id, **data})


@transaction.atomic
def request_file(*, actor, kind: str, title: str, justification: str, amount, to_unit: Unit, measure: str = "",
                 task: Task | None = None) -> ResourceRequest:
    """A unit's request for what a task needs, addressed to a unit above it."""
    _require(actor, permissions.RESOURCES_REQUEST)
    unit = getattr(actor, "unit", None)
    if unit is None:
        raise ValidationError(_("您的账户没有所属单位,不能提出申请。"))
    if kind not in Kind.values:
        raise ValidationError({"kind": _("类别不正确。")})
    title = _text(title, "title", _("事项"), max_length=200)
    justification = _text(justification, "justification", _("理由"))
    amount = _amount(amount, "amount", _("申请数量"))
    if not isinstance(to_unit, Unit) or not is_above(to_unit, unit):
        raise ValidationError({"to_unit": _("只能向本单位的上级单位提出申请。")})
    if not to_unit.is_active:
        raise ValidationError({"to_unit": _("单位“%(name)s”已停用。") % {"name": to_unit.name}})
    ceiling = Ceiling.objects.filter(unit=unit, kind=kind).values_list("amount", flat=True).first()
    if ceiling is not None and amount > ceiling:
        raise ValidationError({"amount": _("申请数量 %(a)s 超过本单位单笔上限 %(c)s。") % {"a": amount, "c": ceiling}})
    req = ResourceRequest.objects.create(requester_unit=unit, current_unit=to_unit, kind=kind, title=title,
                                         justification=justification, amount=amount,
                                         measure=(measure or "").strip()[:10], task=task, created_by=actor)
    Step.objects.create(request=req, action=Step.Action.FILE, from_unit=unit, to_unit=to_unit, actor=actor)
    _ledger("resource.request_file", req, actor, {"kind": kind, "amount": str(amount), "to": to_unit.pk,
                                                  "task": task.pk if task else None})
    return req


@transaction.atomic
def request_forward(*, actor, request: ResourceRequest, to_unit: Unit, note: str = "") -> ResourceRequest:
    current = _holder(actor, request)
    if current.status != Status.PENDING:
        raise ValidationError(_("该申请已有决定,不能再上报。"))
    if not isinstance(to_unit, Unit) or not is_above(to_unit, current.current_unit):
        raise ValidationError({"to_unit": _("只能上报给本单位的上级单位。")})
    note = _text(note, "note", _("说明"), required=False)
    from_unit = current.current_unit
    current.current_unit, current.priority, current.priority_reason = to_unit, None, ""
    current.version += 1
    current.save(update_fields=["current_unit", "priority", "priority_reason", "version"])
    Step.objects.create(request=current, action=Step.Action.FORWARD, from_unit=from_unit, to_unit=to_unit, note=note,
                        actor=actor)
    _sync(request, current)
    _ledger("resource.request_forward", current, actor, {"from": from_unit.pk, "to": to_unit.pk, "note": note})
    return request


@transaction.atomic
def request_prioritise(*, actor, request: ResourceRequest, priority, reason: str) -> ResourceRequest:
    current = _holder(actor, request)
    if current.status != Status.PENDING:
        raise ValidationError(_("该申请已有决定。"))
    try:
        priority = int(priority)
    except (TypeError, ValueError):
        raise ValidationError({"priority": _("优先序应为正整数。")}) from None
    if not 1 <= priority <= 9999:
        raise ValidationError({"priority": _("优先序应为正整数。")})
    reason = _text(reason, "reason", _("排序理由"), max_length=300)
    current.priority, current.priority_reason = priority, reason
    current.version += 1
    current.save(update_fields=["priority", "priority_reason", "version"])
    Step.objects.create(request=current, action=Step.Action.PRIORITISE, from_unit=current.current_unit,
                        note=f"{priority}: {reason}", actor=actor)
    _sync(request, current)
    _ledger("resource.request_prioritise", current, actor, {"priority": priority, "reason": reason})
    return request


@transaction.atomic
def request_decide(*, actor, request: ResourceRequest, outcome: str, reason: str = "",
                   granted_amount=None) -> ResourceRequest:
    current = _holder(actor, request)
    if current.status != Status.PENDING:
        raise ValidationError(_("该申请已有决定。"))
    reason = (reason or "").strip()
    if outcome == Outcome.FULL:
        granted, status = current.amount, Status.GRANTED
    elif outcome == Outcome.PART:
        granted, status = _amount(granted_amount, "granted_amount", _("批准数量")), Status.PARTIAL
        if granted >= current.amount:
            raise ValidationError({"granted_amount": _("部分批准的数量应小于申请数量 %(a)s。") % {"a": current.amount}})
        reason = _text(reason, "reason", _("决定理由"))
    elif outcome == Outcome.REFUSED:
        granted, status = None, Status.REFUSED
        reason = _text(reason, "reason", _("决定理由"))
    else:
        raise ValidationError({"outcome": _("请选择决定。")})
    current.status, current.granted_amount, current.decision_reason = status, granted, reason
    current.decided_unit, current.decided_at = current.current_unit, timezone.now()
    current.version += 1
    current.save(update_fields=["status", "granted_amount", "decision_reason", "decided_unit", "decided_at", "version"])
    Step.objects.create(request=current, action=Step.Action.DECIDE, from_unit=current.current_unit,
                        note=f"{current.get_status_display()} {granted or ''} {reason}".strip(), actor=actor)
    _sync(request, current)
    _ledger("resource.request_decide", current, actor,
            {"outcome": outcome, "granted": str(granted) if granted is not None else None, "reason": reason})
    return request


@transaction.atomic
def allocation_record(*, actor, request: ResourceRequest, amount, on: date | None = None,
                      note: str = "") -> Allocation:
    """Track delivery of a granted request; the request is 已落实 once the granted amount is reached."""
    _require(actor, permissions.RESOURCES_DECIDE)
    current = _lock(request)
    unit = getattr(actor, "unit", None)
    if unit is None or unit.pk != current.decided_unit_id:
        raise PermissionDenied(_("只有作出决定的单位可以登记落实情况。"))
    if current.status not in (Status.GRANTED, Status.PARTIAL):
        raise ValidationError(_("只有已批准且未落实完毕的申请可以登记落实。"))
    amount = _amount(amount, "amount", _("落实数量"))
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError({"on": _("落实日期不能晚于今天。")})
    delivered = current.delivered_amount + amount
    if delivered > current.granted_amount:
        raise ValidationError({"amount": _("累计落实 %(d)s 将超过批准数量 %(g)s。")
                               % {"d": delivered, "g": current.granted_amount}})
    allocation = Allocation.objects.create(request=current, amount=amount, on=on, note=(note or "").strip()[:300],
                                           actor=actor)
    current.delivered_amount = delivered
    if delivered == current.granted_amount:
        current.status = Status.DELIVERED
    current.version += 1
    current.save(update_fields=["delivered_amount", "status", "version"])
    Step.objects.create(request=current, action=Step.Action.ALLOCATE, from_unit=unit, note=f"{amount} {note}".strip(),
                        actor=actor)
    _sync(request, current)
    _ledger("resource.allocation_record", current, actor, {"amount": str(amount), "delivered": str(delivered),
                                                           "on": on.isoformat()})
    return allocation


@transaction.atomic
def request_make_task(*, actor, request: ResourceRequest) -> Task:
    """The granted request becomes a task for the granting unit (to deliver what it granted)."""
    _require(actor, permissions.TASKS_MANAGE)
    current = _lock(request)
    if current.status not in GRANTED_STATES:
        raise ValidationError(_("只有已批准的申请可以转为任务。"))
    if current.created_task_id:
        raise ValidationError(_("该申请已转为任务。"))
    unit = current.decided_unit
    title = _("落实要素保障:%(title)s(%(unit)s,%(kind)s %(amount)s%(measure)s)") % {
        "title": current.title, "unit": current.requester_unit.name, "kind": current.get_kind_display(),
        "amount": current.granted_amount, "measure": current.measure}
    task = task_services.task_create(
        actor=actor, title=title[:300], lead_unit=unit, co_units=[current.requester_unit],
        detail=_("%(reason)s\n申请理由:%(why)s") % {"reason": current.decision_reason, "why": current.justification},
        start_date=timezone.localdate(), due_date=timezone.localdate() + timedelta(days=30),
        target_number=current.granted_amount, target_measure=current.measure[:10])
    task = task_services.task_assign(actor=actor, task=task)
    current.created_task = task
    current.version += 1
    current.save(update_fields=["created_task", "version"])
    Step.objects.create(request=current, action=Step.Action.TASK, from_unit=unit, note=str(task.pk), actor=actor)
    _sync(request, current)
    _ledger("resource.request_make_task", current, actor, {"task": task.pk})
    return task


@transaction.atomic
def ceiling_set(*, actor, unit: Unit, kind: str, amount) -> Ceiling:
    """A unit above ``unit`` (or a global role) caps what ``unit`` may ask for in one request."""
    _require(actor, permissions.RESOURCES_DECIDE)
    own = getattr(actor, "unit", None)
    if not (permissions.has_global_scope(actor) or (own is not None and is_above(own, unit))):
        raise PermissionDenied(_("只能为下级单位设定上限。"))
    if kind not in Kind.values:
        raise ValidationError({"kind": _("类别不正确。")})
    amount = _amount(amount, "amount", _("单笔上限"))
    ceiling, _created = Ceiling.objects.update_or_create(unit=unit, kind=kind, defaults={"amount": amount})
    ledger.append(event="resource.ceiling_set", obj=unit, actor=actor, data={"kind": kind, "amount": str(amount)})
    return ceiling


"""Helpers shared by the task services: permission check, row lock, text/number cleaning, the
notification helper, ledger helpers."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from duban.core import ledger, permissions
from duban.orgs.models import Unit
from duban.tasks.models import (
    Notification,
    Task,
    TaskStatus,
)

S = TaskStatus

# Fields a task_create / task_update may set; anything else is refused (no mass assignment).
TASK_FIELDS = (
    "title", "detail", "category", "source", "lead_unit", "responsible_leader", "responsible_post",
    "start_date", "due_date", "reporting_cycle", "target_number", "target_measure", "target_object",
)



# --- helpers ----------------------------------------------------------------------------------
def _require(user, perm: str) -> None:
    if not permissions.can(user, perm):
        raise PermissionDenied(_("您没有执行此操作的权限。"))


def _lock(task: Task) -> Task:
    """The task row, fresh and (on PostgreSQL) locked until commit; SQLite's IMMEDIATE
    transactions already serialise writers."""
    qs = Task.objects.all()
    if connection.features.has_select_for_update:
        qs = qs.select_for_update()
    return qs.get(pk=task.pk)


def _clean_text(value, field: str, *, required: bool, max_length: int | None = None, label: str = "") -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else value
    if not isinstance(value, str):
        raise ValidationError({field: _("“%(label)s”格式不正确。") % {"label": label}})
    if required and not value:
        raise ValidationError({field: _("请填写“%(label)s”。") % {"label": label}})
    if max_length and len(value) > max_length:
        raise ValidationError({field: _("“%(label)s”不能超过 %(n)s 个字。") % {"label": label, "n": max_length}})
    return value


def _decimal(value, field: str, label: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("“%(label)s”应为数字。") % {"label": label}}) from None
    if not number.is_finite() or number < 0:
        raise ValidationError({field: _("“%(label)s”不能为负数。") % {"label": label}})
    if number >= Decimal("1e12"):
        raise ValidationError({field: _("“%(label)s”过大。") % {"label": label}})
    return number.quantize(Decimal("0.01"))


def _notify(task: Task, units, kind: str, message: str = "", dedupe_key: str = "") -> list[Notification]:
    """The one place task services send notices (units' in-app notices). With a ``dedupe_key`` a
    notice already sent to a unit under that key is not sent again (the unique constraint on
    (unit, task, kind, dedupe_key) decides, so a racing worker cannot send it twice either); the
    notices actually created are returned."""
    notices = [Notification(unit=unit, task=task, kind=kind, message=message[:500], dedupe_key=dedupe_key)
               for unit in units if unit is not None]
    if not dedupe_key:
        return Notification.objects.bulk_create(notices)
    created = []
    for notice in notices:
        try:
            with transaction.atomic():
                notice.save(force_insert=True)
        except IntegrityError:
            continue
        created.append(notice)
    return created


def _lead_and_co_units(task: Task) -> list[Unit]:
    return [task.lead_unit, *task.co_units.exclude(pk=task.lead_unit_id)]


def _sync(target, source) -> None:
    """Services work on a fresh, locked copy of the row; leave the caller's instance showing the
    saved state too (views re-render it, tests inspect it)."""
    if target is source:
        return
    for field in source._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    target._state.fields_cache = dict(source._state.fields_cache)


def _ledger_task(event: str, task: Task, data: dict, *, actor) -> None:
    # The actor is passed, not taken from the request: jobs, commands and the demo act too.
    ledger.append(event=event, obj=task, object_type="tasks.task", data=data, actor=actor)


def _fields_for_ledger(values: dict) -> dict:
    out = {}
    for key, value in values.items():
        if hasattr(value, "pk"):
            out[key] = value.pk
        elif isinstance(value, (list, tuple)):
            out[key] = [getattr(v, "pk", v) for v in value]
        else:
            out[key] = None if value is None else str(value) if not isinstance(value, (int, bool)) else value
    return out



"""Helpers shared by the task services: permission check, row lock, text/number cleaning, the
notification helper, ledger helpers."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from duban.core import ledger, permissions
from duban.core.prepared import PreparedQuery
from duban.notices import services as notices
from duban.notices.models import NoticeKind
from duban.orgs.models import Unit
from duban.tasks.models import (
    Notification,
    NotificationKind,
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


def _locking_queryset():
    qs = Task.objects.select_related("lead_unit")  # every actor check reads the lead unit's path
    if connection.features.has_select_for_update:
        qs = qs.select_for_update(of=("self",))  # the task row only, not the unit
    return qs


def _lock(task: Task) -> Task:
    """The task row, fresh and (on PostgreSQL) locked until commit; SQLite's IMMEDIATE
    transactions already serialise writers."""
    return _locking_queryset().get(pk=task.pk)


# _lock's query, compiled once per thread: compiling the join cost more CPU than running it
# (~1 ms of a ~9 ms write, issue 10). Compiled inside the caller's transaction (FOR UPDATE needs one).
_LOCKED_BY_PK = PreparedQuery(lambda pk: _locking_queryset().filter(pk=pk), -(2**62) + 11)


def _lock_visible(user, pk: int) -> Task | None:
    """The task row as ``_lock`` reads it (locked, with its lead unit), if ``user`` may see it;
    None when they may not, or when there is no such row. One read instead of the scoped getter
    plus ``_lock``'s re-read (issue 10, the write path), visibility decided on the row itself by
    ``selectors.task_visible`` (visible_q's rule). None answers nothing about why: the caller asks
    the scoped getter, which gives the 404 and records the denial (AU-03) outside the transaction
    this read runs in."""
    from duban.tasks import selectors  # selectors never import services; imported here to keep it so

    if not permissions.can(user, permissions.TASKS_VIEW) or permissions.scope_path(user) is None:
        return None  # no row read for a user who sees no task at all
    if not -2**63 <= pk < 2**63:
        return None
    task = _LOCKED_BY_PK.get(pk)
    return task if task is not None and selectors.task_visible(user, task) else None


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


# Which notice (duban.notices) each event of the unit feed sends to people; an event missing
# here (a cancelled task) stays in the unit feed only.
NOTICE_KINDS = {
    NotificationKind.ASSIGNED: NoticeKind.ASSIGNED,
    NotificationKind.RETURNED: NoticeKind.RETURNED,
    NotificationKind.COMPLETED: NoticeKind.APPROVED,
    NotificationKind.EXTENSION_DECIDED: NoticeKind.EXTENSION_DECIDED,
    NotificationKind.INSTRUCTION: NoticeKind.INSTRUCTION,
    NotificationKind.INSTRUCTION_REPLY: NoticeKind.INSTRUCTION_REPLY,
    NotificationKind.REPORT_OVERDUE: NoticeKind.REPORT_OVERDUE,
    NotificationKind.INTEGRITY_FAILURE: NoticeKind.INTEGRITY_FAILURE,
}


def task_url(task) -> str:
    return reverse("tasks:detail", args=[task.pk])


def _notify(*, actor, task: Task, kind: str, units=(), message: str = "", title: str = "", body: str = "",
            dedupe_key: str = "", copy_unit_leader: bool = False, copy_responsible_leader: bool = False,
            users=(), to_people: bool = True, to_units: bool = True) -> list[Notification]:
    """The one place task services tell anyone about an event (docs/decisions/0013).

    * The units' feed (``Notification``, read state per user): one row per unit in ``units``.
    * Notices to people (duban.notices): for the lead unit, the acting holder of the task's
      responsible post on the day (A, or B/C with the substitution note), else the lead unit's
      liaison post; for any other unit in ``units``, its liaison post; plus ``users`` (accounts)
      and, as copies, the unit's principal leader and the task's responsible leader when asked.
      ``to_units=False`` keeps the units to the feed (the integrity alert reaches the 督查室's
      accounts, not its units' liaison posts); ``to_people=False`` sends no notice at all.

    With a ``dedupe_key`` nothing already sent under that key is sent again: the feed's unique
    constraint on (unit, task, kind, dedupe_key) and the notices' own one decide, so a racing
    worker cannot send it twice either. Returns the feed rows actually created."""
    feed = [Notification(unit=unit, task=task, kind=kind, message=message[:500], dedupe_key=dedupe_key)
            for unit in units if unit is not None]
    if not dedupe_key:
        created = Notification.objects.bulk_create(feed)
    else:
        created = []
        for row in feed:
            try:
                with transaction.atomic():
                    row.save(force_insert=True)
            except IntegrityError:
                continue
            created.append(row)
        if feed and not created:
            return created  # sent before: the people were told then
    notice_kind = NOTICE_KINDS.get(kind)
    if notice_kind is None or not to_people:
        return created
    title = title or _("%(kind)s:%(title)s") % {"kind": NotificationKind(kind).label, "title": task.title}
    common = {"kind": notice_kind, "subject": task, "url": task_url(task), "title": title,
              "body": body or message, "dedupe_key": dedupe_key}
    items = []
    for unit in units if to_units else ():
        if unit is None:
            continue
        item = dict(common)
        if unit.pk == task.lead_unit_id:
            if task.responsible_post_id:
                item["to_post"] = task.responsible_post_id
            else:
                item["to_unit"] = unit.pk
            item["copy_unit_leader"] = copy_unit_leader
            if copy_responsible_leader and task.responsible_leader_id:
                item["copy_leaders"] = [task.responsible_leader_id]
        else:
            item["to_unit"] = unit.pk
        items.append(item)
    items += [{**common, "to_user": user} for user in users if user is not None]
    if items:
        notices.notices_send_bulk(actor=actor, items=items)
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



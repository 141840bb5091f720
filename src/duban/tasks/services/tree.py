"""The task tree: create, decompose, update, move."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from duban.core import ledger, permissions
from duban.core.services import ConcurrentEditError, save_versioned, snapshot
from duban.orgs.models import Person, Post, Unit
from duban.tasks import search
from duban.tasks.models import (
    CLOSED_STATUSES,
    Category,
    Milestone,
    NotificationKind,
    ReportCycle,
    Source,
    Task,
)
from duban.tasks.services._common import (
    TASK_FIELDS,
    S,
    _clean_text,
    _decimal,
    _fields_for_ledger,
    _ledger_task,
    _lock,
    _notify,
    _require,
    _sync,
)


# --- task tree --------------------------------------------------------------------------------
def _resolve(values: dict) -> dict:
    """Check types of related fields given as objects (callers resolve ids through selectors)."""
    expected = {"category": Category, "source": Source, "lead_unit": Unit, "responsible_leader": Person,
                "responsible_post": Post}
    for field, model in expected.items():
        value = values.get(field)
        if value is not None and not isinstance(value, model):
            raise ValidationError({field: _("“%(field)s”的值不正确。") % {"field": Task._meta.get_field(field).verbose_name}})
    return values


def _validate_task(values: dict, *, parent: Task | None, task: Task | None = None, co_units=None) -> dict:
    values = _resolve(dict(values))
    if "title" in values:
        values["title"] = _clean_text(values["title"], "title", required=True, max_length=300, label=_("任务名称"))
    if "detail" in values:
        values["detail"] = _clean_text(values["detail"], "detail", required=False, label=_("任务内容"))
    for field, label in (("target_measure", _("量词")), ("target_object", _("目标对象"))):
        if field in values:
            values[field] = _clean_text(values[field], field, required=False,
                                        max_length=Task._meta.get_field(field).max_length, label=label)
    if "target_number" in values:
        values["target_number"] = _decimal(values["target_number"], "target_number", _("目标数量"))
    if "reporting_cycle" in values and values["reporting_cycle"] not in ReportCycle.values:
        raise ValidationError({"reporting_cycle": _("报送周期不正确。")})
    for field in ("start_date", "due_date"):
        if values.get(field) is not None and not isinstance(values[field], date):
            raise ValidationError({field: _("日期格式不正确。")})
    start = values.get("start_date", task.start_date if task else None)
    due = values.get("due_date", task.due_date if task else None)
    if start and due and due < start:
        raise ValidationError({"due_date": _("完成时限不能早于开始日期。")})
    if parent is not None:
        if parent.status in CLOSED_STATUSES:
            raise ValidationError({"parent": _("上级任务已办结或中止,不能再添加下级任务。")})
        if due and parent.due_date and due > parent.due_date:
            raise ValidationError({"due_date": _("下级任务的完成时限(%(due)s)不能晚于上级任务的完成时限(%(parent)s)。")
                                   % {"due": due, "parent": parent.due_date}})
    if task is not None and "due_date" in values and due is not None:
        latest_child = (Task.objects.filter(path__startswith=task.path, depth=task.depth + 1, due_date__isnull=False)
                        .order_by("-due_date").values_list("due_date", flat=True).first())
        if latest_child and latest_child > due:
            raise ValidationError({"due_date": _("完成时限不能早于下级任务的完成时限(%(due)s)。") % {"due": latest_child}})
    lead = values.get("lead_unit", task.lead_unit if task else None)
    if lead is not None and not lead.is_active:
        raise ValidationError({"lead_unit": _("单位“%(name)s”已停用。") % {"name": lead.name}})
    if co_units is not None:
        for unit in co_units:
            if not isinstance(unit, Unit):
                raise ValidationError({"co_units": _("配合单位不正确。")})
            if not unit.is_active:  # RL-03: one inactive unit among many refuses the whole task
                raise ValidationError({"co_units": _("配合单位“%(name)s”已停用。") % {"name": unit.name}})
            if lead is not None and unit.pk == lead.pk:
                raise ValidationError({"co_units": _("牵头单位不能同时是配合单位。")})
    elif task is not None and "lead_unit" in values and lead is not None \
            and task.co_units.filter(pk=lead.pk).exists():
        raise ValidationError({"lead_unit": _("牵头单位不能同时是配合单位。")})
    post = values.get("responsible_post", task.responsible_post if task else None)
    if post is not None and lead is not None and not lead.path.startswith(post.unit.path) \
            and not post.unit.path.startswith(lead.path):
        raise ValidationError({"responsible_post": _("责任岗位应属于牵头单位。")})
    return values


def _validate_milestones(milestones, due: date | None) -> list[dict]:
    cleaned = []
    for i, m in enumerate(milestones or [], start=1):
        name = _clean_text(m.get("name"), "milestones", required=True, max_length=200, label=_("节点名称"))
        when = m.get("date")
        if not isinstance(when, date):
            raise ValidationError({"milestones": _("第 %(n)s 个节点的时间不正确。") % {"n": i}})
        if due and when > due:
            raise ValidationError({"milestones": _("节点“%(name)s”的时间不能晚于完成时限。") % {"name": name}})
        cleaned.append({"name": name, "date": when, "done": bool(m.get("done", False))})
    return cleaned


def _add_root(fields: dict) -> Task:
    """Roots have no parent row to lock; on PostgreSQL two concurrent creations can compute the
    same next path, and the unique index refuses the second: take the next path and retry."""
    for attempt in range(5):
        try:
            with transaction.atomic():
                return Task.objects.add_root(dict(fields))
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _create_node(*, actor, parent: Task | None, values: dict, co_units, milestones) -> Task:
    if parent is not None:
        # Fresh and locked before validating: its due date and state are what we check against,
        # and its numchild decides the new path (two decompositions must not pick the same one).
        parent = _lock(parent)
    values = _validate_task(values, parent=parent, co_units=co_units)
    milestones = _validate_milestones(milestones, values.get("due_date"))
    fields = {k: v for k, v in values.items() if k in TASK_FIELDS}
    Task(**fields, path="x", depth=1).full_clean(exclude=["path", "depth", "numchild"], validate_unique=False,
                                                 validate_constraints=False)
    fields["created_by"] = actor
    fields["search_bigrams"] = search.bigrams(fields.get("title", ""), fields.get("detail", ""))
    if parent is not None:
        task = Task.objects.add_child(parent, fields)
    else:
        task = _add_root(fields)
    if co_units:
        task.co_units.set(co_units)
    Milestone.objects.bulk_create([Milestone(task=task, **m) for m in milestones])
    return task


# What a child takes from its parent when the 督查室 leaves it empty (the same source and category
# as the goal it serves); handing over fills the same gaps (services/transitions.py).
INHERITED = ("category", "source")


def _inherit(values: dict, parent: Task | None) -> dict:
    if parent is None:
        return values
    for field in INHERITED:
        if values.get(field) is None and getattr(parent, f"{field}_id") is not None:
            values[field] = getattr(parent, field)
    return values


@transaction.atomic
def task_create(*, actor, title: str, parent: Task | None = None, co_units=(), milestones=(), **values) -> Task:
    """A new task in draft, as a root (a goal) or under ``parent``."""
    _require(actor, permissions.TASKS_MANAGE)
    unknown = set(values) - set(TASK_FIELDS)
    if unknown:
        raise ValidationError(_("不能设置字段:%(fields)s。") % {"fields": "、".join(sorted(unknown))})
    co_units = list(co_units or [])
    values = _inherit(dict(values), parent)
    task = _create_node(actor=actor, parent=parent, values={"title": title, **values}, co_units=co_units,
                        milestones=milestones)
    _ledger_task("task_create", task, {"parent": parent.pk if parent else None,
                                       "fields": _fields_for_ledger({"title": task.title, **values}),
                                       "co_units": [u.pk for u in co_units]}, actor=actor)
    return task


@transaction.atomic
def task_decompose(*, actor, parent: Task, children: list[dict]) -> list[Task]:
    """Create several children of ``parent`` at once (分解): all or nothing, one ledger entry each."""
    _require(actor, permissions.TASKS_MANAGE)
    if not children:
        raise ValidationError(_("请至少填写一个下级任务。"))
    parent = _lock(parent)
    created = []
    for i, child in enumerate(children, start=1):
        child = _inherit(dict(child), parent)
        co_units = list(child.pop("co_units", []) or [])
        milestones = child.pop("milestones", []) or []
        unknown = set(child) - set(TASK_FIELDS)
        if unknown:
            raise ValidationError(_("第 %(n)s 个下级任务:不能设置字段 %(fields)s。")
                                  % {"n": i, "fields": "、".join(sorted(unknown))})
        try:
            created.append((_create_node(actor=actor, parent=parent, values=child, co_units=co_units,
                                         milestones=milestones), child, co_units))
        except ValidationError as exc:
            raise ValidationError(_("第 %(n)s 个下级任务:%(error)s") % {"n": i, "error": ";".join(exc.messages)}) from None
        parent.refresh_from_db()
    for task, child, co_units in created:
        _ledger_task("task_create", task, {"parent": parent.pk, "fields": _fields_for_ledger(child),
                                           "co_units": [u.pk for u in co_units]}, actor=actor)
    return [task for task, _child, _co in created]


@transaction.atomic
def task_update(*, actor, task: Task, expected_version: int | None = None, co_units=None, milestones=None,
                **changes) -> Task:
    """Edit a task's fields (督查室). A closed task changes only through ``reopen`` (AC-08)."""
    _require(actor, permissions.TASKS_MANAGE)
    unknown = set(changes) - set(TASK_FIELDS)
    if unknown:
        raise ValidationError(_("不能设置字段:%(fields)s。") % {"fields": "、".join(sorted(unknown))})
    expected_version = task.version if expected_version is None else expected_version
    current = _lock(task)
    if current.version != expected_version:
        raise ConcurrentEditError()
    if current.status in CLOSED_STATUSES:
        raise ValidationError(_("任务已办结或中止,不能修改;如需修改请先重新打开。"), code="closed")
    parent = Task.objects.get_parent(current)
    changes = _validate_task(changes, parent=parent, task=current, co_units=co_units)
    if milestones is not None:
        milestones = _validate_milestones(milestones, changes.get("due_date", current.due_date))
    elif changes.get("due_date") is not None:
        late = current.milestones.filter(date__gt=changes["due_date"]).order_by("date").first()
        if late is not None:
            raise ValidationError({"due_date": _("节点“%(name)s”的时间不能晚于完成时限。") % {"name": late.name}})
    if "due_date" in changes and changes["due_date"] != current.due_date and current.status != S.DRAFT \
            and current.original_due_date is None:
        changes["original_due_date"] = current.due_date
    before = snapshot(current, changes.keys())
    for name, value in changes.items():
        setattr(current, name, value)
    current.full_clean(exclude=["path", "depth", "numchild"], validate_unique=False)
    saved_fields = list(changes)
    if "title" in changes or "detail" in changes:
        current.search_bigrams = search.bigrams(current.title, current.detail)
        saved_fields.append("search_bigrams")
    save_versioned(current, expected_version=expected_version, fields=saved_fields)
    extra = {}
    if co_units is not None:
        old = sorted(current.co_units.values_list("pk", flat=True))
        current.co_units.set(co_units)
        new = sorted(u.pk for u in co_units)
        if old != new:
            extra["co_units"] = [old, new]
    if milestones is not None:
        old = [(m.name, str(m.date), m.done) for m in current.milestones.all()]
        current.milestones.all().delete()
        Milestone.objects.bulk_create([Milestone(task=current, **m) for m in milestones])
        new = [(m["name"], str(m["date"]), m["done"]) for m in milestones]
        if old != new:
            extra["milestones"] = [old, new]
    if current.status != S.DRAFT:
        # Units that newly carry an issued task learn of it as if it had just been assigned.
        newcomers = []
        if "lead_unit" in changes and before.get("lead_unit") != current.lead_unit_id:
            newcomers.append(current.lead_unit)
        if "co_units" in extra:
            added = set(extra["co_units"][1]) - set(extra["co_units"][0])
            newcomers += [u for u in co_units if u.pk in added]
        _notify(actor=actor, task=current, kind=NotificationKind.ASSIGNED, units=newcomers, message=current.title,
                body=_("完成时限:%(due)s。请及时签收。") % {"due": current.due_date})
    diff = ledger.diff(before, snapshot(current, changes.keys()))
    _ledger_task("task_update", current, {"changes": diff, **extra}, actor=actor)
    _sync(task, current)
    return current


@transaction.atomic
def task_move(*, actor, task: Task, parent: Task | None, expected_version: int | None = None) -> Task:
    """Re-parent a task (with its subtree). Moving under itself or a descendant is refused."""
    _require(actor, permissions.TASKS_MANAGE)
    current = _lock(task)
    expected_version = task.version if expected_version is None else expected_version
    if current.version != expected_version:
        raise ConcurrentEditError()
    if parent is not None:
        parent = _lock(parent)
        if parent.path.startswith(current.path):
            raise ValidationError({"parent": _("不能把任务移到它自己或它的下级任务之下。")}, code="cycle")
        if parent.status in CLOSED_STATUSES:
            raise ValidationError({"parent": _("上级任务已办结或中止,不能再添加下级任务。")})
        if current.due_date and parent.due_date and current.due_date > parent.due_date:
            raise ValidationError({"parent": _("该任务的完成时限晚于新上级任务的完成时限。")})
    old_parent = Task.objects.get_parent(current)
    if (old_parent.pk if old_parent else None) == (parent.pk if parent else None):
        return current
    save_versioned(current, expected_version=expected_version, fields=[])
    if parent is not None:
        Task.objects.move(current, parent, "last-child")
    else:
        Task.objects.move(current, Task.objects.get_last_root_node(), "last-sibling")
    current.refresh_from_db()
    _ledger_task("task_move", current, {"from_parent": old_parent.pk if old_parent else None,
                                        "to_parent": parent.pk if parent else None}, actor=actor)
    _sync(task, current)
    return current



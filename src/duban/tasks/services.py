"""Every change to sources and tasks goes through these functions: validated, atomic, ledgered.

Rules (docs/architecture.md): keyword-only, one transaction each, ValidationError /
PermissionDenied with Chinese messages and nothing changed on refusal, and exactly one ledger
entry per change appended as the last statement of the transaction. Task rows are written with
``save_versioned`` so a stale edit or transition is refused (ConcurrentEditError), never lost.
State transitions are applied from the table in duban.tasks.statemachine and nowhere else.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.core import ledger, permissions
from duban.core.services import ConcurrentEditError, save_versioned, snapshot
from duban.orgs.models import Person, Post, Unit
from duban.tasks import evidence as evidence_files
from duban.tasks import lights, search, statemachine
from duban.tasks.models import (
    CLOSED_STATUSES,
    Category,
    Evidence,
    ExtensionRequest,
    ExtensionStatus,
    Instruction,
    Milestone,
    Notification,
    NotificationKind,
    NotificationRead,
    ProgressReport,
    ReportCycle,
    ReportKind,
    Source,
    SourceKind,
    Task,
    TaskPolicy,
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
    notices = [Notification(unit=unit, task=task, kind=kind, message=message[:500], dedupe_key=dedupe_key)
               for unit in units if unit is not None]
    return Notification.objects.bulk_create(notices)


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


# --- categories, policy -----------------------------------------------------------------------
@transaction.atomic
def category_create(*, actor, name: str, sort_order: int = 0) -> Category:
    _require(actor, permissions.TASKS_MANAGE)
    name = _clean_text(name, "name", required=True, max_length=50, label=_("类别名称"))
    if Category.objects.filter(name=name).exists():
        raise ValidationError({"name": _("类别“%(name)s”已存在。") % {"name": name}})
    category = Category.objects.create(name=name, sort_order=sort_order)
    ledger.append(event="category_create", obj=category, data={"name": name, "sort_order": sort_order}, actor=actor)
    return category


@transaction.atomic
def policy_update(*, actor, yellow_days: int, report_todo_days: int, expected_version: int | None = None) -> TaskPolicy:
    _require(actor, permissions.TASKS_MANAGE)
    policy, _created = TaskPolicy.objects.get_or_create(pk=1)
    for field, value, top in (("yellow_days", yellow_days, 365), ("report_todo_days", report_todo_days, 60)):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= top:
            raise ValidationError({field: _("请填写 0 到 %(n)s 之间的整数。") % {"n": top}})
    before = {"yellow_days": policy.yellow_days, "report_todo_days": policy.report_todo_days}
    policy.yellow_days, policy.report_todo_days = yellow_days, report_todo_days
    save_versioned(policy, expected_version=expected_version, fields=["yellow_days", "report_todo_days"])
    ledger.append(event="task_policy_update", obj=policy,
                  data={"changes": ledger.diff(before, {"yellow_days": yellow_days,
                                                        "report_todo_days": report_todo_days})}, actor=actor)
    return policy


# --- sources ----------------------------------------------------------------------------------
def _text_hash(text: str) -> str:
    normalised = re.sub(r"\s+", "", text or "")
    return hashlib.sha256(normalised.encode()).hexdigest() if normalised else ""


@transaction.atomic
def source_create(*, actor, kind: str, title: str, date: date | None = None, issuer: str = "",
                  doc_number: str = "", text: str = "", file=None) -> Source:
    """A source (来源). The same text or file imported twice is refused, naming the first import."""
    _require(actor, permissions.TASKS_MANAGE)
    title = _clean_text(title, "title", required=True, max_length=200, label=_("标题"))
    if kind not in SourceKind.values:
        raise ValidationError({"kind": _("来源类型不正确。")})
    issuer = _clean_text(issuer, "issuer", required=False, max_length=100, label=_("发文/讲话单位或人"))
    doc_number = _clean_text(doc_number, "doc_number", required=False, max_length=100, label=_("文号"))
    text = text or ""
    checked = evidence_files.check_upload(file) if file is not None else None
    content_hash = _text_hash(text) or (checked.sha256 if checked else "")
    if content_hash:
        existing = Source.objects.filter(content_hash=content_hash).first()
        if existing is not None:
            raise ValidationError(
                {"text" if text else "file": _("该来源已导入过:“%(title)s”。") % {"title": existing.title}},
                code="duplicate_source")
    source = Source(kind=kind, title=title, date=date, issuer=issuer, doc_number=doc_number, text=text,
                    content_hash=content_hash, created_by=actor,
                    file_name=checked.original_name if checked else "")
    source.full_clean(exclude=["file", "content_hash"])
    with evidence_files.stored([]) as _names:
        if checked is not None:
            name = default_storage.save(f"sources/{evidence_files.storage_name_for(checked.file_type)[9:]}",
                                        ContentFile(checked.data))
            _names.append(name)
            source.file.name = name
        try:
            source.save()
        except IntegrityError:  # a concurrent import of the same document won the race
            raise ValidationError({"text": _("该来源已导入过。")}, code="duplicate_source") from None
        ledger.append(event="source_create", obj=source,
                      data={"kind": kind, "title": title, "date": str(date) if date else None,
                            "content_hash": content_hash}, actor=actor)
    return source


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


@transaction.atomic
def task_create(*, actor, title: str, parent: Task | None = None, co_units=(), milestones=(), **values) -> Task:
    """A new task in draft, as a root (a goal) or under ``parent``."""
    _require(actor, permissions.TASKS_MANAGE)
    unknown = set(values) - set(TASK_FIELDS)
    if unknown:
        raise ValidationError(_("不能设置字段:%(fields)s。") % {"fields": "、".join(sorted(unknown))})
    co_units = list(co_units or [])
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
        child = dict(child)
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
        _notify(current, newcomers, NotificationKind.ASSIGNED, current.title)
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


# --- transitions ------------------------------------------------------------------------------
def _open_children(task: Task) -> int:
    return Task.objects.filter(path__startswith=task.path, depth=task.depth + 1).exclude(
        status__in=CLOSED_STATUSES).count()


@transaction.atomic
def task_transition(*, actor, task: Task, name: str, reason: str = "", expected_version: int | None = None,
                    narrative: str = "", files=(), percent: int = 100, quantity=None) -> Task:
    """Apply the transition ``name`` from the table in statemachine.TRANSITIONS.

    Refusals raise PermissionDenied (who) or ValidationError (state, inputs) before anything is
    written; a stale ``expected_version`` raises ConcurrentEditError."""
    transition = statemachine.get(name)
    expected_version = task.version if expected_version is None else expected_version
    current = _lock(task)
    if current.version != expected_version:
        raise ConcurrentEditError()
    statemachine.check(actor, transition, current)
    reason = _clean_text(reason, "reason", required=transition.needs_reason, max_length=2000,
                         label=_("理由"))
    if transition.separation_of_duties and current.completion_requested_by_id == actor.pk:
        raise PermissionDenied(_("不能审核自己提交的办结申请。"))
    today = lights.today()
    now = timezone.now()
    changes: dict = {"status": transition.target}
    data: dict = {"from": current.status, "to": transition.target, "reason": reason}
    notify: tuple | None = None
    report = None
    checked = []

    if name == "assign":
        if current.lead_unit_id is None:
            raise ValidationError({"lead_unit": _("交办前请指定牵头单位。")})
        if current.due_date is None:
            raise ValidationError({"due_date": _("交办前请填写完成时限。")})
        if current.due_date < today:
            raise ValidationError({"due_date": _("完成时限已过,请先修改完成时限再交办。")})
        changes["assigned_at"] = now
        notify = (_lead_and_co_units(current), NotificationKind.ASSIGNED)
    elif name == "acknowledge":
        changes["acknowledged_at"] = now
        changes["next_report_due"] = lights.next_report_date(current.reporting_cycle, today)
    elif name == "start":
        if current.next_report_due is None:
            changes["next_report_due"] = lights.next_report_date(current.reporting_cycle, today)
    elif name == "request_completion":
        narrative = _clean_text(narrative, "narrative", required=True, max_length=10000, label=_("办结情况"))
        if not files:
            raise ValidationError({"files": _("申请办结须上传佐证材料。")})
        if _open_children(current):
            raise ValidationError(_("还有未办结的下级任务,不能申请办结。"))
        percent = _percent(percent)
        quantity = _decimal(quantity, "quantity", _("完成数量"))
        checked = evidence_files.check_uploads(files)
        changes["completion_requested_by"] = actor
        changes["next_report_due"] = None
    elif name == "approve":
        if _open_children(current):
            raise ValidationError(_("还有未办结或未中止的下级任务,不能办结。"), code="open_children")
        changes["completed_at"] = now
        changes["next_report_due"] = None
        notify = ([current.lead_unit], NotificationKind.COMPLETED)
    elif name == "return":
        changes["completion_requested_by"] = None
        changes["next_report_due"] = lights.next_report_date(current.reporting_cycle, today)
        notify = ([current.lead_unit], NotificationKind.RETURNED)
    elif name == "cancel":
        if _open_children(current):
            raise ValidationError(_("还有未办结或未中止的下级任务,请先处理下级任务。"), code="open_children")
        changes["next_report_due"] = None
        changes["completion_requested_by"] = None
        notify = (_lead_and_co_units(current), NotificationKind.CANCELLED) if current.lead_unit_id else None
    elif name == "reopen":
        parent = Task.objects.get_parent(current)
        if parent is not None and parent.status in CLOSED_STATUSES:
            raise ValidationError(_("上级任务已办结或中止,请先重新打开上级任务。"))
        changes["completed_at"] = None
        changes["completion_requested_by"] = None
        changes["next_report_due"] = lights.next_report_date(current.reporting_cycle, today)

    for field, value in changes.items():
        setattr(current, field, value)
    with evidence_files.stored(checked) as names:
        save_versioned(current, expected_version=expected_version, fields=list(changes))
        if name == "request_completion":
            report = ProgressReport.objects.create(task=current, kind=ReportKind.COMPLETION,
                                                   unit=_acting_unit(actor, current), author=actor,
                                                   narrative=narrative, percent=percent, quantity=quantity)
            _evidence_rows(current, report, actor, checked, names)
            data["report"] = report.pk
            data["files"] = [{"name": f.original_name, "sha256": f.sha256, "size": f.size} for f in checked]
        if notify:
            _notify(current, notify[0], notify[1], current.title)
        _ledger_task(f"task_{name}", current, data, actor=actor)
    _sync(task, current)
    return current


def task_assign(*, actor, task, expected_version=None):
    return task_transition(actor=actor, task=task, name="assign", expected_version=expected_version)


@transaction.atomic
def task_assign_subtree(*, actor, task: Task) -> list[Task]:
    """Assign a decomposed goal in one step: every draft in the subtree, top-down, all or
    nothing (one ``task_assign`` ledger entry per task). Tasks already issued are left as they
    are. Every refusal is collected and reported together, naming the task."""
    _require(actor, permissions.TASKS_MANAGE)
    drafts = list(Task.objects.filter(path__startswith=task.path, status=S.DRAFT).order_by("path"))
    if not drafts:
        raise ValidationError(_("该任务及其下级任务中没有待交办的草稿。"), code="nothing_to_assign")
    assigned, errors = [], []
    for draft in drafts:
        try:
            with transaction.atomic():
                assigned.append(task_transition(actor=actor, task=draft, name="assign"))
        except ValidationError as exc:
            errors.append(_("“%(title)s”:%(error)s") % {"title": draft.title, "error": ";".join(exc.messages)})
    if errors:
        raise ValidationError(errors)
    return assigned


def task_acknowledge(*, actor, task, expected_version=None):
    return task_transition(actor=actor, task=task, name="acknowledge", expected_version=expected_version)


def task_start(*, actor, task, expected_version=None):
    return task_transition(actor=actor, task=task, name="start", expected_version=expected_version)


def task_request_completion(*, actor, task, narrative, files, percent=100, quantity=None, expected_version=None):
    return task_transition(actor=actor, task=task, name="request_completion", narrative=narrative, files=files,
                           percent=percent, quantity=quantity, expected_version=expected_version)


def task_approve(*, actor, task, reason="", expected_version=None):
    return task_transition(actor=actor, task=task, name="approve", reason=reason, expected_version=expected_version)


def task_return(*, actor, task, reason, expected_version=None):
    return task_transition(actor=actor, task=task, name="return", reason=reason, expected_version=expected_version)


def task_cancel(*, actor, task, reason, expected_version=None):
    return task_transition(actor=actor, task=task, name="cancel", reason=reason, expected_version=expected_version)


def task_reopen(*, actor, task, reason, expected_version=None):
    return task_transition(actor=actor, task=task, name="reopen", reason=reason, expected_version=expected_version)


# --- reports and evidence ---------------------------------------------------------------------
def _percent(value) -> int:
    if isinstance(value, bool):
        value = None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or not 0 <= value <= 100:
        raise ValidationError({"percent": _("完成进度应为 0 到 100 之间的整数。")})
    return value


def _acting_unit(user, task: Task) -> Unit:
    """The unit a report is filed for: the lead unit if the user acts for it, else their co-unit."""
    if statemachine.acts_for_lead(user, task):
        return task.lead_unit
    own = user.unit
    co = task.co_units.filter(path__startswith=own.path).order_by("depth").first()
    return co or own


def _evidence_rows(task, report, actor, checked, names) -> list[Evidence]:
    return [Evidence.objects.create(task=task, report=report, original_name=f.original_name, storage_name=name,
                                    file_type=f.file_type, content_type=f.content_type, size=f.size,
                                    sha256=f.sha256, uploaded_by=actor)
            for f, name in zip(checked, names, strict=True)]


@transaction.atomic
def report_submit(*, actor, task: Task, narrative: str, percent=0, quantity=None, files=(),
                  corrects: ProgressReport | None = None) -> ProgressReport:
    """A progress report (进展) by the lead unit or a co-unit. A report on an acknowledged task
    starts it. Reports are appended, never edited: a correction names the report it corrects.

    Reports do not bump the task's version: they are appends, not edits, so a report never makes
    a colleague's open edit form stale. The row is locked so a report cannot slip in after a
    completion review."""
    current = _lock(task)
    statemachine.check_actor(actor, statemachine.PARTICIPANT, current, _("报送进展"))
    if current.status not in statemachine.REPORTABLE:
        raise ValidationError(_("任务当前状态为“%(status)s”,不能报送进展。") % {"status": current.get_status_display()},
                              code="bad_state")
    narrative = _clean_text(narrative, "narrative", required=True, max_length=10000, label=_("进展情况"))
    percent = _percent(percent)
    quantity = _decimal(quantity, "quantity", _("完成数量"))
    if corrects is not None:
        if corrects.task_id != current.pk:
            raise ValidationError({"corrects": _("只能更正本任务的报告。")})
        if corrects.kind != ReportKind.PROGRESS:
            raise ValidationError({"corrects": _("办结申请不能通过进展报告更正。")})
    checked = evidence_files.check_uploads(files)
    today = lights.today()
    data = {"percent": percent, "quantity": str(quantity) if quantity is not None else None,
            "corrects": corrects.pk if corrects else None,
            "files": [{"name": f.original_name, "sha256": f.sha256, "size": f.size} for f in checked]}
    updates: dict = {}
    if current.status == S.ACKNOWLEDGED:
        updates["status"] = S.IN_PROGRESS
        data["from"], data["to"] = S.ACKNOWLEDGED, S.IN_PROGRESS
    if current.status != S.COMPLETION_REQUESTED:
        updates["next_report_due"] = lights.next_report_date(current.reporting_cycle, today)
    with evidence_files.stored(checked) as names:
        report = ProgressReport.objects.create(task=current, kind=ReportKind.PROGRESS,
                                               unit=_acting_unit(actor, current), author=actor,
                                               narrative=narrative, percent=percent, quantity=quantity,
                                               corrects=corrects)
        _evidence_rows(current, report, actor, checked, names)
        for field, value in updates.items():
            setattr(current, field, value)
        if "status" in updates:  # a state change: concurrent editors must reload
            save_versioned(current, expected_version=current.version, fields=list(updates))
        elif updates:
            Task.objects.filter(pk=current.pk).update(**updates)
        data["report"] = report.pk
        _ledger_task("task_report", current, data, actor=actor)
    _sync(task, current)
    return report


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
    _notify(task, [task.lead_unit], NotificationKind.EXTENSION_DECIDED, task.title)
    _ledger_task("task_extension_approve" if approve else "task_extension_refuse", task, data, actor=actor)
    _sync(extension, current_ext)
    return current_ext


# --- exports ----------------------------------------------------------------------------------
def tasks_export(*, actor, queryset, title=None) -> bytes:
    """The 台账 (the filtered responsibility list) as .xlsx, recorded in the ledger with its row
    count (AU-01): who took which part of the list out of the system, and when."""
    from duban.tasks import excel  # excel's import side uses these services

    rows = queryset.count()
    data = excel.export_tasks(queryset, title=title)
    ledger.append(event="tasks_exported", actor=actor, object_type="tasks.export", data={"rows": rows})
    return data


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


def evidence_open(*, user, evidence: Evidence) -> bytes:
    """The bytes of an evidence file the user may see (fetch it with
    selectors.evidence_get_for_user first). A digest mismatch raises EvidenceIntegrityError after
    recording ``integrity_failure``; the download view answers with a generic error."""
    data = evidence_files.read_verified(evidence)
    return data

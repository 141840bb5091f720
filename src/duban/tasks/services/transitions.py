"""State transitions, applied from the table in duban.tasks.statemachine and nowhere else."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.core import permissions
from duban.core.services import ConcurrentEditError, save_versioned
from duban.tasks import evidence as evidence_files
from duban.tasks import lights, statemachine
from duban.tasks.models import (
    CLOSED_STATUSES,
    NotificationKind,
    ProgressReport,
    ReportKind,
    Task,
)
from duban.tasks.services._common import (
    S,
    _clean_text,
    _decimal,
    _lead_and_co_units,
    _ledger_task,
    _lock,
    _notify,
    _require,
    _sync,
)
from duban.tasks.services.reports import _acting_unit, _evidence_rows, _percent, progress_follows
from duban.tasks.services.tree import INHERITED, task_update

KEEP = object()  # task_assign: leave the field as it is


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
    notify: dict | None = None
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
        inherited = _inherited(current)
        changes.update(inherited)
        if inherited:
            data["inherited"] = {field: value.pk for field, value in inherited.items()}
        body = _("完成时限:%(due)s。请及时签收。") % {"due": current.due_date}
        if reason:
            body = _("交办意见:%(remarks)s") % {"remarks": reason} + "\n" + body
        notify = {"units": _lead_and_co_units(current), "kind": NotificationKind.ASSIGNED, "body": body,
                  "copy_responsible_leader": True}
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
        changes["returned_at"] = None
        changes["return_reason"] = ""
    elif name == "approve":
        if _open_children(current):
            raise ValidationError(_("还有未办结或未中止的下级任务,不能办结。"), code="open_children")
        changes["completed_at"] = now
        changes["next_report_due"] = None
        notify = {"units": [current.lead_unit], "kind": NotificationKind.COMPLETED,
                  "body": reason or _("办结申请已审核通过,任务已办结。"), "copy_responsible_leader": True}
    elif name == "return":
        changes["completion_requested_by"] = None
        changes["next_report_due"] = lights.next_report_date(current.reporting_cycle, today)
        changes["returned_at"] = now
        changes["return_reason"] = reason
        notify = {"units": [current.lead_unit], "kind": NotificationKind.RETURNED,
                  "body": _("退回理由:%(reason)s") % {"reason": reason}}
    elif name == "cancel":
        if _open_children(current):
            raise ValidationError(_("还有未办结或未中止的下级任务,请先处理下级任务。"), code="open_children")
        changes["next_report_due"] = None
        changes["completion_requested_by"] = None
        changes["returned_at"] = None
        notify = ({"units": _lead_and_co_units(current), "kind": NotificationKind.CANCELLED}
                  if current.lead_unit_id else None)
    elif name == "reopen":
        parent = Task.objects.get_parent(current)
        if parent is not None and parent.status in CLOSED_STATUSES:
            raise ValidationError(_("上级任务已办结或中止,请先重新打开上级任务。"))
        changes["completed_at"] = None
        changes["completion_requested_by"] = None
        changes["returned_at"] = None
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
            progress_follows(current, report)
            data["report"] = report.pk
            data["files"] = [{"name": f.original_name, "sha256": f.sha256, "size": f.size} for f in checked]
        if notify:
            _notify(actor=actor, task=current, message=current.title, **notify)
        _ledger_task(f"task_{name}", current, data, actor=actor)
    if name == "assign":
        _ancestors_follow(actor=actor, task=current, now=now)
    _sync(task, current)
    return current


def _inherited(task: Task) -> dict:
    """The category and source a task handed over without them takes from its nearest ancestor
    that has them (the same rule as task_create's)."""
    missing = [field for field in INHERITED if getattr(task, f"{field}_id") is None]
    if not missing or task.depth == 1:
        return {}
    found = {}
    for ancestor in reversed(list(Task.objects.get_ancestors(task).select_related(*INHERITED))):
        for field in missing:
            if field not in found and getattr(ancestor, f"{field}_id") is not None:
                found[field] = getattr(ancestor, field)
    return found


def _ancestors_follow(*, actor, task: Task, now) -> None:
    """A parent follows its children: once a task is handed over, every ancestor that is still a
    draft is handed over too (top-down, one ``task_assign`` entry each, ``follows`` naming the
    child), so no draft sits above issued work. An ancestor without a lead unit is issued
    without a notice (it has nobody to tell; naming a lead unit later tells it, as task_update
    does for any issued task)."""
    if task.depth == 1:
        return
    drafts = list(Task.objects.get_ancestors(task).filter(status=S.DRAFT).values_list("pk", flat=True))
    for pk in drafts:
        ancestor = _lock(Task(pk=pk))
        if ancestor.status != S.DRAFT:
            continue
        ancestor.status = S.ASSIGNED
        ancestor.assigned_at = now
        save_versioned(ancestor, expected_version=ancestor.version, fields=["status", "assigned_at"])
        if ancestor.lead_unit_id:
            _notify(actor=actor, task=ancestor, kind=NotificationKind.ASSIGNED, units=_lead_and_co_units(ancestor),
                    message=ancestor.title, copy_responsible_leader=True,
                    body=_("完成时限:%(due)s。请及时签收。") % {"due": ancestor.due_date or "—"})
        _ledger_task("task_assign", ancestor, {"from": S.DRAFT, "to": S.ASSIGNED, "reason": "", "follows": task.pk},
                     actor=actor)


def _draft_descendants(task: Task, children) -> list[Task]:
    wanted = sorted({getattr(c, "pk", c) for c in children or ()})
    if not wanted:
        return []
    found = list(Task.objects.filter(pk__in=wanted, path__startswith=task.path, depth__gt=task.depth,
                                     status=S.DRAFT).order_by("path"))
    if len(found) != len(wanted):
        raise ValidationError({"children": _("所选下级任务不存在、不属于该任务或已交办,请刷新页面后重试。")},
                              code="bad_children")
    return found


@transaction.atomic
def task_assign(*, actor, task, expected_version=None, remarks: str = "", lead_unit=KEEP, co_units=None,
                responsible_post=KEEP, children=()) -> Task:
    """交办 as an office does it, in one call, all or nothing.

    The receiving units are chosen on the way: ``lead_unit`` / ``co_units`` / ``responsible_post``
    change the draft first (through task_update, its own ``task_update`` entry) when they differ.
    ``remarks`` (交办意见) go into the ``task_assign`` entry (``reason``) and into the notice to
    the receiving units. ``children``: draft descendants handed over with it (cascade), each with
    the same remarks and its own ``task_assign`` entry; every refusal is collected and reported
    together (field ``children``), naming the task. A child takes the parent's category and
    source if it has none, and a draft parent above a handed-over task follows it."""
    _require(actor, permissions.TASKS_MANAGE)
    remarks = _clean_text(remarks, "remarks", required=False, max_length=2000, label=_("交办意见"))
    expected_version = task.version if expected_version is None else expected_version
    changes: dict = {}
    if lead_unit is not KEEP and (getattr(lead_unit, "pk", None) != task.lead_unit_id):
        changes["lead_unit"] = lead_unit
    if responsible_post is not KEEP and getattr(responsible_post, "pk", None) != task.responsible_post_id:
        changes["responsible_post"] = responsible_post
    co = None
    if co_units is not None:
        co = list(co_units)
        if sorted(u.pk for u in co) != sorted(task.co_units.values_list("pk", flat=True)):
            changes["co_units"] = co
    if changes:
        if task.status != S.DRAFT:
            statemachine.check(actor, statemachine.get("assign"), _lock(task))  # the state's refusal, not an edit's
        task = task_update(actor=actor, task=task, expected_version=expected_version, **changes)
        expected_version = task.version
    descendants = _draft_descendants(task, children)
    assigned = task_transition(actor=actor, task=task, name="assign", reason=remarks,
                               expected_version=expected_version)
    errors = []
    for child in descendants:
        try:
            with transaction.atomic():
                child.refresh_from_db()
                if child.status == S.DRAFT:  # an intermediate child may already have followed
                    task_transition(actor=actor, task=child, name="assign", reason=remarks)
        except ValidationError as exc:
            errors.append(_("“%(title)s”:%(error)s") % {"title": child.title, "error": ";".join(exc.messages)})
    if errors:
        raise ValidationError({"children": errors})
    return assigned


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



"""REST API for sources, tasks, reports, transitions and extensions (django-ninja).

The same selectors and services as the UI: objects come from the scoped getters (404 outside
the user's subtree), every change is a service call, and service refusals map to HTTP:
ValidationError → 400 (with field errors), PermissionDenied → 403, ConcurrentEditError → 409
(with the current version), a file over the size limit → 413. Request schemas forbid unknown
fields (400), so a client cannot set ``status`` or ``version`` by adding them to a body (AC-07).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from urllib.parse import quote

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema
from ninja.errors import HttpError
from ninja.errors import ValidationError as RequestValidationError
from ninja.files import UploadedFile
from pydantic import ConfigDict
from pydantic import ValidationError as PydanticValidationError

from duban.core import permissions
from duban.core.api_auth import require
from duban.core.services import ConcurrentEditError
from duban.orgs import selectors as org_selectors
from duban.orgs.models import Person, Unit
from duban.orgs.selectors import acting_holders
from duban.tasks import evidence as evidence_files
from duban.tasks import lights, selectors, services, statemachine, ui_queries
from duban.tasks.lights import light_for
from duban.tasks.models import Category, Evidence, ExtensionRequest, ProgressReport, Task, TaskStatus

# Function permissions in the auth step (duban.core.api_auth): 403 before the body is read. Scoping
# and the state machine's finer rules stay in the selectors and services.
VIEW = require(permissions.TASKS_VIEW)
MANAGE = require(permissions.TASKS_MANAGE)
HANDLE = require(permissions.TASKS_HANDLE)
ACT = require(permissions.TASKS_MANAGE, permissions.TASKS_HANDLE)
INSTRUCT = require(permissions.TASKS_INSTRUCT)
router = Router(tags=["tasks"], auth=VIEW)


# Errors: raised, and answered by the shared dialect (duban.api.errors): 400 field-keyed, 413,
# 409 with a code, 403/404 {"detail"}.


def _need(request, perm: str) -> None:
    if not permissions.can(request.auth, perm):
        raise HttpError(403, "permission_denied")


def _user(request):
    return request.auth


# --- schemas ----------------------------------------------------------------------------------
class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class Ref(Schema):
    id: int
    name: str


class ErrorOut(Schema):
    detail: str
    errors: dict | None = None


class SourceIn(Strict):
    kind: str
    title: str
    date: dt.date | None = None
    issuer: str = ""
    doc_number: str = ""
    text: str = ""


class SourceOut(Schema):
    id: int
    kind: str
    title: str
    date: dt.date | None
    issuer: str
    doc_number: str
    content_hash: str


class MilestoneIn(Strict):
    name: str
    date: dt.date
    done: bool = False


class ChildIn(Strict):
    """A task's own fields: what a decomposition row carries."""

    title: str
    detail: str = ""
    category: int | None = None
    lead_unit: int | None = None
    co_units: list[int] = []
    responsible_leader: int | None = None
    responsible_post: int | None = None
    start_date: dt.date | None = None
    due_date: dt.date | None = None
    reporting_cycle: str = "monthly"
    target_number: Decimal | None = None
    target_measure: str = ""
    target_object: str = ""
    milestones: list[MilestoneIn] = []


class TaskIn(ChildIn):
    """A new task: its fields plus where it sits (parent) and what it comes from (source)."""

    parent: int | None = None
    source: int | None = None


class DecomposeIn(Strict):
    children: list[ChildIn]


class TaskPatch(Strict):
    version: int
    title: str | None = None
    detail: str | None = None
    category: int | None = None
    source: int | None = None
    lead_unit: int | None = None
    co_units: list[int] | None = None
    responsible_leader: int | None = None
    responsible_post: int | None = None
    start_date: dt.date | None = None
    due_date: dt.date | None = None
    reporting_cycle: str | None = None
    target_number: Decimal | None = None
    target_measure: str | None = None
    target_object: str | None = None
    milestones: list[MilestoneIn] | None = None


class MoveIn(Strict):
    version: int
    parent: int | None = None


class TaskOut(Schema):
    id: int
    number: str
    parent_id: int | None
    depth: int
    title: str
    detail: str
    status: str
    status_label: str
    light: str
    category: Ref | None
    source_id: int | None
    lead_unit: Ref | None
    co_units: list[Ref]
    responsible_leader: Ref | None
    responsible_post: Ref | None
    acting_person: Ref | None
    start_date: dt.date | None
    due_date: dt.date | None
    original_due_date: dt.date | None
    reporting_cycle: str
    next_report_due: dt.date | None
    target_number: Decimal | None
    target_measure: str
    target_object: str
    latest_percent: int | None
    version: int


class TaskListOut(Schema):
    """``count``: the rows that match, counted up to 1,000; above that ``count`` is 1000 and
    ``count_exact`` false (a province's red list is 100,000 rows: its exact COUNT cost 0.7 s,
    more than the page; page on with ``offset`` while ``items`` is full)."""

    count: int
    count_exact: bool = True
    items: list[TaskOut]


class EvidenceOut(Schema):
    id: int
    original_name: str
    file_type: str
    size: int
    sha256: str


class ReportOut(Schema):
    id: int
    kind: str
    unit: Ref
    author: str
    narrative: str
    quantity: Decimal | None
    percent: int
    corrects_id: int | None
    submitted_at: str
    evidence: list[EvidenceOut]


class TimelineOut(Schema):
    seq: int
    at: str
    event: str
    actor: str
    data: dict


class ExtensionOut(Schema):
    id: int
    task_id: int
    status: str
    current_due: dt.date
    requested_due: dt.date
    reason: str
    requested_by: str
    decision_reason: str
    version: int


class MilestoneOut(Schema):
    id: int
    name: str
    date: dt.date
    done: bool


class InstructionOut(Schema):
    id: int
    author: str
    text: str
    created_at: str
    reply_due: str | None = None
    replied_at: str | None = None
    reply_text: str = ""
    reply_late: bool = False


class UnitProgressOut(Schema):
    """A co-unit's own progress: its latest report (never the task's progress, which is the lead
    unit's: ``latest_percent``)."""

    unit: Ref
    percent: int
    report_id: int
    submitted_at: str


class TaskDetailOut(TaskOut):
    milestones: list[MilestoneOut]
    unit_progress: list[UnitProgressOut]
    instructions: list[InstructionOut]
    children: list[TaskOut]
    timeline: list[TimelineOut]
    reports: list[ReportOut]
    extensions: list[ExtensionOut]
    transitions: list[str]


class TransitionIn(Strict):
    version: int | None = None
    reason: str = ""
    narrative: str = ""
    percent: int = 100
    quantity: Decimal | None = None


class ExtensionIn(Strict):
    requested_due: dt.date
    reason: str


class DecisionIn(Strict):
    approve: bool
    reason: str = ""
    version: int | None = None


class InstructionIn(Strict):
    text: str
    reply_days: int | None = None  # working days; default DUBAN_INSTRUCTION_REPLY_DAYS


class TaskQuery(Schema):
    unit: int | None = None
    person: int | None = None
    category: int | None = None
    status: list[str] = Field(default_factory=list)
    light: str | None = None
    due_from: dt.date | None = None
    due_to: dt.date | None = None
    source: int | None = None
    parent: int | None = None
    q: str = ""
    sort: str = "number"
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=2**31 - 1)  # larger is a 400 "取值过大", not a database error


class TodoOut(Schema):
    to_acknowledge: list[TaskOut]
    to_report: list[TaskOut]
    to_review: list[TaskOut]
    to_approve_extensions: list[ExtensionOut]


# --- serialisation ----------------------------------------------------------------------------
# Rows are read as values() (no model instances) and turned into the response dicts here; the
# read routes (the detail and the list) answer those dicts as JSON themselves (``_json``) instead
# of having django-ninja validate them against the schema again: that validation and the model
# instances were most of the detail's CPU (issue 10). The routes keep their declared response
# schema (OpenAPI unchanged) and tests/tasks/test_api_schema_fast.py checks real answers against
# it. Write routes return the same dicts through ninja as before.
def _ref(obj, name_attr="name") -> dict | None:
    return None if obj is None else {"id": obj.pk, "name": str(getattr(obj, name_attr, obj))}


def _json_default(value):
    # What ninja's encoder (DjangoJSONEncoder) makes of the values these dicts hold.
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _json(data, status: int = 200) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    return HttpResponse(body.encode(), status=status, content_type="application/json; charset=utf-8")


# The columns of a TaskOut row; the names of its category, lead unit and leader come joined in
# for one task or a few (``joined``), or by id for a page of a list (selectors.LIST_RELATED says
# why a list query does not join them).
ROW_COLUMNS = ("id", "path", "depth", "title", "detail", "status", "category_id", "source_id", "lead_unit_id",
               "responsible_leader_id", "responsible_post_id", "start_date", "due_date", "original_due_date",
               "reporting_cycle", "next_report_due", "target_number", "target_measure", "target_object",
               "latest_percent", "version")
JOINED_NAMES = ("category__name", "lead_unit__name", "responsible_leader__name")


def _task_rows(qs, *, joined: bool = False, db_light: bool = True) -> list[dict]:
    """The rows of a Task queryset as dicts; the light as annotated when ``db_light`` and the
    queryset has it (todo lists annotate their own), else computed in Python (``_tasks_out``)."""
    fields = ROW_COLUMNS + (JOINED_NAMES if joined else ())
    if db_light and "light" in qs.query.annotations:
        fields += ("light",)
    return list(qs.prefetch_related(None).values(*fields))


def _names(model, ids, attr="name") -> dict:
    ids = {i for i in ids if i is not None}
    return dict(model.objects.order_by().filter(pk__in=ids).values_list("pk", attr)) if ids else {}


def _tasks_out(tasks, today=None, *, warn_days=None, parent_id=None, extra_parents=None, posts=None) -> list[dict]:
    """TaskOut dicts from a Task queryset or from ``_task_rows`` dicts, in a fixed number of
    queries: co-units, posts with their holders, absences, and the names and parents not already
    known (``parent_id`` when every row is a child of that task; ``extra_parents``: path → id
    already read; ``posts``: the rows' posts with holders, already read)."""
    rows = tasks if isinstance(tasks, list) else _task_rows(tasks)
    if not rows:
        return []
    today = today or lights.today()
    warn_days = lights.yellow_days() if warn_days is None else warn_days
    ids = [r["id"] for r in rows]
    co_units: dict[int, list] = {}
    for task_id, unit_id, name in (Task.co_units.through.objects.filter(task_id__in=ids).order_by("unit__path")
                                   .values_list("task_id", "unit_id", "unit__name")):
        co_units.setdefault(task_id, []).append({"id": unit_id, "name": name})
    if posts is None:
        posts = selectors.posts_with_holders(r["responsible_post_id"] for r in rows)
    acting = acting_holders(posts.values()) if posts else {}
    if "category__name" in rows[0]:
        categories = units = leaders = None
    else:
        categories = _names(Category, (r["category_id"] for r in rows))
        units = _names(Unit, (r["lead_unit_id"] for r in rows))
        leaders = _names(Person, (r["responsible_leader_id"] for r in rows))
    step = Task.steplen
    parents = dict(extra_parents or {})
    if parent_id is None:
        wanted = {r["path"][:-step] for r in rows if r["depth"] > 1} - set(parents)
        if wanted:
            parents.update(Task.objects.order_by().filter(path__in=wanted).values_list("path", "pk"))
    labels = _status_labels()
    out = []
    for r in rows:
        light = r.get("light") or light_for(_Light(r), today, warn_days=warn_days)
        if categories is None:
            category, unit, leader = r["category__name"], r["lead_unit__name"], r["responsible_leader__name"]
        else:
            category, unit, leader = (categories.get(r["category_id"]), units.get(r["lead_unit_id"]),
                                      leaders.get(r["responsible_leader_id"]))
        post_id = r["responsible_post_id"]
        post = posts.get(post_id) if post_id else None
        person = acting[post_id].person if post is not None else None
        path = r["path"]
        out.append({
            "id": r["id"], "number": ".".join(str(int(path[i:i + step], 36)) for i in range(0, len(path), step)),
            "parent_id": (parent_id if parent_id is not None else parents.get(path[:-step])) if r["depth"] > 1 else None,
            "depth": r["depth"], "title": r["title"], "detail": r["detail"], "status": r["status"],
            "status_label": labels.get(r["status"], r["status"]), "light": str(light),
            "category": {"id": r["category_id"], "name": category} if r["category_id"] else None,
            "source_id": r["source_id"],
            "lead_unit": {"id": r["lead_unit_id"], "name": unit} if r["lead_unit_id"] else None,
            "co_units": co_units.get(r["id"], []),
            "responsible_leader": {"id": r["responsible_leader_id"], "name": leader} if r["responsible_leader_id"] else None,
            "responsible_post": {"id": post.pk, "name": post.title} if post is not None else None,
            "acting_person": {"id": person.pk, "name": person.name} if person is not None else None,
            "start_date": r["start_date"], "due_date": r["due_date"], "original_due_date": r["original_due_date"],
            "reporting_cycle": r["reporting_cycle"], "next_report_due": r["next_report_due"],
            "target_number": r["target_number"], "target_measure": r["target_measure"],
            "target_object": r["target_object"], "latest_percent": r["latest_percent"], "version": r["version"],
        })
    return out


class _Light:
    """What lights.light_for reads of a task, from a row dict."""

    __slots__ = ("due_date", "next_report_due", "status")

    def __init__(self, row):
        self.status, self.due_date, self.next_report_due = row["status"], row["due_date"], row["next_report_due"]


def _status_labels() -> dict:
    return {value: str(label) for value, label in TaskStatus.choices}  # in the request's language


def _extension_out(e) -> dict:
    return {"id": e.pk, "task_id": e.task_id, "status": e.status, "current_due": e.current_due,
            "requested_due": e.requested_due, "reason": e.reason, "requested_by": e.requested_by.get_username(),
            "decision_reason": e.decision_reason, "version": e.version}


def _report_out(r: ProgressReport, evidence=None) -> dict:
    evidence = r.evidence.all() if evidence is None else evidence
    return {"id": r.pk, "kind": r.kind, "unit": _ref(r.unit), "author": r.author.get_username(),
            "narrative": r.narrative, "quantity": r.quantity, "percent": r.percent, "corrects_id": r.corrects_id,
            "submitted_at": r.submitted_at.isoformat(),
            "evidence": [{"id": e.pk, "original_name": e.original_name, "file_type": e.file_type, "size": e.size,
                          "sha256": e.sha256} for e in evidence]}


def _reports_out(task: Task) -> list[dict]:
    """The task's reports (newest first) with their evidence, in two queries of plain rows."""
    reports = list(selectors.reports_for_task(task).prefetch_related(None).values(
        "id", "kind", "unit_id", "unit__name", "author__username", "narrative", "quantity", "percent",
        "corrects_id", "submitted_at"))
    evidence: dict[int, list] = {}
    if reports:
        for e in (Evidence._default_manager.filter(report_id__in=[r["id"] for r in reports])
                  .values("id", "report_id", "original_name", "file_type", "size", "sha256")):
            evidence.setdefault(e.pop("report_id"), []).append(e)
    return [{"id": r["id"], "kind": r["kind"], "unit": {"id": r["unit_id"], "name": r["unit__name"]},
             "author": r["author__username"], "narrative": r["narrative"], "quantity": r["quantity"],
             "percent": r["percent"], "corrects_id": r["corrects_id"], "submitted_at": r["submitted_at"].isoformat(),
             "evidence": evidence.get(r["id"], [])} for r in reports]


def _detail(user, task_id: int) -> dict:
    """The task page as JSON, for a task the user may see (404 otherwise): the task and every
    related list as plain rows (values()), a fixed number of queries whatever their length."""
    warn_days = lights.yellow_days()
    today = lights.today()
    row = selectors.task_row_for_user(user, task_id, ROW_COLUMNS + JOINED_NAMES + (
        "lead_unit__path", "completion_requested_by_id"))
    # What the selectors and the state machine read of the task (status, lead unit path, post with
    # holders; co-units through the database): an unsaved instance carrying the row's values.
    task = Task(id=row["id"], path=row["path"], depth=row["depth"], status=row["status"],
                lead_unit_id=row["lead_unit_id"], responsible_post_id=row["responsible_post_id"],
                completion_requested_by_id=row["completion_requested_by_id"])
    task._state.adding = False  # a row read from the database
    if row["lead_unit_id"]:
        task.lead_unit = Unit(id=row["lead_unit_id"], path=row["lead_unit__path"], name=row["lead_unit__name"])
    kin = _task_rows(selectors.task_children_and_parent(task), joined=True, db_light=False)
    posts = selectors.posts_with_holders([row["responsible_post_id"], *(r["responsible_post_id"] for r in kin)])
    if row["responsible_post_id"]:
        task.responsible_post = posts[row["responsible_post_id"]]
    children = [r for r in kin if r["depth"] > task.depth]
    parents = {r["path"]: r["id"] for r in kin if r["depth"] < task.depth} | {task.path: task.pk}
    out, *children_out = _tasks_out([row, *children], today, warn_days=warn_days, extra_parents=parents,
                                    posts=posts)
    for child in children_out:
        child["parent_id"] = task.pk
    out["milestones"] = list(task.milestones.order_by("date", "id").values("id", "name", "date", "done"))
    out["unit_progress"] = []
    out["instructions"] = [{"id": i["id"], "author": f"{i['author__last_name']}{i['author__first_name']}".strip()
                            or i["author__username"], "text": i["text"], "created_at": i["created_at"].isoformat(),
                            "reply_due": i["reply_due"].isoformat() if i["reply_due"] else None,
                            "replied_at": i["replied_at"].isoformat() if i["replied_at"] else None,
                            "reply_text": i["reply_text"], "reply_late": i["reply_late"]}
                           for i in selectors.instructions_for_task(task).prefetch_related(None).values(
                               "id", "author__username", "author__last_name", "author__first_name", "text",
                               "created_at", "reply_due", "replied_at", "reply_text", "reply_late")]
    out["children"] = children_out
    out["timeline"] = [{"seq": e["seq"], "at": e["created_at"].isoformat(), "event": e["event"],
                        "actor": e["actor_name"], "data": e["data"]}
                       for e in selectors.task_timeline(task).values("seq", "created_at", "event", "actor_name", "data")]
    out["reports"] = _reports_out(task)
    # Each co-unit's latest report (never the task's progress, which is the lead unit's).
    seen = set()
    for r in out["reports"]:
        unit_id = r["unit"]["id"]
        if unit_id != task.lead_unit_id and unit_id not in seen:
            seen.add(unit_id)
            out["unit_progress"].append({"unit": r["unit"], "percent": r["percent"], "report_id": r["id"],
                                         "submitted_at": r["submitted_at"]})
    out["extensions"] = [{"id": e["id"], "task_id": e["task_id"], "status": e["status"], "current_due": e["current_due"],
                          "requested_due": e["requested_due"], "reason": e["reason"],
                          "requested_by": e["requested_by__username"], "decision_reason": e["decision_reason"],
                          "version": e["version"]}
                         for e in selectors.extensions_for_task(task).values(
                             "id", "task_id", "status", "current_due", "requested_due", "reason",
                             "requested_by__username", "decision_reason", "version")]
    out["transitions"] = [t.name for t in statemachine.available(user, task)]
    return out


def _fresh(user, task: Task) -> dict:
    """The detail after a write: the task read once more through the detail getter (co-units,
    milestones and the post may have changed)."""
    return _detail(user, task.pk)


# --- resolving ids ------------------------------------------------------------------------------
# Every id a filter or a body names goes through permissions.resolve_scoped, inside what the
# caller may see: an id outside their subtree gets exactly the answer of an id that does not exist
# (400 naming the field) and is recorded as ``authz_denied``.
def _candidates(user) -> dict:
    return {"category": (Category.objects.all(), _("类别")), "source": (selectors.sources_for_user(user), _("来源")),
            "lead_unit": (org_selectors.units_for_user(user), _("单位")),
            "unit": (org_selectors.units_for_user(user), _("单位")),
            "co_units": (org_selectors.units_for_user(user), _("单位")),
            "responsible_leader": (org_selectors.people_for_user(user), _("人员")),
            "person": (org_selectors.people_for_user(user), _("人员")),
            "responsible_post": (org_selectors.posts_for_user(user), _("岗位"))}


def _resolve(user, field: str, pk):
    queryset, label = _candidates(user)[field]
    return permissions.resolve_scoped(user, queryset, None, pk, field=field, label=label)


def _resolve_fields(user, data: dict) -> dict:
    out = {}
    for key, value in data.items():
        if key == "co_units":
            out[key] = [_resolve(user, key, pk) for pk in dict.fromkeys(value)] if value is not None else None
        elif key in ("category", "source", "lead_unit", "responsible_leader", "responsible_post"):
            out[key] = _resolve(user, key, value)
        elif key == "milestones":
            out[key] = [m if isinstance(m, dict) else m.dict() for m in value] if value is not None else None
        else:
            out[key] = value
    return out


# --- sources ----------------------------------------------------------------------------------
@router.get("/sources", response=list[SourceOut])
def source_list(request):
    _need(request, permissions.TASKS_VIEW)
    return list(selectors.sources_for_user(_user(request))[:500])


@router.post("/sources", auth=MANAGE, response={201: SourceOut})
def source_create(request, payload: SourceIn):
    source = services.source_create(actor=_user(request), **payload.dict())
    return 201, source


@router.get("/sources/{int:source_id}", response=SourceOut)
def source_get(request, source_id: int):
    _need(request, permissions.TASKS_VIEW)
    return selectors.source_get_for_user(_user(request), source_id)


@router.get("/categories", response=list[Ref])
def category_list(request):
    _need(request, permissions.TASKS_VIEW)
    return [{"id": c.pk, "name": c.name} for c in selectors.categories()]


# --- tasks ------------------------------------------------------------------------------------
def _filters(user, query: TaskQuery) -> selectors.TaskFilters:
    return selectors.TaskFilters(
        unit=_resolve(user, "unit", query.unit), person=_resolve(user, "person", query.person),
        category=_resolve(user, "category", query.category),
        status=query.status or None, light=query.light, due_from=query.due_from, due_to=query.due_to,
        source=_resolve(user, "source", query.source), q=query.q, sort=query.sort,
        parent=selectors.task_get_for_user(user, query.parent) if query.parent else None,
    )


@router.get("/tasks", response=TaskListOut)
def task_list(request, query: Query[TaskQuery]):
    _need(request, permissions.TASKS_VIEW)
    user = _user(request)
    today, warn_days = lights.today(), lights.yellow_days()
    qs = selectors.task_list(user, _filters(user, query), today=today, warn_days=warn_days)
    rows = _task_rows(qs[query.offset:query.offset + query.limit], db_light=False)
    # A page that ends before the limit proves the total (or an empty first page): no COUNT.
    proven = 0 < len(rows) < query.limit or (not rows and query.offset == 0)
    count = query.offset + len(rows) if proven else ui_queries.capped_count(qs)
    exact = count <= ui_queries.COUNT_CAP
    return _json({"count": count if exact else ui_queries.COUNT_CAP, "count_exact": exact,
                  "items": _tasks_out(rows, today, warn_days=warn_days)})


@router.get("/tasks/export.xlsx")
def task_export(request, query: Query[TaskQuery], drafts: bool = False):
    _need(request, permissions.TASKS_VIEW)
    qs = selectors.task_list(_user(request), _filters(_user(request), query))
    data = services.tasks_export(actor=_user(request), queryset=qs,
                                 include_drafts=drafts or "draft" in (query.status or []))  # 草稿 only when asked
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote("督办任务台账.xlsx")
    return response


@router.post("/tasks/import", auth=MANAGE, response={201: TaskListOut})
def task_import(request, file: File[UploadedFile], source: Form[int | None] = None):
    user = _user(request)
    src = selectors.source_get_for_user(user, source) if source else None
    created = services.tasks_import(actor=user, file=file, source=src)
    qs = selectors.with_light(selectors.base_queryset().filter(pk__in=[t.pk for t in created])).order_by("path")
    return 201, {"count": len(created), "items": _tasks_out(qs.prefetch_related("co_units"))}


@router.get("/tasks/{int:task_id}", response=TaskDetailOut)
def task_get(request, task_id: int):
    _need(request, permissions.TASKS_VIEW)
    return _json(_detail(_user(request), task_id))


@router.post("/tasks", auth=MANAGE, response={201: TaskDetailOut})
def task_create(request, payload: TaskIn):
    user = _user(request)
    data = _resolve_fields(user, payload.dict(exclude={"parent"}))
    parent = selectors.task_get_for_user(user, payload.parent) if payload.parent else None
    task = services.task_create(actor=user, parent=parent, **data)
    return 201, _fresh(user, task)


@router.patch("/tasks/{int:task_id}", auth=MANAGE, response=TaskDetailOut)
def task_update(request, task_id: int, payload: TaskPatch):
    user = _user(request)
    task = selectors.task_get_for_user(user, task_id)
    data = _resolve_fields(user, payload.dict(exclude={"version"}, exclude_unset=True))
    try:
        services.task_update(actor=user, task=task, expected_version=payload.version, **data)
    except ConcurrentEditError:
        # RL-01: the loser gets the current data to merge against, not just a refusal.
        raise ConcurrentEditError(extra={"current": _fresh(user, task)}) from None
    return _fresh(user, task)


@router.post("/tasks/{int:task_id}/move", auth=MANAGE, response=TaskDetailOut)
def task_move(request, task_id: int, payload: MoveIn):
    user = _user(request)
    task = selectors.task_get_for_user(user, task_id)
    parent = selectors.task_get_for_user(user, payload.parent) if payload.parent else None
    services.task_move(actor=user, task=task, parent=parent, expected_version=payload.version)
    return _fresh(user, task)


@router.post("/tasks/{int:task_id}/children", auth=MANAGE, response={201: list[TaskOut]})
def task_decompose(request, task_id: int, payload: DecomposeIn):
    user = _user(request)
    parent = selectors.task_get_for_user(user, task_id)
    children = [_resolve_fields(user, child.dict()) for child in payload.children]
    created = services.task_decompose(actor=user, parent=parent, children=children)
    qs = selectors.with_light(selectors.base_queryset().filter(pk__in=[t.pk for t in created]))
    return 201, _tasks_out(qs.prefetch_related("co_units").order_by("path"))


def _form_or_json(request, payload, schema):
    """These routes take multipart forms (files ride along); a client without files may send
    JSON instead, validated by the same strict schema. Unknown fields are refused either way
    (AC-07): a JSON body is not silently read as an empty form."""
    if request.content_type == "application/json":
        try:
            return schema.model_validate_json(request.body or b"{}")
        except PydanticValidationError as exc:
            raise RequestValidationError(exc.errors()) from None  # 400, field-keyed (duban.api.errors)
    unknown = (set(request.POST.keys()) - set(schema.model_fields)) | (set(request.FILES.keys()) - {"files"})
    if unknown:
        raise RequestValidationError([{"loc": (name,), "type": "extra_forbidden", "msg": "extra"}
                                      for name in sorted(unknown)])
    return payload


@router.post("/tasks/{int:task_id}/transitions/{name}", auth=ACT, response=TaskDetailOut)
def task_transition(request, task_id: int, name: str, payload: Form[TransitionIn],
                    files: File[list[UploadedFile]] = None):
    payload = _form_or_json(request, payload, TransitionIn)
    user = _user(request)
    task = selectors.task_get_for_user(user, task_id)
    services.task_transition(actor=user, task=task, name=name, reason=payload.reason,
                             expected_version=payload.version, narrative=payload.narrative,
                             files=files or [], percent=payload.percent, quantity=payload.quantity)
    return _fresh(user, task)


@router.post("/tasks/{int:task_id}/assign-subtree", auth=MANAGE, response=list[TaskOut])
def task_assign_subtree(request, task_id: int):
    user = _user(request)
    task = selectors.task_get_for_user(user, task_id)
    assigned = services.task_assign_subtree(actor=user, task=task)
    qs = selectors.with_light(selectors.base_queryset().filter(pk__in=[t.pk for t in assigned]))
    return _tasks_out(qs.prefetch_related("co_units").order_by("path"))


class ReportIn(Strict):
    narrative: str = ""  # required by the service (400 with a message), optional here for JSON bodies
    percent: int = 0
    quantity: Decimal | None = None
    corrects: int | None = None
    drop_reason: str = ""  # required when percent is below the unit's last report (400 otherwise)


@router.post("/tasks/{int:task_id}/reports", auth=HANDLE, response={201: ReportOut})
def report_submit(request, task_id: int, payload: Form[ReportIn], files: File[list[UploadedFile]] = None):
    payload = _form_or_json(request, payload, ReportIn)
    user = _user(request)
    fields = {"narrative": payload.narrative, "percent": payload.percent, "quantity": payload.quantity,
              "files": files or [], "drop_reason": payload.drop_reason}
    report = None
    if payload.corrects is None:
        # The service reads the row once, locked, and decides visibility on it (issue 10).
        try:
            report = services.report_submit(actor=user, task=task_id, **fields)
        except services.TaskHidden:
            pass  # the getter answers: 404 and the denial record (AU-03)
    if report is None:
        task = selectors.task_get_for_user(user, task_id, detail=False)
        corrects = None
        if payload.corrects is not None:
            corrects = permissions.resolve_scoped(user, ProgressReport.objects.filter(task=task), None,
                                                  payload.corrects, field="corrects", label=_("报告"))
        report = services.report_submit(actor=user, task=task, corrects=corrects, **fields)
    # The 201 body from what the service wrote (its unit, author and evidence rows), no re-read.
    return 201, _report_out(report, evidence=getattr(report, "evidence_rows", None))


@router.get("/tasks/{int:task_id}/reports", response=list[ReportOut])
def report_list(request, task_id: int):
    _need(request, permissions.TASKS_VIEW)
    task = selectors.task_get_for_user(_user(request), task_id)
    return [_report_out(r) for r in selectors.reports_for_task(task)]


@router.get("/evidence/{int:evidence_id}/download")
def evidence_download(request, evidence_id: int):
    _need(request, permissions.TASKS_VIEW)
    evidence = selectors.evidence_get_for_user(_user(request), evidence_id)
    try:
        data = services.evidence_open(user=_user(request), evidence=evidence)
    except evidence_files.EvidenceIntegrityError:
        raise HttpError(500, "file_unavailable") from None
    response = HttpResponse(data, content_type=evidence.content_type)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote(evidence.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@router.post("/tasks/{int:task_id}/instructions", auth=INSTRUCT, response={201: TimelineOut})
def instruction_add(request, task_id: int, payload: InstructionIn):
    user = _user(request)
    task = selectors.task_get_for_user(user, task_id)
    services.instruction_add(actor=user, task=task, text=payload.text, reply_days=payload.reply_days)
    entry = selectors.task_timeline(task).last()
    return 201, {"seq": entry.seq, "at": entry.created_at.isoformat(), "event": entry.event,
                 "actor": entry.actor_name, "data": entry.data}


# --- extensions -------------------------------------------------------------------------------
@router.post("/tasks/{int:task_id}/extensions", auth=HANDLE, response={201: ExtensionOut})
def extension_request(request, task_id: int, payload: ExtensionIn):
    user = _user(request)
    task = selectors.task_get_for_user(user, task_id)
    extension = services.extension_request(actor=user, task=task, requested_due=payload.requested_due,
                                           reason=payload.reason)
    return 201, _extension_out(extension)


@router.get("/extensions", response=list[ExtensionOut])
def extension_pending(request):
    _need(request, permissions.TASKS_VIEW)
    return [_extension_out(e) for e in selectors.todo_for_user(_user(request)).to_approve_extensions]


@router.post("/extensions/{int:extension_id}/decision", auth=MANAGE, response=ExtensionOut)
def extension_decide(request, extension_id: int, payload: DecisionIn):
    user = _user(request)
    extension = selectors.extension_get_for_user(user, extension_id)
    services.extension_decide(actor=user, extension=extension, approve=payload.approve, reason=payload.reason,
                              expected_version=payload.version)
    return _extension_out(ExtensionRequest.objects.select_related("requested_by").get(pk=extension.pk))


# --- todo -------------------------------------------------------------------------------------
@router.get("/todo", response=TodoOut)
def todo(request):
    _need(request, permissions.TASKS_VIEW)
    t = selectors.todo_for_user(_user(request))
    return {
        "to_acknowledge": _tasks_out(t.to_acknowledge.prefetch_related("co_units")[:200]),
        "to_report": _tasks_out(t.to_report.prefetch_related("co_units")[:200]),
        "to_review": _tasks_out(t.to_review.prefetch_related("co_units")[:200]),
        "to_approve_extensions": [_extension_out(e) for e in t.to_approve_extensions[:200]],
    }


# --- notifications ----------------------------------------------------------------------------
class NotificationOut(Schema):
    id: int
    kind: str
    kind_label: str
    unit: Ref
    task_id: int | None
    message: str
    created_at: str
    is_read: bool


@router.get("/notifications", response=list[NotificationOut])
def notification_list(request, unread: bool = False, limit: int = Query(50, ge=1, le=200)):
    _need(request, permissions.TASKS_VIEW)
    qs = selectors.notifications_for_user(_user(request))
    if unread:
        qs = qs.filter(is_read=False)
    return [{"id": n.pk, "kind": n.kind, "kind_label": str(n.get_kind_display()), "unit": _ref(n.unit),
             "task_id": n.task_id, "message": n.message, "created_at": n.created_at.isoformat(),
             "is_read": n.is_read} for n in qs[:limit]]


@router.post("/notifications/{int:notification_id}/read", response={204: None})
def notification_read(request, notification_id: int):
    _need(request, permissions.TASKS_VIEW)
    notice = permissions.resolve_scoped(_user(request), selectors.notifications_for_user(_user(request)), None,
                                        notification_id)
    services.notification_mark_read(user=_user(request), notification=notice)
    return 204, None

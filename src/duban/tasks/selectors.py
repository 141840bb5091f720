"""Reads of sources and tasks, scoped and aggregated in the database.

Visibility: a unit user sees a task when its lead unit OR one of its co-units is in their
subtree (co-units report on it); global roles see everything. Lists are built from one
queryset with the light and its urgency annotated (Case/When) and the progress read from the
task's own columns (the lead unit's latest report, kept by the report services), so filtering
and sorting by light or progress never loads rows into Python and never does N+1 queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import (
    BooleanField,
    Case,
    DateField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from duban.core import permissions
from duban.core.models import AuditEntry
from duban.orgs.models import Person, Post, Unit
from duban.orgs.selectors import acting_post_ids
from duban.tasks import lights, search, statemachine
from duban.tasks.models import (
    CLOSED_STATUSES,
    Category,
    Evidence,
    ExtensionRequest,
    ExtensionStatus,
    Instruction,
    Light,
    Notification,
    NotificationRead,
    ProgressReport,
    Source,
    Task,
    TaskPolicy,
    TaskStatus,
)

TASK_UNIT_FIELDS = ["lead_unit", "co_units"]
SORTS = {
    "number": ("path",),
    "due": ("due_date", "path"),
    "-due": ("-due_date", "path"),
    "light": ("light_rank", "due_date", "path"),
    "-light": ("-light_rank", "due_date", "path"),
    "title": ("title", "path"),
    "-title": ("-title", "path"),
    "unit": ("lead_unit__path", "path"),
    "-unit": ("-lead_unit__path", "path"),
    "percent": ("latest_percent", "path"),
    "-percent": ("-latest_percent", "path"),
}


def _can_view(user) -> bool:
    return permissions.can(user, permissions.TASKS_VIEW)


def visible_q(user) -> Q:
    """Rows of Task this user may see (drafts only with TASKS_MANAGE). The co-unit tasks are an id
    list (or an EXISTS for a large subtree) instead of a join, which keeps lists free of DISTINCT."""
    return _visible(user)[0]


def _visible(user) -> tuple[Q, bool]:
    """(visible_q, whether the scope is a small subtree whose units were listed literally)."""
    if not _can_view(user):
        return Q(pk__in=[]), True
    prefix = permissions.scope_path(user)
    if prefix is None:
        return Q(pk__in=[]), True
    # Drafts are the 督查室's work in progress: units and leaders see a task once it is assigned.
    issued = Q() if permissions.can(user, permissions.TASKS_MANAGE) else ~Q(status=TaskStatus.DRAFT)
    if prefix == "":
        return issued, False
    units = _subtree_ids(prefix)
    return issued & (Q(lead_unit__in=units) | _co_unit_q(units)), _is_small(units)


def task_visible(user, task: Task) -> bool:
    """``visible_q``'s rule decided on a task already in hand (its status, its lead unit loaded, its
    co-units through one EXISTS, asked only when the lead unit is outside the scope), for a path
    that has read the row anyway (the report POST's locked read, issue 10). Keep the two together:
    tests/tasks/test_write_path.py compares them for every user of the test cast."""
    if not _can_view(user):
        return False
    prefix = permissions.scope_path(user)
    if prefix is None:
        return False
    if task.status == TaskStatus.DRAFT and not permissions.can(user, permissions.TASKS_MANAGE):
        return False
    if prefix == "" or (task.lead_unit is not None and task.lead_unit.path.startswith(prefix)):
        return True
    return task.co_units.filter(path__startswith=prefix).exists()


SMALL_SUBTREE = 1000
# A subtree's co-unit tasks up to this many are passed as a literal id list: PostgreSQL then ORs
# the (lead_unit, status, due_date) index with the primary key (a BitmapOr) instead of testing an
# EXISTS against every task it walks.
SMALL_CO_TASKS = 2000


def _co_unit_q(units) -> Q:
    through = Task.co_units.through.objects.filter(unit__in=units)
    if isinstance(units, list):
        ids = list(through.values_list("task_id", flat=True).distinct()[:SMALL_CO_TASKS + 1])
        if len(ids) <= SMALL_CO_TASKS:
            return Q(pk__in=sorted(ids))
    return Q(Exists(through.filter(task_id=OuterRef("pk"))))


def _is_small(units) -> bool:
    return isinstance(units, list)


def _subtree_ids(prefix: str):
    """The units of a subtree, for ``lead_unit IN (…)``. A township's or county's few units are
    passed as a literal list, so PostgreSQL sees how few tasks match and walks the
    (lead_unit, status) index instead of scanning every red task by due date through a join on
    the unit path (130 ms → 1 ms at 100,000 tasks); a large subtree stays a subquery."""
    ids = list(Unit.objects.filter(path__startswith=prefix).values_list("pk", flat=True)[:SMALL_SUBTREE + 1])
    if len(ids) <= SMALL_SUBTREE:
        return ids
    return Unit.objects.filter(path__startswith=prefix).values("pk")


# What the task page shows of a task and its post (the acting holder needs the three holders).
DETAIL_RELATED = (
    "category", "source", "lead_unit", "responsible_leader", "responsible_post__unit",
    "responsible_post__a_holder", "responsible_post__b_holder", "responsible_post__c_holder",
)
# What a list row shows: the lead unit's and the leader's names, the category. They are fetched
# for the page's rows (one query each by id), not joined into the list query: PostgreSQL joins
# before it sorts and cuts to the page, so a join to the 20,000 units and 23,000 people cost more
# (a hash of every person, 15-30 ms) than finding the township's 560 tasks. A post (for the API's
# acting person) is loaded for the page's rows the same way.
LIST_RELATED = ("category", "lead_unit", "responsible_leader")


def base_queryset() -> QuerySet[Task]:
    """Tasks with everything the task page shows joined in: for one task or a few. Lists use
    ``list_queryset`` (no joins: planning the eight-table join cost more than running the list)."""
    return Task.objects.select_related(*DETAIL_RELATED)


def list_queryset() -> QuerySet[Task]:
    return Task.objects.prefetch_related(*LIST_RELATED)


def with_light(qs: QuerySet[Task], today: date | None = None, *, warn_days: int | None = None) -> QuerySet[Task]:
    today = today or lights.today()
    warn = lights.yellow_days() if warn_days is None else warn_days
    return qs.annotate(light=lights.light_annotation(today, warn_days=warn),
                       light_rank=lights.light_rank_annotation(today, warn_days=warn))


def with_latest_report(qs: QuerySet[Task]) -> QuerySet[Task]:
    """Kept for callers of the old name: the latest report is now columns on Task
    (``latest_percent``, ``latest_report_at``, ``latest_report``: the lead unit's latest report,
    kept by the report services), so there is nothing to annotate."""
    return qs


def tasks_for_user(user) -> QuerySet[Task]:
    return base_queryset().filter(visible_q(user))


def tasks_for_list(user) -> tuple[QuerySet[Task], bool]:
    """(the user's tasks with the list's three joins, whether the scope is a small subtree): a
    small scope's lists order with ``ordering(…, selective=True)``."""
    visible, small = _visible(user)
    return list_queryset().filter(visible), small


def posts_for_rows(tasks) -> dict[int, Post]:
    """The responsible posts of a page of tasks with their A/B/C holders, in one query (or none
    when the rows came with them joined)."""
    posts, missing = {}, set()
    for t in tasks:
        if t.responsible_post_id is None:
            continue
        if Task.responsible_post.is_cached(t) and Post.a_holder.is_cached(t.responsible_post):
            posts[t.responsible_post_id] = t.responsible_post
        else:
            missing.add(t.responsible_post_id)
    if missing:
        posts.update(Post.objects.select_related("a_holder", "b_holder", "c_holder").in_bulk(sorted(missing)))
    return posts


def posts_with_holders(ids) -> dict[int, Post]:
    """Posts by id with their A/B/C holders (for the acting holder), in one query (none for no ids)."""
    ids = sorted({i for i in ids if i is not None})
    return Post.objects.select_related("a_holder", "b_holder", "c_holder").in_bulk(ids) if ids else {}


@dataclass
class TaskFilters:
    """The responsibility list's filters. ``unit``: 一级一清单 (the lead unit's subtree);
    ``person``: 一人一清单 (responsible leader, post holder or acting holder)."""

    unit: Unit | None = None
    person: Person | None = None
    category: Category | None = None
    status: list[str] | None = None
    light: str | None = None
    due_from: date | None = None
    due_to: date | None = None
    source: Source | None = None
    q: str = ""
    parent: Task | None = None  # only this task's subtree (without itself)
    sort: str = "number"

    @classmethod
    def from_dict(cls, data: dict) -> TaskFilters:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__ and v not in (None, "")})


# A selective list (a unit's or a person's tasks, a subtree) is ordered by expressions no index
# serves, so PostgreSQL reads its few rows through the owner's (…, status, due_date) index and
# sorts them, instead of walking the whole due-date (or path) index and filtering until the page
# is full (a township's open tasks: 45,000 rows read for 25, 12-79 ms; now about a millisecond).
# COALESCE(due_date, 9999-12-31) keeps PostgreSQL's "no date last" order on both databases, and
# path ASC NULLS FIRST is path order (paths are never null) that the path index cannot give.
NO_DUE = date(9999, 12, 31)


def _unindexed(key: str):
    desc, name = key.startswith("-"), key.lstrip("-")
    if name == "due_date":
        expr = Coalesce(F("due_date"), Value(NO_DUE, output_field=DateField()))
        return expr.desc() if desc else expr.asc()
    if name == "path":
        return F("path").desc(nulls_last=True) if desc else F("path").asc(nulls_first=True)
    return key


def ordering(sort: str, *, selective: bool) -> list:
    keys = SORTS.get(sort, SORTS["number"])
    return [_unindexed(k) for k in keys] if selective else list(keys)


def person_q(person: Person, on: date | None = None) -> Q:
    # The person's posts (A holder, or acting today) as a literal id list: the nested post and
    # ABC subqueries behind an OR made PostgreSQL scan every task (一人一清单 at 1,000,000 tasks:
    # 200 ms per count); ids let the leader and (post, status) indexes answer.
    posts = set(acting_post_ids(person, on))
    posts.update(Post.objects.filter(a_holder=person).values_list("pk", flat=True))
    q = Q(responsible_leader=person)
    return q | Q(responsible_post__in=sorted(posts)) if posts else q


def task_list(user, filters: TaskFilters | dict | None = None, *, today: date | None = None,
              warn_days: int | None = None) -> QuerySet[Task]:
    """The responsibility list (责任清单), scoped to the user, filtered and sorted in the database.
    Rows carry the light (annotated), the progress columns and the co-units (prefetched)."""
    f = filters if isinstance(filters, TaskFilters) else TaskFilters.from_dict(filters or {})
    today = today or lights.today()
    visible, selective = _visible(user)
    qs = list_queryset().filter(visible)
    if f.unit is not None:
        # Read the path afresh: sorted inserts (Unit.node_order_by) shift siblings' paths, so a
        # Unit object held since before another unit was added may carry a stale one.
        path = Unit.objects.filter(pk=f.unit.pk).values_list("path", flat=True).first() or "\0"
        units = _subtree_ids(path)
        selective = selective or _is_small(units)
        qs = qs.filter(lead_unit__in=units)
    if f.person is not None:
        selective = True
        qs = qs.filter(person_q(f.person, today))
    if f.category is not None:
        qs = qs.filter(category=f.category)
    if f.status:
        qs = qs.filter(status__in=list(f.status))
    if f.light:
        qs = qs.filter(lights.light_q(f.light, today)) if f.light in Light.values else qs.none()
    if f.due_from:
        qs = qs.filter(due_date__gte=f.due_from)
    if f.due_to:
        qs = qs.filter(due_date__lte=f.due_to)
    if f.source is not None:
        qs = qs.filter(source=f.source)
    if f.parent is not None:
        selective = True
        qs = qs.filter(path__startswith=f.parent.path).exclude(pk=f.parent.pk)
    if (f.q or "").strip():
        qs = qs.filter(search.text_q(f.q))  # index-served on PostgreSQL for any term length
    qs = with_light(qs, today, warn_days=warn_days).prefetch_related("co_units")
    return qs.order_by(*ordering(f.sort, selective=selective))


def task_get_for_user(user, pk, *, detail: bool = True) -> Task:
    """One task, if the user may see it; 404 (and ``authz_denied``) otherwise. ``detail``: with
    what the task page shows (its post's holders, co-units and milestones, in three queries);
    a write route that re-reads the row under its lock anyway asks for ``detail=False``."""
    if not _can_view(user):
        raise Http404
    if detail:
        qs = base_queryset().filter(visible_q(user)).prefetch_related("co_units", "milestones")
    else:
        qs = Task.objects.filter(visible_q(user))
    return permissions.resolve_scoped(user, qs, None, pk)


def task_row_for_user(user, pk, fields) -> dict:
    """One task as a values() row of ``fields``, if the user may see it; 404 (and
    ``authz_denied``) otherwise: the JSON detail's read (names joined in by the fields it asks)."""
    if not _can_view(user):
        raise Http404
    return permissions.resolve_scoped(user, Task.objects.filter(visible_q(user)).values(*fields), None, pk)


def task_children_and_parent(task: Task) -> QuerySet[Task]:
    """The task's children (by path) and its parent (depth below the task's), in one query: the
    detail names the parent and lists the children."""
    step = Task.steplen
    q = Q(path__startswith=task.path, depth=task.depth + 1)
    if task.depth > 1:
        q |= Q(path=task.path[:-step])
    return Task.objects.filter(q).order_by("path")


def task_children(task: Task, *, warn_days: int | None = None) -> QuerySet[Task]:
    return with_light(list_queryset().filter(path__startswith=task.path, depth=task.depth + 1),
                      warn_days=warn_days).order_by("path")


def task_ancestors_for_user(user, task: Task) -> list[Task]:
    """The task's ancestors, root first, each with ``visible`` (whether the user may open it), in
    one query."""
    step = Task.steplen
    paths = [task.path[:i] for i in range(step, len(task.path), step)]
    if not paths:
        return []
    q = visible_q(user)
    visible = (Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())
               if q else Value(True, output_field=BooleanField()))  # an empty Q: everything is visible
    return list(Task.objects.filter(path__in=paths).only("id", "path", "depth", "title")
                .annotate(visible=visible).order_by("path"))


def task_subtree(task: Task, include_self: bool = True) -> QuerySet[Task]:
    qs = base_queryset().filter(path__startswith=task.path)
    return (qs if include_self else qs.exclude(pk=task.pk)).order_by("path")


def task_ancestors(task: Task) -> QuerySet[Task]:
    step = Task.steplen
    paths = [task.path[:i] for i in range(step, len(task.path), step)]
    return Task.objects.filter(path__in=paths).order_by("path")


def task_timeline(task: Task) -> QuerySet[AuditEntry]:
    """The task's own ledger entries, oldest first (served by the (object_type, object_id, seq) index).
    Refused look-ups (``authz_denied``) are for the audit administrator, not the 办理记录."""
    return (AuditEntry.objects.filter(object_type="tasks.task", object_id=str(task.pk))
            .exclude(event="authz_denied").order_by("seq"))


def reports_for_task(task: Task) -> QuerySet[ProgressReport]:
    return (ProgressReport.objects.filter(task=task).select_related("author", "unit", "corrects")
            .prefetch_related("evidence").order_by("-submitted_at", "-id"))


def progress_of(task: Task, reports: list[ProgressReport]) -> tuple[ProgressReport | None, list[ProgressReport]]:
    """From a task's reports (newest first): the lead unit's latest (the task's progress, the one
    ``task.latest_report`` names) and each co-unit's latest (its own progress, never the task's)."""
    latest = next((r for r in reports if r.pk == task.latest_report_id), None) if task.latest_report_id else None
    others: dict[int, ProgressReport] = {}
    for report in reports:
        if report.unit_id != task.lead_unit_id and report.unit_id not in others:
            others[report.unit_id] = report
    return latest, list(others.values())


def instructions_for_task(task: Task) -> QuerySet[Instruction]:
    return (Instruction.objects.filter(task=task).select_related("author", "replied_by")
            .prefetch_related("reply_files").order_by("-created_at", "-id"))


def evidence_get_for_user(user, pk) -> Evidence:
    """An evidence row the user may download (the task is visible to them); 404 (and
    ``authz_denied``) otherwise. Read the bytes with services.evidence_open, which re-checks the
    SHA-256."""
    if not _can_view(user):
        raise Http404
    qs = Evidence.objects.select_related("task", "report").filter(task__in=Task.objects.filter(visible_q(user)))
    return permissions.resolve_scoped(user, qs, None, pk)


def extensions_for_task(task: Task) -> QuerySet[ExtensionRequest]:
    return ExtensionRequest.objects.filter(task=task).select_related("requested_by", "decided_by")


def extension_get_for_user(user, pk) -> ExtensionRequest:
    """An extension request on a task the user may see; 404 (and ``authz_denied``) otherwise."""
    if not _can_view(user):
        raise Http404
    qs = (ExtensionRequest.objects.select_related("task", "requested_by")
          .filter(task__in=Task.objects.filter(visible_q(user))))
    return permissions.resolve_scoped(user, qs, None, pk)


# --- todo -------------------------------------------------------------------------------------
@dataclass
class Todo:
    to_acknowledge: QuerySet[Task]  # 待签收
    to_report: QuerySet[Task]  # 待填报
    to_review: QuerySet[Task]  # 待审核
    to_approve_extensions: QuerySet[ExtensionRequest]  # 待审批延期
    returned: QuerySet[Task] = None  # 退回待办: completion requests returned, not yet requested again
    to_reply: QuerySet[Task] = None  # 待回复批示: a leader's instruction awaits the unit's reply

    def __post_init__(self):
        self.returned = Task.objects.none() if self.returned is None else self.returned
        self.to_reply = Task.objects.none() if self.to_reply is None else self.to_reply

    @property
    def total(self) -> int:
        return sum(qs.count() for qs in (self.to_acknowledge, self.to_report, self.to_review,
                                         self.to_approve_extensions, self.returned, self.to_reply))


def mine_q(user, today: date | None = None) -> Q:
    """Tasks that are this user's to handle: the responsible post is acted by them today (so B
    sees A's tasks while A is away), or — for tasks without a post — they are a liaison or unit
    administrator of the lead unit."""
    if not permissions.can(user, permissions.TASKS_HANDLE):
        return Q(pk__in=[])
    q = Q(pk__in=[])
    person = getattr(user, "person", None)
    if person is not None:
        # A person acts for a handful of posts: a literal id list lets the (responsible_post,
        # status) index answer, where the nested ABC subquery made PostgreSQL filter every
        # assigned task (40 ms → 1 ms at 100,000 tasks).
        posts = acting_post_ids(person, today)
        if posts:
            q |= Q(responsible_post__in=posts)
    if user.unit_id is not None:
        q |= Q(responsible_post__isnull=True, lead_unit_id=user.unit_id)
    return q


def todo_for_user(user, today: date | None = None, *, policy: TaskPolicy | None = None) -> Todo:
    """The todo lists (the policy is read once: pass it when the caller has it)."""
    today = today or lights.today()
    policy = policy or TaskPolicy.current()
    report_days, warn = policy.report_todo_days, policy.yellow_days

    def with_light(qs):
        return qs.annotate(light=lights.light_annotation(today, warn_days=warn),
                           light_rank=lights.light_rank_annotation(today, warn_days=warn))

    visible = list_queryset().filter(visible_q(user))
    mine = visible.filter(mine_q(user, today))
    to_acknowledge = with_light(mine.filter(status=TaskStatus.ASSIGNED)).order_by("due_date", "path")
    to_report = with_light(
        mine.filter(status=TaskStatus.IN_PROGRESS, next_report_due__lte=today + timedelta(days=report_days))
    ).order_by("next_report_due", "path")
    if permissions.can(user, permissions.TASKS_MANAGE):
        # Not one's own requests: nobody reviews their own submission (AC-08).
        to_review = with_light(visible.filter(status=TaskStatus.COMPLETION_REQUESTED)
                               .exclude(completion_requested_by=user)).order_by("due_date", "path")
        to_approve = (ExtensionRequest.objects.filter(status=ExtensionStatus.PENDING).exclude(requested_by=user)
                      .select_related("task", "task__lead_unit", "requested_by").order_by("requested_at"))
    else:
        to_review = Task.objects.none()
        to_approve = ExtensionRequest.objects.none()
    returned = with_light(mine.filter(status=TaskStatus.IN_PROGRESS, returned_at__isnull=False)) \
        .order_by("-returned_at", "path")
    awaiting = Instruction.objects.filter(task=OuterRef("pk"), replied_at__isnull=True, reply_due__isnull=False)
    to_reply = with_light(mine.filter(status__in=statemachine.INSTRUCTABLE).filter(Exists(awaiting))) \
        .annotate(reply_due=Subquery(awaiting.order_by("reply_due").values("reply_due")[:1])) \
        .order_by("reply_due", "path")
    return Todo(to_acknowledge, to_report, to_review, to_approve, returned, to_reply)


def instructions_awaiting_reply(on: date | None = None) -> QuerySet[Instruction]:
    """Instructions (批示) whose reply deadline has passed by ``on`` (default today) without a
    reply, on tasks still open: what the supervision scan may escalate. Oldest deadline first."""
    on = on or lights.today()
    return (Instruction.objects.filter(replied_at__isnull=True, reply_due__lt=on)
            .exclude(task__status__in=CLOSED_STATUSES).exclude(task__status=TaskStatus.DRAFT)
            .select_related("task", "task__lead_unit", "author").order_by("reply_due", "pk"))



# --- sources, categories, notifications -------------------------------------------------------
def sources_for_user(user) -> QuerySet[Source]:
    """Global roles see every source; a unit user sees the sources of tasks led or co-handled in
    their subtree (drafts included: a source is a published speech or document, not planning)."""
    if not _can_view(user):
        return Source.objects.none()
    prefix = permissions.scope_path(user)
    if prefix == "":
        return Source.objects.all()
    if prefix is None:
        return Source.objects.none()
    co = Task.co_units.through.objects.filter(task_id=OuterRef("pk"), unit__path__startswith=prefix)
    tasks = Task.objects.filter(Q(lead_unit__path__startswith=prefix) | Q(Exists(co)), source=OuterRef("pk"))
    return Source.objects.filter(Exists(tasks))


def source_get_for_user(user, pk) -> Source:
    """A source the user may see; 404 (and ``authz_denied``) otherwise."""
    return permissions.resolve_scoped(user, sources_for_user(user), None, pk)


def categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True)


def notifications_for_user(user) -> QuerySet[Notification]:
    """Notices addressed to the user's unit or a unit below it, with ``is_read`` for this user."""
    unit = getattr(user, "unit", None)
    if unit is None or not _can_view(user):
        return Notification.objects.none()
    read = NotificationRead.objects.filter(notification=OuterRef("pk"), user=user)
    return (Notification.objects.filter(unit__path__startswith=unit.path).select_related("task", "unit")
            .annotate(is_read=Exists(read)).order_by("-created_at", "-id"))


def policy() -> TaskPolicy:
    return TaskPolicy.current()

"""The task pages: my todo, the responsibility list (一级一清单 / 一人一清单), the task page with
every transition the user may make now, decomposition, create/edit, sources, Excel in and out,
and the authorising evidence download.

Views are thin. Objects come from the scoped selectors (404 outside the user's subtree), every
change is a service call, and a service's refusal goes back onto the form that caused it:
ValidationError → the page re-rendered with inline errors (400; 413 for an oversized file),
PermissionDenied → 403. Which actions a page offers is asked of the state machine, the same
table the services enforce, so a button is never shown for something that would be refused.
"""

from __future__ import annotations

import re
from functools import wraps
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from duban.core import permissions
from duban.core.decorators import require_perm
from duban.core.forms import apply_validation_error
from duban.core.roles import Role
from duban.orgs import selectors as org_selectors
from duban.tasks import evidence as evidence_files
from duban.tasks import excel, lights, selectors, services, statemachine, ui_queries
from duban.tasks.forms import (
    PAGE_SIZES,
    ExtensionDecisionForm,
    ExtensionRequestForm,
    ImportForm,
    InstructionForm,
    ReportForm,
    SourceForm,
    TaskFilterForm,
    TaskForm,
    TransitionForm,
    decompose_formset,
    person_label,
    too_large,
)
from duban.tasks.models import CLOSED_STATUSES, ExtensionStatus, Light, ReportKind, Task, TaskStatus

VIEW = permissions.TASKS_VIEW
MANAGE = permissions.TASKS_MANAGE
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

STATUS_BADGES = {
    TaskStatus.DRAFT: "text-bg-light border",
    TaskStatus.ASSIGNED: "text-bg-info",
    TaskStatus.ACKNOWLEDGED: "text-bg-primary",
    TaskStatus.IN_PROGRESS: "text-bg-primary",
    TaskStatus.COMPLETION_REQUESTED: "text-bg-warning",
    TaskStatus.COMPLETED: "text-bg-success",
    TaskStatus.CANCELLED: "text-bg-secondary",
}

# Ledger events of a task, as the timeline names them.
EVENTS = {
    "task_create": gettext_lazy("创建任务"),
    "task_update": gettext_lazy("修改任务"),
    "task_move": gettext_lazy("调整上级任务"),
    "task_assign": gettext_lazy("交办"),
    "task_acknowledge": gettext_lazy("签收"),
    "task_start": gettext_lazy("开始办理"),
    "task_report": gettext_lazy("报送进展"),
    "task_request_completion": gettext_lazy("申请办结"),
    "task_approve": gettext_lazy("审核办结"),
    "task_return": gettext_lazy("退回"),
    "task_cancel": gettext_lazy("中止"),
    "task_reopen": gettext_lazy("重新打开"),
    "task_extension_request": gettext_lazy("申请延期"),
    "task_extension_approve": gettext_lazy("同意延期"),
    "task_extension_refuse": gettext_lazy("不同意延期"),
    "task_instruct": gettext_lazy("领导批示"),
    "task_milestone": gettext_lazy("更新节点"),
    "task_overdue_report": gettext_lazy("进展报送逾期"),
}

TODO_TABS = (
    ("acknowledge", gettext_lazy("待签收")),
    ("report", gettext_lazy("待填报")),
    ("review", gettext_lazy("待审核")),
    ("extensions", gettext_lazy("待审批延期")),
)

# Sortable columns of the responsibility list: (key, label); the selector owns the ordering.
LIST_COLUMNS = (("title", gettext_lazy("任务名称")), ("unit", gettext_lazy("牵头单位")),
                ("due", gettext_lazy("完成时限")), ("light", gettext_lazy("亮灯")), ("percent", gettext_lazy("进度")))


# --- helpers ---------------------------------------------------------------------------------
def _task(request, pk):
    return selectors.task_get_for_user(request.user, pk)


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _attachment(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    # RFC 6266: the user's (Chinese) name only in the encoded form, never raw in a header.
    response["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote(filename, safe="")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


class _SizeLimitHandler(FileUploadHandler):
    """Drops an uploaded file as soon as it passes the limit, so an oversized file never lands on
    disk in full (FU-02); the view answers 413 with the file named next to its input."""

    def __init__(self, request=None, limit: int = 0):
        super().__init__(request)
        self.limit = limit
        self.refused: list[str] = []

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self._counted = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            if not self._counted:
                self.refused.append(evidence_files.safe_display_name(self.file_name))
                self._counted = True
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size):
        return None

    def message(self) -> str:
        return _("文件“%(name)s”超过 %(mb)s MB 的上限。") % {
            "name": "、".join(self.refused), "mb": round(self.limit / 1024 / 1024, 1)}


def limited_uploads(limit_setting: str):
    """Install the size limit before anything reads the body. CSRF middleware would read it
    first, so the view is exempted there and protected here, after the handler is in place
    (Django's documented way to change upload handlers in a view)."""

    def decorator(view):
        protected = csrf_protect(view)

        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST":
                handler = _SizeLimitHandler(request, getattr(settings, limit_setting))
                request.upload_handlers.insert(0, handler)
                request.upload_limit = handler
            return protected(request, *args, **kwargs)

        return wrapper

    return decorator


def _oversized(request, form, field: str) -> bool:
    """Put the size refusal on ``field`` if a file was dropped for being too large."""
    handler = getattr(request, "upload_limit", None)
    if handler is None or not handler.refused:
        return False
    form.errors.pop(field, None)
    form.add_error(field if field in form.fields else None, ValidationError(handler.message(), code="too_large"))
    return True


def _status_for(form, default: int = 400) -> int:
    return 413 if too_large(form) else default


def _acting_notes(user, tasks) -> dict[int, str]:
    """"代A角张三办理" for the tasks this user handles as the backup of the responsible post."""
    person_id = getattr(user, "person_id", None)
    posts = {t.responsible_post_id: t.responsible_post for t in tasks if t.responsible_post_id}
    if person_id is None or not posts:
        return {}
    acting = org_selectors.acting_holders(posts.values())
    notes = {}
    for task in tasks:
        who = acting.get(task.responsible_post_id)
        if who is not None and who.is_backup and who.person is not None and who.person.pk == person_id:
            notes[task.pk] = _("代A角%(name)s办理") % {"name": task.responsible_post.a_holder.name}
    return notes


def _scope_depth(user) -> int:
    """The depth of the unit a scoped user's subtree starts at (1: the whole tree)."""
    unit = getattr(user, "unit", None) if permissions.scope_path(user) else None
    return unit.depth if unit is not None else 1


def _filter_units(user):
    return org_selectors.units_for_user(user).filter(is_active=True)


def _filter_people(user):
    return org_selectors.people_for_user(user).filter(is_active=True)


def _filter_form(request):
    user = request.user
    data = request.GET.copy()
    if data.get("mode") == "person" and "person" not in data and getattr(user, "person_id", None):
        data["person"] = str(user.person_id)
    return TaskFilterForm(data, units=_filter_units(user), people=_filter_people(user),
                          categories=selectors.categories(), sources=selectors.sources_for_user(user),
                          base_depth=_scope_depth(user))


def _filtered(request, form):
    filters = form.filters()
    qs = selectors.task_list(request.user, filters)
    if form.mode == "person" and filters.get("person") is None:
        qs = qs.none()  # 一人一清单 with nobody chosen lists nothing, not everything
    return filters, qs


def _filtered_without_light(request, form):
    filters = {**form.filters(), "light": None}
    qs = selectors.task_list(request.user, filters)
    return qs.none() if form.mode == "person" and filters.get("person") is None else qs


# --- my todo ---------------------------------------------------------------------------------
@require_perm(VIEW)
@require_GET
def todo(request):
    user = request.user
    todo_lists = selectors.todo_for_user(user)
    querysets = {"acknowledge": todo_lists.to_acknowledge, "report": todo_lists.to_report,
                 "review": todo_lists.to_review, "extensions": todo_lists.to_approve_extensions}
    tab = request.GET.get("tab")
    # Counted up to the cap (a province's 督查室 has tens of thousands to review: the exact
    # count cost 130 ms, twice); the open tab's paginator reuses its count.
    counts = {key: ui_queries.capped_count(qs) for key, qs in querysets.items()}
    if tab not in querysets:
        # Open the first tab that has work in it.
        tab = next((key for key, _label in TODO_TABS if counts[key]), "acknowledge")
    paginator = ui_queries.CappedPaginator(querysets[tab], 50)
    paginator.count = counts[tab]
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page)
    notes = _acting_notes(user, rows) if tab in ("acknowledge", "report") else {}
    for row in rows:
        row.acting_note = notes.get(row.pk, "")
    context = {
        "tabs": [{"key": key, "label": label, "count": counts[key], "active": key == tab} for key, label in TODO_TABS],
        "tab": tab, "page": page, "rows": rows, "today": lights.today(),
        "tab_label": dict(TODO_TABS)[tab], "count_cap": ui_queries.COUNT_CAP,
    }
    template = "tasks/_todo_panel.html" if request.htmx and request.htmx.target == "todo-panel" else "tasks/todo.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


# --- the responsibility list ---------------------------------------------------------------------
@require_perm(VIEW)
@require_GET
def task_list(request):
    # The filter selects' typed search (?options=unit|person&term=…) answers from here: it is a
    # part of this page, under this page's permission.
    search = {"unit": _unit_options, "person": _person_options}.get(request.GET.get("options"))
    if search is not None:
        return search(request)
    form = _filter_form(request)
    filters, qs = _filtered(request, form)
    per_page = _int(request.GET.get("per_page"), PAGE_SIZES[1])
    per_page = per_page if per_page in PAGE_SIZES else PAGE_SIZES[1]
    # The light summary counts the list without its own light filter, so every chip stays
    # clickable; with a light chosen, its chip is the list's count (no second count).
    summary_qs = qs if not filters.get("light") else _filtered_without_light(request, form)
    light_summary = ui_queries.light_counts(summary_qs)
    paginator = ui_queries.CappedPaginator(qs, per_page)
    if filters.get("light") in dict(light_summary):
        paginator.count = dict(light_summary)[filters["light"]]
    page = paginator.get_page(request.GET.get("page"))
    sort = filters["sort"]
    columns = []
    for key, label in LIST_COLUMNS:
        direction = "ascending" if sort == key else "descending" if sort == f"-{key}" else ""
        # Progress sorts highest first on the first click: that is the question people ask of it.
        first = f"-{key}" if key == "percent" else key
        opposite = key if first.startswith("-") else f"-{key}"
        columns.append({"key": key, "label": label, "direction": direction,
                        "next": opposite if sort == first else first})
    context = {"form": form, "mode": form.mode, "page": page, "columns": columns, "sort": sort,
               "light_summary": light_summary, "light_filter": filters.get("light") or "",
               "count_cap": ui_queries.COUNT_CAP,
               "per_page": per_page, "page_sizes": PAGE_SIZES, "export_query": request.GET.urlencode(),
               "light_labels": dict(Light.choices), "status_badges": STATUS_BADGES,
               "can_manage": permissions.can(request.user, MANAGE)}
    template = "tasks/_list_results.html" if request.htmx and request.htmx.target == "task-results" else "tasks/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _search_term(request) -> str:
    return (request.GET.get("term") or "").strip()[:50]


def _unit_options(request):
    """The unit filter's typed search: <option>s of active units in the user's subtree whose
    name contains the term (the select then holds them; the list re-validates the choice)."""
    term = _search_term(request)
    units = []
    if term:
        units = list(_filter_units(request.user).filter(name__icontains=term).order_by("depth", "path")
                     [:TaskFilterForm.SEARCH_RESULTS_MAX])
    # Each match is named with its parent so a village is placed at a glance (one query for all),
    # when the parent is inside the user's subtree too (a liaison's county is not named to them).
    parent_paths = {u.path[:-u.steplen] for u in units if u.depth > 1}
    parents = dict(org_selectors.units_for_user(request.user).filter(path__in=parent_paths)
                   .values_list("path", "name")) if parent_paths else {}
    options = []
    for u in units:
        parent = parents.get(u.path[:-u.steplen])
        options.append((u.pk, f"{u.name}({parent})" if parent else u.name))
    return render(request, "tasks/_options.html", {"options": options, "empty_label": _("全部单位")})


def _person_options(request):
    """The person filter's typed search: people in the user's subtree by name."""
    term = _search_term(request)
    people = []
    if term:
        people = list(_filter_people(request.user).filter(name__icontains=term).order_by("name", "unit__path")
                      [:TaskFilterForm.SEARCH_RESULTS_MAX])
    options = [(p.pk, person_label(p)) for p in people]
    return render(request, "tasks/_options.html", {"options": options, "empty_label": _("请选择人员")})


@require_perm(VIEW)
@require_GET
def task_export(request):
    """导出台账: exactly the filtered list (scoped by the selector) as the Excel ledger."""
    form = _filter_form(request)
    _filters, qs = _filtered(request, form)
    content = services.tasks_export(actor=request.user, queryset=qs)
    return _attachment(content, excel.filename(), XLSX)


@require_perm(MANAGE)
@require_GET
def import_template(request):
    content = excel.export_tasks(selectors.task_list(request.user).none(), title=_("任务导入模板"))
    return _attachment(content, excel.filename(_("任务导入模板")), XLSX)


ROW_ERROR = re.compile(r"^第\s*(\d+)\s*行[::](.*)$")


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
@limited_uploads("DUBAN_MAX_IMPORT_BYTES")
def task_import(request):
    sources = selectors.sources_for_user(request.user)
    form = ImportForm(request.POST or None, request.FILES or None, sources=sources)
    rows, problems, status = [], [], 200
    if request.method == "POST":
        status = 400
        if _oversized(request, form, "file"):
            status = 413
        elif form.is_valid():
            try:
                created = services.tasks_import(actor=request.user, file=form.cleaned_data["file"],
                                                source=form.cleaned_data["source"])
            except ValidationError as exc:
                for message in exc.messages:
                    m = ROW_ERROR.match(message)
                    if m:
                        rows.append({"row": int(m[1]), "reason": m[2].strip()})
                    else:
                        problems.append(message)
                if any(getattr(e, "code", None) == "too_large" for e in exc.error_list):
                    status = 413
            else:
                messages.success(request, _("已导入 %(n)s 项任务(草稿),请核对后交办。") % {"n": len(created)})
                return redirect(reverse("tasks:list") + "?status=draft")
        elif too_large(form):
            status = 413
    return render(request, "tasks/import.html", {"form": form, "rows": rows, "problems": problems,
                                                 "columns": excel.HEADER_ALIASES}, status=status)


# --- the task page -----------------------------------------------------------------------------
def _visible_ids(user, ids) -> set[int]:
    return set(selectors.tasks_for_user(user).filter(pk__in=list(ids)).values_list("pk", flat=True))


def _field_label(name: str) -> str:
    try:
        return str(Task._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def _timeline(task) -> list[dict]:
    labels = dict(TaskStatus.choices)
    roles = dict(Role.choices)
    rows = []
    for entry in selectors.task_timeline(task):
        data = entry.data or {}
        from_status, to_status = data.get("from"), data.get("to")
        is_status = from_status in labels or to_status in labels
        rows.append({
            "at": entry.created_at, "actor": entry.actor_name, "role": roles.get(entry.actor_role, ""),
            "seq": entry.seq,
            "event": EVENTS.get(entry.event, entry.event),
            "from": labels.get(from_status, from_status) if is_status else from_status,
            "to": labels.get(to_status, to_status) if is_status else to_status,
            "reason": data.get("reason") or data.get("text") or "",
            "files": [f.get("name") for f in data.get("files") or []],
            "percent": data.get("percent") if entry.event in ("task_report", "task_request_completion") else None,
            "changes": [_field_label(name) for name in (data.get("changes") or {})],
        })
    return rows


def _correctable(task):
    """The task's own progress reports, which a new report may correct (completion requests are
    corrected by a new request, not by a report)."""
    return selectors.reports_for_task(task).filter(kind=ReportKind.PROGRESS)


def _action(key, title, url, form, button, *, icon="", style="primary", enctype=False, confirm=""):
    return {"key": key, "title": title, "url": url, "form": form, "button": button, "icon": icon,
            "style": style, "enctype": enctype, "confirm": confirm}


# Titles of the actions that are not state transitions (for a form re-shown after a refusal).
ACTION_TITLES = {"report": gettext_lazy("报送进展"), "extension": gettext_lazy("申请延期"),
                 "decide": gettext_lazy("审批延期申请"), "instruct": gettext_lazy("领导批示")}

TRANSITION_STYLE = {"approve": ("success", "check2-circle"), "return": ("warning", "arrow-return-left"),
                    "cancel": ("outline-danger", "x-octagon"), "reopen": ("outline-secondary", "arrow-repeat"),
                    "assign": ("primary", "send"), "acknowledge": ("primary", "inbox"),
                    "start": ("primary", "play"), "request_completion": ("success", "flag")}


def _actions(user, task, pending) -> list[dict]:
    """Everything this user may do to this task now, as forms (empty, or bound on a re-render)."""
    actions = []
    for transition in statemachine.available(user, task):
        style, icon = TRANSITION_STYLE.get(transition.name, ("primary", ""))
        form = TransitionForm(prefix=transition.name, transition=transition, initial={"version": task.version})
        actions.append(_action(transition.name, transition.label, reverse("tasks:transition", args=[task.pk,
                               transition.name]), form, transition.label, icon=icon, style=style,
                               enctype=transition.needs_evidence,
                               confirm=_("确定中止该任务?") if transition.name == "cancel" else ""))
    if task.status in statemachine.REPORTABLE and statemachine.may(user, statemachine.PARTICIPANT, task):
        actions.append(_action("report", _("报送进展"), reverse("tasks:report", args=[task.pk]),
                               ReportForm(prefix="report", reports=_correctable(task)), _("报送进展"),
                               icon="journal-plus", enctype=True))
    if (task.status in statemachine.EXTENDABLE and task.due_date and pending is None
            and statemachine.may(user, statemachine.LEAD, task)):
        actions.append(_action("extension", _("申请延期"), reverse("tasks:extension_request", args=[task.pk]),
                               ExtensionRequestForm(prefix="extension"), _("提交延期申请"), icon="calendar-plus",
                               style="outline-primary"))
    if (pending is not None and permissions.can(user, MANAGE) and pending.requested_by_id != user.pk
            and task.status not in CLOSED_STATUSES):
        actions.append(_action("decide", _("审批延期申请"), reverse("tasks:extension_decide", args=[pending.pk]),
                               ExtensionDecisionForm(prefix="decide", initial={"version": pending.version}),
                               "", icon="calendar-check"))
    if task.status in statemachine.INSTRUCTABLE and statemachine.may(user, statemachine.INSTRUCT, task):
        actions.append(_action("instruct", _("领导批示"), reverse("tasks:instruct", args=[task.pk]),
                               InstructionForm(prefix="instruct"), _("提交批示"), icon="pen"))
    return actions


def _render_task(request, task, *, failed=None, status=200):
    """The task page. ``failed`` = (action key, bound form) re-renders that form with its errors
    in place (and adds it if the action is no longer on offer, so the reason is still shown)."""
    user = request.user
    today = lights.today()
    ancestors = list(selectors.task_ancestors(task))
    visible = _visible_ids(user, [a.pk for a in ancestors])
    subtree = list(selectors.task_list(user, {"parent": task, "sort": "number"})[:300])
    for row in subtree:
        row.rel_depth = row.depth - task.depth
    extensions = list(selectors.extensions_for_task(task))
    pending = next((e for e in extensions if e.status == ExtensionStatus.PENDING), None)
    reports = list(selectors.reports_for_task(task))
    latest = reports[0] if reports else None
    acting = org_selectors.acting_holder(task.responsible_post) if task.responsible_post_id else None
    actions = _actions(user, task, pending)
    if failed is not None:
        key, form = failed
        for action in actions:
            if action["key"] == key:
                action["form"] = form
                action["failed"] = True
                break
        else:
            title = (statemachine.TRANSITIONS[key].label if key in statemachine.TRANSITIONS
                     else ACTION_TITLES.get(key, key))
            actions.insert(0, {**_action(key, title, request.path, form, title), "failed": True})
    context = {
        "task": task, "today": today,
        "light": lights.light_for(task, today), "light_labels": dict(Light.choices),
        "status_badge": STATUS_BADGES.get(task.status, ""), "status_badges": STATUS_BADGES,
        "ancestors": [{"task": a, "visible": a.pk in visible} for a in ancestors],
        "subtree": subtree, "base_depth": task.depth,
        "co_units": list(task.co_units.all()),
        "milestones": list(task.milestones.all()),
        "reports": reports, "latest": latest,
        "extensions": extensions, "pending": pending,
        "instructions": list(task.instructions.select_related("author")),
        "acting": acting, "timeline": _timeline(task), "actions": actions,
        "failed": failed is not None,
        "can_manage": permissions.can(user, MANAGE) and task.status not in CLOSED_STATUSES,
        "can_toggle_milestones": task.status in (TaskStatus.ACKNOWLEDGED, TaskStatus.IN_PROGRESS)
        and statemachine.may(user, statemachine.LEAD, task),
    }
    return render(request, "tasks/detail.html", context, status=status)


@require_perm(VIEW)
@require_GET
def task_detail(request, pk):
    return _render_task(request, _task(request, pk))


def _service_call(request, task, key, form, call, success):
    """Run a service for a form; on refusal re-render the task page with the form's errors."""
    try:
        call()
    except PermissionDenied:
        raise
    except ValidationError as exc:
        apply_validation_error(form, exc)
        task.refresh_from_db()
        status = 413 if any(getattr(e, "code", None) == "too_large"
                            for e in getattr(exc, "error_list", [])) else 400
        return _render_task(request, task, failed=(key, form), status=status)
    messages.success(request, success)
    return redirect("tasks:detail", task.pk)


@require_perm(VIEW)
@require_POST
@limited_uploads("DUBAN_MAX_UPLOAD_BYTES")
def task_transition(request, pk, name):
    task = _task(request, pk)
    transition = statemachine.TRANSITIONS.get(name)
    if transition is None:
        raise Http404
    statemachine.check_actor(request.user, transition.who, task, transition.label)
    form = TransitionForm(request.POST, request.FILES, prefix=name, transition=transition)
    if _oversized(request, form, "files") or not form.is_valid():
        return _render_task(request, task, failed=(name, form), status=_status_for(form))
    data = form.cleaned_data

    def call():
        services.task_transition(actor=request.user, task=task, name=name, reason=data.get("reason", ""),
                                 expected_version=data["version"], narrative=data.get("narrative", ""),
                                 files=data.get("files") or [], percent=data.get("percent", 100),
                                 quantity=data.get("quantity"))

    return _service_call(request, task, name, form, call,
                         _("已%(action)s:%(title)s") % {"action": transition.label, "title": task.title})


@require_perm(VIEW)
@require_POST
@limited_uploads("DUBAN_MAX_UPLOAD_BYTES")
def report_submit(request, pk):
    task = _task(request, pk)
    statemachine.check_actor(request.user, statemachine.PARTICIPANT, task, _("报送进展"))
    form = ReportForm(request.POST, request.FILES, prefix="report", reports=_correctable(task))
    if _oversized(request, form, "files") or not form.is_valid():
        return _render_task(request, task, failed=("report", form), status=_status_for(form))
    data = form.cleaned_data

    def call():
        services.report_submit(actor=request.user, task=task, narrative=data["narrative"], percent=data["percent"],
                               quantity=data.get("quantity"), files=data.get("files") or [],
                               corrects=data.get("corrects"))

    return _service_call(request, task, "report", form, call, _("进展已报送。"))


@require_perm(VIEW)
@require_POST
def extension_request(request, pk):
    task = _task(request, pk)
    statemachine.check_actor(request.user, statemachine.LEAD, task, _("申请延期"))
    form = ExtensionRequestForm(request.POST, prefix="extension")
    if not form.is_valid():
        return _render_task(request, task, failed=("extension", form), status=400)

    def call():
        services.extension_request(actor=request.user, task=task, requested_due=form.cleaned_data["requested_due"],
                                   reason=form.cleaned_data["reason"])

    return _service_call(request, task, "extension", form, call, _("延期申请已提交,等待督查室审批。"))


@require_perm(MANAGE)
@require_POST
def extension_decide(request, pk):
    extension = selectors.extension_get_for_user(request.user, pk)
    task = _task(request, extension.task_id)
    form = ExtensionDecisionForm(request.POST, prefix="decide")
    if not form.is_valid():
        return _render_task(request, task, failed=("decide", form), status=400)
    approve = form.cleaned_data["decision"] == "approve"

    def call():
        services.extension_decide(actor=request.user, extension=extension, approve=approve,
                                  reason=form.cleaned_data["reason"], expected_version=form.cleaned_data["version"])

    return _service_call(request, task, "decide", form, call,
                         _("已同意延期。") if approve else _("已不同意延期申请。"))


@require_perm(VIEW)
@require_POST
def instruct(request, pk):
    task = _task(request, pk)
    statemachine.check_actor(request.user, statemachine.INSTRUCT, task, _("批示"))
    form = InstructionForm(request.POST, prefix="instruct")
    if not form.is_valid():
        return _render_task(request, task, failed=("instruct", form), status=400)

    def call():
        services.instruction_add(actor=request.user, task=task, text=form.cleaned_data["text"])

    return _service_call(request, task, "instruct", form, call, _("批示已送达牵头单位。"))


@require_perm(VIEW)
@require_POST
def milestone_toggle(request, pk, milestone_pk):
    task = _task(request, pk)
    milestone = next((m for m in task.milestones.all() if m.pk == milestone_pk), None)
    if milestone is None:
        raise Http404
    try:
        services.milestone_set_done(actor=request.user, milestone=milestone, done=request.POST.get("done") == "1")
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
        return _render_task(request, task, status=400)
    messages.success(request, _("节点“%(name)s”已更新。") % {"name": milestone.name})
    return redirect("tasks:detail", task.pk)


@require_perm(VIEW)
@require_GET
def evidence_download(request, pk):
    """The only way to an evidence file (AC-09): visible task or 404, digest re-checked (FU-04),
    a download whatever the file contains (FU-03)."""
    evidence = selectors.evidence_get_for_user(request.user, pk)
    try:
        content = services.evidence_open(user=request.user, evidence=evidence)
    except evidence_files.EvidenceIntegrityError:
        # Generic on purpose: the ledger has the details, the user only needs to report it.
        return render(request, "tasks/file_unavailable.html", status=500)
    content_type = evidence_files.CONTENT_TYPES.get(evidence.file_type, "application/octet-stream")
    response = _attachment(content, evidence.original_name, content_type)
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- create, edit, decompose -------------------------------------------------------------------
def _task_form(request, *, data=None, initial=None, editing=False):
    user = request.user
    return TaskForm(
        data, initial=initial, editing=editing,
        units=org_selectors.units_for_user(user).filter(is_active=True).order_by("path"),
        people=org_selectors.people_for_user(user).filter(is_active=True).order_by("unit__path", "name"),
        posts=org_selectors.posts_for_user(user).order_by("unit__path", "title"),
        categories=selectors.categories(), sources=selectors.sources_for_user(user),
    )


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
def task_create(request):
    parent_id = request.GET.get("parent") or request.POST.get("parent")
    parent = _task(request, parent_id) if parent_id else None
    initial = {}
    if parent is not None:
        initial = {"category": parent.category, "source": parent.source, "due_date": parent.due_date,
                   "reporting_cycle": parent.reporting_cycle}
    elif request.GET.get("source"):
        initial["source"] = selectors.source_get_for_user(request.user, request.GET["source"])
    form = _task_form(request, data=request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            task = services.task_create(actor=request.user, parent=parent, co_units=form.cleaned_data["co_units"],
                                        milestones=form.cleaned_data["milestones"], **form.values())
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已新建任务“%(title)s”(草稿),核对后可交办。") % {"title": task.title})
            return redirect("tasks:detail", task.pk)
    ancestors = list(selectors.task_ancestors(parent)) + [parent] if parent else []
    return render(request, "tasks/task_form.html", {"form": form, "parent": parent, "ancestors": ancestors},
                  status=400 if request.method == "POST" else 200)


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
def task_edit(request, pk):
    task = _task(request, pk)
    form = _task_form(request, data=request.POST or None, initial=TaskForm.initial_for(task), editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.task_update(actor=request.user, task=task, expected_version=form.cleaned_data["version"],
                                 co_units=form.cleaned_data["co_units"], milestones=form.cleaned_data["milestones"],
                                 **form.values())
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已保存任务“%(title)s”。") % {"title": task.title})
            return redirect("tasks:detail", task.pk)
    return render(request, "tasks/task_form.html", {"form": form, "task": task,
                                                    "ancestors": list(selectors.task_ancestors(task)) + [task]},
                  status=400 if request.method == "POST" else 200)


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
def task_decompose(request, pk):
    """分解: several subtasks in one submission, all or nothing."""
    parent = _task(request, pk)
    units = org_selectors.units_for_user(request.user).filter(is_active=True).order_by("path")
    extra = min(max(_int(request.GET.get("rows"), 5), 1), 50)
    formset = decompose_formset(extra)(request.POST or None, prefix="rows", units=units, parent=parent)
    if request.method == "POST" and formset.is_valid():
        try:
            created = services.task_decompose(actor=request.user, parent=parent, children=formset.children())
        except ValidationError as exc:
            formset._non_form_errors = formset.error_class(exc.messages, renderer=formset.renderer)
        else:
            messages.success(request, _("已分解出 %(n)s 项下级任务。") % {"n": len(created)})
            return redirect("tasks:detail", parent.pk)
    return render(request, "tasks/decompose.html", {
        "task": parent, "formset": formset, "ancestors": list(selectors.task_ancestors(parent)) + [parent],
        "more_rows": extra + 5,
    }, status=400 if request.method == "POST" else 200)


# --- sources ---------------------------------------------------------------------------------
@require_perm(VIEW)
@require_GET
def source_list(request):
    qs = selectors.sources_for_user(request.user)
    text = request.GET.get("q", "").strip()[:100]
    if text:
        qs = qs.filter(title__icontains=text)
    page = Paginator(qs.order_by("-date", "-id"), 50).get_page(request.GET.get("page"))
    return render(request, "tasks/source_list.html", {"page": page, "q": text,
                                                      "can_manage": permissions.can(request.user, MANAGE)})


@require_perm(VIEW)
@require_GET
def source_detail(request, pk):
    source = selectors.source_get_for_user(request.user, pk)
    tasks = list(selectors.task_list(request.user, {"source": source, "sort": "number"})[:500])
    return render(request, "tasks/source_detail.html", {
        "source": source, "tasks": tasks, "light_labels": dict(Light.choices), "status_badges": STATUS_BADGES,
        "can_manage": permissions.can(request.user, MANAGE)})


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
@limited_uploads("DUBAN_MAX_UPLOAD_BYTES")
def source_create(request):
    form = SourceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and not _oversized(request, form, "file") and form.is_valid():
        data = form.cleaned_data
        try:
            source = services.source_create(actor=request.user, kind=data["kind"], title=data["title"],
                                            date=data["date"], issuer=data["issuer"], doc_number=data["doc_number"],
                                            text=data["text"], file=data["file"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已录入来源“%(title)s”。") % {"title": source.title})
            return redirect("tasks:source_detail", source.pk)
    status = 200 if request.method == "GET" else _status_for(form)
    return render(request, "tasks/source_form.html", {"form": form}, status=status)


@require_perm(VIEW)
@require_GET
def index(request):
    return redirect("tasks:todo")

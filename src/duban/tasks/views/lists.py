"""The responsibility list (一级一清单 / 一人一清单), its typed searches and its Excel export."""

from __future__ import annotations

from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from duban.core import permissions
from duban.core.decorators import require_perm
from duban.orgs import selectors as org_selectors
from duban.tasks import excel, lights, selectors, services, ui_queries
from duban.tasks.forms import (
    PAGE_SIZES,
    TaskFilterForm,
    person_label,
)
from duban.tasks.models import Light
from duban.tasks.views._common import (
    MANAGE,
    STATUS_BADGES,
    VIEW,
    XLSX,
    _attachment,
    _int,
)

# Sortable columns of the responsibility list: (key, label); the selector owns the ordering.
LIST_COLUMNS = (("title", gettext_lazy("任务名称")), ("unit", gettext_lazy("牵头单位")),
                ("due", gettext_lazy("完成时限")), ("light", gettext_lazy("亮灯")), ("percent", gettext_lazy("进度")))


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


def _filtered(request, form, warn_days=None):
    filters = form.filters()
    qs = selectors.task_list(request.user, filters, warn_days=warn_days)
    if form.mode == "person" and filters.get("person") is None:
        qs = qs.none()  # 一人一清单 with nobody chosen lists nothing, not everything
    return filters, qs


def _filtered_without_light(request, form, warn_days=None):
    filters = {**form.filters(), "light": None}
    qs = selectors.task_list(request.user, filters, warn_days=warn_days)
    return qs.none() if form.mode == "person" and filters.get("person") is None else qs



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
    warn_days = lights.yellow_days()  # the policy, read once for the rows' lights and the chips
    filters, qs = _filtered(request, form, warn_days)
    per_page = _int(request.GET.get("per_page"), PAGE_SIZES[1])
    per_page = per_page if per_page in PAGE_SIZES else PAGE_SIZES[1]
    # The light summary counts the list without its own light filter, so every chip stays
    # clickable; with a light chosen, its chip is the list's count (no second count).
    summary_qs = qs if not filters.get("light") else _filtered_without_light(request, form, warn_days)
    light_summary = ui_queries.light_counts(summary_qs, warn_days=warn_days)
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
    context = {"form": form, "mode": form.mode, "page": page, "rows": _rows(page.object_list),
               "columns": columns, "sort": sort,
               "light_summary": light_summary, "light_filter": filters.get("light") or "",
               "count_cap": ui_queries.COUNT_CAP,
               "per_page": per_page, "page_sizes": PAGE_SIZES, "export_query": request.GET.urlencode(),
               "light_labels": dict(Light.choices), "status_badges": STATUS_BADGES,
               "can_manage": permissions.can(request.user, MANAGE)}
    template = "tasks/_list_results.html" if request.htmx and request.htmx.target == "task-results" else "tasks/list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def _rows(tasks) -> list[dict]:
    """The page's rows as plain values, formatted once here instead of by template filters and
    two includes per cell (those were most of the page's rendering). The status badge and the
    light are rendered once per distinct value from their templates (tasks/_status.html,
    tasks/_light.html), so every page that shows them keeps one markup."""
    detail = reverse("tasks:detail", args=[0])
    head, tail = detail.rsplit("/0/", 1)
    badges, light_marks = {}, {}
    rows = []
    for t in tasks:
        if t.status not in badges:
            badges[t.status] = render_to_string("tasks/_status.html", {"status": t.status,
                                                                       "label": t.get_status_display()})
        if t.light not in light_marks:
            light_marks[t.light] = render_to_string("tasks/_light.html", {"light": t.light})
        rows.append({
            "number": t.tree_number, "depth": t.depth, "url": f"{head}/{t.pk}/{tail}", "title": t.title,
            "category": t.category.name if t.category_id else "",
            "unit": t.lead_unit.name if t.lead_unit_id and t.lead_unit.name else "—",
            "co_units": "、".join(u.name for u in t.co_units.all()),
            "leader": t.responsible_leader.name if t.responsible_leader_id else "",
            "due": f"{t.due_date:%Y-%m-%d}" if t.due_date else "—",
            "original_due": f"{t.original_due_date:%Y-%m-%d}" if t.original_due_date else "",
            "status": badges[t.status], "light": light_marks[t.light], "percent": t.latest_percent,
        })
    return rows


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
    # Drafts stay out of the 台账 unless asked for (含草稿: drafts=1, or a filter on 草稿 itself).
    drafts = request.GET.get("drafts") == "1" or "draft" in (_filters.get("status") or [])
    content = services.tasks_export(actor=request.user, queryset=qs, include_drafts=drafts)
    return _attachment(content, excel.filename(), XLSX)

"""My todo (我的待办): what the user has to acknowledge, report, review or approve."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from duban.core.decorators import require_perm
from duban.tasks import lights, selectors, ui_queries
from duban.tasks.views._common import (
    VIEW,
    _acting_notes,
)

TODO_TABS = (
    ("acknowledge", gettext_lazy("待签收")),
    ("returned", gettext_lazy("退回待办")),
    ("reply", gettext_lazy("待回复批示")),
    ("report", gettext_lazy("待填报")),
    ("review", gettext_lazy("待审核")),
    ("extensions", gettext_lazy("待审批延期")),
)


# --- my todo ---------------------------------------------------------------------------------
@require_perm(VIEW)
@require_GET
def todo(request):
    user = request.user
    todo_lists = selectors.todo_for_user(user)
    querysets = {"acknowledge": todo_lists.to_acknowledge, "returned": todo_lists.returned,
                 "reply": todo_lists.to_reply, "report": todo_lists.to_report,
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
    notes = _acting_notes(user, rows) if tab in ("acknowledge", "returned", "reply", "report") else {}
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

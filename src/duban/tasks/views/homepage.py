"""The home page (the workbench everyone lands on) and the tasks app's own index."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from duban.core import permissions
from duban.core.decorators import require_perm
from duban.core.roles import Role
from duban.orgs import selectors as org_selectors
from duban.tasks import lights, selectors, ui_queries
from duban.tasks.models import CLOSED_STATUSES, Light
from duban.tasks.views._common import VIEW


@login_required
def home(request):
    """The workbench: what is waiting for me, how my part of the responsibility list stands, and
    the directory at a glance — each block only for users who may see it. Every number is
    counted up to ui_queries.COUNT_CAP (shown as "1000+"), like the todo page's tabs: this is
    the first page everyone sees, and an exact COUNT over a province's tasks is not worth it."""
    user = request.user
    if user.role == Role.LEADER and permissions.can(user, permissions.DASHBOARD_VIEW):
        return redirect("dashboard:index")  # a leader's home is the dashboard (驾驶舱, duban.dashboard)
    capped = ui_queries.capped_count
    context = {"count_cap": ui_queries.COUNT_CAP}
    if permissions.can(user, permissions.TASKS_VIEW):
        policy = selectors.policy()  # read once for the todo counts and the lights
        today = lights.today()
        todo = selectors.todo_for_user(user, today, policy=policy)
        context["todo"] = {
            "to_acknowledge": capped(todo.to_acknowledge),
            "returned": capped(todo.returned),
            "to_reply": capped(todo.to_reply),
            "to_report": capped(todo.to_report),
            "to_review": capped(todo.to_review),
            "to_approve": capped(todo.to_approve_extensions),
        }
        visible, small = selectors.tasks_for_list(user)
        open_tasks = visible.exclude(status__in=CLOSED_STATUSES)
        counts = dict(ui_queries.light_counts(open_tasks, today, warn_days=policy.yellow_days))
        context["lights"] = {"total": capped(open_tasks), "red": counts[Light.RED],
                             "yellow": counts[Light.YELLOW], "green": counts[Light.GREEN]}
        red = open_tasks.filter(lights.light_q(Light.RED, today, warn_days=policy.yellow_days))
        context["red_tasks"] = list(red.order_by(*selectors.ordering("due", selective=small))[:8])
    if permissions.can(user, permissions.DIRECTORY_VIEW):
        context["unit_count"] = capped(org_selectors.units_for_user(user))
        context["person_count"] = capped(org_selectors.people_for_user(user))
        context["post_count"] = capped(org_selectors.posts_for_user(user))
    return render(request, "tasks/home.html", context)


@require_perm(VIEW)
@require_GET
def index(request):
    return redirect("tasks:todo")

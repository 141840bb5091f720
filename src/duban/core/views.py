from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from duban.core import permissions


@login_required
def home(request):
    """The workbench: what is waiting for me, how my part of the responsibility list stands, and
    the directory at a glance — each block only for users who may see it."""
    from django.db.models import Count, Q

    from duban.orgs import selectors as org_selectors
    from duban.tasks import selectors as task_selectors
    from duban.tasks.models import CLOSED_STATUSES

    user = request.user
    context = {}
    if permissions.can(user, permissions.TASKS_VIEW):
        todo = task_selectors.todo_for_user(user)
        context["todo"] = {
            "to_acknowledge": todo.to_acknowledge.count(),
            "to_report": todo.to_report.count(),
            "to_review": todo.to_review.count(),
            "to_approve": todo.to_approve_extensions.count(),
        }
        open_tasks = task_selectors.with_light(task_selectors.tasks_for_user(user).exclude(status__in=CLOSED_STATUSES))
        # One aggregate query for the four counters.
        context["lights"] = open_tasks.aggregate(
            total=Count("pk"), red=Count("pk", filter=Q(light="red")), yellow=Count("pk", filter=Q(light="yellow")),
            green=Count("pk", filter=Q(light="green")))
        context["red_tasks"] = list(open_tasks.filter(light="red").order_by("due_date", "path")[:8])
    if permissions.can(user, permissions.DIRECTORY_VIEW):
        context["unit_count"] = org_selectors.units_for_user(user).count()
        context["person_count"] = org_selectors.people_for_user(user).count()
        context["post_count"] = org_selectors.posts_for_user(user).count()
    return render(request, "core/home.html", context)


def healthz(request):
    """Liveness: the process answers."""
    return JsonResponse({"status": "ok"})


def readyz(request):
    """Readiness: the database answers and file storage is writable."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001
        checks["database"] = "down"
    try:
        name = default_storage.save("readyz/probe.txt", ContentFile(b"ok"))
        default_storage.delete(name)
        checks["storage"] = "ok"
    except Exception:  # noqa: BLE001
        checks["storage"] = "down"
    ok = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if ok else "unavailable", **checks}, status=200 if ok else 503)


def not_found(request, exception=None):
    return render(request, "core/error.html", {"code": 404}, status=404)


def forbidden(request, exception=None):
    return render(request, "core/error.html", {"code": 403}, status=403)


def server_error(request):
    return render(request, "core/error.html", {"code": 500}, status=500)

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render


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

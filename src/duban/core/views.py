from django.db import connection
from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext, gettext_lazy


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


# Error pages (handler400/403/404/500 in duban.urls). People get the site's layout, in their
# language, with a way back; under /api/ the answer is the API's JSON dialect (api/errors.py)
# even when the URL matched no route or the view crashed outside the API's own handlers.
ERROR_MESSAGES = {
    400: gettext_lazy("请求无效,请返回上一页重试。"),
    403: gettext_lazy("您没有执行此操作的权限。"),
    404: gettext_lazy("页面不存在,或您无权查看。"),
    500: gettext_lazy("系统出错了,我们已记录此问题,请稍后重试。"),
}
ERROR_TITLES = {
    400: gettext_lazy("请求无效"),
    403: gettext_lazy("无权访问"),
    404: gettext_lazy("页面不存在"),
    500: gettext_lazy("系统错误"),
}


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def _error(request, code):
    if _wants_json(request):
        return JsonResponse({"detail": str(ERROR_MESSAGES[code])}, status=code, json_dumps_params={"ensure_ascii": False})
    context = {"code": code, "title": ERROR_TITLES[code], "message": ERROR_MESSAGES[code]}
    return render(request, "core/error.html", context, status=code)


def bad_request(request, exception=None):
    return _error(request, 400)


def forbidden(request, exception=None):
    return _error(request, 403)


def not_found(request, exception=None):
    return _error(request, 404)


def server_error(request):
    """The 500 page renders without context processors and without the request in its context,
    so neither a broken database nor a failing processor can turn it into a second error."""
    if _wants_json(request):
        return JsonResponse({"detail": str(ERROR_MESSAGES[500])}, status=500, json_dumps_params={"ensure_ascii": False})
    context = {"code": 500, "title": ERROR_TITLES[500], "message": ERROR_MESSAGES[500], "minimal": True}
    try:
        body = loader.render_to_string("core/error.html", context)
    except Exception:  # noqa: BLE001 - the last resort must answer something
        body = "<!doctype html><title>500</title><h1>500</h1><p>{}</p><p><a href=\"/\">{}</a></p>".format(
            ERROR_MESSAGES[500], gettext("返回首页"))
    return HttpResponseServerError(body)

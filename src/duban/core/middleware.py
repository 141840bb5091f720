import json
import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.signals import got_request_exception
from django.db import DataError, IntegrityError, InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from duban.core import context, uploads


class RequestContextMiddleware:
    """Binds client address, a request id and (lazily) the user for audit entries."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = context.new_request_id()
        request.client_ip = context.client_ip(request)
        token = context.set_for_request(
            context.RequestContext(ip=request.client_ip, request_id=request.request_id,
                                   user=lambda: getattr(request, "user", None), path=request.path[:200])
        )
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


class SecurityHeadersMiddleware:
    """CSP, frame-ancestors and cache rules on every response (DP-01)."""

    CSP = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/api/docs"):
            response.setdefault("Content-Security-Policy", self.CSP)
        response.setdefault("Referrer-Policy", settings.SECURE_REFERRER_POLICY)
        response.setdefault("X-Content-Type-Options", "nosniff")
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            response.setdefault("Cache-Control", "no-store")
        return response


# --- bad characters (issue 11: a NUL byte gave PostgreSQL a 500) ----------------------------------
# NUL cannot be stored by PostgreSQL and no text input needs it; other C0 controls are refused
# too, except tab, line feed, vertical tab, form feed and carriage return (pasted text has them).
BAD_CHARACTERS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# Sign-in checks its own input: a bad username there is a failed, audited, throttled attempt.
SIGN_IN_PATHS = frozenset({"/accounts/login/", "/api/auth/token"})


def _bad_text(value) -> bool:
    if isinstance(value, str):
        return bool(BAD_CHARACTERS.search(value))
    if isinstance(value, dict):
        return any(_bad_text(k) or _bad_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_bad_text(v) for v in value)
    return False


def bad_characters_response(request):
    message = _("提交的内容含有不允许的控制字符(如 NUL),请删除后重试。")
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": "bad_characters"}, status=400,
                            json_dumps_params={"ensure_ascii": False})
    return render(request, "core/error.html", {"code": 400, "title": _("请求无效"), "message": message}, status=400)


class InputCharactersMiddleware:
    """Refuses, with a clear 400, a request whose query string, form body or JSON body carries a
    control character (IP-01). Multipart bodies are parsed by the view under its upload limit,
    and Django's form fields refuse NUL there; a NUL that still reaches the database (PostgreSQL:
    ``ValueError`` "cannot contain NUL") is answered here with the same 400 instead of a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path not in SIGN_IN_PATHS and self._has_bad_characters(request):
            return bad_characters_response(request)
        return self.get_response(request)

    @staticmethod
    def _has_bad_characters(request) -> bool:
        if _bad_text(request.path) or any(_bad_text(v) for vs in request.GET.lists() for v in [vs[0], *vs[1]]):
            return True
        if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
            return False
        content_type = request.content_type or ""
        try:
            if content_type == "application/x-www-form-urlencoded":
                return any(_bad_text(v) for vs in request.POST.lists() for v in [vs[0], *vs[1]])
            if content_type == "application/json" and request.body:
                return _bad_text(json.loads(request.body))
        except (ValueError, RequestDataTooBig, UnicodeDecodeError, RecursionError):
            return False  # the view answers a malformed, oversized or too deeply nested body itself
        return False

    def process_exception(self, request, exception):
        if isinstance(exception, ValueError) and "NUL" in str(exception):
            return bad_characters_response(request)
        if isinstance(exception, uploads.StorageFull):  # a full disk: a clear 507, nothing kept
            return uploads.storage_full_response(request)
        if isinstance(exception, OverflowError) or (
                isinstance(exception, (DataError, IntegrityError)) and _is_out_of_range(exception)):
            return out_of_range_response(request)
        return None


def _is_out_of_range(exception) -> bool:
    # PostgreSQL: "value … is out of range for type bigint"; SQLite: "datatype mismatch".
    text = str(exception)
    return "out of range" in text or "datatype mismatch" in text or "too large" in text


def out_of_range_response(request):
    """A number too large for the database (a page, an offset, an id) that no field caught: a
    clear 400 rather than a 500."""
    message = _("提交的数值超出允许范围。")
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": "out_of_range"}, status=400,
                            json_dumps_params={"ensure_ascii": False})
    return render(request, "core/error.html", {"code": 400, "title": _("请求无效"), "message": message}, status=400)


# --- database outage (RL-05) ---------------------------------------------------------------------
class DatabaseUnavailableMiddleware:
    """While the database cannot be reached, every request gets a generic 503 (the site's page, or
    JSON under /api/) with no traceback, instead of a 500. Outermost, so it also sees failures of
    the session and authentication middleware: any layer's OperationalError/InterfaceError is
    noted by the ``got_request_exception`` signal, and the 500 it became is answered as 503. With
    ``CONN_HEALTH_CHECKS`` the next request after the database returns opens a fresh connection,
    so the site recovers by itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            response = self.get_response(request)
        except (OperationalError, InterfaceError):
            return unavailable_response(request)
        if response.status_code == 500 and getattr(request, "_duban_db_down", False):
            return unavailable_response(request)
        return response


def _note_database_failure(sender, request=None, **kwargs):
    import sys

    exc = sys.exc_info()[1]
    if request is not None and isinstance(exc, (OperationalError, InterfaceError)):
        request._duban_db_down = True
        for conn in connections.all(initialized_only=True):
            try:
                conn.close_if_unusable_or_obsolete()
            except Exception:  # noqa: BLE001, S110 - the connection is already broken
                pass


got_request_exception.connect(_note_database_failure, dispatch_uid="duban-db-unavailable")


def unavailable_response(request):
    message = _("系统暂时无法访问数据库,请稍后重试。")
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message, "code": "unavailable"}, status=503,
                                json_dumps_params={"ensure_ascii": False})
    else:
        from django.template import loader

        context = {"code": 503, "title": _("服务暂不可用"), "message": message, "minimal": True}
        try:
            body = loader.render_to_string("core/error.html", context)
        except Exception:  # noqa: BLE001 - the last resort must answer something
            body = f"<!doctype html><title>503</title><h1>503</h1><p>{message}</p>"
        response = HttpResponse(body, status=503)
    response["Retry-After"] = "30"
    return response

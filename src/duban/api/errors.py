"""The API's one error dialect, installed on the shared NinjaAPI (docs/decisions/0002-api-errors.md).

Every router answers the same way, so a handler raises and never builds an error response:

==============================================  ======  ==============================================
raised                                          status  body
==============================================  ======  ==============================================
malformed request (ninja ``ValidationError``:   400     ``{"detail": "提交的数据有误。",
unknown field, wrong type, missing field)               "errors": {field: [message, …]}}``
``django ValidationError`` from a service       400     ``{"detail": "…；…", "errors": {field: […]}}``
… with a ``too_large`` message (uploads)        413     the same
``duban.core.services.ConflictError``           409     ``{"detail": "…", "code": "stale", **extra}``
(``ConcurrentEditError``: a stale ``version``)
``PermissionDenied`` / ``HttpError(403)``       403     ``{"detail": "…"}``
``Http404`` (also outside the caller's scope)   404     ``{"detail": "…"}``
==============================================  ======  ==============================================

Field keys are the request's own field names (``title``, ``unit``, ``files``); messages not tied
to one field are under ``"__all__"``. Messages are Chinese (gettext), like the UI's.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI
from ninja.errors import ValidationError as RequestValidationError

from duban.core import uploads
from duban.core.services import ConflictError

# pydantic's error types, said the way the UI says them.
PYDANTIC_MESSAGES = {
    "missing": gettext_lazy("必填。"),
    "extra_forbidden": gettext_lazy("不允许提交该字段。"),
    "enum": gettext_lazy("取值无效。"),
    "literal_error": gettext_lazy("取值无效。"),
    "int_parsing": gettext_lazy("须为整数。"),
    "int_type": gettext_lazy("须为整数。"),
    "int_from_float": gettext_lazy("须为整数。"),
    "greater_than": gettext_lazy("取值过小。"),
    "greater_than_equal": gettext_lazy("取值过小。"),
    "less_than": gettext_lazy("取值过大。"),
    "less_than_equal": gettext_lazy("取值过大。"),
    "bool_parsing": gettext_lazy("须为 true 或 false。"),
    "bool_type": gettext_lazy("须为 true 或 false。"),
    "string_type": gettext_lazy("须为文本。"),
    "string_too_long": gettext_lazy("文本过长。"),
    "string_too_short": gettext_lazy("文本过短。"),
    "date_parsing": gettext_lazy("日期格式应为 YYYY-MM-DD。"),
    "date_from_datetime_parsing": gettext_lazy("日期格式应为 YYYY-MM-DD。"),
    "date_type": gettext_lazy("日期格式应为 YYYY-MM-DD。"),
    "list_type": gettext_lazy("须为列表。"),
    "json_invalid": gettext_lazy("请求体不是有效的 JSON。"),
    "model_attributes_type": gettext_lazy("请求体须为 JSON 对象。"),
    "dict_type": gettext_lazy("请求体须为 JSON 对象。"),
}
# Where ninja found the value (the first element of a location), and the name every request
# body has (the operation's ``payload`` parameter): neither is a field name.
SOURCES = frozenset({"body", "query", "path", "form", "file", "header", "cookie"})
BODY_PARAMETERS = frozenset({"payload"})


def _pydantic_message(error: dict) -> str:
    text = PYDANTIC_MESSAGES.get(error.get("type", ""))
    return str(text) if text else str(error.get("msg", ""))


def field_name(loc) -> str:
    """("body", "payload", "unit") → "unit"; ("query", "limit") → "limit"; ("status",) → "status"."""
    parts = [str(p) for p in loc]
    if len(parts) > 1 and parts[0] in SOURCES:
        parts.pop(0)
    if len(parts) > 1 and parts[0] in BODY_PARAMETERS:
        parts.pop(0)
    return ".".join(parts) or NON_FIELD_ERRORS


def field_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
    return {NON_FIELD_ERRORS: [str(m) for m in exc.messages]}


def validation_body(exc: DjangoValidationError) -> dict:
    return {"detail": "；".join(str(m) for m in exc.messages), "errors": field_errors(exc)}


def install(api: NinjaAPI) -> None:
    """Install the handlers on ``api`` (once, in duban.api.api)."""

    def request_invalid(request, exc: RequestValidationError):
        errors: dict[str, list[str]] = {}
        for error in exc.errors:
            errors.setdefault(field_name(error.get("loc", ())), []).append(_pydantic_message(error))
        return api.create_response(request, {"detail": _("提交的数据有误。"), "errors": errors}, status=400)

    def invalid(request, exc: DjangoValidationError):
        return api.create_response(request, validation_body(exc), status=413 if uploads.is_too_large(exc) else 400)

    def conflict(request, exc: ConflictError):
        body = {"detail": "；".join(str(m) for m in exc.messages), "code": exc.error_list[0].code, **exc.extra}
        return api.create_response(request, body, status=409)

    def forbidden(request, exc: PermissionDenied):
        return api.create_response(request, {"detail": str(exc) or _("您没有执行此操作的权限。")}, status=403)

    def not_found(request, exc: Http404):
        return api.create_response(request, {"detail": _("对象不存在,或不在您的权限范围内。")}, status=404)

    def body_too_large(request, exc: RequestDataTooBig):
        # A body over DATA_UPLOAD_MAX_MEMORY_SIZE (IP-07): 413, not Django's generic 400.
        return api.create_response(request, {"detail": _("提交的数据过大。"), "code": "too_large"}, status=413)

    def too_deep(request, exc: RecursionError):
        # JSON nested thousands deep exhausts the parser's recursion (IP-07): a 400, not a 500.
        return api.create_response(request, {"detail": _("提交的数据有误。"), "code": "too_deep"}, status=400)

    api.add_exception_handler(RequestDataTooBig, body_too_large)
    api.add_exception_handler(RecursionError, too_deep)
    api.add_exception_handler(RequestValidationError, request_invalid)
    api.add_exception_handler(DjangoValidationError, invalid)
    api.add_exception_handler(ConflictError, conflict)
    api.add_exception_handler(PermissionDenied, forbidden)
    api.add_exception_handler(Http404, not_found)

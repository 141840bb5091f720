"""The REST API (django-ninja): OpenAPI schema at /api/openapi.json, docs at /api/docs.

Each app adds its router in duban/<app>/api.py; permissions and scoping are the same
selectors and services the UI uses."""

from django.contrib.auth.decorators import login_required
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError

from duban.accounts import services as account_services
from duban.api.auth import AUTH

api = NinjaAPI(
    title="duban API",
    version="1",
    description="督办考评平台 REST API. Authenticate with POST /api/auth/token, then send "
    "`Authorization: Bearer <token>`.",
    auth=AUTH,
    docs_url="/docs",
    docs_decorator=login_required,
    urls_namespace="api",
)


class TokenIn(Schema):
    username: str
    password: str
    name: str = ""


class TokenOut(Schema):
    token: str
    expires_in: int


@api.post("/auth/token", auth=None, response=TokenOut, tags=["auth"])
def issue_token(request, payload: TokenIn):
    from django.conf import settings

    try:
        user = account_services.authenticate_password(payload.username, payload.password)
    except account_services.LoginThrottled:
        raise HttpError(429, "too_many_attempts") from None
    except account_services.LoginFailed:
        raise HttpError(401, "invalid_credentials") from None
    if user.must_change_password:
        raise HttpError(403, "password_change_required")
    key = account_services.token_issue(actor=user, name=payload.name)
    return {"token": key, "expires_in": int(settings.DUBAN_SESSION_ABSOLUTE.total_seconds())}


def _add_routers():
    from importlib import import_module

    for app, prefix in (("orgs", "/"), ("tasks", "/"), ("intake", "/intake")):
        try:
            module = import_module(f"duban.{app}.api")
        except ModuleNotFoundError as exc:
            if exc.name != f"duban.{app}.api":
                raise
            continue
        api.add_router(prefix, module.router)


_add_routers()

"""API authentication and the function-permission gate of every endpoint (every app's router).

A valid credential (bearer token or browser session) whose user lacks the endpoint's function
permission gets 403 (and an ``authz_denied`` ledger row); no credential gets 401. The check runs
in the auth step because ninja parses and validates the request body only after authentication:
a caller who may not write is refused whatever they send, and never learns from a 422 what a
valid body would look like. Object scoping stays with the selectors (404 outside scope).

It lives in core so that each app's router (``duban/<app>/api.py``) can use it without reaching
up to ``duban.api``. A bearer token is turned into a user by Django's authentication backends
(``authenticate(request, bearer_token=…)`` → ``duban.accounts.backends.ApiTokenBackend``), the
framework's own extension point, so core never imports accounts.
"""

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

from duban.core import permissions


def deny(request, user, perm: str):
    permissions.record_denial(user, object_type="route", object_id=request.path[:64],
                              data={"perm": perm, "method": request.method})
    raise HttpError(403, _("您没有执行此操作的权限。"))


def _admit(request, user, perms: tuple[str, ...]):
    """The caller is who they say they are; may they use this endpoint? API_USE and at least one
    of ``perms`` (when given). A password past its maximum age, or a one-time password not yet
    changed, admits nothing but the change (IA-03), for a bearer token as for a session."""
    if getattr(user, "password_expired", False):
        raise HttpError(403, "password_expired")
    if getattr(user, "must_change_password", False):
        raise HttpError(403, "password_change_required")
    if not permissions.can(user, permissions.API_USE):
        deny(request, user, permissions.API_USE)
    if perms and not any(permissions.can(user, perm) for perm in perms):
        deny(request, user, "|".join(perms))
    request.user = user
    return user


class TokenAuth(HttpBearer):
    """Bearer tokens from POST /api/auth/token; they expire like sessions (IA-07)."""

    def __init__(self, *perms: str):
        super().__init__()
        self.perms = perms

    def authenticate(self, request, token):
        user = authenticate(request, bearer_token=token)
        return None if user is None else _admit(request, user, self.perms)


class DubanSessionAuth(SessionAuth):
    """The browser's session, for htmx and the interactive docs (CSRF-checked by ninja)."""

    def __init__(self, *perms: str):
        super().__init__()
        self.perms = perms

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        return _admit(request, user, self.perms)


def require(*perms: str) -> list:
    """``auth=`` for an endpoint (or router) that needs any one of ``perms``."""
    return [TokenAuth(*perms), DubanSessionAuth(*perms)]


AUTH = require()

from django.conf import settings
from ninja.security import HttpBearer, SessionAuth

from duban.accounts import services as account_services
from duban.core import permissions


class TokenAuth(HttpBearer):
    """Bearer tokens from POST /api/auth/token; they expire like sessions (IA-07)."""

    def authenticate(self, request, token):
        user = account_services.token_user(token)
        if user is None or not permissions.can(user, permissions.API_USE):
            return None
        request.user = user
        return user


class DubanSessionAuth(SessionAuth):
    """The browser's session, for htmx and the interactive docs (CSRF-checked by ninja)."""

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and permissions.can(user, permissions.API_USE):
            return user
        return None


AUTH = [TokenAuth(), DubanSessionAuth()]
__all__ = ["AUTH", "settings"]

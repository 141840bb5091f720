"""The double-submit guard of the report and 交办 forms (issue 9: a double tap files one report).

Each rendered form carries a one-time token (``form_token``). The first POST with a token claims
it with ``cache.add`` — an atomic insert into the shared cache (the database table, or Redis), so
a second POST that arrives while the first is still being handled, on this app server or
another, finds it taken. The result of the first POST (the report's id, the tasks handed over)
is kept under the token, in the cache and in the user's session, and a repeated POST is answered
with it instead of a second write. A refused first POST releases the token, so the corrected
form can be sent again. Forms posted without a token (the API, scripts) are not deduplicated.
"""

from __future__ import annotations

import re
import uuid

from django.core.cache import cache

TIMEOUT = 24 * 3600
SESSION_KEY = "duban_form_once"
SESSION_KEEP = 30
PENDING = {"pending": True}
_SHAPE = re.compile(r"[0-9a-f]{32}")


def new_token() -> str:
    return uuid.uuid4().hex


def _key(request, token: str) -> str:
    return f"duban:form-once:{request.user.pk}:{token}"


def _valid(token) -> bool:
    return isinstance(token, str) and bool(_SHAPE.fullmatch(token))


def claim(request, token) -> dict | None:
    """None if this POST is the first with ``token`` (now claimed); else what the first one left
    (``PENDING`` while it is still running or if it broke off)."""
    if not _valid(token):
        return None
    done = request.session.get(SESSION_KEY, {}).get(token)
    if done:
        return done
    if cache.add(_key(request, token), PENDING, timeout=TIMEOUT):
        return None
    return cache.get(_key(request, token)) or PENDING


def release(request, token) -> None:
    """The first POST was refused: the token may be used again by the corrected form."""
    if _valid(token):
        cache.delete(_key(request, token))


def record(request, token, result: dict) -> None:
    if not _valid(token):
        return
    cache.set(_key(request, token), result, timeout=TIMEOUT)
    kept = dict(request.session.get(SESSION_KEY, {}))
    kept[token] = result
    request.session[SESSION_KEY] = dict(list(kept.items())[-SESSION_KEEP:])

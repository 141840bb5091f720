"""Who is acting, from where: the request context that audit entries are stamped with.

Set by RequestContextMiddleware for web and API requests, by commands for the CLI. A contextvar,
so threads and async tasks each see their own.
"""

from __future__ import annotations

import contextvars
import ipaddress
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    request_id: str = ""
    user: object | None = None  # a user, or a callable returning the request's user
    path: str = ""  # the request's path (no query string), for de-duplicating denial rows


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar("duban_request", default=RequestContext())


def current() -> RequestContext:
    return _current.get()


@contextmanager
def bind(**values):
    token = _current.set(RequestContext(**{**current().__dict__, **values}))
    try:
        yield
    finally:
        _current.reset(token)


def set_for_request(ctx: RequestContext):
    return _current.set(ctx)


def reset(token) -> None:
    _current.reset(token)


def new_request_id() -> str:
    return uuid.uuid4().hex


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, unless that is a trusted proxy, then the rightmost
    X-Forwarded-For hop that is not itself a trusted proxy. A forged header from anyone else is
    ignored, so it cannot split throttling counters or fake audit addresses."""
    remote = request.META.get("REMOTE_ADDR") or None
    trusted = set(settings.TRUSTED_PROXIES)
    if remote in trusted:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        for hop in reversed(hops):
            if hop not in trusted:
                remote = hop
                break
    try:
        return str(ipaddress.ip_address(remote)) if remote else None
    except ValueError:
        return None

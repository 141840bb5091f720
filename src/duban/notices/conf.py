"""Settings of the notices app, with their defaults (override any of them in settings.py)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings


def liaison_post_titles() -> tuple[str, ...]:
    """Titles of a unit's responsible post(s): where a notice "to the unit" goes."""
    return tuple(getattr(settings, "DUBAN_NOTICES_LIAISON_POST_TITLES", ("督办联络员",)))


def max_attempts() -> int:
    return int(getattr(settings, "DUBAN_NOTICES_MAX_ATTEMPTS", 6))


def backoff(attempts: int) -> timedelta:
    """Delay before retry number ``attempts`` + 1: base · 2^(attempts-1), capped."""
    base = float(getattr(settings, "DUBAN_NOTICES_BACKOFF_SECONDS", 30))
    cap = float(getattr(settings, "DUBAN_NOTICES_BACKOFF_MAX_SECONDS", 3600))
    return timedelta(seconds=min(cap, base * (2 ** max(0, attempts - 1))))


def lease() -> timedelta:
    """How long a claimed row stays with its worker; after that another worker may reclaim it."""
    return timedelta(seconds=float(getattr(settings, "DUBAN_NOTICES_LEASE_SECONDS", 120)))


def webhook_timeout() -> float:
    return float(getattr(settings, "DUBAN_NOTICES_WEBHOOK_TIMEOUT", 5.0))


def allow_private_webhooks() -> bool:
    """Loopback/private webhook addresses are refused in production; allowed elsewhere by default."""
    return bool(getattr(settings, "DUBAN_NOTICES_ALLOW_PRIVATE_WEBHOOKS", not getattr(settings, "PRODUCTION", False)))


def sms_backend() -> str:
    return getattr(settings, "DUBAN_NOTICES_SMS_BACKEND", "duban.notices.channels.ConsoleSmsBackend")


def batch_size() -> int:
    return int(getattr(settings, "DUBAN_NOTICES_DELIVERY_BATCH", 50))


def delivery_threads() -> int:
    return int(getattr(settings, "DUBAN_NOTICES_DELIVERY_THREADS", 8))


def pass_seconds() -> float:
    """Time budget of one delivery pass of the worker job (it stops claiming new batches after it)."""
    return float(getattr(settings, "DUBAN_NOTICES_PASS_SECONDS", 20))

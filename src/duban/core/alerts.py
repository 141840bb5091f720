"""Intrusion alerts (IP-06): bursts of failed sign-ins, denials, exports and integrity failures.

Counters live in the shared cache (the database cache or Redis), so every app server adds to the
same count. When a count reaches its threshold within the window, one ``security_alert`` ledger
row is written and every registered sink is called once (``duban.notices`` registers the one that
sends the security administrators a notice). Core knows no app: sinks are registered at ready().

=====================  ===================  ===================================  =============
rule                   counted per          setting (default)                    window
=====================  ===================  ===================================  =============
``login_failures``     source address       ``DUBAN_ALERT_LOGIN_FAILURES`` (10)  15 min
``denials``            user (or address)    ``DUBAN_ALERT_DENIALS`` (20)         15 min
``exports``            user                 ``DUBAN_ALERT_EXPORTS`` (50)         1 day
``integrity``          the whole system     ``DUBAN_ALERT_INTEGRITY`` (1)        1 day
=====================  ===================  ===================================  =============
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

RULES = {
    "login_failures": ("DUBAN_ALERT_LOGIN_FAILURES", 10, 15 * 60),
    "denials": ("DUBAN_ALERT_DENIALS", 20, 15 * 60),
    "exports": ("DUBAN_ALERT_EXPORTS", 50, 24 * 3600),
    "integrity": ("DUBAN_ALERT_INTEGRITY", 1, 24 * 3600),
}
LOGIN_FAILURE_EVENTS = frozenset({"login_failed", "login_blocked", "login_throttled"})
INTEGRITY_EVENTS = frozenset({"integrity_failure", "ledger_verify_failed"})

_SINKS: list[Callable[[dict], None]] = []


def register(sink: Callable[[dict], None]) -> None:
    """``sink(alert)`` is called inside the transaction that wrote the ``security_alert`` row."""
    if sink not in _SINKS:
        _SINKS.append(sink)


def threshold(rule: str) -> int:
    setting, default, _window = RULES[rule]
    return int(getattr(settings, setting, default))


def _count(rule: str, key: str) -> None:
    from duban.core.permissions import _bump

    _setting, _default, window = RULES[rule]
    limit = threshold(rule)
    if limit <= 0:
        return
    count = _bump(f"duban:alert:{rule}:{key}", window)
    if count == limit:
        _raise_alert(rule, key, count, window)


def _raise_alert(rule: str, key: str, count: int, window: int) -> None:
    from duban.core import ledger
    from duban.core.models import Outcome

    alert = {"rule": rule, "key": key, "count": count, "window_seconds": window}
    ledger.append(event="security_alert", outcome=Outcome.FAILURE, object_type="alert", object_id=rule,
                  object_repr=f"{rule} {key}"[:255], data=alert)
    for sink in tuple(_SINKS):
        sink(alert)


def observe_denial(who: str) -> None:
    _count("denials", who)


def observe_entry(entry) -> None:
    """Called by ledger.append for every entry it writes."""
    event = entry.event
    if event in LOGIN_FAILURE_EVENTS:
        _count("login_failures", entry.ip or "unknown")
    elif event in INTEGRITY_EVENTS:
        _count("integrity", "all")
    elif "export" in event and entry.outcome == "success":
        _count("exports", str(entry.actor_id or entry.ip or "unknown"))

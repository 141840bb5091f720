"""The floors of the security parameters (RL-08: defaults cannot silently weaken security).

Production settings (``DUBAN_ENV=production``) refuse to start when any of these is weaker than
its floor; ``violations()`` lists every one at once, so an operator fixes them in one go. The
module is plain Python (no Django import) because settings.py calls it while settings are being
built, and it sits outside the app layers because settings, the bottom layer, may not import
duban.core (pyproject.toml's import contract).

Why settings only: the security policy (lockout, timeouts, password rules, retention, upload limits,
cookie flags) is set by the authorised subject — the 安全管理员 — through the deployment's
environment file (deploy/, docs/security.md §RL-08), which is change-controlled with the host, not
through a page of the application: an application page would let a compromised administrator
session weaken the policy the application itself enforces. There is therefore no in-app policy
edit to validate; the one way to change the policy is a restart, and that restart is checked here.
"""

from __future__ import annotations

from datetime import timedelta

MB = 1024 * 1024

# name: (check, what the floor is) — ``check(value)`` is True when the value is acceptable.
FLOORS = {
    "DUBAN_LOCKOUT_THRESHOLD": (lambda v: 1 <= v <= 5, "between 1 and 5 failed sign-ins"),
    "DUBAN_LOCKOUT_WINDOW": (lambda v: v >= timedelta(minutes=5), "at least 5 minutes"),
    "DUBAN_LOCKOUT_DURATION": (lambda v: v >= timedelta(minutes=10), "at least 10 minutes"),
    "DUBAN_IP_FAILURE_LIMIT": (lambda v: 1 <= v <= 100, "between 1 and 100 failures per address"),
    "DUBAN_SESSION_IDLE": (lambda v: timedelta(minutes=1) <= v <= timedelta(minutes=30), "between 1 and 30 minutes"),
    "DUBAN_SESSION_ABSOLUTE": (lambda v: timedelta(minutes=1) <= v <= timedelta(hours=24), "at most 24 hours"),
    "DUBAN_PASSWORD_MIN_LENGTH": (lambda v: v >= 8, "at least 8 characters"),
    "DUBAN_PASSWORD_MIN_CLASSES": (lambda v: 3 <= v <= 4, "at least 3 character classes"),
    "DUBAN_PASSWORD_MAX_AGE_DAYS": (lambda v: 1 <= v <= 90, "between 1 and 90 days (0, no rotation, is refused)"),
    "DUBAN_PASSWORD_HISTORY": (lambda v: v >= 3, "at least the last 3 passwords"),
    "DUBAN_ONE_TIME_PASSWORD_HOURS": (lambda v: 1 <= v <= 72, "between 1 and 72 hours"),
    "DUBAN_RESET_PASSWORD_MINUTES": (lambda v: 1 <= v <= 60, "between 1 and 60 minutes"),
    "DUBAN_ACCOUNT_IDLE_DAYS": (lambda v: 1 <= v <= 180, "between 1 and 180 days (0, never, is refused)"),
    "DUBAN_AUDIT_RETENTION_MONTHS": (lambda v: v >= 6, "at least 6 months (网络安全法 Art. 21)"),
    "DUBAN_MAX_UPLOAD_BYTES": (lambda v: 1 <= v <= 100 * MB, "between 1 byte and 100 MB"),
    "DATA_UPLOAD_MAX_MEMORY_SIZE": (lambda v: v is not None and 1 <= v <= 20 * MB, "at most 20 MB"),
    "DATA_UPLOAD_MAX_NUMBER_FILES": (lambda v: v is not None and 1 <= v <= 1000, "at most 1000 files"),
    "SESSION_COOKIE_SECURE": (lambda v: v is True, "on (DUBAN_SECURE_COOKIES=true)"),
    "CSRF_COOKIE_SECURE": (lambda v: v is True, "on (DUBAN_SECURE_COOKIES=true)"),
    "SESSION_COOKIE_HTTPONLY": (lambda v: v is True, "on"),
    "CSRF_COOKIE_HTTPONLY": (lambda v: v is True, "on"),
    "SESSION_COOKIE_SAMESITE": (lambda v: v in ("Lax", "Strict"), "Lax or Strict"),
}


def violations(values: dict) -> list[str]:
    """One line per parameter below its floor (or missing), in FLOORS order."""
    out = []
    for name, (ok, floor) in FLOORS.items():
        if name not in values:
            out.append(f"{name} is not set (must be {floor})")
            continue
        value = values[name]
        try:
            good = bool(ok(value))
        except TypeError:
            good = False
        if not good:
            out.append(f"{name}={value!r} is below its floor: must be {floor}")
    return out

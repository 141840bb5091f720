"""RL-08: defaults cannot silently weaken security. Production settings refuse to start when any
security parameter is below its floor (lockout threshold, window and duration, per-address limit,
idle and absolute session timeouts, password length/classes/age/history, one-time and reset
password lifetimes, idle-account days, audit retention, upload limits, cookie flags), naming every
weak one at once. The policy is settings-only (duban.policy_floors says why): there is no
in-app page that edits it, so a restart is the one way to change it, and the restart is checked."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest

from duban.policy_floors import FLOORS, violations

MB = 1024 * 1024
GOOD = {  # the shipped defaults (settings.py) with production's secure cookies
    "DUBAN_LOCKOUT_THRESHOLD": 5, "DUBAN_LOCKOUT_WINDOW": timedelta(minutes=15),
    "DUBAN_LOCKOUT_DURATION": timedelta(minutes=30), "DUBAN_IP_FAILURE_LIMIT": 20,
    "DUBAN_SESSION_IDLE": timedelta(minutes=15), "DUBAN_SESSION_ABSOLUTE": timedelta(hours=8),
    "DUBAN_PASSWORD_MIN_LENGTH": 10, "DUBAN_PASSWORD_MIN_CLASSES": 3, "DUBAN_PASSWORD_MAX_AGE_DAYS": 90,
    "DUBAN_PASSWORD_HISTORY": 5, "DUBAN_ONE_TIME_PASSWORD_HOURS": 24, "DUBAN_RESET_PASSWORD_MINUTES": 30,
    "DUBAN_ACCOUNT_IDLE_DAYS": 90, "DUBAN_AUDIT_RETENTION_MONTHS": 12, "DUBAN_MAX_UPLOAD_BYTES": 20 * MB,
    "DATA_UPLOAD_MAX_MEMORY_SIZE": 5 * MB, "DATA_UPLOAD_MAX_NUMBER_FILES": 100,
    "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True, "SESSION_COOKIE_HTTPONLY": True,
    "CSRF_COOKIE_HTTPONLY": True, "SESSION_COOKIE_SAMESITE": "Lax",
}
# One weak value per parameter, just past its floor.
WEAK = {
    "DUBAN_LOCKOUT_THRESHOLD": [0, 6], "DUBAN_LOCKOUT_WINDOW": [timedelta(minutes=4)],
    "DUBAN_LOCKOUT_DURATION": [timedelta(minutes=9)], "DUBAN_IP_FAILURE_LIMIT": [0, 101],
    "DUBAN_SESSION_IDLE": [timedelta(minutes=31), timedelta(0)], "DUBAN_SESSION_ABSOLUTE": [timedelta(hours=25)],
    "DUBAN_PASSWORD_MIN_LENGTH": [7], "DUBAN_PASSWORD_MIN_CLASSES": [2], "DUBAN_PASSWORD_MAX_AGE_DAYS": [0, 91],
    "DUBAN_PASSWORD_HISTORY": [2], "DUBAN_ONE_TIME_PASSWORD_HOURS": [73], "DUBAN_RESET_PASSWORD_MINUTES": [61],
    "DUBAN_ACCOUNT_IDLE_DAYS": [0, 181], "DUBAN_AUDIT_RETENTION_MONTHS": [5],
    "DUBAN_MAX_UPLOAD_BYTES": [0, 100 * MB + 1], "DATA_UPLOAD_MAX_MEMORY_SIZE": [None, 20 * MB + 1],
    "DATA_UPLOAD_MAX_NUMBER_FILES": [None, 1001], "SESSION_COOKIE_SECURE": [False], "CSRF_COOKIE_SECURE": [False],
    "SESSION_COOKIE_HTTPONLY": [False], "CSRF_COOKIE_HTTPONLY": [False], "SESSION_COOKIE_SAMESITE": [None, "None"],
}


def test_the_shipped_defaults_are_at_or_above_every_floor():
    assert set(GOOD) == set(FLOORS) == set(WEAK)
    assert violations(GOOD) == []


@pytest.mark.parametrize("name, value", [(n, v) for n, values in WEAK.items() for v in values])
def test_each_parameter_just_below_its_floor_is_named(name, value):
    found = violations({**GOOD, name: value})
    assert len(found) == 1 and found[0].startswith(f"{name}=")
    assert violations({k: v for k, v in GOOD.items() if k != name}) == [f"{name} is not set (must be {FLOORS[name][1]})"]


def _start(env):
    full = {k: v for k, v in os.environ.items() if not k.startswith(("DUBAN_", "DJANGO_", "DATABASE_URL"))}
    full.update(env)
    return subprocess.run([sys.executable, "-m", "duban", "check"], capture_output=True, text=True, env=full,
                          timeout=120)


def test_production_startup_refuses_weak_parameters_and_names_them_all(tmp_path):
    base = {"DUBAN_ENV": "production", "DUBAN_DATA_DIR": str(tmp_path), "DUBAN_SECRET_KEY": "k" * 30 + "Zx9!" * 10,
                "DUBAN_LEDGER_KEY": "l" * 40, "DUBAN_ALLOWED_HOSTS": "duban.example.gov.cn"}
    weak = {"DUBAN_LOCKOUT_THRESHOLD": "50", "DUBAN_LOCKOUT_MINUTES": "1", "DUBAN_LOCKOUT_WINDOW_MINUTES": "1",
                "DUBAN_IP_FAILURE_LIMIT": "0", "DUBAN_SESSION_IDLE_MINUTES": "600", "DUBAN_SESSION_ABSOLUTE_HOURS": "720",
                "DUBAN_PASSWORD_MIN_LENGTH": "4", "DUBAN_PASSWORD_MIN_CLASSES": "1", "DUBAN_PASSWORD_MAX_AGE_DAYS": "0",
                "DUBAN_PASSWORD_HISTORY": "0", "DUBAN_ONE_TIME_PASSWORD_HOURS": "1000", "DUBAN_RESET_PASSWORD_MINUTES": "1000",
                "DUBAN_ACCOUNT_IDLE_DAYS": "0", "DUBAN_MAX_UPLOAD_BYTES": str(1024 * MB), "DUBAN_SECURE_COOKIES": "false"}
    result = _start({**base, **weak})
    assert result.returncode != 0
    assert "below their floors (RL-08)" in result.stderr
    for name in ("DUBAN_LOCKOUT_THRESHOLD", "DUBAN_LOCKOUT_DURATION", "DUBAN_LOCKOUT_WINDOW", "DUBAN_IP_FAILURE_LIMIT",
                 "DUBAN_SESSION_IDLE", "DUBAN_SESSION_ABSOLUTE", "DUBAN_PASSWORD_MIN_LENGTH",
                 "DUBAN_PASSWORD_MIN_CLASSES", "DUBAN_PASSWORD_MAX_AGE_DAYS", "DUBAN_PASSWORD_HISTORY",
                 "DUBAN_ONE_TIME_PASSWORD_HOURS", "DUBAN_RESET_PASSWORD_MINUTES", "DUBAN_ACCOUNT_IDLE_DAYS",
                 "DUBAN_MAX_UPLOAD_BYTES", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        assert f"{name}=" in result.stderr, name
    # One weak parameter alone is enough; the same environment with the defaults starts.
    alone = _start({**base, "DUBAN_SESSION_IDLE_MINUTES": "31"})
    assert alone.returncode != 0 and "DUBAN_SESSION_IDLE=" in alone.stderr
    assert "DUBAN_LOCKOUT_THRESHOLD" not in alone.stderr
    fine = _start(base)
    assert fine.returncode == 0, fine.stderr[-2000:]


def test_outside_production_the_floors_do_not_block_development(settings):
    # The test profile itself runs with insecure cookies over http: only production is held to the floors.
    assert settings.SESSION_COOKIE_SECURE is False
    assert "SESSION_COOKIE_SECURE" in " ".join(violations({k: getattr(settings, k) for k in FLOORS}))


"""IA-04: initial and reset passwords are one-time and expire. An account the system
administrator created, or whose password it reset, must change it at the first sign-in. The
admin-set reset password is duban's reset token (there is no self-service reset link): it expires
after DUBAN_RESET_PASSWORD_MINUTES (30), an initial password after DUBAN_ONE_TIME_PASSWORD_HOURS
(24); either works for one sign-in only; after the change it is gone; and a reset never skips the
second factor (tests/accounts/test_two_factor.py)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from duban.accounts import services
from duban.core.models import AuditEntry

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
TEMP = "Qiu-Shui-Lake#2031"
NEW = "Xi-Jiang-Bridge#4417"
GENERIC = "用户名或密码错误,或账户暂不可用。"


def _login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_an_initial_password_expires_unused_after_a_day(cast):
    with time_machine.travel(T0, tick=False) as clock:
        user = services.user_create(actor=cast.sysadmin, username="newcomer", password=TEMP, full_name="新人",
                                    unit=cast.bajiao)
        assert user.one_time_password_until == T0 + timedelta(hours=24)
        clock.shift(timedelta(hours=24, minutes=1))
        response = _login(Client(), "newcomer", TEMP)
    assert response.status_code == 400 and GENERIC in response.content.decode()
    entry = AuditEntry.objects.filter(event="login_failed").last()
    assert entry.data["reason"] == "one_time_password_expired"


def test_a_reset_password_works_within_its_30_minutes_once_then_the_users_own_password_does(cast):
    with time_machine.travel(T0, tick=False) as clock:
        services.password_set_by_admin(actor=cast.sysadmin, user=cast.leader, new_password=TEMP)
        cast.leader.refresh_from_db()
        assert cast.leader.one_time_password_until == T0 + timedelta(minutes=30)
        clock.shift(timedelta(minutes=29))
        client = Client()
        assert _login(client, "leader", TEMP).status_code == 302
        assert client.get("/").url == "/accounts/password/"
        changed = client.post("/accounts/password/", {"old_password": TEMP, "new_password1": NEW,
                                                      "new_password2": NEW})
        assert changed.status_code == 302
        cast.leader.refresh_from_db()
        assert cast.leader.one_time_password_until is None and not cast.leader.must_change_password
        clock.shift(timedelta(days=2))
        assert _login(Client(), "leader", NEW).status_code == 302  # the own password does not expire so
        assert _login(Client(), "leader", TEMP).status_code == 400  # and the one-time one is gone


def test_a_reset_password_left_unused_expires_after_30_minutes(cast):
    with time_machine.travel(T0, tick=False) as clock:
        services.password_set_by_admin(actor=cast.sysadmin, user=cast.leader, new_password=TEMP)
        clock.shift(timedelta(minutes=30, seconds=1))
        response = _login(Client(), "leader", TEMP)
    assert response.status_code == 400 and GENERIC in response.content.decode()
    assert AuditEntry.objects.filter(event="login_failed").last().data["reason"] == "one_time_password_expired"


def test_a_reset_password_signs_in_only_once(cast):
    """The first sign-in uses the reset password up: its session may change the password, but
    a second sign-in with it (another browser, an eavesdropper) is refused."""
    with time_machine.travel(T0, tick=False) as clock:
        services.password_set_by_admin(actor=cast.sysadmin, user=cast.leader, new_password=TEMP)
        first = Client()
        assert _login(first, "leader", TEMP).status_code == 302
        clock.shift(timedelta(minutes=1))
        second = _login(Client(), "leader", TEMP)
        assert second.status_code == 400 and GENERIC in second.content.decode()
        assert AuditEntry.objects.filter(event="login_failed").last().data["reason"] == "one_time_password_expired"
        changed = first.post("/accounts/password/", {"old_password": TEMP, "new_password1": NEW,
                                                     "new_password2": NEW})
        assert changed.status_code == 302
    assert _login(Client(), "leader", NEW).status_code == 302


def test_a_reset_ends_when_the_password_changes_before_it_was_used(cast):
    """The reset password dies with any change: the user changes (or the sysadmin resets) it again."""
    with time_machine.travel(T0, tick=False):
        services.password_set_by_admin(actor=cast.sysadmin, user=cast.leader, new_password=TEMP)
        services.password_set_by_admin(actor=cast.sysadmin, user=cast.leader, new_password=NEW)
        assert _login(Client(), "leader", TEMP).status_code == 400
        assert _login(Client(), "leader", NEW).status_code == 302

"""Authentication rows of docs/security-criteria.md: IA-01, IA-02, IA-05, IA-06, IA-07, IA-08."""

import io
import re
import sys
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from unittest import mock

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.hashers import get_hasher
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import Client, override_settings

from duban.accounts import services
from duban.accounts.models import User
from duban.core.models import AuditEntry

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=dt_timezone.utc)  # 09:00 in Beijing
GOOD = "Qiu-Shui-Lake#2031"
GENERIC = "用户名或密码错误,或账户暂不可用。"


def _post_login(client, username, password, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def _events(event, **filters):
    return AuditEntry.objects.filter(event=event, **filters).count()


# --- IA-01 unique identity, no empty credentials ------------------------------------------------------
def test_usernames_are_unique_regardless_of_case(cast):
    services.user_create(actor=cast.sysadmin, username="Zhang", password=GOOD, full_name="张")
    with pytest.raises(ValidationError, match="已存在"):
        services.user_create(actor=cast.sysadmin, username="zhang", password=GOOD, full_name="张")
    # The database refuses it too, whoever writes.
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="ZHANG")
    assert User.objects.filter(username__iexact="zhang").count() == 1


def test_signing_in_is_case_insensitive_on_the_username(cast, client):
    assert _post_login(client, "SUPERVISOR", cast.password).status_code == 302


@pytest.mark.parametrize("username, password", [("leader", ""), ("", "x"), ("", "")])
def test_an_empty_credential_gives_400_and_an_audit_row(cast, client, username, password):
    response = _post_login(client, username, password)
    assert response.status_code == 400 and GENERIC in response.content.decode()
    entry = AuditEntry.objects.get(event="login_failed")
    assert entry.data["reason"] == "empty" and entry.ip == "127.0.0.1"


# --- IA-02 password policy through every path ---------------------------------------------------------
# Each case builds a password from the target account's username and unit name.
POLICY_CASES = [
    pytest.param(lambda u, unit: "Aa123456", "至少需要", id="Aa123456"),
    pytest.param(lambda u, unit: "qwer1234", "至少需要", id="qwer1234"),
    pytest.param(lambda u, unit: "Password1", "至少需要", id="Password1"),
    pytest.param(lambda u, unit: f"{u}@2024", "不能包含用户名", id="username@2024"),
    pytest.param(lambda u, unit: f"{unit}2024!", "不能包含用户名", id="unit-abbr2024!"),
    pytest.param(lambda u, unit: "Moonshine1", "太常见", id="common-list"),
    pytest.param(lambda u, unit: "Enshi-City#2031", "不能包含用户名", id="city-name"),
    pytest.param(lambda u, unit: "Wo-Ai-芭蕉乡-2031", "不能包含用户名", id="unit-alias"),
    pytest.param(lambda u, unit: "Xy9!" * 32 + "z", "不能超过", id="129-chars"),
    pytest.param(lambda u, unit: "a quiet river runs under the old stone bridge by the willow trees", None,
                 id="64-char-passphrase"),
    pytest.param(lambda u, unit: "Xy9!" * 32, None, id="128-chars"),
]


def _via_create(cast, login, password):
    client = login(cast.sysadmin)
    response = client.post("/accounts/users/new/", {
        "username": "zhoujie", "full_name": "周杰", "unit": cast.bajiao.pk, "person": "", "email": "",
        "new_password1": password, "new_password2": password})
    user = User.objects.filter(username="zhoujie").first()
    return response, user is not None and user.check_password(password)


def _via_self_change(cast, login, password):
    client = login(cast.bajiao_liaison)
    response = client.post("/accounts/password/", {"old_password": cast.password, "new_password1": password,
                                                   "new_password2": password})
    return response, User.objects.get(pk=cast.bajiao_liaison.pk).check_password(password)


def _via_admin_reset(cast, login, password):
    client = login(cast.sysadmin)
    response = client.post(f"/accounts/users/{cast.bajiao_b.pk}/password/",
                           {"new_password1": password, "new_password2": password})
    return response, User.objects.get(pk=cast.bajiao_b.pk).check_password(password)


def _via_createadmin(cast, login, password):
    stdin, sys.stdin = sys.stdin, io.StringIO(password + "\n")
    try:
        call_command("createadmin", "--username", "zhoujie", "--role", "auditor", "--unit", "BJ", "--password-stdin",
                     stdout=io.StringIO())
    except CommandError as exc:
        return exc, False
    finally:
        sys.stdin = stdin
    return None, User.objects.get(username="zhoujie").check_password(password)


PATHS = {"create": (_via_create, "zhoujie"), "self-change": (_via_self_change, "bajiao"),
         "admin-reset": (_via_admin_reset, "bajiao_b"), "createadmin": (_via_createadmin, "zhoujie")}


@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize("make, message", POLICY_CASES)
def test_the_password_policy_holds_on_every_path(cast, login, path, make, message):
    run, username = PATHS[path]
    password = make(username, cast.bajiao.name)
    result, stored = run(cast, login, password)
    if message is None:
        assert stored, getattr(result, "content", result)
        return
    assert not stored
    text = str(result) if isinstance(result, CommandError) else result.content.decode()
    if not isinstance(result, CommandError):
        assert result.status_code == 400
    assert message in text


# --- IA-05 lockout -------------------------------------------------------------------------------------
def test_five_failures_lock_the_account_even_against_the_right_password(cast):
    client = Client()
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(5):
            response = _post_login(client, "leader", "Wrong-Password-1")
            assert response.status_code == 400 and GENERIC in response.content.decode()
        assert _events("login_failed", object_id=str(cast.leader.pk)) == 5
        assert _events("account_locked", object_id=str(cast.leader.pk)) == 1
        # The counters live on the user row: every app server sees them and a restart keeps them.
        row = User.objects.get(pk=cast.leader.pk)
        assert row.locked_until == T0 + settings.DUBAN_LOCKOUT_DURATION

        response = _post_login(client, "leader", cast.password)
        assert response.status_code == 400 and GENERIC in response.content.decode()
        assert "_auth_user_id" not in client.session
        clock.shift(timedelta(minutes=29))
        assert _post_login(client, "leader", cast.password).status_code == 400
        assert _events("login_failed", object_id=str(cast.leader.pk)) == 5  # blocked tries are login_blocked
        assert _events("account_locked") == 1

        clock.shift(timedelta(minutes=1))
        assert _post_login(client, "leader", cast.password).status_code == 302
    row = User.objects.get(pk=cast.leader.pk)
    assert row.failed_login_count == 0 and row.locked_until is None and row.first_failed_login_at is None


def test_failures_spread_beyond_the_window_do_not_lock(cast):
    client = Client()
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(4):
            _post_login(client, "leader", "Wrong-Password-1")
        clock.shift(settings.DUBAN_LOCKOUT_WINDOW + timedelta(seconds=1))
        _post_login(client, "leader", "Wrong-Password-1")
        row = User.objects.get(pk=cast.leader.pk)
        assert not row.is_locked and row.failed_login_count == 1
        assert _post_login(client, "leader", cast.password).status_code == 302


def test_a_successful_login_resets_the_failure_counter(cast):
    client = Client()
    for _ in range(4):
        _post_login(client, "leader", "Wrong-Password-1")
    assert _post_login(client, "leader", cast.password).status_code == 302
    assert User.objects.get(pk=cast.leader.pk).failed_login_count == 0


# --- IA-06 the lock leaks nothing and cannot be abused ---------------------------------------------------
def _normalised(response, username):
    body = response.content.decode()
    body = re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', r'\1"-"', body)
    return body.replace(f'value="{username}"', 'value="-"')


def test_unknown_wrong_locked_and_disabled_look_the_same(cast):
    services.user_set_active(actor=cast.sysadmin, user=cast.discipline, active=False)
    User.objects.filter(pk=cast.baiguo_liaison.pk).update(locked_until=T0 + timedelta(days=3650))
    attempts = {
        "unknown": ("nobody-here", "Some-Password-1"),
        "wrong": ("leader", "Some-Password-1"),
        "locked": ("baiguo", cast.password),
        "disabled": ("discipline", cast.password),
    }
    seen = {}
    for kind, (username, password) in attempts.items():
        response = _post_login(Client(), username, password)
        seen[kind] = (response.status_code, _normalised(response, username))
    statuses = {status for status, _ in seen.values()}
    bodies = {body for _, body in seen.values()}
    assert statuses == {400} and len(bodies) == 1
    assert GENERIC in bodies.pop()


def test_the_password_hasher_runs_for_unknown_usernames(cast):
    hasher_class = type(get_hasher())
    calls = []
    original_encode, original_verify = hasher_class.encode, hasher_class.verify

    def encode(self, *args, **kwargs):
        calls.append("encode")
        return original_encode(self, *args, **kwargs)

    def verify(self, *args, **kwargs):
        calls.append("verify")
        return original_verify(self, *args, **kwargs)

    with mock.patch.object(hasher_class, "encode", encode), mock.patch.object(hasher_class, "verify", verify):
        assert _post_login(Client(), "nobody-here", "Some-Password-1").status_code == 400
    assert len(calls) >= 1


def test_only_the_security_administrator_unlocks_and_the_unlock_is_audited(cast, login):
    User.objects.filter(pk=cast.leader.pk).update(locked_until=T0 + timedelta(days=3650))
    for admin in (cast.sysadmin, cast.auditor, cast.supervisor):
        response = login(admin).post(f"/accounts/roles/{cast.leader.pk}/unlock/")
        assert response.status_code == 403
        assert User.objects.get(pk=cast.leader.pk).is_locked
    assert _events("account_unlocked") == 0
    response = login(cast.secadmin).post(f"/accounts/roles/{cast.leader.pk}/unlock/")
    assert response.status_code == 302 and not User.objects.get(pk=cast.leader.pk).is_locked
    entry = AuditEntry.objects.get(event="account_unlocked")
    assert entry.actor_id == cast.secadmin.pk and entry.actor_role == "secadmin"


def _spray(n, **extra):
    client = Client()
    return [_post_login(client, f"user{i}", "Some-Password-1", **extra).status_code for i in range(n)]


def test_one_address_trying_many_usernames_is_throttled(cast):
    limit = settings.DUBAN_IP_FAILURE_LIMIT
    statuses = _spray(limit + 2)
    assert statuses[:limit] == [400] * limit and statuses[limit:] == [429, 429]
    # Throttled even with the right password: the address, not the account, is held back.
    assert _post_login(Client(), "leader", cast.password).status_code == 429
    assert _events("login_throttled") == 3
    assert not User.objects.get(pk=cast.leader.pk).is_locked  # no account was locked by the spray


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_does_not_change_the_key(cast):
    limit = settings.DUBAN_IP_FAILURE_LIMIT
    client = Client()
    statuses = [_post_login(client, f"user{i}", "x-Password-1", HTTP_X_FORWARDED_FOR=f"10.9.{i}.1").status_code
                for i in range(limit + 1)]
    assert statuses[-1] == 429
    assert set(AuditEntry.objects.filter(event="login_failed").values_list("ip", flat=True)) == {"127.0.0.1"}


@override_settings(TRUSTED_PROXIES=["127.0.0.1"])
def test_behind_a_trusted_proxy_each_client_has_its_own_counter(cast):
    limit = settings.DUBAN_IP_FAILURE_LIMIT
    client = Client()
    statuses = [_post_login(client, f"user{i}", "x-Password-1", HTTP_X_FORWARDED_FOR=f"10.9.{i}.1").status_code
                for i in range(limit + 1)]
    assert set(statuses) == {400}
    assert AuditEntry.objects.filter(event="login_failed").values("ip").distinct().count() == limit + 1


# --- IA-07 idle and absolute timeout ---------------------------------------------------------------------
def test_an_idle_web_session_ends_after_the_idle_timeout(cast):
    client = Client()
    with time_machine.travel(T0, tick=False) as clock:
        assert _post_login(client, "supervisor", cast.password).status_code == 302
        assert client.get("/").status_code == 200
        clock.shift(timedelta(minutes=16))
        response = client.get("/tasks/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/?next=")
    entry = AuditEntry.objects.get(event="session_timeout")
    assert entry.actor_id == cast.supervisor.pk and entry.data == {"kind": "idle"}
    assert client.get("/").status_code == 302  # the session is gone server-side, not just refused once


def test_an_idle_api_session_gets_401(cast):
    client = Client()
    with time_machine.travel(T0, tick=False) as clock:
        _post_login(client, "supervisor", cast.password)
        assert client.get("/api/sources").status_code == 200
        clock.shift(timedelta(minutes=16))
        response = client.get("/api/sources")
    assert response.status_code == 401 and response.json() == {"detail": "session_expired"}
    assert _events("session_timeout") == 1


def test_activity_keeps_a_session_alive_until_the_absolute_limit(cast):
    client = Client()
    with time_machine.travel(T0, tick=False) as clock:
        _post_login(client, "supervisor", cast.password)
        for _ in range(int(settings.DUBAN_SESSION_ABSOLUTE / timedelta(minutes=10))):
            assert client.get("/").status_code == 200
            clock.shift(timedelta(minutes=10))
        # Now 8 h after sign-in: re-login is required however active the user was.
        response = client.get("/")
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert AuditEntry.objects.get(event="session_timeout").data == {"kind": "absolute"}


def test_djangos_two_week_session_lifetime_is_not_in_force():
    assert settings.SESSION_COOKIE_AGE != 14 * 24 * 3600
    assert settings.SESSION_COOKIE_AGE <= settings.DUBAN_SESSION_ABSOLUTE.total_seconds()
    assert settings.DUBAN_SESSION_IDLE <= timedelta(minutes=15)


def _token(client, cast):
    response = client.post("/api/auth/token", {"username": "supervisor", "password": cast.password},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}


def test_an_idle_api_token_expires_like_a_session(cast):
    client = Client()
    with time_machine.travel(T0, tick=False) as clock:
        auth = _token(client, cast)
        assert client.get("/api/sources", **auth).status_code == 200
        clock.shift(timedelta(minutes=16))
        assert client.get("/api/sources", **auth).status_code == 401
        clock.shift(timedelta(minutes=1))
        assert client.get("/api/sources", **auth).status_code == 401  # deleted, not merely refused once
    assert AuditEntry.objects.get(event="session_timeout").data == {"kind": "api_token"}


def test_a_busy_api_token_still_ends_at_the_absolute_limit(cast):
    client = Client()
    with time_machine.travel(T0, tick=False) as clock:
        auth = _token(client, cast)
        for _ in range(int(settings.DUBAN_SESSION_ABSOLUTE / timedelta(minutes=10))):
            assert client.get("/api/sources", **auth).status_code == 200
            clock.shift(timedelta(minutes=10))
        assert client.get("/api/sources", **auth).status_code == 401


# --- IA-08 session identifiers --------------------------------------------------------------------------
def test_signing_in_issues_a_new_session_key(cast):
    client = Client()
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key
    client.cookies[settings.SESSION_COOKIE_NAME] = before
    assert _post_login(client, "supervisor", cast.password).status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after and after != before
    assert not Session.objects.filter(session_key=before).exists()


def test_logging_out_deletes_the_session_row_and_the_old_cookie_leads_to_login(cast):
    client = Client()
    _post_login(client, "supervisor", cast.password)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=key).exists()
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Clear-Site-Data"]
    assert not Session.objects.filter(session_key=key).exists()
    assert _events("logout", actor=cast.supervisor) == 1
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    response = replay.get("/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_logout_accepts_post_only(cast, login):
    client = login(cast.supervisor)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/").status_code == 200  # still signed in


# --- IA-09 (the parts the accounts services own) -----------------------------------------------------------
def test_a_password_change_ends_the_other_sessions_and_tokens_but_a_wrong_old_password_does_not(cast):
    one, two, api = Client(), Client(), Client()
    for client in (one, two):
        assert _post_login(client, "supervisor", cast.password).status_code == 302
    auth = _token(api, cast)

    response = one.post("/accounts/password/", {"old_password": "Not-The-Password-1", "new_password1": GOOD,
                                                "new_password2": GOOD})
    assert response.status_code == 400 and "原密码不正确" in response.content.decode()
    assert two.get("/").status_code == 200 and api.get("/api/sources", **auth).status_code == 200

    response = one.post("/accounts/password/", {"old_password": cast.password, "new_password1": GOOD,
                                                "new_password2": GOOD})
    assert response.status_code == 302
    assert one.get("/").status_code == 200  # the session that changed it stays signed in
    assert two.get("/").status_code == 302
    assert api.get("/api/sources", **auth).status_code == 401


# --- IA-03 maximum age and history ------------------------------------------------------------------------
PASSWORDS = [f"Shan-Shui-{n}#Hua" for n in range(1, 8)]


def test_an_expired_password_leads_only_to_the_change_page(cast):
    client = Client()
    with time_machine.travel(T0, tick=False):
        User.objects.filter(pk=cast.supervisor.pk).update(password_changed_at=T0 - timedelta(days=91))
        assert _post_login(client, "supervisor", cast.password).status_code == 302
        for url in ("/", "/orgs/people/", "/accounts/users/"):
            response = client.get(url)
            assert response.status_code == 302 and response.url == "/accounts/password/", url
        response = client.get("/api/sources")
        assert response.status_code == 403 and response.json() == {"detail": "password_expired"}
        page = client.get("/accounts/password/").content.decode()
        assert "已超过有效期" in page
        entry = AuditEntry.objects.get(event="password_expired")
        assert entry.actor_id == cast.supervisor.pk and entry.data["max_age_days"] == 90
        response = client.post("/accounts/password/", {"old_password": cast.password, "new_password1": GOOD,
                                                       "new_password2": GOOD})
        assert response.status_code == 302
        assert client.get("/").status_code == 200
        assert client.get("/api/sources").status_code == 200
    assert _events("password_changed", actor=cast.supervisor) == 1
    row = User.objects.get(pk=cast.supervisor.pk)
    assert not row.must_change_password and row.password_changed_at == T0


def test_an_expired_password_gets_no_api_token(cast):
    User.objects.filter(pk=cast.supervisor.pk).update(password_changed_at=T0 - timedelta(days=400))
    response = Client().post("/api/auth/token", {"username": "supervisor", "password": cast.password},
                             content_type="application/json")
    assert response.status_code == 403


def test_a_password_younger_than_the_maximum_age_is_not_expired(cast):
    with time_machine.travel(T0, tick=False):
        User.objects.filter(pk=cast.supervisor.pk).update(password_changed_at=T0 - timedelta(days=89))
        client = Client()
        _post_login(client, "supervisor", cast.password)
        assert client.get("/").status_code == 200
    assert _events("password_expired") == 0


@override_settings(DUBAN_PASSWORD_MAX_AGE_DAYS=0)
def test_rotation_can_be_switched_off(cast):
    User.objects.filter(pk=cast.supervisor.pk).update(password_changed_at=T0 - timedelta(days=4000))
    client = Client()
    _post_login(client, "supervisor", cast.password)
    assert client.get("/").status_code == 200


def test_none_of_the_last_five_passwords_can_be_reused(cast):
    user = cast.leader
    previous = cast.password
    for new in PASSWORDS[:5]:
        services.password_change(actor=user, old_password=previous, new_password=new)
        previous = new
    # The current password and the four before it are remembered; the cast's original is the 6th.
    for old in PASSWORDS[:4]:
        with pytest.raises(ValidationError, match="最近 5 次"):
            services.password_change(actor=user, old_password=previous, new_password=old)
    assert User.objects.get(pk=user.pk).check_password(PASSWORDS[4])
    assert _events("password_change_failed", actor=user) == 4
    services.password_change(actor=user, old_password=previous, new_password=cast.password)
    assert User.objects.get(pk=user.pk).check_password(cast.password)


def test_an_admin_reset_cannot_reuse_a_recent_password_either(cast, login):
    client = login(cast.sysadmin)
    response = client.post(f"/accounts/users/{cast.leader.pk}/password/",
                           {"new_password1": cast.password, "new_password2": cast.password})
    assert response.status_code == 400 and "最近 5 次" in response.content.decode()


def test_reads_within_a_minute_do_not_rewrite_the_session_row(cast):
    client = Client()
    with time_machine.travel(T0, tick=False) as clock:
        _post_login(client, "supervisor", cast.password)
        client.get("/")
        key = client.cookies[settings.SESSION_COOKIE_NAME].value
        before = Session.objects.get(session_key=key)
        clock.shift(timedelta(seconds=30))
        assert client.get("/").status_code == 200
        assert Session.objects.get(session_key=key).expire_date == before.expire_date
        clock.shift(timedelta(seconds=31))
        assert client.get("/").status_code == 200
        assert Session.objects.get(session_key=key).expire_date > before.expire_date



# --- AC-02 stale and expired accounts ---------------------------------------------------------------------
def test_an_account_past_its_valid_until_date_cannot_sign_in(cast):
    from datetime import date

    User.objects.filter(pk=cast.leader.pk).update(valid_until=date(2026, 3, 1))
    with time_machine.travel(T0, tick=False):  # 2 March in Beijing
        response = _post_login(Client(), "leader", cast.password)
    assert response.status_code == 400 and GENERIC in response.content.decode()
    assert AuditEntry.objects.get(event="login_failed").data["reason"] == "inactive"


def test_the_nightly_job_disables_idle_and_expired_accounts_once(cast):
    from datetime import date

    from duban.core import jobs

    jobs.autodiscover()
    assert "disable_stale_accounts" in jobs.REGISTRY
    User.objects.update(last_login=T0 - timedelta(days=10))
    User.objects.filter(pk=cast.leader.pk).update(last_login=T0 - timedelta(days=91))
    User.objects.filter(pk=cast.bajiao_b.pk).update(last_login=None, date_joined=T0 - timedelta(days=200))
    User.objects.filter(pk=cast.baiguo_liaison.pk).update(valid_until=date(2026, 2, 28))
    User.objects.filter(pk=cast.auditor.pk).update(last_login=T0 - timedelta(days=365))  # 三员 are left alone
    services.token_issue(actor=cast.leader)
    with time_machine.travel(T0, tick=False):
        jobs.REGISTRY["disable_stale_accounts"].func()
        jobs.REGISTRY["disable_stale_accounts"].func()  # idempotent
    inactive = set(User.objects.filter(is_active=False).values_list("username", flat=True))
    assert inactive == {"leader", "bajiao_b", "baiguo"}
    rows = AuditEntry.objects.filter(event="user_disabled").order_by("seq")
    assert [(r.object_id, r.data["reason"]) for r in rows] == sorted(
        [(str(cast.leader.pk), "idle"), (str(cast.bajiao_b.pk), "idle"), (str(cast.baiguo_liaison.pk), "expired")],
        key=lambda pair: int(pair[0]))
    assert all(r.actor_id is None and r.request_id for r in rows)
    assert not cast.leader.api_tokens.exists()


@override_settings(DUBAN_ACCOUNT_IDLE_DAYS=0)
def test_idle_disabling_can_be_switched_off(cast):
    User.objects.update(last_login=T0 - timedelta(days=1000))
    with time_machine.travel(T0, tick=False):
        assert services.accounts_disable_stale() == []

"""Two factors (IA-10): TOTP through django-otp with recovery codes, mandatory for the three
administrators and the discipline role, optional for everyone else; the flows over HTTP.

The test profile starts with no mandatory role (so the suite's fixtures sign administrators in
with a password); every test here turns the production set on."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django_otp.oath import totp

from castlib import PASSWORD
from duban.accounts import services
from duban.accounts.models import ApiToken, RecoveryCode
from duban.accounts.models import EncryptedTOTPDevice as TOTPDevice
from duban.core.models import AuditEntry

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 1, 0, 5, tzinfo=UTC)  # 5 s into a 30-s step
GENERIC = "用户名或密码错误,或账户暂不可用。"
MANDATORY = ["sysadmin", "secadmin", "auditor", "discipline"]


@pytest.fixture(autouse=True)
def _mandatory_roles(settings):
    settings.DUBAN_2FA_ROLES = MANDATORY


class Clock:
    def __init__(self):
        self.now = T0
        self._traveller = time_machine.travel(self.now, tick=False)
        self._traveller.start()

    def shift(self, seconds):
        self._traveller.stop()
        self.now += timedelta(seconds=seconds)
        self._traveller = time_machine.travel(self.now, tick=False)
        self._traveller.start()

    def stop(self):
        self._traveller.stop()


@pytest.fixture
def clock():
    c = Clock()
    yield c
    c.stop()


def code_for(user, *, offset_steps=0):
    device = TOTPDevice.objects.get(user=user)
    return f"{totp(device.bin_key, step=30, t0=0, digits=6, drift=-offset_steps):06d}"


def events(event, **filters):
    return AuditEntry.objects.filter(event=event, **filters).count()


def enrol(user) -> list[str]:
    """Enrol through the services (the HTTP enrolment has its own test)."""
    services.otp_enrol_start(actor=user)
    device = TOTPDevice.objects.get(user=user)
    return services.otp_enrol_confirm(actor=user, code=f"{totp(device.bin_key):06d}")


def password_step(client, user, password=PASSWORD):
    return client.post("/accounts/login/", {"username": user.username, "password": password})


def sign_in(client, user, clock):
    """Both steps, in the next time step (the enrolment's code may not be used again)."""
    clock.shift(30)
    response = password_step(client, user)
    assert response.status_code == 302 and response.url == "/accounts/2fa/verify/"
    response = client.post("/accounts/2fa/verify/", {"code": code_for(user)})
    assert response.status_code == 302, response.content.decode()[:300]
    return client


# --- mandatory for the administrators and the discipline role ------------------------------------
@pytest.mark.parametrize("who", ["sysadmin", "secadmin", "auditor", "discipline"])
def test_a_privileged_user_with_only_a_password_reaches_the_enrolment_step_and_nothing_else(cast, client, clock, who):
    user = getattr(cast, who)
    response = password_step(client, user)
    assert response.status_code == 302 and response.url == "/accounts/2fa/setup/"
    assert "_auth_user_id" not in client.session  # not signed in
    for path in ["/", "/accounts/users/", "/accounts/roles/", "/audit/", "/accounts/2fa/", "/accounts/password/"]:
        page = client.get(path)
        assert page.status_code == 302 and page.url.startswith("/accounts/login/"), path
    assert client.get("/api/sources").status_code == 401
    assert events("login") == 0


def test_other_roles_sign_in_with_the_password_alone(cast, client):
    for user in (cast.leader, cast.supervisor, cast.bajiao_liaison):
        client.cookies.clear()
        response = password_step(client, user)
        assert response.status_code == 302 and response.url == "/"
        assert client.get("/accounts/2fa/").status_code == 200


def test_enrolment_shows_a_qr_code_and_the_secret_then_ten_recovery_codes_once(cast, client, clock):
    password_step(client, cast.sysadmin)
    page = client.get("/accounts/2fa/setup/")
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and page["Cache-Control"] == "no-store"
    device = TOTPDevice.objects.get(user=cast.sysadmin, confirmed=False)
    from base64 import b32encode
    secret = b32encode(device.bin_key).decode().rstrip("=")
    assert " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)) in html
    assert client.get("/accounts/2fa/setup/").content.decode().count(secret[:4]) >= 1  # same secret on reload
    assert TOTPDevice.objects.filter(user=cast.sysadmin).count() == 1

    wrong = client.post("/accounts/2fa/setup/", {"code": "000000" if code_for(cast.sysadmin) != "000000" else "111111"})
    assert wrong.status_code == 400 and events("otp_failed", data__during="enrolment") == 1
    clock.shift(2)  # django-otp's throttle: 1 s after one failure
    done = client.post("/accounts/2fa/setup/", {"code": code_for(cast.sysadmin)})
    assert done.status_code == 200 and done["Cache-Control"] == "no-store"
    codes = [c for c in done.content.decode().split("<code>")[1:]]
    codes = [c.split("</code>")[0] for c in codes]
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = list(RecoveryCode.objects.filter(user=cast.sysadmin).values_list("code_hash", flat=True))
    assert len(stored) == 10 and not set(codes) & set(stored)  # hashes only
    assert all(RecoveryCode.hash_code(cast.sysadmin.pk, c) in stored for c in codes)
    assert events("otp_enrolled", object_id=str(cast.sysadmin.pk)) == 1
    assert AuditEntry.objects.get(event="login").data == {"second_factor": "totp"}
    assert client.get("/accounts/users/").status_code == 200
    # The codes are never shown again.
    manage = client.get("/accounts/2fa/")
    assert manage.status_code == 200 and codes[0] not in manage.content.decode() and "10" in manage.content.decode()


def test_every_sign_in_needs_a_code_and_a_replayed_code_is_refused(cast, client, clock):
    enrol(cast.auditor)
    sign_in(client, cast.auditor, clock)
    assert client.get("/audit/").status_code == 200
    used = code_for(cast.auditor)
    client.post("/accounts/logout/")
    # Same time step: the code that just worked is refused (django-otp's last_t).
    password_step(client, cast.auditor)
    replay = client.post("/accounts/2fa/verify/", {"code": used})
    assert replay.status_code == 400 and "_auth_user_id" not in client.session
    assert events("otp_failed", data__reason="wrong_or_replayed") == 1
    clock.shift(30)
    ok = client.post("/accounts/2fa/verify/", {"code": code_for(cast.auditor)})
    assert ok.status_code == 302 and client.get("/audit/").status_code == 200


def test_a_code_one_step_old_is_accepted_and_an_older_one_is_refused(cast, client, clock):
    enrol(cast.secadmin)
    clock.shift(300)
    password_step(client, cast.secadmin)
    stale = client.post("/accounts/2fa/verify/", {"code": code_for(cast.secadmin, offset_steps=-2)})
    assert stale.status_code == 400
    clock.shift(2)
    late = client.post("/accounts/2fa/verify/", {"code": code_for(cast.secadmin, offset_steps=-1)})
    assert late.status_code == 302  # one step of tolerance for a slow typist or a drifting phone


def test_five_wrong_codes_lock_the_account_like_five_wrong_passwords(cast, client, clock, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the lockout is under test here, not django-otp's delay
    enrol(cast.discipline)
    clock.shift(30)
    password_step(client, cast.discipline)
    right = code_for(cast.discipline)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert client.post("/accounts/2fa/verify/", {"code": wrong}).status_code in (302, 400)
    assert events("otp_failed", object_id=str(cast.discipline.pk)) == 5
    assert events("account_locked", object_id=str(cast.discipline.pk)) == 1
    cast.discipline.refresh_from_db()
    assert cast.discipline.is_locked
    # The right code no longer helps, and neither does the right password.
    after = client.post("/accounts/2fa/verify/", {"code": right})
    assert after.status_code == 302 and after.url == "/accounts/login/"
    again = password_step(client, cast.discipline)
    assert again.status_code == 400 and GENERIC in again.content.decode()


def test_a_recovery_code_works_once_and_its_use_is_audited(cast, client, clock):
    codes = enrol(cast.sysadmin)
    clock.shift(30)
    password_step(client, cast.sysadmin)
    assert client.post("/accounts/2fa/verify/", {"code": codes[3].upper()}).status_code == 302
    entry = AuditEntry.objects.get(event="otp_recovery_used")
    assert entry.data == {"left": 9} and entry.object_id == str(cast.sysadmin.pk)
    assert AuditEntry.objects.filter(event="login").last().data == {"second_factor": "recovery"}
    client.post("/accounts/logout/")
    clock.shift(5)
    password_step(client, cast.sysadmin)
    again = client.post("/accounts/2fa/verify/", {"code": codes[3]})
    assert again.status_code == 400 and events("otp_failed", data__reason="bad_recovery_code") == 1
    assert RecoveryCode.objects.filter(user=cast.sysadmin, used_at__isnull=True).count() == 9


def test_new_recovery_codes_need_a_current_code_and_replace_the_old_ones(cast, client, clock):
    old = enrol(cast.leader)
    sign_in(client, cast.leader, clock)
    clock.shift(30)
    page = client.post("/accounts/2fa/", {"code": code_for(cast.leader)})
    assert page.status_code == 200
    new = [c.split("</code>")[0] for c in page.content.decode().split("<code>")[1:]]
    assert len(new) == 10 and not set(new) & set(old)
    assert not RecoveryCode.objects.filter(code_hash=RecoveryCode.hash_code(cast.leader.pk, old[0])).exists()
    assert events("otp_recovery_regenerated") == 1


# --- optional for everyone else --------------------------------------------------------------------
def test_any_user_can_enrol_from_their_account_page_and_then_needs_a_code(cast, client, clock):
    password_step(client, cast.leader)
    page = client.get("/accounts/2fa/")
    assert page.status_code == 200 and "启用两步验证" in page.content.decode()
    assert client.get("/accounts/2fa/setup/").status_code == 200
    done = client.post("/accounts/2fa/setup/", {"code": code_for(cast.leader)})
    assert done.status_code == 200 and done.content.decode().count("<code>") == 10
    assert client.get("/accounts/2fa/").status_code == 200  # the enrolling session goes on
    client.post("/accounts/logout/")
    clock.shift(30)
    response = password_step(client, cast.leader)
    assert response.status_code == 302 and response.url == "/accounts/2fa/verify/"
    assert client.get("/accounts/2fa/").url.startswith("/accounts/login/")


# --- reset only through the security administrator -------------------------------------------------
def test_only_the_security_administrator_resets_a_factor_and_the_reset_is_audited(cast, clock):
    from django.core.exceptions import PermissionDenied

    enrol(cast.leader)
    enrol(cast.secadmin)
    enrol(cast.sysadmin)
    leader = sign_in(Client(), cast.leader, clock)
    ApiToken.objects.create(user=cast.leader, key_hash="x" * 64, expires_at=clock.now + timedelta(hours=1))
    sysadmin = sign_in(Client(), cast.sysadmin, clock)
    secadmin = sign_in(Client(), cast.secadmin, clock)

    refused = sysadmin.post(f"/accounts/roles/{cast.leader.pk}/otp-reset/")
    assert refused.status_code == 403
    with pytest.raises(PermissionDenied):
        services.otp_reset(actor=cast.sysadmin, user=cast.leader)
    assert TOTPDevice.objects.filter(user=cast.leader).exists()

    page = secadmin.get(f"/accounts/roles/{cast.leader.pk}/")
    assert "重置两步验证" in page.content.decode()
    done = secadmin.post(f"/accounts/roles/{cast.leader.pk}/otp-reset/")
    assert done.status_code == 302
    entry = AuditEntry.objects.get(event="otp_reset")
    assert entry.actor_id == cast.secadmin.pk and entry.object_id == str(cast.leader.pk)
    assert entry.data == {"devices": 1, "recovery_codes": 10}
    assert not TOTPDevice.objects.filter(user=cast.leader).exists()
    assert not RecoveryCode.objects.filter(user=cast.leader).exists()
    assert not ApiToken.objects.filter(user=cast.leader).exists()
    # The leader's session verified with the old device ends at its next request.
    assert leader.get("/").status_code == 302
    assert events("session_timeout", data__kind="second_factor") == 1
    # Nobody resets their own.
    secadmin.post(f"/accounts/roles/{cast.secadmin.pk}/otp-reset/")
    assert events("otp_reset_refused") == 1 and TOTPDevice.objects.filter(user=cast.secadmin).exists()


def test_after_a_reset_a_mandatory_role_enrols_again_at_the_next_sign_in(cast, client, clock):
    enrol(cast.auditor)
    services.otp_reset(actor=cast.secadmin, user=cast.auditor)
    response = password_step(client, cast.auditor)
    assert response.status_code == 302 and response.url == "/accounts/2fa/setup/"


def test_a_session_from_before_the_role_needed_two_factors_ends(cast, client, settings):
    settings.DUBAN_2FA_ROLES = []
    password_step(client, cast.discipline)
    assert client.get("/").status_code == 200
    settings.DUBAN_2FA_ROLES = MANDATORY
    assert client.get("/").status_code == 302
    assert client.get("/api/sources").status_code == 401


def test_an_admin_set_one_time_password_does_not_skip_the_second_factor(cast, client, clock):
    enrol(cast.leader)
    services.password_set_by_admin(actor=cast.sysadmin, user=cast.leader, new_password="Qiu-Shui-Lake#2031")
    clock.shift(30)
    response = password_step(client, cast.leader, "Qiu-Shui-Lake#2031")
    assert response.status_code == 302 and response.url == "/accounts/2fa/verify/"
    client.post("/accounts/2fa/verify/", {"code": code_for(cast.leader)})
    assert client.get("/").url == "/accounts/password/"  # then the forced change (IA-04)


# --- API tokens ---------------------------------------------------------------------------------------
def test_issuing_an_api_token_for_a_two_factor_account_needs_the_code(cast, clock):
    api = Client()

    def token(user, **extra):
        return api.post("/api/auth/token", {"username": user.username, "password": PASSWORD, **extra},
                        content_type="application/json")

    enrol(cast.leader)
    clock.shift(30)
    missing = token(cast.leader)
    assert missing.status_code == 401 and missing.json()["detail"] == "otp_required"
    right = code_for(cast.leader)
    wrong = token(cast.leader, otp=f"{(int(right) + 1) % 1_000_000:06d}")
    assert wrong.status_code == 401 and wrong.json()["detail"] == "invalid_credentials"
    assert events("otp_failed", object_id=str(cast.leader.pk)) == 1
    clock.shift(2)
    ok = token(cast.leader, otp=right)
    assert ok.status_code == 200 and ok.json()["token"]
    assert token(cast.leader, otp=right).status_code == 401  # the same code twice: replay
    # A mandatory role that has not enrolled gets no token on the password alone.
    refused = token(cast.discipline)
    assert refused.status_code == 403 and refused.json()["detail"] == "otp_enrolment_required"
    # Accounts without two factors are unchanged.
    assert token(cast.supervisor).status_code == 200


# --- the production floor --------------------------------------------------------------------------
def _settings_in_subprocess(**env):
    import os
    import subprocess
    import sys

    code = "import duban.settings as s; print(','.join(s.DUBAN_2FA_ROLES))"
    full = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_2FA")} | {
        "DUBAN_ENV": "production", "DUBAN_SECRET_KEY": "k" * 60, "DUBAN_LEDGER_KEY": "l" * 40,
        "DUBAN_ALLOWED_HOSTS": "duban.example", **env}
    return subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True, timeout=60,
                          check=False)


def test_production_requires_two_factors_for_the_four_roles_and_refuses_fewer():
    default = _settings_in_subprocess()
    assert default.returncode == 0, default.stderr[-500:]
    assert set(default.stdout.strip().split(",")) == set(MANDATORY)
    fewer = _settings_in_subprocess(DUBAN_2FA_ROLES="sysadmin,secadmin")
    assert fewer.returncode != 0 and "DUBAN_2FA_ROLES" in fewer.stderr

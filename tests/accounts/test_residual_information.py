"""DP-06 residual information, the parts the accounts own: a timed-out session is deleted and the
browser told to drop its data (as at logout, IA-08); signed-in pages with personal or discipline
data are never cached; deleting a user wipes their second factor, recovery codes and tokens."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django_otp.oath import totp

from castlib import PASSWORD
from duban.accounts import services
from duban.accounts.models import ApiToken, RecoveryCode
from duban.accounts.models import EncryptedTOTPDevice as TOTPDevice

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 1, 0, 5, tzinfo=UTC)


def test_a_timed_out_session_is_deleted_and_the_browser_clears_its_data(cast):
    client = Client()
    with time_machine.travel(T0, tick=False) as clock:
        client.post("/accounts/login/", {"username": cast.discipline.username, "password": PASSWORD})
        key = client.cookies[settings.SESSION_COOKIE_NAME].value
        clock.shift(timedelta(minutes=16))
        response = client.get("/accountability/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert not Session.objects.filter(session_key=key).exists()


@pytest.mark.parametrize("who, path", [("discipline", "/accountability/"), ("supervisor", "/petitions/"),
                                       ("supervisor", "/orgs/people/"), ("sysadmin", "/accounts/users/"),
                                       ("auditor", "/audit/")])
def test_signed_in_pages_with_personal_or_discipline_data_are_not_cached(cast, login, who, path):
    response = login(getattr(cast, who)).get(path)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_deleting_a_user_wipes_their_second_factor_recovery_codes_and_tokens(cast):
    user = cast.leader
    services.otp_enrol_start(actor=user)
    device = TOTPDevice.objects.get(user=user)
    with time_machine.travel(T0, tick=False):
        services.otp_enrol_confirm(actor=user, code=f"{totp(device.bin_key):06d}")
    services.token_issue(actor=user)
    assert RecoveryCode.objects.filter(user=user).count() == 10 and ApiToken.objects.filter(user=user).exists()
    pk = user.pk
    user.delete()
    assert not TOTPDevice.objects.filter(user_id=pk).exists()
    assert not RecoveryCode.objects.filter(user_id=pk).exists()
    assert not ApiToken.objects.filter(user_id=pk).exists()

"""AU-08 log hygiene: run the sign-in, second-factor, token, API and personal-data flows with every
logger captured at DEBUG, then grep the records: no password, OTP or recovery code, session key,
bearer token or full ID number appears, and a username with CR/LF or a path with ANSI escapes is
never written raw (Django CVE-2025-48432)."""

import logging
from datetime import UTC, datetime

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django_otp.oath import totp

from castlib import PASSWORD
from duban.accounts import services
from duban.accounts.models import EncryptedTOTPDevice as TOTPDevice

pytestmark = pytest.mark.django_db

ID_NUMBER = "11010519491231002X"
WRONG = "Wrong-Password#4711"
T0 = datetime(2026, 3, 2, 1, 0, 5, tzinfo=UTC)


def _rendered(records):
    """Each record as the handlers would see it: the message with its args, and the raw args."""
    handler_format = logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"])
    out = []
    for record in records:
        out.append(record.getMessage())
        out.append(handler_format.format(record))
        out.append(repr(record.args))
        out.append(repr(getattr(record, "request", "")))
    return "\n".join(out)


def test_no_secret_token_or_id_number_reaches_the_logs_and_control_characters_are_escaped(cast, caplog,
                                                                                          settings):
    from duban.petitions import services as petition_services

    settings.DUBAN_2FA_ROLES = ["sysadmin", "secadmin", "auditor", "discipline"]
    caplog.set_level(logging.DEBUG)
    secrets = [PASSWORD, WRONG, ID_NUMBER]
    with time_machine.travel(T0, tick=False) as clock:
        web = Client()
        # Failed sign-ins, one with CR/LF and one with an ANSI escape in the username.
        web.post("/accounts/login/", {"username": "a\r\nFAKE log line", "password": WRONG})
        web.post("/accounts/login/", {"username": "b\x1b[31mred", "password": WRONG})
        web.post("/accounts/login/", {"username": cast.supervisor.username, "password": WRONG})
        # A second factor: enrolment, a wrong code, the right code, a recovery code.
        services.otp_enrol_start(actor=cast.auditor)
        device = TOTPDevice.objects.get(user=cast.auditor)
        codes = services.otp_enrol_confirm(actor=cast.auditor, code=f"{totp(device.bin_key):06d}")
        clock.shift(30)
        web.post("/accounts/login/", {"username": cast.auditor.username, "password": PASSWORD})
        right = f"{totp(device.bin_key):06d}"
        web.post("/accounts/2fa/verify/", {"code": f"{(int(right) + 1) % 1_000_000:06d}"})
        clock.shift(2)
        web.post("/accounts/2fa/verify/", {"code": right})
        session_key = web.cookies[settings.SESSION_COOKIE_NAME].value
        web.get("/audit/")
        web.post("/accounts/logout/")
        clock.shift(30)
        web.post("/accounts/login/", {"username": cast.auditor.username, "password": PASSWORD})
        web.post("/accounts/2fa/verify/", {"code": codes[0]})
        secrets += [right, codes[0], codes[1], device.key, session_key]
        # An API token, used, and a path with escapes that ends in a logged 404.
        api = Client()
        token = api.post("/api/auth/token", {"username": cast.supervisor.username, "password": PASSWORD},
                         content_type="application/json").json()["token"]
        api.get("/api/sources", HTTP_AUTHORIZATION=f"Bearer {token}")
        api.get("/api/sources", HTTP_AUTHORIZATION="Bearer not-a-real-token-0123456789")
        secrets.append(token)
        Client().get("/no-such-page/\x1b[2J\x1b[31mred\r\nFAKE: yes")
        # Personal data: a petitioner's ID number is registered and the petition is read.
        petition = petition_services.petition_register(
            actor=cast.supervisor, received_on=T0.date(), channel="visit", place="芭蕉乡集镇", matter_type="征地拆迁",
            matter="对征地补偿标准有异议", people_count=1, responsible_unit=cast.bajiao,
            petitioners=[{"name": "信访人", "id_number": ID_NUMBER, "phone": "13800001111"}])
        reader = Client()
        reader.post("/accounts/login/", {"username": cast.supervisor.username, "password": PASSWORD})
        reader.get("/petitions/")
        reader.get(f"/petitions/{petition.pk}/")
        secrets.append(reader.cookies[settings.SESSION_COOKIE_NAME].value)

    text = _rendered(caplog.records)
    assert "/no-such-page/" in text, "the request with escapes was not logged: the capture is not working"
    leaked = [s for s in secrets if s and s in text]
    assert leaked == []
    assert ID_NUMBER[:6] + ID_NUMBER[-4:] not in text.replace("*", "")  # no partial masking slip either
    for record in caplog.records:
        message = record.getMessage()
        assert "\x1b" not in message and "\r\n" not in message, message
    # IA-12: nor do the audit rows of the same flows.
    from duban.core.models import AuditEntry

    rows = repr(list(AuditEntry.objects.values()))
    assert [s for s in secrets if s and s in rows] == []

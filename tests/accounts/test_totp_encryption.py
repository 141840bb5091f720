"""TOTP secrets are encrypted at rest (DP-02/DP-04 for the second factor of IA-10): the
authenticator's secret is SM4-GCM ciphertext through the CryptoProvider, bound to its account,
never plain hex in the database; signing in with a code still works, `duban rotate-keys`
re-encrypts the secrets, and migration accounts 0006 encrypted the devices django-otp had stored."""

import importlib
import io
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice as PlainTOTPDevice

from castlib import PASSWORD
from duban.accounts import services
from duban.accounts.models import EncryptedTOTPDevice
from duban.core import crypto

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mandatory(settings):
    settings.DUBAN_2FA_ROLES = ["sysadmin", "secadmin", "auditor", "discipline"]


def stored_rows():
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, key_enc FROM accounts_encryptedtotpdevice")
        return [(pk, bytes(blob)) for pk, blob in cursor.fetchall()]


def test_an_enrolled_secret_is_ciphertext_in_the_database_and_the_code_signs_in(cast, client):
    response = client.post("/accounts/login/", {"username": cast.auditor.username, "password": PASSWORD})
    assert response.status_code == 302 and response.url == "/accounts/2fa/setup/"
    assert client.get("/accounts/2fa/setup/").status_code == 200
    device = EncryptedTOTPDevice.objects.get(user=cast.auditor)
    response = client.post("/accounts/2fa/setup/", {"code": f"{totp(device.bin_key):06d}"})
    assert response.status_code == 200 and "恢复码" in response.content.decode()
    (pk, blob), = stored_rows()
    hex_key = device.key
    assert len(hex_key) == 40 and blob.startswith(b"SM4G")
    assert hex_key.encode() not in blob and bytes.fromhex(hex_key) not in blob
    assert not PlainTOTPDevice.objects.exists()  # nothing in django-otp's plain table

    client.post("/accounts/logout/")
    # The enrolment's code may not be used twice: sign in again in the next time step.
    with time_machine.travel(timezone.now() + timedelta(seconds=31), tick=False):
        other = Client()
        assert other.post("/accounts/login/", {"username": cast.auditor.username,
                                               "password": PASSWORD}).url == "/accounts/2fa/verify/"
        code = f"{totp(EncryptedTOTPDevice.objects.get(pk=pk).bin_key):06d}"
        response = other.post("/accounts/2fa/verify/", {"code": code})
        assert response.status_code == 302 and other.get("/").status_code == 200


def test_a_secret_copied_to_another_account_does_not_decrypt(cast):
    services.otp_enrol_start(actor=cast.auditor)
    services.otp_enrol_start(actor=cast.secadmin)
    mine = EncryptedTOTPDevice.objects.get(user=cast.auditor)
    EncryptedTOTPDevice.objects.filter(user=cast.secadmin).update(key_enc=mine.key_enc)
    with pytest.raises(crypto.CryptoError):
        _ = EncryptedTOTPDevice.objects.get(user=cast.secadmin).bin_key


@pytest.fixture
def own_key_ring(settings, tmp_path, monkeypatch):
    settings.DATA_DIR = tmp_path
    settings.DUBAN_CRYPTO_KEYS = None
    monkeypatch.delenv("DUBAN_CRYPTO_KEYS", raising=False)
    crypto.reset_provider()
    yield
    crypto.reset_provider()


def test_rotate_keys_re_encrypts_the_secrets_and_the_codes_still_verify(own_key_ring, cast):
    services.otp_enrol_start(actor=cast.auditor)
    before = EncryptedTOTPDevice.objects.get(user=cast.auditor)
    secret, old_kid = before.key, crypto.CryptoProvider.key_id_of(bytes(before.key_enc))
    call_command("rotate_keys", new_key=True, stdout=io.StringIO())
    call_command("rotate_keys", drop_old=True, stdout=io.StringIO())
    after = EncryptedTOTPDevice.objects.get(user=cast.auditor)
    assert crypto.CryptoProvider.key_id_of(bytes(after.key_enc)) != old_kid
    assert old_kid not in crypto.get_provider().key_ids() and after.key == secret
    assert after.verify_token(totp(after.bin_key))


def test_the_migration_encrypts_the_secrets_django_otp_stored_in_plain(cast):
    plain = PlainTOTPDevice.objects.create(user=cast.auditor, name="TOTP", confirmed=True, last_t=7)
    secret, pk = plain.key, plain.pk
    migration = importlib.import_module("duban.accounts.migrations.0006_encrypted_totp_device")

    class Editor:
        def __init__(self):
            self.connection = connection

        def execute(self, sql):
            with connection.cursor() as cursor:
                cursor.execute(sql)

    migration.encrypt_existing(apps, Editor())
    assert not PlainTOTPDevice.objects.exists()
    moved = EncryptedTOTPDevice.objects.get(pk=pk)  # the same id: sessions verified with it stay valid
    assert moved.user_id == cast.auditor.pk and moved.key == secret and moved.last_t == 7 and moved.confirmed
    assert secret.encode() not in bytes(moved.key_enc)
    assert services.totp_device(cast.auditor) == moved
    EncryptedTOTPDevice.objects.create(user=cast.secadmin, name="TOTP")  # the id sequence moved on

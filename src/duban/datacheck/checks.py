"""The legacy data key in production (only AES-GCM files written before the SM4 provider need it). ``crypto`` itself refuses the development key under production
settings (nothing is ever encrypted with it there); this check says so ahead of time. It is not
registered yet: the deployment-checklist test of tests/core/test_platform.py would need
DUBAN_DATA_KEY in its environment first (asked of its owner); register it then with
``register(Tags.security, deploy=True)(check_data_key)`` in apps.ready."""

from django.conf import settings
from django.core.checks import Error

from duban.datacheck import crypto


def check_data_key(app_configs=None, **kwargs):
    if not settings.PRODUCTION:
        return []
    if not crypto.key_acceptable(crypto.configured_key()):
        return [Error("DUBAN_DATA_KEY must be set (64 hex characters or a passphrase of 32+ characters) in "
                      "production while AES-GCM dataset files written before SM4 remain (duban rotate-keys re-encrypts them).", id="datacheck.E001")]
    return []

"""Production refuses the development data key (and a key too short to be one)."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from duban.datacheck import crypto


@register(Tags.security, deploy=True)
def check_data_key(app_configs=None, **kwargs):
    if not settings.PRODUCTION:
        return []
    key = crypto.configured_key()
    if key == crypto.DEV_KEY or len(key) < 32:
        return [Error("DUBAN_DATA_KEY must be set (64 hex characters or a passphrase of 32+ characters) in "
                      "production: dataset files are encrypted with it.", id="duban.datacheck.E001")]
    return []

import pytest
from django.conf import settings
from django.utils import translation


@pytest.fixture(autouse=True)
def _chinese_outside_requests():
    """Services called outside a request speak the thread's active language, which a request
    that switched to English leaves behind; every test here starts in the default language."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)

"""Task fixtures on top of the fixed cast (tests/conftest.py)."""

import pytest

from .helpers import Builder


@pytest.fixture
def media(settings, tmp_path):
    root = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}}}
    return root


@pytest.fixture
def build(cast, media):
    """A Builder: build.task(), build.assigned(), … build.completed() through the services."""
    return Builder(cast, media)

import pytest


@pytest.fixture
def media(settings, tmp_path):
    root = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}}}
    return root


@pytest.fixture
def world(cast):
    """The cast plus a term starting this year, four inspectors from the 市委 in the pool and one
    of them with a history in 芭蕉 (回避)."""
    from .helpers import build_world

    return build_world(cast)

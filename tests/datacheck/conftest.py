import pytest


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Dataset files of each test in its own directory."""
    root = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}}}
    return root

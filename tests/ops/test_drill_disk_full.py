"""A full disk during an upload (drill F4, security-criteria.md §4): a clear 507, nothing kept.

Django's FileSystemStorage writes a file chunk by chunk; when the disk fills up it raises
``OSError(ENOSPC)`` with the part already written left on disk. ``FullDisk`` below behaves the
same way (half the file written, then ENOSPC), so these tests see what `make drill`'s F4 sees on
a real full tmpfs: before the fix the upload got the generic 500 and left the half-written file.
"""

from __future__ import annotations

import errno
import os

import pytest
from django.core.files.storage import FileSystemStorage
from django.urls import reverse

from duban.core import uploads
from duban.tasks.models import Evidence
from tasks.helpers import Builder, pdf_bytes, state, upload


class FullDisk(FileSystemStorage):
    """Writes the first half of a file, then fails as a full disk does."""

    def _save(self, name, content):
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = content.read()
        with open(path, "wb") as fh:
            fh.write(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.fixture
def media(settings, tmp_path):
    root = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}}}
    return root


@pytest.fixture
def build(cast, media):
    return Builder(cast, media)


def _disk_full(settings, root):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": f"{__name__}.FullDisk", "OPTIONS": {"location": str(root)}}}


def _token(client, user, password) -> str:
    response = client.post("/api/auth/token", {"username": user.username, "password": password},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def test_an_api_upload_on_a_full_disk_is_507_with_a_clear_message_and_nothing_kept(client, build, media, settings):
    task = build.in_progress()
    token = _token(client, build.cast.bajiao_liaison, build.cast.password)
    _disk_full(settings, media)
    before = state()
    response = client.post(f"/api/tasks/{task.pk}/reports",
                           {"narrative": "进展", "percent": "30", "files": [upload("佐证.pdf", pdf_bytes())]},
                           HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 507, response.content
    assert response.json() == {"detail": uploads.storage_full_message(), "code": "storage_full"}
    assert "存储空间已满" in response.json()["detail"] and "Traceback" not in response.content.decode()
    assert state() == before  # no report, no evidence row, no ledger entry
    assert [p for p in media.rglob("*") if p.is_file()] == []  # the half-written file is gone
    # in English too
    response = client.post(f"/api/tasks/{task.pk}/reports",
                           {"narrative": "progress", "percent": "30", "files": [upload("e.pdf", pdf_bytes())]},
                           HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 507
    assert response.json()["detail"].startswith("The file store is full: the file was not saved")


def test_a_report_form_upload_on_a_full_disk_is_a_507_page_and_the_site_keeps_working(client, build, media, login,
                                                                                    settings):
    task = build.in_progress()
    liaison = login(build.cast.bajiao_liaison)
    _disk_full(settings, media)
    before = state()
    response = liaison.post(reverse("tasks:report", args=[task.pk]), {
        "report-narrative": "进展", "report-percent": 30, "report-files": [upload("佐证.pdf", pdf_bytes())]})
    assert response.status_code == 507
    page = response.content.decode()
    assert "存储空间已满" in page and "Traceback" not in page
    assert state() == before
    assert [p for p in media.rglob("*") if p.is_file()] == []
    # other features keep working on a full disk: the task page, and a report without a file
    assert liaison.get(reverse("tasks:detail", args=[task.pk])).status_code == 200
    response = liaison.post(reverse("tasks:report", args=[task.pk]),
                            {"report-narrative": "无附件的进展", "report-percent": 35})
    assert response.status_code == 302
    assert Evidence.objects.count() == before["evidence"]


def test_other_storage_errors_are_not_taken_for_a_full_disk(build, media, settings, monkeypatch):
    def broken(self, name, content):
        raise OSError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(FileSystemStorage, "_save", broken)
    with pytest.raises(PermissionError):
        uploads.save_whole("evidence/x.pdf", upload("x.pdf", pdf_bytes()))

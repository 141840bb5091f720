"""The one upload size limit (duban.core.uploads): nothing past the limit is kept, the view learns
which file was refused, and the decorated view stays CSRF-protected."""

from pathlib import Path

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.views.decorators.http import require_POST

from duban.core import uploads


class _Form(forms.Form):
    file = forms.FileField()


@uploads.limited_uploads("TEST_UPLOAD_LIMIT")
@require_POST
def _view(request):
    form = _Form(request.POST, request.FILES)
    if uploads.apply_refusal(request, form, "file") or not form.is_valid():
        return HttpResponse("; ".join(form.errors["file"]), status=uploads.status_for(form))
    return HttpResponse(form.cleaned_data["file"].read())


def _post(content: bytes, *, csrf_checked: bool = False, name: str = "报告.pdf"):
    request = RequestFactory().post("/", {"file": SimpleUploadedFile(name, content)})
    request._dont_enforce_csrf_checks = not csrf_checked
    return request


@override_settings(TEST_UPLOAD_LIMIT=1000)
def test_a_file_within_the_limit_reaches_the_view_whole():
    response = _view(_post(b"x" * 1000))
    assert response.status_code == 200
    assert response.content == b"x" * 1000


@override_settings(TEST_UPLOAD_LIMIT=1000, FILE_UPLOAD_MAX_MEMORY_SIZE=10)
def test_a_file_past_the_limit_is_refused_by_name_with_413_and_leaves_no_temporary_file(tmp_path):
    with override_settings(FILE_UPLOAD_TEMP_DIR=str(tmp_path)):
        response = _view(_post(b"x" * 5000, name="C:\\材料\\大文件.pdf"))
    assert response.status_code == 413
    assert "大文件.pdf" in response.content.decode() and "材料" not in response.content.decode()
    assert list(Path(tmp_path).iterdir()) == []


@override_settings(TEST_UPLOAD_LIMIT=1000)
def test_the_decorated_view_still_refuses_a_post_without_a_csrf_token():
    response = _view(_post(b"x", csrf_checked=True))
    assert response.status_code == 403


def test_the_decorator_marks_the_view_exempt_only_from_the_middlewares_check():
    assert getattr(_view, "csrf_exempt", False) is True  # the middleware would read the body first
    assert _view.__name__ == "_view"


@override_settings(TEST_UPLOAD_LIMIT=1000)
def test_the_view_limit_replaces_the_global_handler_rather_than_adding_a_second():
    request = _post(b"x")
    _view(request)
    limits = [h for h in request.upload_handlers if isinstance(h, uploads.SizeLimitHandler)]
    assert [h.limit for h in limits] == [1000]


@override_settings(DUBAN_MAX_UPLOAD_BYTES=1000)
def test_the_global_handler_hands_an_oversized_file_on_as_an_empty_stand_in_with_its_size():
    request = RequestFactory().post("/", {"file": SimpleUploadedFile("a.pdf", b"y" * 3000)})
    upload = request.FILES["file"]
    assert isinstance(upload, uploads.OversizeUpload)
    assert upload.size > 1000 and upload.read() == b""
    assert uploads.refusal(request).code == uploads.TOO_LARGE


@override_settings(DUBAN_MAX_IMPORT_BYTES=10)
def test_check_size_raises_a_field_keyed_too_large_error_for_the_api():
    with pytest.raises(ValidationError) as caught:
        uploads.check_size(SimpleUploadedFile("名单.xlsx", b"z" * 11), setting_name="DUBAN_MAX_IMPORT_BYTES",
                           field="upload")
    assert list(caught.value.message_dict) == ["upload"]
    assert "名单.xlsx" in caught.value.message_dict["upload"][0]
    assert uploads.is_too_large(caught.value)
    uploads.check_size(SimpleUploadedFile("名单.xlsx", b"z" * 10), setting_name="DUBAN_MAX_IMPORT_BYTES")

"""Issue 11 findings on evidence: every download, through the page or the API, is one
``evidence_downloaded`` ledger entry written by the one authorising service (AU-01, AC-09); the
content check is an allow-list (FU-01): PDFs without active content, Office files without macros,
pictures Pillow decodes (HEIC included), legacy Office refused with a clear message."""

import io
import json
import struct
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from duban.core.models import AuditEntry
from duban.tasks import evidence as evidence_files
from duban.tasks.models import Evidence

from .helpers import docx_bytes, jpg_bytes, pdf_bytes, upload, zip_bytes


def _downloads(evidence):
    return AuditEntry.objects.filter(event="evidence_downloaded", object_type="tasks.evidence",
                                     object_id=str(evidence.pk))


def test_a_download_from_the_task_page_is_one_ledger_entry(build, login):
    task = build.completion_requested()
    evidence = Evidence.objects.get(task=task)
    client = login(build.cast.supervisor)
    response = client.get(reverse("tasks:evidence_download", args=[evidence.pk]))
    assert response.status_code == 200 and response.content == pdf_bytes()
    entry = _downloads(evidence).get()
    assert entry.actor == build.cast.supervisor and entry.data["task"] == task.pk
    assert entry.data["sha256"] == evidence.sha256


def test_a_download_through_the_api_is_one_ledger_entry(build, client):
    c = build.cast
    task = build.completion_requested()
    evidence = Evidence.objects.get(task=task)
    token = client.post("/api/auth/token", json.dumps({"username": "bajiao", "password": c.password}),
                        content_type="application/json").json()["token"]
    response = client.get(f"/api/evidence/{evidence.pk}/download", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert _downloads(evidence).get().actor == c.bajiao_liaison


def test_a_refused_download_writes_no_download_entry(build, login):
    task = build.completion_requested()
    evidence = Evidence.objects.get(task=task)
    assert login(build.cast.baiguo_liaison).get(
        reverse("tasks:evidence_download", args=[evidence.pk])).status_code == 404
    assert not _downloads(evidence).exists()


# --- the content allow-list (FU-01) -----------------------------------------------------------------
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def _pdf(extra: str) -> bytes:
    return (f"%PDF-1.4\n1 0 obj << /Type /Catalog {extra} >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n").encode()


def _pdf_with_object_stream(inner: bytes) -> bytes:
    """A PDF whose only catalog sits inside a compressed object stream (PDF 1.5)."""
    header = b"1 0 "
    stream = zlib.compress(header + inner)
    body = b"%PDF-1.5\n"
    offsets = []
    offsets.append(len(body))
    body += (b"2 0 obj << /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
             % (len(header), len(stream))) + stream + b"\nendstream\nendobj\n"
    xref_at = len(body)
    body += b"3 0 obj << /Type /XRef /Size 4 /W [1 4 2] /Root 1 0 R /Length 28 >>\nstream\n"
    rows = struct.pack(">BIH", 0, 0, 65535) + struct.pack(">BIH", 2, 2, 0) + struct.pack(">BIH", 1, offsets[0], 0) \
        + struct.pack(">BIH", 1, xref_at, 0)
    body += rows + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return body


def _image(fmt: str) -> bytes:
    from PIL import Image

    if fmt == "HEIF":
        import pillow_heif

        pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (20, 120, 30)).save(buf, format=fmt)
    return buf.getvalue()


def _refusal(name, data) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        evidence_files.check_upload(upload(name, data))
    return info.value


@pytest.mark.parametrize("extra", [
    "/OpenAction << /S /JavaScript /JS (app.alert(1)) >>",
    "/OpenAction 5 0 R /Names << /JavaScript 6 0 R >>",
    "/OpenAction << /S /Launch /F (cmd.exe) >>",
    "/Names << /EmbeddedFiles 7 0 R >>",
    "/AcroForm << /XFA 8 0 R >>",
    "/AA << /O 9 0 R >>",
    "/OpenAction << /S /J#61vaScript /J#53 (x) >>",  # name escapes
])
def test_a_pdf_that_can_run_something_is_refused(extra):
    error = _refusal("报告.pdf", _pdf(extra))
    assert error.code == "active_content" and "脚本" in error.messages[0]


def test_javascript_hidden_in_a_compressed_object_stream_is_found():
    data = _pdf_with_object_stream(b"<< /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>")
    assert b"JavaScript" not in data
    assert _refusal("报告.pdf", data).code == "active_content"


def test_a_plain_pdf_with_an_object_stream_is_accepted():
    data = _pdf_with_object_stream(b"<< /Type /Catalog /Pages 4 0 R >>")
    assert evidence_files.check_upload(upload("报告.pdf", data)).file_type == "pdf"


@pytest.mark.parametrize("entries", [
    {"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>", "word/vbaProject.bin": "VBA"},
    {"[Content_Types].xml": '<Types><Override ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/>'
                            "</Types>", "word/document.xml": "<w:document/>"},
    {"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>", "word/activeX/activeX1.xml": "<ax/>"},
])
def test_office_files_with_macros_or_activex_are_refused(entries):
    assert _refusal("总结.docx", zip_bytes(entries)).code == "active_content"


@pytest.mark.parametrize("name", ["旧版.doc", "旧表.xls", "旧稿.ppt", "伪装.docx"])
def test_legacy_office_is_refused_with_a_message_saying_what_to_do(name):
    error = _refusal(name, OLE2)
    assert error.code == "legacy_office" and "docx" in error.messages[0]


def test_a_macro_enabled_extension_is_refused():
    assert _refusal("总结.docm", docx_bytes()).code == "bad_type"


@pytest.mark.parametrize(("name", "fmt", "kind"), [("现场.jpg", "JPEG", "jpg"), ("截图.png", "PNG", "png"),
                                                   ("IMG_0001.HEIC", "HEIF", "heic"), ("IMG_2.heif", "HEIF", "heic")])
def test_real_pictures_are_decoded_and_accepted(name, fmt, kind):
    checked = evidence_files.check_upload(upload(name, _image(fmt)))
    assert checked.file_type == kind


@pytest.mark.parametrize(("name", "data"), [
    ("现场.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"),
    ("现场.jpg", jpg_bytes()[:40]),  # truncated
    ("IMG.HEIC", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200),  # not decodable
    ("现场.png", _image("JPEG")),  # a JPEG named .png
])
def test_pictures_pillow_cannot_decode_are_refused_clearly(name, data):
    error = _refusal(name, data)
    assert "只接受 jpg" in error.messages[0]


def test_a_zip_with_only_a_content_types_part_is_still_checked_for_its_kind():
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    assert _refusal("空壳.docx", data.getvalue()).code == "bad_type"

"""Evidence files are accepted by content, stored under server names and never orphaned."""

import re
import zipfile
from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from duban.tasks import evidence
from duban.tasks import services as svc
from duban.tasks.models import Evidence, ProgressReport

from .helpers import (
    docx_bytes,
    jpg_bytes,
    ofd_bytes,
    pdf_bytes,
    png_bytes,
    state,
    upload,
    xlsx_bytes,
    zip_bytes,
)

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


@pytest.mark.parametrize(("name", "data", "kind"), [
    ("报告.pdf", pdf_bytes(), "pdf"),
    ("现场.jpg", jpg_bytes(), "jpg"),
    ("现场.JPEG", jpg_bytes(), "jpg"),
    ("截图.png", png_bytes(), "png"),
    ("总结.docx", docx_bytes(), "docx"),
    ("台账.xlsx", xlsx_bytes(), "xlsx"),
    ("公文.ofd", ofd_bytes(), "ofd"),
])
def test_real_files_are_accepted(name, data, kind):
    checked = evidence.check_upload(upload(name, data))
    assert checked.file_type == kind and checked.size == len(data)


@pytest.mark.parametrize(("name", "data"), [
    ("报告.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100),  # an .exe renamed
    ("shell.pdf", b"<?php system($_GET['c']); ?>"),  # a .php renamed
    ("照片.jpg", b"<html><body><script>alert(1)</script></body></html>"),  # HTML named .jpg
    ("图.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("图.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>'),
    ("poly.pdf", b"%PDF-1.4\n<html><script>alert(1)</script></html>\n%%EOF"),  # PDF/HTML polyglot
    ("总结.docx", xlsx_bytes()),  # a real xlsx under the wrong extension
    ("总结.docx", zip_bytes({"a.txt": "just a zip"})),
    ("报告.pdf", png_bytes()),  # extension and magic disagree
    ("说明.txt", b"plain text"),
    ("无扩展名", pdf_bytes()),
    ("空.pdf", b""),
    ("旧版.pdf", OLE2),
    ("旧版.doc", OLE2),  # legacy Office is refused (tests/tasks/test_sec_evidence.py)
    ("旧表.xls", OLE2),
])
def test_disguised_or_disallowed_files_are_refused(name, data):
    with pytest.raises(ValidationError):
        evidence.check_upload(upload(name, data))


def test_a_zip_with_too_many_entries_is_refused_before_extraction():
    entries = {"[Content_Types].xml": "<Types/>", "word/document.xml": "<w/>"}
    entries.update({f"word/media/{i}.xml": "" for i in range(evidence.MAX_ZIP_ENTRIES + 1)})
    with pytest.raises(ValidationError, match="条目过多"):
        evidence.check_upload(upload("多.docx", zip_bytes(entries)))


def test_a_zip_bomb_is_refused():
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "0" * (30 * 1024 * 1024))
    with pytest.raises(ValidationError, match="解压后过大"):
        evidence.check_upload(upload("炸弹.docx", buf.getvalue()))


def test_a_file_over_the_limit_is_refused(settings):
    settings.DUBAN_MAX_UPLOAD_BYTES = 1000
    data = pdf_bytes() + b"0" * (1001 - len(pdf_bytes()))
    with pytest.raises(ValidationError) as info:
        evidence.check_upload(upload("大.pdf", data))
    assert info.value.error_list[0].code == "too_large"
    evidence.check_upload(upload("刚好.pdf", data[:1000]))


@pytest.mark.parametrize(("given", "kept"), [
    ("../../x.pdf", "x.pdf"),
    ("a\r\nX: y.pdf", "aX y.pdf"),
    ("报告（终稿）.pdf", "报告（终稿）.pdf"),
    ('C:\\Users\\me\\"q".pdf', "q.pdf"),
])
def test_stored_names_are_server_generated_and_display_names_are_cleaned(build, given, kept):
    c = build.cast
    task = build.in_progress()
    report = svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="附件", percent=5,
                               files=[upload(given, pdf_bytes())])
    ev = report.evidence.get()
    assert ev.original_name == kept
    assert re.fullmatch(r"evidence/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", ev.storage_name)
    assert (build.media_root / ev.storage_name).read_bytes() == pdf_bytes()


def test_if_the_database_insert_fails_no_file_is_left(build):
    c = build.cast
    task = build.in_progress()
    before = state()
    with mock.patch.object(Evidence.objects, "create", side_effect=RuntimeError("disk full")), \
            pytest.raises(RuntimeError):
        svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="附件", percent=5,
                          files=[upload("a.pdf", pdf_bytes()), upload("b.png", png_bytes())])
    assert build.stored_files() == []
    assert state() == before
    assert evidence.orphans() == []


def test_one_bad_file_refuses_the_whole_report(build):
    c = build.cast
    task = build.in_progress()
    before = state()
    with pytest.raises(ValidationError) as info:
        svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="附件", percent=5,
                          files=[upload("好.pdf", pdf_bytes()), upload("坏.jpg", b"<html></html>")])
    assert "坏.jpg" in " ".join(info.value.messages)
    assert state() == before and build.stored_files() == []


def test_submitted_evidence_cannot_be_rewritten(build):
    task = build.completion_requested()
    ev = task.evidence.get()
    with pytest.raises(TypeError):
        ev.save()
    with pytest.raises(TypeError):
        Evidence.objects.filter(pk=ev.pk).update(sha256="0" * 64)
    assert ProgressReport.objects.filter(task=task).count() == 1


def test_a_tampered_file_alerts_the_supervision_office_once_a_day(build):
    from duban.tasks.models import Notification, NotificationKind

    c = build.cast
    task = build.completion_requested()
    ev = task.evidence.get()
    (build.media_root / ev.storage_name).write_bytes(b"%PDF-1.4 replaced")
    for _attempt in range(2):
        with pytest.raises(evidence.EvidenceIntegrityError):
            svc.evidence_open(user=c.bajiao_liaison, evidence=ev)
    alerts = Notification.objects.filter(kind=NotificationKind.INTEGRITY_FAILURE)
    assert [a.unit for a in alerts] == [c.office]
    assert str(ev.pk) in alerts.get().message


def test_the_verify_command_lists_mismatches_and_fails(build):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    task = build.completion_requested()
    out = StringIO()
    call_command("verify_evidence", stdout=out)
    assert "ok: 1 evidence files" in out.getvalue()
    ev = task.evidence.get()
    (build.media_root / ev.storage_name).unlink()
    (build.media_root / "evidence" / "2026").mkdir(parents=True, exist_ok=True)
    (build.media_root / "evidence" / "2026" / "stray.pdf").write_bytes(b"%PDF-1.4")
    out = StringIO()
    with pytest.raises(CommandError, match="1 of 1"):
        call_command("verify_evidence", "--orphans", stdout=out)
    assert f"MISMATCH evidence={ev.pk}" in out.getvalue() and "ORPHAN evidence/2026/stray.pdf" in out.getvalue()

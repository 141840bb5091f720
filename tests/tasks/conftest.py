"""Task fixtures on top of the fixed cast: a category, a source and helpers that build tasks in a
given state through the services (never by writing rows directly)."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from duban.tasks import lights
from duban.tasks import services as svc


def pdf_bytes(text: str = "evidence") -> bytes:
    body = f"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% {text}\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    return body.encode()


def png_bytes() -> bytes:
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"\x00\xff\x00\x00"
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
    return buf.getvalue()


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def a_pdf(name: str = "佐证.pdf") -> SimpleUploadedFile:
    return upload(name, pdf_bytes(), "application/pdf")


class Builder:
    def __init__(self, cast):
        self.cast = cast
        self.category = svc.category_create(actor=cast.supervisor, name="党的建设")
        self.today = lights.today()

    def task(self, *, parent=None, lead=None, post=None, due_in=60, cycle="monthly", co_units=(), title=None, **kw):
        c = self.cast
        return svc.task_create(
            actor=c.supervisor, parent=parent, title=title or "推进基层党建示范点建设",
            detail="建成文明乡村示范点", category=self.category,
            lead_unit=lead if lead is not None else c.bajiao, responsible_post=post,
            start_date=self.today, due_date=self.today + timedelta(days=due_in), reporting_cycle=cycle,
            co_units=list(co_units), **kw,
        )

    def assigned(self, **kw):
        task = self.task(**kw)
        return svc.task_assign(actor=self.cast.supervisor, task=task)

    def acknowledged(self, **kw):
        task = self.assigned(**kw)
        actor = kw.get("ack_by") or self.cast.bajiao_liaison
        return svc.task_acknowledge(actor=actor, task=task)

    def in_progress(self, **kw):
        task = self.acknowledged(**kw)
        return svc.task_start(actor=self.cast.bajiao_liaison, task=task)

    def completion_requested(self, **kw):
        task = self.in_progress(**kw)
        return svc.task_request_completion(actor=self.cast.bajiao_liaison, task=task, narrative="已全部完成",
                                           files=[a_pdf()])


@pytest.fixture
def build(cast, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "media")}}}
    return Builder(cast)

"""Real files and a task builder for the task tests. Tasks are always built through the
services, so every fixture state is one the product can actually reach."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile

from duban.core.models import AuditEntry
from duban.tasks import lights
from duban.tasks import services as svc
from duban.tasks.models import (
    Evidence,
    ExtensionRequest,
    Instruction,
    Milestone,
    Notification,
    ProgressReport,
    Source,
    Task,
)


def pdf_bytes(text: str = "evidence") -> bytes:
    body = f"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% {text}\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    return body.encode()


def png_bytes() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def jpg_bytes() -> bytes:
    """A real (decodable) 8×8 JPEG: evidence images must pass Pillow's check."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, format="JPEG")
    return buf.getvalue()


def zip_bytes(entries: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in entries.items():
            z.writestr(name, text)
    return buf.getvalue()


def docx_bytes() -> bytes:
    return zip_bytes({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})


def xlsx_bytes() -> bytes:
    return zip_bytes({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>"})


def ofd_bytes() -> bytes:
    return zip_bytes({"OFD.xml": "<ofd:OFD/>", "Doc_0/Document.xml": "<ofd:Document/>"})


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def a_pdf(name: str = "佐证.pdf") -> SimpleUploadedFile:
    return upload(name, pdf_bytes(), "application/pdf")


def state() -> dict:
    """Everything a refused call must leave untouched."""
    return {
        "tasks": list(Task.objects.order_by("pk").values()),
        "reports": ProgressReport.objects.count(),
        "evidence": Evidence.objects.count(),
        "extensions": list(ExtensionRequest.objects.order_by("pk").values()),
        "instructions": Instruction.objects.count(),
        "notifications": Notification.objects.count(),
        "milestones": list(Milestone.objects.order_by("pk").values()),
        "sources": Source.objects.count(),
        "ledger": AuditEntry.objects.exclude(event="authz_denied").count(),
    }


class Builder:
    def __init__(self, cast, media_root):
        self.cast = cast
        self.media_root = media_root
        self.category = svc.category_create(actor=cast.supervisor, name="党的建设")
        self.today = lights.today()

    def stored_files(self) -> list:
        return [p for p in self.media_root.rglob("*") if p.is_file()]

    def task(self, *, parent=None, lead=None, post=None, due_in=60, cycle="monthly", co_units=(), title=None,
             **overrides):
        c = self.cast
        fields = {
            "title": title or "推进基层党建示范点建设", "detail": "建成文明乡村示范点", "category": self.category,
            "lead_unit": lead if lead is not None else c.bajiao, "responsible_post": post, "start_date": self.today,
            "due_date": self.today + timedelta(days=due_in), "reporting_cycle": cycle,
        }
        fields.update(overrides)
        return svc.task_create(actor=c.supervisor, parent=parent, co_units=list(co_units), **fields)

    def assigned(self, **kw):
        return svc.task_assign(actor=self.cast.supervisor, task=self.task(**kw))

    def acknowledged(self, *, by=None, **kw):
        return svc.task_acknowledge(actor=by or self.cast.bajiao_liaison, task=self.assigned(**kw))

    def in_progress(self, *, by=None, **kw):
        task = self.acknowledged(by=by, **kw)
        return svc.task_start(actor=by or self.cast.bajiao_liaison, task=task)

    def completion_requested(self, *, by=None, **kw):
        task = self.in_progress(by=by, **kw)
        return svc.task_request_completion(actor=by or self.cast.bajiao_liaison, task=task, narrative="已全部完成",
                                           files=[a_pdf()])

    def completed(self, **kw):
        return svc.task_approve(actor=self.cast.supervisor, task=self.completion_requested(**kw))

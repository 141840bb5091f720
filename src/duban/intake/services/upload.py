"""Storing an upload as a draft: the file checks, the engine's analysis, and the 督查室's keys
added to every node (pre-filled from what the engine found)."""

from __future__ import annotations

import hashlib
import io
import logging
import re
import zipfile
from datetime import date
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from duban.core import ledger
from duban.intake import selectors
from duban.intake.draft import cleaned_text, title_from_text, walk
from duban.intake.models import DraftStatus, IntakeDraft
from duban.intake.services._base import (
    ALLOWED_EXTENSIONS,
    DOCX_MAX_ENTRIES,
    DOCX_MAX_UNCOMPRESSED,
    MEASURE_MAX,
    OBJECT_MAX,
    SOURCE_TITLE_MAX,
    TITLE_MAX,
    DuplicateDraftError,
    _clean_number,
    _date_or_none,
    _field_error,
    _new_id,
    _require,
    content_hash,
)
from duban.intake.services.defaults import fill_defaults
from duban.intake.services.topics import topic_map_seed
from duban.tasks.models import SourceKind

logger = logging.getLogger("duban.intake.services")


def _check_upload(raw, file_name) -> tuple[bytes, str]:
    if not isinstance(raw, (bytes, bytearray)):
        raise ValidationError({"file": _("请选择要导入的文件。")})
    name = PurePath(str(file_name or "").replace("\\", "/")).name.strip()
    if not name:
        raise ValidationError({"file": _("请选择要导入的文件。")})
    name = name[-255:]
    if len(raw) == 0:
        raise _field_error("file", _("文件“%(name)s”是空的,没有可导入的内容。") % {"name": name}, "empty")
    limit = settings.DUBAN_MAX_IMPORT_BYTES
    if len(raw) > limit:
        raise _field_error("file", _("文件“%(name)s”过大(%(size)s),导入文件不能超过 %(limit)s。")
                           % {"name": name, "size": _size(len(raw)), "limit": _size(limit)}, "too_large")
    lower = name.lower()
    if lower.endswith(".doc"):
        raise ValidationError({"file": _("不支持旧版 Word(.doc)文件,请另存为 .docx 后再导入。")}, code="file_type")
    if not lower.endswith(ALLOWED_EXTENSIONS):
        raise ValidationError({"file": _("不支持该文件类型,请导入 .txt(UTF-8 或 GBK 编码)、.docx、.xlsx、带文字的 .pdf 或网页(.html)文件。")},
                              code="file_type")
    if lower.endswith((".docx", ".xlsx")):
        _check_docx(bytes(raw), "xl/workbook.xml" if lower.endswith(".xlsx") else "word/document.xml")
    return bytes(raw), name


def _check_docx(raw: bytes, required: str = "word/document.xml") -> None:
    bad = ValidationError({"file": _("无法读取 Word 文档(.docx 文件已损坏或不是 Word 格式)。") if required.startswith("word")
                           else _("无法读取 Excel 表格(.xlsx 文件已损坏或不是 Excel 格式)。")}, code="bad_docx")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            infos = archive.infolist()
            expanded = sum(i.file_size for i in infos)
            if len(infos) > DOCX_MAX_ENTRIES or expanded > DOCX_MAX_UNCOMPRESSED:
                raise ValidationError({"file": _("文件解压后超过 %(limit)s 或包含的文件过多,可能是“压缩炸弹”,未导入。")
                                       % {"limit": _size(DOCX_MAX_UNCOMPRESSED)}}, code="zip_bomb")
            if required not in {i.filename for i in infos}:
                raise bad
    except (zipfile.BadZipFile, OSError, ValueError):
        raise bad from None


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    return f"{max(1, round(n / 1024))} KB"


def _prepare(data: dict, actor) -> dict:
    """Add the 督查室's decisions to every node, pre-filled from the engine's findings (only with
    units the actor may name)."""
    data["next_id"] = 1
    valid_units = set(selectors.units_for_user(actor).values_list("pk", flat=True))
    for node in walk(data["outline"]):
        node["engine_id"] = node.get("id", "")
        node["id"] = _new_id(data)
        title = node.get("title") or title_from_text(data["text"][node["start"]:node["end"]])
        node["title"] = re.sub(r"\s+", " ", title).strip()[:TITLE_MAX]
        node["include"] = node.get("role") != "context"
        keys = []
        for ref in node.get("units", []):
            key = ref.get("key")
            if key and str(key).isdigit() and int(key) in valid_units and int(key) not in keys:
                keys.append(int(key))
        node["lead_unit"] = keys[0] if keys else None
        node["co_units"] = keys[1:]
        deadline = node.get("deadline") or {}
        node["due_date"] = deadline.get("date") or None
        node["due_default"], node["lead_default"], node["category"] = False, "", None
        node["target_number"], node["target_measure"], node["target_object"] = None, "", ""
        for target in node.get("targets", []):
            measure, obj = target.get("measure") or "", (target.get("object") or "").strip()
            if target.get("quantity") is not None and len(measure) <= MEASURE_MAX and 0 < len(obj) <= OBJECT_MAX:
                node["target_number"] = _clean_number(target["quantity"])
                node["target_measure"], node["target_object"] = measure, obj
                break
    fill_defaults(data, actor)  # a lead unit and a due date for every task, marked as defaults
    return data


def draft_create(*, actor, raw: bytes, file_name: str, speech_date: date | None = None,
                 term_end: date | None = None) -> IntakeDraft:
    """Analyse an uploaded speech or document and store the draft. Nothing is created in tasks.

    The same bytes already waiting as an open draft raise DuplicateDraftError (naming it). The
    analysis runs outside the transaction: on SQLite a write transaction holds the database
    lock, and no other writer should wait for the text engine."""
    from duban.intake import engine

    _require(actor)
    raw, name = _check_upload(raw, file_name)
    speech_date = _date_or_none(speech_date, "speech_date")
    term_end = _date_or_none(term_end, "term_end")
    if speech_date and term_end and term_end < speech_date:
        raise ValidationError({"term_end": _("任期届满日期不能早于讲话日期。")})
    sha = hashlib.sha256(raw).hexdigest()
    existing = IntakeDraft.objects.filter(raw_sha256=sha, status=DraftStatus.DRAFT).first()
    if existing is not None:
        raise DuplicateDraftError(existing)
    topic_map_seed(actor=actor)
    try:
        result = engine.analyse(raw, filename=name, speech_date=speech_date, directory=selectors.engine_directory(),
                                topic_map=selectors.engine_topic_map(), term_end=term_end)
    except engine.IntakeError as exc:
        raise _field_error("file", str(exc), "unreadable") from None
    except Exception:  # an engine bug on one odd file must not become a 500
        logger.exception("intake engine failed on %s (sha256 %s)", name, sha)
        raise _field_error("file", _("分析该文件时出错,未导入。请检查文件内容,或将文件交给系统管理员排查。"),
                           "engine_error") from None
    data = _prepare(result.to_dict(), actor)
    data["source_kind"] = SourceKind.SPEECH
    # a text without a recognisable title still needs one to become a source: start from the name
    data["meta"]["title"] = (data["meta"].get("title") or "").strip() or PurePath(name).stem[:SOURCE_TITLE_MAX]
    body = cleaned_text(data)
    if not body:
        raise _field_error("file", _("清理后没有剩下正文,无法导入。"), "empty")
    text_hash = content_hash(body)
    same_text = IntakeDraft.objects.filter(text_hash=text_hash, status=DraftStatus.DRAFT).first()
    if same_text is not None:  # the same speech in another format (a .docx of an imported .txt)
        raise DuplicateDraftError(same_text)
    try:
        with transaction.atomic():
            draft = IntakeDraft.objects.create(
                created_by=actor, file_name=name, file_size=len(raw), raw_sha256=sha, text_hash=text_hash,
                title=(data["meta"].get("title") or "")[:SOURCE_TITLE_MAX], data=data)
            ledger.append(event="intake_draft_create", obj=draft,
                          data={"file_name": name, "size": len(raw), "sha256": sha, "encoding": data.get("encoding"),
                                "items": sum(1 for n in walk(data["outline"]) if n.get("role") in ("task", "subtask"))}, actor=actor)
    except IntegrityError:  # the same file uploaded twice at once: the other upload's draft won
        winner = IntakeDraft.objects.filter(raw_sha256=sha, status=DraftStatus.DRAFT).first()
        if winner is None:
            raise
        raise DuplicateDraftError(winner) from None
    return draft

"""Sources (来源): documents and speeches tasks come from."""

from __future__ import annotations

import hashlib
import re
from datetime import date

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from duban.core import ledger, permissions
from duban.tasks import evidence as evidence_files
from duban.tasks.models import (
    Source,
    SourceKind,
)
from duban.tasks.services._common import (
    _clean_text,
    _require,
)


# --- sources ----------------------------------------------------------------------------------
def _text_hash(text: str) -> str:
    normalised = re.sub(r"\s+", "", text or "")
    return hashlib.sha256(normalised.encode()).hexdigest() if normalised else ""


@transaction.atomic
def source_create(*, actor, kind: str, title: str, date: date | None = None, issuer: str = "",
                  doc_number: str = "", text: str = "", file=None) -> Source:
    """A source (来源). The same text or file imported twice is refused, naming the first import."""
    _require(actor, permissions.TASKS_MANAGE)
    title = _clean_text(title, "title", required=True, max_length=200, label=_("标题"))
    if kind not in SourceKind.values:
        raise ValidationError({"kind": _("来源类型不正确。")})
    issuer = _clean_text(issuer, "issuer", required=False, max_length=100, label=_("发文/讲话单位或人"))
    doc_number = _clean_text(doc_number, "doc_number", required=False, max_length=100, label=_("文号"))
    text = text or ""
    checked = evidence_files.check_upload(file) if file is not None else None
    content_hash = _text_hash(text) or (checked.sha256 if checked else "")
    if content_hash:
        existing = Source.objects.filter(content_hash=content_hash).first()
        if existing is not None:
            raise ValidationError(
                {"text" if text else "file": _("该来源已导入过:“%(title)s”。") % {"title": existing.title}},
                code="duplicate_source")
    source = Source(kind=kind, title=title, date=date, issuer=issuer, doc_number=doc_number, text=text,
                    content_hash=content_hash, created_by=actor,
                    file_name=checked.original_name if checked else "")
    source.full_clean(exclude=["file", "content_hash"])
    with evidence_files.stored([]) as _names:
        if checked is not None:
            name = default_storage.save(f"sources/{evidence_files.storage_name_for(checked.file_type)[9:]}",
                                        ContentFile(checked.data))
            _names.append(name)
            source.file.name = name
        try:
            source.save()
        except IntegrityError:  # a concurrent import of the same document won the race
            raise ValidationError({"text": _("该来源已导入过。")}, code="duplicate_source") from None
        ledger.append(event="source_create", obj=source,
                      data={"kind": kind, "title": title, "date": str(date) if date else None,
                            "content_hash": content_hash}, actor=actor)
    return source



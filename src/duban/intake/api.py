"""REST API for speech/document intake (django-ninja), mounted at /api/intake.

The same services as the pages: POST a file to get the draft decomposition, read it back,
confirm it into a source and its task tree. Everything needs INTAKE_USE (403 otherwise).
Refusals are raised and answered in the API's one dialect (duban.api.errors): ValidationError →
400 (413 for a file over the size limit), ConcurrentEditError → 409 with the current ``version``,
the same file already waiting as an open draft → 409 naming that ``draft``, a draft outside the
caller's scope → 404 as for a missing one. Nothing is changed when any of them is returned.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from pydantic import ConfigDict

from duban.core import permissions, uploads
from duban.core.api_auth import require
from duban.intake import selectors, services
from duban.intake.draft import plan
from duban.intake.models import IntakeDraft

# INTAKE_USE is checked in the auth step (duban.core.api_auth): 403 before a file or body is read.
router = Router(tags=["intake"], auth=require(permissions.INTAKE_USE))
# Operation names are prefixed: every router shares the "api" URL namespace.


def _need(request) -> None:
    if not permissions.can(request.auth, permissions.INTAKE_USE):
        raise HttpError(403, "permission_denied")


# --- schemas ----------------------------------------------------------------------------------
class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class MatchOut(Schema):
    source: int
    title: str
    same_text: bool
    added: list[str]
    removed: list[str]


class DraftOut(Schema):
    id: int
    status: str
    version: int
    title: str
    file_name: str
    file_size: int
    sha256: str
    created_at: datetime
    created_by: str | None
    source: int | None
    tasks_planned: int
    match: MatchOut | None
    draft: dict


class DraftListItem(Schema):
    id: int
    status: str
    title: str
    file_name: str
    created_at: datetime
    source: int | None


class ConfirmIn(Strict):
    version: int
    update_source: int | None = None


class ConfirmOut(Schema):
    source: int
    source_title: str
    tasks: int
    draft: DraftOut


def _draft_out(draft: IntakeDraft, user) -> dict:
    match = selectors.source_match(draft, user) if draft.is_open else None
    return {
        "id": draft.pk, "status": draft.status, "version": draft.version, "title": draft.title,
        "file_name": draft.file_name, "file_size": draft.file_size, "sha256": draft.raw_sha256,
        "created_at": draft.created_at, "created_by": draft.created_by.username if draft.created_by else None,
        "source": draft.source_id, "tasks_planned": len(plan(draft.data)),
        "match": {"source": match.source.pk, "title": match.source.title, "same_text": match.same_text,
                  "added": match.added, "removed": match.removed} if match else None,
        "draft": draft.data,
    }


# --- endpoints --------------------------------------------------------------------------------
@router.get("/drafts", response=list[DraftListItem])
def intake_draft_list(request, status: str = ""):
    _need(request)
    qs = selectors.drafts_for_user(request.auth)
    if status:
        qs = qs.filter(status=status)
    return [{"id": d.pk, "status": d.status, "title": d.title, "file_name": d.file_name,
             "created_at": d.created_at, "source": d.source_id} for d in qs[:200]]


@router.post("/drafts", response={201: DraftOut})
def intake_draft_create(request, file: File[UploadedFile], speech_date: Form[date | None] = None,
                 term_end: Form[date | None] = None):
    _need(request)
    uploads.check_size(file, setting_name="DUBAN_MAX_IMPORT_BYTES")  # 413 before reading it into memory
    draft = services.draft_create(actor=request.auth, raw=file.read(), file_name=file.name or "",
                                  speech_date=speech_date, term_end=term_end)
    return Status(201, _draft_out(draft, request.auth))


@router.get("/drafts/{int:draft_id}", response=DraftOut)
def intake_draft_get(request, draft_id: int):
    _need(request)
    return _draft_out(selectors.draft_get_for_user(request.auth, draft_id), request.auth)


@router.post("/drafts/{int:draft_id}/confirm", response={201: ConfirmOut})
def intake_draft_confirm(request, draft_id: int, payload: ConfirmIn):
    _need(request)
    draft = selectors.draft_get_for_user(request.auth, draft_id)
    update_source = None
    if payload.update_source is not None:
        match = selectors.source_match(draft, request.auth)
        if match is None or match.source.pk != payload.update_source:
            raise ValidationError({"update_source": _("要更新的来源已不存在或与本草稿不匹配。")})
        update_source = match.source
    source = services.draft_confirm(actor=request.auth, draft=draft, expected_version=payload.version,
                                    update_source=update_source)
    draft.refresh_from_db()
    return Status(201, {"source": source.pk, "source_title": source.title, "tasks": source.tasks.count(),
                        "draft": _draft_out(draft, request.auth)})

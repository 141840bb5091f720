"""What every intake write shares: limits, the field-keyed refusal, and the version-checked
edit of a draft's JSON (``_edit``: lock, copy, change, save, one ledger entry)."""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.core import ledger, permissions
from duban.core.services import ConcurrentEditError, ConflictError, save_versioned
from duban.intake.models import DraftStatus, IntakeDraft
from duban.orgs.models import Unit
from duban.tasks.models import SourceKind

ALLOWED_EXTENSIONS = (".txt", ".docx", ".xlsx", ".pdf", ".html", ".htm")
TITLE_MAX = 300  # tasks.Task.title
SOURCE_TITLE_MAX = 200  # tasks.Source.title
ISSUER_MAX = 100  # tasks.Source.issuer
MEASURE_MAX = 10  # tasks.Task.target_measure
OBJECT_MAX = 50  # tasks.Task.target_object
# What an imported text can be as a task source (tasks.SourceKind): a speech unless corrected.
SOURCE_KINDS = (SourceKind.SPEECH, SourceKind.DOCUMENT, SourceKind.MEETING)
# A .docx is a zip: refuse archives that would expand far beyond any speech before the engine
# opens them (the same caution as evidence uploads).
DOCX_MAX_ENTRIES = 2000
DOCX_MAX_UNCOMPRESSED = 100 * 1024 * 1024


class DuplicateDraftError(ConflictError):
    """The same file is already waiting as an open draft: continue that one instead (the API
    answers 409 naming the draft)."""

    def __init__(self, draft: IntakeDraft):
        super().__init__(_("该文件已有未确认的草稿(%(name)s,%(when)s 导入),请继续编辑该草稿或先放弃它。")
                         % {"name": draft.file_name,
                            "when": timezone.localtime(draft.created_at).strftime("%Y-%m-%d %H:%M")},
                         code="duplicate_draft", extra={"draft": draft.pk})
        self.draft = draft


# --- helpers ----------------------------------------------------------------------------------
def _field_error(field: str, message, code: str) -> ValidationError:
    """A field-keyed error that keeps its code (a dict passed to ValidationError drops it)."""
    return ValidationError({field: ValidationError(message, code=code)})


def _require(user) -> None:
    if not permissions.can(user, permissions.INTAKE_USE):
        raise PermissionDenied(_("您没有执行此操作的权限。"))


def content_hash(text: str) -> str:
    """Must equal duban.tasks.services' Source.content_hash for the same text (whitespace
    removed, SHA-256): re-import detection compares the two. A test guards the equality."""
    normalised = re.sub(r"\s+", "", text or "")
    return hashlib.sha256(normalised.encode()).hexdigest() if normalised else ""


@dataclass
class _Found:
    node: dict
    siblings: list  # the list holding the node (the outline or the parent's children)
    index: int
    parent: dict | None


def _find(data: dict, node_id) -> _Found:
    def search(nodes, parent):
        for i, node in enumerate(nodes):
            if node.get("id") == node_id:
                return _Found(node, nodes, i, parent)
            hit = search(node.get("children", []), node)
            if hit:
                return hit
        return None

    found = search(data["outline"], None) if isinstance(node_id, str) else None
    if found is None:
        raise _field_error("node", _("草稿中没有该条目,可能已被合并或删除,请刷新后重试。"), "no_node")
    return found


def _new_id(data: dict) -> str:
    data["next_id"] = data.get("next_id", 1) + 1
    return f"n{data['next_id'] - 1}"


def _clean_title(value, field: str = "title", max_length: int = TITLE_MAX, label: str | None = None) -> str:
    label = label or _("标题")
    if value is not None and not isinstance(value, str):
        raise ValidationError({field: _("“%(label)s”格式不正确。") % {"label": label}})
    value = re.sub(r"\s+", " ", value or "").strip()
    if not value:
        raise ValidationError({field: _("请填写“%(label)s”。") % {"label": label}})
    if len(value) > max_length:
        raise ValidationError({field: _("“%(label)s”不能超过 %(n)s 个字。") % {"label": label, "n": max_length}})
    return value


def _clean_short(value, field: str, max_length: int, label: str) -> str:
    if value is not None and not isinstance(value, str):
        raise ValidationError({field: _("“%(label)s”格式不正确。") % {"label": label}})
    value = (value or "").strip()
    if len(value) > max_length:
        raise ValidationError({field: _("“%(label)s”不能超过 %(n)s 个字。") % {"label": label, "n": max_length}})
    return value


def _clean_number(value) -> str | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"target_number": _("“目标数量”应为数字。")}) from None
    if not number.is_finite() or number < 0:
        raise ValidationError({"target_number": _("“目标数量”不能为负数。")})
    if number >= Decimal("1e12"):
        raise ValidationError({"target_number": _("“目标数量”过大。")})
    return f"{number.quantize(Decimal('0.01')).normalize():f}"  # "10", not normalize()'s "1E+1"


def _date_or_none(value, field: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    raise ValidationError({field: _("日期格式不正确。")})


def _units(value, field: str, actor) -> list[Unit]:
    units = list(value or [])
    for unit in units:
        if not isinstance(unit, Unit):
            raise ValidationError({field: _("单位不正确。")})
        if not unit.is_active:
            raise ValidationError({field: _("单位“%(name)s”已停用。") % {"name": unit.name}})
    _in_scope(actor, units, field, _("单位不正确。"))
    return units


def _in_scope(actor, units: list[Unit], field: str, message) -> None:
    """Refuse a unit outside the actor's subtree with the same message as a wrong one (the forms
    offer only the actor's units; this holds for every other caller too)."""
    q = permissions.scope_q(actor, "")
    pks = {u.pk for u in units}
    if q is not None and pks and Unit.objects.filter(q, pk__in=pks).count() != len(pks):
        raise ValidationError({field: message})


def _lock_draft(draft: IntakeDraft, expected_version: int | None) -> IntakeDraft:
    qs = IntakeDraft.objects.all()
    if connection.features.has_select_for_update:
        qs = qs.select_for_update()
    current = qs.get(pk=draft.pk)
    expected = draft.version if expected_version is None else expected_version
    if current.version != expected:
        raise ConcurrentEditError(extra={"version": current.version})
    if current.status != DraftStatus.DRAFT:
        raise ValidationError(_("该草稿已%(status)s,不能再修改。") % {"status": current.get_status_display()},
                              code="closed")
    return current


def _save(current: IntakeDraft, draft: IntakeDraft, expected: int, fields: list[str]) -> IntakeDraft:
    current.updated_at = timezone.now()
    try:
        save_versioned(current, expected_version=expected, fields=[*fields, "updated_at"])
    except ConcurrentEditError:  # saved by someone else since the lock (SQLite has no row lock)
        version = IntakeDraft.objects.filter(pk=current.pk).values_list("version", flat=True).first()
        raise ConcurrentEditError(extra={"version": version}) from None
    draft.__dict__.update({k: v for k, v in current.__dict__.items() if not k.startswith("_")})
    return current


def _edit(*, actor, draft: IntakeDraft, expected_version: int | None, event: str, change, ledger_data: dict):
    """Apply ``change(data)`` to a copy of the draft JSON; on any refusal nothing is stored."""
    _require(actor)
    current = _lock_draft(draft, expected_version)
    expected = current.version
    data = copy.deepcopy(current.data)
    change(data)
    current.data = data
    fields = ["data"]
    title = (data.get("meta", {}).get("title") or "")[:SOURCE_TITLE_MAX]
    if title != current.title:
        current.title = title
        fields.append("title")
    _save(current, draft, expected, fields)
    ledger.append(event=event, obj=current, data=ledger_data, actor=actor)
    return current

"""Intake writes: store a draft, edit it, confirm it into sources and tasks, keep the topic map.

Rules as everywhere (docs/architecture.md): keyword-only, one transaction each, Chinese
ValidationErrors with nothing changed on refusal, one ledger entry per change as the last
statement. Draft edits are version-checked (``save_versioned``) so two supervisors editing the
same draft cannot overwrite each other's changes.

The stored draft is the engine's Draft JSON (duban.intake.engine.model) with a few keys added
to every node for what the 督查室 decides: ``id`` (a stable "n<k>" that survives merges and
splits; the engine's own id is kept as ``engine_id``), ``include``, ``lead_unit``,
``co_units`` (unit ids), ``due_date`` (ISO) and ``target_number/measure/object``. Tasks are
created only by duban.tasks.services, in ``draft_confirm``.
"""

from __future__ import annotations

import copy
import hashlib
import io
import logging
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.core import ledger, permissions
from duban.core.services import ConcurrentEditError, save_versioned
from duban.intake import selectors
from duban.intake.models import DraftStatus, IntakeDraft, IntakeState, TopicMapping
from duban.orgs.models import Unit
from duban.tasks import services as task_services
from duban.tasks.models import Source, SourceKind, Task

logger = logging.getLogger(__name__)

ALLOWED_EXTENSIONS = (".txt", ".docx", ".html", ".htm")
TITLE_MAX = 300  # tasks.Task.title
SOURCE_TITLE_MAX = 200  # tasks.Source.title
ISSUER_MAX = 100  # tasks.Source.issuer
MEASURE_MAX = 10  # tasks.Task.target_measure
OBJECT_MAX = 50  # tasks.Task.target_object
# A .docx is a zip: refuse archives that would expand far beyond any speech before the engine
# opens them (the same caution as evidence uploads).
# What an imported text can be as a task source (tasks.SourceKind): a speech unless corrected.
SOURCE_KINDS = (SourceKind.SPEECH, SourceKind.DOCUMENT, SourceKind.MEETING)
DOCX_MAX_ENTRIES = 2000
DOCX_MAX_UNCOMPRESSED = 100 * 1024 * 1024


class DuplicateDraftError(ValidationError):
    """The same file is already waiting as an open draft: continue that one instead."""

    def __init__(self, draft: IntakeDraft):
        super().__init__(_("该文件已有未确认的草稿(%(name)s,%(when)s 导入),请继续编辑该草稿或先放弃它。")
                         % {"name": draft.file_name,
                            "when": timezone.localtime(draft.created_at).strftime("%Y-%m-%d %H:%M")},
                         code="duplicate_draft")
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


def cleaned_text(data: dict) -> str:
    """The body the engine kept: from body_start to body_end, without the removed lines inside
    it. This is what becomes the source's full text."""
    text = data["text"]
    start, end = data.get("body_start", 0), data.get("body_end", 0) or len(text)
    cuts = sorted((max(r["start"], start), min(r["end"], end)) for r in data.get("removed", [])
                  if r["end"] > start and r["start"] < end)
    parts, pos = [], start
    for s, e in cuts:
        if s > pos:
            parts.append(text[pos:s])
        pos = max(pos, e)
    parts.append(text[pos:end])
    return "".join(parts).strip()


def walk(nodes: list[dict]):
    for node in nodes:
        yield node
        yield from walk(node.get("children", []))


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


def _units(value, field: str) -> list[Unit]:
    units = list(value or [])
    for unit in units:
        if not isinstance(unit, Unit):
            raise ValidationError({field: _("单位不正确。")})
        if not unit.is_active:
            raise ValidationError({field: _("单位“%(name)s”已停用。") % {"name": unit.name}})
    return units


def _lock_draft(draft: IntakeDraft, expected_version: int | None) -> IntakeDraft:
    qs = IntakeDraft.objects.all()
    if connection.features.has_select_for_update:
        qs = qs.select_for_update()
    current = qs.get(pk=draft.pk)
    expected = draft.version if expected_version is None else expected_version
    if current.version != expected:
        raise ConcurrentEditError()
    if current.status != DraftStatus.DRAFT:
        raise ValidationError(_("该草稿已%(status)s,不能再修改。") % {"status": current.get_status_display()},
                              code="closed")
    return current


def _save(current: IntakeDraft, draft: IntakeDraft, expected: int, fields: list[str]) -> IntakeDraft:
    current.updated_at = timezone.now()
    save_versioned(current, expected_version=expected, fields=[*fields, "updated_at"])
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


# --- directory and topic map given to the engine ----------------------------------------------
def topic_map_seed(*, actor=None) -> int:
    """Fill the topic map from the engine's default on first use, matching unit names against
    the directory (names and aliases). Runs once: afterwards the map is the staff's."""
    if IntakeState.objects.filter(pk=1, topic_map_seeded_at__isnull=False).exists():
        return 0  # the usual case: no write transaction (on SQLite that is the database lock)
    return _seed_topic_map(actor)


@transaction.atomic
def _seed_topic_map(actor) -> int:
    from duban.intake.engine import default_topic_map

    state, _created = IntakeState.objects.select_for_update().get_or_create(pk=1) \
        if connection.features.has_select_for_update else IntakeState.objects.get_or_create(pk=1)
    if state.topic_map_seeded_at is not None:
        return 0
    lookup = selectors.unit_name_lookup()
    created = 0
    for keyword, names in default_topic_map().items():
        keyword = keyword.strip()[:50]
        if not keyword or TopicMapping.objects.filter(keyword=keyword).exists():
            continue
        matched = [lookup[n] for n in names if n in lookup]
        mapping = TopicMapping.objects.create(keyword=keyword, unit_names=[n for n in names if n not in lookup])
        mapping.units.set(matched)
        created += 1
    state.topic_map_seeded_at = timezone.now()
    state.save()
    ledger.append(event="intake_topic_map_seed", obj=None, object_type="intake.topicmapping",
                  data={"created": created}, actor=actor)
    return created


def _topic_values(keyword, units, unit_names, exclude_pk=None):
    keyword = _clean_title(keyword, "keyword", 50, _("关键词"))
    if TopicMapping.objects.filter(keyword=keyword).exclude(pk=exclude_pk).exists():
        raise ValidationError({"keyword": _("关键词“%(k)s”已存在。") % {"k": keyword}})
    units = _units(units, "units")
    names = []
    for name in unit_names or []:
        name = _clean_short(name, "unit_names", 100, _("单位名称"))
        if name and name not in names:
            names.append(name)
    if not units and not names:
        raise ValidationError({"units": _("请至少选择一个责任单位。")})
    return keyword, units, names


@transaction.atomic
def topic_mapping_create(*, actor, keyword: str, units, unit_names=()) -> TopicMapping:
    _require(actor)
    keyword, units, names = _topic_values(keyword, units, unit_names)
    mapping = TopicMapping.objects.create(keyword=keyword, unit_names=names)
    mapping.units.set(units)
    ledger.append(event="intake_topic_create", obj=mapping,
                  data={"keyword": keyword, "units": [u.pk for u in units], "unit_names": names}, actor=actor)
    return mapping


@transaction.atomic
def topic_mapping_update(*, actor, mapping: TopicMapping, keyword: str, units, unit_names=(),
                         expected_version: int | None = None) -> TopicMapping:
    _require(actor)
    keyword, units, names = _topic_values(keyword, units, unit_names, exclude_pk=mapping.pk)
    current = TopicMapping.objects.get(pk=mapping.pk)
    expected = current.version if expected_version is None else expected_version
    before = {"keyword": current.keyword, "units": sorted(current.units.values_list("pk", flat=True)),
              "unit_names": current.unit_names}
    current.keyword, current.unit_names, current.updated_at = keyword, names, timezone.now()
    save_versioned(current, expected_version=expected, fields=["keyword", "unit_names", "updated_at"])
    current.units.set(units)
    after = {"keyword": keyword, "units": sorted(u.pk for u in units), "unit_names": names}
    ledger.append(event="intake_topic_update", obj=current, data={"changes": ledger.diff(before, after)}, actor=actor)
    return current


@transaction.atomic
def topic_mapping_delete(*, actor, mapping: TopicMapping) -> None:
    _require(actor)
    current = TopicMapping.objects.filter(pk=mapping.pk).first()
    if current is None:
        raise ValidationError(_("该关键词已被删除。"), code="gone")
    data = {"keyword": current.keyword, "units": sorted(current.units.values_list("pk", flat=True))}
    pk = current.pk
    current.delete()
    ledger.append(event="intake_topic_delete", object_type="intake.topicmapping", object_id=str(pk),
                  object_repr=data["keyword"], data=data, actor=actor)


# --- upload -----------------------------------------------------------------------------------
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
        raise ValidationError({"file": _("不支持该文件类型,请导入 .txt(UTF-8 或 GBK 编码)、.docx 或网页(.html)文件。")},
                              code="file_type")
    if lower.endswith(".docx"):
        _check_docx(bytes(raw))
    return bytes(raw), name


def _check_docx(raw: bytes) -> None:
    bad = ValidationError({"file": _("无法读取 Word 文档(.docx 文件已损坏或不是 Word 格式)。")}, code="bad_docx")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            infos = archive.infolist()
            if len(infos) > DOCX_MAX_ENTRIES or sum(i.file_size for i in infos) > DOCX_MAX_UNCOMPRESSED:
                raise bad
            if "word/document.xml" not in {i.filename for i in infos}:
                raise bad
    except (zipfile.BadZipFile, OSError, ValueError):
        raise bad from None


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    return f"{max(1, round(n / 1024))} KB"


def _prepare(data: dict) -> dict:
    """Add the 督查室's decisions to every node, pre-filled from the engine's findings."""
    data["next_id"] = 1
    valid_units = set(Unit.objects.filter(is_active=True).values_list("pk", flat=True))
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
        node["target_number"], node["target_measure"], node["target_object"] = None, "", ""
        for target in node.get("targets", []):
            measure, obj = target.get("measure") or "", (target.get("object") or "").strip()
            if target.get("quantity") is not None and len(measure) <= MEASURE_MAX and 0 < len(obj) <= OBJECT_MAX:
                node["target_number"] = _clean_number(target["quantity"])
                node["target_measure"], node["target_object"] = measure, obj
                break
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
    data = _prepare(result.to_dict())
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


# --- edits ------------------------------------------------------------------------------------
@transaction.atomic
def draft_meta_update(*, actor, draft: IntakeDraft, expected_version: int | None, title: str, speaker: str = "",
                      post: str = "", speech_date: date | None = None, kind: str = SourceKind.SPEECH) -> IntakeDraft:
    _require(actor)
    if kind not in SOURCE_KINDS:
        raise ValidationError({"kind": _("来源类型不正确。")})
    title = _clean_title(title, "title", SOURCE_TITLE_MAX, _("标题"))
    speaker = _clean_short(speaker, "speaker", 50, _("讲话人"))
    post = _clean_short(post, "post", 50, _("职务"))
    speech_date = _date_or_none(speech_date, "speech_date")
    if len(f"{post} {speaker}".strip()) > ISSUER_MAX:
        raise ValidationError({"post": _("职务和讲话人合计不能超过 %(n)s 个字。") % {"n": ISSUER_MAX}})
    changes = {}

    def change(data):
        meta = data["meta"]
        new = {"title": title, "speaker": speaker, "post": post,
               "speech_date": speech_date.isoformat() if speech_date else None}
        changes.update(ledger.diff({k: meta.get(k) for k in new}, new))
        meta.update(new)
        if data.get("source_kind", SourceKind.SPEECH) != kind:
            changes["kind"] = [data.get("source_kind", SourceKind.SPEECH), kind]
        data["source_kind"] = kind

    return _edit(actor=actor, draft=draft, expected_version=expected_version, event="intake_draft_meta",
                 change=change, ledger_data={"changes": changes})


@transaction.atomic
def draft_node_update(*, actor, draft: IntakeDraft, expected_version: int | None, node_id: str, title: str,
                      include: bool, lead_unit: Unit | None = None, co_units=(), due_date: date | None = None,
                      target_number=None, target_measure: str = "", target_object: str = "") -> IntakeDraft:
    _require(actor)
    title = _clean_title(title, "title", TITLE_MAX, _("标题"))
    if lead_unit is not None and not isinstance(lead_unit, Unit):
        raise ValidationError({"lead_unit": _("牵头单位不正确。")})
    if lead_unit is not None and not lead_unit.is_active:
        raise ValidationError({"lead_unit": _("单位“%(name)s”已停用。") % {"name": lead_unit.name}})
    co = _units(co_units, "co_units")
    if lead_unit is not None and any(u.pk == lead_unit.pk for u in co):
        raise ValidationError({"co_units": _("牵头单位不能同时是配合单位。")})
    due_date = _date_or_none(due_date, "due_date")
    number = _clean_number(target_number)
    measure = _clean_short(target_measure, "target_measure", MEASURE_MAX, _("量词"))
    obj = _clean_short(target_object, "target_object", OBJECT_MAX, _("目标对象"))
    if number is None and (measure or obj):
        raise ValidationError({"target_number": _("填写了目标对象或量词时,请填写目标数量。")})
    changes = {}

    def change(data):
        node = _find(data, node_id).node
        new = {"title": title, "include": bool(include), "lead_unit": lead_unit.pk if lead_unit else None,
               "co_units": [u.pk for u in co], "due_date": due_date.isoformat() if due_date else None,
               "target_number": number, "target_measure": measure, "target_object": obj}
        changes.update(ledger.diff({k: node.get(k) for k in new}, new))
        node.update(new)

    return _edit(actor=actor, draft=draft, expected_version=expected_version, event="intake_draft_edit",
                 change=change, ledger_data={"op": "update", "node": node_id, "changes": changes})


@transaction.atomic
def draft_node_set_include(*, actor, draft: IntakeDraft, expected_version: int | None, node_id: str,
                           include: bool) -> IntakeDraft:
    _require(actor)

    def change(data):
        _find(data, node_id).node["include"] = bool(include)

    return _edit(actor=actor, draft=draft, expected_version=expected_version, event="intake_draft_edit",
                 change=change, ledger_data={"op": "include", "node": node_id, "include": bool(include)})


@transaction.atomic
def draft_node_merge(*, actor, draft: IntakeDraft, expected_version: int | None, node_id: str) -> IntakeDraft:
    """Merge an item with its next sibling: one span, both children, targets and units; the
    first item's title and decisions win where both have one."""
    _require(actor)
    merged = {}

    def change(data):
        found = _find(data, node_id)
        if found.index + 1 >= len(found.siblings):
            raise ValidationError({"node": _("“%(title)s”后面没有同级条目,无法合并。") % {"title": found.node["title"]}},
                                  code="no_sibling")
        a, b = found.node, found.siblings[found.index + 1]
        a["start"], a["end"] = min(a["start"], b["start"]), max(a["end"], b["end"])
        a["children"] = a.get("children", []) + b.get("children", [])
        a["targets"] = a.get("targets", []) + b.get("targets", [])
        seen = {(u.get("name"), u.get("key")) for u in a.get("units", [])}
        a["units"] = a.get("units", []) + [u for u in b.get("units", []) if (u.get("name"), u.get("key")) not in seen]
        for key in ("deadline", "due_date", "lead_unit", "target_number"):
            if not a.get(key) and b.get(key):
                a[key] = b[key]
                if key == "target_number":
                    a["target_measure"], a["target_object"] = b.get("target_measure", ""), b.get("target_object", "")
        co = [u for u in a.get("co_units", []) + b.get("co_units", []) + ([b["lead_unit"]] if b.get("lead_unit") else [])
              if u != a.get("lead_unit")]
        a["co_units"] = list(dict.fromkeys(co))
        a["include"] = bool(a.get("include") or b.get("include"))
        if a.get("role") == "context" and b.get("role") != "context":
            a["role"] = b["role"]
        del found.siblings[found.index + 1]
        merged["with"] = b["id"]

    return _edit(actor=actor, draft=draft, expected_version=expected_version, event="intake_draft_edit",
                 change=change, ledger_data={"op": "merge", "node": node_id, "merged": merged})


_LEADING = re.compile(r"^[\s,，。;；:：、.．)）]*(?:[一二三四五六七八九十]+是|第[一二三四五六七八九十]+|[(（][一二三四五六七八九十\d]+[)）])?[\s,，、:：]*")
_CLAUSE_END = re.compile(r"[,，。;；:：!！?？\n]")


def title_from_text(text: str) -> str:
    """A title for text cut from a span: its first clause, without a leading 一是/（一）."""
    text = _LEADING.sub("", text, count=1)
    match = _CLAUSE_END.search(text)
    title = (text[:match.start()] if match else text).strip()
    return title[:60] or text.strip()[:60]


@transaction.atomic
def draft_node_split(*, actor, draft: IntakeDraft, expected_version: int | None, node_id: str,
                     offset: int | None = None, titles: tuple[str, str] | list[str] | None = None) -> IntakeDraft:
    """Split an item in two: at a character offset of the source text (the second part takes
    the children, targets and units found after it), or into two titles over the same text."""
    _require(actor)
    if (offset is None) == (titles is None):
        raise ValidationError({"offset": _("请指定拆分位置,或填写拆分后的两个标题。")})
    if titles is not None:
        if not isinstance(titles, (list, tuple)) or len(titles) != 2:
            raise ValidationError({"titles": _("请填写拆分后的两个标题。")})
        titles = (_clean_title(titles[0], "titles", TITLE_MAX, _("第一个标题")),
                  _clean_title(titles[1], "titles", TITLE_MAX, _("第二个标题")))
    elif isinstance(offset, bool) or not isinstance(offset, int):
        raise ValidationError({"offset": _("拆分位置应为整数。")})
    result = {}

    def change(data):
        found = _find(data, node_id)
        node = found.node
        if titles is not None:
            second = copy.deepcopy(node)
            second["children"] = []
            node["title"], second["title"] = titles
        else:
            if not node["start"] < offset < node["end"]:
                raise ValidationError({"offset": _("拆分位置不在“%(title)s”的原文范围内。") % {"title": node["title"]}},
                                      code="bad_offset")
            text = data["text"]
            if not text[node["start"]:offset].strip() or not text[offset:node["end"]].strip():
                raise ValidationError({"offset": _("拆分后的两部分都应有文字。")}, code="bad_offset")
            for child in node.get("children", []):
                if child["start"] < offset < child["end"]:
                    raise ValidationError({"offset": _("拆分位置落在下级条目“%(title)s”的中间。") % {"title": child["title"]}},
                                          code="bad_offset")
            second = copy.deepcopy(node)
            second["start"], node["end"] = offset, offset
            second["title"] = title_from_text(text[offset:second["end"]])[:TITLE_MAX]

            def before(item):
                return item.get("start") is None or item["start"] < offset

            def after(item):
                return item.get("start") is None or item["start"] >= offset

            node["children"] = [c for c in node.get("children", []) if before(c)]
            second["children"] = [c for c in second.get("children", []) if c["start"] >= offset]
            for key in ("targets", "units"):
                node[key] = [t for t in node.get(key, []) if before(t)]
                second[key] = [t for t in second.get(key, []) if after(t)]
            deadline = node.get("deadline")
            if deadline and not deadline.get("inherited") and deadline.get("start") is not None:
                if deadline["start"] >= offset:
                    node["deadline"], node["due_date"] = None, None
                else:
                    second["deadline"], second["due_date"] = None, None
        # the second part is a new node; children that moved into it keep their ids
        second["id"] = _new_id(data)
        if titles is not None:
            for n in walk(second["children"]):
                n["id"] = _new_id(data)
        found.siblings.insert(found.index + 1, second)
        result["new"] = second["id"]

    return _edit(actor=actor, draft=draft, expected_version=expected_version, event="intake_draft_edit",
                 change=change, ledger_data={"op": "split", "node": node_id, "offset": offset,
                                             "titles": list(titles) if titles else None, "result": result})


@transaction.atomic
def draft_node_drop(*, actor, draft: IntakeDraft, expected_version: int | None, node_id: str) -> IntakeDraft:
    """Remove an item and everything under it from the draft (the source text is untouched)."""
    _require(actor)
    dropped = {}

    def change(data):
        found = _find(data, node_id)
        dropped["title"] = found.node["title"]
        dropped["count"] = sum(1 for _n in walk([found.node]))
        del found.siblings[found.index]

    return _edit(actor=actor, draft=draft, expected_version=expected_version, event="intake_draft_edit",
                 change=change, ledger_data={"op": "drop", "node": node_id, "dropped": dropped})


MOVES = ("indent", "outdent", "parent", "up", "down")


@transaction.atomic
def draft_node_move(*, actor, draft: IntakeDraft, expected_version: int | None, node_id: str, action: str,
                    parent_id: str | None = None) -> IntakeDraft:
    """Re-parent an item: ``indent`` (under the previous sibling), ``outdent`` (after its
    parent), ``parent`` (as the last child of ``parent_id``; empty for the top level), or move
    it ``up``/``down`` among its siblings."""
    _require(actor)
    if action not in MOVES:
        raise ValidationError({"action": _("不支持的移动方式。")})

    def change(data):
        found = _find(data, node_id)
        node = found.node
        if action == "indent":
            if found.index == 0:
                raise ValidationError({"action": _("“%(title)s”前面没有同级条目,无法降级。") % {"title": node["title"]}},
                                      code="no_sibling")
            del found.siblings[found.index]
            found.siblings[found.index - 1].setdefault("children", []).append(node)
        elif action == "outdent":
            if found.parent is None:
                raise ValidationError({"action": _("“%(title)s”已在最上层,无法升级。") % {"title": node["title"]}},
                                      code="top_level")
            outer = _find(data, found.parent["id"])
            del found.siblings[found.index]
            outer.siblings.insert(outer.index + 1, node)
        elif action in ("up", "down"):
            target = found.index - 1 if action == "up" else found.index + 1
            if not 0 <= target < len(found.siblings):
                raise ValidationError({"action": _("已经是第一个或最后一个,无法移动。")}, code="edge")
            found.siblings[found.index], found.siblings[target] = found.siblings[target], node
        else:
            if parent_id in (None, ""):
                del found.siblings[found.index]
                data["outline"].append(node)
                return
            new_parent = _find(data, parent_id).node
            if any(n["id"] == parent_id for n in walk([node])):
                raise ValidationError({"parent": _("不能把条目移到它自己或它的下级条目之下。")}, code="cycle")
            del found.siblings[found.index]
            new_parent.setdefault("children", []).append(node)

    return _edit(actor=actor, draft=draft, expected_version=expected_version, event="intake_draft_edit",
                 change=change, ledger_data={"op": action, "node": node_id, "parent": parent_id})


@transaction.atomic
def draft_discard(*, actor, draft: IntakeDraft, expected_version: int | None = None) -> IntakeDraft:
    _require(actor)
    current = _lock_draft(draft, expected_version)
    expected = current.version
    current.status = DraftStatus.DISCARDED
    _save(current, draft, expected, ["status"])
    ledger.append(event="intake_draft_discard", obj=current, data={"file_name": current.file_name}, actor=actor)
    return current


# --- confirm ----------------------------------------------------------------------------------
def _issuer(meta: dict) -> str:
    return " ".join(p for p in (meta.get("post", ""), meta.get("speaker", "")) if p).strip()[:ISSUER_MAX]


def _norm_title(title: str) -> str:
    return re.sub(r"[\s\W_]+", "", title or "")


def _task_values(node: dict, parent: Task | None, units: dict[int, Unit], data: dict) -> dict:
    due = date.fromisoformat(node["due_date"]) if node.get("due_date") else None
    if due and parent is not None and parent.due_date and due > parent.due_date:
        due = parent.due_date  # a subtask cannot outlive its parent (tasks refuses it otherwise)
    lead = units.get(node.get("lead_unit")) if node.get("lead_unit") else None
    if node.get("lead_unit") and lead is None:
        raise ValidationError(_("牵头单位已不在单位目录中,请重新选择。"))
    co = []
    for pk in node.get("co_units", []):
        if pk not in units:
            raise ValidationError(_("配合单位已不在单位目录中,请重新选择。"))
        if lead is None or pk != lead.pk:
            co.append(units[pk])
    # A heading's own text is its intro: the items under it carry theirs.
    end = min([node["end"], *(c["start"] for c in node.get("children", []) if c["start"] > node["start"])])
    values = {"title": node["title"], "detail": data["text"][node["start"]:end].strip(),
              "lead_unit": lead, "co_units": co, "due_date": due}
    if node.get("target_number") not in (None, ""):
        values.update(target_number=Decimal(node["target_number"]), target_measure=node.get("target_measure", ""),
                      target_object=node.get("target_object", ""))
    return values


def creates_task(node: dict) -> bool:
    """Whether a node becomes a task: included, and for a heading only when something under it
    does (an empty section would be a task nobody has to do)."""
    if not node.get("include"):
        return False
    if node.get("role") == "structure":
        return any(creates_task(c) for c in node.get("children", []))
    return True


def plan(data: dict) -> list[tuple[dict, int]]:
    """(node, depth) of the nodes that will become tasks, in creation order."""
    out: list[tuple[dict, int]] = []

    def visit(nodes, depth):
        for node in nodes:
            if creates_task(node):
                out.append((node, depth))
                visit(node.get("children", []), depth + 1)
            else:  # an excluded heading's included items attach to the nearest included ancestor
                visit(node.get("children", []), depth)

    visit(data["outline"], 0)
    return out


@transaction.atomic
def draft_confirm(*, actor, draft: IntakeDraft, expected_version: int | None = None,
                  update_source: Source | None = None) -> Source:
    """Create the source and the task tree from the draft, all or nothing.

    With ``update_source`` (a re-import of a document already confirmed), no source is created:
    items whose title already names a task of that source are matched, the others are added
    under their matched parent. Tasks that are no longer in the draft are left alone — closing
    them is a decision with a reason (task_cancel), shown to the user as such."""
    _require(actor)
    current = _lock_draft(draft, expected_version)
    expected = current.version
    data = current.data
    meta = data["meta"]
    if not plan(data):
        raise ValidationError(_("草稿中没有要生成的任务:请至少勾选一个条目。"), code="empty")
    title = (meta.get("title") or "").strip()
    if not title:
        raise ValidationError({"title": _("请先填写讲话/文件标题。")})
    unit_ids = {pk for n in walk(data["outline"]) for pk in [n.get("lead_unit"), *n.get("co_units", [])] if pk}
    units = {u.pk: u for u in Unit.objects.filter(pk__in=unit_ids)}
    speech_date = date.fromisoformat(meta["speech_date"]) if meta.get("speech_date") else None
    if update_source is not None:
        if not isinstance(update_source, Source):
            raise ValidationError(_("要更新的来源不正确。"))
        source = update_source
        existing = {_norm_title(t.title): t for t in Task.objects.filter(source=source).order_by("path")}
    else:
        body = cleaned_text(data)
        twin = Source.objects.filter(content_hash=content_hash(body)).first() if body else None
        if twin is not None:
            raise ValidationError(_("该讲话/文件已导入为来源“%(title)s”,请选择“作为该来源的更新”确认。")
                                  % {"title": twin.title}, code="duplicate_source")
        try:
            source = task_services.source_create(actor=actor, kind=data.get("source_kind", SourceKind.SPEECH),
                                                 title=title[:SOURCE_TITLE_MAX],
                                                 date=speech_date, issuer=_issuer(meta), text=body)
        except ValidationError as exc:
            raise ValidationError(_("无法创建任务来源:%(error)s") % {"error": "；".join(exc.messages)},
                                  code="source_failed") from None
        existing = {}
    created: list[Task] = []

    def build(nodes, parent: Task | None):
        for node in nodes:
            if not creates_task(node):
                build(node.get("children", []), parent)
                continue
            match = existing.get(_norm_title(node["title"]))
            if match is not None:
                build(node.get("children", []), match)
                continue
            try:
                values = _task_values(node, parent, units, data)
                task = task_services.task_create(actor=actor, parent=parent, source=source, **values)
            except (ValidationError, PermissionDenied) as exc:
                messages = "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                raise ValidationError(_("条目“%(title)s”无法生成任务:%(error)s 未生成任何任务。")
                                      % {"title": node["title"][:40], "error": messages}, code="task_failed") from None
            created.append(task)
            build(node.get("children", []), task)

    build(data["outline"], None)
    if update_source is not None and not created:
        raise ValidationError(_("与来源“%(title)s”相比没有新增的条目,无需更新。") % {"title": source.title},
                              code="nothing_new")
    current.status = DraftStatus.CONFIRMED
    current.source = source
    current.confirmed_by = actor
    current.confirmed_at = timezone.now()
    _save(current, draft, expected, ["status", "source", "confirmed_by", "confirmed_at"])
    ledger.append(event="intake_draft_confirm", obj=current,
                  data={"source": source.pk, "update": update_source is not None,
                        "tasks": [t.pk for t in created]}, actor=actor)
    return source

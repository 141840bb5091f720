"""Edits of an open draft: its metadata and its outline (update, include, merge, split, drop,
move), and discarding it. Each is version-checked and one ledger entry."""

from __future__ import annotations

import copy
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from duban.core import ledger
from duban.intake.draft import title_from_text, walk
from duban.intake.models import DraftStatus, IntakeDraft
from duban.intake.services._base import (
    ISSUER_MAX,
    MEASURE_MAX,
    OBJECT_MAX,
    SOURCE_KINDS,
    SOURCE_TITLE_MAX,
    TITLE_MAX,
    _clean_number,
    _clean_short,
    _clean_title,
    _date_or_none,
    _edit,
    _find,
    _in_scope,
    _lock_draft,
    _new_id,
    _require,
    _save,
    _units,
)
from duban.orgs.models import Unit
from duban.tasks.models import SourceKind


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
    if lead_unit is not None:
        _in_scope(actor, [lead_unit], "lead_unit", _("牵头单位不正确。"))
    co = _units(co_units, "co_units", actor)
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
        if node.get("due_date") != new["due_date"]:
            node["due_default"] = False
        if node.get("lead_unit") != new["lead_unit"] or node.get("co_units", []) != new["co_units"]:
            node["lead_default"] = ""
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

"""Units the text names that are not in the unit directory (a provincial department, 各市人民政府,
a state firm): the draft keeps them as written, and the review offers, for each name, to add it
to the directory as a new unit or to map it to an existing one (remembered as that unit's alias
so the next import finds it). Either way every item of the draft naming it gets the unit: as its
lead when it has none (or only a default), else as a co-unit."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from duban.core import permissions
from duban.intake.draft import walk
from duban.intake.models import IntakeDraft
from duban.intake.services._base import _edit, _in_scope, _require
from duban.orgs import services as org_services
from duban.orgs.models import Unit, UnitKind

NAME_MAX = 100


def outside_units(data: dict) -> list[dict]:
    """[{name, count}] of the names written in task items that no directory unit carries, most
    frequent first (count = items naming it)."""
    counts: dict[str, int] = {}
    for node in walk(data["outline"]):
        if node.get("role") == "context":
            continue
        seen = set()
        for ref in node.get("units", []):
            name = (ref.get("name") or "").strip()
            if name and not ref.get("key") and name not in seen and not _resolved(node, name):
                seen.add(name)
                counts[name] = counts.get(name, 0) + 1
    return [{"name": n, "count": c} for n, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _resolved(node: dict, name: str) -> bool:
    return name in (node.get("resolved_names") or {})


@transaction.atomic
def draft_unit_resolve(*, actor, draft: IntakeDraft, expected_version: int | None, name: str,
                       unit: Unit | None = None, new_parent: Unit | None = None, new_kind: str = "") -> IntakeDraft:
    """Map ``name`` to ``unit`` (and remember it as the unit's alias), or, without ``unit``, add
    a unit of that name under ``new_parent`` to the directory; then give it to every item naming it."""
    _require(actor)
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise ValidationError({"name": _("单位名称不正确。")})
    names = {o["name"] for o in outside_units(draft.data)}
    if name not in names:
        raise ValidationError({"name": _("草稿中没有待处理的单位名称“%(name)s”,请刷新后重试。") % {"name": name}})
    if unit is None and not new_kind:
        raise ValidationError({"unit": _("请选择对应的已有单位,或选择新单位的类别以添加到单位目录。")})
    if not permissions.can(actor, permissions.DIRECTORY_EDIT):
        raise ValidationError(_("没有修改单位目录的权限,请联系单位目录管理员。"), code="forbidden")
    if unit is not None:
        if not isinstance(unit, Unit) or not unit.is_active:
            raise ValidationError({"unit": _("请选择有效的单位。")})
        _in_scope(actor, [unit], "unit", _("请选择有效的单位。"))
        aliases = list(unit.aliases.values_list("name", flat=True))
        if name != unit.name and name not in aliases:
            org_services.unit_update(actor=actor, unit=unit, aliases=[*aliases, name])
        mode = "map"
    else:
        if new_kind not in UnitKind.values:
            raise ValidationError({"new_kind": _("请选择单位类别。")})
        unit = org_services.unit_create(actor=actor, name=name, parent=new_parent, kind=new_kind)
        mode = "add"
    summary = {"op": f"unit_{mode}", "name": name, "unit": unit.pk, "count": 0}

    def change(data):
        for node in walk(data["outline"]):
            if node.get("role") == "context":
                continue
            if not any((r.get("name") or "").strip() == name and not r.get("key") for r in node.get("units", [])):
                continue
            node.setdefault("resolved_names", {})[name] = unit.pk
            if node.get("lead_unit") is None or node.get("lead_default"):
                node["lead_unit"], node["lead_default"] = unit.pk, ""
                node["co_units"] = [pk for pk in node.get("co_units", []) if pk != unit.pk]
            elif unit.pk != node["lead_unit"] and unit.pk not in node.get("co_units", []):
                node["co_units"] = [*node.get("co_units", []), unit.pk]
            summary["count"] += 1

    return _edit(actor=actor, draft=draft, expected_version=expected_version, event="intake_draft_edit",
                 change=change, ledger_data=summary)

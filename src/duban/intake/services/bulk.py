"""Bulk edits of an open draft: select items (optionally with their subtrees) and set the lead
unit, co-units and due date at once, include or exclude them, or drop them. One version check and
one ledger entry for the whole selection; a refusal changes nothing."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from duban.intake.draft import walk
from duban.intake.models import IntakeDraft
from duban.intake.services._base import _date_or_none, _edit, _find, _in_scope, _require, _units
from duban.orgs.models import Unit
from duban.tasks.models import Category

BULK_ACTIONS = ("set", "include", "exclude", "drop")
BULK_MAX = 2000


@transaction.atomic
def draft_nodes_bulk_update(*, actor, draft: IntakeDraft, expected_version: int | None, node_ids,
                            action: str = "set", with_subtree: bool = False, lead_unit: Unit | None = None,
                            co_units=None, due_date: date | None = None, category=None) -> IntakeDraft:
    """``set`` writes the fields that are given (lead_unit, co_units, due_date, category; None
    leaves a field as it is) on every selected item that will create a task; ``include``/``exclude``
    switch task creation; ``drop`` removes the items with everything under them."""
    _require(actor)
    if action not in BULK_ACTIONS:
        raise ValidationError({"action": _("不支持的批量操作。")})
    ids = [i for i in dict.fromkeys(node_ids or []) if isinstance(i, str) and i]
    if not ids:
        raise ValidationError({"nodes": _("请先勾选要批量处理的条目。")}, code="empty")
    if len(ids) > BULK_MAX:
        raise ValidationError({"nodes": _("一次最多处理 %(n)s 项。") % {"n": BULK_MAX}})
    if lead_unit is not None:
        if not isinstance(lead_unit, Unit):
            raise ValidationError({"lead_unit": _("牵头单位不正确。")})
        if not lead_unit.is_active:
            raise ValidationError({"lead_unit": _("单位“%(name)s”已停用。") % {"name": lead_unit.name}})
        _in_scope(actor, [lead_unit], "lead_unit", _("牵头单位不正确。"))
    co = _units(co_units, "co_units", actor) if co_units is not None else None
    if lead_unit is not None and co and any(u.pk == lead_unit.pk for u in co):
        raise ValidationError({"co_units": _("牵头单位不能同时是配合单位。")})
    due_date = _date_or_none(due_date, "due_date")
    if category is not None and not isinstance(category, Category):
        raise ValidationError({"category": _("任务类别不正确。")})
    if action == "set" and lead_unit is None and co is None and due_date is None and category is None:
        raise ValidationError({"action": _("请填写要批量设置的牵头单位、配合单位、完成时限或任务类别。")}, code="nothing")
    summary = {"op": f"bulk_{action}", "nodes": ids, "with_subtree": bool(with_subtree), "count": 0}

    def change(data):
        found = [_find(data, i) for i in ids]  # every id must exist: a stale page is refused whole
        if action == "drop":
            # the outermost selected items go, each with everything under it
            inner = {n["id"] for f in found for n in walk(f.node.get("children", []))}
            for node_id in [i for i in ids if i not in inner]:
                f = _find(data, node_id)
                summary["count"] += sum(1 for _n in walk([f.node]))
                del f.siblings[f.index]
            return
        targets: dict[str, dict] = {}
        for f in found:
            for n in (walk([f.node]) if with_subtree else [f.node]):
                targets.setdefault(n["id"], n)
        for node in targets.values():
            if action in ("include", "exclude"):
                node["include"] = action == "include"
                summary["count"] += 1
                continue
            if node.get("role") == "context" or not node.get("include", True):
                continue  # context and excluded items get no unit or date
            if category is not None:
                node["category"] = category.pk
            if lead_unit is not None:
                node["lead_unit"], node["lead_default"] = lead_unit.pk, ""
                node["co_units"] = [pk for pk in node.get("co_units", []) if pk != lead_unit.pk]
            if co is not None:
                lead = node.get("lead_unit")
                node["co_units"] = [u.pk for u in co if u.pk != lead]
            if due_date is not None:
                node["due_date"] = due_date.isoformat()
                node["due_default"] = False
            summary["count"] += 1
        summary.update({"lead_unit": lead_unit.pk if lead_unit else None,
                        "co_units": [u.pk for u in co] if co is not None else None,
                        "due_date": due_date.isoformat() if due_date else None,
                        "category": category.pk if category else None})

    return _edit(actor=actor, draft=draft, expected_version=expected_version, event="intake_draft_edit",
                 change=change, ledger_data=summary)

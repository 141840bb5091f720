"""Policy defaults that make a stored draft hand-over-ready (交办) without an edit page, each one
marked so that the 督查室 checks it:

- a lead unit for every task: the units the text names (directory names and aliases, the common
  aliases the engine ships such as 共青团 → 团市委, '各级纪委' read as 纪委), else the topic map on the
  item's title and then on its enclosing headings (``lead_default = "topic"``), and for a heading
  that becomes a parent task the lead most of its items share (``"children"``); else none — the
  row is flagged 缺牵头单位;
- a due date for every task: the text's, else 31 December of the document's year
  (``due_default``), unless that is already past; a parent task is due no earlier than its latest
  item, so confirming caps nothing;
- an old speech whose dates are all past is offered a re-base of its years
  (``rebase_offer``/``draft_rebase_years``): every date read from the text moves by the same
  number of years, the defaults follow, the source keeps its real date.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.intake import selectors
from duban.intake.draft import creates_task, walk
from duban.intake.models import IntakeDraft
from duban.intake.services._base import _edit, _require

REBASE_MAX = 50
_COLLECTIVE = re.compile(r"^(全市|全县|全区|全省|各级|各地|市直|县直|区直|各)+")


@lru_cache(maxsize=1)
def _shipped_aliases() -> dict[str, str]:
    """The engine's own directory aliases (共青团 → 团市委, 工会组织 → 市总工会 …): a name the
    database's directory does not know may still be a common way of naming one of its units."""
    from duban.intake.engine import default_directory

    out: dict[str, str] = {}
    for unit in default_directory():
        for alias in [unit["name"], *unit.get("aliases", [])]:
            out.setdefault(alias, unit["name"])
    return out


class _Resolver:
    def __init__(self, actor):
        allowed = set(selectors.units_for_user(actor).values_list("pk", flat=True))
        self.lookup = {name: u.pk for name, u in selectors.unit_name_lookup().items() if u.pk in allowed}
        self.topics = sorted(selectors.engine_topic_map().items(), key=lambda kv: -len(kv[0]))

    def name(self, name: str) -> int | None:
        shipped = _shipped_aliases()
        for cand in (name, _COLLECTIVE.sub("", name)):
            if not cand:
                continue
            pk = self.lookup.get(cand) or self.lookup.get(shipped.get(cand, ""))
            if pk:
                return pk
        return None

    def topic(self, title: str) -> list[int]:
        for keyword, names in self.topics:
            if keyword in (title or ""):
                pks = [pk for pk in (self.name(n) for n in names) if pk]
                if pks:
                    return list(dict.fromkeys(pks))
        return []


def document_year(data: dict) -> int:
    meta = data.get("meta") or {}
    titled = re.search(r"(20\d{2})\s*年", meta.get("title") or "")
    year = int(meta["speech_date"][:4]) if meta.get("speech_date") else (
        int(titled.group(1)) if titled else timezone.localdate().year)
    return year + int(data.get("rebase_years") or 0)


def _shift(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def fill_defaults(data: dict, actor) -> None:
    """Lead units and due dates where the text gives none (see the module's doc). Only fills
    what is empty or was itself a default; a unit or date someone set is never touched."""
    resolver = _Resolver(actor)
    today = timezone.localdate()
    default_due = date(document_year(data), 12, 31)
    default_iso = default_due.isoformat() if default_due >= today else None

    def visit(nodes, ancestors):
        for node in nodes:
            visit(node.get("children", []), ancestors + [node])
            if node.get("role") == "context":
                continue
            if node.get("lead_default"):
                node["lead_unit"], node["co_units"], node["lead_default"] = None, [], ""
            if node.get("lead_unit") is None:
                _lead(node, ancestors, resolver)
            if node.get("due_default") or node.get("due_date") is None:
                node["due_date"], node["due_default"] = None, False
                if node.get("role") in ("task", "subtask") and default_iso:
                    node["due_date"], node["due_default"] = default_iso, True
            _parent_due(node, today)

    visit(data["outline"], [])


def _lead(node: dict, ancestors: list[dict], resolver: _Resolver) -> None:
    named = [pk for pk in (resolver.name(u.get("name") or "") for u in node.get("units", [])) if pk]
    named = list(dict.fromkeys(named))
    if named:
        node["lead_unit"], node["co_units"] = named[0], named[1:]
        return
    children = [c for c in node.get("children", []) if creates_task(c) and c.get("lead_unit")]
    if node.get("role") == "structure" or (not node.get("units") and children):
        pks = resolver.topic(node.get("title", ""))
        if pks:
            node["lead_unit"], node["co_units"], node["lead_default"] = pks[0], pks[1:], "topic"
            return
        if children:
            common = Counter(c["lead_unit"] for c in children).most_common(1)[0][0]
            node["lead_unit"], node["co_units"], node["lead_default"] = common, [], "children"
        return
    for title in [node.get("title", "")] + [a.get("title", "") for a in reversed(ancestors)]:
        pks = resolver.topic(title)
        if pks:
            node["lead_unit"], node["co_units"], node["lead_default"] = pks[0], pks[1:], "topic"
            return


def _parent_due(node: dict, today: date) -> None:
    """A parent without a date of its own from the text is due with its latest item."""
    if node.get("due_date") and not node.get("due_default"):
        return
    dues = [c["due_date"] for c in node.get("children", []) if creates_task(c) and c.get("due_date")
            and c["due_date"] >= today.isoformat()]
    latest = max(dues, default=None)
    if latest and (node.get("due_date") is None or latest > node["due_date"]):
        node["due_date"], node["due_default"] = latest, True


# --- re-base ---------------------------------------------------------------------------------
def rebase_offer(data: dict, today: date | None = None) -> int | None:
    """The number of years that moves an old document's dates after today, when every date read
    from its text (and its own year) is past; None when there is nothing to re-base."""
    today = today or timezone.localdate()
    if data.get("rebase_years"):
        return None
    year = document_year(data)
    dated = [date.fromisoformat(n["due_date"]) for n in walk(data["outline"])
             if n.get("due_date") and not n.get("due_default") and n.get("role") != "context"]
    if year >= today.year or any(d >= today for d in dated):
        return None
    years = today.year - year
    while years < REBASE_MAX and any(_shift(d, years) < today for d in dated):
        years += 1
    return years


@transaction.atomic
def draft_rebase_years(*, actor, draft: IntakeDraft, expected_version: int | None, years: int) -> IntakeDraft:
    """Move every date the text gave by ``years`` (an old speech imported today) and fill the
    policy defaults again in the moved year. One edit, one ledger entry."""
    _require(actor)
    try:
        years = int(years)
    except (TypeError, ValueError):
        raise ValidationError({"years": _("顺延年数不正确。")}) from None
    if not 1 <= years <= REBASE_MAX:
        raise ValidationError({"years": _("顺延年数应在 1 到 %(n)s 之间。") % {"n": REBASE_MAX}})
    summary = {"op": "rebase_years", "years": years, "count": 0}

    def change(data):
        if data.get("rebase_years"):
            raise ValidationError({"years": _("该草稿的年份已经顺延过。")}, code="already_rebased")
        for node in walk(data["outline"]):
            if node.get("due_date") and not node.get("due_default"):
                node["due_date"] = _shift(date.fromisoformat(node["due_date"]), years).isoformat()
                summary["count"] += 1
        data["rebase_years"] = years
        fill_defaults(data, actor)

    return _edit(actor=actor, draft=draft, expected_version=expected_version, event="intake_draft_edit",
                 change=change, ledger_data=summary)

"""Intake reads: drafts, the directory and topic map handed to the engine, re-import matches.

Drafts are visible to everyone who may use intake (the 督查室 works on them together: global
scope; a role with a unit's scope would see the drafts uploaded inside its subtree); everyone else
gets nothing. Every id a request names is resolved here, inside the user's scope: a draft or a
unit outside it is the same 404 (or the same form error) as an id that does not exist, and asking
for an existing one outside it is recorded as ``authz_denied`` (permissions.resolve_scoped).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from duban.core import permissions
from duban.intake.draft import cleaned_text, creates_task, norm_title, plan, walk
from duban.intake.models import DraftStatus, IntakeDraft, TopicMapping
from duban.orgs.models import Unit, UnitAlias
from duban.tasks import selectors as task_selectors
from duban.tasks.models import Source, Task, TaskStatus

# --- drafts -----------------------------------------------------------------------------------
DRAFT_UNIT = "created_by__unit"  # a draft is inside the subtree of the unit of whoever uploaded it


def _drafts(user, queryset: QuerySet[IntakeDraft]) -> QuerySet[IntakeDraft]:
    if not permissions.can(user, permissions.INTAKE_USE):
        return queryset.none()
    return permissions.scope(user, queryset, DRAFT_UNIT)


def drafts_for_user(user) -> QuerySet[IntakeDraft]:
    return _drafts(user, IntakeDraft.objects.select_related("created_by", "source").defer("data"))


def draft_get_for_user(user, pk) -> IntakeDraft:
    """The draft, or 404 when it does not exist or the user may not see it (recorded as
    ``authz_denied`` when it exists). Views check INTAKE_USE first (403); this is the second
    line of defence."""
    queryset = _drafts(user, IntakeDraft.objects.select_related("created_by", "source", "confirmed_by"))
    draft = permissions.resolve_scoped(user, queryset, None, pk)
    if draft is None:  # no id at all
        raise Http404
    return draft


# --- directory for the engine -----------------------------------------------------------------
def active_units() -> QuerySet[Unit]:
    return Unit.objects.filter(is_active=True).order_by("path")


def units_for_user(user) -> QuerySet[Unit]:
    """The active units a user may name in a draft or the topic map: their scope's subtree (the
    whole directory for the 督查室). Forms offer and accept only these."""
    return permissions.scope(user, active_units(), "")


def engine_directory() -> list[dict]:
    """The unit directory as the engine wants it: {key, name, aliases}; the key is the unit's id
    so a matched UnitRef names the row to assign."""
    aliases: dict[int, list[str]] = {}
    for unit_id, name in UnitAlias.objects.filter(unit__is_active=True).values_list("unit_id", "name"):
        aliases.setdefault(unit_id, []).append(name)
    out = []
    for unit in active_units().only("pk", "name", "short_name"):
        names = [unit.short_name] if unit.short_name and unit.short_name != unit.name else []
        names += [a for a in aliases.get(unit.pk, []) if a not in names and a != unit.name]
        out.append({"key": str(unit.pk), "name": unit.name, "aliases": names})
    return out


def unit_name_lookup() -> dict[str, Unit]:
    """Every name a unit goes by (name, short name, alias) → the unit, active units only."""
    lookup: dict[str, Unit] = {}
    units = list(active_units())
    by_pk = {u.pk: u for u in units}
    for alias in UnitAlias.objects.filter(unit__is_active=True).values_list("unit_id", "name"):
        lookup.setdefault(alias[1], by_pk[alias[0]])
    for unit in units:
        if unit.short_name:
            lookup.setdefault(unit.short_name, unit)
    for unit in units:
        lookup[unit.name] = unit  # a full name beats an alias
    return lookup


def topic_mappings() -> QuerySet[TopicMapping]:
    return TopicMapping.objects.prefetch_related("units")


def topic_mapping_get(pk) -> TopicMapping:
    try:
        return TopicMapping.objects.prefetch_related("units").get(pk=int(pk))
    except (TopicMapping.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def engine_topic_map() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for mapping in topic_mappings():
        names = [u.name for u in mapping.units.all() if u.is_active] + list(mapping.unit_names or [])
        if names:
            out[mapping.keyword] = names
    return out


# --- reading a stored draft -------------------------------------------------------------------
KIND_LABELS = {
    "preamble": _("开场白"), "section": _("部分"), "area": _("工作领域"), "group": _("任务组"), "item": _("条目"),
    "directive": _("工作要求"), "area_goal": _("领域目标"), "org_directive": _("单位要求"), "subitem": _("子项"),
    "context": _("背景"), "closing": _("结束语"), "point": _("论述要点"), "member": _("列举项"),
}
CONTEXT_LABELS = {"problem": _("问题"), "past_work": _("已做工作"), "definition": _("释义"),
                  "rationale": _("论述"), "intro": _("引言")}


@dataclass
class ReviewNode:
    node: dict
    depth: int
    parent_id: str | None
    creates_task: bool
    greyed: bool
    lead: Unit | None
    co: list[Unit]
    due: date | None
    due_capped: date | None  # the parent's due date when this one is later (confirm caps it)
    has_next: bool
    has_prev: bool
    excerpt: str = ""

    @property
    def attention(self) -> list[str]:
        """What stops this task from being handed over (交办) as it stands: no lead unit, no due
        date, a due date already past."""
        if not self.creates_task:
            return []
        out = []
        if self.lead is None:
            out.append("no_unit")
        if self.due is None:
            out.append("no_date")
        elif self.due < timezone.localdate():
            out.append("past_date")
        return out

    @property
    def indent(self) -> int:
        return min(self.depth, 6)

    @property
    def marker(self) -> str:
        """The enumerator as written (一, ㈠, 一是, 第一); the engine's internal tags are not shown."""
        marker = self.node.get("marker") or ""
        return "" if marker.isascii() and marker.isalpha() else marker

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.node.get("kind"), self.node.get("kind", "")))

    @property
    def context_label(self) -> str:
        kind = self.node.get("context_kind") or ""
        return str(CONTEXT_LABELS.get(kind, kind))


def review_nodes(draft: IntakeDraft) -> list[ReviewNode]:
    """The outline flattened for display, with units resolved and the confirm plan applied."""
    data = draft.data
    ids = {pk for n in walk(data["outline"]) for pk in [n.get("lead_unit"), *n.get("co_units", [])] if pk}
    units = Unit.objects.in_bulk(ids)
    out: list[ReviewNode] = []

    def visit(nodes, depth, parent, parent_due):
        for i, node in enumerate(nodes):
            due = date.fromisoformat(node["due_date"]) if node.get("due_date") else None
            task = creates_task(node)
            capped = parent_due if (due and parent_due and due > parent_due and task) else None
            text = data["text"][node["start"]:node["end"]].strip()
            out.append(ReviewNode(
                node=node, depth=depth, parent_id=parent["id"] if parent else None, creates_task=task,
                greyed=not task, lead=units.get(node.get("lead_unit")),
                co=[units[pk] for pk in node.get("co_units", []) if pk in units], due=due, due_capped=capped,
                has_next=i + 1 < len(nodes), has_prev=i > 0, excerpt=text[:120]))
            effective = (capped or due) if task else parent_due
            visit(node.get("children", []), depth + 1, node, effective or parent_due)

    visit(data["outline"], 0, None, None)
    return out


def draft_tasks_left(draft: IntakeDraft) -> int:
    """Tasks of a confirmed draft's source still waiting to be handed over (交办)."""
    if draft.status != DraftStatus.CONFIRMED or draft.source_id is None:
        return 0
    return Task.objects.filter(source_id=draft.source_id, status=TaskStatus.DRAFT).count()


def readiness(rows: list[ReviewNode]) -> dict[str, int]:
    """Counts over the tasks the draft will create: ready to hand over, and each problem."""
    tasks = [r for r in rows if r.creates_task]
    out = {"tasks": len(tasks), "ready": sum(1 for r in tasks if not r.attention)}
    for code in ("no_unit", "no_date", "past_date"):
        out[code] = sum(1 for r in tasks if code in r.attention)
    return out


def source_segments(draft: IntakeDraft) -> list[dict]:
    """The text from the first kept line to the end of the body, cut into kept and removed runs
    (offsets are the draft's own, so the page can highlight any node's span)."""
    data = draft.data
    # The HTML parser turns CR and CRLF into LF, which would shift every offset after them:
    # a CR shown as a space keeps the page's text the same length as the draft's.
    text = data["text"].replace("\r", " ")
    start, end = data.get("body_start", 0), data.get("body_end", 0) or len(text)
    removed = sorted((r for r in data.get("removed", []) if r["end"] > start and r["start"] < end),
                     key=lambda r: r["start"])
    segments, pos = [], start
    for r in removed:
        s, e = max(r["start"], start), min(r["end"], end)
        if s > pos:
            segments.append({"text": text[pos:s], "removed": False, "start": pos})
        if e > max(s, pos):
            segments.append({"text": text[max(s, pos):e], "removed": True, "reason": r.get("reason", ""),
                             "start": max(s, pos)})
        pos = max(pos, e)
    if end > pos:
        segments.append({"text": text[pos:end], "removed": False, "start": pos})
    return segments


# --- re-import --------------------------------------------------------------------------------
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{14,}")
SAME_TEXT_SHARE = 0.9


def _shingles(text: str, k: int = 6) -> set[str]:
    from duban.intake.engine.load import normalise

    flat = re.sub(r"[\s\W_]+", "", normalise(text))
    return {flat[i:i + k] for i in range(max(1, len(flat) - k + 1))}


def same_text_source(sources: QuerySet[Source], body: str) -> Source | None:
    """A source holding the same text as ``body`` although not the same bytes: another copy of the
    speech (the demo's, one with its page header, half-width punctuation or traditional
    characters). Candidates are the sources containing runs of Chinese text from the body's
    longest lines (the database searches); one whose text covers ≥ 90 % of the body's 6-character
    shingles is the same document."""
    runs = sorted({m.group(0) for m in _CJK_RUN.finditer(body or "")}, key=len, reverse=True)[:3]
    if not runs:
        return None
    probe = Q()
    for run in runs:
        mid = len(run) // 2
        probe |= Q(text__contains=run[max(0, mid - 7):mid + 7])
    mine = _shingles(body)
    for source in sources.filter(probe).exclude(text="").order_by("-id")[:5]:
        if len(mine & _shingles(source.text)) >= SAME_TEXT_SHARE * len(mine):
            return source
    return None


@dataclass
class SourceMatch:
    source: Source
    same_text: bool  # the same content hash: only an update is possible
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    task_count: int = 0


def source_match(draft: IntakeDraft, user) -> SourceMatch | None:
    """An existing source this draft re-imports, among the sources the user may see: the same
    text (content hash), or the same title and date (a revised version). With what confirming as
    an update would change. The only source a confirm may update is this one."""
    sources = task_selectors.sources_for_user(user)
    source = None
    same_text = False
    if draft.text_hash:
        source = sources.filter(content_hash=draft.text_hash).first()
        same_text = source is not None
    if source is None:
        source = same_text_source(sources, cleaned_text(draft.data))
        same_text = source is not None
    meta = draft.data.get("meta", {})
    if source is None and meta.get("title"):
        qs = sources.filter(title=meta["title"].strip())
        if meta.get("speech_date"):
            qs = qs.filter(date=meta["speech_date"])
        source = qs.order_by("-id").first()
    if source is None or (draft.source_id == source.pk and draft.status == DraftStatus.CONFIRMED):
        return None
    existing = list(Task.objects.filter(source=source).order_by("path").values_list("title", flat=True))
    existing_norm = {norm_title(t) for t in existing}
    planned = [node["title"] for node, _depth in plan(draft.data)]
    planned_norm = {norm_title(t) for t in planned}
    return SourceMatch(source=source, same_text=same_text,
                       added=[t for t in planned if norm_title(t) not in existing_norm],
                       removed=[t for t in existing if norm_title(t) not in planned_norm],
                       task_count=len(existing))

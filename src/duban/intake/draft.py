"""Pure helpers on a stored draft's JSON: no database, no Django models.

Both the selectors (what the review page shows) and the services (what confirming creates)
read the outline the same way, so they share these functions instead of importing each other.
The JSON is the engine's Draft (duban.intake.engine.model) with the 督查室's keys added to every
node (``id``, ``include``, ``lead_unit``, ``co_units``, ``due_date``, ...; see
duban.intake.services).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_NOT_WORD = re.compile(r"[\s\W_]+")
_LEADING = re.compile(r"^[\s,，。;；:：、.．)）]*(?:[一二三四五六七八九十]+是|第[一二三四五六七八九十]+|[(（][一二三四五六七八九十\d]+[)）])?[\s,，、:：]*")
_CLAUSE_END = re.compile(r"[,，。;；:：!！?？\n]")


def walk(nodes: list[dict]) -> Iterator[dict]:
    """Every node of an outline (or of a list of subtrees), parents before their children."""
    for node in nodes:
        yield node
        yield from walk(node.get("children", []))


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


def norm_title(title: str) -> str:
    """A title without spaces and punctuation: how a re-import recognises an existing task."""
    return _NOT_WORD.sub("", title or "")


def title_from_text(text: str) -> str:
    """A title for text cut from a span: its first clause, without a leading 一是/（一）."""
    text = _LEADING.sub("", text, count=1)
    match = _CLAUSE_END.search(text)
    title = (text[:match.start()] if match else text).strip()
    return title[:60] or text.strip()[:60]


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

"""Compute a score sheet: measure every item for every unit, rank, grade, serialise canonically.

The sheet is JSON with sorted keys, no whitespace, decimals as fixed two-place strings and units
in path order; it contains nothing that depends on when it was computed (the cut-off day
``as_of`` is part of the evaluation), so the same data and scheme version give the same bytes
and the same SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from duban.evaluation.models import (
    CATEGORY_KINDS,
    EvalStatus,
    Evaluation,
    Grade,
    GradeMethod,
    Objection,
    ObjectionStatus,
    UnitScore,
)
from duban.evaluation.sources import PER_ITEM, SOURCES, ZERO, Context, q2
from duban.orgs.models import Unit


def evaluated_units(category: str):
    """The active units of a category (the root, the city itself, is never evaluated)."""
    return Unit.objects.filter(kind__in=CATEGORY_KINDS[category], is_active=True, depth__gt=1).order_by("path")


@dataclass
class Line:
    unit_id: int
    name: str
    path: str
    total: Decimal
    items: dict
    rank: int = 0
    tied: bool = False
    grade: str = ""
    previous_rank: int | None = None


def context_for(evaluation: Evaluation) -> Context:
    units = list(evaluated_units(evaluation.category).values_list("pk", "path"))
    adjustments: dict = {}
    for row in Objection.objects.filter(evaluation=evaluation, status=ObjectionStatus.ACCEPTED).values(
            "unit_id", "item_id", "adjustment", "pk").order_by("pk"):
        key = (row["unit_id"], row["item_id"])
        entry = adjustments.setdefault(key, {"points": ZERO, "objections": []})
        entry["points"] += row["adjustment"]
        entry["objections"].append(row["pk"])
    return Context(year=evaluation.year, as_of=evaluation.as_of, units=units, evaluation_id=evaluation.pk,
                   adjustments=adjustments)


def measure_all(evaluation: Evaluation, ctx: Context) -> list[Line]:
    items = list(evaluation.scheme.items.order_by("position"))
    measured = {}
    for source_key in {item.source for item in items}:
        measured[source_key] = SOURCES[source_key].measure(ctx)
    names = dict(Unit.objects.filter(pk__in=[pk for pk, _ in ctx.units]).values_list("pk", "name"))
    lines = []
    for pk, path in ctx.units:
        total = ZERO
        cells = {}
        for item in items:
            source = SOURCES[item.source]
            key = (pk, item.pk) if item.source in PER_ITEM else pk
            raw = measured[item.source].get(key, {})
            score, note = source.score(item, raw)
            adjust = ctx.adjustments.get((pk, item.pk))
            cell = {"score": score, "note": note,
                    "raw": {k: _plain(v) for k, v in sorted(raw.items()) if k not in ("unit_id", "item_id")}}
            if adjust:
                low, high = (-item.weight, ZERO) if item.source == "accountability" else (ZERO, item.weight)
                score = q2(min(max(score + adjust["points"], low), high))
                cell.update(score=score, adjusted_by=adjust["objections"])
            cell["score"] = f"{score:.2f}"
            cells[str(item.pk)] = cell
            total += score
        lines.append(Line(unit_id=pk, name=names.get(pk, ""), path=path, total=q2(total), items=cells))
    return lines


def _plain(value):
    if isinstance(value, Decimal):
        return f"{q2(value):.2f}"
    if hasattr(value, "days"):
        return value.days
    return value


def rank_lines(lines: list[Line], evaluation: Evaluation) -> list[Line]:
    """Competition ranking (1, 1, 3): equal totals share a rank and are marked tied."""
    lines.sort(key=lambda line: (-line.total, line.path))
    counts: dict[Decimal, int] = {}
    for line in lines:
        counts[line.total] = counts.get(line.total, 0) + 1
    rank = 0
    previous_total = None
    for index, line in enumerate(lines, start=1):
        if line.total != previous_total:
            rank = index
            previous_total = line.total
        line.rank = rank
        line.tied = counts[line.total] > 1
    scheme = evaluation.scheme
    n = len(lines)
    for line in lines:
        line.grade = grade_for(line, n, scheme)
    previous = _previous_ranks(evaluation) if getattr(evaluation, "pk", None) else {}
    for line in lines:
        line.previous_rank = previous.get(line.unit_id)
    return lines


def grade_for(line: Line, n: int, scheme) -> str:
    if scheme.grade_method == GradeMethod.THRESHOLDS:
        if line.total >= scheme.excellent:
            return Grade.EXCELLENT
        if line.total >= scheme.good:
            return Grade.GOOD
        if line.total >= scheme.fair:
            return Grade.FAIR
        return Grade.POOR
    # Shares: the top ⌊n × share⌋ places; tied units share the better grade (their rank decides).
    cut_excellent = math.floor(n * scheme.excellent / 100)
    cut_good = cut_excellent + math.floor(n * scheme.good / 100)
    cut_fair = cut_good + math.floor(n * scheme.fair / 100)
    if line.rank <= cut_excellent:
        return Grade.EXCELLENT
    if line.rank <= cut_good:
        return Grade.GOOD
    if line.rank <= cut_fair:
        return Grade.FAIR
    return Grade.POOR


def previous_evaluation(evaluation: Evaluation) -> Evaluation | None:
    return (Evaluation.objects.filter(category=evaluation.category, year__lt=evaluation.year, status=EvalStatus.FINAL)
            .order_by("-year", "-scheme__version").first())


def _previous_ranks(evaluation: Evaluation) -> dict[int, int]:
    prev = previous_evaluation(evaluation)
    if prev is None:
        return {}
    return dict(UnitScore.objects.filter(evaluation=prev).values_list("unit_id", "rank"))


def sheet_bytes(evaluation: Evaluation, lines: list[Line]) -> bytes:
    scheme = evaluation.scheme
    document = {
        "evaluation": evaluation.pk,
        "scheme": {"id": scheme.pk, "name": scheme.name, "year": scheme.year, "category": scheme.category,
                   "version": scheme.version, "grade_method": scheme.grade_method,
                   "grades": [f"{scheme.excellent:.2f}", f"{scheme.good:.2f}", f"{scheme.fair:.2f}"],
                   "items": [{"id": i.pk, "position": i.position, "source": i.source, "name": i.name,
                              "weight": f"{i.weight:.2f}", "param": None if i.param is None else f"{i.param:.2f}"}
                             for i in scheme.items.order_by("position")]},
        "as_of": evaluation.as_of.isoformat(),
        "units": [{"unit": line.unit_id, "name": line.name, "total": f"{line.total:.2f}", "rank": line.rank,
                   "tied": line.tied, "grade": str(line.grade), "previous_rank": line.previous_rank,
                   "items": line.items} for line in sorted(lines, key=lambda x: x.path)],
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def compute(evaluation: Evaluation) -> tuple[list[Line], bytes, str]:
    ctx = context_for(evaluation)
    lines = rank_lines(measure_all(evaluation, ctx), evaluation)
    data = sheet_bytes(evaluation, lines)
    return lines, data, hashlib.sha256(data).hexdigest()


def unit_q(unit_field: str, prefix: str) -> Q:
    return Q(**{f"{unit_field}__path__startswith": prefix})

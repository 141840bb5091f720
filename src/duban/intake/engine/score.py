"""Scoring a draft against a labels JSON (the format of tests/data/*.labels.json).

Oracle task items: every object in the labels that has `text`, `char_start`, `char_end` and a
`responsible_units` key (work-area items, area goals, per-organisation directives, directives
embedded in rationale points, the closing's reforms and directives). Enumeration members
(`members`) have no `responsible_units` and are not items.

Matching: a draft task and an oracle item match when their spans' intersection-over-union is at
least 0.5; pairs are taken greedily from the highest IoU, each item at most once. Precision =
matched / draft tasks, recall = matched / oracle items.

Deadlines (over matched pairs): correct when both have none; when the oracle gives a date, the
draft's date equals `resolved`, `alt_resolved` or `approx_resolved`; when the oracle's deadline has
no date (分年度, 分届次), the draft has a deadline without a date (periodic).

Units (over matched pairs): both sides are normalised (directory aliases → names, punctuation
unified); `unit_accuracy` counts exact set equality, `unit_jaccard` is the mean Jaccard index
(two empty sets count 1).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from .load import normalise
from .model import Draft
from .units import UnitMatcher

IOU_MIN = 0.5


_TASK_KINDS = ("task", "area_goal", "org_directive", "directive")


def _is_item(o: dict) -> bool:
    return {"text", "char_start", "char_end"} <= o.keys() and "responsible_units" in o


def _is_item_loose(o: dict) -> bool:
    """For labels without unit fields: objects that carry a task kind or a deadline."""
    return {"text", "char_start", "char_end"} <= o.keys() and ("deadline" in o or o.get("kind") in _TASK_KINDS)


def oracle_items(labels: dict) -> list[dict]:
    root = labels.get("sections", labels)
    for test in (_is_item, _is_item_loose):
        out: list[dict] = []
        seen: set[tuple[int, int]] = set()

        def walk(o: Any, path: str, test=test, out=out, seen=seen):
            if isinstance(o, dict):
                key = (o.get("char_start"), o.get("char_end"))
                if test(o) and key not in seen:
                    seen.add(key)
                    out.append({**o, "_path": path})
                for k, v in o.items():
                    walk(v, f"{path}/{o.get('id', k)}" if isinstance(v, (dict, list)) else path)
            elif isinstance(o, list):
                for v in o:
                    walk(v, path)

        walk(root, "")
        if out:
            return sorted(out, key=lambda o: o["char_start"])
    return []


def iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union else 0.0


def match(draft_spans: list[tuple[int, int]], gold_spans: list[tuple[int, int]]) -> list[tuple[int, int, float]]:
    pairs = []
    for i, d in enumerate(draft_spans):
        for j, g in enumerate(gold_spans):
            v = iou(d, g)
            if v >= IOU_MIN:
                pairs.append((v, i, j))
    pairs.sort(reverse=True)
    used_d, used_g, out = set(), set(), []
    for v, i, j in pairs:
        if i in used_d or j in used_g:
            continue
        used_d.add(i)
        used_g.add(j)
        out.append((i, j, v))
    return out


def _deadline_ok(gold: dict | None, node) -> bool:
    dl = node.deadline
    if not gold:
        return dl is None
    accepted = {gold.get(k) for k in ("resolved", "alt_resolved", "approx_resolved")} - {None}
    if not accepted:
        return dl is not None and dl.date is None
    return dl is not None and dl.date is not None and dl.date.isoformat() in accepted


def _gold_when(gold: dict | None) -> str | None:
    if not gold:
        return None
    return gold.get("resolved") or gold.get("kind") or "dated"


def score(draft: Draft, labels: dict, matcher: UnitMatcher | None = None) -> dict[str, Any]:
    matcher = matcher or UnitMatcher(None, None)
    gold = oracle_items(labels)
    tasks = draft.tasks()
    pairs = match([(t.start, t.end) for t in tasks], [(g["char_start"], g["char_end"]) for g in gold])
    n_match = len(pairs)
    precision = n_match / len(tasks) if tasks else 0.0
    recall = n_match / len(gold) if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    def norm_units(names) -> set[str]:
        out = set()
        for n in names:
            n = normalise(n)
            out.add(matcher.canonical(n) if n in matcher.alias_map else n)
        return out

    dl_ok = dl_with = dl_with_ok = 0
    unit_exact = 0
    jac = 0.0
    details = []
    for i, j, v in pairs:
        t, g = tasks[i], gold[j]
        ok = _deadline_ok(g.get("deadline"), t)
        dl_ok += ok
        if g.get("deadline"):
            dl_with += 1
            dl_with_ok += ok
        gs = norm_units(g.get("responsible_units") or [])
        ds = norm_units(u.name for u in t.units)
        exact = gs == ds
        unit_exact += exact
        j_val = 1.0 if not gs and not ds else len(gs & ds) / len(gs | ds)
        jac += j_val
        details.append({"gold": g["_path"] + "/" + str(g.get("id", "")), "draft": t.id, "iou": round(v, 3),
                        "deadline_ok": ok, "gold_has_deadline": bool(g.get("deadline")),
                        "gold_deadline": _gold_when(g.get("deadline")),
                        "draft_deadline": t.deadline.date.isoformat() if t.deadline and t.deadline.date else
                        (t.deadline.kind if t.deadline else None),
                        "units_ok": exact, "gold_units": sorted(gs), "draft_units": sorted(ds)})
    matched_d = {i for i, _, _ in pairs}
    matched_g = {j for _, j, _ in pairs}
    result: dict[str, Any] = {
        "oracle_items": len(gold), "draft_tasks": len(tasks), "matched": n_match,
        "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
        "deadline_accuracy": round(dl_ok / n_match, 4) if n_match else 0.0,
        "deadline_recall": round(dl_with_ok / dl_with, 4) if dl_with else None,
        "unit_accuracy": round(unit_exact / n_match, 4) if n_match else 0.0,
        "unit_jaccard": round(jac / n_match, 4) if n_match else 0.0,
        "false_positives": [{"id": tasks[i].id, "start": tasks[i].start, "end": tasks[i].end,
                             "text": draft.text[tasks[i].start:tasks[i].end][:60]}
                            for i in range(len(tasks)) if i not in matched_d],
        "missed": [{"path": g["_path"] + "/" + str(g.get("id", "")), "start": g["char_start"], "end": g["char_end"],
                    "text": g["text"][:60]} for j, g in enumerate(gold) if j not in matched_g],
        "pairs": details,
    }
    # cleaning
    bp = set(labels.get("boilerplate_line_numbers") or [])
    if bp:
        removed = {r.line for r in draft.removed if r.kind == "boilerplate"}
        result["boilerplate_precision"] = round(len(removed & bp) / len(removed), 4) if removed else 0.0
        result["boilerplate_recall"] = round(len(removed & bp) / len(bp), 4)
    dup = (labels.get("duplicate_block") or {}).get("second_copy_lines")
    if dup:
        lines = set(range(dup[0], dup[1] + 1))
        text_lines = draft.text.split("\n")
        content = {n for n in lines if n - 1 < len(text_lines) and text_lines[n - 1].strip()}
        removed = {r.line for r in draft.removed if r.kind == "duplicate"}
        result["duplicate_removed"] = round(len(content & removed) / len(content), 4) if content else 1.0
    if labels.get("date"):
        sd = draft.meta.speech_date
        result["speech_date_ok"] = bool(sd and sd == date.fromisoformat(labels["date"]))
    return result


def load_labels(path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def summarise(results: list[dict]) -> dict[str, Any]:
    """A set of documents' figures: mean and lowest F1; deadlines right over every labelled dated
    item of a matched pair (pooled); units right over every matched item whose label names units."""
    f1s = [r["f1"] for r in results]
    dl_n = dl_ok = u_n = u_ok = 0
    for r in results:
        for p in r["pairs"]:
            if p["gold_has_deadline"]:
                dl_n += 1
                dl_ok += p["deadline_ok"]
            if p["gold_units"]:
                u_n += 1
                u_ok += p["units_ok"]
    return {"documents": len(results), "f1_mean": round(sum(f1s) / len(f1s), 4) if f1s else 0.0,
            "f1_min": min(f1s) if f1s else 0.0, "deadlines_labelled": dl_n, "deadlines_ok": dl_ok,
            "deadline_recall": round(dl_ok / dl_n, 4) if dl_n else 1.0, "units_labelled": u_n, "units_ok": u_ok,
            "unit_accuracy": round(u_ok / u_n, 4) if u_n else 1.0}

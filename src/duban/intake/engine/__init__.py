"""duban's intake engine: a Chinese speech or government document → a draft task decomposition.

Pure Python, no Django. Entry point: `analyse(...) -> Draft`. See docs/intake.md.
"""

from __future__ import annotations

from datetime import date

from . import deadlines as _dl
from . import genre
from .clean import clean
from .extract import Extractor
from .load import IntakeError, load
from .model import Deadline, Draft, Meta, Node, Removed, Target, UnitRef
from .outline import build
from .tables import find_tables
from .units import UnitMatcher, default_directory, default_topic_map, speaker_org

__all__ = [
    "Deadline",
    "Draft",
    "IntakeError",
    "Meta",
    "Node",
    "Removed",
    "Target",
    "UnitRef",
    "analyse",
    "default_directory",
    "default_topic_map",
]


def analyse(raw_bytes_or_text: bytes | str, filename: str | None = None, speech_date: date | None = None,
            directory: list[dict] | None = None, topic_map: dict[str, list[str]] | None = None,
            term_end: date | None = None) -> Draft:
    """Load, clean, outline and extract. Raises IntakeError for unreadable input."""
    loaded = load(raw_bytes_or_text, filename)
    cleaned = clean(loaded.text, loaded.norm, speech_date)
    if not cleaned.lines:
        raise IntakeError("去除网页杂项和重复内容后没有正文，无法分析。")
    meta = cleaned.meta
    warnings: list[str] = []
    sd = meta.speech_date
    if sd is None and meta.posted_at:
        sd = _posted_date(meta.posted_at)
        if sd:
            warnings.append(f"未识别到讲话日期，相对期限按网页发布日期 {sd.isoformat()} 推算，请核对。")
    if sd is None:
        sd, how = genre.document_date(loaded.norm, meta.title)
        if sd is not None:
            year = sd.year if how != "成文日期" else None
            warnings.append(f"未识别到讲话日期，按文件的{how}（{year or sd.isoformat()}{'年' if year else ''}）推算期限，请核对。")
            if how == "成文日期" and meta.speech_date is None:
                meta.speech_date = sd
    if sd is None:
        warnings.append("未识别到讲话日期：相对期限（如“三年内”）无法推算，请在导入时指定日期。")
    term = term_end or _dl.default_term_end(sd)
    draft = Draft(source_name=filename or "", encoding=loaded.encoding, text=loaded.text, meta=meta,
                  removed=cleaned.removed, body_start=cleaned.body_start, body_end=cleaned.body_end,
                  header_start=cleaned.header_start,
                  term_end=term, warnings=warnings)
    found_tables = find_tables(loaded.norm, cleaned.lines)
    table_lines = {no for t in found_tables for no in t.line_nos}
    roots, opens = build(loaded.norm, [ln for ln in cleaned.lines if ln.no not in table_lines])
    matcher = UnitMatcher(directory, topic_map, speaker_org(meta.post))
    ex = Extractor(loaded.text, loaded.norm, sd, term, matcher)
    ex.annual = genre.annual_year(loaded.norm, meta.title, 0, cleaned.body_start or len(loaded.norm))
    ex.decompose(roots, opens)
    tables = [genre.table_nodes(t, ex) for t in found_tables]
    if not any(n.role == "task" for r in roots for n in r.walk()) and not tables:
        # no enumeration found: the whole body is one item
        body = Node(kind="item", role="task", start=cleaned.body_start, end=cleaned.body_end,
                    title=(meta.title or ex._title(cleaned.body_start, cleaned.body_end)))
        roots = [r for r in roots if r.kind != "preamble"] + [body]
        warnings.append("未识别到任务层次（没有“一是”“（一）”等编号），全文作为一项任务，请人工拆分。")
    ex.attributes(roots)
    genre.apply_parens([n for r in roots for n in r.walk() if n.role == "task"], loaded.text, loaded.norm, sd,
                       term, matcher)
    if tables:
        roots = [r for r in roots if r.kind != "preamble" or r.end > r.start]
        genre.insert_tables(roots, tables, loaded.norm)
    warnings.extend(ex.warnings)
    ex.refine(roots)
    _assign_ids(roots)
    draft.outline = roots
    for n in draft.nodes():
        n.title = n.title or loaded.text[n.start:n.end][:30]
    return draft


def _posted_date(text: str) -> date | None:
    import re

    m = re.search(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})", text)
    try:
        return date(int(m[1]), int(m[2]), int(m[3])) if m else None
    except ValueError:
        return None


def _assign_ids(nodes: list[Node], prefix: str = "") -> None:
    counts: dict[str, int] = {}
    for n in nodes:
        base = n.marker or n.title[:8] or n.kind
        base = base.strip()
        counts[base] = counts.get(base, 0) + 1
        label = base if counts[base] == 1 else f"{base}#{counts[base]}"
        if n.kind == "group":
            label = n.title[:12] or label
        n.id = f"{prefix}/{label}" if prefix else label
        _assign_ids(n.children, n.id)

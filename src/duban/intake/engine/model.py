"""The draft decomposition: plain dataclasses that serialise to and from JSON.

Every span (`start`, `end`) is a Python code-point offset into `Draft.text`, which is the decoded
source exactly as loaded (for .txt the file's text; for .docx/.html the extracted text). Nothing in
this module imports Django: the UI turns a `Draft` into sources and tasks later.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from typing import Any


@dataclass
class Deadline:
    text: str  # the expression as written ("三年内", "2017年"; for inherited ones the intro's)
    kind: str  # absolute | year | month | day | relative | open_ended | term | periodic
    date: date | None  # resolved due date; None for periodic schedules
    start: int
    end: int
    inherited: bool = False  # taken from a group intro / heading above the item
    note: str = ""


@dataclass
class Target:
    text: str
    kind: str  # numeric | coverage | zero_incident | qualitative | deliverable
    quantity: float | None
    measure: str | None  # 个, 家, %, 起 ...
    object: str
    start: int
    end: int


@dataclass
class UnitRef:
    name: str  # canonical name (directory name when matched) or the phrase as written
    basis: str  # named | implied
    key: str | None = None  # directory key when the unit is in the directory
    as_written: str | None = None
    start: int | None = None
    end: int | None = None


@dataclass
class Node:
    kind: str  # preamble | section | area | group | item | directive | area_goal | org_directive | subitem | context | closing
    role: str  # structure | task | subtask | context
    start: int
    end: int
    marker: str = ""
    title: str = ""
    context_kind: str = ""  # for context nodes: problem | past_work | definition | rationale | intro
    deadline: Deadline | None = None
    targets: list[Target] = field(default_factory=list)
    units: list[UnitRef] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    id: str = ""

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Removed:
    line: int  # 1-based line number in Draft.text
    start: int
    end: int
    text: str
    reason: str  # Chinese, shown in the UI
    kind: str  # boilerplate | duplicate | metadata


@dataclass
class Meta:
    title: str = ""
    subtitle: str = ""
    speaker: str = ""
    post: str = ""
    meeting: str = ""
    speech_date: date | None = None
    date_text: str = ""  # where speech_date came from
    posted_at: str = ""  # web page posting time, as written


@dataclass
class Draft:
    source_name: str
    encoding: str
    text: str
    meta: Meta
    removed: list[Removed] = field(default_factory=list)
    outline: list[Node] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    body_start: int = 0  # the speech itself, after the document's header
    body_end: int = 0
    header_start: int = 0  # the document's own header (title, speaker, date) starts here
    term_end: date | None = None

    def nodes(self) -> Iterator[Node]:
        for node in self.outline:
            yield from node.walk()

    def tasks(self) -> list[Node]:
        return [n for n in self.nodes() if n.role == "task"]

    def span_text(self, node: Node) -> str:
        return self.text[node.start:node.end]

    # --- JSON -------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        # the dataclasses' fields by hand: asdict deep-copies every value, which for a 2 MB
        # document's ≈ 14 000 items costs seconds
        return _encode(self)

    def to_json(self, **kw) -> str:
        kw.setdefault("ensure_ascii", False)
        return json.dumps(self.to_dict(), **kw)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Draft:
        return Draft(
            source_name=data["source_name"], encoding=data["encoding"], text=data["text"],
            meta=_build(Meta, data["meta"]),
            removed=[_build(Removed, r) for r in data.get("removed", [])],
            outline=[_node(n) for n in data.get("outline", [])],
            warnings=list(data.get("warnings", [])),
            body_start=data.get("body_start", 0), body_end=data.get("body_end", 0),
            header_start=data.get("header_start", 0),
            term_end=_date(data.get("term_end")),
        )

    @classmethod
    def from_json(cls, text: str) -> Draft:
        return cls.from_dict(json.loads(text))


def _encode(value):
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _date(value):
    return date.fromisoformat(value) if value else None


def _build(cls, data):
    names = {f.name: f for f in fields(cls)}
    kwargs = {}
    for key, value in data.items():
        if key not in names:
            continue
        if key in ("date", "speech_date"):
            value = _date(value)
        kwargs[key] = value
    return cls(**kwargs)


def _node(data: dict) -> Node:
    data = dict(data)
    deadline = data.pop("deadline", None)
    targets = data.pop("targets", [])
    units = data.pop("units", [])
    children = data.pop("children", [])
    node = _build(Node, data)
    node.deadline = _build(Deadline, deadline) if deadline else None
    node.targets = [_build(Target, t) for t in targets]
    node.units = [_build(UnitRef, u) for u in units]
    node.children = [_node(c) for c in children]
    return node

"""Plain-text rendering of a draft (used by `duban import`)."""

from __future__ import annotations

from .model import Draft, Node

_ROLE = {"task": "任务", "structure": "结构", "context": "背景", "subtask": "子项"}


def render_tree(draft: Draft) -> str:
    m = draft.meta
    out = ["== 元数据 =="]
    for label, value in (("标题", m.title), ("副标题", m.subtitle), ("讲话人", m.speaker), ("职务", m.post),
                         ("会议", m.meeting), ("讲话日期", m.speech_date.isoformat() if m.speech_date else ""),
                         ("日期来源", m.date_text), ("发布时间", m.posted_at),
                         ("任期届满", draft.term_end.isoformat() if draft.term_end else ""),
                         ("编码", draft.encoding)):
        if value:
            out.append(f"{label}：{value}")
    out.append(f"== 删除的行（{len(draft.removed)}） ==")
    dups = [r for r in draft.removed if r.kind == "duplicate"]
    for r in draft.removed:
        if r.kind != "duplicate":
            out.append(f"第{r.line}行 [{r.reason}] {r.text.strip()[:50]}")
    if dups:
        out.append(f"第{dups[0].line}–{dups[-1].line}行 [{dups[0].reason}] 共{len(dups)}行：{dups[0].text.strip()[:20]} …")
    if draft.warnings:
        out.append("== 提示 ==")
        out.extend(draft.warnings)
    tasks = draft.tasks()
    out.append(f"== 大纲（{len(tasks)} 项任务） ==")
    for node in draft.outline:
        _node(draft, node, 0, out)
    return "\n".join(out) + "\n"


def _node(draft: Draft, n: Node, depth: int, out: list[str]) -> None:
    pad = "  " * depth
    head = f"{pad}{n.marker + ' ' if n.marker and n.kind not in ('group', 'context') else ''}{n.title}"
    role = _ROLE.get(n.role, n.role)
    tag = f"[{role}{'·' + n.context_kind if n.context_kind else ''}] {n.start}-{n.end}"
    out.append(f"{head}  {tag}")
    if n.role == "task":
        if n.deadline:
            d = n.deadline
            when = d.date.isoformat() if d.date else "无固定日期"
            out.append(f"{pad}    期限：{when}（{d.text}，{d.kind}{'，继承' if d.inherited else ''}）")
        if n.units:
            out.append(f"{pad}    责任单位：" + "、".join(
                u.name + ("" if u.basis == "named" else "（推定）") for u in n.units))
        for t in n.targets:
            q = "" if t.quantity is None else f"{t.quantity:g}{t.measure or ''} "
            out.append(f"{pad}    目标：{q}{t.object}（{t.kind}）")
    for c in n.children:
        _node(draft, c, depth + 1, out)

"""The shapes of work plans and notices that a 督查室 receives besides speeches:

- the document's year, for month- and season-only deadlines ('6月底前', '三季度', '年底前'): the
  issue date (a date line of its own near the top or under the signature), else the title's
  year, else the first year of the plan's period ('（2025—2027年）');
- a deadline-and-unit parenthesis at the end of an item: '（6月底前完成，牵头单位：市审批服务局）',
  '（省发展改革委、省经济和信息化厅等按职责分工负责）', '（市大数据中心牵头，市公安局配合）';
  it applies to the whole item, however many paragraphs the item has; '持续推进', '长期坚持',
  '按进度推进' mean no fixed date unless the item's own text carries one;
- task tables (tables.py) turned into items: one per row, the 牵头单位 leading, 配合单位 after.
"""

from __future__ import annotations

import re
from datetime import date

from . import deadlines as dl
from .model import Deadline, Node, UnitRef
from .outline import ORG_SUFFIX, heading_end
from .tables import Table, split_units

NO_FIXED_DATE = re.compile(r"(持续推进|长期坚持|长期推进|按进度推进|常态化推进|持续开展|长期|持续|常态化)(实施|落实)?$")
_DATE_LINE = re.compile(r"^[（(]?(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日[）)]?$")
_PERIOD = re.compile(r"[（(](?P<y>20\d{2})\s*[—–\-－~～至到]+\s*(?:20)?\d{2,4}年?[）)]")
_TITLE_YEAR = re.compile(r"(?P<y>20\d{2})年")


def document_date(norm: str, title: str) -> tuple[date | None, str]:
    """(anchor date, how it was found) for a document without a speech date."""
    lines = [ln.strip() for ln in norm.split("\n") if ln.strip()]
    for ln in lines[:40] + lines[-6:]:
        m = _DATE_LINE.match(ln)
        if m:
            try:
                return date(int(m["y"]), int(m["m"]), int(m["d"])), "成文日期"
            except ValueError:
                continue
    head = [title] + lines[:6]
    for t in head:
        m = _PERIOD.search(t or "")
        if m:
            return date(int(m["y"]), 1, 1), "规划期起始年份"
    for t in head:
        m = _TITLE_YEAR.search(t or "")
        if m and not re.search(r"〔\d{4}〕", t[max(0, m.start() - 1):m.end() + 1]):
            return date(int(m["y"]), 1, 1), "标题年份"
    return None, ""


_ANNUAL = re.compile(r"(?P<y>20\d{2})年(?:度)?[\u4e00-\u9fff（）()]{0,24}?(工作要点|工作计划|工作安排|重点工作安排|重点工作任务|"
                     r"工作任务清单|重点任务清单)$")


def annual_year(norm: str, title: str, start: int, end: int) -> tuple[int, int, int] | None:
    """(start, end, year) of the year in the title of an annual work list ('某某区2026年城市管理工作要点',
    '2024年度全市重点工作安排'), looked up in norm[start:end]; a plan over several years is not one."""
    t = (title or "").strip()
    m = _ANNUAL.search(t)
    if not m or _PERIOD.search(t):
        return None
    i = norm.find(t, start, end)
    if i < 0:
        return None
    return i + m.start("y"), i + m.end("y") + 1, int(m["y"])


# --- parentheses ----------------------------------------------------------------------------------
_UNIT_CUE = re.compile(r"牵头|配合|负责|责任单位|参与|协助|按职责分工")
_DUE_CUE = re.compile(r"\d{4}年|\d{1,2}月|季度|年底|年内|上半年|下半年|持续|长期|完成|每年|每月|每季度|按进度|常态化")


def trailing_paren(norm: str, start: int, end: int) -> tuple[int, int] | None:
    """The span inside a parenthesis that closes the text norm[start:end] (after trailing 。)."""
    e = end
    while e > start and norm[e - 1] in " \n。；;":
        e -= 1
    if e <= start or norm[e - 1] != "）":
        return None
    depth, i = 0, e - 1
    while i >= start:
        if norm[i] == "）":
            depth += 1
        elif norm[i] == "（":
            depth -= 1
            if depth == 0:
                break
        i -= 1
    if i < start or e - i > 120:
        return None
    inner = norm[i + 1:e - 1]
    if not (_UNIT_CUE.search(inner) or (_DUE_CUE.search(inner) and len(inner) <= 30)):
        return None
    return i + 1, e - 1


def parse_paren(norm: str, text: str, a: int, b: int, anchor: date | None, term_end: date | None, matcher):
    """(lead units, co-units, deadline or None, no_fixed_date) from a parenthesis norm[a:b]."""
    leads: list[UnitRef] = []
    cos: list[UnitRef] = []
    deadline: Deadline | None = None
    no_date = False
    pos = a
    for clause in re.split(r"([，；;,])", norm[a:b]):
        ca, cb = pos, pos + len(clause)
        pos = cb
        if not clause or re.fullmatch(r"[，；;,]", clause):
            continue
        c = clause.strip()
        found = [d for d in dl.find(norm, ca, cb, anchor, term_end) if d.date is not None or d.kind == "periodic"]
        if found and deadline is None:
            deadline = found[0]
            deadline.text = text[deadline.start:deadline.end]
            rest = norm[ca:found[0].start] + norm[found[0].end:cb]
            if not ORG_SUFFIX.search(re.sub(r"(完成|前|底|牵头|负责|配合)+$", "", rest.strip())):
                continue
        if NO_FIXED_DATE.search(c) and not ORG_SUFFIX.search(re.sub(NO_FIXED_DATE, "", c) or "x"):
            no_date = True
            continue
        m = re.match(r"^(牵头单位|牵头部门|责任单位|责任部门|主责单位|配合单位|配合部门|协办单位)[：:]", c)
        role = "lead"
        off = ca + (len(clause) - len(clause.lstrip()))
        if m:
            role = "co" if m.group(1).startswith(("配合", "协办")) else "lead"
            off += m.end()
        elif re.search(r"(配合|协助|参与)$", c):
            role = "co"
        body = norm[off:cb]
        pieces = split_units(body)
        refs = []
        for x, y in pieces:
            name = norm[off + x:off + y]
            name = re.sub(r"等$", "", name)
            strong = bool(m) or bool(re.search(r"牵头|配合|负责|协助|参与", c))
            if not ORG_SUFFIX.search(name) and name not in matcher.alias_map \
                    and not (strong and re.fullmatch(r"[\u4e00-\u9fff（）]{3,20}", name)):
                continue
            refs.append(matcher.ref(matcher.canonical(name), "named", text[off + x:off + x + len(name)],
                                    off + x, off + x + len(name)))
        if role == "co":
            cos.extend(refs)
        else:
            leads.extend(refs)
    return leads, cos, deadline, no_date


def _body_has_no_date_clause(norm: str, s: int, e: int) -> bool:
    return bool(re.search(r"(^|[，。；])(持续推进|长期坚持|按进度推进|常态化推进)[。；]?(（|$)", norm[s:e].rstrip()))


# '责任单位：县水利局、县发展改革局' / '完成时限：2026年11月底前' written as lines (or sentences) of the item
_FIELD = re.compile(r"(?:^|(?<=[\n。；]))[ \t]*(?P<k>(?:牵头|责任|主责|配合|协办|参与)(?:单位|部门)|"
                    r"(?:完成|办结|整改)(?:时限|时间)|时间节点|时限要求)[：:][ \t]*(?P<v>[^\n。；]*)")


def field_lines(norm: str, text: str, start: int, end: int, anchor: date | None, term_end: date | None, matcher):
    """(units in order, the lead first; deadline; whether a due field was found; no_fixed_date) from
    field lines inside norm[start:end]."""
    leads: list[UnitRef] = []
    cos: list[UnitRef] = []
    deadline, due_found, no_date = None, False, False
    for m in _FIELD.finditer(norm, start, end):
        k, (a, b) = m["k"], m.span("v")
        if b <= a:
            continue
        if k.endswith(("单位", "部门")):
            refs = []
            for x, y in split_units(norm[a:b]):
                name = re.sub(r"等$", "", norm[a + x:a + y])
                if len(name) >= 2:
                    refs.append(matcher.ref(matcher.canonical(name), "named", text[a + x:a + x + len(name)],
                                            a + x, a + x + len(name)))
            (cos if k.startswith(("配合", "协办", "参与")) else leads).extend(refs)
            continue
        due_found = True
        found = [d for d in dl.find(norm, a, b, anchor, term_end) if d.date is not None or d.kind == "periodic"]
        found = found or cell_deadline(norm, type("Cell", (), {"start": a, "end": b})())
        if found:
            deadline = found[0]
            deadline.text = text[deadline.start:deadline.end]
        elif NO_FIXED_DATE.search(norm[a:b].strip().rstrip("。")):
            no_date = True
    return _dedupe(leads + cos), deadline, due_found, no_date


def apply_parens(tasks: list[Node], text: str, norm: str, anchor: date | None, term_end: date | None,
                 matcher) -> None:
    for node in tasks:
        par = trailing_paren(norm, node.start, node.end)
        f_end = par[0] - 1 if par else node.end  # fields inside the parenthesis are its clauses
        units, due, due_found, no_date = field_lines(norm, text, node.start, f_end, anchor, term_end, matcher)
        if units:
            node.units = units
        if due_found:
            first = _FIELD.search(norm, node.start, f_end)
            own = [d for d in dl.find(norm, node.start, first.start() if first else node.end, anchor, term_end)
                   if d.date is not None]
            node.deadline = due
            if due is None and own:  # '持续推进' in the field, a date in the body: prefer it
                own[0].text = text[own[0].start:own[0].end]
                node.deadline = own[0]
        if units or due_found:
            continue
        no_date_clause = _body_has_no_date_clause(norm, node.start, par[0] - 1 if par else node.end)
        if par is None:
            if no_date_clause and node.deadline is not None and node.deadline.inherited:
                node.deadline = None
            continue
        leads, cos, deadline, no_date = parse_paren(norm, text, *par, anchor, term_end, matcher)
        if leads or cos:
            node.units = _dedupe(leads + cos)
        body = dl.find(norm, node.start, par[0] - 1, anchor, term_end)
        own = [d for d in body if d.date is not None] or [d for d in body if d.kind == "periodic"]
        if deadline is not None:
            node.deadline = deadline
        elif no_date or no_date_clause:
            node.deadline = None
            if own:  # the body still names a date (or a schedule: '每月…检查一次'): prefer it
                own[0].text = text[own[0].start:own[0].end]
                node.deadline = own[0]


def _dedupe(refs: list[UnitRef]) -> list[UnitRef]:
    seen, out = set(), []
    for r in refs:
        if r.name not in seen:
            seen.add(r.name)
            out.append(r)
    return out


# --- tables ---------------------------------------------------------------------------------------
def table_nodes(table: Table, ex) -> Node:
    """A structure node holding one task item per row (grouped by the category column)."""
    holder = Node(kind="section", role="structure", start=table.start, end=table.end, title="任务表",
                  marker="表")
    current: Node | None = None
    current_cat = None
    for k, row in enumerate(table.rows, start=1):
        task = row.cells.get("task") or row.cells.get("category")
        seq = row.cells.get("seq")
        item = Node(kind="row", role="task", start=row.start, end=row.end,
                    marker=seq.text if seq else str(k), title=ex._title(task.start, task.end))
        _row_attributes(item, row, task, ex)
        cat = row.cells.get("category") or row.carried.get("category")
        if cat is not None and "task" in row.cells:
            if current is None or cat.text != current_cat:
                current = Node(kind="area", role="structure", start=row.start, end=row.end,
                               title=ex.text[cat.start:cat.end])
                current_cat = cat.text
                holder.children.append(current)
            current.children.append(item)
            current.end = row.end
        else:
            holder.children.append(item)
    return holder


def _row_attributes(item: Node, row, task, ex) -> None:
    norm, text, m = ex.norm, ex.text, ex.matcher
    units: list[UnitRef] = []
    for role in ("lead", "co"):
        cell = row.cells.get(role) or row.carried.get(role)
        if cell is None:
            continue
        for x, y in split_units(norm[cell.start:cell.end]):
            a, b = cell.start + x, cell.start + y
            units.append(m.ref(m.canonical(norm[a:b]), "named", text[a:b], a, b))
    item.units = _dedupe(units)
    due = row.cells.get("due") or row.carried.get("due")
    item.deadline = None
    own = [d for d in dl.find(norm, task.start, task.end, ex.speech_date, ex.term_end) if d.date is not None]
    if due is not None:
        found = dl.find(norm, due.start, due.end, ex.speech_date, ex.term_end)
        found = [d for d in found if d.date is not None or d.kind == "periodic"] or cell_deadline(norm, due)
        if found:
            item.deadline = found[0]
        elif own and NO_FIXED_DATE.search(due.text.strip()):
            item.deadline = own[0]
    elif own:
        item.deadline = own[0]
    if item.deadline is not None:
        item.deadline.text = text[item.deadline.start:item.deadline.end]
        item.deadline.inherited = due is not None and due is not row.cells.get("due")
    item.targets = ex.targets(task.start, task.end)


_CELL_DATE = re.compile(r"(?P<y>20\d{2})\s*(?:年|[.\-/])\s*(?:(?P<m>\d{1,2})\s*(?:月|[.\-/]|$)\s*(?:(?P<d>\d{1,2})\s*日?)?)?")


def cell_deadline(norm: str, cell) -> list[Deadline]:
    """A deadline cell written as a bare date: '2024年6月' (the month's end), '2024.6.30', '2025年'."""
    m = _CELL_DATE.search(norm, cell.start, cell.end)
    if not m or re.search(r"以来|之前已", norm[m.end():cell.end]):
        return []
    y = int(m["y"])
    try:
        if m["m"] and m["d"]:
            d = date(y, int(m["m"]), int(m["d"]))
        elif m["m"]:
            d = dl.month_end(y, int(m["m"]))
        else:
            d = date(y, 12, 31)
    except ValueError:
        return []
    return [Deadline(norm[m.start():m.end()], "day" if m["d"] else "month" if m["m"] else "year", d,
                     m.start(), m.end())]


def insert_tables(roots: list[Node], tables: list[Node], norm: str) -> None:
    """Put each table under the node that introduces it ('任务分解如下：', '见附件'), else at the top."""
    for t in tables:
        host = None
        for r in roots:
            for n in r.walk():
                if n.end <= t.start and (n.role != "context" or n.context_kind == "info") and n.kind != "row" \
                        and (host is None or n.start >= host.start):
                    host = n
        bare = host is not None and not host.children and "\n" not in norm[host.start:host.end].strip() \
            and heading_end(norm, host.start, host.end) >= host.end - 1 and host.end - host.start <= 40
        if host is not None and not re.search(r"(如下|下表|附件|分解|清单)[^。]{0,6}[：:]?\s*$", _tail(norm, host)) \
                and not (bare and not norm[host.start:t.start].strip("\n ")[len(norm[host.start:host.end].strip()):].strip()):
            host = None  # neither an intro naming the table nor a bare heading right above it
        if re.match(r"附件", norm[t.start:t.start + 4]):
            # a table in the attachment hangs under the section that sends the reader to it
            # ('…对照重点任务清单（见附件）…'), if one does
            ref = [n for r in roots for n in r.walk() if n.end <= t.start and n.kind != "row"
                   and not any(c.start <= m.start() < c.end for c in n.children
                               for m in _ATTACHMENT_REF.finditer(norm, n.start, n.end))
                   and _ATTACHMENT_REF.search(norm, n.start, n.end)]
            host = ref[-1] if ref else host
        if host is not None and host.kind != "closing":
            while host.children and host.children[-1].end <= t.start and host.children[-1].role == "task" \
                    and host.children[-1].kind in ("org_directive", "area_goal") \
                    and re.search(r"如下[：:]?\s*$", _tail(norm, host.children[-1])):
                host.children.pop()  # the intro sentence is not an item
            if host.role in ("task", "context"):
                host.context_kind = ""
                host.role, host.kind = "structure", "area"
                host.deadline, host.units, host.targets = None, [], []
            host.children.extend(t.children)  # the rows (or their category groups) under the heading
            _grow(roots, host, t.end)
        else:
            roots.extend(t.children)
        roots.sort(key=lambda n: n.start)


_ATTACHMENT_REF = re.compile(r"见附件|详见附件|（附件\d*）|附件\d*[）]")


def _tail(norm: str, node: Node) -> str:
    return norm[max(node.start, node.end - 40):node.end]


def _grow(roots: list[Node], host: Node, end: int) -> None:
    for r in roots:
        for n in r.walk():
            if n.start <= host.start and n.end >= host.start and (n is host or host in list(n.walk())):
                n.end = max(n.end, end)

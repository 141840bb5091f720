"""Task tables: a 任务分解表 or 考核细则 with columns such as 序号 / 工作任务 / 具体措施 / 牵头单位 /
配合单位 / 责任单位 / 完成时限.

Two shapes of the same table are recognised in the loaded text:
- rows as lines of TAB-separated cells (what .docx and .xlsx loading produces, and a copy from a
  spreadsheet), the header row anywhere (not only the first line);
- a table a scraper has flattened to one cell per line: the header cells on consecutive lines,
  then the cells row after row, a new row at each 序号; a merged cell appears once, in its first
  row.
Each data row is one task item. A row with fewer cells than the header is aligned by what its
cells look like (a number, units, a deadline, text), and a column it lacks takes the value of
the row above (a unit or deadline written once for several rows applies to each of them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .outline import ORG_SUFFIX

_ROLE_RX: list[tuple[str, re.Pattern]] = [
    ("seq", re.compile(r"^(序号|编号|序|排序)$")),
    ("lead", re.compile(r"^(牵头单位|牵头部门|牵头责任单位|牵头领导及单位|责任单位|责任部门|主责单位|主责部门|"
                        r"承办单位|负责单位|责任主体|牵头单位（部门）|责任单位（部门）)$")),
    ("co", re.compile(r"^(配合单位|配合部门|协办单位|协同单位|参与单位|协助单位)$")),
    ("due", re.compile(r"^(完成时限|完成时间|时间节点|时限要求|进度安排|时限|完成期限|截止时间|时间安排|完成时间节点)$")),
    ("category", re.compile(r"^(考核项目|考核指标|一级指标|二级指标|指标|任务类别|类别|重点领域|领域|项目|重点工作|主要任务|"
                            r"工作任务|重点任务)$")),
    ("task", re.compile(r"^(具体措施|工作措施|主要措施|推进措施|考核内容|考评内容|考核指标内容|评价内容|工作内容|任务内容|"
                        r"具体任务|主要内容|目标任务|工作目标|具体内容|措施|任务|内容|工作要求|考核要点|考评要点|目标要求|"
                        r"工作任务|重点任务|主要任务|工作事项|事项|任务名称|项目名称|督办事项|任务事项|重点工作任务|"
                        r"(具体)?工作(措施|举措)|任务目标|年度目标|目标内容|建设内容|主要目标)$")),
    ("other", re.compile(r"^(分值|分数|权重|评分标准|考核标准|扣分标准|计分方法|评分细则|考核方式|考核方法|备注|"
                         r"责任领导|牵头领导|分管领导|得分|自评分|评分办法|考核细则)$")),
]
_DUE_LIKE = re.compile(r"\d{4}年|\d{1,2}月|[一二三四]季度|年底|年内|年末|上半年|下半年|持续|长期|常态|每年|每月|每季度|"
                       r"按进度|按时序|适时")
_TOP_MARKER = re.compile(r"^([一二三四五六七八九十]{1,3}、|附件|[（(][一二三四五六七八九十]{1,3}[）)])")


@dataclass
class Cell:
    start: int
    end: int
    text: str  # analysis text


@dataclass
class Row:
    start: int
    end: int
    cells: dict[str, Cell] = field(default_factory=dict)  # role → cell
    carried: dict[str, Cell] = field(default_factory=dict)  # role → the cell above it applies


@dataclass
class Table:
    start: int
    end: int
    roles: list[str]
    rows: list[Row]
    line_nos: set[int]  # lines the table (with its title lines) takes


def _roles(cells: list[str]) -> list[str] | None:
    roles = []
    for c in cells:
        c = re.sub(r"\s+", "", c)
        roles.append(next((r for r, rx in _ROLE_RX if rx.match(c)), ""))
    if roles.count("") > len(roles) // 2 + 1 or sum(1 for r in roles if r) < 2:
        return None
    # 工作任务 + 具体措施: the first names the category, the second is the task
    task_like = [i for i, r in enumerate(roles) if r in ("task", "category")]
    if not task_like:  # an unusual name for the task column: the one that says 内容/任务/措施/事项
        task_like = [i for i, (c, r) in enumerate(zip(cells, roles))
                     if not r and re.search(r"内容|任务|措施|事项|指标|目标|工作", c) and len(c.strip()) <= 12][:1]
        if not task_like or not ({"lead", "due", "seq"} & set(roles)):
            return None
        roles[task_like[0]] = "task"
    if len(task_like) >= 2:
        for i in task_like[:-1]:
            roles[i] = "category"
        roles[task_like[-1]] = "task"
    else:
        roles[task_like[0]] = "task"
    seen: set[str] = set()
    for i, r in enumerate(roles):
        if r in seen and r in ("lead", "due", "seq"):
            roles[i] = "co" if r == "lead" else "other"
        seen.add(roles[i])
    return roles


def _kind(text: str) -> str:
    t = text.strip()
    if not t:
        return "empty"
    if re.fullmatch(r"\d{1,3}", t):
        return "seq"
    if len(t) <= 24 and _DUE_LIKE.search(t) and not re.search(r"[。；]", t):
        return "due"
    parts = [p for p in re.split(r"[、，,；;]", t) if p]
    if len(t) <= 80 and parts and all(ORG_SUFFIX.search(re.sub(r"(牵头|配合|负责|等|按职责分工负责)$", "", p))
                                      for p in parts):
        return "unit"
    return "text"


_FIT = {"seq": {"seq": 3}, "due": {"due": 3, "other": 0.5}, "unit": {"lead": 3, "co": 3, "other": 0.5},
        "text": {"task": 2, "category": 1.5, "other": 1}, "empty": {}}


def _align(kinds: list[str], roles: list[str]) -> list[int]:
    """Monotone assignment of len(kinds) cells to columns: for each cell its column index."""
    n, m = len(kinds), len(roles)
    best = [[float("-inf")] * (m + 1) for _ in range(n + 1)]
    back = [[0] * (m + 1) for _ in range(n + 1)]
    for j in range(m + 1):
        best[0][j] = 0.0
    for i in range(1, n + 1):
        for j in range(i, m + 1):
            skip = best[i][j - 1] - (0.5 if roles[j - 1] == "task" else 0.05) if j > i else float("-inf")
            take = best[i - 1][j - 1] + _FIT.get(kinds[i - 1], {}).get(roles[j - 1], -1.0)
            if take >= skip:
                best[i][j], back[i][j] = take, 1
            else:
                best[i][j], back[i][j] = skip, 0
    out = [0] * n
    i, j = n, m
    while i > 0:
        if back[i][j] == 1:
            out[i - 1] = j - 1
            i -= 1
        j -= 1
    return out


def _row(cells: list[Cell], roles: list[str]) -> Row:
    row = Row(cells[0].start, cells[-1].end)
    if len(cells) == len(roles):
        cols = list(range(len(cells)))
    else:
        cols = _align([_kind(c.text) for c in cells], roles)
    for c, j in zip(cells, cols):
        if roles[j] and roles[j] != "other" and c.text.strip() and roles[j] not in row.cells:
            row.cells[roles[j]] = c
    return row


def _carry(rows: list[Row], roles: list[str]) -> None:
    last: dict[str, Cell] = {}
    for row in rows:
        for role in ("category", "lead", "co", "due"):
            if role not in roles:
                continue
            if role in row.cells:
                last[role] = row.cells[role]
            elif role in last and (role != "co" or "lead" not in row.cells):
                row.carried[role] = last[role]


def find_tables(norm: str, lines) -> list[Table]:
    """Tables among the kept lines (clean.Line objects with start/end/norm)."""
    tables: list[Table] = []
    i = 0
    n = len(lines)
    while i < n:
        ln = lines[i]
        cells = ln.norm.split("\t")
        roles = _roles(cells) if len(cells) >= 3 else None
        if roles:
            t = _tab_table(lines, i, roles)
            if t:
                tables.append(t)
                i = max(t.line_nos) + 1
                continue
        if _roles([ln.norm]) is None and next((r for r, rx in _ROLE_RX if rx.match(ln.norm.strip())), ""):
            j = i
            while j < n and next((r for r, rx in _ROLE_RX if rx.match(lines[j].norm.strip())), "") \
                    and "\t" not in lines[j].norm:
                j += 1
            if j - i >= 3:
                roles = _roles([lines[k].norm for k in range(i, j)])
                if roles:
                    t = _flat_table(lines, i, j, roles)
                    if t:
                        tables.append(t)
                        i = max(t.line_nos) + 1
                        continue
        i += 1
    for t in tables:
        _title_lines(lines, t)
    return tables


def _title_lines(lines, t: Table) -> None:
    first = min(t.line_nos)
    idx = next(k for k, ln in enumerate(lines) if ln.no == first)
    k = idx - 1
    while k >= 0 and idx - k <= 3:
        text = lines[k].norm.strip()
        if len(text) <= 40 and re.search(r"^附件|(分解|清单|细则|一览)?表$|任务清单$|考核细则$", text) \
                and not re.search(r"[。；]$", text):
            t.line_nos.add(lines[k].no)
            t.start = min(t.start, lines[k].start)
            k -= 1
            continue
        break


def _cells_of(ln) -> list[Cell]:
    out, pos = [], ln.start
    for part in ln.norm.split("\t"):
        lead = len(part) - len(part.lstrip())
        stripped = part.strip()
        out.append(Cell(pos + lead, pos + lead + len(stripped), stripped))
        pos += len(part) + 1
    return out


def _tab_table(lines, i: int, roles: list[str]) -> Table | None:
    rows: list[Row] = []
    nos = {lines[i].no}
    k = i + 1
    while k < len(lines) and "\t" in lines[k].norm:
        cells = [c for c in _cells_of(lines[k])]
        while cells and not cells[-1].text:
            cells.pop()
        if _roles([c.text for c in cells]):
            break  # a second header: another table
        nonempty = [c for c in cells if c.text]
        if nonempty:
            if len(cells) > len(roles):
                cells = cells[:len(roles)]
            row = _row(cells, roles) if len(cells) == len(roles) else _row(nonempty, roles)
            row.start, row.end = lines[k].start, lines[k].end
            if "task" in row.cells or "category" in row.cells:
                rows.append(row)
        nos.add(lines[k].no)
        k += 1
    if not rows:
        return None
    _carry(rows, roles)
    return Table(lines[i].start, lines[k - 1].end, roles, rows, nos)


def _flat_table(lines, i: int, j: int, roles: list[str]) -> Table | None:
    width = len(roles)
    chunks: list[list] = []
    k = j
    has_seq = "seq" in roles
    expected = 1
    while k < len(lines):
        ln = lines[k]
        text = ln.norm.strip()
        if has_seq and text == str(expected):
            chunks.append([ln])
            expected += 1
        elif not chunks and has_seq:
            break
        elif chunks and len(chunks[-1]) < width and not (len(chunks[-1]) > 1 and _TOP_MARKER.match(text)):
            if not has_seq and len(chunks[-1]) >= width:
                chunks.append([ln])
            else:
                chunks[-1].append(ln)
        elif not has_seq and (not chunks or len(chunks[-1]) >= width) and not _TOP_MARKER.match(text):
            chunks.append([ln])
        else:
            break
        k += 1
    if len(chunks) < 2:
        return None
    rows = []
    nos = {lines[x].no for x in range(i, j)}
    for ch in chunks:
        cells = [Cell(ln.start + len(ln.norm) - len(ln.norm.lstrip()), ln.end - (len(ln.norm) - len(ln.norm.rstrip())),
                      ln.norm.strip()) for ln in ch]
        row = _row(cells, roles)
        nos.update(ln.no for ln in ch)
        if "task" in row.cells or "category" in row.cells:
            rows.append(row)
    if not rows:
        return None
    _carry(rows, roles)
    return Table(lines[i].start, chunks[-1][-1].end, roles, rows, nos)


def split_units(text: str) -> list[tuple[int, int]]:
    """Offsets (relative to text) of the unit names in a unit cell: '市住房城乡建设局、各区人民政府',
    '市大数据中心牵头，市公安局配合'; a trailing 牵头/配合/负责/等 is not part of the name."""
    out = []
    for m in re.finditer(r"[^、，,；;/\s]+", text):
        a, b = m.span()
        piece = text[a:b]
        cut = re.search(r"(等(单位|部门)?)?(按职责分工)?(牵头负责|牵头|配合|协助|负责落实|负责|参与)?$", piece)
        b2 = a + (cut.start() if cut and cut.start() > 0 else len(piece))
        if b2 - a >= 2:
            out.append((a, b2))
    return out

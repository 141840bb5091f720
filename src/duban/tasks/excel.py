"""The 台账 in Excel: export the responsibility list, import a task list.

Export streams (openpyxl write-only) so 10,000 rows take seconds and little memory, in the
layout Chinese offices print: a merged title row, a two-level merged header, frozen panes below
it, 仿宋/宋体 fonts, borders, wrapped text, landscape A4 fitting the width. Cell text that a
spreadsheet would run as a formula (= + - @ and control characters) is neutralised with a
leading apostrophe and stored as text.

Import is parsing only: every row is checked and every bad row reported with its row number and
reason (``parse_import``); duban.tasks.services.tasks_import creates the tasks, all or nothing.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from duban.orgs.models import Person, Post, Unit, UnitAlias
from duban.orgs.selectors import acting_holders
from duban.tasks import lights
from duban.tasks.models import Category, Light, ProgressReport, ReportCycle, Task, TaskStatus

# (group header, column header, width): a column without a group spans both header rows.
COLUMNS = [
    (None, gettext_lazy("序号"), 8),
    (None, gettext_lazy("任务来源"), 18),
    (None, gettext_lazy("工作任务"), 40),
    (None, gettext_lazy("目标"), 16),
    (gettext_lazy("责任主体"), gettext_lazy("牵头单位"), 14),
    (gettext_lazy("责任主体"), gettext_lazy("配合单位"), 18),
    (gettext_lazy("责任主体"), gettext_lazy("责任领导"), 10),
    (gettext_lazy("责任主体"), gettext_lazy("责任人"), 10),
    (gettext_lazy("时间节点"), gettext_lazy("完成时限"), 12),
    (gettext_lazy("时间节点"), gettext_lazy("原定时限"), 12),
    (gettext_lazy("时间节点"), gettext_lazy("签收时间"), 12),
    (gettext_lazy("最新进展"), gettext_lazy("进展情况"), 40),
    (gettext_lazy("最新进展"), gettext_lazy("报送日期"), 12),
    (gettext_lazy("完成情况"), gettext_lazy("完成进度(%)"), 10),
    (gettext_lazy("完成情况"), gettext_lazy("完成数量/目标"), 14),
    (None, gettext_lazy("亮灯"), 8),
    (None, gettext_lazy("状态"), 10),
    (None, gettext_lazy("办结时间"), 12),
    (None, gettext_lazy("备注"), 20),
]
# The import template keeps the columns an import reads (excel.parse_import).
TEMPLATE_COLUMNS = [
    (None, gettext_lazy("序号"), 8),
    (None, gettext_lazy("任务名称"), 40),
    (None, gettext_lazy("任务内容"), 30),
    (None, gettext_lazy("类别"), 12),
    (gettext_lazy("责任主体"), gettext_lazy("牵头单位"), 16),
    (gettext_lazy("责任主体"), gettext_lazy("配合单位"), 20),
    (gettext_lazy("责任主体"), gettext_lazy("责任领导"), 10),
    (gettext_lazy("时间节点"), gettext_lazy("开始日期"), 12),
    (gettext_lazy("时间节点"), gettext_lazy("完成时限"), 12),
    (gettext_lazy("时间节点"), gettext_lazy("报送周期"), 10),
    (gettext_lazy("目标"), gettext_lazy("目标数量"), 10),
    (gettext_lazy("目标"), gettext_lazy("量词"), 8),
    (gettext_lazy("目标"), gettext_lazy("目标对象"), 14),
]
TITLE_FONT = Font(name="方正小标宋简体", size=18, bold=True)
HEADER_FONT = Font(name="黑体", size=11, bold=True)
BODY_FONT = Font(name="仿宋_GB2312", size=11)
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
LIGHT_FILLS = {Light.RED: "F8CBAD", Light.YELLOW: "FFE699", Light.GREEN: "C6EFCE", Light.GREY: "D9D9D9"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
MAX_IMPORT_ROWS = 20000


def neutralise(value):
    """Text a spreadsheet would evaluate becomes inert text (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _styles(wb) -> None:
    """Register the few cell styles once: assigning a named style to a cell is a lookup, while
    assigning font/border/alignment objects per cell hashes them every time (10× slower)."""
    def add(name, font, align, fill=None, border=BORDER, number_format="General"):
        style = NamedStyle(name=name, font=font, alignment=align, border=border, number_format=number_format)
        if fill:
            style.fill = PatternFill("solid", fgColor=fill)
        wb.add_named_style(style)

    add("duban_title", TITLE_FONT, CENTER, border=Border())
    add("duban_stamp", BODY_FONT, Alignment(horizontal="right"), border=Border())
    add("duban_header", HEADER_FONT, CENTER, fill="D9E1F2")
    add("duban_left", BODY_FONT, LEFT)
    add("duban_center", BODY_FONT, CENTER)
    add("duban_date", BODY_FONT, CENTER, number_format="yyyy-mm-dd")
    for light, color in LIGHT_FILLS.items():
        add(f"duban_light_{light}", BODY_FONT, CENTER, fill=color)


class _Cells:
    """Makes styled write-only cells. Each named style is resolved once and its style array
    shared by later cells (write-only cells are written once and never changed): the by-name
    lookup is linear and was a third of the export time at 10,000 rows."""

    def __init__(self, ws):
        self.ws = ws
        self.arrays: dict = {}

    def __call__(self, value, style="duban_left"):
        if isinstance(value, str):
            # Control characters (a title typed or posted with \x0b) are not allowed in the
            # file format: openpyxl refuses them and the export answered 500.
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell = WriteOnlyCell(self.ws, value=neutralise(value))
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula, whatever the first character
        style = "duban_date" if isinstance(value, date) else style
        array = self.arrays.get(style)
        if array is None:
            cell.style = style
            self.arrays[style] = cell._style
        else:
            cell._style = array
        return cell


def relative_numbers(paths: list[str], step: int = Task.steplen) -> dict[str, str]:
    """1, 1.1, 1.1.2 for rows in path order, relative to the exported set: a row whose parent is
    exported is numbered under it, any other row starts a new top-level number."""
    numbers: dict[str, str] = {}
    counters: dict[str | None, int] = {}
    for path in paths:
        parent = path[:-step] if len(path) > step else None
        key = parent if parent in numbers else None
        counters[key] = counters.get(key, 0) + 1
        numbers[path] = f"{numbers[key]}.{counters[key]}" if key is not None else str(counters[key])
    return numbers


# What a row needs, read as plain tuples: model instances with eight joined relations and three
# latest-report subqueries per row were two thirds of a county's 8,000-row export.
_ROW_FIELDS = ("pk", "path", "title", "source__title", "target_number", "target_measure", "target_object",
               "lead_unit__name", "responsible_leader__name", "responsible_post_id", "due_date",
               "original_due_date", "acknowledged_at", "completed_at", "status", "returned_at", "return_reason",
               "export_light")
_CHUNK = 2000


def _chunks(rows_qs, ids: list[int], size: int = _CHUNK):
    """The rows of ``ids`` (in the queryset's order), ``size`` at a time by primary key: bounded
    memory like a cursor, without the cursor's fast-start plan (PostgreSQL walked the whole
    path index for a county's rows: 0.5 s of a 1.6 s export)."""
    for start in range(0, len(ids), size):
        yield list(rows_qs.filter(pk__in=ids[start:start + size]))


def _co_units(task_ids) -> dict[int, list[str]]:
    through = Task.co_units.through
    names: dict[int, list[str]] = {}
    for task_id, name in (through.objects.filter(task_id__in=task_ids)
                          .order_by("task_id", "unit__path").values_list("task_id", "unit__name")):
        names.setdefault(task_id, []).append(name)
    return names


def _latest_reports(task_ids) -> dict[int, tuple]:
    """(percent, quantity, narrative, submitted_at) of each task's latest report: one query per
    chunk, newest first, the first row per task kept (the order of selectors.with_latest_report)."""
    latest: dict[int, tuple] = {}
    rows = (ProgressReport.objects.filter(task_id__in=task_ids).order_by("task_id", "-submitted_at", "-id")
            .values_list("task_id", "percent", "quantity", "narrative", "submitted_at"))
    for task_id, percent, quantity, narrative, submitted_at in rows:
        if task_id not in latest:
            latest[task_id] = (percent, quantity, narrative, submitted_at)
    return latest


def _number(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


def _local_day(moment) -> date | None:
    return timezone.localtime(moment).date() if moment is not None else None


def _source_title(qs) -> str:
    """The source's title when every exported task has the same one (a 台账 of one document)."""
    titles = list(qs.order_by().values_list("source__title", flat=True).distinct()[:2])
    return titles[0] if len(titles) == 1 and titles[0] else ""


def _sheet(wb, columns, *, heading: str, stamp: str, paper=Worksheet.PAPERSIZE_A3):
    """The sheet with the office layout: title and stamp rows, a two-row merged header (a
    column without a group spans both rows), frozen below it and right of the task column,
    printed landscape with the header repeated and page numbers in the footer."""
    ws = wb.create_sheet(title=str(_("督办台账")))
    cell = _Cells(ws)
    ncol = len(columns)
    last = get_column_letter(ncol)
    for i, (_group, _label, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    titles = [str(label) for _g, label, _w in columns]
    task_col = next((i for i, t in enumerate(titles, start=1) if t in (str(_("工作任务")), str(_("任务名称")))), 2)
    ws.freeze_panes = f"{get_column_letter(task_col + 1)}5"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = paper
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.print_title_rows = "3:4"
    ws.oddFooter.center.text = _("第 &P 页,共 &N 页")
    ws.evenFooter.center.text = _("第 &P 页,共 &N 页")

    ws.append([cell(heading, "duban_title")])
    ws.merged_cells.add(f"A1:{last}1")
    ws.append([cell(stamp, "duban_stamp")])
    ws.merged_cells.add(f"A2:{last}2")
    ws.append([cell(str(g) if g is not None else str(label), "duban_header") for g, label, _w in columns])
    ws.append([cell(str(label) if g is not None else "", "duban_header") for g, label, _w in columns])
    start = 1
    for i in range(1, ncol + 1):
        group = columns[i - 1][0]
        if group is None:
            ws.merged_cells.add(f"{get_column_letter(i)}3:{get_column_letter(i)}4")
            start = i + 1
            continue
        nxt = columns[i][0] if i < ncol else None
        if nxt is None or str(nxt) != str(group):
            if i > start:
                ws.merged_cells.add(f"{get_column_letter(start)}3:{get_column_letter(i)}3")
            start = i + 1
    return ws, cell


def export_tasks(queryset, *, title: str | None = None, today: date | None = None) -> bytes:
    """The filtered responsibility list as .xlsx bytes (one row per task, in tree order), in the
    columns offices keep. A fixed number of queries: the row keys, the source, the acting
    holders, then per chunk of 2,000 rows the rows, their co-units and latest reports."""
    today = today or lights.today()
    qs = queryset.order_by("path")
    keys = list(qs.values_list("pk", "path"))
    paths = [path for _pk, path in keys]
    numbers = relative_numbers(paths)
    source = _source_title(qs) if keys else ""
    posts = Post.objects.filter(pk__in=qs.exclude(responsible_post=None).values("responsible_post"))
    acting = acting_holders(posts.select_related("a_holder", "b_holder", "c_holder"), today) if keys else {}
    rows_qs = qs.annotate(export_light=lights.light_annotation(today)).values_list(*_ROW_FIELDS)

    wb = Workbook(write_only=True)
    _styles(wb)
    heading = title or (_("%(source)s督办台账") % {"source": source} if source else _("重点工作任务督办台账"))
    stamp = "    ".join(filter(None, [
        _("任务来源:%(source)s") % {"source": source} if source else "",
        _("导出日期:%(date)s") % {"date": today.isoformat()},
        _("共 %(n)s 项") % {"n": len(paths)},
    ]))
    ws, cell = _sheet(wb, COLUMNS, heading=heading, stamp=stamp)

    # Labels translated once, not once per row (lazy gettext was a third of the time).
    light_labels = {value: str(label) for value, label in Light.choices}
    status_labels = {value: str(label) for value, label in TaskStatus.choices}
    returned_note, extended_note = _("办结申请被退回:%(reason)s"), _("经批准延期")
    for chunk in _chunks(rows_qs, [pk for pk, _path in keys]):
        ids = [row[0] for row in chunk]
        co_units = _co_units(ids)
        latest = _latest_reports(ids)
        for (pk, path, task_title, source_title, target_number, target_measure, target_object, lead_unit, leader,
             post_id, due_date, original_due, acknowledged_at, completed_at, status, returned_at, return_reason,
             light) in chunk:
            person = acting[post_id].person if post_id in acting else None
            percent, quantity, narrative, reported_at = latest.get(pk, (None, None, "", None))
            target = f"{_number(target_number)}{target_measure}{target_object}" if target_number is not None else ""
            done = ""
            if quantity is not None:
                done = _number(quantity) + (f" / {_number(target_number)}" if target_number is not None else "") \
                    + (target_measure or "")
            notes = []
            if returned_at and status == TaskStatus.IN_PROGRESS:
                notes.append(returned_note % {"reason": return_reason})
            if original_due:
                notes.append(extended_note)
            ws.append([
                cell(numbers[path], "duban_center"),
                cell(source_title or ""),
                cell(task_title),
                cell(target, "duban_center"),
                cell(lead_unit or "", "duban_center"),
                cell("、".join(co_units.get(pk, ()))),
                cell(leader or "", "duban_center"),
                cell(person.name if person else "", "duban_center"),
                cell(due_date, "duban_center"),
                cell(original_due, "duban_center"),
                cell(_local_day(acknowledged_at), "duban_center"),
                cell(narrative or ""),
                cell(_local_day(reported_at), "duban_center"),
                cell(percent, "duban_center"),
                cell(done, "duban_center"),
                cell(light_labels.get(light, light), f"duban_light_{light}"),
                cell(status_labels.get(status, status), "duban_center"),
                cell(_local_day(completed_at), "duban_center"),
                cell(";".join(notes)),
            ])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def import_template(title: str | None = None) -> bytes:
    """An empty sheet with the columns an import reads (the same office layout)."""
    wb = Workbook(write_only=True)
    _styles(wb)
    _sheet(wb, TEMPLATE_COLUMNS, heading=title or _("任务导入模板"),
           stamp=_("序号按 1、1.1、1.1.2 填写下级任务;单位、类别、责任领导按系统中的名称填写"))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- import -----------------------------------------------------------------------------------
HEADER_ALIASES = {
    "number": ("序号", "编号"),
    "title": ("任务名称", "任务", "工作任务"),
    "detail": ("任务内容", "具体内容", "工作要求"),
    "category": ("类别", "工作类别"),
    "lead_unit": ("牵头单位", "责任单位"),
    "co_units": ("配合单位", "协办单位"),
    "responsible_leader": ("责任领导", "分管领导"),
    "start_date": ("开始日期", "开始时间"),
    "due_date": ("完成时限", "完成时间", "截止日期"),
    "reporting_cycle": ("报送周期",),
    "target_number": ("目标数量",),
    "target_measure": ("量词", "单位(量词)"),
    "target_object": ("目标对象",),
}
NUMBER_RE = re.compile(r"^\d+(\.\d+)*$")
CYCLES = {str(label): value for value, label in ReportCycle.choices} | {v: v for v in ReportCycle.values}
SEPARATORS = re.compile(r"[、,，;；/\s]+")


@dataclass
class ImportRow:
    row: int
    number: str
    values: dict
    co_units: list


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        text = text[1:]  # our own export's neutralised text
    return text


def _date(value):
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text)
    if not m:
        raise ValueError(text)
    return date(int(m[1]), int(m[2]), int(m[3]))


def _read_sheet(file) -> tuple[list[tuple], dict]:
    limit = settings.DUBAN_MAX_IMPORT_BYTES
    if getattr(file, "size", 0) and file.size > limit:
        raise ValidationError(_("导入文件超过 %(mb)s MB 的上限。") % {"mb": round(limit / 1024 / 1024, 1)},
                              code="too_large")
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(_("导入文件超过 %(mb)s MB 的上限。") % {"mb": round(limit / 1024 / 1024, 1)},
                              code="too_large")
    from duban.tasks.evidence import _zip_kind

    if not data.startswith(b"PK\x03\x04") or _zip_kind(data, "import.xlsx") != "xlsx":
        raise ValidationError(_("请上传 Excel(.xlsx)文件。"), code="bad_type")
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        ws = wb.worksheets[0]
        rows = list(ws.iter_rows(values_only=True, max_row=MAX_IMPORT_ROWS + 10))
    except Exception:  # noqa: BLE001 - any parser failure is the same answer to the user
        raise ValidationError(_("无法读取该 Excel 文件,请检查文件是否损坏。"), code="bad_file") from None
    for index, row in enumerate(rows[:10]):
        labels = [_text(v) for v in row]
        titles = set(HEADER_ALIASES["title"]) | {_(a) for a in HEADER_ALIASES["title"]}
        numbers = set(HEADER_ALIASES["number"]) | {_(a) for a in HEADER_ALIASES["number"]}
        # The column-name row, not the group row above it ("任务" spans several columns there).
        if any(label in titles for label in labels) and any(label in numbers for label in labels):
            # A two-row header (our own export: groups above, column names below; a column
            # without a group is merged over both rows, so its name is in the upper one).
            below = [_text(v) for v in rows[index + 1]] if index + 1 < len(rows) and rows[index + 1] else []
            if below and not below[0] and any(below):
                labels = [low or up for up, low in zip(labels, below + [""] * (len(labels) - len(below)))]
                index += 1
            columns = {}
            for key, aliases in HEADER_ALIASES.items():
                names = set(aliases) | {_(a) for a in aliases}  # a sheet exported in English too
                for col, label in enumerate(labels):
                    if label in names and key not in columns:
                        columns[key] = col
            body = rows[index + 1:]
            if len(body) > MAX_IMPORT_ROWS:
                raise ValidationError(_("一次最多导入 %(n)s 行。") % {"n": MAX_IMPORT_ROWS})
            return [(index + 2 + i, r) for i, r in enumerate(body)], columns
    raise ValidationError(_("找不到表头(须含“序号”和“任务名称”列)。"), code="bad_header")


class _Lookup:
    """Names → objects, loaded once (a 10,000-row import must not run a query per cell)."""

    def __init__(self):
        self.units = {}
        for unit in Unit.objects.filter(is_active=True):
            self.units[unit.name] = unit
            if unit.short_name:
                self.units.setdefault(unit.short_name, unit)
        for alias in UnitAlias.objects.select_related("unit").filter(unit__is_active=True):
            self.units.setdefault(alias.name, alias.unit)
        self.categories = {c.name: c for c in Category.objects.filter(is_active=True)}
        self.people: dict[str, list[Person]] = {}
        for person in Person.objects.filter(is_active=True).select_related("unit"):
            self.people.setdefault(person.name, []).append(person)


def _parse(rows, columns, lookup: _Lookup) -> tuple[list[ImportRow], list[str]]:
    errors: list[str] = []
    parsed: list[ImportRow] = []

    def get(row, key):
        col = columns.get(key)
        return row[col] if col is not None and col < len(row) else None

    for rownum, row in rows:
        if row is None or all(_text(v) == "" for v in row):
            continue
        problems = []
        number = _text(get(row, "number"))
        if not NUMBER_RE.match(number):
            problems.append(_("序号“%(n)s”格式不正确,应为 1、1.1、1.1.2 这样的数字编号") % {"n": number})
        values: dict = {"title": _text(get(row, "title"))}
        if not values["title"]:
            problems.append(_("任务名称为空"))
        values["detail"] = _text(get(row, "detail"))
        cat = _text(get(row, "category"))
        if cat:
            if cat in lookup.categories:
                values["category"] = lookup.categories[cat]
            else:
                problems.append(_("未知类别“%(name)s”") % {"name": cat})
        lead = _text(get(row, "lead_unit"))
        if lead:
            if lead in lookup.units:
                values["lead_unit"] = lookup.units[lead]
            else:
                problems.append(_("未知牵头单位“%(name)s”") % {"name": lead})
        co_units = []
        for name in filter(None, SEPARATORS.split(_text(get(row, "co_units")))):
            if name in lookup.units:
                co_units.append(lookup.units[name])
            else:
                problems.append(_("未知配合单位“%(name)s”") % {"name": name})
        leader = _text(get(row, "responsible_leader"))
        if leader:
            found = lookup.people.get(leader, [])
            if len(found) == 1:
                values["responsible_leader"] = found[0]
            elif not found:
                problems.append(_("未知责任领导“%(name)s”") % {"name": leader})
            else:
                problems.append(_("责任领导“%(name)s”有重名,请在系统中指定") % {"name": leader})
        for key, label in (("start_date", _("开始日期")), ("due_date", _("完成时限"))):
            try:
                values[key] = _date(get(row, key))
            except (ValueError, TypeError):
                problems.append(_("%(label)s“%(value)s”不是有效日期") % {"label": label, "value": _text(get(row, key))})
        if values.get("start_date") and values.get("due_date") and values["due_date"] < values["start_date"]:
            problems.append(_("完成时限早于开始日期"))
        cycle = _text(get(row, "reporting_cycle"))
        if cycle:
            if cycle in CYCLES:
                values["reporting_cycle"] = CYCLES[cycle]
            else:
                problems.append(_("未知报送周期“%(value)s”") % {"value": cycle})
        target = _text(get(row, "target_number"))
        if target:
            try:
                values["target_number"] = Decimal(target)
                if values["target_number"] < 0:
                    raise InvalidOperation
            except InvalidOperation:
                problems.append(_("目标数量“%(value)s”不是有效数字") % {"value": target})
        values["target_measure"] = _text(get(row, "target_measure"))[:10]
        values["target_object"] = _text(get(row, "target_object"))[:50]
        if problems:
            errors.append(_("第 %(row)s 行:%(reasons)s。") % {"row": rownum, "reasons": ";".join(map(str, problems))})
        parsed.append(ImportRow(rownum, number, values, co_units))
    return parsed, errors


def _check_tree(parsed: list[ImportRow], root: Task | None) -> list[str]:
    errors = []
    by_number: dict[str, ImportRow] = {}
    for item in parsed:
        if not NUMBER_RE.match(item.number):
            continue
        if item.number in by_number:
            errors.append(_("第 %(row)s 行:序号“%(n)s”与第 %(other)s 行重复。")
                          % {"row": item.row, "n": item.number, "other": by_number[item.number].row})
            continue
        parent_number = item.number.rsplit(".", 1)[0] if "." in item.number else None
        if parent_number is not None and parent_number not in by_number:
            errors.append(_("第 %(row)s 行:序号“%(n)s”的上级“%(p)s”不存在或排在其后。")
                          % {"row": item.row, "n": item.number, "p": parent_number})
        by_number[item.number] = item
        parent_due = by_number[parent_number].values.get("due_date") if parent_number in by_number else (
            root.due_date if root is not None and parent_number is None else None)
        due = item.values.get("due_date")
        if due and parent_due and due > parent_due:
            errors.append(_("第 %(row)s 行:完成时限(%(due)s)晚于上级任务的完成时限(%(parent)s)。")
                          % {"row": item.row, "due": due, "parent": parent_due})
    return errors


def parse_import(file, *, parent: Task | None = None) -> list[ImportRow]:
    """The rows of an .xlsx task list, checked: every bad row is reported together in one
    ValidationError ("第 N 行:…"). Reads only; services.tasks_import creates the tasks."""
    rows, columns = _read_sheet(file)
    if "title" not in columns:
        raise ValidationError(_("表头缺少“任务名称”列。"), code="bad_header")
    parsed, errors = _parse(rows, columns, _Lookup())
    errors += _check_tree(parsed, parent)
    if not parsed and not errors:
        raise ValidationError(_("文件中没有任务。"), code="empty")
    if errors:
        raise ValidationError(errors[:500])
    return parsed


def filename(prefix: str = "督办台账") -> str:
    return f"{prefix}-{timezone.localdate():%Y%m%d}.xlsx"



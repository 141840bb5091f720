"""The directory (units, people, posts) as an Excel workbook: template, import, export.

The workbook layout is a data contract, not UI: sheet names, column headers and the unit kind
labels are always the Chinese ones, whatever the user's language, so that a file exported from
an English session re-imports anywhere. Error messages shown to the user are translated.

Import is all-or-nothing. Every row of every sheet is checked against the file and the database
first; one bad row means a report of every bad row and nothing written. Only a clean file is
applied, in one transaction, through duban.orgs.services so that each change is ledgered like a
change made in the UI. Rows are matched to existing records by name (units by name, people by
unit + name, posts by unit + title): a match is updated, never duplicated. Import never deletes.

The archive is inspected before openpyxl sees it: a renamed executable, an old .xls, an
encrypted file or a zip bomb (declared uncompressed size too large — zipfile never inflates a
member past its declared size, so the declaration is a hard bound) is refused with a clear
message and nothing changes.
"""

from __future__ import annotations

import io
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from duban.core import context, ledger, permissions
from duban.core.models import Outcome
from duban.orgs import selectors, services
from duban.orgs.models import Person, Post, Unit, UnitAlias, UnitKind

# --- layout ---------------------------------------------------------------------------------
SHEET_UNITS = "单位"
SHEET_PEOPLE = "人员"
SHEET_POSTS = "岗位"
SHEET_HELP = "说明"
DATA_SHEETS = (SHEET_UNITS, SHEET_PEOPLE, SHEET_POSTS)

ALIAS_SEPARATOR = "、"
HOLDER_UNIT_SEPARATOR = "@"
YES, NO = "是", "否"
# Rows that carry a data validation list in the template and the export beyond the data.
VALIDATION_ROWS = 2000


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    width: int
    required: bool = False
    help: str = ""
    example: str = ""


UNIT_COLUMNS = (
    Column("名称", "name", 28, True, "单位全称,全表及系统内唯一;与已有单位同名时更新该单位。", "芭蕉侗族乡"),
    Column("上级单位", "parent", 28, False,
           "上级单位的名称(或别名),可以是本表中的单位,也可以是系统中已有的单位;留空表示顶级单位。",
           "中共恩施市委员会"),
    Column("类型", "kind", 14, True, "从下拉列表中选择:党的机关、政府部门、乡镇/办事处、村/社区、群团组织、企业、其他。",
           "乡镇/办事处"),
    Column("简称", "short_name", 14, False, "可选。", "芭蕉乡"),
    Column("编码", "code", 12, False, "可选,字母或数字,系统内唯一。", "BJ"),
    Column("别名", "aliases", 30, False, "文件中可能使用的其他名称,多个别名用顿号“、”分隔;留空表示没有别名。", "芭蕉乡、芭蕉"),
    Column("排序", "sort_order", 8, False, "整数,同级单位按此排序,留空为 0。", "10"),
    Column("启用", "is_active", 8, False, "“是”或“否”,留空为“是”。", YES),
)
PERSON_COLUMNS = (
    Column("姓名", "name", 14, True, "人员姓名;同一单位内唯一,与已有人员同名时更新该人员。", "张三"),
    Column("单位", "unit", 28, True, "所在单位的名称(或别名),须在“单位”表或系统中存在。", "芭蕉侗族乡"),
    Column("职务", "title", 20, False, "可选。", "党委委员"),
    Column("手机", "phone", 16, False, "可选。", "13800000000"),
    Column("在职", "is_active", 8, False, "“是”或“否”,留空为“是”。", YES),
)
POST_COLUMNS = (
    Column("单位", "unit", 28, True, "岗位所在单位的名称(或别名)。", "芭蕉侗族乡"),
    Column("岗位名称", "title", 20, True, "同一单位内唯一,与已有岗位同名时更新该岗位。", "督办联络员"),
    Column("岗位职责", "duties", 40, False, "可选。", "负责督办事项的接收与报送"),
    Column("A角", "a", 16, True,
           "A角的姓名,须是该单位的人员;其他单位的人员写作“姓名@单位”。", "张三"),
    Column("B角", "b", 16, False, "A角不在岗时代行;不能与A角是同一人。", "李四"),
    Column("C角", "c", 16, False, "A、B角都不在岗时代行;须先有B角,且不能与A角、B角是同一人。", "王五"),
)
COLUMNS = {SHEET_UNITS: UNIT_COLUMNS, SHEET_PEOPLE: PERSON_COLUMNS, SHEET_POSTS: POST_COLUMNS}

# Characters that make a spreadsheet treat a cell as a formula (ASVS 1.2.10 / RL-06).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralise(value: str) -> str:
    """Prefix a cell that a spreadsheet would read as a formula with an apostrophe. A leading
    apostrophe is itself escaped so that ``unneutralise`` is its exact inverse."""
    if value and (value[0] in FORMULA_TRIGGERS or value[0] == QUOTE):
        return QUOTE + value
    return value


def unneutralise(value: str) -> str:
    if len(value) >= 2 and value[0] == QUOTE and (value[1] in FORMULA_TRIGGERS or value[1] == QUOTE):
        return value[1:]
    return value


def kind_labels() -> dict[str, str]:
    """value -> Chinese label, independent of the active language (see the module docstring)."""
    with translation.override("zh-hans"):
        return {value: str(label) for value, label in UnitKind.choices}


def _kind_from_text(text: str) -> str | None:
    labels = kind_labels()
    for value, label in labels.items():
        if text in (label, value):
            return value
    return None


# --- limits ---------------------------------------------------------------------------------
def max_import_bytes() -> int:
    return settings.DUBAN_MAX_IMPORT_BYTES


def max_import_rows() -> int:
    return getattr(settings, "DUBAN_MAX_IMPORT_ROWS", 5000)


def max_uncompressed_bytes() -> int:
    # Spreadsheet XML compresses about 10:1; twenty times the upload limit leaves room for that
    # and still stops a bomb long before it costs real memory.
    return getattr(settings, "DUBAN_MAX_IMPORT_UNCOMPRESSED_BYTES", 20 * max_import_bytes())


MAX_ARCHIVE_MEMBERS = 1000
MAX_COLUMNS_READ = 30


class ImportRejected(Exception):
    """The file as a whole cannot be read; ``status`` is the HTTP status a view should answer."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Issue:
    sheet: str
    row: int
    message: str
    column: str = ""

    MAX_MESSAGE = 300

    def __post_init__(self):
        # Messages quote cell values; a hostile 30 000-character cell must not flood the report.
        if len(self.message) > self.MAX_MESSAGE:
            self.message = self.message[: self.MAX_MESSAGE] + "…"


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


@dataclass
class ImportResult:
    ok: bool
    issues: list[Issue] = field(default_factory=list)
    counts: dict[str, Counts] = field(default_factory=lambda: {s: Counts() for s in DATA_SHEETS})
    rows: dict[str, int] = field(default_factory=dict)


# --- reading the file -----------------------------------------------------------------------
def _read_bytes(upload) -> bytes:
    limit = max_import_bytes()
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise ImportRejected(too_large_message(), status=413)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ImportRejected(too_large_message(), status=413)
    if not data:
        raise ImportRejected(_("文件是空的。"))
    return data


def too_large_message() -> str:
    return _("文件超过大小上限(%(mb)s MB)。") % {"mb": f"{max_import_bytes() / (1024 * 1024):g}"}


def check_archive(data: bytes) -> None:
    """Refuse anything that is not a plausible, bounded .xlsx before openpyxl touches it."""
    not_xlsx = _("无法读取该文件:请上传 Excel 工作簿(.xlsx)。旧版 .xls 文件请先在 Excel 中另存为 .xlsx。")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ImportRejected(not_xlsx)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise ImportRejected(not_xlsx) from None
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise ImportRejected(not_xlsx)
    if any(m.flag_bits & 0x1 for m in members):
        raise ImportRejected(_("文件已加密,请取消密码保护后再上传。"))
    if len(members) > MAX_ARCHIVE_MEMBERS or sum(m.file_size for m in members) > max_uncompressed_bytes():
        raise ImportRejected(_("文件解压后过大或包含的部件过多,已拒绝处理。"), status=413)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if hasattr(value, "date") and hasattr(value, "isoformat"):
        value = value.isoformat()
    return unneutralise(str(value)).strip()


@dataclass
class Row:
    sheet: str
    number: int  # the Excel row number, as the user sees it
    values: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.values.get(key, "")


def _normalise_header(text: str) -> str:
    return text.replace("*", "").replace(" ", "").replace("\u3000", "").strip()


def read_workbook(data: bytes) -> tuple[dict[str, list[Row]], list[Issue]]:
    """The data rows of each known sheet (blank rows skipped), and problems with the layout."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many types for a broken workbook
        raise ImportRejected(_("无法读取该文件:文件已损坏或不是有效的 Excel 工作簿(.xlsx)。")) from None
    try:
        return _read_sheets(workbook)
    except ImportRejected:
        raise
    except Exception:  # noqa: BLE001 - broken sheet XML surfaces only while iterating
        raise ImportRejected(_("无法读取该文件:文件已损坏或不是有效的 Excel 工作簿(.xlsx)。")) from None
    finally:
        workbook.close()


def _read_sheets(workbook) -> tuple[dict[str, list[Row]], list[Issue]]:
    present = [name for name in DATA_SHEETS if name in workbook.sheetnames]
    if not present:
        raise ImportRejected(_("文件中没有“单位”“人员”“岗位”工作表。请使用下载的模板填写。"))
    rows: dict[str, list[Row]] = {name: [] for name in DATA_SHEETS}
    issues: list[Issue] = []
    limit = max_import_rows()
    total = 0
    for sheet_name in present:
        sheet = workbook[sheet_name]
        columns = COLUMNS[sheet_name]
        header_index: dict[str, int] = {}
        for number, values in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS_READ, values_only=True), start=1):
            texts = [_cell_text(v) for v in values]
            if number == 1:
                by_header = {_normalise_header(t): i for i, t in enumerate(texts) if t}
                for column in columns:
                    if column.header in by_header:
                        header_index[column.key] = by_header[column.header]
                    elif column.required:
                        issues.append(Issue(sheet_name, 1, _("缺少必填列“%(column)s”。") % {"column": column.header},
                                            column.header))
                continue
            # A sheet that claims a cell far below its data would otherwise make us walk a
            # million empty rows.
            if number > 2 * limit + 1000:
                raise ImportRejected(_("行数超过上限(最多 %(max)s 行)。") % {"max": limit}, status=413)
            if not any(texts):
                continue
            total += 1
            if total > limit:
                raise ImportRejected(_("行数超过上限(最多 %(max)s 行)。") % {"max": limit}, status=413)
            record = {key: (texts[i] if i < len(texts) else "") for key, i in header_index.items()}
            rows[sheet_name].append(Row(sheet_name, number, record))
    return rows, issues


# --- validation -----------------------------------------------------------------------------
def _split_aliases(text: str) -> list[str]:
    for other in ("，", ",", ";", "；"):
        text = text.replace(other, ALIAS_SEPARATOR)
    seen = []
    for part in text.split(ALIAS_SEPARATOR):
        part = part.strip()
        if part and part not in seen:
            seen.append(part)
    return seen


def _parse_flag(text: str) -> bool | None:
    if text in ("", YES, "1", "TRUE", "True", "true"):
        return True
    if text in (NO, "0", "FALSE", "False", "false"):
        return False
    return None


def _parse_int(text: str) -> int | None:
    if text == "":
        return 0
    try:
        return int(text)
    except ValueError:
        return None


def _model_errors(instance, exclude: list[str]) -> dict[str, list[str]]:
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        return exc.message_dict
    return {}


@dataclass
class _UnitPlan:
    row: Row
    name: str
    parent: str | None  # canonical unit name, None for a root
    kind: str
    short_name: str
    code: str | None
    aliases: list[str]
    sort_order: int
    is_active: bool


@dataclass
class _PersonPlan:
    row: Row
    name: str
    unit: str
    title: str
    phone: str
    is_active: bool


@dataclass
class _PostPlan:
    row: Row
    unit: str
    title: str
    duties: str
    holders: dict[str, tuple[str, str] | None]  # letter -> (unit name, person name)


class _Validator:
    """Checks every row against the file and the database as they will be after the import."""

    def __init__(self, user, rows: dict[str, list[Row]]):
        self.user = user
        self.rows = rows
        self.issues: list[Issue] = []
        self.scope_prefix = permissions.scope_path(user)
        self.scope_root = getattr(user, "unit", None) if self.scope_prefix else None
        self.db_units: dict[str, Unit] = {u.name: u for u in Unit.objects.all()}
        self.db_units_by_path = {u.path: u for u in self.db_units.values()}
        self.db_aliases: dict[str, str] = {}
        for alias, unit_name in UnitAlias.objects.values_list("name", "unit__name"):
            self.db_aliases[alias] = unit_name
        self.db_people: set[tuple[str, str]] = set(Person.objects.values_list("unit__name", "name"))
        self.db_posts: dict[tuple[str, str], Post] = {
            (p.unit.name, p.title): p
            for p in Post.objects.select_related("unit", "a_holder__unit", "b_holder__unit", "c_holder__unit")
        }
        self.units: list[_UnitPlan] = []
        self.people: list[_PersonPlan] = []
        self.posts: list[_PostPlan] = []

    # helpers
    def error(self, row: Row, message: str, column: str = "") -> None:
        self.issues.append(Issue(row.sheet, row.number, message, column))

    def db_parent_name(self, unit: Unit) -> str | None:
        parent = self.db_units_by_path.get(unit.path[: -Unit.steplen]) if unit.depth > 1 else None
        return parent.name if parent else None

    def in_db_scope(self, unit: Unit) -> bool:
        return self.scope_prefix == "" or (self.scope_prefix is not None and unit.path.startswith(self.scope_prefix))

    @property
    def restricted(self) -> bool:
        return self.scope_prefix != ""

    def resolve_unit(self, ref: str) -> str | None:
        """A unit reference (name or alias) to its canonical name, after the import."""
        if ref in self.file_unit_names or ref in self.db_units:
            return ref
        owner = self.final_aliases.get(ref)
        return owner

    def final_parent(self, name: str) -> str | None:
        plan = self.unit_plans.get(name)
        if plan is not None:
            return plan.parent
        unit = self.db_units.get(name)
        return self.db_parent_name(unit) if unit else None

    def chain(self, name: str) -> tuple[list[str], bool]:
        """Ancestors of ``name`` after the import (nearest first) and whether there is a cycle."""
        seen = [name]
        current = self.final_parent(name)
        while current is not None:
            if current in seen:
                return seen, True
            seen.append(current)
            current = self.final_parent(current)
        return seen, False

    def in_final_scope(self, name: str) -> bool:
        if not self.restricted:
            return True
        if self.scope_root is None:
            return False
        ancestors, cycle = self.chain(name)
        return not cycle and self.scope_root.name in ancestors

    # the sheets
    def run(self) -> list[Issue]:
        self.file_unit_names = {r["name"] for r in self.rows[SHEET_UNITS] if r["name"]}
        self.final_aliases = self._final_aliases()
        self.unit_plans: dict[str, _UnitPlan] = {}
        self._check_units()
        self._check_people()
        self._check_posts()
        self.issues.sort(key=lambda i: (DATA_SHEETS.index(i.sheet), i.row))
        return self.issues

    def _final_aliases(self) -> dict[str, str]:
        aliases = {a: u for a, u in self.db_aliases.items() if u not in self.file_unit_names}
        for row in self.rows[SHEET_UNITS]:
            if row["name"]:
                for alias in _split_aliases(row["aliases"]):
                    aliases.setdefault(alias, row["name"])
        return aliases

    def _check_units(self) -> None:
        seen: dict[str, int] = {}
        alias_rows: dict[str, tuple[str, int]] = {}
        codes: dict[str, int] = {}
        db_codes = {u.code: u.name for u in self.db_units.values() if u.code}
        for row in self.rows[SHEET_UNITS]:
            name = row["name"]
            if not name:
                self.error(row, _("请填写单位名称。"), "名称")
                continue
            if name in seen:
                self.error(row, _("单位“%(name)s”与第 %(row)s 行重复。") % {"name": name, "row": seen[name]}, "名称")
                continue
            seen[name] = row.number
            existing = self.db_units.get(name)
            if existing is not None and not self.in_db_scope(existing):
                self.error(row, _("单位“%(name)s”不在您的管理范围内。") % {"name": name}, "名称")
                continue
            alias_owner = self.final_aliases.get(name)
            if alias_owner not in (None, name):
                self.error(row, _("名称“%(name)s”已是单位“%(owner)s”的别名。") % {"name": name, "owner": alias_owner},
                           "名称")
            kind = _kind_from_text(row["kind"])
            if kind is None:
                if row["kind"]:
                    self.error(row, _("单位类型“%(kind)s”无效,请从下拉列表中选择。") % {"kind": row["kind"]}, "类型")
                else:
                    self.error(row, _("请选择单位类型。"), "类型")
            parent = None
            if row["parent"]:
                parent = self.resolve_unit(row["parent"])
                if parent is None:
                    self.error(row, _("上级单位“%(name)s”不存在。") % {"name": row["parent"]}, "上级单位")
                elif parent == name:
                    self.error(row, _("单位不能是自己的上级单位。"), "上级单位")
                    parent = None
            sort_order = _parse_int(row["sort_order"])
            if sort_order is None:
                self.error(row, _("排序须为整数。"), "排序")
            is_active = _parse_flag(row["is_active"])
            if is_active is None:
                self.error(row, _("“启用”须填“是”或“否”。"), "启用")
            aliases = [a for a in _split_aliases(row["aliases"]) if a != name]
            for alias in aliases:
                if alias in self.file_unit_names or (alias in self.db_units and alias != name):
                    self.error(row, _("别名“%(alias)s”与单位名称重复。") % {"alias": alias}, "别名")
                elif self.final_aliases.get(alias) not in (None, name):
                    self.error(row, _("别名“%(alias)s”已被单位“%(owner)s”使用。")
                               % {"alias": alias, "owner": self.final_aliases[alias]}, "别名")
                elif alias in alias_rows and alias_rows[alias][0] != name:
                    self.error(row, _("别名“%(alias)s”与第 %(row)s 行重复。") % {"alias": alias, "row": alias_rows[alias][1]},
                               "别名")
                else:
                    alias_rows.setdefault(alias, (name, row.number))
                if len(alias) > UnitAlias._meta.get_field("name").max_length:
                    self.error(row, _("别名“%(alias)s”过长。") % {"alias": alias}, "别名")
            code = row["code"] or None
            if code:
                if code in codes:
                    self.error(row, _("编码“%(code)s”与第 %(row)s 行重复。") % {"code": code, "row": codes[code]}, "编码")
                elif db_codes.get(code) not in (None, name) and db_codes[code] not in self.file_unit_names:
                    self.error(row, _("编码“%(code)s”已被单位“%(owner)s”使用。") % {"code": code, "owner": db_codes[code]},
                               "编码")
                codes.setdefault(code, row.number)
            probe = Unit(name=name, short_name=row["short_name"], kind=kind or UnitKind.OTHER, code=code,
                         sort_order=sort_order or 0, path="x", depth=1)
            for field_name, messages in _model_errors(probe, ["path", "depth", "numchild"]).items():
                header = _header_for(UNIT_COLUMNS, field_name)
                for message in messages:
                    self.error(row, f"{header}:{message}" if header else message, header)
            # Invalid rows keep their place in the tree too, so that their children are checked
            # against the parent the user meant; nothing is applied while any issue stands.
            self.unit_plans[name] = _UnitPlan(row, name, parent, kind or UnitKind.OTHER, row["short_name"], code,
                                              aliases, sort_order or 0, bool(is_active))
        self._check_tree()

    def _check_tree(self) -> None:
        for name, plan in self.unit_plans.items():
            row = plan.row
            existing = self.db_units.get(name)
            ancestors, cycle = self.chain(name)
            if cycle:
                self.error(row, _("上级单位关系构成循环:%(chain)s。") % {"chain": "→".join(ancestors)}, "上级单位")
                continue
            if not self.restricted:
                continue
            if existing is not None and self.scope_root is not None and existing.pk == self.scope_root.pk:
                if plan.parent != self.db_parent_name(existing):
                    self.error(row, _("不能调整本单位的上级单位。"), "上级单位")
                continue
            if plan.parent is None:
                self.error(row, _("请填写上级单位:只能在本单位及下级单位范围内导入。"), "上级单位")
            elif not self.in_final_scope(name):
                self.error(row, _("上级单位“%(name)s”不在您的管理范围内。") % {"name": plan.parent}, "上级单位")

    def _unit_ref(self, row: Row, column: Column) -> str | None:
        ref = row[column.key]
        if not ref:
            self.error(row, _("请填写%(column)s。") % {"column": column.header}, column.header)
            return None
        name = self.resolve_unit(ref)
        if name is None:
            self.error(row, _("单位“%(name)s”不存在。") % {"name": ref}, column.header)
            return None
        existing = self.db_units.get(name)
        if (existing is not None and not self.in_db_scope(existing)) or not self.in_final_scope(name):
            self.error(row, _("单位“%(name)s”不在您的管理范围内。") % {"name": ref}, column.header)
            return None
        return name

    def _check_people(self) -> None:
        seen: dict[tuple[str, str], int] = {}
        unit_column = PERSON_COLUMNS[1]
        for row in self.rows[SHEET_PEOPLE]:
            before = len(self.issues)
            name = row["name"]
            if not name:
                self.error(row, _("请填写姓名。"), "姓名")
            unit = self._unit_ref(row, unit_column)
            is_active = _parse_flag(row["is_active"])
            if is_active is None:
                self.error(row, _("“在职”须填“是”或“否”。"), "在职")
            probe = Person(name=name or "x", title=row["title"], phone=row["phone"])
            for field_name, messages in _model_errors(probe, ["unit"]).items():
                header = _header_for(PERSON_COLUMNS, field_name)
                for message in messages:
                    self.error(row, f"{header}:{message}" if header else message, header)
            if name and unit:
                key = (unit, name)
                if key in seen:
                    self.error(row, _("%(unit)s的人员“%(name)s”与第 %(row)s 行重复。")
                               % {"unit": unit, "name": name, "row": seen[key]}, "姓名")
                seen.setdefault(key, row.number)
            if len(self.issues) == before:
                self.people.append(_PersonPlan(row, name, unit, row["title"], row["phone"], is_active))
        self.final_people = self.db_people | set(seen)

    def _holder(self, row: Row, column: Column, post_unit: str, text: str, current: Person | None):
        """Resolve "姓名" (a person of the post's unit) or "姓名@单位" to (unit, name)."""
        if HOLDER_UNIT_SEPARATOR in text:
            name, _sep, unit_ref = text.rpartition(HOLDER_UNIT_SEPARATOR)
            name, unit_ref = name.strip(), unit_ref.strip()
            unit = self.resolve_unit(unit_ref) if unit_ref else None
            if not name or unit is None:
                self.error(row, _("%(letter)s“%(text)s”中的单位不存在。") % {"letter": column.header, "text": text},
                           column.header)
                return None
        else:
            name, unit = text, post_unit
        key = (unit, name)
        if key not in self.final_people:
            self.error(row, _("%(letter)s“%(name)s”不是%(unit)s的人员。") % {"letter": column.header, "name": name,
                                                                             "unit": unit}, column.header)
            return None
        unchanged = current is not None and (current.unit.name, current.name) == key
        existing = self.db_units.get(unit)
        if not unchanged and ((existing is not None and not self.in_db_scope(existing)) or not self.in_final_scope(unit)):
            self.error(row, _("%(letter)s“%(name)s”不在您的管理范围内。") % {"letter": column.header, "name": text},
                       column.header)
            return None
        return key

    def _check_posts(self) -> None:
        seen: dict[tuple[str, str], int] = {}
        unit_column, a_column, b_column, c_column = POST_COLUMNS[0], POST_COLUMNS[3], POST_COLUMNS[4], POST_COLUMNS[5]
        for row in self.rows[SHEET_POSTS]:
            before = len(self.issues)
            title = row["title"]
            if not title:
                self.error(row, _("请填写岗位名称。"), "岗位名称")
            unit = self._unit_ref(row, unit_column)
            if unit and title:
                key = (unit, title)
                if key in seen:
                    self.error(row, _("%(unit)s的岗位“%(title)s”与第 %(row)s 行重复。")
                               % {"unit": unit, "title": title, "row": seen[key]}, "岗位名称")
                seen.setdefault(key, row.number)
            probe = Post(title=title or "x", duties=row["duties"])
            for field_name, messages in _model_errors(probe, ["unit", "a_holder", "b_holder", "c_holder"]).items():
                header = _header_for(POST_COLUMNS, field_name)
                for message in messages:
                    self.error(row, f"{header}:{message}" if header else message, header)
            holders: dict[str, tuple[str, str] | None] = {"a": None, "b": None, "c": None}
            current = self.db_posts.get((unit, title)) if unit and title else None
            if not row["a"]:
                self.error(row, _("请填写A角。"), "A角")
            if row["c"] and not row["b"]:
                self.error(row, _("请先设置B角,再设置C角。"), "C角")
            if unit:
                for column in (a_column, b_column, c_column):
                    if row[column.key]:
                        now = getattr(current, f"{column.key}_holder") if current else None
                        holders[column.key] = self._holder(row, column, unit, row[column.key], now)
            if holders["a"] and holders["a"] == holders["b"]:
                self.error(row, _("B角不能与A角是同一人。"), "B角")
            if holders["c"] and holders["c"] in (holders["a"], holders["b"]):
                self.error(row, _("C角不能与A角或B角是同一人。"), "C角")
            if len(self.issues) == before:
                self.posts.append(_PostPlan(row, unit, title, row["duties"], holders))


def _header_for(columns, field_name: str) -> str:
    for column in columns:
        if column.key == field_name:
            return column.header
    return ""


# --- applying a clean file ------------------------------------------------------------------
class _Rollback(Exception):
    pass


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for messages in exc.message_dict.values() for m in messages]
    return list(exc.messages)


def _apply(validator: _Validator, result: ImportResult) -> None:
    counts = result.counts
    depth = {name: len(validator.chain(name)[0]) for name in validator.unit_plans}
    for plan in sorted(validator.unit_plans.values(), key=lambda p: (depth[p.name], p.row.number)):
        _guard(result, plan.row, lambda plan=plan: _apply_unit(plan, counts[SHEET_UNITS]))
    lookup = _Lookup(validator)
    for plan in validator.people:
        _guard(result, plan.row, lambda plan=plan: _apply_person(plan, counts[SHEET_PEOPLE], lookup))
    for plan in validator.posts:
        _guard(result, plan.row, lambda plan=plan: _apply_post(plan, counts[SHEET_POSTS], lookup))


class _Lookup:
    """The units, people and posts the people and posts sheets refer to, loaded once after the
    units are in place. Creating people and posts never moves a unit, so the paths held here stay
    current for the rest of the import."""

    def __init__(self, validator: _Validator):
        names = {p.unit for p in validator.people} | {p.unit for p in validator.posts}
        names |= {key[0] for plan in validator.posts for key in plan.holders.values() if key}
        self.units = {u.name: u for u in Unit.objects.filter(name__in=names)}
        unit_ids = [u.pk for u in self.units.values()]
        self.people = {(p.unit_id, p.name): p for p in Person.objects.filter(unit_id__in=unit_ids)}
        self.posts = {(p.unit_id, p.title): p for p in Post.objects.filter(unit_id__in=unit_ids)}

    def person(self, key: tuple[str, str] | None) -> Person | None:
        if key is None:
            return None
        return self.people[(self.units[key[0]].pk, key[1])]


def _guard(result: ImportResult, row: Row, action) -> None:
    try:
        action()
    except ValidationError as exc:
        for message in _messages(exc):
            result.issues.append(Issue(row.sheet, row.number, message))
    except (Unit.DoesNotExist, Person.DoesNotExist, KeyError):
        # Something this row depends on failed above and was reported there.
        if not result.issues:
            result.issues.append(Issue(row.sheet, row.number, _("所依赖的单位或人员未能导入。")))


def _parent_of(unit: Unit) -> Unit | None:
    return Unit.objects.filter(path=unit.path[: -Unit.steplen]).first() if unit.depth > 1 else None


def _apply_unit(plan: _UnitPlan, counts: Counts) -> None:
    parent = Unit.objects.get(name=plan.parent) if plan.parent else None
    unit = Unit.objects.filter(name=plan.name).first()
    if unit is None:
        unit = services.unit_create(name=plan.name, parent=parent, kind=plan.kind, short_name=plan.short_name,
                                    code=plan.code, sort_order=plan.sort_order, aliases=plan.aliases)
        if not plan.is_active:
            services.unit_update(unit=unit, expected_version=unit.version, is_active=False)
        counts.created += 1
        return
    wanted = {"kind": plan.kind, "short_name": plan.short_name, "code": plan.code, "sort_order": plan.sort_order,
              "is_active": plan.is_active}
    changes = {k: v for k, v in wanted.items() if getattr(unit, k) != v}
    alias_change = sorted(set(plan.aliases)) != sorted(unit.aliases.values_list("name", flat=True))
    current_parent = _parent_of(unit)
    moved = (current_parent.pk if current_parent else None) != (parent.pk if parent else None)
    if changes or alias_change:
        unit = services.unit_update(unit=unit, expected_version=unit.version,
                                    aliases=plan.aliases if alias_change else None, **changes)
    if moved:
        services.unit_move(unit=unit, new_parent=parent)
    if changes or alias_change or moved:
        counts.updated += 1
    else:
        counts.unchanged += 1


def _apply_person(plan: _PersonPlan, counts: Counts, lookup: _Lookup) -> None:
    unit = lookup.units[plan.unit]
    person = lookup.people.get((unit.pk, plan.name))
    if person is None:
        person = services.person_create(name=plan.name, unit=unit, title=plan.title, phone=plan.phone)
        lookup.people[(unit.pk, person.name)] = person
        if not plan.is_active:
            services.person_update(person=person, expected_version=person.version, is_active=False)
        counts.created += 1
        return
    wanted = {"title": plan.title, "phone": plan.phone, "is_active": plan.is_active}
    changes = {k: v for k, v in wanted.items() if getattr(person, k) != v}
    if changes:
        services.person_update(person=person, expected_version=person.version, **changes)
        counts.updated += 1
    else:
        counts.unchanged += 1


def _apply_post(plan: _PostPlan, counts: Counts, lookup: _Lookup) -> None:
    unit = lookup.units[plan.unit]
    people = {letter: lookup.person(key) for letter, key in plan.holders.items()}
    post = lookup.posts.get((unit.pk, plan.title))
    if post is None:
        services.post_create(unit=unit, title=plan.title, duties=plan.duties, a_holder=people["a"],
                             b_holder=people["b"], c_holder=people["c"])
        counts.created += 1
        return
    wanted = {"duties": plan.duties, "a_holder": people["a"], "b_holder": people["b"], "c_holder": people["c"]}
    changes = {}
    for key, value in wanted.items():
        current = getattr(post, f"{key}_id") if key.endswith("_holder") else getattr(post, key)
        new = value.pk if key.endswith("_holder") and value is not None else value
        if current != new:
            changes[key] = value
    if changes:
        services.post_update(post=post, expected_version=post.version, **changes)
        counts.updated += 1
    else:
        counts.unchanged += 1


# --- entry points ---------------------------------------------------------------------------
def import_directory(*, user, upload, filename: str = "") -> ImportResult:
    """Import a workbook for ``user``. Raises ImportRejected when the file as a whole is
    unusable; returns a result with every bad row, or with the counts of a committed import."""
    # Every ledger entry of the import names the importer, also when run outside a request.
    with context.bind(user=user):
        return _import_directory(user=user, upload=upload, filename=filename)


def _import_directory(*, user, upload, filename: str) -> ImportResult:
    filename = (filename or getattr(upload, "name", "") or "")[:200]
    if not permissions.can(user, permissions.DIRECTORY_EDIT):
        raise ImportRejected(_("您没有导入通讯录的权限。"), status=403)
    try:
        data = _read_bytes(upload)
        check_archive(data)
        rows, issues = read_workbook(data)
    except ImportRejected as exc:
        record_rejection(filename, reason=exc.message)
        raise
    result = ImportResult(ok=False, issues=list(issues), rows={s: len(r) for s, r in rows.items()})
    validator = _Validator(user, rows)
    result.issues.extend(validator.run())
    if result.issues:
        result.issues.sort(key=lambda i: (DATA_SHEETS.index(i.sheet), i.row))
        record_rejection(filename, errors=len(result.issues), rows=result.rows)
        return result
    try:
        with transaction.atomic():
            _apply(validator, result)
            if result.issues:
                raise _Rollback
            ledger.append(event="directory_imported", object_type="orgs.directory", object_repr=filename,
                          data={"filename": filename, "rows": result.rows,
                                "counts": {s: c.as_dict() for s, c in result.counts.items()}})
    except _Rollback:
        result.counts = {s: Counts() for s in DATA_SHEETS}
        record_rejection(filename, errors=len(result.issues), rows=result.rows)
        return result
    result.ok = True
    return result


def record_rejection(filename: str, **data) -> None:
    ledger.append(event="directory_imported", outcome=Outcome.FAILURE, object_type="orgs.directory",
                  object_repr=filename, data={"filename": filename, **data})


def _style_sheet(sheet, columns) -> None:
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="1F4E79")
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}1"


def _add_list_validation(sheet, columns, key: str, options: list[str], last_row: int, title: str) -> None:
    index = next(i for i, c in enumerate(columns, start=1) if c.key == key)
    letter = get_column_letter(index)
    validation = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True,
                                showErrorMessage=True, errorTitle=title,
                                error="请从下拉列表中选择。")
    validation.add(f"{letter}2:{letter}{last_row}")
    sheet.add_data_validation(validation)


def _new_workbook(data_rows: int = 0) -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)
    last_row = data_rows + VALIDATION_ROWS
    for name in DATA_SHEETS:
        sheet = workbook.create_sheet(name)
        _style_sheet(sheet, COLUMNS[name])
    _add_list_validation(workbook[SHEET_UNITS], UNIT_COLUMNS, "kind", list(kind_labels().values()), last_row, "类型")
    _add_list_validation(workbook[SHEET_UNITS], UNIT_COLUMNS, "is_active", [YES, NO], last_row, "启用")
    _add_list_validation(workbook[SHEET_PEOPLE], PERSON_COLUMNS, "is_active", [YES, NO], last_row, "在职")
    _help_sheet(workbook.create_sheet(SHEET_HELP))
    return workbook


HELP_INTRO = (
    "填写说明",
    "1. 在“单位”“人员”“岗位”三张表中从第 2 行开始填写,第 1 行是列名,请勿修改;不需要的表可以留空。",
    "2. 导入时先校验全部行:只要有一行有误,就列出所有有误的行(工作表、行号、原因),且不导入任何数据。",
    "3. 按名称匹配已有记录:单位按名称,人员按“单位+姓名”,岗位按“单位+岗位名称”;匹配到的记录被更新,不会重复创建。导入不会删除任何记录。",
    "4. 单位管理员只能导入本单位及下级单位的数据。",
    "5. 以 = + - @ 开头的内容在导出时前面会加一个英文单引号,防止被当作公式执行;导入时会自动去掉。",
)


def _help_sheet(sheet) -> None:
    for line in HELP_INTRO:
        sheet.append([line])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    header_row = sheet.max_row + 1
    sheet.append(["工作表", "列", "必填", "说明", "示例"])
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for sheet_name in DATA_SHEETS:
        for column in COLUMNS[sheet_name]:
            sheet.append([sheet_name, column.header, YES if column.required else "", column.help,
                          neutralise(column.example)])
    for letter, width in zip("ABCDE", (10, 12, 6, 80, 24)):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=header_row + 1, min_col=4, max_col=4):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _write_rows(sheet, rows) -> None:
    for values in rows:
        sheet.append([neutralise(v) if isinstance(v, str) else v for v in values])


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def build_template() -> bytes:
    return _save(_new_workbook())


def directory_rows(user) -> dict[str, list[list]]:
    """The rows the user may see, in the import layout (parents before children)."""
    labels = kind_labels()
    units = list(selectors.units_for_user(user).prefetch_related("aliases").order_by("path"))
    visible = {u.path: u for u in units}
    parent_paths = {u.path[: -Unit.steplen] for u in units if u.depth > 1} - set(visible)
    # Units just above the visible subtree are named as parents, so the file re-imports in place.
    outside = {u.path: u for u in Unit.objects.filter(path__in=parent_paths)}
    unit_rows = []
    for unit in units:
        parent = None
        if unit.depth > 1:
            parent_path = unit.path[: -Unit.steplen]
            parent = visible.get(parent_path) or outside.get(parent_path)
        unit_rows.append([unit.name, parent.name if parent else "", labels.get(unit.kind, unit.kind),
                          unit.short_name, unit.code or "",
                          ALIAS_SEPARATOR.join(sorted(a.name for a in unit.aliases.all())), unit.sort_order,
                          YES if unit.is_active else NO])
    people = selectors.people_for_user(user).order_by("unit__path", "name")
    person_rows = [[p.name, p.unit.name, p.title, p.phone, YES if p.is_active else NO] for p in people]
    posts = selectors.posts_for_user(user).select_related(
        "a_holder__unit", "b_holder__unit", "c_holder__unit").order_by("unit__path", "title")

    def holder(post, person):
        if person is None:
            return ""
        if person.unit_id == post.unit_id:
            return person.name
        return f"{person.name}{HOLDER_UNIT_SEPARATOR}{person.unit.name}"

    post_rows = [[p.unit.name, p.title, p.duties, holder(p, p.a_holder), holder(p, p.b_holder), holder(p, p.c_holder)]
                 for p in posts]
    return {SHEET_UNITS: unit_rows, SHEET_PEOPLE: person_rows, SHEET_POSTS: post_rows}


def export_directory(*, user) -> tuple[bytes, dict[str, int]]:
    """The user's scoped directory as a workbook that re-imports unchanged; ledgered."""
    with context.bind(user=user):
        return _export_directory(user)


def _export_directory(user) -> tuple[bytes, dict[str, int]]:
    rows = directory_rows(user)
    workbook = _new_workbook(max(len(r) for r in rows.values()))
    for name, values in rows.items():
        _write_rows(workbook[name], values)
    content = _save(workbook)
    counts = {name: len(values) for name, values in rows.items()}
    with transaction.atomic():
        ledger.append(event="directory_exported", object_type="orgs.directory", data={"rows": counts})
    return content, counts


def issues_by_sheet(issues: list[Issue]) -> dict[str, list[Issue]]:
    grouped: dict[str, list[Issue]] = defaultdict(list)
    for issue in issues:
        grouped[issue.sheet].append(issue)
    return dict(grouped)

"""Workbook layout: sheet names, columns, the formula guard and the unit kind labels.

The layout is a data contract, not UI: sheet names, column headers and the unit kind labels are
always the Chinese ones, whatever the user's language, so that a file exported from an English
session re-imports anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation

from duban.orgs.models import UnitKind

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


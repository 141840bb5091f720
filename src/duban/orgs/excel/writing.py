"""Writing workbooks: the import template and a directory export, as bytes."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from duban.orgs.excel.layout import (
    COLUMNS,
    DATA_SHEETS,
    NO,
    PERSON_COLUMNS,
    SHEET_HELP,
    SHEET_PEOPLE,
    SHEET_UNITS,
    UNIT_COLUMNS,
    VALIDATION_ROWS,
    YES,
    kind_labels,
    neutralise,
)


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



def build_workbook(rows: dict[str, list[list]]) -> bytes:
    """A workbook in the import layout holding ``rows`` (sheet name -> rows of cell values)."""
    workbook = _new_workbook(max((len(r) for r in rows.values()), default=0))
    for name, values in rows.items():
        _write_rows(workbook[name], values)
    return _save(workbook)

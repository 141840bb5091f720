"""Reading an uploaded file: size, archive inspection before openpyxl sees it, then the data
rows of each known sheet.

A renamed executable, an old .xls, an encrypted file or a zip bomb (declared uncompressed size
too large — zipfile never inflates a member past its declared size, so the declaration is a
hard bound) is refused with a clear message.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl import load_workbook

from duban.orgs.excel.layout import COLUMNS, DATA_SHEETS, NO, YES, unneutralise
from duban.orgs.excel.limits import (
    MAX_ARCHIVE_MEMBERS,
    MAX_COLUMNS_READ,
    ImportRejected,
    Issue,
    max_import_bytes,
    max_import_rows,
    max_uncompressed_bytes,
)


def read_bytes(upload) -> bytes:
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


"""Reading an upload: what the file really is, its header and rows, and the typed, validated rows
that go into the snapshot (the rest is quarantined with a reason per row and column)."""

from __future__ import annotations

import codecs
import csv
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import duckdb
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from duban.datacheck import masking, schema, validators

ROW = "_row"


def max_rows() -> int:
    return int(getattr(settings, "DUBAN_DATACHECK_MAX_ROWS", 5_000_000))


def _bad(msg, code="bad_file"):
    return ValidationError({"file": ValidationError(msg, code=code)})


def sniff(raw: bytes, file_name: str) -> str:
    """csv / xlsx / parquet, from the content — and the extension must agree with it."""
    ext = os.path.splitext(file_name or "")[1].lower().lstrip(".")
    if ext not in ("csv", "xlsx", "parquet"):
        raise _bad(_("只能上传 CSV、XLSX 或 Parquet 文件。"))
    if not raw:
        raise _bad(_("文件是空的。"))
    if raw[:4] == b"PK\x03\x04":
        actual = "xlsx"
    elif raw[:4] == b"PAR1" and raw[-4:] == b"PAR1":
        actual = "parquet"
    elif b"\x00" in raw[:65536]:
        actual = "binary"
    else:
        actual = "csv"
    if actual != ext:
        raise _bad(_("文件内容与扩展名 .%(ext)s 不符,请上传真正的 %(ext_upper)s 文件。")
                   % {"ext": ext, "ext_upper": ext.upper()}, code="wrong_type")
    return actual


def decode_csv(raw: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) or GB18030 (a superset of GBK, what Excel saves on Chinese Windows)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return codecs.decode(raw, encoding), ("utf-8" if encoding == "utf-8-sig" else "gbk")
        except UnicodeDecodeError:
            continue
    raise _bad(_("无法识别文件编码(应为 UTF-8 或 GBK)。"), code="bad_encoding")


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list]]  # (line number in the file, cells)
    encoding: str = ""


def _headers(cells) -> list[str]:
    headers = [validators._text(c) for c in cells]
    while headers and not headers[-1]:
        headers.pop()
    if not headers or not any(headers):
        raise _bad(_("第一行应为表头。"), code="no_header")
    seen = set()
    for h in headers:
        if not h:
            raise _bad(_("表头有空白列。"), code="bad_header")
        if h in seen:
            raise _bad(_("表头“%(h)s”重复。") % {"h": h}, code="bad_header")
        seen.add(h)
    return headers


def read(raw: bytes, fmt: str) -> Table:
    if fmt == "csv":
        text, encoding = decode_csv(raw)
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            headers = _headers(next(reader, []))
            rows = [(n, cells) for n, cells in enumerate(reader, start=2) if any(c.strip() for c in cells)]
        except csv.Error as exc:
            raise _bad(_("CSV 格式错误:%(e)s") % {"e": exc}) from None
        table = Table(headers, rows, encoding)
    elif fmt == "xlsx":
        table = _read_xlsx(raw)
    else:
        table = _read_parquet(raw)
    if len(table.rows) > max_rows():
        raise _bad(_("文件超过 %(n)s 行。") % {"n": max_rows()}, code="too_many_rows")
    return table


def _read_xlsx(raw: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            if sum(i.file_size for i in zf.infolist()) > getattr(settings, "DUBAN_MAX_IMPORT_UNCOMPRESSED_BYTES",
                                                                  100 * 1024 * 1024) * 10:
                raise _bad(_("XLSX 文件解压后过大。"))
            if "xl/workbook.xml" not in zf.namelist():
                raise _bad(_("这不是 XLSX 工作簿。"), code="wrong_type")
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise _bad(_("XLSX 文件已损坏,无法读取。"), code="wrong_type") from None
    ws = wb.worksheets[0]
    it = ws.iter_rows(values_only=True)
    headers = _headers(next(it, ()) or ())
    rows = [(n, list(cells)) for n, cells in enumerate(it, start=2)
            if any(c is not None and str(c).strip() for c in cells)]
    wb.close()
    return Table(headers, rows)


def _read_parquet(raw: bytes) -> Table:
    with tempfile.TemporaryDirectory(prefix="duban-dc-") as tmp:
        path = os.path.join(tmp, "in.parquet")
        with open(path, "wb") as fh:
            fh.write(raw)
        con = duckdb.connect(":memory:")
        try:
            rel = con.execute("SELECT * FROM read_parquet(?)", [path])
            headers = _headers([d[0] for d in rel.description])
            rows = [(n, list(r)) for n, r in enumerate(rel.fetchall(), start=1)]
        except duckdb.Error:
            raise _bad(_("Parquet 文件已损坏,无法读取。"), code="wrong_type") from None
        finally:
            con.close()
    return Table(headers, rows)


def guess_mapping(kind: str, headers: list[str], saved: dict | None) -> dict:
    """The saved mapping where its headers are still there, else a header equal to the field's
    label or name."""
    out = {}
    for f in schema.fields(kind):
        candidates = [(saved or {}).get(f.name), str(f.label), f.name]
        out[f.name] = next((c for c in candidates if c and c in headers), "")
    return out


def check_mapping(kind: str, headers: list[str], mapping: dict) -> dict:
    """Every required field mapped to a header the file has; no header used twice."""
    errors = {}
    used = {}
    for f in schema.fields(kind):
        header = (mapping or {}).get(f.name) or ""
        if not header:
            if f.required:
                errors[f"col_{f.name}"] = ValidationError(_("必填字段“%(f)s”没有对应的列。") % {"f": f.label},
                                                          code="unmapped")
            continue
        if header not in headers:
            errors[f"col_{f.name}"] = ValidationError(
                _("文件中没有“%(h)s”这一列(文件表头:%(all)s)。") % {"h": header, "all": "、".join(headers)},
                code="header_mismatch")
        elif header in used:
            errors[f"col_{f.name}"] = ValidationError(_("“%(h)s”已对应到“%(f)s”。") % {"h": header, "f": used[header]},
                                                      code="header_twice")
        else:
            used[header] = str(f.label)
    if errors:
        raise ValidationError(errors)
    return {f.name: mapping.get(f.name) or "" for f in schema.fields(kind)}


@dataclass
class Result:
    rows: list[list] = field(default_factory=list)
    problems: list[tuple[int, str, str, str]] = field(default_factory=list)  # row, column, value (masked), reason
    bad_rows: int = 0


def validate_rows(kind: str, table: Table, mapping: dict) -> Result:
    index = {h: i for i, h in enumerate(table.headers)}
    fields = schema.fields(kind)
    result = Result()
    for line, cells in table.rows:
        out = [line]
        row_bad = False
        for f in fields:
            header = mapping.get(f.name)
            value = cells[index[header]] if header and index[header] < len(cells) else None
            if validators.is_empty(value):
                if f.required:
                    result.problems.append((line, header or str(f.label), "", _("必填项为空")))
                    row_bad = True
                out.append(None)
                continue
            try:
                out.append(validators.CLEANERS[f.type](value))
            except ValueError as exc:
                shown = masking.mask(validators._text(value), f.type)
                result.problems.append((line, header, shown[:60], str(exc)))
                row_bad = True
                out.append(None)
        if row_bad:
            result.bad_rows += 1
        else:
            result.rows.append(out)
    return result


def report_csv(problems) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([_("行号"), _("列"), _("内容(已脱敏)"), _("原因")])
    for p in problems:
        w.writerow(p)
    return buf.getvalue().encode("utf-8-sig")


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, (date, Decimal)):
        return v.isoformat() if isinstance(v, date) else format(v, "f")
    return str(v)


def to_parquet(kind: str, rows: list[list]) -> bytes:
    """The typed rows as Parquet (written by DuckDB through a private temporary CSV), with the
    integer join keys ``_k_<field>`` of the id/phone/account fields (schema.key_columns)."""
    fields = schema.fields(kind)
    columns = {ROW: "INTEGER", **{f.name: schema.SQL_TYPES[f.type] for f in fields}}
    with tempfile.TemporaryDirectory(prefix="duban-dc-") as tmp:
        src, dst = os.path.join(tmp, "rows.csv"), os.path.join(tmp, "rows.parquet")
        with open(src, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(columns)
            for r in rows:
                w.writerow([_cell(v) for v in r])
        con = duckdb.connect(":memory:")
        try:
            spec = "{" + ", ".join(f"'{k}': '{v}'" for k, v in columns.items()) + "}"
            keys = "".join(f", {expr} AS \"{name}\"" for name, expr in schema.key_columns(kind).items())
            con.execute(f"COPY (SELECT *{keys} FROM read_csv(?, header=true, columns={spec}, nullstr='', "
                        f"quote='\"', escape='\"')) TO '{dst}' (FORMAT parquet, COMPRESSION zstd)", [src])
        finally:
            con.close()
        with open(dst, "rb") as fh:
            return fh.read()

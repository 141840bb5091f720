"""Synthetic registries for the datacheck tests: valid ID numbers and credit codes are computed
with the check algorithms (never copied from real people), files are written in the tests."""

from __future__ import annotations

import csv
import io
import os
import tempfile

import duckdb
from openpyxl import Workbook

from duban.datacheck import services
from duban.datacheck.validators import USCC_CHARS, USCC_WEIGHTS, id_check_char


def make_id(n: int, birth: str = "19800101", region: str = "422801") -> str:
    """A valid 18-digit ID number: region 422801 (恩施市), birth date, sequence ``n``."""
    first17 = f"{region}{birth}{n:03d}"
    return first17 + id_check_char(first17)


def bad_check(id_number: str) -> str:
    last = id_number[-1]
    return id_number[:-1] + ("0" if last != "0" else "1")


def make_uscc(n: int) -> str:
    first17 = f"91422801MA{n:07d}"
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return first17 + USCC_CHARS[(31 - total % 31) % 31]


def csv_bytes(headers, rows, encoding="utf-8") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def xlsx_bytes(headers, rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(headers))
    for r in rows:
        ws.append(list(r))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def parquet_bytes(headers, rows) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "x.csv"), os.path.join(tmp, "x.parquet")
        with open(src, "wb") as fh:
            fh.write(csv_bytes(headers, rows))
        con = duckdb.connect()
        con.execute(f"COPY (SELECT * FROM read_csv('{src}', header=true, all_varchar=true)) TO '{dst}' (FORMAT parquet)")
        con.close()
        with open(dst, "rb") as fh:
            return fh.read()


PAYMENT_HEADERS = ["身份证号", "姓名", "补贴项目", "金额", "发放日期", "银行账号", "联系电话"]
DEATH_HEADERS = ["身份证号", "姓名", "死亡日期"]
ROSTER_HEADERS = ["身份证号", "姓名", "工作单位", "职务"]
HOUSEHOLD_HEADERS = ["户号", "身份证号", "姓名", "与户主关系"]
ENTERPRISE_HEADERS = ["统一社会信用代码", "企业名称", "股东身份证号", "股东姓名"]
CONTRACT_HEADERS = ["统一社会信用代码", "企业名称", "采购单位", "合同金额", "签订日期"]
RELATIVE_HEADERS = ["干部身份证号", "干部姓名", "亲属身份证号", "亲属姓名", "关系"]


def loaded(actor, kind, headers, rows, *, name=None, fmt="csv", mapping=None, quarantine=True):
    """A dataset version uploaded and loaded through the services (headers = the field labels, so
    the suggested mapping is the right one)."""
    raw = {"csv": csv_bytes, "xlsx": xlsx_bytes, "parquet": parquet_bytes}[fmt](headers, rows)
    version = services.dataset_upload(actor=actor, name=name or f"{kind} 数据", kind=kind, file_name=f"data.{fmt}",
                                      raw=raw, quarantine=quarantine)
    return services.dataset_load(actor=actor, version=version, mapping=mapping or services.suggested_mapping(version))

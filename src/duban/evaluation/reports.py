"""The evaluation's documents: the report (.docx with the ranking table and chart), the score sheet
with every item (.xlsx), the 通报 (.docx, official layout) and the ranking chart as a PNG.

The chart is drawn server-side into a PNG with the standard library (zlib): bars of each unit's
total, coloured by grade, in rank order — the same picture every time for the same sheet.
"""

from __future__ import annotations

import io
import json
import struct
import zlib

from django.utils.translation import gettext as _
from docx import Document
from docx.shared import Cm
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from duban.core import gongwen
from duban.evaluation.models import Grade
from duban.evaluation.selectors import ranking
from duban.tasks import lights

ISSUER = "中共恩施市委督查室"
GRADE_COLOURS = {Grade.EXCELLENT: (0x2E, 0x7D, 0x32), Grade.GOOD: (0x15, 0x65, 0xC0),
                 Grade.FAIR: (0xF9, 0xA8, 0x25), Grade.POOR: (0xC6, 0x28, 0x28)}


def _png(width: int, height: int, pixels: bytearray) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(pixels[y * width * 3:(y + 1) * width * 3]) for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def bars_png(values: list[tuple[float, tuple[int, int, int]]], top: float = 100.0, width: int = 900,
             height: int = 360) -> bytes:
    """A bar chart: one bar per value (0 … top), with a baseline and grid lines every 20%."""
    pixels = bytearray(b"\xff" * (width * height * 3))

    def rect(x0, y0, x1, y1, colour):
        for y in range(max(0, y0), min(height, y1)):
            row = y * width * 3
            for x in range(max(0, x0), min(width, x1)):
                pixels[row + x * 3:row + x * 3 + 3] = bytes(colour)

    margin = 20
    plot_h = height - 2 * margin
    for step in range(6):
        y = margin + plot_h - round(plot_h * step / 5)
        rect(margin, y, width - margin, y + 1, (0xDD, 0xDD, 0xDD))
    n = max(1, len(values))
    slot = (width - 2 * margin) / n
    for i, (value, colour) in enumerate(values):
        h = round(plot_h * max(0.0, min(value, top)) / top) if top else 0
        x0 = margin + round(i * slot + slot * 0.15)
        x1 = margin + round((i + 1) * slot - slot * 0.15)
        rect(x0, margin + plot_h - h, max(x1, x0 + 1), margin + plot_h, colour)
    rect(margin, margin + plot_h, width - margin, margin + plot_h + 2, (0x33, 0x33, 0x33))
    return _png(width, height, pixels)


def ranking_png(evaluation) -> bytes:
    scores = list(ranking(evaluation)[:200])
    top = max([100.0, *[float(s.total) for s in scores]])
    return bars_png([(float(s.total), GRADE_COLOURS.get(s.grade, (0x66, 0x66, 0x66))) for s in scores], top=top)


def _movement(score) -> str:
    if score.movement is None:
        return "—"
    if score.movement > 0:
        return f"↑{score.movement}"
    if score.movement < 0:
        return f"↓{-score.movement}"
    return "→"


def _ranking_rows(evaluation, limit=None) -> list[list[str]]:
    rows = [[_("名次"), _("单位"), _("总分"), _("等次"), _("较上期")]]
    for s in ranking(evaluation)[:limit]:
        rank = f"{s.rank}{_('(并列)') if s.tied else ''}"
        rows.append([rank, s.unit.name, f"{s.total:.2f}", s.get_grade_display(), _movement(s)])
    return rows


def _grade_summary(evaluation) -> str:
    counts = {g: 0 for g in Grade}
    for grade in ranking(evaluation).values_list("grade", flat=True):
        counts[grade] = counts.get(grade, 0) + 1
    return "、".join(f"{g.label}{counts[g]}个" for g in Grade)


def _with_chart(data: bytes, evaluation, caption: str) -> bytes:
    doc = Document(io.BytesIO(data))
    doc.add_paragraph(caption)
    doc.add_picture(io.BytesIO(ranking_png(evaluation)), width=Cm(15.6))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def report_docx(evaluation) -> bytes:
    scheme = evaluation.scheme
    items = "、".join(f"{i.name}({i.weight.normalize():f}分)" for i in scheme.items.order_by("position"))
    paragraphs = [
        _("依据《%(name)s》(第%(v)s版),对%(category)s %(n)s 个单位 %(year)s 年度工作进行考评,统计截止 %(as_of)s。")
        % {"name": scheme.name, "v": scheme.version, "category": evaluation.get_category_display(),
           "n": ranking(evaluation).count(), "year": evaluation.year, "as_of": evaluation.as_of.isoformat()},
        _("考评项目:%(items)s。") % {"items": items},
        _("考评结果:%(summary)s。计分表摘要(SHA-256):%(sha)s,第 %(rev)s 版。")
        % {"summary": _grade_summary(evaluation), "sha": evaluation.sha256, "rev": evaluation.revision},
    ]
    data = gongwen.render(gongwen.Gongwen(
        issuer=ISSUER, title=_("%(year)s年度%(category)s考评报告") % {"year": evaluation.year,
                                                                 "category": evaluation.get_category_display()},
        paragraphs=paragraphs, table=_ranking_rows(evaluation), date=lights.today(), header_suffix=""))
    return _with_chart(data, evaluation, _("附图:各单位考评总分(按名次排列,颜色为等次)"))


def bulletin_docx(evaluation) -> bytes:
    """考评结果通报: the grades, the top and the bottom of the ranking."""
    scores = list(ranking(evaluation))
    excellent = "、".join(s.unit.name for s in scores if s.grade == Grade.EXCELLENT) or _("无")
    poor = "、".join(s.unit.name for s in scores if s.grade == Grade.POOR) or _("无")
    paragraphs = [
        _("根据%(year)s年度考评结果(%(status)s),现将%(category)s考评情况通报如下。")
        % {"year": evaluation.year, "status": evaluation.get_status_display(),
           "category": evaluation.get_category_display()},
        _("一、评为优秀的单位:%(units)s。") % {"units": excellent},
        _("二、评为较差的单位:%(units)s。请上述单位认真分析原因,限期整改。") % {"units": poor},
        _("三、各单位可在考评系统中查看本单位计分明细,每一分均可追溯到原始记录。"),
    ]
    return gongwen.render(gongwen.Gongwen(
        issuer=ISSUER, number=gongwen.number_for("督考", evaluation.year, evaluation.pk),
        title=_("关于%(year)s年度考评结果的通报") % {"year": evaluation.year}, recipient=_("各乡镇、办事处,市直各部门:"),
        paragraphs=paragraphs, table=_ranking_rows(evaluation, 20), date=lights.today()))


def report_xlsx(evaluation) -> bytes:
    items = list(evaluation.scheme.items.order_by("position"))
    wb = Workbook()
    ws = wb.active
    ws.title = _("计分表")
    header = [_("名次"), _("并列"), _("单位"), *[f"{i.name}({i.weight.normalize():f})" for i in items], _("总分"), _("等次"),
              _("上期名次")]
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True)
    for s in ranking(evaluation):
        ws.append([s.rank, _("是") if s.tied else "", s.unit.name,
                   *[float(s.items.get(str(i.pk), {}).get("score", 0)) for i in items],
                   float(s.total), s.get_grade_display(), s.previous_rank or ""])
    notes = wb.create_sheet(_("计分依据"))
    notes.append([_("单位"), _("考评项目"), _("得分"), _("计算"), _("原始数据")])
    # The measures are in the current revision's sheet (the canonical JSON whose hash is in the ledger).
    latest = evaluation.revisions.order_by("-revision").first()
    measures = {}
    if latest is not None:
        for line in json.loads(latest.sheet)["units"]:
            for key, cell in line["items"].items():
                measures[(line["unit"], key)] = cell.get("raw", {})
    for s in ranking(evaluation):
        for i in items:
            cell = s.items.get(str(i.pk), {})
            raw = measures.get((s.unit_id, str(i.pk)), {})
            notes.append([s.unit.name, i.name, float(cell.get("score", 0)), cell.get("note", ""),
                          ", ".join(f"{k}={v}" for k, v in sorted(raw.items()))])
    meta = wb.create_sheet(_("说明"))
    meta.append([_("方案"), f"{evaluation.scheme.name} v{evaluation.scheme.version}"])
    meta.append([_("统计截止"), evaluation.as_of.isoformat()])
    meta.append([_("版次"), evaluation.revision])
    meta.append(["SHA-256", evaluation.sha256])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

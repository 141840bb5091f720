"""Render a GB/T 9704-2012 style 公文 (official document) as .docx bytes.

A small helper over python-docx shared by the apps that produce documents (督办单, 督查通报,
会议纪要). It lays out the parts of the standard in order:

    红头 (issuing office, red, 小标宋)  →  文号 (督〔2026〕12号)  →  red rule
    →  title (小标宋 2号, centred)  →  主送  →  body paragraphs (仿宋_GB2312 3号,
    first-line indent 2 characters)  →  optional table  →  联系人/电话
    →  落款 (issuing office) and date (2026年12月3日)  →  印章 placeholder

Chinese glyphs only use the font named in ``w:eastAsia``; python-docx's ``font.name`` sets the
ASCII/hAnsi fonts only, so every run gets its East-Asian font set explicitly.

Usage::

    data = render(Gongwen(issuer="中共某县委督查室", number="督〔2026〕12号",
                          title="关于……的督办通知", recipient="县交通运输局:",
                          paragraphs=["……", "……"], date=date(2026, 12, 3)))
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date as date_cls

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

RED = RGBColor(0xE6, 0x00, 0x12)

# GB/T 9704 font sizes: 初号 42pt, 小初 36pt, 一号 26pt, 二号 22pt, 三号 16pt, 四号 14pt.
SIZE_HEADER = Pt(36)
SIZE_TITLE = Pt(22)
SIZE_BODY = Pt(16)
SIZE_TABLE = Pt(14)

FONT_TITLE = "方正小标宋简体"
FONT_BODY = "仿宋_GB2312"
FONT_HEITI = "黑体"
SEAL_PLACEHOLDER = "(印章)"


@dataclass
class Gongwen:
    issuer: str  # 发文机关 for the 红头 and the 落款
    title: str
    number: str = ""  # 发文字号, e.g. 督〔2026〕12号
    recipient: str = ""  # 主送机关, e.g. "县交通运输局:"
    paragraphs: list[str] = field(default_factory=list)
    table: list[list[str]] | None = None  # first row is the header row
    contact: str = ""  # 联系人
    phone: str = ""
    date: date_cls | None = None
    seal: bool = True  # print the 印章 placeholder above the date
    header_suffix: str = "文件"  # "中共某县委督查室文件"; "" for a plain 红头


def chinese_date(value: date_cls) -> str:
    """2026年12月3日 — GB/T 9704 writes the 成文日期 in Arabic numerals without leading zeros."""
    return f"{value.year}年{value.month}月{value.day}日"


def number_for(prefix: str, year: int, seq: int) -> str:
    """督〔2026〕12号: 发文字号 with the year in 六角括号 and no leading zeros."""
    return f"{prefix}〔{year}〕{seq}号"


def _set_run_font(run, name: str, size, *, bold: bool = False, color: RGBColor | None = None) -> None:
    run.font.name = name
    run.font.size = size
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), name)


def _paragraph(doc, text: str, *, font: str = FONT_BODY, size=SIZE_BODY, align=None, bold: bool = False,
               color: RGBColor | None = None, indent_chars: int = 0, space_after=None):
    par = doc.add_paragraph()
    if align is not None:
        par.alignment = align
    fmt = par.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = space_after if space_after is not None else Pt(0)
    fmt.line_spacing = Pt(28)  # 每行 28 磅 ≈ 22 lines per page as the standard asks
    if indent_chars:
        fmt.first_line_indent = Pt(size.pt * indent_chars)
    if text:
        _set_run_font(par.add_run(text), font, size, bold=bold, color=color)
    return par


def _red_rule(doc) -> None:
    """A red horizontal rule under the 文号: a bottom border on an empty paragraph."""
    par = doc.add_paragraph()
    par.paragraph_format.space_after = Pt(12)
    ppr = par._element.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), "12")  # eighths of a point: 1.5 pt
    bottom.set(qn("w:space"), "1")
    bottom.set(qn("w:color"), "E60012")
    borders.append(bottom)
    ppr.append(borders)


def _table(doc, rows: list[list[str]]) -> None:
    width = max(len(row) for row in rows)
    table = doc.add_table(rows=len(rows), cols=width)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for r, row in enumerate(rows):
        for c in range(width):
            cell = table.cell(r, c)
            cell.text = ""
            par = cell.paragraphs[0]
            par.alignment = WD_ALIGN_PARAGRAPH.CENTER
            text = row[c] if c < len(row) else ""
            _set_run_font(par.add_run(str(text)), FONT_HEITI if r == 0 else FONT_BODY, SIZE_TABLE)


def render(doc_data: Gongwen) -> bytes:
    """The document as .docx bytes."""
    doc = Document()
    section = doc.sections[0]
    # GB/T 9704: A4, 天头 37 mm, 订口 28 mm, 版心 156 × 225 mm.
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)

    normal = doc.styles["Normal"]
    normal.font.name = FONT_BODY
    normal.font.size = SIZE_BODY
    normal.element.get_or_add_rPr()
    rfonts = normal.element.rPr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        normal.element.rPr.insert(0, rfonts)
    rfonts.set(qn("w:eastAsia"), FONT_BODY)

    # 红头
    _paragraph(doc, f"{doc_data.issuer}{doc_data.header_suffix}", font=FONT_TITLE, size=SIZE_HEADER,
               align=WD_ALIGN_PARAGRAPH.CENTER, color=RED, space_after=Pt(24))
    # 文号
    if doc_data.number:
        _paragraph(doc, doc_data.number, align=WD_ALIGN_PARAGRAPH.CENTER)
    _red_rule(doc)
    # 标题
    _paragraph(doc, doc_data.title, font=FONT_TITLE, size=SIZE_TITLE, align=WD_ALIGN_PARAGRAPH.CENTER,
               space_after=Pt(16))
    # 主送
    if doc_data.recipient:
        _paragraph(doc, doc_data.recipient)
    # 正文
    for text in doc_data.paragraphs:
        _paragraph(doc, text, indent_chars=2)
    if doc_data.table:
        _table(doc, doc_data.table)
    # 联系人
    if doc_data.contact or doc_data.phone:
        contact = "联系人:" + doc_data.contact
        if doc_data.phone:
            contact += f",电话:{doc_data.phone}"
        _paragraph(doc, f"({contact})", indent_chars=2)
    # 落款, 印章, 成文日期
    _paragraph(doc, "")
    if doc_data.seal:
        _paragraph(doc, SEAL_PLACEHOLDER, align=WD_ALIGN_PARAGRAPH.RIGHT, color=RED)
    _paragraph(doc, doc_data.issuer, align=WD_ALIGN_PARAGRAPH.RIGHT)
    if doc_data.date is not None:
        _paragraph(doc, chinese_date(doc_data.date), align=WD_ALIGN_PARAGRAPH.RIGHT)

    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()

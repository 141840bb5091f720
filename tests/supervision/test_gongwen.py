"""core/gongwen.py renders a GB/T 9704 style document that python-docx reads back."""

import io
from datetime import date

from docx import Document
from docx.oxml.ns import qn

from duban.core.gongwen import (
    FONT_BODY,
    FONT_TITLE,
    RED,
    SEAL_PLACEHOLDER,
    Gongwen,
    chinese_date,
    number_for,
    render,
)


def _doc():
    data = render(Gongwen(
        issuer="中共市委办公室督查室", number=number_for("督", 2026, 12), title="关于加快推进道路建设的督办通知",
        recipient="芭蕉侗族乡:", paragraphs=["你单位承办的任务已逾期。", "请于2026年12月10日前书面反馈。"],
        table=[["事项", "期限"], ["道路建设", "2026年11月30日"]], contact="张三", phone="0744-1234567",
        date=date(2026, 12, 3)))
    assert data[:2] == b"PK"
    return Document(io.BytesIO(data))


def _east_asian(run):
    return run._element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))


def test_the_document_reads_back_with_every_part_in_order():
    doc = _doc()
    texts = [p.text for p in doc.paragraphs if p.text]
    assert texts == [
        "中共市委办公室督查室文件", "督〔2026〕12号", "关于加快推进道路建设的督办通知", "芭蕉侗族乡:",
        "你单位承办的任务已逾期。", "请于2026年12月10日前书面反馈。", "(联系人:张三,电话:0744-1234567)",
        SEAL_PLACEHOLDER, "中共市委办公室督查室", "2026年12月3日"]
    table = doc.tables[0]
    assert [c.text for c in table.rows[1].cells] == ["道路建设", "2026年11月30日"]


def test_the_red_header_title_and_body_use_the_standard_fonts_and_sizes():
    doc = _doc()
    header, _number, rule, title = doc.paragraphs[:4]
    assert header.runs[0].font.color.rgb == RED
    assert _east_asian(header.runs[0]) == FONT_TITLE
    assert _east_asian(title.runs[0]) == FONT_TITLE and title.runs[0].font.size.pt == 22
    body = doc.paragraphs[5]
    assert _east_asian(body.runs[0]) == FONT_BODY and body.runs[0].font.size.pt == 16
    assert body.paragraph_format.first_line_indent.pt == 32  # two characters of 16 pt
    assert 'w:color="E60012"' in rule._element.xml


def test_dates_and_numbers_follow_the_standard_without_leading_zeros():
    assert chinese_date(date(2026, 1, 5)) == "2026年1月5日"
    assert number_for("督", 2027, 1) == "督〔2027〕1号"

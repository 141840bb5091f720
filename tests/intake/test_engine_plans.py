"""The shapes of work plans, notices and reports besides speeches, each on a short text written for
the test: paragraph-led items, end-of-item deadline/unit parentheses, month-only deadlines with the
document's year, task tables (TAB rows, flattened, .docx, .xlsx), PDFs, and the genre documents of
tests/data/intake_genre/ scored against their hand labels."""

import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pytest

from duban.intake.engine import IntakeError, analyse
from duban.intake.engine.score import score

GENRE = Path(__file__).resolve().parents[1] / "data" / "intake_genre"


def texts(d):
    return [d.text[t.start:t.end] for t in d.tasks()]


def units(node):
    return [u.name for u in node.units]


REPORT = """2025年某某市政府工作报告
——2025年1月8日在某某市第十六届人民代表大会第五次会议上
市长 赵明
一、2025年重点工作
（一）着力扩大有效需求。坚持把扩大内需作为战略基点。
促进消费提质扩容。开展消费促进活动，年底前建成一刻钟便民生活圈30个。
扩大有效投资，增强发展后劲。实施重大项目320个，完成投资1200亿元。
其中，产业项目占比不低于60%。（市发展改革委牵头，市财政局配合）
专栏1 重大项目清单
交通项目45个、水利项目20个。
深化国资国企改革。推动市属企业重组整合，持续推进。（市国资委牵头）
"""


def test_paragraphs_that_open_with_a_lead_sentence_are_one_item_each():
    d = analyse(REPORT, filename="report.txt")
    got = texts(d)
    assert [t.split("。")[0] for t in got] == ["促进消费提质扩容", "扩大有效投资，增强发展后劲", "深化国资国企改革"]
    # the paragraph without a lead sentence continues the item before it, with its parenthesis
    invest = d.tasks()[1]
    assert d.text[invest.start:invest.end].endswith("（市发展改革委牵头，市财政局配合）")
    assert units(invest) == ["市发展改革委", "市财政局"]
    # the 专栏 box is context, its numbers are no task
    box = next(n for n in d.nodes() if n.context_kind == "box")
    assert box.role == "context" and "交通项目45个" in d.text[box.start:box.end]


def test_a_lasting_item_has_no_fixed_date_and_a_dated_one_keeps_its_own():
    d = analyse(REPORT, filename="report.txt")
    consume, invest, soe = d.tasks()
    assert consume.deadline.date == date(2025, 12, 31)
    assert invest.deadline.date == date(2025, 12, 31) and invest.deadline.inherited  # 2025年重点工作
    assert soe.deadline is None  # 持续推进, although the heading names 2025
    assert units(soe) == ["市国资委"]


PLAN = """某某市2024年优化营商环境行动计划
一、重点任务
（一）提升政务服务效能
1.推进“一网通办”。整合各类政务服务平台。
推动高频事项全部接入市政务服务平台。（6月底前完成，牵头单位：市审批服务局，配合单位：市大数据中心、各县市区人民政府）
2.推行“免证办”服务。推动电子证照全面应用。（三季度，市大数据中心牵头，市公安局配合）
（二）优化市场准入
3.压缩企业开办时间。企业开办时间压缩至1个工作日以内，10月底前完成系统改造。（市市场监管局负责，持续推进）
4.缓解企业融资难题。新增普惠小微贷款50亿元。（人行某某市分行、市地方金融管理局按职责分工负责）
"""


def test_a_parenthesis_at_the_end_gives_the_whole_item_its_deadline_and_units():
    d = analyse(PLAN, filename="plan.txt")
    one, two, three, four = d.tasks()
    assert d.text[one.start:one.end].startswith("1.推进") and "推动高频事项" in d.text[one.start:one.end]
    assert one.deadline.date == date(2024, 6, 30)  # the year of the title
    assert units(one) == ["市审批服务局", "市大数据中心", "各县市区人民政府"]  # 牵头 first, then 配合
    assert two.deadline.date == date(2024, 9, 30) and units(two) == ["市大数据中心", "市公安局"]
    # 持续推进 in the parenthesis, but the body names a date: the body's date wins
    assert three.deadline.date == date(2024, 10, 31)
    # units outside the directory are kept as written
    assert units(four) == ["人行某某市分行", "市地方金融管理局"] and four.deadline is None
    # numbering that runs on across the (一)/(二) sections
    assert [t.marker for t in d.tasks()] == ["1", "2", "3", "4"]
    assert any("标题年份" in w for w in d.warnings)


@pytest.mark.parametrize("head, expected", [
    ("某某市数字经济三年行动计划（2025—2027年）\n", date(2025, 6, 30)),
    ("关于印发某某工作方案的通知\n某政办发〔2023〕5号\n2026年2月3日\n", date(2026, 6, 30)),
    ("某某县2024年度重点工作方案\n", date(2024, 6, 30)),
])
def test_a_month_only_deadline_takes_its_year_from_the_document(head, expected):
    d = analyse(head + "一、重点任务\n（一）加快项目建设。完成项目入库，6月底前完成。\n", filename="x.txt")
    assert d.tasks()[0].deadline.date == expected


TAB_TABLE = """某某县2024年人居环境整治实施方案
具体任务见下表：
序号\t工作任务\t具体措施\t牵头单位\t配合单位\t完成时限
1\t厕所革命\t完成户厕改造1500户。\t县农业农村局\t县卫生健康局\t2024年6月
2\t厕所革命\t建立户厕长效管护机制。\t\t各乡镇人民政府\t三季度
3\t污水治理\t新增治理行政村20个。\t县生态环境分局\t\t年底前
4\t村庄清洁\t健全村庄清洁长效机制。\t各乡镇人民政府\t\t长期坚持
"""


def test_a_task_table_gives_one_item_per_row_with_units_carried_down():
    d = analyse(TAB_TABLE, filename="t.txt")
    rows = d.tasks()
    assert [r.kind for r in rows] == ["row"] * 4
    assert [units(r) for r in rows] == [["县农业农村局", "县卫生健康局"], ["县农业农村局", "各乡镇人民政府"],
                                        ["县生态环境分局"], ["各乡镇人民政府"]]
    assert [r.deadline.date if r.deadline else None for r in rows] == [
        date(2024, 6, 30), date(2024, 9, 30), date(2024, 12, 31), None]
    # rows are grouped by the 工作任务 column
    assert [n.title for n in d.outline if n.kind == "area"] == ["厕所革命", "污水治理", "村庄清洁"]


FLAT = """某某市2025年城市更新实施方案
一、重点任务
任务分解表
序号
工作任务
牵头单位
完成时限
1
完成老旧小区改造120个。
市住房城乡建设局
2025年12月底前
2
建立改造项目储备库。
6月底前
3
新建口袋公园30个。
市园林局
持续推进
二、保障措施
各区要落实属地责任。
"""


def test_a_flattened_table_is_read_row_by_row_and_a_merged_cell_applies_below():
    d = analyse(FLAT, filename="flat.txt")
    rows = [t for t in d.tasks() if t.kind == "row"]
    assert [d.text[r.start:r.end].split("\n")[1] for r in rows] == [
        "完成老旧小区改造120个。", "建立改造项目储备库。", "新建口袋公园30个。"]
    assert [units(r) for r in rows] == [["市住房城乡建设局"], ["市住房城乡建设局"], ["市园林局"]]
    assert rows[1].deadline.date == date(2025, 6, 30) and rows[2].deadline is None
    # the text after the table is read as text again
    assert any(d.text[t.start:t.end].endswith("各区要落实属地责任。") for t in d.tasks())


def _docx_with_table() -> bytes:
    import docx

    doc = docx.Document()
    doc.add_paragraph("某某市2025年城市更新实施方案")
    doc.add_paragraph("加强组织领导。", style="List Number")
    doc.add_paragraph("任务分解如下：")
    table = doc.add_table(rows=4, cols=4)
    for j, h in enumerate(["序号", "工作任务", "责任单位", "完成时限"]):
        table.cell(0, j).text = h
    for i, row in enumerate([["1", "完成老旧小区改造120个。", "市住房城乡建设局", "2025年12月底前"],
                             ["2", "建设城市生命线监测平台。", "", "9月底前"],
                             ["3", "新建口袋公园30个。", "市园林局", "年底前"]], start=1):
        for j, v in enumerate(row):
            table.cell(i, j).text = v
    table.cell(1, 2).merge(table.cell(2, 2))
    table.cell(1, 2).text = "市住房城乡建设局"
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def test_a_docx_table_is_read_in_place_with_word_numbering_and_merged_cells():
    d = analyse(_docx_with_table(), filename="plan.docx")
    assert "1.加强组织领导。" in d.text  # Word's own list number is written out
    lines = d.text.split("\n")
    assert lines.index("任务分解如下：") < next(i for i, ln in enumerate(lines) if ln.startswith("序号"))
    rows = [t for t in d.tasks() if t.kind == "row"]
    assert [units(r) for r in rows] == [["市住房城乡建设局"], ["市住房城乡建设局"], ["市园林局"]]
    assert [r.deadline.date for r in rows] == [date(2025, 12, 31), date(2025, 9, 30), date(2025, 12, 31)]


def _xlsx() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["某某县2024年度乡村振兴考核细则"])
    ws.merge_cells("A1:F1")
    ws.append(["序号", "考核项目", "考核内容", "分值", "评分标准", "责任单位"])
    ws.append([1, "产业发展", "新培育龙头企业3家。", 10, "每少1家扣3分。", "县农业农村局"])
    ws.append([2, None, "建设高标准农田1.2万亩，10月底前完成。", 10, "按比例计分。", None])
    ws.append([3, "乡村治理", "推进移风易俗。", 6, "未建立的每村扣0.5分。", "县委宣传部"])
    ws.merge_cells("B3:B4")
    ws.merge_cells("F3:F4")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_an_xlsx_whose_header_is_not_the_first_row_gives_one_item_per_row():
    d = analyse(_xlsx(), filename="rules.xlsx")
    rows = d.tasks()
    assert [r.kind for r in rows] == ["row"] * 3
    assert [units(r) for r in rows] == [["县农业农村局"], ["县农业农村局"], ["县委宣传部"]]
    assert rows[1].deadline.date == date(2024, 10, 31)
    # scoring points and penalty rules are no targets
    assert all(t.measure != "分" for r in rows for t in r.targets)
    assert [t.quantity for t in rows[0].targets] == [3.0]


def _pdf(lines: list[str]) -> bytes:
    """A minimal PDF with a text layer: a Type0 font (Identity-H) and a ToUnicode map, one line per
    Tj; no glyphs are embedded (a reader shows boxes, but the text layer is exact)."""
    chars = sorted({c for ln in lines for c in ln})
    cid = {c: i + 1 for i, c in enumerate(chars)}
    bf = "\n".join(f"<{cid[c]:04X}> <{ord(c):04X}>" for c in chars)
    cmap = ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /U def "
            "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
            f"{len(chars)} beginbfchar\n{bf}\nendbfchar endcmap end end").encode()
    y, ops = 800, []
    for ln in lines:
        ops.append(f"BT /F1 12 Tf 40 {y} Td <{''.join(f'{cid[c]:04X}' for c in ln)}> Tj ET")
        y -= 16
    content = "\n".join(ops).encode()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
            b"/Contents 4 0 R >>"),
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
            (b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong /Encoding /Identity-H "
            b"/DescendantFonts [6 0 R] /ToUnicode 7 0 R >>"),
            (b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /STSong /CIDSystemInfo "
            b"<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>"),
            b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for k, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % k + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def test_a_text_pdf_is_read_and_its_hard_line_breaks_are_joined():
    pdf = _pdf(["某某市2024年优化营商环境行动计划", "一、重点任务",
                "1.推进政务服务一网通办。整合各类政务服务平台，推动高",
                "频事项全部接入平台。（6月底前完成，牵头单位：市审批服务局）",
                "2.推行免证办服务。推动电子证照在政务服务中全面应用。",
                "（年底前完成，市大数据中心牵头）"])
    d = analyse(pdf, filename="plan.pdf")
    one, two = d.tasks()
    assert "推动高频事项" in d.text  # the broken line is joined
    assert one.deadline.date == date(2024, 6, 30) and units(one) == ["市审批服务局"]
    assert two.deadline.date == date(2024, 12, 31) and units(two) == ["市大数据中心"]


def test_a_pdf_without_a_text_layer_is_refused_with_a_clear_message():
    with pytest.raises(IntakeError, match="扫描件"):
        analyse(_pdf(["abc"]), filename="scan.pdf")


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_a_docx_with_macros_or_a_zip_bomb_is_refused():
    with pytest.raises(IntakeError, match="宏"):
        analyse(_zip({"word/document.xml": b"<x/>", "word/vbaProject.bin": b"x"}), filename="m.docx")
    with pytest.raises(IntakeError, match="压缩炸弹"):
        analyse(_zip({"word/document.xml": b"<x/>", "word/media/big.bin": b"\0" * (90 * 1024 * 1024)}),
                filename="bomb.docx")


@pytest.mark.parametrize("labels", sorted(GENRE.glob("*.labels.json")), ids=lambda p: p.name)
def test_the_genre_documents_score_at_the_goals(labels):
    spec = json.loads(labels.read_text("utf-8"))
    source = GENRE / spec["source"]
    result = score(analyse(source.read_bytes(), filename=source.name), spec)
    assert result["f1"] >= 0.9, result["missed"] + result["false_positives"]
    assert result["deadline_accuracy"] >= 0.9, [p for p in result["pairs"] if not p["deadline_ok"]]
    assert result["unit_accuracy"] >= 0.85, [p for p in result["pairs"] if not p["units_ok"]]


NOTICE = """某某市2024年度高质量发展综合考评办法
一、考评对象
各县（市、区）人民政府，市直各部门。
二、考评内容
序号\t考评内容\t评分标准\t分值\t责任单位
1\t地区生产总值增长6%以上。\t每低0.1个百分点扣0.5分。\t10\t市发展改革委、市统计局
2\t新增城镇就业3万人。\t按完成比例计分。\t6\t市人力资源社会保障局
三、考评方式
考评工作由市委督查室、市政府督查室负责组织实施，年底前完成。
（市审批服务局牵头，6月底前完成）
"""


def test_a_notice_with_its_assessment_table_gives_the_rows_and_no_fact_sections():
    d = analyse(NOTICE, filename="notice.txt")
    kinds = [(t.kind, units(t)) for t in d.tasks()]
    assert kinds == [("row", ["市发展改革委", "市统计局"]), ("row", ["市人力资源社会保障局"]),
                     ("item", ["市审批服务局"])]
    # scoring rules are no targets; the table hangs under its bare heading
    assert [t.text for t in d.tasks()[0].targets] == ["6%以上"]
    heading = next(n for n in d.nodes() if n.title == "考评内容")
    assert heading.role == "structure" and [c.kind for c in heading.children] == ["row", "row"]
    # '考评对象' states who is assessed: context, not a task
    assert next(n for n in d.nodes() if n.title == "考评对象").role == "context"


def test_units_after_you_named_with_you_responsible_are_the_units():
    d = analyse("某某市2024年工作方案\n一、工作安排\n（一）开展督查。督查工作由市委督查室、市政府督查室负责，每季度通报。\n"
                "（二）加强宣传。宣传工作由市委宣传部牵头，年底前完成。\n", filename="x.txt")
    assert [units(t) for t in d.tasks()] == [["市委督查室", "市政府督查室"], ["市委宣传部"]]

"""Builds the blind genre documents (written for the project, never tuned on before they were
scored) and writes every document's labels JSON from the hand labels below.

Run from the repository root:  .venv/bin/python tests/data/intake_blind/build.py [--pdf]
Each item is given by the first and last words of its span in the document's text (as the intake
engine loads it), with its deadline and responsible units as a 督查室 labeller would set them.
Offsets are computed here; the decisions are the labeller's.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# --- a city 实施方案 whose 任务清单 a scraper flattened to one cell per line ----------------------------
FLAT_HEAD = [
    "某某市教育局 某某市财政局关于印发《某某市学前教育普及普惠提升实施方案（2026—2028年）》的通知",
    "各区县（市）人民政府，市直有关单位：",
    "现将《某某市学前教育普及普惠提升实施方案（2026—2028年）》印发给你们，请结合实际认真贯彻落实。",
    "某某市教育局　某某市财政局",
    "2026年2月10日",
    "某某市学前教育普及普惠提升实施方案（2026—2028年）",
    "为深入贯彻落实《中华人民共和国学前教育法》，加快建设覆盖城乡、布局合理、公益普惠、安全优质的学前教育公共服务体系，结合我市实际，制定本方案。",
    "一、主要目标",
    "到2028年，全市学前三年毛入园率达到95%以上，普惠性幼儿园覆盖率达到90%以上，公办园在园幼儿占比达到60%以上。",
    "二、重点任务",
    "各地各有关部门要对照重点任务清单（见附件），逐项明确责任人和时间表，确保各项任务按期完成。",
    "三、保障措施",
    "（一）加强组织领导。各区县（市）人民政府要落实发展学前教育的主体责任，将学前教育纳入经济社会发展规划，每半年向市政府报告一次工作进展。",
    "（二）强化督导评估。市政府教育督导室要将本方案落实情况纳入对区县（市）政府履行教育职责评价，评价结果向社会公布。",
    "附件",
    "重点任务清单",
]
FLAT_HEADER = ["序号", "任务内容", "牵头单位", "责任单位", "完成时间"]
# None = a merged cell (written once above; the scraper writes it once)
FLAT_ROWS = [
    ["1", "新建、改扩建公办幼儿园30所，新增公办学位9000个。", "市教育局", "各区县（市）人民政府", "2026年12月底前"],
    ["2", "开展城镇小区配套幼儿园专项治理，已建成未移交的全部完成移交。", None, "市自然资源和规划局、市住房城乡建设局", "2026年9月底前"],
    ["3", "建立学前教育生均公用经费财政拨款制度，公办园生均公用经费标准不低于每生每年600元。", "市财政局", "市教育局", "2026年6月底前"],
    ["4", "落实公办园教职工编制标准，分批核定公办园人员编制。", "市委编办", "市教育局、市人力资源社会保障局", "2027年"],
    ["5", "实施幼儿园教师素质提升计划，每年培训幼儿园园长和骨干教师1000人次。", "市教育局", "各区县（市）人民政府", "每年"],
    ["6", "开展幼儿园保育教育质量评估，2027年底前实现全市幼儿园评估全覆盖。", None, "各区县（市）人民政府", "持续推进"],
    ["7", "加强幼儿园安全管理，落实校园安全防范“四个100%”要求。", "市公安局", "市教育局、市卫生健康委、市市场监管局", "长期坚持"],
    ["8", "严格规范民办园收费行为，对违规收费的一经查实按规定严肃处理。", "市发展改革委", "市教育局、市市场监管局", "2026年10月底前"],
]
FLAT_TAIL = ["抄送：市委办公室，市人大常委会办公室，市政协办公室。"]


def build_flat(path: Path) -> None:
    lines = list(FLAT_HEAD) + FLAT_HEADER
    for row in FLAT_ROWS:
        lines.extend(v for v in row if v is not None)
    lines.extend(FLAT_TAIL)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- a county 考核细则 (.xlsx): title, a form line and a blank row above the header ----------------
XLSX_TITLE = "某某县2026年度营商环境工作考核细则"
XLSX_HEADER = ["序号", "考核类别", "考核内容", "分值", "考核标准", "责任单位", "完成时限", "备注"]
XLSX_ROWS = [
    ["1", "政务服务", "政务服务事项“一网通办”率达到95%以上。", "10", "每低1个百分点扣1分。", "县行政审批局", "6月底前", ""],
    ["2", None, "企业开办全程网办，办理时间压缩至0.5个工作日。", "8", "未达标不得分。", None, "3月底前", ""],
    ["3", None, "推行“高效办成一件事”，新增集成服务事项15个。", "6", "每少1个扣0.5分。", "县行政审批局、县数据局", "9月底前", ""],
    ["4", "要素保障", "工业项目“标准地”供应比例达到80%以上。", "8", "按完成比例计分。", "县自然资源局", "年底前", ""],
    ["5", None, "新增普惠小微企业贷款5亿元，融资担保费率不高于1%。", "8", "未完成扣4分。", "县财政局、人民银行某某县支行", "四季度", ""],
    ["6", None, "落实涉企收费目录清单制度，清单之外一律不得收费。", "6", "发现违规收费1起扣2分。", "县发展改革局", "持续推进", ""],
    ["7", "法治环境", "涉企行政检查实行“综合查一次”，检查频次同比下降30%。", "8", "未下降的不得分。", "县司法局", "11月底前", ""],
    ["8", None, "建立涉企矛盾纠纷多元化解机制，办结率达到90%以上。", "6", "每低5个百分点扣1分。", "县人民法院、县司法局", "12月15日前", ""],
    ["9", "市场环境", "开展拖欠中小企业账款清理，年内清偿率100%。", "10", "未按期清偿的每笔扣1分。", "县工业和信息化局", "年内", "重点指标"],
    ["10", None, "每季度召开一次政企恳谈会，协调解决企业诉求。", "5", "少开1次扣1分。", "各乡镇人民政府", "每季度", ""],
]


def _carried(rows, col):
    last, out = None, []
    for r in rows:
        last = r[col] if r[col] is not None else last
        out.append(last)
    return out


def build_xlsx(path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    n = len(XLSX_HEADER)
    ws.append([XLSX_TITLE] + [None] * (n - 1))
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=n)
    ws.append(["考核单位：县优化营商环境领导小组办公室", None, None, None, None, "制表时间：2026年3月", None, None])
    ws.append([])
    ws.append(XLSX_HEADER)
    first = 5
    for row in XLSX_ROWS:
        ws.append([int(row[0])] + row[1:3] + [int(row[3])] + row[4:])
    for col in (1, 5):
        r = 0
        while r < len(XLSX_ROWS):
            k = r
            while k + 1 < len(XLSX_ROWS) and XLSX_ROWS[k + 1][col] is None:
                k += 1
            if k > r:
                ws.merge_cells(start_row=first + r, start_column=col + 1, end_row=first + k, end_column=col + 1)
            r = k + 1
    ws.append([])
    ws.append(["备注：1.本细则由县优化营商环境领导小组办公室负责解释。2.考核结果纳入年度目标绩效考核。"])
    wb.save(str(path))


# --- a district 工作要点 (.docx) with Word's own list numbering and a project table -------------------
DOCX_TITLE = "某某区2026年城市管理工作要点"
DOCX_BODY = [  # (level or None, text)
    (None, DOCX_TITLE),
    (None, "2026年是“十五五”开局之年。全区城市管理工作要坚持人民城市人民建、人民城市为人民，聚焦“干净、整洁、有序、安全”目标，着力提升城市精细化管理水平。现提出如下工作要点："),
    (0, "着力提升市容环境品质"),
    (1, "深化背街小巷整治。对照“十无”标准，年内完成背街小巷整治提升50条，其中6月底前完成第一批20条。（区城管局牵头，各街道办事处配合）"),
    (1, "规范户外广告和店招店牌设置。编制户外广告设施设置规划，9月底前完成主次干道违规广告清理。（区城管局、区市场监管局按职责分工负责）"),
    (0, "深入推进生活垃圾分类"),
    (1, "完善分类投放设施。新建改造垃圾分类投放点200个，实现居民小区分类设施全覆盖。（区城管局牵头）"),
    (1, "提升分类处置能力。建成厨余垃圾处理厂二期工程，日处理能力提高到300吨，11月底前投入试运行。（区城投集团负责）"),
    (0, "全力保障城市运行安全"),
    (1, "加强城镇燃气安全管理。开展燃气安全专项整治，每月对餐饮场所开展一次安全检查，持续推进。（区住房城乡建设局牵头，区应急管理局、区市场监管局配合）"),
    (1, "做好城市防汛排涝。汛前完成主城区排水管网清淤疏浚，对易涝点逐一制定应急预案。（区城管局、区水务局负责）"),
    (0, "抓好重点项目建设"),
    (None, "2026年城市管理重点项目如下表。"),
    ("table", None),
    (None, "各街道、各部门要对照工作要点，细化工作措施，于每月25日前将工作进展报送区城管委办公室。"),
]
DOCX_HEADER = ["序号", "项目名称", "建设内容", "责任单位", "完成时限"]
DOCX_ROWS = [
    ["1", "智慧城管平台二期", "接入视频监控点位3000个，实现城市管理问题智能发现、自动派单。", "区城管局", "2026年10月"],
    ["2", "公厕提档升级", "新建改造城市公厕40座。", None, "2026年8月"],
    ["3", "口袋公园建设", "新建口袋公园12个。", "区园林绿化中心", "2026年12月"],
    ["4", "停车设施建设", "新增公共停车泊位2000个。", "区住房城乡建设局、区交通运输局", "2026年11月"],
]

_NUMBERING = (
    '<w:abstractNum xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" w:abstractNumId="90">'
    '<w:multiLevelType w:val="multilevel"/>'
    '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCountingThousand"/><w:lvlText w:val="%1、"/>'
    '<w:lvlJc w:val="left"/><w:pPr><w:ind w:left="0" w:firstLine="640"/></w:pPr></w:lvl>'
    '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/>'
    '<w:lvlJc w:val="left"/><w:pPr><w:ind w:left="0" w:firstLine="640"/></w:pPr></w:lvl>'
    '</w:abstractNum>')


def build_docx(path: Path) -> None:
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import qn

    d = docx.Document()
    numbering = d.part.numbering_part.element
    absn = parse_xml(_NUMBERING)
    nums = numbering.findall(qn("w:num"))
    if nums:
        nums[0].addprevious(absn)
    else:
        numbering.append(absn)
    numbering.append(parse_xml(
        '<w:num xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" w:numId="90">'
        '<w:abstractNumId w:val="90"/></w:num>'))
    for level, text in DOCX_BODY:
        if level == "table":
            table = d.add_table(rows=1 + len(DOCX_ROWS), cols=len(DOCX_HEADER))
            for j, h in enumerate(DOCX_HEADER):
                table.cell(0, j).text = h
            for i, row in enumerate(DOCX_ROWS, start=1):
                for j, v in enumerate(row):
                    if v is not None:
                        table.cell(i, j).text = v
            table.cell(1, 3).merge(table.cell(2, 3))
            table.cell(1, 3).text = DOCX_ROWS[0][3]
            continue
        p = d.add_paragraph(text)
        if level is not None:
            ppr = p._p.get_or_add_pPr()
            ppr.append(parse_xml(
                '<w:numPr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                f'<w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>'))
    d.core_properties.title = DOCX_TITLE
    d.save(str(path))


def build_pdf(src: Path, out: Path) -> None:
    """A text PDF as a browser prints it: A4, narrow column (many hard line breaks), page breaks."""
    import html

    from playwright.sync_api import sync_playwright

    body = "".join(f"<p>{html.escape(ln)}</p>" for ln in src.read_text("utf-8").split("\n") if ln.strip())
    page = (f"<html><head><meta charset='utf-8'><style>body{{font-family:'Noto Serif CJK SC';font-size:15pt;"
            f"width:13cm}} p{{text-indent:2em;margin:0 0 4pt 0}}</style></head><body>{body}</body></html>")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-background-networking"])
        pg = browser.new_page()
        pg.set_content(page)
        pg.pdf(path=str(out), format="A4")
        browser.close()


# --- hand labels --------------------------------------------------------------------------------
def item(first, last, units, deadline, alt=None):
    """`deadline`: an ISO date, 'periodic' (a schedule without one date) or None; `alt`: another
    date a labeller would accept (an item with a milestone and a final date)."""
    return {"first": first, "last": last, "units": units, "deadline": deadline, "alt": alt}


GOV = [
    item("全省经济社会发展的主要预期目标是", "居民消费价格涨幅3%左右。", [], "2026-12-31"),
    item("实施消费提质扩容行动。", "省文化和旅游厅配合）", ["省商务厅", "省财政厅", "省文化和旅游厅"], "2026-12-31"),
    item("扩大有效投资。", "改造项目300个。", [], "2026-06-30", "2026-12-31"),
    item("加强要素保障。", "专项债券1200亿元。", [], "2026-12-31"),
    item("推动传统产业转型升级。", "（省工业和信息化厅负责）", ["省工业和信息化厅"], "2026-12-31"),
    item("培育壮大战略性新兴产业。", "一次性奖励50万元。", [], "2026-12-31"),
    item("强化科技创新支撑。", "各市人民政府负责落实）", ["省科技厅", "各市人民政府"], "2026-09-30", "2026-12-31"),
    item("深化国资国企改革。", "持续推进）", ["省国资委"], None),
    item("优化营商环境。", "拖欠企业账款清理行动。", [], "2026-06-30", "2026-12-31"),
    item("扩大高水平对外开放。", "实际使用外资150亿美元。", [], "2026-12-31"),
    item("千方百计稳定就业。", "500元给予社会保险补贴。", [], "2026-12-31"),
    item("办好人民满意的教育。", "义务教育优质均衡发展。", [], "2026-08-31", "2026-12-31"),
    item("健全社会保障体系。", "按职责分工负责）", ["省人力资源社会保障厅", "省医保局"], "2026-12-31"),
    item("各级政府要坚决维护", "政协民主监督。", ["各级政府"], None),
    item("各级政府要大力弘扬", "决策部署落地见效。", ["各级政府"], None),
]

ACTION = [
    item("一、发展目标", "超百亿元企业5家。", [], "2028-12-31"),
    item("1.培育龙头企业", "2026年12月底前)", ["省工业和信息化厅", "省财政厅", "省发展改革委"], "2026-12-31"),
    item("2.建设产业集群", "完成时限:持续推进)", ["省工业和信息化厅", "省自然资源厅", "各设区市人民政府"], None),
    item("3.加快项目建设", "2026年10月底前)", ["省发展改革委", "省能源局"], "2026-10-31"),
    item("4.攻关关键技术", "2027年底前)", ["省科技厅", "省工业和信息化厅"], "2027-12-31"),
    item("5.建设创新平台", "6月底前完成)", ["省发展改革委", "省科技厅"], "2027-06-30"),
    item("6.推动电源侧储能", "完成时限:持续推进)", ["省能源局", "国网某某省电力公司"], None),
    item("7.发展用户侧储能", "2026年12月底前)", ["省能源局", "省工业和信息化厅", "省通信管理局"], "2026-12-31"),
    item("8.完善价格机制", "2026年9月底前)", ["省发展改革委", "省能源局", "国网某某省电力公司"], "2026-09-30"),
    item("(一)加强统筹协调", "(牵头单位:省工业和信息化厅)", ["省工业和信息化厅"], "periodic"),
    item("(二)强化安全监管", "排查全覆盖。", ["各设区市人民政府"], "2026-12-31"),
    item("(三)加大要素保障", "按规定给予支持。", ["省财政厅"], None),
]

WATER = [
    item("一、目标任务", "比例达到65%。", [], "2026-12-31"),
    item("（一）实施规模化供水工程建设", "2026年11月底前", ["县水利局", "县发展改革局"], "2026-11-30"),
    item("（二）推进小型供水工程标准化改造", "2026年9月底前", ["县水利局", "各乡镇人民政府"], "2026-09-30"),
    item("（三）强化水源保护", "2026年6月底前", ["市生态环境局某某分局", "县水利局"], "2026-06-30"),
    item("（四）加强水质检测监测", "完成时限：每季度", ["县卫生健康局", "县水利局"], "periodic"),
    item("（五）健全运行管护机制", "完成时限：持续推进", ["县水利局", "县财政局", "县发展改革局"], None),
    item("（一）加强组织领导", "研究解决重大问题。", [], None),
    item("（二）强化资金保障", "不低于3000万元。", ["县财政局"], None),
    item("（三）严格督查考核", "予以通报。", ["县委督查室", "县政府督查室"], None),
]

_FLAT_DUE = ["2026-12-31", "2026-09-30", "2026-06-30", "2027-12-31", "periodic", "2027-12-31", None, "2026-10-31"]


def flat_items() -> list[dict]:
    out = [item("一、主要目标", "占比达到60%以上。", [], "2028-12-31"),
           item("（一）加强组织领导", "报告一次工作进展。", ["各区县（市）人民政府"], "periodic"),
           item("（二）强化督导评估", "评价结果向社会公布。", ["市政府教育督导室"], None)]
    leads = _carried(FLAT_ROWS, 2)
    for row, lead, due in zip(FLAT_ROWS, leads, _FLAT_DUE):
        out.append(item("\n" + row[0] + "\n" + row[1], "\n" + row[4] + "\n", [lead, *row[3].split("、")], due))
    return out


_XLSX_DUE = ["2026-06-30", "2026-03-31", "2026-09-30", "2026-12-31", "2026-12-31", None, "2026-11-30",
             "2026-12-15", "2026-12-31", "periodic"]


def xlsx_items() -> list[dict]:
    out = []
    for row, unit, due in zip(XLSX_ROWS, _carried(XLSX_ROWS, 5), _XLSX_DUE):
        last = "\t" + row[6] + ("\t" + row[7] if row[7] else "") + "\n"  # the row's end
        out.append(item("\n" + row[0] + "\t", last, unit.split("、"), due))
    return out


def docx_items() -> list[dict]:
    out = [
        item("（一）深化背街小巷整治。", "各街道办事处配合）", ["区城管局", "各街道办事处"], "2026-12-31", "2026-06-30"),
        item("（二）规范户外广告和店招店牌设置。", "按职责分工负责）", ["区城管局", "区市场监管局"], "2026-09-30"),
        item("（一）完善分类投放设施。", "（区城管局牵头）", ["区城管局"], "2026-12-31"),
        item("（二）提升分类处置能力。", "（区城投集团负责）", ["区城投集团"], "2026-11-30"),
        item("（一）加强城镇燃气安全管理。", "区市场监管局配合）", ["区住房城乡建设局", "区应急管理局", "区市场监管局"], "periodic"),
        item("（二）做好城市防汛排涝。", "（区城管局、区水务局负责）", ["区城管局", "区水务局"], "2026-05-31"),
    ]
    due = ["2026-10-31", "2026-08-31", "2026-12-31", "2026-11-30"]
    for row, unit, d in zip(DOCX_ROWS, _carried(DOCX_ROWS, 3), due):
        out.append(item("\n" + row[0] + "\t" + row[1], "\t" + row[4], unit.split("、"), d))
    out.append(item("各街道、各部门要对照工作要点", "报送区城管委办公室。", ["各街道", "各部门"], "periodic"))
    return out


def labels_for(name: str, items: list[dict], doc_date: str | None) -> dict:
    sys.path.insert(0, str(HERE.parents[2] / "src"))
    from duban.intake.engine.load import load

    text = load((HERE / name).read_bytes(), name).text
    out, pos = [], 0
    for k, it in enumerate(items, start=1):
        a = text.find(it["first"], pos)
        if a < 0:
            a = text.find(it["first"])
        if it["first"].startswith("\n") and a >= 0:
            a += 1
        b = text.find(it["last"], a)
        if a < 0 or b < 0:
            raise SystemExit(f"{name}: item {k} not found: {it['first']!r} … {it['last']!r}")
        b += len(it["last"]) - (1 if it["last"].endswith("\n") else 0)
        pos = a + 1
        dl = None
        if it["deadline"] == "periodic":
            dl = {"text": "", "kind": "periodic"}
        elif it["deadline"]:
            dl = {"text": "", "resolved": it["deadline"]}
            if it["alt"]:
                dl["alt_resolved"] = it["alt"]
        out.append({"id": str(k), "kind": "task", "text": text[a:b], "char_start": a, "char_end": b,
                    "deadline": dl, "responsible_units": it["units"]})
    out.sort(key=lambda o: o["char_start"])
    labels = {"source": name, "labeller": "hand labels, duban intake blind set (tests/data/intake_blind/build.py)",
              "sections": {"items": out}}
    if doc_date:
        labels["date"] = doc_date
    return labels


def main() -> None:
    if not (HERE / "water_plan_county.pdf").exists() or "--pdf" in sys.argv:
        build_pdf(HERE / "water_plan_county.src.txt", HERE / "water_plan_county.pdf")
    build_flat(HERE / "preschool_plan_flat.txt")
    build_xlsx(HERE / "business_rules_county.xlsx")
    build_docx(HERE / "city_management_points.docx")
    specs = {
        "gov_report_2026.txt": (GOV, "2026-01-20"),
        "action_plan_province.txt": (ACTION, "2026-02-26"),
        "water_plan_county.pdf": (WATER, "2026-03-05"),
        "preschool_plan_flat.txt": (flat_items(), "2026-02-10"),
        "business_rules_county.xlsx": (xlsx_items(), None),
        "city_management_points.docx": (docx_items(), None),
    }
    for name, (items, doc_date) in specs.items():
        stem = name.rsplit(".", 1)[0]
        labels = labels_for(name, copy.deepcopy(items), doc_date)
        (HERE / f"{stem}.labels.json").write_text(json.dumps(labels, ensure_ascii=False, indent=1) + "\n",
                                                  encoding="utf-8")
        print(name, len(items), "items")


if __name__ == "__main__":
    main()

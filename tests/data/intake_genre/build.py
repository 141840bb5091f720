"""Builds the genre test documents that are not plain text (.docx, .xlsx, the flattened table)
and writes every document's labels JSON from the hand labels in LABELS below.

Run from the repository root:  .venv/bin/python tests/data/intake_genre/build.py
The labels are hand-made: each item is given by the first and last words of its span in the
document's text (as the intake engine loads it), with its deadline and responsible units as a
督查室 labeller would set them. Offsets are computed, never the decisions.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# --- the city 实施方案's 任务分解表 -----------------------------------------------------------------
PLAN_TITLE = "某某市推进城市更新行动实施方案（2025—2027年）"
PLAN_BODY = [
    PLAN_TITLE,
    "为贯彻落实省委、省政府关于实施城市更新行动的部署要求，结合我市实际，制定本实施方案。",
    "一、总体目标",
    "到2027年，全市完成老旧小区改造300个，城市基础设施短板基本补齐，城市功能品质明显提升。",
    "二、重点任务",
    "各牵头单位要按照任务分解表明确的时限要求，细化工作举措，确保各项任务落地见效。任务分解如下：",
]
PLAN_HEADER = ["序号", "工作任务", "具体措施", "牵头单位", "配合单位", "完成时限"]
# None in a unit column = the cell above is merged over this row
PLAN_ROWS = [
    ["1", "实施老旧小区改造", "完成2025年度老旧小区改造项目120个，同步完善养老、托育等配套设施。", "市住房城乡建设局", "各区人民政府、市发展改革委", "2025年12月底前"],
    ["2", "实施老旧小区改造", "建立老旧小区改造项目储备库，6月底前完成2026年度项目申报。", None, "各区人民政府", "2025年6月底前"],
    ["3", "推进城中村改造", "按照“拆除新建、整治提升、拆整结合”分类推进城中村改造，启动改造项目8个。", "市住房城乡建设局", "市自然资源和规划局、各区人民政府", "三季度"],
    ["4", "完善城市基础设施", "新建改造城市燃气、供水、排水管网200公里，消除易涝积水点15处。", "市城市管理局", "市水务局", None],
    ["5", "完善城市基础设施", "建设城市生命线安全工程监测平台，实现燃气、桥梁、供水等领域实时监测。", None, "市大数据中心", "2026年底"],
    ["6", "提升城市功能品质", "新建口袋公园30个、城市绿道50公里，推进“口袋公园+”建设。", "市园林局", "各区人民政府", "持续推进"],
    ["7", "提升城市功能品质", "开展城市设计和历史文化街区保护利用，完成历史建筑测绘建档。", "市自然资源和规划局", "市文化广电旅游局、市住房城乡建设局", "2025年10月底前"],
    ["8", "健全工作机制", "建立城市更新项目联审联批机制，对符合条件的项目实行容缺受理，审批时间压减30%以上。", "市审批服务局", "市住房城乡建设局、市自然资源和规划局", "长期坚持"],
    ["9", "强化资金保障", "统筹用好中央预算内投资和地方政府专项债券，对符合条件的改造项目每户补助不超过1万元。", "市财政局", "市发展改革委、国家开发银行某某分行", "每年"],
]
PLAN_TAIL = ["三、保障措施", "市城市更新工作领导小组办公室要加强统筹协调，每季度调度一次工作进展。"]
PLAN_WHEN = {None: None}


def _carried(rows, col):
    last = None
    out = []
    for r in rows:
        last = r[col] if r[col] is not None else last
        out.append(last)
    return out


def build_plan_docx(path: Path) -> None:
    import docx

    d = docx.Document()
    for t in PLAN_BODY:
        d.add_paragraph(t)
    table = d.add_table(rows=1 + len(PLAN_ROWS), cols=len(PLAN_HEADER))
    for j, h in enumerate(PLAN_HEADER):
        table.cell(0, j).text = h
    for i, row in enumerate(PLAN_ROWS, start=1):
        for j, v in enumerate(row):
            if v is not None:
                table.cell(i, j).text = v
    # merge the unit and deadline cells written once for several rows (vertical merges)
    for j in (3, 5):
        i = 1
        while i <= len(PLAN_ROWS):
            k = i
            while k + 1 <= len(PLAN_ROWS) and PLAN_ROWS[k][j] is None:
                k += 1
            if k > i:
                table.cell(i, j).merge(table.cell(k, j))
                table.cell(i, j).text = PLAN_ROWS[i - 1][j]
            i = k + 1
    for t in PLAN_TAIL:
        d.add_paragraph(t)
    d.core_properties.title = PLAN_TITLE
    d.save(str(path))


def build_plan_flat(path: Path) -> None:
    """The same document as a scraper saves it: one table cell per line, a merged cell once."""
    lines = list(PLAN_BODY) + ["附件", "任务分解表"] + PLAN_HEADER
    for row in PLAN_ROWS:
        lines.extend(v for v in row if v is not None)
    lines.extend(PLAN_TAIL)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- the county 考核细则 (.xlsx) -------------------------------------------------------------------
XLSX_TITLE = "某某县2024年度乡村振兴工作考核细则"
XLSX_HEADER = ["序号", "考核项目", "考核内容", "分值", "评分标准", "责任单位", "完成时限"]
XLSX_ROWS = [
    ["1", "产业发展", "新培育县级以上农业产业化龙头企业3家。", "10", "每少1家扣3分，扣完为止。", "县农业农村局", "11月底前"],
    ["2", None, "发展农村电商，农产品网络零售额增长15%。", "8", "未完成目标扣4分。", "县商务局", "年底前"],
    ["3", None, "建设高标准农田1.2万亩。", "10", "按完成比例计分。", "县农业农村局", "10月底前"],
    ["4", "人居环境", "完成农村户厕改造2000户，问题厕所整改率100%。", "8", "每发现1例问题厕所未整改扣0.5分。", "县农业农村局", "6月底前"],
    ["5", None, "农村生活垃圾收运处置体系覆盖所有行政村。", "6", "有1个村未覆盖扣1分。", None, "三季度"],
    ["6", None, "开展村庄清洁行动，每季度组织集中整治不少于1次。", "4", "少1次扣1分。", "县住房城乡建设局", "每季度"],
    ["7", "乡村治理", "推进移风易俗，建立健全村规民约，实现行政村全覆盖。", "6", "未建立的每村扣0.5分。", "县委宣传部", "持续推进"],
    ["8", None, "开展“积分制”“清单制”治理试点，培育示范村10个。", "6", "每少1个扣0.5分。", "县委组织部、县民政局", "12月20日前"],
    ["9", "组织保障", "各乡镇落实乡村振兴工作专班，每月报送工作进展。", "5", "迟报、漏报一次扣0.5分。", "各乡镇人民政府", "每月"],
]


def build_xlsx(path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "考核细则"
    ws.append([XLSX_TITLE] + [None] * (len(XLSX_HEADER) - 1))
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(XLSX_HEADER))
    ws.append(XLSX_HEADER)
    for row in XLSX_ROWS:
        ws.append([int(row[0])] + row[1:3] + [int(row[3])] + row[4:])
    # a category (考核项目) or unit cell written once for several rows is a merged range
    for col in (1, 5):
        r = 0
        while r < len(XLSX_ROWS):
            k = r
            while k + 1 < len(XLSX_ROWS) and XLSX_ROWS[k + 1][col] is None:
                k += 1
            if k > r:
                ws.merge_cells(start_row=3 + r, start_column=col + 1, end_row=3 + k, end_column=col + 1)
            r = k + 1
    ws.append([])
    ws.append(["说明：考核结果纳入年度综合考核，由县委督查室负责解释。"])
    wb.save(str(path))


# --- hand labels --------------------------------------------------------------------------------
def item(first: str, last: str, units: list[str], deadline: str | None, text: str | None = None) -> dict:
    """`deadline`: an ISO date, 'periodic' (a schedule without one date) or None."""
    return {"first": first, "last": last, "units": units, "deadline": deadline, "deadline_text": text}


GOV = [
    item("全省经济社会发展的主要预期目标是", "粮食产量稳定在600亿斤以上。", [], "2025-12-31"),
    item("深入实施提振消费专项行动。", "（省商务厅牵头）", ["省商务厅"], "2025-12-31"),
    item("大力推进重大项目建设。", "能源重大工程。", [], "2025-09-30"),
    item("积极扩大有效投资。", "（省发展改革委、省财政厅按职责分工负责）", ["省发展改革委", "省财政厅"], "2025-06-30"),
    item("实施制造业重点产业链高质量发展行动。", "省科技厅配合）", ["省工业和信息化厅", "省发展改革委", "省科技厅"], "2025-12-31"),
    item("加快培育新质生产力。", "突破2万家。", [], "2025-12-31"),
    item("推进数字经济和实体经济深度融合。", "省级智能工厂100家。", [], "2025-12-31"),
    item("深化国资国企改革。", "（省国资委牵头）", ["省国资委"], None),
    item("优化民营经济发展环境。", "清欠任务的60%以上。", [], "2025-06-30"),
    item("稳定和扩大就业。", "各市人民政府负责落实）", ["省人力资源社会保障厅", "各市人民政府"], "2025-12-31"),
    item("提高教育质量。", "校舍安全隐患排查整治。", [], "2025-08-31"),
    item("各级政府要坚持依法行政", "政协委员提案。", ["各级政府"], None),
]
ACTION = [
    item("一、工作目标", "网上可办率达到98%以上。", [], "2024-12-31"),
    item("1.推进政务服务", "各县市区人民政府）", ["市审批服务局", "市大数据中心", "各县市区人民政府"], "2024-06-30"),
    item("2.深化“一件事一次办”改革", "牵头单位：市审批服务局）", ["市审批服务局"], "2024-09-30"),
    item("3.推行“免证办”服务", "市市场监管局配合）", ["市大数据中心", "市公安局", "市市场监管局"], "2024-12-31"),
    item("4.压缩企业开办时间", "持续推进）", ["市市场监管局"], None),
    item("5.完善市场主体退出机制", "市人力资源社会保障局）", ["市市场监管局", "市税务局", "市人力资源社会保障局"], "2024-09-30"),
    item("6.强化用地保障", "长期坚持）", ["市自然资源和规划局"], None),
    item("7.缓解企业融资难题", "11月底前完成）", ["人行某某市分行", "市地方金融管理局"], "2024-11-30"),
    item("8.规范涉企行政执法", "牵头单位：市司法局）", ["市司法局"], "2024-06-30"),
    item("9.加强知识产权保护", "按职责分工负责）", ["市市场监管局", "市公安局", "市中级人民法院"], None),
    item("（一）加强组织领导", "明确时间表和路线图。", ["市优化营商环境工作领导小组", "各牵头单位"], None),
    item("（二）强化督查考核", "予以通报批评。", ["市政府督查室"], "periodic"),
]
_PLAN_DUE = ["2025-12-31", "2025-06-30", "2025-09-30", "2025-09-30", "2026-12-31", None, "2025-10-31", None, "periodic"]


def plan_items(sep: str) -> list[dict]:
    out = [item("一、总体目标", "城市功能品质明显提升。", [], "2027-12-31")]
    leads = _carried(PLAN_ROWS, 3)
    for row, lead, due in zip(PLAN_ROWS, leads, _PLAN_DUE):
        co = [u for u in row[4].split("、")]
        last = row[5] if row[5] else row[4].split("、")[-1]
        if sep == "\n" and row[5] is None:
            last = row[4].split("、")[-1]
        out.append(item(row[0] + sep + row[1], last, [lead, *co], due))
    out.append(item("市城市更新工作领导小组办公室要", "调度一次工作进展。", ["市城市更新工作领导小组办公室"], "periodic"))
    return out


_XLSX_DUE = ["2024-11-30", "2024-12-31", "2024-10-31", "2024-06-30", "2024-09-30", "periodic", None, "2024-12-20",
             "periodic"]


def xlsx_items() -> list[dict]:
    out = []
    units = _carried(XLSX_ROWS, 5)
    for row, unit, due in zip(XLSX_ROWS, units, _XLSX_DUE):
        out.append(item("\n" + row[0] + "\t", "\t" + row[6], unit.split("、"), due))
    return out


def labels_for(name: str, items: list[dict], doc_date: str | None) -> dict:
    sys.path.insert(0, str(HERE.parents[2] / "src"))
    from duban.intake.engine.load import load

    text = load((HERE / name).read_bytes(), name).text
    out = []
    pos = 0
    for k, it in enumerate(items, start=1):
        a = text.find(it["first"], pos)
        if a < 0:
            a = text.find(it["first"])
        if it["first"].startswith("\n") and a >= 0:
            a += 1
        b = text.find(it["last"], a)
        if a < 0 or b < 0:
            raise SystemExit(f"{name}: item {k} not found: {it['first']} … {it['last']}")
        b += len(it["last"])
        pos = a + 1
        dl = None
        if it["deadline"] == "periodic":
            dl = {"text": it["deadline_text"] or "", "kind": "periodic"}
        elif it["deadline"]:
            dl = {"text": it["deadline_text"] or "", "resolved": it["deadline"]}
        out.append({"id": str(k), "kind": "task", "text": text[a:b], "char_start": a, "char_end": b,
                    "deadline": dl, "responsible_units": it["units"]})
    labels = {"source": name, "labeller": "hand labels, duban intake genre set (tests/data/intake_genre/build.py)",
              "sections": {"items": out}}
    if doc_date:
        labels["date"] = doc_date
    return labels


def build_pdf(src: Path, out: Path) -> None:
    """A text PDF of a .txt document as a browser prints it (A4, hard line breaks, page breaks)."""
    import html

    from playwright.sync_api import sync_playwright

    body = "".join(f"<p>{html.escape(ln)}</p>" for ln in src.read_text("utf-8").split("\n") if ln.strip())
    page = (f"<html><head><meta charset='utf-8'><style>body{{font-family:'Noto Serif CJK SC';font-size:16pt;"
            f"width:15cm}} p{{text-indent:2em;margin:0}}</style></head><body>{body}</body></html>")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-background-networking"])
        pg = browser.new_page()
        pg.set_content(page)
        pg.pdf(path=str(out), format="A4")
        browser.close()


def main() -> None:
    for stem in ("action_plan_city", "gov_report_province"):
        if not (HERE / f"{stem}.pdf").exists() or "--pdf" in sys.argv:
            build_pdf(HERE / f"{stem}.txt", HERE / f"{stem}.pdf")
    build_plan_docx(HERE / "implementation_plan_table.docx")
    build_plan_flat(HERE / "implementation_plan_flat.txt")
    build_xlsx(HERE / "assessment_rules_county.xlsx")
    specs = {
        "gov_report_province.txt": (GOV, "2025-01-16"),
        "action_plan_city.txt": (ACTION, "2024-03-08"),
        "gov_report_province.pdf": (GOV, "2025-01-16"),
        "action_plan_city.pdf": (ACTION, "2024-03-08"),
        "implementation_plan_table.docx": (plan_items("\t"), None),
        "implementation_plan_flat.txt": (plan_items("\n"), None),
        "assessment_rules_county.xlsx": (xlsx_items(), None),
    }
    for name, (items, doc_date) in specs.items():
        stem = name.rsplit(".", 1)[0] + ("_pdf" if name.endswith(".pdf") else "")
        labels = labels_for(name, items, doc_date)
        (HERE / f"{stem}.labels.json").write_text(json.dumps(labels, ensure_ascii=False, indent=1) + "\n",
                                                  encoding="utf-8")
        print(name, len(items), "items")


if __name__ == "__main__":
    main()

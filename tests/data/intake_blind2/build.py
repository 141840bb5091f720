"""The second blind round: three more genre documents written after the first blind set's fixes,
labelled by hand and scored before any engine change (see docs/intake.md).

Run from the repository root:  .venv/bin/python tests/data/intake_blind2/build.py
Items are given by the first and last words of their span in the text as the engine loads it."""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("blind1", HERE.parent / "intake_blind" / "build.py")
blind1 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(blind1)
item, labels_for = blind1.item, blind1.labels_for

DOCX_HEADER = ["序号", "重点任务", "目标要求", "责任领导", "牵头单位", "配合单位", "时间节点"]
DOCX_ROWS = [  # None = merged with the cell above
    ["1", "提升政务服务效能", "推行“高效办成一件事”，新增集成服务事项20项。", "王副市长", "市数据局", "市直各部门", "2026年6月"],
    ["2", None, "政务服务事项网上可办率达到95%以上。", "王副市长", None, "各县（市、区）人民政府", "2026年12月"],
    ["3", "降低企业经营成本", "落实减税降费政策，全年为企业减负20亿元。", "李副市长", "市税务局", "市财政局", "持续推进"],
    ["4", None, "工业用电价格每千瓦时降低0.02元。", "李副市长", "市发展改革委", "国网某某供电公司", "2026年9月"],
    ["5", "优化法治环境", "开展涉企行政执法专项监督，纠正违规执法行为。", "赵副市长", "市司法局", "市市场监管局", "2026年10月"],
]
DOCX_BODY = [
    (None, "某某市人民政府办公室关于印发某某市2026年优化营商环境重点任务清单的通知"),
    (None, "各县（市、区）人民政府，市政府各部门："),
    (None, "现将《某某市2026年优化营商环境重点任务清单》印发给你们，请认真抓好落实。"),
    (0, "总体要求"),
    (None, "各牵头单位要对照清单制定推进方案，每月5日前报送上月工作进展。"),
    (0, "重点任务清单"),
    ("table", None),
]


def build_docx(path: Path) -> None:
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import qn

    d = docx.Document()
    numbering = d.part.numbering_part.element
    absn = parse_xml(blind1._NUMBERING.replace('w:abstractNumId="90"', 'w:abstractNumId="91"'))
    nums = numbering.findall(qn("w:num"))
    nums[0].addprevious(absn) if nums else numbering.append(absn)
    numbering.append(parse_xml('<w:num xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
                               'w:numId="91"><w:abstractNumId w:val="91"/></w:num>'))
    for level, text in DOCX_BODY:
        if level == "table":
            table = d.add_table(rows=1 + len(DOCX_ROWS), cols=len(DOCX_HEADER))
            for j, h in enumerate(DOCX_HEADER):
                table.cell(0, j).text = h
            for i, row in enumerate(DOCX_ROWS, start=1):
                for j, v in enumerate(row):
                    if v is not None:
                        table.cell(i, j).text = v
            for j in (1, 4):
                for i, row in enumerate(DOCX_ROWS, start=1):
                    if row[j] is None:
                        table.cell(i - 1, j).merge(table.cell(i, j))
                        table.cell(i - 1, j).text = DOCX_ROWS[i - 2][j]
            continue
        p = d.add_paragraph(text)
        if level is not None:
            p._p.get_or_add_pPr().append(parse_xml(
                '<w:numPr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                f'<w:ilvl w:val="{level}"/><w:numId w:val="91"/></w:numPr>'))
    d.save(str(path))


GOV = [
    item("2026年经济社会发展的主要预期目标是", "人均可支配收入增长6%。", [], "2026-12-31"),
    item("全力推进重大项目建设。", "（市发展改革委牵头）", ["市发展改革委"], "2026-03-31", "2026-12-31"),
    item("加快城市更新步伐。", "按职责分工负责）", ["市住房城乡建设局", "市城市管理局"], "2026-10-31", "2026-12-31"),
    item("强化要素保障。", "新增建设用地5000亩。", [], "2026-12-31"),
    item("壮大先进制造业。", "（市工业和信息化局负责）", ["市工业和信息化局"], "2026-12-31"),
    item("发展现代服务业。", "零售总额增长7%。", [], "2026-12-31"),
    item("推进农业现代化。", "（市农业农村局牵头）", ["市农业农村局"], None),
    item("办好十件民生实事。", "统筹调度。", ["市政府办公室"], "2026-12-31"),
    item("提升公共服务水平。", "按职责分工负责）", ["市教育局", "市民政局"], "2026-08-31", "2026-12-31"),
    item("各级政府要坚持", "重大行政决策程序。", ["各级政府"], None),
]
SAFETY = [
    item("一、工作目标", "较大及以上生产安全事故。", [], "2026-12-31"),
    item("（一）开展危险化学品专项整治", "县工业和信息化局。", ["县应急管理局", "县工业和信息化局"], "2026-09-30"),
    item("（二）开展道路交通安全整治", "县交通运输局。", ["县公安局交警大队", "县交通运输局"], "2026-06-30"),
    item("（三）开展建筑施工安全整治", "县住房城乡建设局。", ["县住房城乡建设局"], "periodic"),
    item("（四）开展消防安全整治", "各乡镇人民政府。", ["县消防救援大队", "各乡镇人民政府"], "2026-11-30"),
    item("（五）开展非煤矿山安全整治", "县应急管理局。", ["县自然资源局", "县应急管理局"], None),
    item("（一）强化组织领导", "专题会议。", ["县安全生产委员会办公室"], "periodic"),
    item("（二）严格督导问责", "通报问责。", ["县委督查室", "县政府督查室"], None),
]


def docx_items() -> list[dict]:
    out = [item("各牵头单位要对照清单", "报送上月工作进展。", ["各牵头单位"], "periodic")]
    due = ["2026-06-30", "2026-12-31", None, "2026-09-30", "2026-10-31"]
    for k, (row, lead, d) in enumerate(zip(DOCX_ROWS, blind1._carried(DOCX_ROWS, 4), due), start=1):
        end = "\n" if k < len(DOCX_ROWS) else ""  # the row's end (the last row ends the text)
        out.append(item("\n" + row[0] + "\t", "\t" + row[6] + end, [lead, *row[5].split("、")], d))
    return out


def main() -> None:
    build_docx(HERE / "business_list_city.docx")
    specs = {"gov_report_city.html": (GOV, "2026-02-03"), "safety_plan_county.txt": (SAFETY, "2026-03-18"),
             "business_list_city.docx": (docx_items(), None)}
    for name, (items, doc_date) in specs.items():
        labels = _labels(name, copy.deepcopy(items), doc_date)
        (HERE / f"{name.rsplit('.', 1)[0]}.labels.json").write_text(
            json.dumps(labels, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(name, len(items), "items")


def _labels(name, items, doc_date):
    blind1.HERE = HERE  # the same labeller, reading this folder's files
    try:
        out = labels_for(name, items, doc_date)
    finally:
        blind1.HERE = HERE.parent / "intake_blind"
    out["labeller"] = "hand labels, duban intake blind set, second round (tests/data/intake_blind2/build.py)"
    return out


if __name__ == "__main__":
    main()

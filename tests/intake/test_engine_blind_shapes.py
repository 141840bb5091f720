"""The shapes the blind genre documents (tests/data/intake_blind/) showed the engine missing, each on
a short text written for the test, and the blind set scored against its hand labels."""

import json
from datetime import date
from pathlib import Path

import pytest

from duban.intake.engine import analyse
from duban.intake.engine.formats import rejoin_lines
from duban.intake.engine.score import score

BLIND = Path(__file__).resolve().parents[1] / "data" / "intake_blind"


def texts(d):
    return [d.text[t.start:t.end] for t in d.tasks()]


def units(node):
    return [u.name for u in node.units]


def test_a_box_with_numbered_lines_is_context_and_the_items_around_it_stay_items():
    d = analyse("2026年某某市政府工作报告\n——2026年1月8日在某某市人民代表大会上\n市长 赵明\n一、2026年重点工作\n"
                "（一）扩大内需。\n促进消费提质扩容。开展消费促进活动，建成便民生活圈30个。\n"
                "扩大有效投资。实施重大项目320个。\n专栏1  重大工程\n1.交通工程：新建道路50公里。\n"
                "2.水利工程：加固水库20座。\n加强要素保障。新增建设用地优先保障重点项目。\n", filename="r.txt")
    assert [t.split("。")[0] for t in texts(d)] == ["促进消费提质扩容", "扩大有效投资", "加强要素保障"]
    box = next(n for n in d.nodes() if n.context_kind == "box")
    assert "2.水利工程" in d.text[box.start:box.end] and box.role == "context"


def test_a_rate_is_no_schedule_and_every_half_year_is_one():
    d = analyse("2026年某某市政府工作报告\n——2026年1月8日在某某市人民代表大会上\n市长 赵明\n一、2026年重点工作\n"
                "（一）增进民生福祉。\n健全社会保障体系。城乡居民基础养老金每人每月提高20元。\n"
                "稳定就业。对吸纳就业困难人员的企业按每人每月500元给予补贴。\n"
                "加强督查。市政府督查室每半年通报一次进展。\n", filename="r.txt")
    a, b, c = d.tasks()
    assert a.deadline.date == date(2026, 12, 31) and b.deadline.date == date(2026, 12, 31)
    assert c.deadline.kind == "periodic" and c.deadline.date is None


PLAN = """某某县2026年农村供水保障行动方案
一、重点工作
（一）实施供水工程建设。新建城乡一体化供水工程2处。
责任单位：县水利局、县发展改革局
完成时限：2026年11月底前
（二）强化水源保护。2026年6月底前完成水源保护区划定。
责任单位：市生态环境局某某分局，县水利局
完成时限：持续推进
（三）加强水质检测。县疾控中心开展水质抽检。责任单位：县卫生健康局。完成时限：每季度。
"""


def test_unit_and_deadline_lines_under_an_item_are_its_units_and_deadline():
    one, two, three = analyse(PLAN, filename="p.txt").tasks()
    assert units(one) == ["县水利局", "县发展改革局"] and one.deadline.date == date(2026, 11, 30)
    # a name outside the directory is kept as written, never cut to a directory name inside it
    assert units(two) == ["市生态环境局某某分局", "县水利局"]
    assert two.deadline.date == date(2026, 6, 30)  # '持续推进' in the field, a date in the body: the date
    assert units(three) == ["县卫生健康局"] and three.deadline.kind == "periodic"


def test_a_pdf_line_that_opens_a_field_is_not_joined_to_the_line_above():
    long = "责任单位：县水利局、县财政局、县发展改革局、县农业农村局"
    text = rejoin_lines("\n".join([long, "完成时限：持续推进", long + "、各乡", "镇人民政府"]))
    assert text.split("\n") == [long, "完成时限：持续推进", long + "、各乡镇人民政府"]


FLAT = """某某市学前教育提升实施方案（2026—2028年）
一、重点任务
各地各有关部门要对照重点任务清单（见附件），逐项抓好落实。
二、保障措施
（一）强化督导。市政府教育督导室要将落实情况纳入评价。
附件
重点任务清单
序号
任务内容
牵头单位
配合单位
完成时间
1
新建公办幼儿园30所。
市教育局
各区县人民政府
2026年12月底前
2
培训幼儿园园长和骨干教师1000人次。
市教育局
各区县人民政府
每年
3
开展保育教育质量评估。
各区县人民政府
持续推进
抄送：市委办公室，市人大常委会办公室，市政协办公室。
"""


def test_an_attachment_table_hangs_under_the_section_that_points_to_it():
    d = analyse(FLAT, filename="f.txt")
    rows = [t for t in d.tasks() if t.kind == "row"]
    # identical unit lines row after row are cells, not a repeated copy of the body
    assert [units(r) for r in rows] == [["市教育局", "各区县人民政府"]] * 3
    assert rows[1].deadline.kind == "periodic" and rows[2].deadline is None
    host = next(n for n in d.nodes() if n.title == "重点任务")
    assert host.role == "structure" and [c.kind for c in host.children] == ["row"] * 3
    # the last item ends before the attachment; the 抄送 line is the document's colophon
    last = next(t for t in d.tasks() if t.title.startswith("强化督导"))
    assert d.text[last.start:last.end].endswith("纳入评价。")
    assert any(r.reason == "公文版记" for r in d.removed)


def test_each_of_several_all_units_is_one_unit_but_a_qualified_phrase_stays_one():
    d = analyse("某某区2026年工作安排\n一、工作要求\n（一）抓好落实。各街道、各部门要细化工作措施。\n"
                "（二）压实责任。各级党委、党组要落实主体责任。\n", filename="x.txt")
    a, b = d.tasks()
    assert units(a) == ["各街道", "各部门"] and units(b) == ["各级党委、党组"]


def test_an_annual_work_list_dates_its_items_in_its_year_but_not_its_standing_duties():
    d = analyse("某某区2026年城市管理工作要点\n一、提升市容环境\n（一）完善分类设施。新建垃圾分类投放点200个。\n"
                "（二）加强燃气安全。每月开展一次安全检查，持续推进。\n二、保障措施\n"
                "（一）加强组织领导。区城管委要统筹推进各项工作。\n", filename="x.txt")
    a, b, c = d.tasks()
    assert a.deadline.date == date(2026, 12, 31) and a.deadline.inherited
    assert b.deadline.kind == "periodic"  # '持续推进' with a schedule in the item: the schedule
    assert c.deadline is None
    # a plan over several years is no annual list
    d = analyse("某某市行动计划（2026—2028年）\n一、重点任务\n（一）完善设施。新建投放点200个。\n"
                "（二）加强安全。开展安全检查。\n", filename="x.txt")
    assert [t.deadline for t in d.tasks()] == [None, None]


def test_a_dated_goal_whose_object_names_a_shortfall_is_still_a_goal():
    d = analyse("某某县2026年安全生产工作方案\n一、工作目标\n2026年底前，全县事故起数实现“双下降”，坚决遏制较大及以上事故。\n"
                "二、主要任务\n（一）开展专项整治。9月底前完成企业安全评估。责任单位：县应急管理局。\n", filename="s.txt")
    goal, task = d.tasks()
    assert goal.title == "工作目标" and goal.deadline.date == date(2026, 12, 31)
    assert units(task) == ["县应急管理局"]


BLIND2 = BLIND.parent / "intake_blind2"


@pytest.mark.parametrize("labels", sorted(BLIND.glob("*.labels.json")) + sorted(BLIND2.glob("*.labels.json")),
                         ids=lambda p: p.stem)
def test_the_blind_documents_score_at_the_goals(labels):
    spec = json.loads(labels.read_text("utf-8"))
    source = labels.parent / spec["source"]
    result = score(analyse(source.read_bytes(), filename=source.name), spec)
    assert result["f1"] >= 0.9, result["missed"] + result["false_positives"]
    assert result["deadline_recall"] >= 0.9, [p for p in result["pairs"] if not p["deadline_ok"]]
    assert result["unit_accuracy"] >= 0.85, [p for p in result["pairs"] if not p["units_ok"]]

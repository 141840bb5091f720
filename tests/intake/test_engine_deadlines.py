from datetime import date

import pytest

from duban.intake.engine import deadlines as dl
from duban.intake.engine.load import normalise
from duban.intake.engine.numerals import cn_int, ordinal, to_number

SPEECH = date(2017, 2, 19)
TERM = date(2021, 12, 31)


def found(text, speech=SPEECH, term=TERM):
    norm = normalise(text)
    return [(d.text, d.kind, d.date) for d in dl.find(norm, 0, len(norm), speech, term)]


@pytest.mark.parametrize("text, expected", [
    ("到2019年,我们要坚决打赢脱贫攻坚战", [("到2019年", "absolute", date(2019, 12, 31))]),
    ("2018年底前完成整改", [("2018年底前", "year", date(2018, 12, 31))]),
    ("确保年底前全部完成", [("年底前", "year", date(2017, 12, 31))]),
    ("今年要抓好三件事", [("今年", "year", date(2017, 12, 31))]),
    ("6月底前完成摸底", [("6月底前", "month", date(2017, 6, 30))]),
    ("2017年9月30日前报送方案", [("2017年9月30日前", "day", date(2017, 9, 30))]),
    ("上半年完成调研", [("上半年", "month", date(2017, 6, 30))]),
    ("村级集体经济达标三年内全部交账", [("三年内", "relative", date(2020, 2, 19))]),
    ("规范化建设五年内全部交账", [("五年内", "relative", date(2022, 2, 19))]),
    ("用两年时间完成", [("用两年时间", "relative", date(2019, 2, 19))]),
    ("6个月内完成清理", [("6个月内", "relative", date(2017, 8, 19))]),
    ("今后五年,要进一步加强主题宣传", [("今后五年", "open_ended", date(2022, 2, 19))]),
    ("未来五年,全市政法工作总体要求是", [("未来五年", "open_ended", date(2022, 2, 19))]),
    ("市委要在一届任期内实现巡察全覆盖", [("一届任期内", "term", TERM)]),
    ("软弱涣散基层党组织整改分年度按要求交账", [("分年度", "periodic", None)]),
    ("分届次开展评选", [("分届次", "periodic", None)]),
    ("到“十四五”末，全市生产总值突破千亿", [("到“十四五”末", "absolute", date(2025, 12, 31))]),
])
def test_each_deadline_kind(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize("text", [
    "2015年以来,我们先后对3个市直单位进行了巡察",
    "2014年党的群众路线教育实践活动总结大会上",
    "去年11月份,在纽约时代广场",
    "今年元月份,团市委举办创业大赛",
    "2月7号,下发了考评情况通报",
    "巡察组要适时开展回头看,没有巡察的单位要提前整改",
    "过程督查与年终问效结合",
    "关于2017年组织工作,重点做到四个着力",  # a group intro: found by group_year, not by find
])
def test_past_and_vague_time_expressions_set_no_deadline(text):
    assert found(text) == []


def test_group_year_for_intros_but_not_for_context_sentences():
    for text in ("关于2017年组织工作,重点做到“四个着力”。", "2017年,要围绕落实党管意识形态责任制,突出五个重点。",
                 "2017年重点做好四项工作"):
        norm = normalise(text)
        d = dl.group_year(norm, 0, len(norm), SPEECH)
        assert d and d.date == date(2017, 12, 31) and d.inherited and d.text == "2017年"
    for text in ("2017年,是党的十九大召开之年", "2016年全市人均生产总值24429元", "2015年以来"):
        norm = normalise(text)
        assert dl.group_year(norm, 0, len(norm), SPEECH) is None


def test_relative_deadline_without_speech_date_has_no_date():
    assert found("三年内完成", speech=None) == [("三年内", "relative", None)]


def test_default_term_end_follows_the_five_year_cycle_of_local_party_committees():
    assert dl.default_term_end(date(2017, 2, 19)) == date(2021, 12, 31)
    assert dl.default_term_end(date(2021, 3, 1)) == date(2021, 12, 31)
    assert dl.default_term_end(date(2022, 1, 5)) == date(2026, 12, 31)


def test_leap_day_plus_years():
    assert dl.add_years(date(2020, 2, 29), 3) == date(2023, 2, 28)


def test_numerals():
    assert cn_int("十二") == 12 and cn_int("两") == 2 and cn_int("一百零五") == 105 and cn_int("abc") is None
    assert to_number("1.5万") == 15000 and to_number("2800多") == 2800
    assert abs(to_number("三分之一") - 1 / 3) < 1e-9
    assert ordinal("㈢") == 3 and ordinal("④") == 4 and ordinal("九") == 9

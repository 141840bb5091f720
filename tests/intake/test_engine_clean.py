from datetime import date

from duban.intake.engine import analyse

BODY = """一、抓好党建工作

各级党组织要履行主体责任，一是抓好学习教育；二是抓好基层组织建设。

二、抓好经济工作

市发改局要牵头推进重点项目建设，三年内完成投资100亿元。

谢谢大家！"""


def page(body: str) -> str:
    return ("打开APP\n小贴士\n2步打开 某某APP\n  • 点击右上角“…” 按钮\n\n张三：在全市工作会议上的讲话\n\n"
            "2020-03-05 10:20\n\n在全市工作会议上的讲话\n\n市委书记 张三\n\n（2020年3月1日）\n\n同志们：\n\n"
            + body + "\n\n相关阅读\n0 条评论\n来说两句吧...\n责任编辑：李四\n分享到：\n")


def test_boilerplate_lines_are_removed_with_line_numbers_and_reasons():
    draft = analyse(page(BODY), filename="p.txt")
    boiler = {r.text.strip(): r for r in draft.removed if r.kind == "boilerplate"}
    assert set(boiler) == {"打开APP", "小贴士", "2步打开 某某APP", "• 点击右上角“…” 按钮", "相关阅读", "0 条评论",
                           "来说两句吧...", "责任编辑：李四", "分享到："}
    assert boiler["打开APP"].line == 1
    assert boiler["相关阅读"].reason == "相关阅读"
    lines = draft.text.split("\n")
    for r in draft.removed:
        assert lines[r.line - 1] == r.text
        assert draft.text[r.start:r.end] == r.text


def test_header_gives_title_speaker_post_and_the_speech_date_not_the_posting_date():
    draft = analyse(page(BODY), filename="p.txt")
    m = draft.meta
    assert m.title == "在全市工作会议上的讲话"
    assert (m.speaker, m.post) == ("张三", "市委书记")
    assert m.speech_date == date(2020, 3, 1)
    assert m.posted_at == "2020-03-05 10:20"
    reasons = {r.reason for r in draft.removed if r.kind == "metadata"}
    assert reasons == {"发布时间", "网页标题"}


def test_subtitle_gives_meeting_and_the_caller_can_override_the_date():
    text = "抓好落实\n——在2019年全县经济工作会议上的讲话\n县长 王五\n（2019年1月8日）\n\n一、总体要求\n\n要三年内见效。\n"
    draft = analyse(text, filename="s.txt")
    assert draft.meta.meeting == "2019年全县经济工作会议"
    assert draft.meta.speech_date == date(2019, 1, 8)
    assert draft.meta.post == "县长"
    draft = analyse(text, filename="s.txt", speech_date=date(2019, 2, 1))
    assert draft.meta.speech_date == date(2019, 2, 1)


def test_a_repeated_copy_of_the_body_is_dropped_and_reported():
    text = page(BODY + "\n\n在全市工作会议上的讲话\n\n市委书记 张三\n\n同志们：\n\n" + BODY)
    draft = analyse(text, filename="p.txt")
    dups = [r for r in draft.removed if r.kind == "duplicate"]
    assert dups and all("重复的正文" in r.reason for r in dups)
    assert draft.text.count("三年内完成投资100亿元") == 2
    tasks = draft.tasks()
    assert len(tasks) == 3  # two 是-items and the goal of 二, once each
    assert len({draft.span_text(t) for t in tasks}) == 3
    first_copy_end = draft.text.index("谢谢大家")
    assert all(t.end <= first_copy_end for t in tasks)


def test_date_in_chinese_numerals():
    text = "标题\n（二〇二三年十二月二十八日）\n\n一、工作\n\n要在五年内完成。\n"
    draft = analyse(text, filename="d.txt")
    assert draft.meta.speech_date == date(2023, 12, 28)
    assert draft.tasks()[0].deadline.date == date(2028, 12, 28)


def test_without_a_date_relative_deadlines_stay_open_and_a_warning_is_given():
    text = "标题\n\n一、工作\n\n要在三年内完成。\n\n二、其他\n\n要抓好落实。\n"
    draft = analyse(text, filename="d.txt")
    assert draft.meta.speech_date is None
    assert any("讲话日期" in w for w in draft.warnings)
    assert draft.tasks()[0].deadline.kind == "relative" and draft.tasks()[0].deadline.date is None


def test_wechat_and_government_site_furniture():
    text = ("原创 某某发布 2023-05-06 08:30 发表于湖北\n点击蓝字 关注我们\n索引号：011234/2023-00012\n"
            "发文机关：某某市人民政府\n【字体：大 中 小】\n在全市工作会议上的讲话\n市长 赵六\n（2023年5月5日）\n\n"
            "一、抓好项目建设\n\n要加快项目进度，年底前完成投资50亿元。\n\n二、关注民生\n\n要办好十件民生实事。\n\n"
            "阅读原文\n在看\n写留言\n微信扫一扫关注该公众号\n")
    draft = analyse(text, filename="w.txt")
    kept_boiler = {r.text for r in draft.removed if r.kind == "boilerplate"}
    assert kept_boiler == {"原创 某某发布 2023-05-06 08:30 发表于湖北", "点击蓝字 关注我们", "索引号：011234/2023-00012",
                           "发文机关：某某市人民政府", "【字体：大 中 小】", "阅读原文", "在看", "写留言",
                           "微信扫一扫关注该公众号"}
    assert draft.meta.posted_at == "2023-05-06 08:30"
    assert draft.meta.speech_date == date(2023, 5, 5)
    assert [t.title for t in draft.tasks()] == ["抓好项目建设", "关注民生"]  # a heading is never boilerplate


def test_a_documents_date_under_its_signature():
    text = ("关于做好防汛工作的通知\n\n各乡镇、各部门：\n\n一、压实责任\n\n各乡镇要在一个月内完成隐患排查。\n\n二、强化值守\n\n"
            "要严格执行24小时值班制度。\n\n某某县人民政府\n2024年5月20日\n")
    draft = analyse(text, filename="n.txt")
    assert draft.meta.speech_date == date(2024, 5, 20) and draft.meta.posted_at == ""
    assert not draft.removed
    assert [t.title for t in draft.tasks()] == ["压实责任", "强化值守"]
    assert draft.tasks()[0].deadline.date == date(2024, 6, 20)
    assert draft.outline[-1].kind == "closing" and draft.span_text(draft.outline[-1]).startswith("某某县人民政府")

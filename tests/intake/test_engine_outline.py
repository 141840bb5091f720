from duban.intake.engine import analyse


def tasks(text, **kw):
    draft = analyse(text, filename="t.txt", **kw)
    return draft, draft.tasks()


def spans(draft, nodes):
    return [draft.span_text(n) for n in nodes]


def test_numbered_sections_nest_by_order_of_appearance():
    text = ("标题\n\n一、总体要求\n\n（一）加强组织领导。各地要成立工作专班。\n\n（二）强化督查考核。要定期通报进展。\n\n"
            "二、重点任务\n\n1.抓好项目建设。要加快项目进度。\n\n2.抓好招商引资。要引进一批企业。\n\n"
            "（1）细化责任。\n\n（2）压实责任。\n")
    draft, ts = tasks(text)
    top = [n for n in draft.outline if n.kind != "preamble"]
    assert [n.marker for n in top] == ["一", "二"]
    assert [c.marker for c in top[0].children] == ["（一）", "（二）"]
    assert [c.marker for c in top[1].children] == ["1", "2"]
    assert [c.marker for c in top[1].children[1].children] == ["（1）", "（2）"]
    assert [t.title for t in ts] == ["加强组织领导", "强化督查考核", "抓好项目建设", "细化责任", "压实责任"]
    # every node's span starts at its marker in the original text
    for n in draft.nodes():
        if n.marker and n.kind not in ("group", "context"):
            assert draft.text[n.start:n.start + len(n.marker)] == n.marker


def test_circled_and_paragraph_opener_markers():
    text = ("标题\n\n一、理解\n\n㈠抓好党建，是执政的应有之义。我们要提高认识。\n\n㈡抓好党建，是发展的根本保障。\n\n二、任务\n\n"
            "第一，组织工作要出经验。要抓好基层党建。\n\n第二，宣传工作要有声势。要抓好舆论引导。\n")
    draft, ts = tasks(text)
    one, two = [n for n in draft.outline if n.kind != "preamble"]
    assert [c.marker for c in one.children] == ["㈠", "㈡"]
    assert all(c.role in ("context", "structure") for c in one.children)
    assert one.children[1].context_kind == "rationale"
    # the directive inside a rationale point is a task, the point itself is not
    assert spans(draft, [t for t in ts if t.kind == "directive"]) == ["我们要提高认识。"]
    assert [c.marker for c in two.children] == ["第一", "第二"]
    assert [t.title for t in ts if t.kind == "item"] == ["组织工作要出经验", "宣传工作要有声势"]


def test_yishi_lists_inside_a_paragraph_with_named_groups():
    text = ("标题\n\n一、工作\n\n在具体工作上，要突出两个重点领域、抓好三项具体工作。两个重点领域：一是抓监督。要加强党内监督。"
            "二是抓执纪。要严格执纪。三项具体工作：一是完善清单；二是开展巡察；三是加强督查。这说明我们还有差距。\n")
    draft, ts = tasks(text)
    area = draft.outline[-1]
    groups = [c for c in area.children if c.kind == "group"]
    assert [g.title for g in groups] == ["两个重点领域", "三项具体工作"]
    assert spans(draft, groups[0].children) == ["一是抓监督。要加强党内监督。", "二是抓执纪。要严格执纪。"]
    assert spans(draft, groups[1].children) == ["一是完善清单；", "二是开展巡察；", "三是加强督查。"]
    assert len(ts) == 5


def test_yiyao_and_shouxian_lists():
    text = ("标题\n\n一、工作\n\n做好今年工作，一要抓学习，二要抓落实，三要抓作风。\n\n二、方法\n\n"
            "首先，要统一思想。其次，要明确责任。最后，要严格考核。\n")
    draft, ts = tasks(text)
    assert spans(draft, ts) == ["一要抓学习，", "二要抓落实，", "三要抓作风。", "首先，要统一思想。", "其次，要明确责任。",
                                "最后，要严格考核。"]


def test_problem_past_work_and_definition_lists_are_context_not_tasks():
    text = ("标题\n\n一、工作\n\n当前还存在三个方面的问题：一是观念没有转变；二是落实不到位；三是作风不够扎实。"
            "过去一年，我们一是完成了改革任务，二是建成了服务中心。"
            "“两个维护”是：一是坚决维护核心地位，二是坚决维护集中统一领导。"
            "今年重点做好两项工作：一是抓好整改；二是建立长效机制。\n")
    draft, ts = tasks(text)
    area = draft.outline[-1]
    kinds = [(c.kind, c.context_kind) for c in area.children]
    assert kinds == [("context", "problem"), ("context", "past_work"), ("context", "definition"), ("group", "")]
    assert spans(draft, ts) == ["一是抓好整改；", "二是建立长效机制。"]


def test_per_organisation_directives_split_at_semicolons():
    text = ("标题\n\n一、群团工作\n\n群团组织各有特色。工会要维护职工权益；共青团要服务青年；妇联要维护妇女权益。"
            "各群团组织要推进改革。\n")
    draft, ts = tasks(text)
    assert spans(draft, ts) == ["工会要维护职工权益；", "共青团要服务青年；", "妇联要维护妇女权益。", "各群团组织要推进改革。"]
    assert [[u.name for u in t.units] for t in ts] == [["市总工会"], ["团市委"], ["市妇联"], ["各群团组织"]]


def test_area_goal_with_a_multi_year_deadline_and_inherited_year_of_a_group_intro():
    text = ("讲话\n（2018年3月1日）\n\n一、宣传工作\n\n今后五年，要完成10个文明乡镇、50个文明村创建。2018年，要突出两个重点。"
            "一是用好学习载体。二是开展文明创建。\n")
    _draft, ts = tasks(text)
    goal, a, b = ts
    assert goal.kind == "area_goal"
    assert goal.deadline.date.isoformat() == "2023-03-01"
    assert [(t.quantity, t.object) for t in goal.targets if t.kind == "numeric"] == [(10, "文明乡镇"), (50, "文明村")]
    assert a.deadline.inherited and a.deadline.date.isoformat() == "2018-12-31" and a.deadline.text == "2018年"
    assert b.deadline.inherited


def test_heading_year_is_inherited_and_paragraph_items_under_a_heading():
    text = ("政府工作报告\n（2024年1月10日）\n\n一、2023年工作回顾\n\n过去一年，全市生产总值增长6%。\n\n二、2024年重点工作\n\n（一）加快产业发展。\n\n"
            "实施制造业倍增计划，新增规上工业企业30家。\n\n加快发展数字经济，6月底前建成5G基站500个。\n")
    draft, ts = tasks(text)
    past = draft.outline[0] if draft.outline[0].kind != "preamble" else draft.outline[1]
    assert past.marker == "一"
    assert all(n.role != "task" for n in past.walk())
    assert [t.kind for t in ts] == ["paragraph", "paragraph"]
    assert ts[0].deadline.inherited and ts[0].deadline.date.isoformat() == "2024-12-31"
    assert ts[1].deadline.date.isoformat() == "2024-06-30" and not ts[1].deadline.inherited


def test_no_enumeration_gives_one_item_and_a_warning():
    text = "关于加强作风建设的通知\n\n各单位要认真落实中央八项规定精神，坚决反对形式主义。\n"
    draft, ts = tasks(text)
    assert len(ts) == 1
    assert ts[0].start == draft.body_start and ts[0].end == draft.body_end
    assert draft.text[draft.header_start:].startswith("关于加强作风建设的通知")
    assert any("未识别到任务层次" in w for w in draft.warnings)


def test_closing_directives_after_the_numbered_body():
    text = ("标题\n\n一、工作\n\n要抓好落实。\n\n同志们，任务艰巨。各级党委要统揽全局。推进两项改革。一是改革考评机制。"
            "二是改革领导机制。\n\n谢谢大家！\n")
    draft, ts = tasks(text)
    closing = draft.outline[-1]
    assert closing.kind == "closing"
    assert spans(draft, [t for t in ts if closing.start <= t.start]) == [
        "各级党委要统揽全局。", "一是改革考评机制。", "二是改革领导机制。"]


def test_chinese_numeral_targets_but_not_list_names():
    text = ("讲话\n（2020年1月5日）\n\n一、工作\n\n今年重点抓好三项工作：一是新建五所学校；二是打造三个示范园区；"
            "三是用好一个学习载体。\n")
    _draft, ts = tasks(text)
    assert [[(t.quantity, t.measure, t.object) for t in x.targets if t.kind == "numeric"] for x in ts] == [
        [(5, "所", "学校")], [(3, "个", "示范园区")], []]


def test_a_tonjimen_paragraph_inside_the_body_is_not_the_closing():
    text = ("讲话\n（2020年5月1日）\n\n一、统一思想，提高认识\n\n我们要清醒地看到，当前形势依然严峻。各级党组织要提高政治站位。\n\n"
            "二、抓好重点\n\n（一）抓项目。要加快项目建设。\n\n（二）抓招商。要引进一批企业。\n\n"
            "同志们，项目是发展的生命线，大家一定要抓紧抓实。\n\n（三）抓服务。要优化营商环境。\n\n"
            "三、强化保障\n\n要加强组织领导。\n\n同志们，任务艰巨，让我们共同努力！\n")
    draft, ts = tasks(text)
    top = [n for n in draft.outline if n.kind != "preamble"]
    assert [n.marker for n in top] == ["一", "二", "三", ""]
    assert [c.marker for c in top[1].children] == ["（一）", "（二）", "（三）"]
    assert draft.span_text(top[1].children[1]).endswith("大家一定要抓紧抓实。")
    # '我们要清醒地看到…' states a view; the directive with a named subject is the task
    assert [draft.span_text(t) for t in ts if t.kind == "directive"] == ["各级党组织要提高政治站位。"]


def test_a_stated_count_that_does_not_match_is_a_warning():
    text = "讲话\n\n一、工作\n\n重点做好四项工作：一是抓学习；二是抓落实；三是抓作风。\n"
    draft, ts = tasks(text)
    assert len(ts) == 3
    assert any("“四项工作”说有4项，识别到3项" in w for w in draft.warnings)

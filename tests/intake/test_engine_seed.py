"""End to end on the seed: a web scrape of a 2017 speech, boilerplate and a second copy included."""

from datetime import date

from duban.intake.engine.score import oracle_items, score


def test_cleaning_metadata_and_duplicate(seed_draft, seed_labels):
    d = seed_draft
    assert d.meta.title == seed_labels["title"]
    assert (d.meta.speaker, d.meta.post) == ("向前进", "市委书记")
    assert d.meta.speech_date == date(2017, 2, 19)
    assert d.meta.posted_at == "2017-02-23 14:53"
    assert d.meta.meeting == "2017年全市党建暨经济工作会议"
    boiler = sorted(r.line for r in d.removed if r.kind == "boilerplate")
    assert boiler == seed_labels["boilerplate_line_numbers"]
    dup = {r.line for r in d.removed if r.kind == "duplicate"}
    lines = d.text.split("\n")
    second = {n for n in range(65, 118) if lines[n - 1].strip()}
    assert dup == second
    assert d.term_end == date(2021, 12, 31)
    assert d.text[d.header_start:].startswith("抓好“最大政绩”")  # the document's own header: its title
    assert d.text[d.body_start:].startswith("同志们:")
    assert d.body_end == d.text.index("谢谢大家!") + len("谢谢大家!")


def test_outline_matches_the_labels(seed_draft, seed_labels):
    d = seed_draft
    top = [n for n in d.outline if n.kind != "preamble"]
    assert [n.marker for n in top] == ["一", "二", ""]
    one, two, closing = top
    assert closing.kind == "closing"
    # the five 要义 under 一: rationale points, with the spans of the labels
    points = [c for c in one.children if c.marker]
    labelled = seed_labels["sections"][0]["points"]
    assert [p.marker for p in points] == ["㈠", "㈡", "㈢", "㈣", "㈤"]
    assert [(p.start, p.end) for p in points] == [(x["char_start"], x["char_end"]) for x in labelled]
    assert all(p.context_kind == "rationale" for p in points)
    # the nine work areas under 二
    areas = two.children
    labelled = seed_labels["sections"][1]["work_areas"]
    assert [a.marker for a in areas] == ["第一", "第二", "第三", "第四", "第五", "第六", "第七", "第八", "第九"]
    assert [(a.start, a.end) for a in areas] == [(x["char_start"], x["char_end"]) for x in labelled]
    # items per area: 第一 8, 第二 7, 第三 5+goal, 第四 2, 第五 4+goal, 第六 2, 第七 3, 第八 6 org directives, 第九 3
    counts = [sum(1 for n in a.walk() if n.role == "task") for a in areas]
    assert counts == [len(x["items"]) for x in labelled] == [8, 7, 6, 2, 5, 2, 3, 6, 3]
    # the five reforms in the closing part
    reforms = [g for g in closing.children if g.kind == "group"]
    assert len(reforms) == 1 and reforms[0].title == "五项改革"
    assert [(c.start, c.end) for c in reforms[0].children] == [
        (x["char_start"], x["char_end"]) for x in seed_labels["sections"][2]["reforms"]]
    # problem lists and definitions are context, never tasks
    problems = [n for n in d.nodes() if n.context_kind == "problem"]
    assert len(problems) == 2 and all(c.role == "context" for p in problems for c in p.children)


def test_no_duplicates_and_all_spans_in_the_first_copy(seed_draft):
    tasks = seed_draft.tasks()
    spans = [(t.start, t.end) for t in tasks]
    assert len(spans) == len(set(spans))
    assert all(e <= 10284 + 179 for _, e in spans)
    texts = [seed_draft.span_text(t) for t in tasks]
    assert len(texts) == len(set(texts))
    ids = [t.id for t in tasks]
    assert len(ids) == len(set(ids))


def test_deadlines_including_inherited_ones(seed_draft):
    def deadline(prefix):
        return next(t.deadline for t in seed_draft.tasks() if seed_draft.span_text(t).startswith(prefix))

    assert deadline("二是村级集体经济达标三年内").date == date(2020, 2, 19)
    assert deadline("三是村、社区党员群众服务中心").date == date(2022, 2, 19)
    assert deadline("一是软弱涣散基层党组织整改").kind == "periodic"
    assert deadline("二是开展基层全面巡察").kind == "term"
    inherited = [t for t in seed_draft.tasks() if t.deadline and t.deadline.inherited]
    assert len(inherited) == 13 and all(t.deadline.date == date(2017, 12, 31) for t in inherited)
    assert sum(1 for t in seed_draft.tasks() if t.deadline) == 21  # 20 area/reform items + the 2019 directive


def test_scores_against_the_labels(seed_draft, seed_labels):
    assert len(oracle_items(seed_labels)) == 55
    result = score(seed_draft, seed_labels)
    assert result["precision"] >= 0.95
    assert result["recall"] >= 0.95
    assert result["deadline_accuracy"] >= 0.95
    assert result["unit_accuracy"] >= 0.9
    assert result["unit_jaccard"] >= 0.9
    assert result["boilerplate_precision"] == 1.0 and result["boilerplate_recall"] == 1.0
    assert result["duplicate_removed"] == 1.0
    assert result["speech_date_ok"] is True


def test_targets_of_the_seed(seed_draft):
    goal = next(t for t in seed_draft.tasks() if t.kind == "area_goal" and "今后五年" in seed_draft.span_text(t))
    numeric = [(t.quantity, t.measure, t.object) for t in goal.targets if t.kind == "numeric"]
    assert numeric == [(10, "个", "文明乡镇"), (50, "个", "文明乡村")]
    reform = next(t for t in seed_draft.tasks() if seed_draft.span_text(t).startswith("二是建立12个"))
    assert [(t.quantity, t.object) for t in reform.targets if t.kind == "numeric"] == [(12, "领导小组运行办法")]
    group = next(n for n in seed_draft.nodes() if n.kind == "group" and n.title == "四项工作")
    assert [t.object for t in group.targets] == ["重大政治影响事件", "暴力恐怖事件", "重大刑事案件", "重大群体性事件",
                                                 "公共安全事件"]


def test_sub_tasks_and_named_inline_lists(seed_draft, seed_labels):
    d = seed_draft
    subs = [n for n in d.nodes() if n.role == "subtask"]
    assert len(subs) == 6  # 第六: 三项改革 ×3, 三个作用 ×3
    labelled = seed_labels["sections"][1]["work_areas"][5]["items"][0]["sub_enumerations"][0]["members"]
    assert [(n.start, n.end) for n in subs[:3]] == [(m["char_start"], m["char_end"]) for m in labelled]
    inline = {n.title: n for n in d.nodes() if n.marker == "inline"}
    assert set(inline) == {"四大考验", "四大危险", "六个专项治理", "两个覆盖", "五个不发生", "五个坚持"}
    assert inline["六个专项治理"].context_kind == "past_work"
    assert inline["五个不发生"].context_kind == "target"
    assert [(m.start, m.end) for m in inline["四大考验"].children] == [(870, 874), (875, 879), (880, 884), (885, 889)]
    assert all(n.role == "context" for t in inline.values() for n in t.walk())


def test_oracle_items_from_labels_without_unit_fields():
    labels = {"sections": [{"items": [
        {"text": "a", "char_start": 1, "char_end": 5, "deadline": None},
        {"text": "b", "char_start": 5, "char_end": 9, "kind": "task", "members": [
            {"text": "x", "char_start": 5, "char_end": 6}]},
        {"text": "c", "char_start": 9, "char_end": 12}]}]}
    assert [o["text"] for o in oracle_items(labels)] == ["a", "b"]

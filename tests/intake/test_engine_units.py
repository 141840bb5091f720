from duban.intake.engine import analyse
from duban.intake.engine.units import default_directory, default_topic_map, speaker_org

HEAD = "讲话\n市委书记 张三\n（2017年2月19日）\n\n"


def units_of(text, **kw):
    draft = analyse(HEAD + text, filename="u.txt", **kw)
    return [[u.name for u in t.units] for t in draft.tasks()], draft


def test_aliases_are_matched_against_the_directory():
    names, _ = units_of("一、纪检工作\n\n一是强化监督。支持纪委加强监督执纪问责。二是抓好巡察。市委巡察办要统筹指导。\n")
    assert names == [["市纪委"], ["市委巡察办"]]


def test_named_but_not_responsible_units_are_skipped():
    names, _ = units_of(
        "一、组织工作\n\n一是抓好整改。这次省委组织部通报的问题，要分类整改。"
        "二是建强后备力量。稳步实施乡(镇、办事处)人武部正规化建设。"
        "三是总结经验。要总结提升沐抚办事处调处经验，围绕市委中心工作做好服务。\n")
    assert names == [["市委组织部"], ["市委组织部"], ["市委组织部"]]


def test_units_implied_by_the_topic_of_the_work_area():
    names, _ = units_of("一、宣传工作要有声势\n\n一是用好学习载体。二是推出先进典型。\n\n"
                        "二、政法工作要敢担当\n\n一是深化平安建设。二是发挥公安机关的专政职能、人民法院的审判职能。\n")
    assert names == [["市委宣传部"], ["市委宣传部"], ["市委政法委"], ["市公安局", "市人民法院", "市委政法委"]]


def test_subjects_of_directives_are_the_responsible_units():
    names, _ = units_of("一、工作\n\n一是抓好巡察。市委要实现巡察全覆盖，已经接受巡察的单位，要抓好整改，巡察组要开展回头看。"
                        "二是强化党管武装。全市各级党组织要支持军队改革。\n")
    assert names == [["市委", "已经接受巡察的单位", "巡察组"], ["全市各级党组织"]]


def test_without_any_unit_the_speakers_organ_is_implied():
    names, _ = units_of("一、改革\n\n推进两项改革。一是推行ABC角制度。二是改革要素分配机制。\n")
    assert names == [["市委"], ["市委"]]
    assert speaker_org("市委书记") == "市委" and speaker_org("县长") == "县政府" and speaker_org("") is None


def test_directory_and_topic_map_are_parameters():
    directory = [{"key": "x1", "name": "芭蕉侗族乡", "aliases": ["芭蕉乡", "芭蕉"]},
                 {"key": "x2", "name": "市文旅局", "aliases": ["文旅局"]}]
    topic_map = {"旅游": ["市文旅局"]}
    names, draft = units_of("一、旅游工作\n\n一是打造景区。芭蕉乡要建设茶旅小镇。二是开发线路。要推出精品线路。\n",
                            directory=directory, topic_map=topic_map)
    assert names == [["芭蕉侗族乡"], ["市文旅局"]]
    first = draft.tasks()[0].units[0]
    assert (first.key, first.basis, first.as_written) == ("x1", "named", "芭蕉乡")
    assert draft.tasks()[1].units[0].basis == "implied"


def test_default_data_files_ship_with_the_engine():
    directory = default_directory()
    names = {u["name"] for u in directory}
    assert {"市纪委", "市委巡察办", "市委组织部", "市委宣传部", "市委党校", "市人武部"} <= names
    jw = next(u for u in directory if u["name"] == "市纪委")
    assert "市纪委监委" in jw["aliases"]
    assert all({"key", "name", "aliases"} <= u.keys() for u in directory)
    topics = default_topic_map()
    assert topics["宣传"] == ["市委宣传部"] and len(topics["群团"]) == 5


def test_evaluators_and_models_named_after_you_bei_xiang_are_not_responsible():
    names, _ = units_of("一、纪检工作\n\n一是抓好考核。年底由市委组织部考核各单位。二是抓好学习。各单位要向市纪委学习先进经验。"
                        "三是抓好表彰。市公安局被评为先进单位。\n")
    assert names == [["市纪委"], ["各单位"], ["市纪委"]]

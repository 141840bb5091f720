"""Intake services: storing a draft, editing it, confirming it into sources and tasks.

Most tests feed a small Draft built by hand (the engine's dataclasses) so they test the
services, not the text engine; the seed speech goes through the real engine end to end.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from duban.core.models import AuditEntry
from duban.core.services import ConcurrentEditError
from duban.intake import selectors
from duban.intake import services as svc
from duban.intake.engine.model import Deadline, Draft, Meta, Node, Removed, Target, UnitRef
from duban.intake.models import DraftStatus, IntakeDraft, TopicMapping
from duban.tasks import services as task_services
from duban.tasks.models import Source, Task

SEED = Path(__file__).resolve().parents[1] / "data" / "000_ad234ba100576d65.txt"  # tests/data/README.md

TEXT = (
    "打开APP\n"
    "关于2026年重点工作的讲话\n"
    "市委书记 张三\n"
    "一、抓党建\n"
    "一是加强基层组织建设,芭蕉侗族乡负责,年底前完成10个村整改。二是开展巡察,白果乡负责。\n"
    "二、抓发展\n"
    "一是发展茶产业。\n"
    "存在问题:一是观念落后。\n"
)


def span(text: str, part: str) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part)


def make_draft(cast, text: str = TEXT) -> Draft:
    """A hand-built decomposition of TEXT: two sections, three items, one context list."""
    bajiao, baiguo = str(cast.bajiao.pk), str(cast.baiguo.pk)
    s1 = span(text, "一、抓党建\n一是加强基层组织建设,芭蕉侗族乡负责,年底前完成10个村整改。二是开展巡察,白果乡负责。")
    i1 = span(text, "一是加强基层组织建设,芭蕉侗族乡负责,年底前完成10个村整改。")
    i2 = span(text, "二是开展巡察,白果乡负责。")
    s2 = span(text, "二、抓发展\n一是发展茶产业。")
    i3 = span(text, "一是发展茶产业。")
    c1 = span(text, "存在问题:一是观念落后。")
    ts = span(text, "10个村整改")
    dl = span(text, "年底前")
    return Draft(
        source_name="speech.txt", encoding="utf-8", text=text,
        meta=Meta(title="关于2026年重点工作的讲话", speaker="张三", post="市委书记", speech_date=date(2026, 1, 10)),
        removed=[Removed(line=1, start=0, end=6, text="打开APP", reason="应用下载提示", kind="boilerplate")],
        body_start=text.index("关于"), body_end=len(text),
        outline=[
            Node(kind="section", role="structure", start=s1[0], end=s1[1], marker="一", title="抓党建", children=[
                Node(kind="item", role="task", start=i1[0], end=i1[1], marker="一是", title="加强基层组织建设",
                     deadline=Deadline(text="年底前", kind="year", date=date(2026, 12, 31), start=dl[0], end=dl[1]),
                     targets=[Target(text="10个村整改", kind="numeric", quantity=10.0, measure="个", object="村整改",
                                     start=ts[0], end=ts[1])],
                     units=[UnitRef(name="芭蕉侗族乡", basis="named", key=bajiao, start=i1[0] + 11, end=i1[0] + 16)]),
                Node(kind="item", role="task", start=i2[0], end=i2[1], marker="二是", title="开展巡察",
                     units=[UnitRef(name="白果乡", basis="named", key=baiguo, start=i2[0] + 7, end=i2[0] + 10)]),
            ]),
            Node(kind="section", role="structure", start=s2[0], end=s2[1], marker="二", title="抓发展", children=[
                Node(kind="item", role="task", start=i3[0], end=i3[1], marker="一是", title="发展茶产业",
                     units=[UnitRef(name="市委组织部", basis="implied", key=None)]),
            ]),
            Node(kind="context", role="context", start=c1[0], end=c1[1], title="存在问题", context_kind="problem"),
        ],
    )


@pytest.fixture
def fake_engine(monkeypatch, cast):
    """Make the engine return the hand-built draft (and remember what it was given)."""
    from duban.intake import engine

    calls = []

    def analyse(raw, filename=None, speech_date=None, directory=None, topic_map=None, term_end=None):
        calls.append({"filename": filename, "speech_date": speech_date, "directory": directory,
                      "topic_map": topic_map, "term_end": term_end})
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        draft = make_draft(cast, text if text.startswith(TEXT) else TEXT)
        draft.source_name = filename
        return draft

    monkeypatch.setattr(engine, "analyse", analyse)
    return calls


def upload(cast, raw: bytes = TEXT.encode(), name: str = "speech.txt", user=None, **kw) -> IntakeDraft:
    return svc.draft_create(actor=user or cast.supervisor, raw=raw, file_name=name, **kw)


def node_by_title(draft: IntakeDraft, title: str) -> dict:
    draft.refresh_from_db()
    return next(n for n in svc.walk(draft.data["outline"]) if n["title"] == title)


def titles(nodes) -> list:
    return [(n["title"], titles(n.get("children", []))) if n.get("children") else n["title"] for n in nodes]


def nothing_changed(draft: IntakeDraft, before: dict, version: int) -> bool:
    draft.refresh_from_db()
    return draft.data == before and draft.version == version


# --- upload -----------------------------------------------------------------------------------
def test_an_upload_stores_a_draft_and_creates_no_source_or_task(cast, fake_engine):
    draft = upload(cast, speech_date=date(2026, 1, 10))
    assert draft.status == DraftStatus.DRAFT and draft.created_by == cast.supervisor
    assert draft.file_name == "speech.txt" and len(draft.raw_sha256) == 64
    assert draft.title == "关于2026年重点工作的讲话"
    assert Source.objects.count() == 0 and Task.objects.count() == 0
    item = node_by_title(draft, "加强基层组织建设")
    assert item["lead_unit"] == cast.bajiao.pk and item["include"] is True
    assert item["due_date"] == "2026-12-31"
    assert (item["target_number"], item["target_measure"], item["target_object"]) == ("10", "个", "村整改")
    assert node_by_title(draft, "发展茶产业")["lead_unit"] is None  # not in the directory
    assert node_by_title(draft, "存在问题")["include"] is False  # context is excluded by default
    assert AuditEntry.objects.filter(event="intake_draft_create", object_id=str(draft.pk)).exists()
    # the engine got the database directory, keyed by unit id, and the date override
    call = fake_engine[0]
    bajiao = next(u for u in call["directory"] if u["key"] == str(cast.bajiao.pk))
    assert bajiao["name"] == "芭蕉侗族乡" and sorted(bajiao["aliases"]) == ["芭蕉", "芭蕉乡"]
    assert call["speech_date"] == date(2026, 1, 10)


@pytest.mark.parametrize("raw,name,message", [
    (b"", "empty.txt", "是空的"),
    (b"x" * 2048, "big.txt", "过大"),
    (b"\x00\x01\x02binary\x00" * 10, "blob.txt", "二进制"),
    (TEXT.encode(), "speech.pdf", "无法读取 PDF"),
    (TEXT.encode(), "speech.pages", "不支持该文件类型"),
    (TEXT.encode(), "speech.doc", ".docx"),
    (b"PK\x03\x04 not a zip", "speech.docx", "Word"),
    (b"hello world, no Chinese", "english.txt", "中文"),
])
def test_a_bad_file_is_refused_in_chinese_and_nothing_is_stored(cast, settings, raw, name, message):
    settings.DUBAN_MAX_IMPORT_BYTES = 1024
    with pytest.raises(ValidationError) as exc:
        upload(cast, raw, name)
    assert message in " ".join(exc.value.messages)
    assert IntakeDraft.objects.count() == 0 and Source.objects.count() == 0
    assert not AuditEntry.objects.filter(event="intake_draft_create").exists()


def test_a_zip_bomb_docx_is_refused_before_the_engine_opens_it(cast):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"<w:document/>")
        z.writestr("pad.bin", b"\x00" * (svc.DOCX_MAX_UNCOMPRESSED + 1))
    with pytest.raises(ValidationError, match="压缩炸弹"):
        upload(cast, buf.getvalue(), "bomb.docx")
    assert IntakeDraft.objects.count() == 0


def test_the_same_file_while_its_draft_is_open_points_to_that_draft(cast, fake_engine):
    first = upload(cast)
    with pytest.raises(svc.DuplicateDraftError) as exc:
        upload(cast, user=cast.supervisor)
    assert exc.value.draft == first and "未确认的草稿" in exc.value.messages[0]
    assert IntakeDraft.objects.count() == 1
    svc.draft_discard(actor=cast.supervisor, draft=first)
    assert upload(cast).pk != first.pk  # a discarded draft no longer blocks a fresh analysis


def test_a_term_end_before_the_speech_date_is_refused(cast, fake_engine):
    with pytest.raises(ValidationError, match="任期届满"):
        upload(cast, speech_date=date(2026, 1, 10), term_end=date(2025, 1, 1))
    assert IntakeDraft.objects.count() == 0


def test_only_intake_users_may_upload_or_edit(cast, fake_engine):
    with pytest.raises(PermissionDenied):
        upload(cast, user=cast.bajiao_liaison)
    draft = upload(cast)
    with pytest.raises(PermissionDenied):
        svc.draft_node_drop(actor=cast.leader, draft=draft, expected_version=draft.version,
                            node_id=node_by_title(draft, "开展巡察")["id"])
    assert node_by_title(draft, "开展巡察")


def test_the_seed_speech_imports_as_it_is(cast):
    assert SEED.exists(), f"seed file missing: {SEED}"
    draft = upload(cast, SEED.read_bytes(), SEED.name)
    data = draft.data
    assert data["meta"]["title"] == "抓好“最大政绩” 担当发展使命"
    assert data["meta"]["speech_date"] == "2017-02-19"
    assert any(r["kind"] == "boilerplate" for r in data["removed"])
    assert any(r["kind"] == "duplicate" for r in data["removed"])
    items = [n for n in svc.walk(data["outline"]) if n["role"] == "task"]
    assert len(items) >= 40
    ids = [n["id"] for n in svc.walk(data["outline"])]
    assert len(ids) == len(set(ids))
    body = svc.cleaned_text(data)
    assert body.startswith("同志们") and "打开APP" not in body and body.endswith("谢谢大家!")
    assert body.count("务实重行,抓好九项工作") == 1  # the duplicate copy is gone
    assert Source.objects.count() == 0 and Task.objects.count() == 0


# --- edits ------------------------------------------------------------------------------------
def test_an_item_can_be_edited_field_by_field(cast, fake_engine):
    draft = upload(cast)
    node = node_by_title(draft, "开展巡察")
    svc.draft_node_update(actor=cast.supervisor, draft=draft, expected_version=draft.version, node_id=node["id"],
                          title="开展基层全面巡察", include=True, lead_unit=cast.baiguo, co_units=[cast.bajiao],
                          due_date=date(2026, 6, 30), target_number="3", target_measure="轮", target_object="巡察")
    edited = node_by_title(draft, "开展基层全面巡察")
    assert edited["lead_unit"] == cast.baiguo.pk and edited["co_units"] == [cast.bajiao.pk]
    assert edited["due_date"] == "2026-06-30" and edited["target_number"] == "3"
    assert draft.version == 2
    entry = AuditEntry.objects.filter(event="intake_draft_edit").latest("seq")
    assert entry.data["changes"]["title"] == ["开展巡察", "开展基层全面巡察"]


@pytest.mark.parametrize("changes,message", [
    ({"title": "  "}, "请填写"),
    ({"title": "长" * 301}, "不能超过"),
    ({"co_units": "lead"}, "牵头单位不能同时是配合单位"),
    ({"target_number": "-1"}, "不能为负数"),
    ({"target_number": "ten"}, "应为数字"),
    ({"target_number": "", "target_object": "村"}, "请填写目标数量"),
    ({"target_measure": "一二三四五六七八九十一"}, "不能超过"),
    ({"due_date": "2026-13-01"}, "日期格式不正确"),
])
def test_bad_item_edits_are_refused_and_change_nothing(cast, fake_engine, changes, message):
    draft = upload(cast)
    node = node_by_title(draft, "开展巡察")
    before, version = draft.data, draft.version
    values = {"title": "开展巡察", "include": True, "lead_unit": cast.baiguo, "co_units": [], "due_date": None,
              "target_number": None, "target_measure": "", "target_object": ""}
    values.update(changes)
    if values["co_units"] == "lead":
        values["co_units"] = [cast.baiguo]
    with pytest.raises(ValidationError) as exc:
        svc.draft_node_update(actor=cast.supervisor, draft=draft, expected_version=version, node_id=node["id"],
                              **values)
    assert message in " ".join(exc.value.messages)
    assert nothing_changed(draft, before, version)


def test_a_stale_edit_is_refused_with_a_clear_error(cast, fake_engine):
    draft = upload(cast)
    node = node_by_title(draft, "开展巡察")
    svc.draft_node_set_include(actor=cast.supervisor, draft=draft, expected_version=1, node_id=node["id"],
                               include=False)
    before = IntakeDraft.objects.get(pk=draft.pk).data
    with pytest.raises(ConcurrentEditError, match="已被他人修改"):
        svc.draft_node_drop(actor=cast.supervisor, draft=draft, expected_version=1, node_id=node["id"])
    assert nothing_changed(draft, before, 2)


def test_an_unknown_item_is_refused(cast, fake_engine):
    draft = upload(cast)
    with pytest.raises(ValidationError, match="没有该条目"):
        svc.draft_node_drop(actor=cast.supervisor, draft=draft, expected_version=1, node_id="n999")
    assert draft.version == 1


def test_merging_joins_an_item_with_its_next_sibling(cast, fake_engine):
    draft = upload(cast)
    first = node_by_title(draft, "加强基层组织建设")
    svc.draft_node_merge(actor=cast.supervisor, draft=draft, expected_version=1, node_id=first["id"])
    merged = node_by_title(draft, "加强基层组织建设")
    assert draft.data["text"][merged["start"]:merged["end"]].endswith("白果乡负责。")
    assert merged["lead_unit"] == cast.bajiao.pk and merged["co_units"] == [cast.baiguo.pk]
    assert titles(draft.data["outline"])[0] == ("抓党建", ["加强基层组织建设"])


def test_the_last_item_cannot_be_merged(cast, fake_engine):
    draft = upload(cast)
    before = draft.data
    with pytest.raises(ValidationError, match="没有同级条目"):
        svc.draft_node_merge(actor=cast.supervisor, draft=draft, expected_version=1,
                             node_id=node_by_title(draft, "开展巡察")["id"])
    assert nothing_changed(draft, before, 1)


def test_splitting_at_an_offset_gives_the_second_part_its_own_title_and_findings(cast, fake_engine):
    draft = upload(cast)
    section = node_by_title(draft, "抓党建")
    first_item = node_by_title(draft, "加强基层组织建设")
    offset = TEXT.index("年底前")
    svc.draft_node_split(actor=cast.supervisor, draft=draft, expected_version=1, node_id=first_item["id"],
                         offset=offset)
    parts = node_by_title(draft, "抓党建")["children"]
    assert [p["title"] for p in parts] == ["加强基层组织建设", "年底前完成10个村整改", "开展巡察"]
    assert parts[0]["due_date"] is None and parts[1]["due_date"] == "2026-12-31"  # the deadline went with its text
    assert parts[1]["targets"] and not parts[0]["targets"]
    assert parts[1]["id"] not in {section["id"], parts[0]["id"], parts[2]["id"]}


@pytest.mark.parametrize("offset,message", [(0, "不在"), (10 ** 6, "不在"), ("5", "整数")])
def test_a_split_outside_the_item_is_refused(cast, fake_engine, offset, message):
    draft = upload(cast)
    before = draft.data
    with pytest.raises(ValidationError, match=message):
        svc.draft_node_split(actor=cast.supervisor, draft=draft, expected_version=1,
                             node_id=node_by_title(draft, "开展巡察")["id"], offset=offset)
    assert nothing_changed(draft, before, 1)


def test_a_split_through_a_child_is_refused(cast, fake_engine):
    draft = upload(cast)
    before = draft.data
    with pytest.raises(ValidationError, match="中间"):
        svc.draft_node_split(actor=cast.supervisor, draft=draft, expected_version=1,
                             node_id=node_by_title(draft, "抓党建")["id"], offset=TEXT.index("芭蕉侗族乡"))
    assert nothing_changed(draft, before, 1)


def test_splitting_into_two_titles_keeps_the_text_for_both(cast, fake_engine):
    draft = upload(cast)
    node = node_by_title(draft, "发展茶产业")
    svc.draft_node_split(actor=cast.supervisor, draft=draft, expected_version=1, node_id=node["id"],
                         titles=["扩大茶园面积", "打造茶叶品牌"])
    a, b = node_by_title(draft, "扩大茶园面积"), node_by_title(draft, "打造茶叶品牌")
    assert (a["start"], a["end"]) == (b["start"], b["end"]) and a["id"] != b["id"]
    with pytest.raises(ValidationError, match="请填写"):
        svc.draft_node_split(actor=cast.supervisor, draft=draft, expected_version=2, node_id=a["id"],
                             titles=["只有一个", ""])


def test_dropping_removes_an_item_and_its_children(cast, fake_engine):
    draft = upload(cast)
    svc.draft_node_drop(actor=cast.supervisor, draft=draft, expected_version=1,
                        node_id=node_by_title(draft, "抓党建")["id"])
    assert titles(draft.data["outline"]) == [("抓发展", ["发展茶产业"]), "存在问题"]


def test_items_can_be_indented_outdented_and_given_a_parent(cast, fake_engine):
    draft = upload(cast)
    second = node_by_title(draft, "开展巡察")
    svc.draft_node_move(actor=cast.supervisor, draft=draft, expected_version=1, node_id=second["id"],
                        action="indent")
    assert titles(draft.data["outline"])[0] == ("抓党建", [("加强基层组织建设", ["开展巡察"])])
    svc.draft_node_move(actor=cast.supervisor, draft=draft, expected_version=2, node_id=second["id"],
                        action="outdent")
    assert titles(draft.data["outline"])[0] == ("抓党建", ["加强基层组织建设", "开展巡察"])
    svc.draft_node_move(actor=cast.supervisor, draft=draft, expected_version=3, node_id=second["id"],
                        action="parent", parent_id=node_by_title(draft, "抓发展")["id"])
    assert titles(draft.data["outline"])[1] == ("抓发展", ["发展茶产业", "开展巡察"])
    svc.draft_node_move(actor=cast.supervisor, draft=draft, expected_version=4, node_id=second["id"],
                        action="up")
    assert titles(draft.data["outline"])[1] == ("抓发展", ["开展巡察", "发展茶产业"])


@pytest.mark.parametrize("title,action,parent,message", [
    ("加强基层组织建设", "indent", None, "无法降级"),
    ("抓党建", "outdent", None, "无法升级"),
    ("抓党建", "parent", "加强基层组织建设", "自己或它的下级"),
    ("抓党建", "parent", "抓党建", "自己或它的下级"),
    ("抓党建", "sideways", None, "不支持"),
    ("抓党建", "up", None, "无法移动"),
])
def test_impossible_moves_are_refused(cast, fake_engine, title, action, parent, message):
    draft = upload(cast)
    before = draft.data
    parent_id = node_by_title(draft, parent)["id"] if parent else None
    with pytest.raises(ValidationError, match=message):
        svc.draft_node_move(actor=cast.supervisor, draft=draft, expected_version=1,
                            node_id=node_by_title(draft, title)["id"], action=action, parent_id=parent_id)
    assert nothing_changed(draft, before, 1)


def test_the_metadata_can_be_corrected(cast, fake_engine):
    draft = upload(cast)
    svc.draft_meta_update(actor=cast.supervisor, draft=draft, expected_version=1, title="新标题", speaker="李四",
                          post="市长", speech_date=date(2026, 2, 1))
    draft.refresh_from_db()
    assert draft.title == "新标题" and draft.data["meta"]["speech_date"] == "2026-02-01"
    with pytest.raises(ValidationError, match="请填写"):
        svc.draft_meta_update(actor=cast.supervisor, draft=draft, expected_version=2, title="")


def test_a_text_without_a_recognised_title_is_named_after_its_file(cast, monkeypatch):
    from duban.intake import engine

    def untitled(raw, **kwargs):
        draft = make_draft(cast)
        draft.meta.title = ""
        return draft

    monkeypatch.setattr(engine, "analyse", untitled)
    draft = upload(cast, name="2026年工作要点.txt")
    assert draft.title == "2026年工作要点" and draft.data["meta"]["title"] == "2026年工作要点"


def test_a_bad_source_kind_is_refused(cast, fake_engine):
    draft = upload(cast)
    with pytest.raises(ValidationError, match="来源类型"):
        svc.draft_meta_update(actor=cast.supervisor, draft=draft, expected_version=1, title="标题", kind="inspection")
    assert draft.version == 1


# --- confirm ----------------------------------------------------------------------------------
def test_confirming_creates_the_source_and_the_task_tree(cast, fake_engine):
    draft = upload(cast)
    item = node_by_title(draft, "开展巡察")
    svc.draft_node_update(actor=cast.supervisor, draft=draft, expected_version=1, node_id=item["id"],
                          title="开展巡察", include=True, lead_unit=cast.baiguo, co_units=[],
                          due_date=date(2027, 6, 30))
    section = node_by_title(draft, "抓党建")
    svc.draft_node_update(actor=cast.supervisor, draft=draft, expected_version=2, node_id=section["id"],
                          title="抓党建", include=True, due_date=date(2026, 12, 31))
    source = svc.draft_confirm(actor=cast.supervisor, draft=draft, expected_version=3)
    assert source.kind == "speech" and source.title == "关于2026年重点工作的讲话"
    assert source.date == date(2026, 1, 10) and source.issuer == "市委书记 张三"
    assert "打开APP" not in source.text and source.text.startswith("关于2026年")
    assert source.content_hash == draft.text_hash  # re-import detection relies on this
    tasks = {t.title: t for t in Task.objects.filter(source=source)}
    assert set(tasks) == {"抓党建", "加强基层组织建设", "开展巡察", "抓发展", "发展茶产业"}  # not the context list
    assert Task.objects.get_parent(tasks["加强基层组织建设"]) == tasks["抓党建"]
    assert tasks["加强基层组织建设"].lead_unit == cast.bajiao
    assert tasks["加强基层组织建设"].target_number == Decimal(10) and tasks["加强基层组织建设"].target_object == "村整改"
    assert tasks["开展巡察"].due_date == date(2026, 12, 31)  # capped to the parent's due date
    assert "芭蕉侗族乡负责" in tasks["加强基层组织建设"].detail
    assert tasks["抓党建"].detail == "一、抓党建"  # a heading's detail is its own text, not its items'
    draft.refresh_from_db()
    assert draft.status == DraftStatus.CONFIRMED and draft.source == source
    with pytest.raises(ValidationError, match="不能再修改"):
        svc.draft_node_drop(actor=cast.supervisor, draft=draft, expected_version=draft.version,
                            node_id=item["id"])


def test_excluded_headings_do_not_become_tasks_but_their_items_do(cast, fake_engine):
    draft = upload(cast)
    section = node_by_title(draft, "抓发展")
    svc.draft_node_set_include(actor=cast.supervisor, draft=draft, expected_version=1, node_id=section["id"],
                               include=False)
    source = svc.draft_confirm(actor=cast.supervisor, draft=draft, expected_version=2)
    tea = Task.objects.get(source=source, title="发展茶产业")
    assert tea.is_root() and not Task.objects.filter(title="抓发展").exists()


def test_confirm_is_all_or_nothing(cast, fake_engine, monkeypatch):
    draft = upload(cast)
    real = task_services.task_create
    calls = {"n": 0}

    def failing(**kw):
        calls["n"] += 1
        if calls["n"] == 3:
            raise ValidationError({"title": "模拟的失败"})
        return real(**kw)

    monkeypatch.setattr(task_services, "task_create", failing)
    ledger_before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        svc.draft_confirm(actor=cast.supervisor, draft=draft, expected_version=1)
    assert "开展巡察" in exc.value.messages[0] and "未生成任何任务" in exc.value.messages[0]
    assert Source.objects.count() == 0 and Task.objects.count() == 0
    assert AuditEntry.objects.count() == ledger_before
    draft.refresh_from_db()
    assert draft.status == DraftStatus.DRAFT and draft.version == 1


def test_a_unit_deactivated_after_drafting_stops_the_confirm_cleanly(cast, fake_engine):
    from duban.orgs.models import Unit

    draft = upload(cast)
    Unit.objects.filter(pk=cast.baiguo.pk).update(is_active=False)
    with pytest.raises(ValidationError, match="开展巡察"):
        svc.draft_confirm(actor=cast.supervisor, draft=draft, expected_version=1)
    assert Source.objects.count() == 0 and Task.objects.count() == 0


def test_a_draft_with_nothing_to_create_cannot_be_confirmed(cast, fake_engine):
    draft = upload(cast)
    for title in ("抓党建", "抓发展"):
        svc.draft_node_drop(actor=cast.supervisor, draft=draft, expected_version=draft.version,
                            node_id=node_by_title(draft, title)["id"])
    with pytest.raises(ValidationError, match="没有要生成的任务"):
        svc.draft_confirm(actor=cast.supervisor, draft=draft, expected_version=draft.version)
    assert Source.objects.count() == 0


def test_a_liaison_cannot_confirm(cast, fake_engine):
    draft = upload(cast)
    with pytest.raises(PermissionDenied):
        svc.draft_confirm(actor=cast.bajiao_liaison, draft=draft, expected_version=1)
    assert Source.objects.count() == 0


# --- re-import --------------------------------------------------------------------------------
def test_reimporting_a_confirmed_document_is_offered_as_an_update(cast, fake_engine):
    first = upload(cast)
    svc.draft_node_drop(actor=cast.supervisor, draft=first, expected_version=1,
                        node_id=node_by_title(first, "发展茶产业")["id"])
    source = svc.draft_confirm(actor=cast.supervisor, draft=first, expected_version=2)
    assert Task.objects.filter(source=source).count() == 3

    again = upload(cast)  # the same bytes: the first draft is confirmed, so a new draft is allowed
    match = selectors.source_match(again, cast.supervisor)
    assert match is not None and match.source == source and match.same_text
    assert match.added == ["抓发展", "发展茶产业"] and match.removed == []

    with pytest.raises(ValidationError, match="作为该来源的更新"):
        svc.draft_confirm(actor=cast.supervisor, draft=again, expected_version=1)
    assert Source.objects.count() == 1 and Task.objects.count() == 3

    svc.draft_confirm(actor=cast.supervisor, draft=again, expected_version=1, update_source=source)
    assert Source.objects.count() == 1
    assert sorted(Task.objects.filter(source=source).values_list("title", flat=True)) == sorted(
        ["抓党建", "加强基层组织建设", "开展巡察", "抓发展", "发展茶产业"])


def test_an_update_with_nothing_new_is_refused(cast, fake_engine):
    first = upload(cast)
    source = svc.draft_confirm(actor=cast.supervisor, draft=first, expected_version=1)
    again = upload(cast)
    with pytest.raises(ValidationError, match="没有新增"):
        svc.draft_confirm(actor=cast.supervisor, draft=again, expected_version=1, update_source=source)
    assert Task.objects.filter(source=source).count() == 5


def test_a_revised_version_with_the_same_title_and_date_may_be_new_or_an_update(cast, fake_engine):
    first = upload(cast)
    source = svc.draft_confirm(actor=cast.supervisor, draft=first, expected_version=1)
    revised = upload(cast, (TEXT + "以上要求,请各单位抓好落实。\n").encode(), "revised.txt")
    match = selectors.source_match(revised, cast.supervisor)
    assert match.source == source and not match.same_text and match.added == []
    other = svc.draft_confirm(actor=cast.supervisor, draft=revised, expected_version=1)
    assert other != source and Source.objects.count() == 2 and Task.objects.filter(source=other).count() == 5


def test_the_same_text_in_another_file_while_a_draft_is_open_points_to_that_draft(cast, fake_engine):
    first = upload(cast)
    with pytest.raises(svc.DuplicateDraftError) as exc:
        upload(cast, TEXT.replace("\n", "\r\n").encode(), "same-speech-crlf.txt")
    assert exc.value.draft == first and IntakeDraft.objects.count() == 1


def test_an_update_lists_tasks_no_longer_in_the_document(cast, fake_engine):
    first = upload(cast)
    svc.draft_confirm(actor=cast.supervisor, draft=first, expected_version=1)
    again = upload(cast)
    svc.draft_node_drop(actor=cast.supervisor, draft=again, expected_version=1,
                        node_id=node_by_title(again, "开展巡察")["id"])
    match = selectors.source_match(again, cast.supervisor)
    assert match.removed == ["开展巡察"] and match.added == [] and match.task_count == 5


# --- topic map --------------------------------------------------------------------------------
def test_the_topic_map_is_seeded_once_from_the_engine_default(cast):
    from duban.orgs import services as org
    from duban.orgs.models import UnitKind

    org.unit_create(name="市委组织部", parent=cast.city, kind=UnitKind.PARTY, code="ZZB")
    created = svc.topic_map_seed(actor=cast.supervisor)
    assert created > 10
    organisation = TopicMapping.objects.get(keyword="组织工作")
    assert [u.name for u in organisation.units.all()] == ["市委组织部"] and organisation.unit_names == []
    assert TopicMapping.objects.get(keyword="宣传").unit_names == ["市委宣传部"]  # not in the directory yet
    TopicMapping.objects.all().delete()
    assert svc.topic_map_seed(actor=cast.supervisor) == 0  # deleted mappings do not come back
    assert TopicMapping.objects.count() == 0


def test_topic_mappings_are_validated(cast):
    mapping = svc.topic_mapping_create(actor=cast.supervisor, keyword="乡村振兴", units=[cast.bajiao])
    with pytest.raises(ValidationError, match="已存在"):
        svc.topic_mapping_create(actor=cast.supervisor, keyword="乡村振兴", units=[cast.baiguo])
    with pytest.raises(ValidationError, match="至少选择一个"):
        svc.topic_mapping_create(actor=cast.supervisor, keyword="茶产业", units=[])
    with pytest.raises(PermissionDenied):
        svc.topic_mapping_create(actor=cast.bajiao_liaison, keyword="茶产业", units=[cast.bajiao])
    svc.topic_mapping_update(actor=cast.supervisor, mapping=mapping, keyword="乡村振兴", units=[cast.baiguo],
                             expected_version=1)
    with pytest.raises(ConcurrentEditError):
        svc.topic_mapping_update(actor=cast.supervisor, mapping=mapping, keyword="乡村振兴", units=[cast.bajiao],
                                 expected_version=1)
    assert list(TopicMapping.objects.get(pk=mapping.pk).units.all()) == [cast.baiguo]
    assert selectors.engine_topic_map() == {"乡村振兴": ["白果乡"]}
    svc.topic_mapping_delete(actor=cast.supervisor, mapping=mapping)
    assert TopicMapping.objects.count() == 0


# --- real engine, every supported format ------------------------------------------------------
PLAIN = (
    "关于2026年重点工作的讲话\n"
    "市委书记 张三\n"
    "(2026年1月10日)\n"
    "同志们:\n"
    "一、抓党建\n"
    "一是加强基层组织建设,芭蕉侗族乡要在年底前完成10个村整改。二是开展巡察,白果乡要全面完成巡察。\n"
    "二、抓发展\n"
    "一是发展茶产业,三年内茶园面积达到30万亩。二是建设美丽乡村。\n"
)


def docx_bytes(text: str) -> bytes:
    import docx

    document = docx.Document()
    for line in text.splitlines():
        document.add_paragraph(line)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


FORMATS = {
    "utf-8.txt": lambda: PLAIN.encode("utf-8"),
    "utf-8-bom.txt": lambda: PLAIN.encode("utf-8-sig"),
    "crlf.txt": lambda: PLAIN.replace("\n", "\r\n").encode("utf-8"),
    "gbk.txt": lambda: PLAIN.encode("gbk"),
    "gb18030.txt": lambda: PLAIN.encode("gb18030"),
    "page.html": lambda: ("<html><head><meta charset='utf-8'><title>讲话</title></head><body>"
                          + "".join(f"<p>{line}</p>" for line in PLAIN.splitlines()) + "</body></html>").encode(),
    "speech.docx": lambda: docx_bytes(PLAIN),
}


@pytest.mark.parametrize("name", FORMATS)
def test_every_supported_format_imports(cast, name):
    draft = upload(cast, FORMATS[name](), name)
    data = draft.data
    assert data["meta"]["title"] == "关于2026年重点工作的讲话"
    assert data["meta"]["speech_date"] == "2026-01-10"
    tasks = [n for n in svc.walk(data["outline"]) if n["role"] == "task"]
    assert len(tasks) >= 4
    # the directory in the database decides the lead unit
    organise = next(n for n in tasks if n["title"].startswith("加强基层组织建设"))
    assert organise["lead_unit"] == cast.bajiao.pk
    assert "同志们" in svc.cleaned_text(data)
    # the page can highlight any node: its segments have the draft text's length and offsets
    segments = selectors.source_segments(draft)
    assert "".join(s["text"] for s in segments) == data["text"][segments[0]["start"]:data["body_end"]].replace("\r", " ")


def test_an_engine_failure_is_a_clear_error_not_a_crash(cast, monkeypatch):
    from duban.intake import engine

    def broken(*args, **kwargs):
        raise RuntimeError("engine bug")

    monkeypatch.setattr(engine, "analyse", broken)
    with pytest.raises(ValidationError, match="分析该文件时出错"):
        upload(cast, PLAIN.encode())
    assert IntakeDraft.objects.count() == 0


def test_the_database_keeps_one_open_draft_per_file(cast, fake_engine):
    from django.db import IntegrityError, transaction

    draft = upload(cast)
    with pytest.raises(IntegrityError), transaction.atomic():
        IntakeDraft.objects.create(file_name="copy.txt", raw_sha256=draft.raw_sha256, data={})
    IntakeDraft.objects.create(file_name="old.txt", raw_sha256=draft.raw_sha256, data={},
                               status=DraftStatus.DISCARDED)  # closed drafts do not count

"""Intake pages through the test client, like a person: sign in, upload, review, edit, confirm."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from test_services_intake import SEED, TEXT, fake_engine, node_by_title  # noqa: F401 - fixture

from duban.core.models import AuditEntry
from duban.intake import services as svc
from duban.intake.models import DraftStatus, IntakeDraft, TopicMapping
from duban.tasks.models import Source, Task


def post_file(client, raw: bytes = TEXT.encode(), name: str = "speech.txt", **extra):
    return client.post("/intake/", {"file": SimpleUploadedFile(name, raw, content_type="text/plain"), **extra})


@pytest.fixture
def supervisor(cast, login):
    return login(cast.supervisor)


@pytest.fixture
def draft(cast, fake_engine):  # noqa: F811
    return svc.draft_create(actor=cast.supervisor, raw=TEXT.encode(), file_name="speech.txt")


PAGES = ["/intake/", "/intake/topics/", "/intake/topics/new/"]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, cast, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ["bajiao_liaison", "leader", "bajiao_admin", "auditor"])
@pytest.mark.parametrize("path", PAGES)
def test_people_outside_the_supervision_office_are_refused(cast, login, role, path):
    response = login(getattr(cast, role)).get(path)
    assert response.status_code == 403


def test_a_liaison_cannot_open_or_change_a_draft(cast, login, draft):
    client = login(cast.bajiao_liaison)
    assert client.get(f"/intake/drafts/{draft.pk}/").status_code == 403
    node = node_by_title(draft, "开展巡察")
    response = client.post(f"/intake/drafts/{draft.pk}/nodes/", {"version": 1, "action": f"drop:{node['id']}"})
    assert response.status_code == 403
    assert client.post(f"/intake/drafts/{draft.pk}/confirm/", {"version": 1}).status_code == 403
    draft.refresh_from_db()
    assert draft.version == 1 and Source.objects.count() == 0
    assert AuditEntry.objects.filter(event="authz_denied", actor=cast.bajiao_liaison).exists()


def test_the_upload_page_lists_every_supervisors_drafts(cast, supervisor, draft):
    from duban.accounts.models import User
    from duban.core.roles import Role

    other = User.objects.create(username="supervisor2", role=Role.SUPERVISOR, unit=cast.office)
    IntakeDraft.objects.filter(pk=draft.pk).update(created_by=other)
    response = supervisor.get("/intake/")
    assert response.status_code == 200
    assert "关于2026年重点工作的讲话" in response.content.decode()
    assert supervisor.get(f"/intake/drafts/{draft.pk}/").status_code == 200  # global scope among supervisors


def test_uploading_shows_the_review_page_with_the_cleaning_report(cast, supervisor, fake_engine):  # noqa: F811
    response = post_file(supervisor, speech_date="2026-01-10")
    draft = IntakeDraft.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/intake/drafts/{draft.pk}/"
    page = supervisor.get(response["Location"]).content.decode()
    assert "清理报告" in page and "应用下载提示" in page
    assert "加强基层组织建设" in page and "芭蕉侗族乡" in page
    assert 'id="intake-source"' in page and "<script>" not in page  # CSP: no inline scripts
    assert fake_engine[0]["speech_date"] == date(2026, 1, 10)


@pytest.mark.parametrize("raw,name,message", [
    (b"", "empty.txt", "空的"),
    (b"\x00\x01\x02\x03binary" * 20, "blob.txt", "二进制"),
    (b"%PDF-1.4 not a speech", "speech.pdf", "无法读取 PDF"),
    (b"not a speech", "speech.pages", "不支持该文件类型"),
])
def test_a_bad_upload_is_refused_with_a_chinese_error_and_nothing_is_stored(cast, supervisor, raw, name, message):
    response = post_file(supervisor, raw, name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert IntakeDraft.objects.count() == 0


def test_an_oversized_upload_is_refused_while_it_is_received_and_named(cast, supervisor, settings):
    settings.DUBAN_MAX_IMPORT_BYTES = 100
    response = post_file(supervisor, TEXT.encode() * 10)
    page = response.content.decode()
    assert response.status_code == 413 and "speech.txt" in page and "上限" in page
    assert IntakeDraft.objects.count() == 0
    assert not AuditEntry.objects.filter(event="intake_draft_create").exists()


def test_the_upload_form_still_needs_its_csrf_token(cast, fake_engine):  # noqa: F811
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast.supervisor)
    response = post_file(browser)
    assert response.status_code == 403 and IntakeDraft.objects.count() == 0
    page = browser.get("/intake/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    response = browser.post("/intake/", {"file": SimpleUploadedFile("speech.txt", TEXT.encode()),
                                         "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and IntakeDraft.objects.count() == 1


def test_a_bad_date_on_the_upload_form_is_refused(cast, supervisor):
    response = post_file(supervisor, speech_date="2026-02-31")
    assert response.status_code == 400 and IntakeDraft.objects.count() == 0


def test_uploading_the_same_file_again_opens_the_waiting_draft(cast, supervisor, draft):
    response = post_file(supervisor)
    assert response.status_code == 302 and response["Location"] == f"/intake/drafts/{draft.pk}/"
    assert IntakeDraft.objects.count() == 1
    assert "未确认的草稿" in supervisor.get(response["Location"]).content.decode()


def test_the_seed_speech_uploads_as_it_is(cast, supervisor):
    assert SEED.exists(), f"seed file missing: {SEED}"
    response = post_file(supervisor, SEED.read_bytes(), SEED.name)
    assert response.status_code == 302
    page = supervisor.get(response["Location"]).content.decode()
    assert "抓好“最大政绩” 担当发展使命" in page and "向前进" in page
    assert "重复" in page  # the duplicate copy is reported


def test_editing_an_item_through_its_form(cast, supervisor, draft):
    node = node_by_title(draft, "开展巡察")
    page = supervisor.get(f"/intake/drafts/{draft.pk}/?edit={node['id']}").content.decode()
    assert f'action="/intake/drafts/{draft.pk}/nodes/{node["id"]}/"' in page
    response = supervisor.post(f"/intake/drafts/{draft.pk}/nodes/{node['id']}/", {
        "version": 1, "node-title": "开展全面巡察", "node-include": "on", "node-lead_unit": cast.baiguo.pk,
        "node-co_units": [cast.bajiao.pk], "node-due_date": "2026-09-30", "node-target_number": "",
        "node-target_measure": "", "node-target_object": ""})
    assert response.status_code == 302 and response["Location"].endswith(f"#node-{node['id']}")
    edited = node_by_title(draft, "开展全面巡察")
    assert edited["co_units"] == [cast.bajiao.pk] and edited["due_date"] == "2026-09-30"


def test_a_bad_item_edit_shows_the_error_on_the_form(cast, supervisor, draft):
    node = node_by_title(draft, "开展巡察")
    response = supervisor.post(f"/intake/drafts/{draft.pk}/nodes/{node['id']}/", {
        "version": 1, "node-title": "开展巡察", "node-lead_unit": cast.baiguo.pk, "node-co_units": [cast.baiguo.pk]})
    assert response.status_code == 400
    assert "牵头单位不能同时是配合单位" in response.content.decode()
    draft.refresh_from_db()
    assert draft.version == 1


def test_a_stale_edit_gets_a_clear_error(cast, supervisor, draft):
    node = node_by_title(draft, "开展巡察")
    first = supervisor.post(f"/intake/drafts/{draft.pk}/nodes/", {"version": 1, "action": f"exclude:{node['id']}"})
    assert first.status_code == 302
    stale = supervisor.post(f"/intake/drafts/{draft.pk}/nodes/", {"version": 1, "action": f"drop:{node['id']}"})
    assert stale.status_code == 409 and "已被他人修改" in stale.content.decode()
    assert node_by_title(draft, "开展巡察")["include"] is False


@pytest.mark.parametrize("action,message", [("explode", "不支持的操作"), ("merge", "没有同级条目"),
                                            ("outdent", None), ("indent", None)])
def test_outline_buttons(cast, supervisor, draft, action, message):
    node = node_by_title(draft, "开展巡察")
    response = supervisor.post(f"/intake/drafts/{draft.pk}/nodes/", {"version": 1, "action": f"{action}:{node['id']}"})
    if message:
        assert response.status_code == 400 and message in response.content.decode()
        draft.refresh_from_db()
        assert draft.version == 1
    else:
        assert response.status_code == 302
        draft.refresh_from_db()
        assert draft.version == 2


def test_splitting_by_a_phrase_and_refusing_a_phrase_not_in_the_item(cast, supervisor, draft):
    node = node_by_title(draft, "加强基层组织建设")
    url = f"/intake/drafts/{draft.pk}/nodes/{node['id']}/split/"
    missing = supervisor.post(url, {"version": 1, "split-split_at": "发展茶产业"})
    assert missing.status_code == 400 and "找不到" in missing.content.decode()
    both = supervisor.post(url, {"version": 1, "split-split_at": "年底前", "split-title_1": "甲"})
    assert both.status_code == 400 and "一种拆分方式" in both.content.decode()
    done = supervisor.post(url, {"version": 1, "split-split_at": "年底前"})
    assert done.status_code == 302
    assert node_by_title(draft, "年底前完成10个村整改")


def test_moving_an_item_under_another(cast, supervisor, draft):
    node = node_by_title(draft, "开展巡察")
    target = node_by_title(draft, "抓发展")
    url = f"/intake/drafts/{draft.pk}/nodes/{node['id']}/move/"
    bad = supervisor.post(url, {"version": 1, "move-parent": node["id"]})  # itself is not offered
    assert bad.status_code == 400
    assert supervisor.post(url, {"version": 1, "move-parent": target["id"]}).status_code == 302
    assert [c["title"] for c in node_by_title(draft, "抓发展")["children"]] == ["发展茶产业", "开展巡察"]


def test_the_metadata_form(cast, supervisor, draft):
    url = f"/intake/drafts/{draft.pk}/meta/"
    bad = supervisor.post(url, {"version": 1, "meta-title": "", "meta-speech_date": "2026-01-10", "meta-kind": "speech"})
    assert bad.status_code == 400 and "讲话信息未保存" in bad.content.decode()
    draft.refresh_from_db()
    assert draft.version == 1
    ok = supervisor.post(url, {"version": 1, "meta-title": "改过的标题", "meta-speaker": "张三", "meta-post": "市委书记",
                               "meta-speech_date": "2026-01-12", "meta-kind": "document"})
    assert ok.status_code == 302
    draft.refresh_from_db()
    assert draft.title == "改过的标题" and draft.data["meta"]["speech_date"] == "2026-01-12"
    bad_kind = supervisor.post(url, {"version": 2, "meta-title": "改过的标题", "meta-kind": "instruction"})
    assert bad_kind.status_code == 400
    supervisor.post(f"/intake/drafts/{draft.pk}/confirm/", {"version": 2})
    source = Source.objects.get()
    assert source.kind == "document" and source.date == date(2026, 1, 12) and source.title == "改过的标题"


def test_confirming_creates_the_tasks_and_goes_to_the_list(cast, supervisor, draft):
    response = supervisor.post(f"/intake/drafts/{draft.pk}/confirm/", {"version": 1})
    source = Source.objects.get()
    assert response.status_code == 302
    assert str(source.pk) in response["Location"] or response["Location"].startswith(f"/intake/drafts/{draft.pk}/")
    assert Task.objects.filter(source=source).count() == 5
    draft.refresh_from_db()
    assert draft.status == DraftStatus.CONFIRMED
    page = supervisor.get(f"/intake/drafts/{draft.pk}/").content.decode()
    assert "已生成任务" in page and 'name="action"' not in page  # no edit buttons any more


def test_a_failed_confirm_creates_nothing_and_says_why(cast, supervisor, draft):
    from duban.orgs.models import Unit

    Unit.objects.filter(pk=cast.baiguo.pk).update(is_active=False)
    response = supervisor.post(f"/intake/drafts/{draft.pk}/confirm/", {"version": 1})
    assert response.status_code == 400
    assert "开展巡察" in response.content.decode() and "未生成任何任务" in response.content.decode()
    assert Source.objects.count() == 0 and Task.objects.count() == 0


def test_a_reimport_is_offered_as_an_update(cast, supervisor, draft):
    svc.draft_node_drop(actor=cast.supervisor, draft=draft, expected_version=1,
                        node_id=node_by_title(draft, "发展茶产业")["id"])
    source = svc.draft_confirm(actor=cast.supervisor, draft=draft, expected_version=2)
    response = post_file(supervisor)
    again = IntakeDraft.objects.exclude(pk=draft.pk).get()
    page = supervisor.get(response["Location"]).content.decode()
    assert "作为该来源的更新确认" in page and "新增 2 项" in page and "确认生成任务</button>" not in page
    wrong = supervisor.post(f"/intake/drafts/{again.pk}/confirm/", {"version": 1, "mode": "update", "source": 999})
    assert wrong.status_code == 400 and Task.objects.count() == 3
    ok = supervisor.post(f"/intake/drafts/{again.pk}/confirm/", {"version": 1, "mode": "update", "source": source.pk})
    assert ok.status_code == 302 and Task.objects.filter(source=source).count() == 5 and Source.objects.count() == 1


def test_discarding_a_draft(cast, supervisor, draft):
    response = supervisor.post(f"/intake/drafts/{draft.pk}/discard/", {"version": 1})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == DraftStatus.DISCARDED


def test_an_unknown_draft_is_a_404(cast, supervisor):
    assert supervisor.get("/intake/drafts/9999/").status_code == 404


# --- topic map --------------------------------------------------------------------------------
def test_the_topic_map_page_seeds_itself_and_can_be_edited(cast, supervisor):
    page = supervisor.get("/intake/topics/")
    assert page.status_code == 200 and "组织工作" in page.content.decode()
    assert TopicMapping.objects.filter(keyword="组织工作").exists()

    bad = supervisor.post("/intake/topics/new/", {"keyword": "组织工作", "units": [cast.bajiao.pk]})
    assert bad.status_code == 400 and "已存在" in bad.content.decode()
    empty = supervisor.post("/intake/topics/new/", {"keyword": "茶产业"})
    assert empty.status_code == 400 and "至少选择一个" in empty.content.decode()
    created = supervisor.post("/intake/topics/new/", {"keyword": "茶产业", "units": [cast.bajiao.pk],
                                                      "unit_names": "市农业农村局、市茶叶局"})
    assert created.status_code == 302
    mapping = TopicMapping.objects.get(keyword="茶产业")
    assert mapping.unit_names == ["市农业农村局", "市茶叶局"]

    edit = supervisor.get(f"/intake/topics/{mapping.pk}/")
    assert edit.status_code == 200 and "市茶叶局" in edit.content.decode()
    saved = supervisor.post(f"/intake/topics/{mapping.pk}/", {"version": 1, "keyword": "茶叶产业",
                                                             "units": [cast.baiguo.pk]})
    assert saved.status_code == 302
    stale = supervisor.post(f"/intake/topics/{mapping.pk}/", {"version": 1, "keyword": "茶",
                                                             "units": [cast.baiguo.pk]})
    assert stale.status_code == 400 and "已被他人修改" in stale.content.decode()

    assert supervisor.get(f"/intake/topics/{mapping.pk}/delete/").status_code == 200
    assert supervisor.post(f"/intake/topics/{mapping.pk}/delete/").status_code == 302
    assert not TopicMapping.objects.filter(pk=mapping.pk).exists()
    assert re.search("intake_topic_delete", "".join(AuditEntry.objects.values_list("event", flat=True)))


def test_anonymous_visitors_cannot_reach_a_draft(client, draft):
    response = client.get(f"/intake/drafts/{draft.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = client.post(f"/intake/drafts/{draft.pk}/confirm/", {"version": 1})
    assert response.status_code == 302 and Source.objects.count() == 0


@pytest.fixture
def restore_language():
    """The locale middleware leaves the last request's language active in this thread."""
    from django.utils import translation

    yield
    translation.activate("zh-hans")


def test_the_review_page_speaks_english_too(cast, supervisor, draft, restore_language):
    supervisor.post("/i18n/setlang/", {"language": "en", "next": "/intake/"})
    page = supervisor.get(f"/intake/drafts/{draft.pk}/").content.decode()
    assert "Confirm and create tasks" in page and "Cleaning report" in page and "Source text" in page


@pytest.mark.parametrize("path", ["meta/", "nodes/", "nodes/n2/", "nodes/n2/split/", "nodes/n2/move/", "confirm/",
                                  "discard/", "nodes/n999/", "nodes/n999/split/", "nodes/n999/move/"])
def test_an_empty_or_stray_post_is_refused_cleanly_and_changes_nothing(cast, supervisor, draft, path):
    response = supervisor.post(f"/intake/drafts/{draft.pk}/{path}", {})
    assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.version == 1 and draft.status == DraftStatus.DRAFT
    garbage = supervisor.post(f"/intake/drafts/{draft.pk}/{path}", {"version": "x", "action": "merge:n2",
                                                                   "node-title": "t", "split-split_at": "一"})
    assert garbage.status_code == 400
    draft.refresh_from_db()
    assert draft.version == 1

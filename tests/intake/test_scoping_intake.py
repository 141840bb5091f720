"""Every id the intake pages and API accept is resolved inside the asker's scope: a draft, unit or
source they may not see answers exactly as one that does not exist, and asking for an existing
draft is recorded as ``authz_denied``.

Today only the 督查室 (global scope) may use intake, so most of these tests give the 芭蕉 liaison
intake rights for the test: the day a role with one township's scope holds INTAKE_USE, it sees
only drafts uploaded inside its subtree and may name only its own units and sources.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from test_services_intake import TEXT, fake_engine, node_by_title  # noqa: F401 - fixture

from duban.core import permissions
from duban.core.models import AuditEntry
from duban.core.roles import Role
from duban.intake import selectors
from duban.intake import services as svc
from duban.intake.models import IntakeDraft, TopicMapping
from duban.tasks import services as task_services

MISSING = 987654


def denials(user, pk) -> int:
    return AuditEntry.objects.filter(event="authz_denied", actor=user, object_type="intake.intakedraft",
                                     object_id=str(pk)).count()


@pytest.fixture
def draft(cast, fake_engine):  # noqa: F811
    return svc.draft_create(actor=cast.supervisor, raw=TEXT.encode(), file_name="speech.txt")


@pytest.fixture
def township_intake(cast, monkeypatch):
    """The 芭蕉 liaison with intake rights (a role with one township's scope)."""
    perms = permissions.ROLE_PERMISSIONS[Role.LIAISON] | {permissions.INTAKE_USE}
    monkeypatch.setitem(permissions.ROLE_PERMISSIONS, Role.LIAISON, perms)
    return cast.bajiao_liaison


@pytest.fixture
def token(client, cast):
    def issue(user):
        response = client.post("/api/auth/token", {"username": user.username, "password": cast.password},
                               content_type="application/json")
        assert response.status_code == 200, response.content
        return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}

    return issue


# --- without intake rights --------------------------------------------------------------------
def test_a_liaison_asking_for_a_draft_gets_the_404_of_a_missing_one_and_the_denial_is_recorded(cast, draft):
    liaison = cast.bajiao_liaison
    with pytest.raises(Http404):
        selectors.draft_get_for_user(liaison, draft.pk)
    assert denials(liaison, draft.pk) == 1
    entry = AuditEntry.objects.get(event="authz_denied", actor=liaison, object_id=str(draft.pk))
    assert entry.data == {"lookup": {"pk": str(draft.pk)}}
    with pytest.raises(Http404):
        selectors.draft_get_for_user(liaison, MISSING)
    assert denials(liaison, MISSING) == 0  # nothing there: nothing to record
    with pytest.raises(Http404):
        selectors.draft_get_for_user(liaison, "n1")
    with pytest.raises(Http404):
        selectors.draft_get_for_user(cast.supervisor, None)
    assert selectors.drafts_for_user(liaison).count() == 0


def test_the_supervisor_still_gets_every_draft_and_no_denial(cast, draft):
    assert selectors.draft_get_for_user(cast.supervisor, draft.pk) == draft
    assert list(selectors.drafts_for_user(cast.supervisor)) == [draft]
    with pytest.raises(Http404):
        selectors.draft_get_for_user(cast.supervisor, MISSING)
    assert not AuditEntry.objects.filter(event="authz_denied").exists()


def test_over_http_a_liaison_gets_the_same_answer_for_a_draft_and_for_a_missing_id(cast, login, draft, client,
                                                                                    token):
    web = login(cast.bajiao_liaison)
    there, missing = web.get(f"/intake/drafts/{draft.pk}/"), web.get(f"/intake/drafts/{MISSING}/")
    assert there.status_code == missing.status_code == 403
    auth = token(cast.bajiao_liaison)
    there = client.get(f"/api/intake/drafts/{draft.pk}", **auth)
    missing = client.get(f"/api/intake/drafts/{MISSING}", **auth)
    assert there.status_code == missing.status_code == 403 and there.json() == missing.json()


# --- a role with one township's scope and intake rights ---------------------------------------
def test_a_township_user_sees_only_drafts_uploaded_inside_its_subtree(cast, draft, township_intake):
    own = svc.draft_create(actor=township_intake, raw=(TEXT + "三、抓民生\n").encode(), file_name="乡.txt")
    assert list(selectors.drafts_for_user(township_intake)) == [own]
    assert selectors.draft_get_for_user(township_intake, own.pk) == own
    with pytest.raises(Http404):
        selectors.draft_get_for_user(township_intake, draft.pk)
    assert denials(township_intake, draft.pk) == 1
    assert set(selectors.drafts_for_user(cast.supervisor)) == {draft, own}


def test_a_township_user_asking_for_another_units_draft_gets_the_404_of_a_missing_one(
        cast, login, draft, client, token, township_intake):
    web = login(township_intake)
    there, missing = web.get(f"/intake/drafts/{draft.pk}/"), web.get(f"/intake/drafts/{MISSING}/")
    assert there.status_code == missing.status_code == 404
    node = node_by_title(draft, "开展巡察")
    dropped = web.post(f"/intake/drafts/{draft.pk}/nodes/", {"version": 1, "action": f"drop:{node['id']}"})
    assert dropped.status_code == 404
    auth = token(township_intake)
    api_there = client.get(f"/api/intake/drafts/{draft.pk}", **auth)
    api_missing = client.get(f"/api/intake/drafts/{MISSING}", **auth)
    assert api_there.status_code == api_missing.status_code == 404 and api_there.json() == api_missing.json()
    confirm = client.post(f"/api/intake/drafts/{draft.pk}/confirm", {"version": 1},
                          content_type="application/json", **auth)
    assert confirm.status_code == 404
    assert [d["id"] for d in client.get("/api/intake/drafts", **auth).json()] == []
    assert denials(township_intake, draft.pk) == 4 and denials(township_intake, MISSING) == 0
    draft.refresh_from_db()
    assert draft.version == 1 and node_by_title(draft, "开展巡察")


def test_a_unit_outside_the_subtree_is_refused_like_a_unit_that_does_not_exist(cast, login, township_intake,
                                                                                fake_engine):  # noqa: F811
    own = svc.draft_create(actor=township_intake, raw=TEXT.encode(), file_name="乡.txt")
    item = node_by_title(own, "开展巡察")
    assert item["lead_unit"] is None  # the engine found 白果乡, which this user may not name
    assert node_by_title(own, "加强基层组织建设")["lead_unit"] == cast.bajiao.pk
    web = login(township_intake)
    url = f"/intake/drafts/{own.pk}/nodes/{item['id']}/"

    def post(lead):
        return web.post(url, {"version": 1, "node-title": "开展巡察", "node-include": "on",
                              "node-lead_unit": lead})

    outside, missing = post(cast.baiguo.pk), post(MISSING)
    assert outside.status_code == missing.status_code == 400
    error = "选择一个有效的选项"
    assert error in outside.content.decode() and error in missing.content.decode()
    unit_denials = AuditEntry.objects.filter(event="authz_denied", object_type="orgs.unit",
                                             actor=township_intake)
    assert list(unit_denials.values_list("object_id", flat=True)) == [str(cast.baiguo.pk)]
    assert node_by_title(own, "开展巡察")["lead_unit"] is None
    assert post(cast.xiaojiaping.pk).status_code == 302  # a village of 芭蕉 is inside
    assert node_by_title(own, "开展巡察")["lead_unit"] == cast.xiaojiaping.pk

    topic = web.post("/intake/topics/new/", {"keyword": "茶产业", "units": [cast.baiguo.pk]})
    assert topic.status_code == 400 and error in topic.content.decode()
    assert not TopicMapping.objects.filter(keyword="茶产业").exists()


def test_the_services_refuse_a_unit_outside_the_actors_subtree_whoever_calls_them(cast, township_intake,
                                                                                  fake_engine):  # noqa: F811
    own = svc.draft_create(actor=township_intake, raw=TEXT.encode(), file_name="乡.txt")
    item = node_by_title(own, "开展巡察")
    with pytest.raises(ValidationError) as lead:
        svc.draft_node_update(actor=township_intake, draft=own, expected_version=1, node_id=item["id"],
                              title="开展巡察", include=True, lead_unit=cast.baiguo)
    assert list(lead.value.message_dict) == ["lead_unit"]
    with pytest.raises(ValidationError) as co:
        svc.draft_node_update(actor=township_intake, draft=own, expected_version=1, node_id=item["id"],
                              title="开展巡察", include=True, co_units=[cast.bajiao, cast.banzhuyuan])
    assert list(co.value.message_dict) == ["co_units"]
    with pytest.raises(ValidationError) as topic:
        svc.topic_mapping_create(actor=township_intake, keyword="茶产业", units=[cast.baiguo])
    assert list(topic.value.message_dict) == ["units"]
    own.refresh_from_db()
    assert own.version == 1 and not TopicMapping.objects.filter(keyword="茶产业").exists()


def test_a_source_outside_the_subtree_is_neither_matched_nor_updated(cast, client, token, township_intake,
                                                                     fake_engine):  # noqa: F811
    body = svc.cleaned_text(svc.draft_create(actor=cast.supervisor, raw=TEXT.encode(), file_name="s.txt").data)
    source = task_services.source_create(actor=cast.supervisor, kind="speech",
                                         title="关于2026年重点工作的讲话", text=body)
    task_services.task_create(actor=cast.supervisor, source=source, title="白果乡的任务",
                              lead_unit=cast.baiguo)
    IntakeDraft.objects.all().delete()
    own = svc.draft_create(actor=township_intake, raw=TEXT.encode(), file_name="乡.txt")
    assert own.text_hash == source.content_hash
    assert selectors.source_match(own, cast.supervisor).source == source
    assert selectors.source_match(own, township_intake) is None
    with pytest.raises(ValidationError, match="要更新的来源不正确"):
        svc.draft_confirm(actor=township_intake, draft=own, expected_version=1, update_source=source)

    auth = token(township_intake)

    def confirm(pk):
        return client.post(f"/api/intake/drafts/{own.pk}/confirm", {"version": 1, "update_source": pk},
                           content_type="application/json", **auth)

    outside, missing = confirm(source.pk), confirm(MISSING)
    assert outside.status_code == missing.status_code == 400 and outside.json() == missing.json()
    assert client.get(f"/api/intake/drafts/{own.pk}", **auth).json()["match"] is None
    own.refresh_from_db()
    assert own.version == 1 and source.tasks.count() == 1

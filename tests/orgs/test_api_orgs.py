"""The organisation API through HTTP, per role: bearer tokens from /api/auth/token, scoped
reads (404 outside the subtree), function permissions (403), and bad input that changes nothing."""

import datetime
import json

import pytest

from duban.core.models import AuditEntry
from duban.orgs import services
from duban.orgs.models import Absence, Person, Post, Unit, UnitAlias


class Api:
    """A client that signs in like an API consumer: token first, then Bearer on every call."""

    def __init__(self, client, user, password):
        response = client.post("/api/auth/token", {"username": user.username, "password": password},
                               content_type="application/json")
        assert response.status_code == 200, response.content
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}

    def get(self, url, params=None, **kwargs):
        return self.client.get(url, {**(params or {}), **kwargs}, **self.headers)

    def post(self, url, data):
        return self.client.post(url, data, content_type="application/json", **self.headers)

    def patch(self, url, data):
        return self.client.patch(url, data, content_type="application/json", **self.headers)


@pytest.fixture
def api(client, cast):
    return lambda user: Api(client, user, cast.password)


def snapshot():
    return (
        sorted(Unit.objects.values_list("id", "name", "path", "kind", "short_name", "code", "sort_order", "is_active",
                                        "version")),
        sorted(UnitAlias.objects.values_list("name", "unit_id")),
        sorted(Person.objects.values_list("id", "name", "unit_id", "title", "phone", "is_active", "version")),
        sorted(Post.objects.values_list("id", "unit_id", "title", "duties", "a_holder_id", "b_holder_id",
                                        "c_holder_id", "version")),
        sorted(Absence.objects.values_list("person_id", "start", "end")),
    )


def names(response):
    assert response.status_code == 200, response.content
    return [item.get("name") or item.get("title") for item in response.json()["items"]]


# --- authentication and function permissions -----------------------------------------------------
ENDPOINTS = [
    ("get", "/api/units"), ("get", "/api/units/{unit}"), ("post", "/api/units"), ("patch", "/api/units/{unit}"),
    ("post", "/api/units/{unit}/move"), ("get", "/api/people"), ("get", "/api/people/{person}"),
    ("post", "/api/people"), ("patch", "/api/people/{person}"), ("post", "/api/people/{person}/absences"),
    ("get", "/api/posts"), ("get", "/api/posts/{post}"), ("post", "/api/posts"), ("patch", "/api/posts/{post}"),
    ("get", "/api/groups"),
]


def _url(template, cast):
    return template.format(unit=cast.bajiao.pk, person=cast.p_bajiao_a.pk, post=cast.post_bajiao.pk)


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_anonymous_callers_get_401(client, cast, method, url):
    response = getattr(client, method)(_url(url, cast), {}, content_type="application/json")
    assert response.status_code == 401


def test_a_bad_token_gets_401(client, cast):
    assert client.get("/api/units", HTTP_AUTHORIZATION="Bearer not-a-token").status_code == 401


@pytest.mark.parametrize("role", ["auditor", "secadmin", "sysadmin"])
@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_accounts_without_api_rights_get_403(api, cast, role, method, url):
    user = getattr(cast, role)
    state = snapshot()
    response = getattr(api(user), method)(_url(url, cast), {})
    assert response.status_code == 403
    assert snapshot() == state
    assert AuditEntry.objects.filter(event="authz_denied", actor=user).exists()


@pytest.mark.parametrize(("method", "url"), [e for e in ENDPOINTS if e[0] != "get"])
def test_a_liaison_may_read_but_not_write(api, cast, method, url):
    state = snapshot()
    response = getattr(api(cast.bajiao_liaison), method)(_url(url, cast), {"version": 1, "name": "x"})
    assert response.status_code == 403
    assert snapshot() == state


def test_the_browser_session_works_for_reads_and_needs_csrf_for_writes(cast, login):
    from django.test import Client

    client = login(cast.supervisor)
    assert client.get("/api/units").status_code == 200
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(cast.supervisor)
    response = csrf_client.post("/api/people", {"name": "周一", "unit": cast.bajiao.pk},
                                content_type="application/json")
    assert response.status_code == 403
    assert not Person.objects.filter(name="周一").exists()


# --- scoping: outside the subtree does not exist ----------------------------------------------
def test_a_liaison_of_bajiao_cannot_read_baiguos_objects(api, cast):
    baiguo_post = services.post_create(unit=cast.baiguo, title="联络员", a_holder=cast.p_baiguo)
    client = api(cast.bajiao_liaison)
    for url in (f"/api/units/{cast.baiguo.pk}", f"/api/units/{cast.banzhuyuan.pk}", f"/api/units/{cast.city.pk}",
                f"/api/people/{cast.p_baiguo.pk}", f"/api/posts/{baiguo_post.pk}"):
        response = client.get(url)
        assert response.status_code == 404, url
    denied = AuditEntry.objects.filter(event="authz_denied", actor=cast.bajiao_liaison)
    assert {e.object_type for e in denied} == {"orgs.unit", "orgs.person", "orgs.post"}


def test_a_liaison_of_bajiao_sees_only_their_subtree_in_lists(api, cast):
    services.post_create(unit=cast.baiguo, title="联络员", a_holder=cast.p_baiguo)
    client = api(cast.bajiao_liaison)
    assert names(client.get("/api/units")) == ["芭蕉侗族乡", "肖家坪村"]
    assert sorted(names(client.get("/api/people"))) == sorted(["张三", "李四", "王五", "孙七"])
    assert names(client.get("/api/posts")) == ["督办联络员"]
    # filters cannot reach outside either
    assert names(client.get("/api/units", parent=cast.baiguo.pk)) == []
    assert names(client.get("/api/people", unit=cast.baiguo.pk)) == []
    assert names(client.get("/api/units", q="白果")) == []


def test_a_unit_admin_cannot_change_another_townships_objects(api, cast):
    client = api(cast.bajiao_admin)
    state = snapshot()
    assert client.patch(f"/api/units/{cast.baiguo.pk}", {"version": 1, "name": "改名"}).status_code == 404
    assert client.post(f"/api/units/{cast.banzhuyuan.pk}/move", {"version": 1, "parent": cast.bajiao.pk}
                       ).status_code == 404
    assert client.patch(f"/api/people/{cast.p_baiguo.pk}", {"version": 1, "title": "x"}).status_code == 404
    assert client.post(f"/api/people/{cast.p_baiguo.pk}/absences",
                       {"start": "2026-01-01", "end": "2026-01-02"}).status_code == 404
    # naming an out-of-scope unit or person in a body reads like naming one that does not exist
    response = client.post("/api/people", {"name": "周一", "unit": cast.baiguo.pk})
    assert response.status_code == 400 and "unit" in response.json()["errors"]
    response = client.post("/api/posts", {"unit": cast.bajiao.pk, "title": "协调员", "a_holder": cast.p_bajiao_a.pk,
                                          "b_holder": cast.p_baiguo.pk})
    assert response.status_code == 400 and "b_holder" in response.json()["errors"]
    response = client.post(f"/api/units/{cast.xiaojiaping.pk}/move", {"version": 1, "parent": cast.baiguo.pk})
    assert response.status_code == 400 and "parent" in response.json()["errors"]
    assert snapshot() == state


def test_a_unit_admin_cannot_create_or_move_to_the_top_level(api, cast):
    client = api(cast.bajiao_admin)
    state = snapshot()
    response = client.post("/api/units", {"name": "新单位", "kind": "other"})
    assert response.status_code == 400 and "parent" in response.json()["errors"]
    response = client.post(f"/api/units/{cast.xiaojiaping.pk}/move", {"version": 1, "parent": None})
    assert response.status_code == 400
    assert snapshot() == state


# --- units --------------------------------------------------------------------------------------
def test_units_are_listed_filtered_and_paginated(api, cast):
    client = api(cast.supervisor)
    body = client.get("/api/units").json()
    assert body["count"] == 6
    city = body["items"][0]
    assert city["name"] == "中共恩施市委员会" and city["parent"] is None and city["aliases"] == ["市委"]
    assert city["kind"] == "party" and city["kind_label"] == "党的机关"
    assert set(names(client.get("/api/units", parent=cast.city.pk))) == {"市委办公室", "芭蕉侗族乡", "白果乡"}
    assert set(names(client.get("/api/units", kind="village"))) == {"肖家坪村", "斑竹园村"}
    assert names(client.get("/api/units", q="芭蕉乡")) == ["芭蕉侗族乡"]  # by alias
    page = client.get("/api/units", page=2, page_size=4).json()
    assert page["count"] == 6 and len(page["items"]) == 2


def test_a_unit_detail_names_its_parent(api, cast):
    body = api(cast.bajiao_liaison).get(f"/api/units/{cast.xiaojiaping.pk}").json()
    assert body["parent"] == {"id": cast.bajiao.pk, "name": "芭蕉侗族乡"}
    assert body["version"] == 1


def test_a_supervisor_creates_and_updates_a_unit(api, cast):
    client = api(cast.supervisor)
    response = client.post("/api/units", {"name": "红土乡", "parent": cast.city.pk, "kind": "township",
                                          "code": "HT", "aliases": ["红土"]})
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["parent"]["id"] == cast.city.pk and created["aliases"] == ["红土"]
    response = client.patch(f"/api/units/{created['id']}", {"version": created["version"], "short_name": "红土",
                                                              "aliases": ["红土", "红土镇"]})
    assert response.status_code == 200, response.content
    assert response.json()["version"] == created["version"] + 1
    assert response.json()["aliases"] == ["红土", "红土镇"]
    assert AuditEntry.objects.filter(event="unit_created", object_id=str(created["id"])).exists()
    assert AuditEntry.objects.filter(event="unit_updated", object_id=str(created["id"])).exists()


def test_a_unit_admin_creates_a_unit_in_their_subtree(api, cast):
    response = api(cast.bajiao_admin).post("/api/units", {"name": "新村", "parent": cast.bajiao.pk,
                                                          "kind": "village"})
    assert response.status_code == 201
    cast.bajiao.refresh_from_db()
    assert Unit.objects.get(name="新村").path.startswith(cast.bajiao.path)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "township"}, "name"),
        ({"name": "红土乡"}, "kind"),
        ({"name": "红土乡", "kind": "castle"}, "kind"),
        ({"name": "红土乡", "kind": "other", "path": "0001"}, "path"),
        ({"name": "红土乡", "kind": "other", "version": 7}, "version"),
        ({"name": "红土乡", "kind": "other", "depth": 1}, "depth"),
        ({"name": "红土乡", "kind": "other", "parent": 999999}, "parent"),
        ({"name": "芭蕉侗族乡", "kind": "other"}, "name"),
        ({"name": "芭蕉", "kind": "other"}, "name"),
        ({"name": "   ", "kind": "other"}, "name"),
        ({"name": "红土乡", "kind": "other", "code": "SW"}, "code"),
        ({"name": "红土乡", "kind": "other", "aliases": ["市委办"]}, "aliases"),
        ({"name": "红" * 101, "kind": "other"}, "name"),
        ({"name": "红土乡", "kind": "other", "sort_order": "first"}, "sort_order"),
    ],
)
def test_bad_unit_input_is_400_and_changes_nothing(api, cast, body, field):
    state = snapshot()
    response = api(cast.supervisor).post("/api/units", body)
    assert response.status_code == 400, response.content
    payload = response.json()
    assert field in payload["errors"], payload
    assert payload["detail"]
    assert snapshot() == state


def test_an_unknown_field_is_named_in_chinese(api, cast):
    response = api(cast.supervisor).patch(f"/api/units/{cast.bajiao.pk}", {"version": 1, "path": "0009"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"path": ["不允许提交该字段。"]}
    cast.bajiao.refresh_from_db()
    assert cast.bajiao.path != "0009"


def test_an_update_without_a_version_is_400(api, cast):
    state = snapshot()
    response = api(cast.supervisor).patch(f"/api/units/{cast.bajiao.pk}", {"short_name": "芭蕉"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"version": ["必填。"]}
    assert snapshot() == state


def test_a_stale_version_is_409_with_the_current_data(api, cast):
    client = api(cast.supervisor)
    cast.bajiao.refresh_from_db()  # sorted inserts renumber sibling paths
    services.unit_update(unit=cast.bajiao, expected_version=1, short_name="芭蕉")
    state = snapshot()
    response = client.patch(f"/api/units/{cast.bajiao.pk}", {"version": 1, "short_name": "别的"})
    assert response.status_code == 409
    body = response.json()
    assert body["current"]["short_name"] == "芭蕉" and body["current"]["version"] == 2
    assert "已被他人修改" in body["detail"]
    assert snapshot() == state


def test_a_unit_moves_and_not_under_its_own_descendant(api, cast):
    client = api(cast.supervisor)
    state = snapshot()
    response = client.post(f"/api/units/{cast.bajiao.pk}/move", {"version": 1, "parent": cast.xiaojiaping.pk})
    assert response.status_code == 400
    assert "parent" in response.json()["errors"]
    response = client.post(f"/api/units/{cast.bajiao.pk}/move", {"version": 1, "parent": cast.bajiao.pk})
    assert response.status_code == 400
    response = client.post(f"/api/units/{cast.bajiao.pk}/move", {"version": 5, "parent": cast.office.pk})
    assert response.status_code == 409
    response = client.post(f"/api/units/{cast.bajiao.pk}/move", {"parent": cast.office.pk})
    assert response.status_code == 400
    assert snapshot() == state
    response = client.post(f"/api/units/{cast.xiaojiaping.pk}/move", {"version": 1, "parent": cast.baiguo.pk})
    assert response.status_code == 200, response.content
    assert response.json()["parent"] == {"id": cast.baiguo.pk, "name": "白果乡"}
    cast.baiguo.refresh_from_db()
    assert Unit.objects.get(pk=cast.xiaojiaping.pk).path.startswith(cast.baiguo.path)
    assert AuditEntry.objects.filter(event="unit_moved", object_id=str(cast.xiaojiaping.pk)).exists()


def test_a_bad_query_parameter_is_400(api, cast):
    response = api(cast.supervisor).get("/api/units", kind="castle")
    assert response.status_code == 400
    assert "kind" in response.json()["errors"]


# --- people and absences --------------------------------------------------------------------
def test_people_are_listed_by_unit_subtree_and_search(api, cast):
    client = api(cast.supervisor)
    assert sorted(names(client.get("/api/people", unit=cast.bajiao.pk))) == sorted(["张三", "李四", "王五", "孙七"])
    assert names(client.get("/api/people", q="村支书")) == ["孙七"]
    assert names(client.get("/api/people", unit=cast.baiguo.pk)) == ["赵六"]
    person = client.get("/api/people", q="赵六").json()["items"][0]
    assert person["unit"] == {"id": cast.baiguo.pk, "name": "白果乡"}


def test_a_person_is_created_updated_and_shows_absences(api, cast):
    client = api(cast.bajiao_admin)
    response = client.post("/api/people", {"name": "周一", "unit": cast.xiaojiaping.pk, "title": "文书"})
    assert response.status_code == 201, response.content
    person = response.json()
    response = client.patch(f"/api/people/{person['id']}", {"version": person["version"], "phone": "13900000000",
                                                             "unit": cast.bajiao.pk})
    assert response.status_code == 200, response.content
    assert response.json()["unit"]["id"] == cast.bajiao.pk
    response = client.post(f"/api/people/{person['id']}/absences",
                           {"kind": "training", "start": "2026-03-01", "end": "2026-03-05", "note": "党校"})
    assert response.status_code == 201, response.content
    assert response.json()["kind_label"] == "培训学习"
    detail = client.get(f"/api/people/{person['id']}").json()
    assert [(a["start"], a["end"]) for a in detail["absences"]] == [("2026-03-01", "2026-03-05")]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"unit": 1}, "name"),
        ({"name": "周一"}, "unit"),
        ({"name": "周一", "unit": 999999}, "unit"),
        # the unit already has a 张三; services reports it as a model constraint (non-field)
        ({"name": "张三", "unit": "BAJIAO"}, "name|__all__"),
        ({"name": "周一", "unit": "BAJIAO", "phone": "1" * 21}, "phone"),
        ({"name": "周一", "unit": "BAJIAO", "is_active": False}, "is_active"),
        ({"name": "周一", "unit": "BAJIAO", "id": 5}, "id"),
    ],
)
def test_bad_person_input_is_400_and_changes_nothing(api, cast, body, field):
    if body.get("unit") == "BAJIAO":
        body = {**body, "unit": cast.bajiao.pk}
    state = snapshot()
    response = api(cast.supervisor).post("/api/people", body)
    assert response.status_code == 400, response.content
    assert set(field.split("|")) & set(response.json()["errors"]), response.json()
    assert snapshot() == state


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start": "2026-03-05", "end": "2026-03-01"}, "end"),
        ({"start": "2026-03-01"}, "end"),
        ({"start": "yesterday", "end": "2026-03-01"}, "start"),
        ({"start": "2026-03-01", "end": "2026-03-02", "kind": "holiday"}, "kind"),
        ({"start": "2026-03-01", "end": "2026-03-02", "person": 1}, "person"),
    ],
)
def test_bad_absence_input_is_400_and_changes_nothing(api, cast, body, field):
    state = snapshot()
    response = api(cast.supervisor).post(f"/api/people/{cast.p_bajiao_a.pk}/absences", body)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert snapshot() == state


def test_an_overlapping_absence_is_400(api, cast):
    client = api(cast.supervisor)
    url = f"/api/people/{cast.p_bajiao_a.pk}/absences"
    assert client.post(url, {"start": "2026-03-01", "end": "2026-03-05"}).status_code == 201
    state = snapshot()
    response = client.post(url, {"start": "2026-03-04", "end": "2026-03-08"})
    assert response.status_code == 400
    assert "重叠" in response.json()["detail"]
    assert snapshot() == state


def test_a_stale_person_update_is_409(api, cast):
    client = api(cast.supervisor)
    services.person_update(person=cast.p_baiguo, expected_version=1, title="党委副书记")
    response = client.patch(f"/api/people/{cast.p_baiguo.pk}", {"version": 1, "title": "别的"})
    assert response.status_code == 409
    assert response.json()["current"]["title"] == "党委副书记"
    assert Person.objects.get(pk=cast.p_baiguo.pk).title == "党委副书记"


# --- posts ------------------------------------------------------------------------------------
def test_posts_show_who_is_acting_and_why(api, cast):
    services.absence_create(person=cast.p_bajiao_a, kind="leave", start=datetime.date(2026, 3, 1),
                            end=datetime.date(2026, 3, 10))
    client = api(cast.bajiao_liaison)
    item = client.get("/api/posts", on="2026-03-05").json()["items"][0]
    assert item["acting"]["person"]["name"] == "李四" and item["acting"]["letter"] == "B"
    assert "A角张三请假" in item["acting"]["reason"] and "由B角代行" in item["acting"]["reason"]
    detail = client.get(f"/api/posts/{cast.post_bajiao.pk}", on="2026-03-20").json()
    assert detail["acting"]["letter"] == "A" and detail["acting"]["reason"] == "A角在岗"
    assert detail["a_holder"] == {"id": cast.p_bajiao_a.pk, "name": "张三", "unit_id": cast.bajiao.pk}


def test_the_post_list_costs_a_fixed_number_of_queries(api, cast, django_assert_max_num_queries):
    for i in range(8):
        a = services.person_create(name=f"甲{i}", unit=cast.bajiao)
        b = services.person_create(name=f"乙{i}", unit=cast.bajiao)
        services.post_create(unit=cast.bajiao, title=f"岗位{i}", a_holder=a, b_holder=b)
    client = api(cast.supervisor)
    with django_assert_max_num_queries(12):
        response = client.get("/api/posts")
    assert response.json()["count"] == 9


def test_a_post_is_created_and_its_holders_changed(api, cast):
    client = api(cast.bajiao_admin)
    response = client.post("/api/posts", {"unit": cast.bajiao.pk, "title": "协调员", "a_holder": cast.p_bajiao_b.pk,
                                          "b_holder": cast.p_bajiao_c.pk})
    assert response.status_code == 201, response.content
    post = response.json()
    assert post["acting"]["person"]["id"] == cast.p_bajiao_b.pk
    response = client.patch(f"/api/posts/{post['id']}", {"version": post["version"], "a_holder": cast.p_bajiao_c.pk,
                                                          "b_holder": cast.p_bajiao_b.pk})
    assert response.status_code == 200, response.content
    assert response.json()["a_holder"]["id"] == cast.p_bajiao_c.pk
    response = client.patch(f"/api/posts/{post['id']}", {"version": post["version"] + 1, "b_holder": None})
    assert response.status_code == 200 and response.json()["b_holder"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "协调员", "a_holder": "A", "b_holder": "A"}, "b_holder"),
        ({"title": "协调员", "a_holder": "A", "c_holder": "C"}, "c_holder"),
        ({"title": "协调员", "a_holder": "A", "b_holder": "B", "c_holder": "A"}, "c_holder"),
        ({"title": "协调员"}, "a_holder"),
        ({"title": "协调员", "a_holder": 999999}, "a_holder"),
        ({"title": "督办联络员", "a_holder": "A"}, "title"),
        ({"title": "协调员", "a_holder": "A", "version": 3}, "version"),
        ({"a_holder": "A"}, "title"),
    ],
)
def test_bad_post_input_is_400_and_changes_nothing(api, cast, body, field):
    ids = {"A": cast.p_bajiao_a.pk, "B": cast.p_bajiao_b.pk, "C": cast.p_bajiao_c.pk}
    body = {"unit": cast.bajiao.pk, **{k: ids.get(v, v) if isinstance(v, str) else v for k, v in body.items()}}
    if "title" in body:
        body["title"] = {v: k for k, v in ids.items()}.get(body["title"], body["title"])
    state = snapshot()
    response = api(cast.supervisor).post("/api/posts", body)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert snapshot() == state


def test_a_post_update_making_b_equal_a_is_400(api, cast):
    state = snapshot()
    response = api(cast.supervisor).patch(f"/api/posts/{cast.post_bajiao.pk}",
                                          {"version": 1, "b_holder": cast.p_bajiao_a.pk})
    assert response.status_code == 400
    assert "b_holder" in response.json()["errors"]
    assert snapshot() == state


def test_a_stale_post_update_is_409(api, cast):
    services.post_update(post=cast.post_bajiao, expected_version=1, duties="新职责")
    response = api(cast.supervisor).patch(f"/api/posts/{cast.post_bajiao.pk}", {"version": 1, "duties": "旧"})
    assert response.status_code == 409
    assert response.json()["current"]["duties"] == "新职责"


# --- leading groups ---------------------------------------------------------------------------
def test_leading_groups_are_scoped_to_their_office_and_members(api, cast):
    bajiao_group = services.group_save(name="芭蕉乡防汛领导小组", leader=cast.p_bajiao_a, office_unit=cast.bajiao,
                                       deputies=[cast.p_bajiao_b], member_units=[cast.xiaojiaping])
    baiguo_group = services.group_save(name="白果乡防汛领导小组", leader=cast.p_baiguo, office_unit=cast.baiguo)
    client = api(cast.bajiao_liaison)
    assert names(client.get("/api/groups")) == ["芭蕉乡防汛领导小组"]
    detail = client.get(f"/api/groups/{bajiao_group.pk}").json()
    assert detail["leader"]["name"] == "张三" and [d["name"] for d in detail["deputies"]] == ["李四"]
    assert detail["members"] == [{"person": None, "unit": {"id": cast.xiaojiaping.pk, "name": "肖家坪村"},
                                  "note": ""}]
    assert client.get(f"/api/groups/{baiguo_group.pk}").status_code == 404
    assert set(names(api(cast.leader).get("/api/groups"))) == {"芭蕉乡防汛领导小组", "白果乡防汛领导小组"}


@pytest.mark.parametrize("url", ["/api/units", "/api/people", "/api/groups"])
def test_lists_cost_a_fixed_number_of_queries(api, cast, url, django_assert_max_num_queries):
    for i in range(10):
        unit = services.unit_create(name=f"测试村{i}", parent=Unit.objects.get(pk=cast.bajiao.pk), kind="village",
                                    aliases=[f"测{i}"])
        person = services.person_create(name=f"丙{i}", unit=unit)
        services.group_save(name=f"小组{i}", leader=person, office_unit=unit, deputies=[cast.p_bajiao_b],
                            member_units=[unit])
    client = api(cast.supervisor)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200 and response.json()["count"] >= 10


@pytest.mark.parametrize("raw", ["not json", "[]", '"text"', "{"])
def test_a_body_that_is_not_a_json_object_is_400(api, cast, raw):
    client = api(cast.supervisor)
    state = snapshot()
    response = client.client.post("/api/people", raw, content_type="application/json", **client.headers)
    assert response.status_code == 400, response.content
    assert response.json()["detail"]
    assert snapshot() == state


# --- one scoped lookup for every id a request names ----------------------------------------------
MISSING_ID = 987654


def _denials(model: str, pk) -> int:
    return AuditEntry.objects.filter(event="authz_denied", object_type=f"orgs.{model}", object_id=str(pk)).count()


def _without_id(response, pk) -> tuple:
    body = json.dumps(response.json(), ensure_ascii=False, sort_keys=True)
    return response.status_code, body.replace(f" {pk} ", " <id> ")


@pytest.mark.parametrize(("url", "body", "field", "model", "target"), [
    ("/api/people", {"name": "钱八"}, "unit", "unit", "baiguo"),
    ("/api/units", {"name": "新区", "kind": "other"}, "parent", "unit", "baiguo"),
    ("/api/posts", {"unit": "bajiao", "title": "联络员"}, "a_holder", "person", "p_baiguo"),
])
def test_an_id_of_another_township_in_a_body_is_answered_like_a_missing_one_and_recorded(
        api, cast, url, body, field, model, target):
    client = api(cast.bajiao_admin)
    outside = getattr(cast, target).pk
    base = {k: (getattr(cast, v).pk if k == "unit" else v) for k, v in body.items()}
    before = snapshot()
    elsewhere = client.post(url, {**base, field: outside})
    missing = client.post(url, {**base, field: MISSING_ID})
    assert elsewhere.status_code == 400 and list(elsewhere.json()["errors"]) == [field]
    assert _without_id(elsewhere, outside) == _without_id(missing, MISSING_ID)
    assert snapshot() == before
    assert _denials(model, outside) == 1 and _denials(model, MISSING_ID) == 0


def test_a_filter_naming_another_township_lists_nothing_like_a_missing_id_and_is_recorded(api, cast):
    client = api(cast.bajiao_liaison)
    for url in ("/api/people", "/api/posts"):
        assert names(client.get(url, unit=cast.baiguo.pk)) == names(client.get(url, unit=MISSING_ID)) == []
    assert names(client.get("/api/units", parent=cast.baiguo.pk)) == []
    assert _denials("unit", cast.baiguo.pk) == 3 and _denials("unit", MISSING_ID) == 0

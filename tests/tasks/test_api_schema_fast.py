"""Issue 10: the JSON task detail and list answer their dicts as JSON themselves, without
django-ninja's response validation (it was most of their CPU). Their declared schemas stay the
OpenAPI contract, so real answers — a task with a parent, children, co-units, a post, a target,
milestones, reports with evidence (lead and co-unit), an instruction and an extension — must be
exactly what validating them against the schema and serialising the result would give: every
declared field, no other field, the declared types."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from ninja.responses import NinjaJSONEncoder

from duban.tasks import services as svc
from duban.tasks.api import TaskDetailOut, TaskListOut

from .helpers import a_pdf


def _as_ninja_would(schema, body: dict) -> dict:
    """The answer ninja would give for ``body``: validated against ``schema``, dumped, encoded."""
    model = schema.model_validate(body)
    return json.loads(json.dumps(model.model_dump(by_alias=True), cls=NinjaJSONEncoder))


def _fields(schema) -> set:
    return set(schema.model_fields)


@pytest.fixture
def busy(build):
    c = build.cast
    parent = build.in_progress(title="上级任务", due_in=200)
    task = build.in_progress(parent=parent, post=c.post_bajiao, co_units=[c.baiguo], due_in=120,
                             target_number=Decimal("12.5"), target_measure="个", target_object="示范点",
                             responsible_leader=c.p_bajiao_c,
                             milestones=[{"name": "摸底", "date": build.today + timedelta(days=30)}])
    svc.instruction_add(actor=c.leader, task=task, text="抓紧推进")
    svc.extension_request(actor=c.bajiao_liaison, task=task, requested_due=build.today + timedelta(days=150),
                          reason="需要更多时间")
    svc.task_assign(actor=c.supervisor, task=build.task(parent=task, due_in=60, title="下级一", co_units=[c.baiguo]))
    build.task(parent=task, due_in=5, title="下级二", post=c.post_bajiao)
    svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="牵头进展", percent=40, quantity=Decimal(3),
                      files=[a_pdf("佐证.pdf")])
    svc.report_submit(actor=c.baiguo_liaison, task=task, narrative="配合进展", percent=20)
    return task


def test_the_detail_answers_exactly_its_schema(busy, login, build):
    client = login(build.cast.supervisor)
    response = client.get(f"/api/tasks/{busy.pk}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert set(body) == _fields(TaskDetailOut)
    assert body == _as_ninja_would(TaskDetailOut, body)
    # Every list is there with real rows, so the check above covered their item schemas too.
    for key in ("milestones", "unit_progress", "instructions", "children", "timeline", "reports", "extensions",
                "transitions", "co_units"):
        assert body[key], key
    assert body["parent_id"] and body["acting_person"] and body["responsible_post"] and body["category"]
    assert body["target_number"] == "12.50" and body["reports"][-1]["quantity"] == "3.00"
    assert body["reports"][-1]["evidence"][0]["original_name"] == "佐证.pdf"
    assert {child["light"] for child in body["children"]} == {"green", "grey"}  # assigned, draft
    assert all(child["parent_id"] == busy.pk for child in body["children"])
    for row in body["children"]:
        assert set(row) == set(TaskDetailOut.model_fields) - {
            "milestones", "unit_progress", "instructions", "children", "timeline", "reports", "extensions",
            "transitions"}


@pytest.mark.parametrize("params", [
    {"sort": "due", "limit": 25},
    {"light": "grey", "sort": "due", "limit": 1},
    {"status": ["assigned", "in_progress"], "sort": "-percent", "limit": 2, "offset": 1},
])
def test_the_list_answers_exactly_its_schema(busy, login, build, params):
    client = login(build.cast.supervisor)
    response = client.get("/api/tasks", params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert body["items"]
    assert set(body) == _fields(TaskListOut)
    assert body == _as_ninja_would(TaskListOut, body)


def test_the_list_counts_only_when_the_page_does_not_prove_the_total(busy, login, build):
    """A page shorter than the limit proves the total (offset + its rows); a full page counts."""
    client = login(build.cast.supervisor)
    total = client.get("/api/tasks", {"limit": 100}).json()["count"]
    assert total == 4
    assert client.get("/api/tasks", {"limit": 3, "offset": 2}).json() | {"items": None} == {
        "count": 4, "count_exact": True, "items": None}
    assert client.get("/api/tasks", {"limit": 2}).json()["count"] == 4  # full page: counted
    assert client.get("/api/tasks", {"limit": 2, "offset": 10}).json() | {"items": None} == {
        "count": 4, "count_exact": True, "items": None}


def test_the_detail_in_english(busy, login, build):
    client = login(build.cast.supervisor)
    zh = client.get(f"/api/tasks/{busy.pk}").json()
    en = client.get(f"/api/tasks/{busy.pk}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert zh["status_label"] == "办理中"
    assert en["status_label"] == "In progress"

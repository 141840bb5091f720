"""AC-07, the mass-assignment half: fields a caller may not set (score, status, unit, created_by,
reviewer) are refused (400) or ignored, and the database is unchanged — on the task API and on a
second writable resource (要素需求, filed through its page)."""

import json
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict

from duban.resources.models import ResourceRequest
from duban.tasks.models import Task


@pytest.fixture
def bearer(client, cast):
    def make(user):
        r = client.post("/api/auth/token", json.dumps({"username": user.username, "password": cast.password}),
                        content_type="application/json")
        assert r.status_code == 200, r.content
        return {"HTTP_AUTHORIZATION": f"Bearer {r.json()['token']}"}
    return make


def snapshot(task):
    return model_to_dict(Task.objects.get(pk=task.pk))


def payload(task, cast, user):
    return {"version": task.version, "score": 100, "status": "approved", "unit": cast.baiguo.pk,
            "created_by": cast.supervisor.pk, "reviewer": user.pk}


def test_a_unit_user_patching_protected_fields_of_a_task_changes_nothing(client, cast, build, bearer):
    task = build.in_progress()
    before = snapshot(task)
    response = client.patch(f"/api/tasks/{task.pk}", json.dumps(payload(task, cast, cast.bajiao_liaison)),
                            content_type="application/json", **bearer(cast.bajiao_liaison))
    assert response.status_code in (400, 403)
    assert snapshot(task) == before


def test_even_the_office_gets_400_naming_each_protected_field_and_nothing_changes(client, cast, build, bearer):
    task = build.in_progress()
    before = snapshot(task)
    response = client.patch(f"/api/tasks/{task.pk}", json.dumps(payload(task, cast, cast.supervisor)),
                            content_type="application/json", **bearer(cast.supervisor))
    assert response.status_code == 400
    assert {"score", "status", "unit", "created_by", "reviewer"} <= set(response.json()["errors"])
    assert snapshot(task) == before


def test_a_resource_request_ignores_status_unit_creator_and_reviewer_sent_with_the_form(login, cast):
    client = login(cast.bajiao_liaison)
    page = client.get("/resources/new/")
    assert page.status_code == 200
    to_unit = page.context["form"].fields["to_unit"].queryset.first()
    response = client.post("/resources/new/", {
        "kind": page.context["form"].fields["kind"].choices[0][0], "title": "冷库用地", "amount": "12",
        "measure": "亩", "justification": "项目落地", "to_unit": to_unit.pk,
        "score": "100", "status": "approved", "unit": cast.baiguo.pk, "requester_unit": cast.baiguo.pk,
        "created_by": cast.supervisor.pk, "reviewer": cast.bajiao_liaison.pk, "granted_amount": "12",
        "priority": "1", "decided_unit": cast.city.pk})
    assert response.status_code == 302
    req = ResourceRequest.objects.get()
    assert req.requester_unit == cast.bajiao and req.created_by == cast.bajiao_liaison
    assert req.status == ResourceRequest._meta.get_field("status").default
    assert req.granted_amount in (None, Decimal(0)) and req.decided_unit is None and req.priority is None and req.current_unit == to_unit

"""RL-03 on tasks: multi-step operations are all or nothing. A task handed to 30 units with one
invalid unit among them creates nothing (through the API: one task with 29 co-units, and a
decomposition into 30 children); an upload whose file write fails leaves no row (the DB-insert
failure leaving no file is tests/tasks/test_services_evidence.py)."""

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage

from duban.core import uploads
from duban.orgs import services as org
from duban.orgs.models import Unit, UnitKind
from duban.tasks import evidence as evidence_files
from duban.tasks import services as svc
from duban.tasks.models import Task

from .helpers import pdf_bytes, png_bytes, state, upload


def _thirty_units(cast, *, inactive_at=None):
    units = [org.unit_create(name=f"第{n}村", parent=cast.bajiao, kind=UnitKind.VILLAGE, code=f"RL3-{n}")
             for n in range(1, 31)]
    if inactive_at is not None:
        Unit.objects.filter(pk=units[inactive_at].pk).update(is_active=False)  # 停用 after the form was filled
        units[inactive_at].refresh_from_db()
    return units


@pytest.fixture
def api_post(client, cast):
    response = client.post("/api/auth/token", json.dumps({"username": cast.supervisor.username,
                                                          "password": cast.password}),
                           content_type="application/json")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}

    def post(path, body):
        return client.post(f"/api{path}", json.dumps(body), content_type="application/json", **headers)

    return post


def test_one_task_with_thirty_units_one_of_them_inactive_creates_nothing(build, api_post):
    c = build.cast
    units = _thirty_units(c, inactive_at=17)
    body = {"title": "三十个单位的任务", "lead_unit": units[0].pk, "co_units": [u.pk for u in units[1:]],
            "category": build.category.pk, "start_date": str(build.today),
            "due_date": str(build.today + timedelta(days=30))}
    before = state()
    response = api_post("/tasks", body)
    assert response.status_code == 400, response.content
    assert "co_units" in response.json()["errors"]
    assert state() == before
    # The same with a unit id that does not exist.
    response = api_post("/tasks", {**body, "co_units": [u.pk for u in units[1:]] + [999_999]})
    assert response.status_code == 400 and state() == before
    # And with every unit valid it is one task with 29 co-units.
    Unit.objects.filter(pk=units[17].pk).update(is_active=True)
    response = api_post("/tasks", body)
    assert response.status_code == 201
    assert Task.objects.get(pk=response.json()["id"]).co_units.count() == 29


def test_a_decomposition_into_thirty_children_with_one_inactive_lead_creates_none(build, api_post):
    c = build.cast
    parent = build.task(lead=c.bajiao)
    units = _thirty_units(c, inactive_at=29)  # the last one: 29 children would already be written
    children = [{"title": f"分解到{u.name}", "lead_unit": u.pk, "due_date": str(build.today + timedelta(days=30))}
                for u in units]
    before = state()
    response = api_post(f"/tasks/{parent.pk}/children", {"children": children})
    assert response.status_code == 400, response.content
    assert "第30村" in response.content.decode()
    assert state() == before and not Task.objects.filter(path__startswith=parent.path).exclude(pk=parent.pk).exists()


def test_if_the_file_write_fails_no_report_or_evidence_row_remains(build):
    c = build.cast
    task = build.in_progress()
    before = state()
    real_save = default_storage.save
    calls = []

    def second_write_fails(name, content, **kw):
        calls.append(name)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_save(name, content, **kw)

    with mock.patch.object(default_storage, "save", side_effect=second_write_fails), \
            pytest.raises((OSError, uploads.StorageFull)):
        svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="两个附件", percent=5,
                          files=[upload("a.pdf", pdf_bytes()), upload("b.png", png_bytes())])
    assert len(calls) == 2
    assert state() == before
    assert build.stored_files() == []  # the first file, written before the failure, is gone too
    assert evidence_files.orphans() == []


def test_if_the_file_write_fails_on_the_page_the_user_gets_an_error_and_nothing_is_kept(build, login):
    c = build.cast
    task = build.in_progress()
    client = login(c.bajiao_liaison)
    before = state()
    client.raise_request_exception = False
    with mock.patch.object(default_storage, "save", side_effect=OSError(28, "No space left on device")):
        response = client.post(f"/tasks/{task.pk}/report/", {"report-narrative": "附件", "report-percent": "5",
                                                             "report-files": [upload("a.pdf", pdf_bytes())]})
    assert response.status_code in (500, 507)
    if response.status_code == 507:
        assert "存储空间已满" in response.content.decode()
    assert state() == before and build.stored_files() == []


def test_the_service_refuses_an_inactive_co_unit_itself(build):
    c = build.cast
    units = _thirty_units(c, inactive_at=5)
    before = state()
    with pytest.raises(ValidationError):
        svc.task_create(actor=c.supervisor, title="服务层", lead_unit=units[0], co_units=units[1:],
                        category=build.category, start_date=build.today, due_date=build.today + timedelta(days=9))
    assert state() == before

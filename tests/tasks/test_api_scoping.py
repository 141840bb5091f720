"""One scoped lookup for every id a request names (permissions.resolve_scoped): an id of another
township is answered exactly like an id that does not exist, nothing changes, and the ledger
records the denial — in the API's filters, its body fields and the objects named in its paths."""

import json
import re
from datetime import timedelta

import pytest
from django.http import Http404

from duban.core import permissions
from duban.core.models import AuditEntry
from duban.core.roles import Role
from duban.tasks import selectors
from duban.tasks import services as svc
from duban.tasks.models import Source, Task

from .helpers import state
from .test_api_tasks import api  # noqa: F401  (the bearer-token client fixture)

MISSING = 987654


def denials(object_type: str, object_id) -> int:
    return AuditEntry.objects.filter(event="authz_denied", object_type=object_type, object_id=str(object_id)).count()


def same_answer(elsewhere, missing, elsewhere_id) -> None:
    """Status and body alike, once the id the caller sent is set aside."""
    assert elsewhere.status_code == missing.status_code

    def text(response, pk):
        return re.sub(rf"\b{pk}\b", "ID", json.dumps(response.json(), ensure_ascii=False))

    assert text(elsewhere, elsewhere_id) == text(missing, MISSING)


@pytest.fixture
def baiguo_source(build):
    source = svc.source_create(actor=build.cast.supervisor, kind="document", title="白果乡的文件", text="白果正文")
    build.assigned(title="白果的任务", lead=build.cast.baiguo, source=source)
    return source


def test_a_liaison_filtering_by_another_townships_unit_gets_the_answer_for_a_missing_id(api, build):  # noqa: F811
    c = build.cast
    build.assigned(title="芭蕉的任务")
    liaison = api(c.bajiao_liaison)
    before = state()
    elsewhere = liaison.get("/tasks", unit=c.baiguo.pk)
    missing = liaison.get("/tasks", unit=MISSING)
    assert elsewhere.status_code == 400 and "unit" in elsewhere.json()["errors"]
    same_answer(elsewhere, missing, c.baiguo.pk)
    assert denials("orgs.unit", c.baiguo.pk) == 1 and denials("orgs.unit", MISSING) == 0
    assert state() == before
    # Their own village is a filter like any other.
    assert liaison.get("/tasks", unit=c.xiaojiaping.pk).status_code == 200


def test_a_liaison_filtering_by_another_townships_source_gets_the_answer_for_a_missing_id(api, build,  # noqa: F811
                                                                                          baiguo_source):
    c = build.cast
    liaison = api(c.bajiao_liaison)
    before = state()
    elsewhere = liaison.get("/tasks", source=baiguo_source.pk)
    missing = liaison.get("/tasks", source=MISSING)
    assert elsewhere.status_code == 400 and "source" in elsewhere.json()["errors"]
    same_answer(elsewhere, missing, baiguo_source.pk)
    assert denials("tasks.source", baiguo_source.pk) == 1
    # The export takes the same filters and refuses the same way, exporting nothing.
    assert liaison.get("/tasks/export.xlsx", source=baiguo_source.pk).status_code == 400
    assert not AuditEntry.objects.filter(event="tasks_exported").exists()
    assert state() == before
    # And the source itself is a 404 like a missing one, recorded too.
    same_answer(liaison.get(f"/sources/{baiguo_source.pk}"), liaison.get(f"/sources/{MISSING}"), baiguo_source.pk)
    assert denials("tasks.source", baiguo_source.pk) == 3
    assert baiguo_source.pk in [s["id"] for s in api(c.baiguo_liaison).get("/sources").json()]


def test_a_person_of_another_township_is_as_unknown_as_a_missing_one(api, build):  # noqa: F811
    c = build.cast
    liaison = api(c.bajiao_liaison)
    same_answer(liaison.get("/tasks", person=c.p_baiguo.pk), liaison.get("/tasks", person=MISSING), c.p_baiguo.pk)
    assert denials("orgs.person", c.p_baiguo.pk) == 1


def test_a_write_naming_another_townships_units_changes_nothing_even_with_the_right_to_manage(
        api, build, monkeypatch, baiguo_source):  # noqa: F811
    """The day a unit role holds TASKS_MANAGE, its writes stay inside its subtree."""
    c = build.cast
    monkeypatch.setitem(permissions.ROLE_PERMISSIONS, Role.LIAISON,
                        permissions.ROLE_PERMISSIONS[Role.LIAISON] | {permissions.TASKS_MANAGE})
    liaison = api(c.bajiao_liaison)
    before = state()
    for field, elsewhere_id, value in (("lead_unit", c.baiguo.pk, c.baiguo.pk),
                                       ("co_units", c.banzhuyuan.pk, [c.banzhuyuan.pk]),
                                       ("responsible_leader", c.p_baiguo.pk, c.p_baiguo.pk),
                                       ("source", baiguo_source.pk, baiguo_source.pk)):
        missing_value = [MISSING] if isinstance(value, list) else MISSING
        elsewhere = liaison.post("/tasks", {"title": "越界的任务", field: value})
        missing = liaison.post("/tasks", {"title": "越界的任务", field: missing_value})
        assert elsewhere.status_code == 400 and field in elsewhere.json()["errors"], (field, elsewhere.content)
        same_answer(elsewhere, missing, elsewhere_id)
    assert state() == before and not Task.objects.filter(title="越界的任务").exists()
    assert denials("orgs.unit", c.baiguo.pk) == 1 and denials("orgs.unit", c.banzhuyuan.pk) == 1
    assert denials("orgs.person", c.p_baiguo.pk) == 1 and denials("tasks.source", baiguo_source.pk) == 1
    # Inside the subtree the same write goes through.
    response = liaison.post("/tasks", {"title": "村里的任务", "lead_unit": c.xiaojiaping.pk})
    assert response.status_code == 201, response.content


def test_every_object_getter_records_the_denial(build):
    c = build.cast
    task = build.completion_requested(lead=c.baiguo, by=c.baiguo_liaison)
    extension_task = build.in_progress(lead=c.baiguo, by=c.baiguo_liaison, title="要延期的任务")
    extension = svc.extension_request(actor=c.baiguo_liaison, task=extension_task,
                                      requested_due=extension_task.due_date + timedelta(days=5),
                                      reason="雨季")
    source = Source.objects.create(kind="document", title="只在白果的来源")
    Task.objects.filter(pk=task.pk).update(source=source)
    evidence = task.evidence.first()
    for getter, obj, object_type in ((selectors.task_get_for_user, task, "tasks.task"),
                                     (selectors.evidence_get_for_user, evidence, "tasks.evidence"),
                                     (selectors.extension_get_for_user, extension, "tasks.extensionrequest"),
                                     (selectors.source_get_for_user, source, "tasks.source")):
        with pytest.raises(Http404):
            getter(c.bajiao_liaison, obj.pk)
        with pytest.raises(Http404):
            getter(c.bajiao_liaison, MISSING)
        assert denials(object_type, obj.pk) == 1, object_type
        assert getter(c.baiguo_liaison, obj.pk) == obj

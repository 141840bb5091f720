"""The task API through the HTTP client with bearer tokens, like an integrating system."""

import json
from datetime import timedelta

import pytest

from duban.core.models import AuditEntry
from duban.tasks.models import Evidence, ExtensionRequest, ProgressReport, Task, TaskStatus

from .helpers import docx_bytes, pdf_bytes, state, upload

S = TaskStatus


@pytest.fixture
def api(client, cast):
    """api(user) -> a small client sending that user's bearer token."""

    class Api:
        def __init__(self, token):
            self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

        def get(self, path, **params):
            return client.get(f"/api{path}", params, **self.headers)

        def post(self, path, body=None):
            return client.post(f"/api{path}", json.dumps(body or {}), content_type="application/json", **self.headers)

        def patch(self, path, body):
            return client.patch(f"/api{path}", json.dumps(body), content_type="application/json", **self.headers)

        def form(self, path, data):
            return client.post(f"/api{path}", data, **self.headers)

    def make(user):
        response = client.post("/api/auth/token", json.dumps({"username": user.username, "password": cast.password}),
                                content_type="application/json")
        assert response.status_code == 200, response.content
        return Api(response.json()["token"])

    return make


def test_no_token_no_access(client, build):
    assert client.get("/api/tasks").status_code == 401


def test_the_supervisor_creates_decomposes_and_assigns_a_task(api, build):
    c = build.cast
    sup = api(c.supervisor)
    due = (build.today + timedelta(days=60)).isoformat()
    response = sup.post("/tasks", {"title": "建设 50 个文明乡村", "lead_unit": c.bajiao.pk, "co_units": [c.baiguo.pk],
                                   "category": build.category.pk, "start_date": build.today.isoformat(),
                                   "due_date": due, "target_number": "50", "target_measure": "个",
                                   "target_object": "文明乡村",
                                   "milestones": [{"name": "完成摸底", "date": build.today.isoformat()}]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["light"] == "grey" and body["co_units"][0]["id"] == c.baiguo.pk
    assert [m["name"] for m in body["milestones"]] == ["完成摸底"]
    task_id = body["id"]
    response = sup.post(f"/tasks/{task_id}/children", {"children": [
        {"title": "芭蕉乡 30 个", "lead_unit": c.bajiao.pk, "due_date": due},
        {"title": "白果乡 20 个", "lead_unit": c.baiguo.pk, "due_date": due},
    ]})
    assert response.status_code == 201, response.content
    assert [child["parent_id"] for child in response.json()] == [task_id, task_id]
    response = sup.form(f"/tasks/{task_id}/transitions/assign", {"version": body["version"]})
    assert response.status_code == 200, response.content
    detail = response.json()
    assert detail["status"] == "assigned" and len(detail["children"]) == 2
    assert [e["event"] for e in detail["timeline"]] == ["task_create", "task_assign"]


def test_unknown_fields_are_refused(api, build):
    c = build.cast
    sup = api(c.supervisor)
    before = state()
    response = sup.post("/tasks", {"title": "x", "lead_unit": c.bajiao.pk, "status": "completed"})
    assert response.status_code == 400 and response.json()["errors"]["status"] == ["不允许提交该字段。"]
    task = build.task()
    before = state()
    response = sup.patch(f"/tasks/{task.pk}", {"version": task.version, "status": "completed", "created_by": 1})
    assert response.status_code == 400 and {"status", "created_by"} <= set(response.json()["errors"])
    assert state() == before


def test_a_unit_user_cannot_jump_a_task_to_a_closed_state(api, build):
    c = build.cast
    task = build.in_progress()
    liaison = api(c.bajiao_liaison)
    before = state()
    assert liaison.patch(f"/tasks/{task.pk}", {"version": task.version, "title": "改名"}).status_code == 403
    assert liaison.form(f"/tasks/{task.pk}/transitions/approve", {}).status_code == 403
    response = liaison.form(f"/tasks/{task.pk}/transitions/start", {"status": "completed"})
    assert response.status_code == 400 and "status" in response.json()["errors"]
    assert state() == before


def test_a_stale_update_gets_409_and_the_first_change_stays(api, build):
    c = build.cast
    task = build.task()
    sup = api(c.supervisor)
    first = sup.patch(f"/tasks/{task.pk}", {"version": task.version, "title": "A 的修改"})
    assert first.status_code == 200 and first.json()["version"] == task.version + 1
    second = sup.patch(f"/tasks/{task.pk}", {"version": task.version, "title": "B 的修改"})
    assert second.status_code == 409 and "已被他人修改" in second.json()["detail"]
    assert second.json()["current"]["title"] == "A 的修改"
    assert second.json()["current"]["version"] == task.version + 1
    assert Task.objects.get(pk=task.pk).title == "A 的修改"


def test_bad_references_and_rules_are_400_with_field_errors(api, build):
    c = build.cast
    sup = api(c.supervisor)
    response = sup.post("/tasks", {"title": "x", "lead_unit": 999999})
    assert response.status_code == 400 and "lead_unit" in response.json()["errors"]
    response = sup.post("/tasks", {"title": "x", "lead_unit": c.bajiao.pk, "start_date": "2026-05-02",
                                   "due_date": "2026-05-01"})
    assert response.status_code == 400 and "due_date" in response.json()["errors"]


def test_scoping_answers_404_outside_the_subtree(api, build):
    c = build.cast
    task = build.completion_requested()
    evidence = task.evidence.get()
    outsider = api(c.baiguo_liaison)
    before = state()
    assert outsider.get(f"/tasks/{task.pk}").status_code == 404
    # A liaison may not edit tasks at all: refused at the function level before scope is looked at.
    assert outsider.patch(f"/tasks/{task.pk}", {"version": task.version, "title": "x"}).status_code == 403
    assert outsider.form(f"/tasks/{task.pk}/reports", {"narrative": "x", "percent": "5"}).status_code == 404
    assert outsider.form(f"/tasks/{task.pk}/transitions/acknowledge", {}).status_code == 404
    assert outsider.get(f"/evidence/{evidence.pk}/download").status_code == 404
    assert outsider.get(f"/tasks/{task.pk}/reports").status_code == 404
    assert state() == before
    assert AuditEntry.objects.filter(event="authz_denied", object_id=str(task.pk)).exists()
    listing = outsider.get("/tasks").json()
    assert listing["count"] == 0


def test_reports_with_files_and_downloads(api, build):
    c = build.cast
    task = build.acknowledged()
    liaison = api(c.bajiao_liaison)
    response = liaison.form(f"/tasks/{task.pk}/reports", {
        "narrative": "完成 12 个", "percent": "30", "quantity": "12",
        "files": [upload("报告（终稿）.pdf", pdf_bytes()), upload("总结.docx", docx_bytes())],
    })
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["percent"] == 30 and len(body["evidence"]) == 2
    assert Task.objects.get(pk=task.pk).status == S.IN_PROGRESS
    download = liaison.get(f"/evidence/{body['evidence'][0]['id']}/download")
    assert download.status_code == 200 and download.content == pdf_bytes()
    assert download["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "application/pdf"


def test_a_bad_file_is_400_and_an_oversized_one_413(api, build, settings):
    c = build.cast
    task = build.in_progress()
    liaison = api(c.bajiao_liaison)
    before = state()
    response = liaison.form(f"/tasks/{task.pk}/reports", {"narrative": "x", "percent": "5",
                                                          "files": [upload("a.pdf", b"MZ\x90\x00" * 50)]})
    assert response.status_code == 400
    settings.DUBAN_MAX_UPLOAD_BYTES = 100
    response = liaison.form(f"/tasks/{task.pk}/reports", {"narrative": "x", "percent": "5",
                                                          "files": [upload("b.pdf", pdf_bytes() + b"0" * 100)]})
    assert response.status_code == 413
    assert state() == before and build.stored_files() == []


def test_a_tampered_file_is_refused_with_a_generic_error(api, build):
    c = build.cast
    task = build.completion_requested()
    evidence = task.evidence.get()
    (build.media_root / evidence.storage_name).write_bytes(b"%PDF-1.4 forged")
    response = api(c.supervisor).get(f"/evidence/{evidence.pk}/download")
    assert response.status_code == 500 and b"PDF" not in response.content
    assert AuditEntry.objects.filter(event="integrity_failure", object_id=str(evidence.pk)).exists()


def test_completion_review_and_return_through_the_api(api, build):
    c = build.cast
    task = build.in_progress()
    liaison, sup = api(c.bajiao_liaison), api(c.supervisor)
    response = liaison.form(f"/tasks/{task.pk}/transitions/request_completion", {"narrative": "已完成"})
    assert response.status_code == 400 and "佐证材料" in response.json()["detail"]
    response = liaison.form(f"/tasks/{task.pk}/transitions/request_completion",
                            {"narrative": "已完成", "files": [upload("办结.pdf", pdf_bytes())]})
    assert response.status_code == 200 and response.json()["status"] == "completion_requested"
    assert [t["id"] for t in sup.get("/todo").json()["to_review"]] == [task.pk]
    response = sup.form(f"/tasks/{task.pk}/transitions/return", {})
    assert response.status_code == 400
    response = sup.form(f"/tasks/{task.pk}/transitions/return", {"reason": "材料不全"})
    assert response.status_code == 200 and response.json()["status"] == "in_progress"
    assert sup.form(f"/tasks/{task.pk}/transitions/fly", {}).status_code == 400


def test_extensions_through_the_api(api, build):
    c = build.cast
    task = build.in_progress()
    liaison, sup = api(c.bajiao_liaison), api(c.supervisor)
    new_due = (task.due_date + timedelta(days=10)).isoformat()
    response = liaison.post(f"/tasks/{task.pk}/extensions", {"requested_due": new_due, "reason": "天气原因"})
    assert response.status_code == 201, response.content
    ext_id = response.json()["id"]
    assert [e["id"] for e in sup.get("/extensions").json()] == [ext_id]
    assert liaison.post(f"/extensions/{ext_id}/decision", {"approve": True}).status_code == 403
    response = sup.post(f"/extensions/{ext_id}/decision", {"approve": True})
    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert Task.objects.get(pk=task.pk).due_date.isoformat() == new_due
    assert ExtensionRequest.objects.get(pk=ext_id).decided_by == c.supervisor


def test_list_filters_and_pagination(api, build):
    c = build.cast
    for i in range(5):
        build.assigned(title=f"任务{i}")
    build.assigned(title="白果任务", lead=c.baiguo)
    sup = api(c.supervisor)
    body = sup.get("/tasks", unit=c.baiguo.pk).json()
    assert body["count"] == 1 and body["items"][0]["title"] == "白果任务"
    body = sup.get("/tasks", limit=2, offset=2, sort="title").json()
    assert body["count"] == 6 and len(body["items"]) == 2
    assert sup.get("/tasks", status="assigned").json()["count"] == 6
    assert sup.get("/tasks", q="白果").json()["count"] == 1
    too_many = sup.get("/tasks", limit=100000)
    assert too_many.status_code == 400 and "limit" in too_many.json()["errors"]


def test_a_leader_instructs_through_the_api(api, build):
    c = build.cast
    task = build.in_progress()
    response = api(c.leader).post(f"/tasks/{task.pk}/instructions", {"text": "抓紧落实"})
    assert response.status_code == 201 and response.json()["event"] == "task_instruct"
    detail = api(c.bajiao_liaison).get(f"/tasks/{task.pk}").json()
    assert [i["text"] for i in detail["instructions"]] == ["抓紧落实"]
    assert api(c.bajiao_liaison).post(f"/tasks/{task.pk}/instructions", {"text": "x"}).status_code == 403


def test_an_instruction_through_the_api_carries_its_reply_deadline_and_bad_days_are_a_field_error(api, build):
    from duban.core import workdays
    from duban.tasks import lights

    c = build.cast
    task = build.in_progress()
    response = api(c.leader).post(f"/tasks/{task.pk}/instructions", {"text": "两天内报告", "reply_days": 2})
    assert response.status_code == 201
    assert response.json()["data"]["reply_due"] == workdays.add_workdays(lights.today(), 2).isoformat()
    detail = api(c.bajiao_liaison).get(f"/tasks/{task.pk}").json()
    assert detail["instructions"][0]["reply_due"] == response.json()["data"]["reply_due"]
    assert detail["instructions"][0]["replied_at"] is None
    bad = api(c.leader).post(f"/tasks/{task.pk}/instructions", {"text": "x", "reply_days": 99})
    assert bad.status_code == 400 and "reply_days" in bad.json()["errors"]


def test_sources_through_the_api(api, build):
    c = build.cast
    sup = api(c.supervisor)
    body = {"kind": "speech", "title": "讲话", "date": "2017-02-19", "text": "同志们……"}
    assert sup.post("/sources", body).status_code == 201
    assert sup.post("/sources", {**body, "title": "重复"}).status_code == 400
    assert api(c.bajiao_liaison).post("/sources", {**body, "text": "别的"}).status_code == 403
    assert len(sup.get("/sources").json()) == 1


def test_the_export_downloads_an_xlsx(api, build):
    build.assigned()
    response = api(build.cast.bajiao_liaison).get("/tasks/export.xlsx")
    assert response.status_code == 200
    assert response.content[:2] == b"PK"
    assert "attachment" in response["Content-Disposition"]
    # Every export is in the ledger, with who took it and how many rows (AU-01).
    entry = AuditEntry.objects.filter(event="tasks_exported").latest("seq")
    assert entry.actor == build.cast.bajiao_liaison and entry.data == {"rows": 1, "drafts": False}


def test_reports_are_append_only_over_the_api(api, build):
    task = build.completion_requested()
    assert ProgressReport.objects.filter(task=task).count() == 1
    assert Evidence.objects.filter(task=task).count() == 1
    # There is no route that edits or deletes a report or a file.
    from duban.api.api import api as ninja_api

    schema = ninja_api.get_openapi_schema()
    for path, ops in schema["paths"].items():
        if "reports" in path or "evidence" in path:
            assert not ({"put", "patch", "delete"} & set(ops)), path


def test_an_oversized_upload_is_cut_off_while_it_arrives(api, build, settings, tmp_path):
    temp_dir = tmp_path / "uploads"
    temp_dir.mkdir()
    settings.FILE_UPLOAD_HANDLERS = [
        "duban.core.uploads.SizeLimitHandler",
        "django.core.files.uploadhandler.MemoryFileUploadHandler",
        "django.core.files.uploadhandler.TemporaryFileUploadHandler",
    ]
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # force the temporary-file path
    settings.FILE_UPLOAD_TEMP_DIR = str(temp_dir)
    settings.DUBAN_MAX_UPLOAD_BYTES = 64 * 1024
    task = build.in_progress()
    liaison = api(build.cast.bajiao_liaison)
    before = state()
    big = pdf_bytes() + b"0" * (settings.DUBAN_MAX_UPLOAD_BYTES + 1)
    response = liaison.form(f"/tasks/{task.pk}/reports", {"narrative": "x", "percent": "5",
                                                          "files": [upload("大.pdf", big)]})
    assert response.status_code == 413
    assert list(temp_dir.iterdir()) == []
    assert state() == before and build.stored_files() == []
    fine = pdf_bytes() + b"0" * 2048
    response = liaison.form(f"/tasks/{task.pk}/reports", {"narrative": "x", "percent": "5",
                                                          "files": [upload("小.pdf", fine)]})
    assert response.status_code == 201


# Role × scope matrix for reading a task led by 芭蕉 (AC-06): 200 inside, 404 outside, 401/403
# for roles without the function.
MATRIX = {
    "supervisor": 200, "leader": 200, "discipline": 200,
    "bajiao_liaison": 200, "bajiao_b": 200, "bajiao_admin": 200,
    "village_liaison": 404, "baiguo_liaison": 404,
}


@pytest.mark.parametrize(("who", "expected"), sorted(MATRIX.items()))
def test_who_reads_a_township_task(api, build, who, expected):
    task = build.completion_requested(co_units=[])
    evidence = task.evidence.get()
    client = api(getattr(build.cast, who))
    assert client.get(f"/tasks/{task.pk}").status_code == expected
    assert client.get(f"/tasks/{task.pk}/reports").status_code == expected
    assert client.get(f"/evidence/{evidence.pk}/download").status_code == expected
    listed = [t["id"] for t in client.get("/tasks").json()["items"]]
    assert (task.pk in listed) == (expected == 200)


@pytest.mark.parametrize("who", ["sysadmin", "secadmin", "auditor"])
def test_the_administrators_cannot_use_the_task_api(client, build, who):
    response = client.post("/api/auth/token", json.dumps({"username": getattr(build.cast, who).username,
                                                          "password": build.cast.password}),
                           content_type="application/json")
    if response.status_code == 200:
        token = response.json()["token"]
        assert client.get("/api/tasks", HTTP_AUTHORIZATION=f"Bearer {token}").status_code in (401, 403)
    else:
        assert response.status_code in (401, 403)


def test_a_goal_and_its_children_are_assigned_through_the_api(api, build):
    c = build.cast
    goal = build.task(due_in=90, title="目标")
    build.task(parent=goal, due_in=30, title="子任务")
    sup = api(c.supervisor)
    response = sup.post(f"/tasks/{goal.pk}/assign-subtree")
    assert response.status_code == 200 and [t["status"] for t in response.json()] == ["assigned", "assigned"]
    assert sup.post(f"/tasks/{goal.pk}/assign-subtree").status_code == 400
    assert api(c.bajiao_liaison).post(f"/tasks/{goal.pk}/assign-subtree").status_code == 403


def test_transitions_and_reports_also_take_json(api, build):
    c = build.cast
    task = build.assigned()
    liaison, sup = api(c.bajiao_liaison), api(c.supervisor)
    response = liaison.post(f"/tasks/{task.pk}/transitions/acknowledge", {"version": task.version})
    assert response.status_code == 200 and response.json()["status"] == "acknowledged"
    stale = liaison.post(f"/tasks/{task.pk}/transitions/start", {"version": task.version})
    assert stale.status_code == 409
    assert liaison.post(f"/tasks/{task.pk}/transitions/start", {"status": "completed"}).status_code == 400
    response = liaison.post(f"/tasks/{task.pk}/reports", {"narrative": "JSON 报送", "percent": 15})
    assert response.status_code == 201 and response.json()["percent"] == 15
    assert sup.post(f"/tasks/{task.pk}/transitions/cancel", {"reason": ""}).status_code == 400


def test_the_list_endpoint_runs_a_fixed_number_of_queries(api, build, django_assert_max_num_queries):
    c = build.cast
    for i in range(3):
        build.in_progress(title=f"任务{i}", co_units=[c.baiguo], post=c.post_bajiao)
    sup = api(c.supervisor)
    with django_assert_max_num_queries(40) as small:
        assert sup.get("/tasks").json()["count"] == 3
    for i in range(12):
        build.in_progress(title=f"更多{i}", co_units=[c.baiguo], post=c.post_bajiao)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert sup.get("/tasks").json()["count"] == 15


def test_notifications_are_listed_and_marked_read_per_user(api, build):
    c = build.cast
    task = build.assigned()
    liaison = api(c.bajiao_liaison)
    notices = liaison.get("/notifications").json()
    assert [(n["kind"], n["task_id"], n["is_read"]) for n in notices] == [("assigned", task.pk, False)]
    assert liaison.post(f"/notifications/{notices[0]['id']}/read").status_code == 204
    assert liaison.get("/notifications", unread=True).json() == []
    assert api(c.bajiao_b).get("/notifications", unread=True).json()[0]["id"] == notices[0]["id"]
    assert api(c.baiguo_liaison).post(f"/notifications/{notices[0]['id']}/read").status_code == 404

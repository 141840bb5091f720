"""Every transition through its form on the task page, by the roles that may and may not make
it. A refused POST answers 400/403/404 and leaves the database exactly as it was."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.urls import reverse

from duban.core.models import AuditEntry
from duban.orgs import services as org
from duban.orgs.models import AbsenceKind
from duban.tasks import services as svc
from duban.tasks.models import Evidence, ExtensionRequest, Instruction, ProgressReport, Task, TaskStatus

from .helpers import a_pdf, pdf_bytes, png_bytes, state, upload

S = TaskStatus


def html(response) -> str:
    return response.content.decode()


def do(client, task, name, data=None, files=None):
    """POST the transition form as the task page renders it (prefixed fields, current version)."""
    task.refresh_from_db()
    payload = {f"{name}-version": task.version}
    payload.update({f"{name}-{k}": v for k, v in (data or {}).items()})
    if files is not None:
        payload[f"{name}-files"] = files
    return client.post(reverse("tasks:transition", args=[task.pk, name]), payload)


def status_of(task) -> str:
    return Task.objects.get(pk=task.pk).status


def refused(expected_status, send):
    before = state()
    response = send()
    assert response.status_code == expected_status, html(response)[:2000]
    assert state() == before
    return response


# --- the happy path, one form at a time ---------------------------------------------------------
def test_the_supervisor_assigns_a_draft_and_the_ledger_names_him(build, login):
    task = build.task()
    response = do(login(build.cast.supervisor), task, "assign")
    assert response.status_code == 302 and response["Location"] == reverse("tasks:detail", args=[task.pk])
    assert status_of(task) == S.ASSIGNED
    entry = AuditEntry.objects.filter(event="task_assign", object_id=str(task.pk)).get()
    assert entry.actor_name and entry.actor_id == build.cast.supervisor.pk


def test_the_liaison_acknowledges_starts_reports_and_requests_completion(build, login, media):
    c = build.cast
    task = build.assigned()
    client = login(c.bajiao_liaison)
    assert do(client, task, "acknowledge").status_code == 302
    assert status_of(task) == S.ACKNOWLEDGED
    assert do(client, task, "start").status_code == 302
    assert status_of(task) == S.IN_PROGRESS
    response = client.post(reverse("tasks:report", args=[task.pk]), {
        "report-narrative": "完成选址", "report-percent": 40, "report-quantity": "2",
        "report-files": [upload("现场照片.png", png_bytes(), "image/png"), a_pdf("方案.pdf")]})
    assert response.status_code == 302
    report = ProgressReport.objects.get(task=task)
    assert report.percent == 40 and sorted(e.original_name for e in report.evidence.all()) == ["方案.pdf", "现场照片.png"]
    response = do(client, task, "request_completion", {"narrative": "全部建成", "percent": 100},
                  files=[a_pdf("验收报告.pdf")])
    assert response.status_code == 302
    assert status_of(task) == S.COMPLETION_REQUESTED
    page = html(client.get(reverse("tasks:detail", args=[task.pk])))
    assert "验收报告.pdf" in page and "全部建成" in page


def test_the_supervisor_returns_with_a_reason_and_then_approves(build, login):
    c = build.cast
    task = build.completion_requested()
    client = login(c.supervisor)
    response = refused(400, lambda: do(client, task, "return", {"reason": ""}))
    assert "退回理由" in html(response) and "is-invalid" in html(response)
    assert do(client, task, "return", {"reason": "佐证材料不全"}).status_code == 302
    assert status_of(task) == S.IN_PROGRESS
    entry = AuditEntry.objects.filter(event="task_return", object_id=str(task.pk)).get()
    assert entry.data["reason"] == "佐证材料不全"
    svc.task_request_completion(actor=c.bajiao_liaison, task=Task.objects.get(pk=task.pk), narrative="已补充",
                                files=[a_pdf()])
    assert do(client, task, "approve", {"reason": "同意办结"}).status_code == 302
    assert status_of(task) == S.COMPLETED
    page = html(client.get(reverse("tasks:detail", args=[task.pk])))
    assert "已办结" in page and "佐证材料不全" in page and 'data-light="green"' in page


def test_cancelling_needs_a_reason(build, login):
    task = build.assigned()
    client = login(build.cast.supervisor)
    refused(400, lambda: do(client, task, "cancel", {"reason": "  "}))
    assert do(client, task, "cancel", {"reason": "工作已调整"}).status_code == 200  # the confirmation step
    assert status_of(task) != S.CANCELLED
    assert do(client, task, "cancel", {"reason": "工作已调整", "confirm": "on"}).status_code == 302
    assert status_of(task) == S.CANCELLED


def test_a_completed_task_is_reopened_only_with_a_reason(build, login):
    task = build.completed()
    client = login(build.cast.supervisor)
    refused(400, lambda: do(client, task, "reopen", {"reason": ""}))
    assert do(client, task, "reopen", {"reason": "群众反映问题未解决"}).status_code == 302
    assert status_of(task) == S.IN_PROGRESS


def test_the_backup_acknowledges_while_the_a_holder_is_away(build, login):
    c = build.cast
    task = build.assigned(post=c.post_bajiao)
    org.absence_create(person=c.p_bajiao_a, kind=AbsenceKind.LEAVE, start=build.today,
                       end=build.today + timedelta(days=3))
    assert do(login(c.bajiao_b), task, "acknowledge").status_code == 302
    assert status_of(task) == S.ACKNOWLEDGED


# --- refusals ----------------------------------------------------------------------------------
def test_a_liaison_cannot_approve(build, login):
    task = build.completion_requested()
    client = login(build.cast.bajiao_b)
    refused(403, lambda: do(client, task, "approve"))
    assert status_of(task) == S.COMPLETION_REQUESTED


def test_a_liaison_cannot_acknowledge_another_townships_task(build, login):
    task = build.assigned()
    client = login(build.cast.baiguo_liaison)
    before = state()
    response = do(client, task, "acknowledge")
    assert response.status_code == 404
    assert state() == before


def test_a_leader_cannot_acknowledge(build, login):
    task = build.assigned()
    client = login(build.cast.leader)
    refused(403, lambda: do(client, task, "acknowledge"))


def test_reporting_on_a_completed_task_is_refused_in_place(build, login, media):
    task = build.completed()
    client = login(build.cast.bajiao_liaison)
    response = refused(400, lambda: client.post(reverse("tasks:report", args=[task.pk]), {
        "report-narrative": "补充一条", "report-percent": 100, "report-files": [a_pdf("补充.pdf")]}))
    assert "不能报送进展" in html(response)
    assert len(build.stored_files()) == 1  # only the completion evidence from before


def test_an_unknown_transition_is_404(build, login):
    task = build.assigned()
    client = login(build.cast.supervisor)
    refused(404, lambda: client.post(reverse("tasks:transition", args=[task.pk, "delete"]), {}))


def test_a_transition_out_of_order_is_a_400_with_the_reason(build, login):
    task = build.task()  # a draft
    client = login(build.cast.supervisor)
    response = refused(400, lambda: do(client, task, "approve"))
    assert "不能执行" in html(response)


def test_a_stale_version_is_refused_with_a_clear_message(build, login):
    c = build.cast
    task = build.completion_requested()
    client = login(c.supervisor)
    stale = Task.objects.get(pk=task.pk).version
    # Someone else returns it first; our form still carries the old version.
    other = login(c.supervisor)
    assert do(other, task, "return", {"reason": "先退回"}).status_code == 302
    client = login(c.supervisor)
    before = state()
    response = client.post(reverse("tasks:transition", args=[task.pk, "cancel"]),
                           {"cancel-version": stale, "cancel-reason": "中止"})
    assert response.status_code == 409  # a stale page: 409 with a reload link (issue 9)
    assert "已被他人修改" in html(response)
    assert state() == before
    assert status_of(task) == S.IN_PROGRESS


def test_a_form_without_a_version_is_refused(build, login):
    task = build.assigned()
    client = login(build.cast.bajiao_liaison)
    response = refused(400, lambda: client.post(reverse("tasks:transition", args=[task.pk, "acknowledge"]), {}))
    assert "表单已过期" in html(response)


def test_an_exe_renamed_pdf_is_refused_inline_and_nothing_is_stored(build, login, media):
    task = build.in_progress()
    client = login(build.cast.bajiao_liaison)
    exe = upload("进展报告.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200, "application/pdf")
    response = refused(400, lambda: client.post(reverse("tasks:report", args=[task.pk]), {
        "report-narrative": "完成选址", "report-percent": 40, "report-files": [a_pdf("好的.pdf"), exe]}))
    page = html(response)
    assert "进展报告.pdf" in page and "与扩展名不符" in page and "invalid-feedback" in page
    assert build.stored_files() == []
    assert not Evidence.objects.exists()


def test_completion_without_evidence_is_refused(build, login):
    task = build.in_progress()
    client = login(build.cast.bajiao_liaison)
    response = refused(400, lambda: do(client, task, "request_completion", {"narrative": "完成", "percent": 100}))
    assert "佐证材料" in html(response)


def test_a_file_over_the_limit_gets_413(build, login, media, settings):
    settings.DUBAN_MAX_UPLOAD_BYTES = 1024
    task = build.in_progress()
    client = login(build.cast.bajiao_liaison)
    big = upload("大文件.pdf", pdf_bytes("x" * 4000), "application/pdf")
    response = refused(413, lambda: client.post(reverse("tasks:report", args=[task.pk]), {
        "report-narrative": "完成", "report-percent": 10, "report-files": [big]}))
    assert "上限" in html(response)
    assert build.stored_files() == []


# --- extensions, instructions, milestones ----------------------------------------------------------
def test_an_extension_is_requested_and_approved_keeping_the_original_due_date(build, login):
    c = build.cast
    task = build.in_progress()
    original = task.due_date
    liaison = login(c.bajiao_liaison)
    new_due = original + timedelta(days=20)
    response = liaison.post(reverse("tasks:extension_request", args=[task.pk]),
                            {"extension-requested_due": new_due.isoformat(), "extension-reason": "雨季停工"})
    assert response.status_code == 302
    extension = ExtensionRequest.objects.get(task=task)
    supervisor = login(c.supervisor)
    page = html(supervisor.get(reverse("tasks:detail", args=[task.pk])))
    assert "审批延期申请" in page and "雨季停工" in page and 'type="radio"' in page
    response = supervisor.post(reverse("tasks:extension_decide", args=[extension.pk]),
                               {"decide-version": extension.version, "decide-decision": "approve", "decide-reason": ""})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.due_date == new_due and task.original_due_date == original
    page = html(supervisor.get(reverse("tasks:detail", args=[task.pk])))
    assert "原定时限" in page and original.strftime("%Y-%m-%d") in page


def test_an_extension_earlier_than_the_due_date_is_an_inline_error(build, login):
    task = build.in_progress()
    client = login(build.cast.bajiao_liaison)
    response = refused(400, lambda: client.post(reverse("tasks:extension_request", args=[task.pk]), {
        "extension-requested_due": task.due_date.isoformat(), "extension-reason": "理由"}))
    assert "应晚于当前完成时限" in html(response)


def test_refusing_an_extension_needs_a_reason_and_liaisons_cannot_decide(build, login):
    c = build.cast
    task = build.in_progress()
    extension = svc.extension_request(actor=c.bajiao_liaison, task=task,
                                      requested_due=task.due_date + timedelta(days=5), reason="人手不足")
    url = reverse("tasks:extension_decide", args=[extension.pk])
    liaison = login(c.bajiao_b)
    refused(403, lambda: liaison.post(url, {"decide-version": 1, "decide-decision": "approve"}))
    client = login(c.supervisor)
    response = refused(400, lambda: client.post(url, {"decide-version": 1, "decide-decision": "refuse",
                                                      "decide-reason": ""}))
    assert "请填写审批意见" in html(response)
    assert client.post(url, {"decide-version": 1, "decide-decision": "refuse", "decide-reason": "时限不能再推"}
                       ).status_code == 302
    extension.refresh_from_db()
    assert extension.status == "refused"
    assert Task.objects.get(pk=task.pk).due_date == task.due_date


def test_a_leader_writes_an_instruction_and_a_liaison_cannot(build, login):
    c = build.cast
    task = build.in_progress()
    liaison = login(c.bajiao_liaison)
    refused(403, lambda: liaison.post(reverse("tasks:instruct", args=[task.pk]), {"instruct-text": "抓紧"}))
    response = login(c.leader).post(reverse("tasks:instruct", args=[task.pk]), {"instruct-text": "务必按期完成"})
    assert response.status_code == 302
    assert Instruction.objects.get(task=task).text == "务必按期完成"
    assert "务必按期完成" in html(login(c.bajiao_liaison).get(reverse("tasks:detail", args=[task.pk])))


def test_the_lead_unit_ticks_off_a_milestone(build, login):
    c = build.cast
    task = build.in_progress(milestones=[{"name": "完成选址", "date": build.today + timedelta(days=5)}])
    milestone = task.milestones.get()
    url = reverse("tasks:milestone_toggle", args=[task.pk, milestone.pk])
    leader = login(c.leader)
    refused(403, lambda: leader.post(url, {"done": "1"}))
    assert login(c.bajiao_liaison).post(url, {"done": "1"}).status_code == 302
    milestone.refresh_from_db()
    assert milestone.done


# --- evidence download ---------------------------------------------------------------------------
def test_evidence_downloads_as_an_attachment_with_safe_headers(build, login):
    c = build.cast
    task = build.in_progress()
    svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="进展", percent=10,
                      files=[a_pdf("报告(终稿).pdf")])
    evidence = Evidence.objects.get(task=task)
    for user in (c.bajiao_liaison, c.supervisor, c.leader):
        response = login(user).get(reverse("tasks:evidence_download", args=[evidence.pk]))
        assert response.status_code == 200
        assert response.content == pdf_bytes()
        assert response["Content-Disposition"] == "attachment; filename*=UTF-8''" + quote("报告(终稿).pdf", safe="")
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_a_tampered_evidence_file_is_not_served(build, login, media):
    c = build.cast
    task = build.in_progress()
    svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="进展", percent=10, files=[a_pdf()])
    evidence = Evidence.objects.get(task=task)
    path = media / evidence.storage_name
    path.write_bytes(path.read_bytes().replace(b"evidence", b"EVIDENCE"))
    response = login(c.supervisor).get(reverse("tasks:evidence_download", args=[evidence.pk]))
    assert response.status_code == 500
    assert "文件暂不可用" in html(response) and "Content-Disposition" not in response
    assert AuditEntry.objects.filter(event="integrity_failure", object_id=str(evidence.pk)).exists()


@pytest.mark.parametrize("who", ["baiguo_liaison", "village_liaison"])
def test_evidence_outside_the_users_scope_is_404(build, login, who):
    c = build.cast
    task = build.completion_requested()
    evidence = Evidence.objects.get(task=task)
    assert login(getattr(c, who)).get(reverse("tasks:evidence_download", args=[evidence.pk])).status_code == 404


def test_a_wrong_report_is_corrected_by_a_new_one_that_names_it(build, login):
    c = build.cast
    task = build.in_progress()
    wrong = svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="完成 80%", percent=80)
    other = build.in_progress(title="另一个任务")
    elsewhere = svc.report_submit(actor=c.bajiao_liaison, task=other, narrative="别的任务", percent=5)
    client = login(c.bajiao_liaison)
    assert "更正以前的报告" in html(client.get(reverse("tasks:detail", args=[task.pk])))
    refused(400, lambda: client.post(reverse("tasks:report", args=[task.pk]), {
        "report-narrative": "x", "report-percent": 8, "report-corrects": elsewhere.pk}))
    response = client.post(reverse("tasks:report", args=[task.pk]), {
        "report-narrative": "更正:实际完成 8%", "report-percent": 8, "report-corrects": wrong.pk})
    assert response.status_code == 302
    correction = ProgressReport.objects.filter(task=task).order_by("-id").first()
    assert correction.corrects == wrong and ProgressReport.objects.get(pk=wrong.pk).narrative == "完成 80%"
    assert "更正" in html(client.get(reverse("tasks:detail", args=[task.pk])))


def test_an_oversized_completion_file_is_dropped_while_uploading_and_named_in_the_error(build, login, media,
                                                                                        settings):
    settings.DUBAN_MAX_UPLOAD_BYTES = 1024
    task = build.in_progress()
    client = login(build.cast.bajiao_liaison)
    big = upload("验收报告.pdf", pdf_bytes("x" * 4000), "application/pdf")
    response = refused(413, lambda: do(client, task, "request_completion", {"narrative": "完成", "percent": 100},
                                       files=[big]))
    assert "验收报告.pdf" in html(response) and "上限" in html(response)
    assert build.stored_files() == []


def test_upload_forms_still_require_the_csrf_token(build, media):
    from django.test import Client

    task = build.in_progress()
    client = Client(enforce_csrf_checks=True)
    client.force_login(build.cast.bajiao_liaison)
    before = state()
    response = client.post(reverse("tasks:report", args=[task.pk]), {
        "report-narrative": "无令牌", "report-percent": 10, "report-files": [a_pdf()]})
    assert response.status_code == 403
    assert state() == before
    client.get(reverse("tasks:detail", args=[task.pk]))  # the page sets the CSRF cookie
    response = client.post(reverse("tasks:report", args=[task.pk]), {
        "csrfmiddlewaretoken": client.cookies["csrftoken"].value, "report-narrative": "有令牌",
        "report-percent": 10, "report-files": [a_pdf()]})
    assert response.status_code == 302


def test_deciding_an_extension_twice_shows_why_on_the_decision_form(build, login):
    c = build.cast
    task = build.in_progress()
    extension = svc.extension_request(actor=c.bajiao_liaison, task=task,
                                      requested_due=task.due_date + timedelta(days=5), reason="人手不足")
    client = login(c.supervisor)
    url = reverse("tasks:extension_decide", args=[extension.pk])
    assert client.post(url, {"decide-version": 1, "decide-decision": "approve"}).status_code == 302
    response = refused(400, lambda: client.post(url, {"decide-version": 2, "decide-decision": "refuse",
                                                      "decide-reason": "再想想"}))
    page = html(response)
    assert "该延期申请已审批" in page and "审批延期申请" in page and 'id="action-decide"' in page

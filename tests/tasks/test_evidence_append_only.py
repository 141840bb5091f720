"""FU-05: submitted evidence is append-only. Withdrawing is soft (the row, the stored file and its
SHA-256 stay, downloadable and verifiable) and audited; replacing stores a new version that names
the old one; both are refused with 403 once completion is requested or the task is closed, and
allowed again after 退回 or 重新打开 (the re-open flow). The API offers neither (405)."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from duban.core.models import AuditEntry
from duban.tasks import services as svc
from duban.tasks.models import Evidence

from .helpers import a_pdf, jpg_bytes, pdf_bytes, state, upload


def _with_report(build, **kw):
    task = build.in_progress(**kw)
    svc.report_submit(actor=build.cast.bajiao_liaison, task=task, narrative="完成一半", percent=50,
                      files=[upload("现场照片.pdf", pdf_bytes("v1"), "application/pdf")])
    return task, Evidence.objects.get(task=task)


def _ledger(task, event):
    return AuditEntry.objects.filter(event=event, object_type="tasks.task", object_id=str(task.pk))


def test_withdrawing_from_the_task_page_is_soft_audited_and_keeps_file_and_hash(build, login):
    task, evidence = _with_report(build)
    client = login(build.cast.bajiao_liaison)
    page = client.get(reverse("tasks:detail", args=[task.pk])).content.decode()
    assert reverse("tasks:evidence_withdraw", args=[evidence.pk]) in page  # offered while in progress
    response = client.post(reverse("tasks:evidence_withdraw", args=[evidence.pk]), {"reason": "上传错了文件"})
    assert response.status_code == 302
    evidence.refresh_from_db()
    assert evidence.withdrawn_at is not None and evidence.withdrawn_by == build.cast.bajiao_liaison
    assert evidence.withdraw_reason == "上传错了文件"
    assert len(build.stored_files()) == 1  # the file stays
    entry = _ledger(task, "task_evidence_withdraw").get()
    assert entry.data["evidence"] == evidence.pk and entry.data["reason"] == "上传错了文件"
    assert entry.data["files"][0]["sha256"] == evidence.sha256
    # Still downloadable and still verifiable against the hash taken at upload.
    download = client.get(reverse("tasks:evidence_download", args=[evidence.pk]))
    assert download.status_code == 200 and download.content == pdf_bytes("v1")
    page = client.get(reverse("tasks:detail", args=[task.pk])).content.decode()
    assert "已撤回" in page and "上传错了文件" in page and evidence.sha256 in page
    assert "撤回佐证材料" in page  # the 办理记录 names it


def test_a_replacement_is_a_new_version_and_the_old_one_is_kept(build, login):
    task, old = _with_report(build)
    client = login(build.cast.bajiao_liaison)
    response = client.post(reverse("tasks:evidence_replace", args=[old.pk]),
                           {"reason": "换成清晰的照片", "file": upload("现场照片.jpg", jpg_bytes(), "image/jpeg")})
    assert response.status_code == 302
    old.refresh_from_db()
    new = Evidence.objects.get(replaces=old)
    assert response["Location"].endswith(f"#evidence-{new.pk}")
    assert old.withdrawn_at is not None and old.withdraw_reason == "换成清晰的照片"
    assert new.withdrawn_at is None and new.report_id == old.report_id and new.file_type == "jpg"
    assert new.sha256 != old.sha256 and len(build.stored_files()) == 2
    entry = _ledger(task, "task_evidence_replace").get()
    assert (entry.data["evidence"], entry.data["replacement"]) == (old.pk, new.pk)
    assert entry.data["replaced_sha256"] == old.sha256
    assert client.get(reverse("tasks:evidence_download", args=[old.pk])).content == pdf_bytes("v1")
    page = client.get(reverse("tasks:detail", args=[task.pk])).content.decode()
    assert page.count('class="evidence-file') == 2 and "新版本" in page


@pytest.mark.parametrize("close", ["completion_requested", "completed", "cancelled"])
def test_after_submission_or_closing_withdraw_and_replace_are_403_and_change_nothing(build, login, close):
    c = build.cast
    task, evidence = _with_report(build)
    if close == "cancelled":
        svc.task_cancel(actor=c.supervisor, task=task, reason="不再需要")
    else:
        task = svc.task_request_completion(actor=c.bajiao_liaison, task=task, narrative="完成", files=[a_pdf()])
        if close == "completed":
            svc.task_approve(actor=c.supervisor, task=task)
    client = login(c.bajiao_liaison)
    before, files = state(), build.stored_files()
    assert reverse("tasks:evidence_withdraw", args=[evidence.pk]) not in client.get(
        reverse("tasks:detail", args=[task.pk])).content.decode()
    assert client.post(reverse("tasks:evidence_withdraw", args=[evidence.pk]),
                       {"reason": "想删掉"}).status_code == 403
    assert client.post(reverse("tasks:evidence_replace", args=[evidence.pk]),
                       {"reason": "换一份", "file": upload("新.pdf", pdf_bytes("v2"), "application/pdf")}
                       ).status_code == 403
    assert state() == before
    assert Evidence.objects.get(pk=evidence.pk).withdrawn_at is None
    assert build.stored_files() == files  # the refused replacement left no file


def test_the_reopen_flow_allows_it_again(build, login):
    c = build.cast
    task, evidence = _with_report(build)
    task = svc.task_request_completion(actor=c.bajiao_liaison, task=task, narrative="完成", files=[a_pdf()])
    with pytest.raises(PermissionDenied):
        svc.evidence_withdraw(actor=c.bajiao_liaison, evidence=evidence, reason="x")
    svc.task_return(actor=c.supervisor, task=task, reason="材料不全")  # 退回: back to 办理中
    client = login(c.bajiao_liaison)
    assert client.post(reverse("tasks:evidence_withdraw", args=[evidence.pk]),
                       {"reason": "补正前撤回"}).status_code == 302
    assert Evidence.objects.get(pk=evidence.pk).withdrawn_at is not None


def test_only_the_uploader_or_the_reporting_unit_may_withdraw(build, login):
    c = build.cast
    task, evidence = _with_report(build, co_units=[c.baiguo])
    # The co-unit's liaison sees the task and its files (and may report) but did not upload this one.
    client = login(c.baiguo_liaison)
    assert reverse("tasks:evidence_download", args=[evidence.pk]) in client.get(
        reverse("tasks:detail", args=[task.pk])).content.decode()
    before = state()
    assert client.post(reverse("tasks:evidence_withdraw", args=[evidence.pk]), {"reason": "x"}).status_code == 403
    assert client.post(reverse("tasks:evidence_replace", args=[evidence.pk]),
                       {"reason": "x", "file": upload("b.pdf", pdf_bytes("b"), "application/pdf")}).status_code == 403
    # Outside the task's units: the file is not even visible.
    assert login(c.village_liaison).post(reverse("tasks:evidence_withdraw", args=[evidence.pk]),
                                         {"reason": "x"}).status_code == 404
    assert state()["ledger"] == before["ledger"] + 1  # the village liaison's sign-in, nothing else
    assert {k: v for k, v in state().items() if k != "ledger"} == {k: v for k, v in before.items() if k != "ledger"}
    # Another user of the reporting unit may (the unit reported it, not just the person).
    assert login(c.bajiao_b).post(reverse("tasks:evidence_withdraw", args=[evidence.pk]),
                                  {"reason": "本单位撤回"}).status_code == 302


def test_a_withdrawal_without_a_reason_or_twice_is_refused_with_a_message(build, login):
    task, evidence = _with_report(build)
    client = login(build.cast.bajiao_liaison)
    before = state()
    response = client.post(reverse("tasks:evidence_withdraw", args=[evidence.pk]), {"reason": "  "}, follow=True)
    assert state() == before and "撤回理由" in response.content.decode()
    client.post(reverse("tasks:evidence_withdraw", args=[evidence.pk]), {"reason": "错了"})
    after = state()
    response = client.post(reverse("tasks:evidence_withdraw", args=[evidence.pk]), {"reason": "再撤"}, follow=True)
    assert "已撤回,不能再次撤回" in response.content.decode() and state() == after
    assert _ledger(task, "task_evidence_withdraw").count() == 1


def test_a_refused_replacement_file_changes_nothing(build, login):
    _task, evidence = _with_report(build)
    client = login(build.cast.bajiao_liaison)
    before = state()
    response = client.post(reverse("tasks:evidence_replace", args=[evidence.pk]),
                           {"reason": "换", "file": upload("假.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")},
                           follow=True)
    assert "内容与扩展名不符" in response.content.decode()
    assert state() == before and len(build.stored_files()) == 1


def test_the_model_refuses_deletes_and_edits(build):
    _task, evidence = _with_report(build)
    with pytest.raises(TypeError):
        evidence.delete()
    with pytest.raises(TypeError):
        Evidence.objects.filter(pk=evidence.pk).update(sha256="0" * 64)
    evidence.original_name = "改名.pdf"
    with pytest.raises(TypeError):
        evidence.save()


def test_the_api_offers_no_replace_or_delete(build, client):
    c = build.cast
    _task, evidence = _with_report(build)
    token = client.post("/api/auth/token", json.dumps({"username": "bajiao", "password": c.password}),
                        content_type="application/json").json()["token"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    for path in (f"/api/evidence/{evidence.pk}", f"/api/evidence/{evidence.pk}/download"):
        assert client.delete(path, **auth).status_code in (404, 405)
        assert client.put(path, b"x", content_type="application/pdf", **auth).status_code in (404, 405)
        assert client.patch(path, "{}", content_type="application/json", **auth).status_code in (404, 405)
    evidence.refresh_from_db()
    assert evidence.withdrawn_at is None and len(build.stored_files()) == 1
    response = client.get(f"/api/evidence/{evidence.pk}/download", **auth)
    assert response.status_code == 200 and response.content == pdf_bytes("v1")

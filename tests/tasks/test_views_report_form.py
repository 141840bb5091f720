"""The liaison's report form (issue 9 item 4): it leads the panel, its percent starts from the
unit's last report, a drop asks for a confirmation and a reason (JS-free: the server answers the
form again), and a double POST of the same form files one report."""

from django.urls import reverse

from duban.core.models import AuditEntry
from duban.tasks import services as svc
from duban.tasks.models import ProgressReport

from .helpers import state


def html(response) -> str:
    return response.content.decode()


def report(client, task, **fields):
    return client.post(reverse("tasks:report", args=[task.pk]), {f"report-{k}": v for k, v in fields.items()})


def test_the_liaisons_panel_leads_with_the_report_then_completion(build, login):
    c = build.cast
    task = build.in_progress()
    svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="完成一半", percent=55)
    response = login(c.bajiao_liaison).get(reverse("tasks:detail", args=[task.pk]))
    keys = [a["key"] for a in response.context["actions"]]
    assert keys[:2] == ["report", "request_completion"]
    form = response.context["actions"][0]["form"]
    assert form["percent"].value() == 55  # from the unit's last report
    assert 'name="report-form_token"' in html(response)
    assert 'name="report-drop_reason"' in html(response) and "进度下调原因" not in html(response)


def test_a_drop_is_answered_with_the_confirmation_and_accepted_with_a_reason(build, login):
    c = build.cast
    task = build.in_progress()
    svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="完成一半", percent=50)
    client = login(c.bajiao_liaison)
    before = state()
    response = report(client, task, narrative="重新核算", percent=30, form_token="c" * 32)
    assert response.status_code == 400
    page = html(response)
    assert "低于本单位上次报送的 50%" in page
    assert 'type="checkbox" name="report-confirm_drop"' in page and "进度下调原因" in page
    assert state() == before
    # a reason without the tick: told what is missing, nothing written
    response = report(client, task, narrative="重新核算", percent=30, drop_reason="误报", form_token="c" * 32)
    assert response.status_code == 400 and "请勾选确认" in html(response)
    assert state() == before
    response = report(client, task, narrative="重新核算", percent=30, confirm_drop="on",
                      drop_reason="上次误把计划数计入完成数", form_token="c" * 32)
    assert response.status_code == 302
    latest = ProgressReport.objects.filter(task=task).order_by("-id").first()
    assert latest.percent == 30
    entry = AuditEntry.objects.filter(event="task_report", object_id=str(task.pk)).order_by("-seq").first()
    assert entry.data["reason"] == "上次误把计划数计入完成数" and entry.data["previous_percent"] == 50


def test_a_double_post_of_the_same_form_files_one_report_and_shows_the_first(build, login):
    c = build.cast
    task = build.in_progress()
    client = login(c.bajiao_liaison)
    token = "d" * 32
    first = report(client, task, narrative="完成选址", percent=20, form_token=token)
    assert first.status_code == 302
    report_id = ProgressReport.objects.get(task=task).pk
    second = report(client, task, narrative="完成选址", percent=20, form_token=token)
    assert second.status_code == 302 and second["Location"].endswith(f"#report-{report_id}")
    assert ProgressReport.objects.filter(task=task).count() == 1
    page = html(client.get(second["Location"]))
    assert "没有重复报送" in page
    # a new form (a new token) is a new report
    assert report(client, task, narrative="完成设计", percent=30, form_token="e" * 32).status_code == 302
    assert ProgressReport.objects.filter(task=task).count() == 2


def test_a_refused_report_can_be_sent_again_with_the_same_token(build, login):
    task = build.in_progress()
    client = login(build.cast.bajiao_liaison)
    token = "f" * 32
    assert report(client, task, narrative="", percent=20, form_token=token).status_code == 400
    assert report(client, task, narrative="补上说明", percent=20, form_token=token).status_code == 302
    assert ProgressReport.objects.filter(task=task).count() == 1


def test_a_second_post_while_the_first_is_still_running_files_nothing(build, login):
    """The claim is an atomic cache.add shared by every app server: a POST that finds the token
    taken by a first one still in flight (here: claimed, not yet recorded) writes nothing."""
    from django.core.cache import cache

    c = build.cast
    task = build.in_progress()
    client = login(c.bajiao_liaison)
    token = "9" * 32
    assert cache.add(f"duban:form-once:{c.bajiao_liaison.pk}:{token}", {"pending": True})
    before = state()
    response = report(client, task, narrative="完成选址", percent=20, form_token=token)
    assert response.status_code == 302
    assert state() == before
    assert "正在报送或未能报送" in html(client.get(response["Location"]))


def test_the_api_refuses_a_drop_without_a_reason_with_a_field_error(build, client):
    import json

    c = build.cast
    task = build.in_progress()
    svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="完成一半", percent=50)
    token = client.post("/api/auth/token", json.dumps({"username": c.bajiao_liaison.username, "password": c.password}),
                        content_type="application/json").json()["token"]

    def post(body):
        return client.post(f"/api/tasks/{task.pk}/reports", json.dumps(body), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {token}")

    refused = post({"narrative": "重新核算", "percent": 40})
    assert refused.status_code == 400 and "drop_reason" in refused.content.decode()
    assert ProgressReport.objects.filter(task=task).count() == 1
    accepted = post({"narrative": "重新核算", "percent": 40, "drop_reason": "上次误报"})
    assert accepted.status_code == 201 and accepted.json()["percent"] == 40


def test_the_report_forms_file_input_offers_the_kinds_the_check_keeps(build, login):
    """The camera and photo library on a phone, HEIC included; legacy Office, refused by the
    content check, is not offered."""
    import re

    task = build.in_progress()
    page = html(login(build.cast.bajiao_liaison).get(reverse("tasks:detail", args=[task.pk])))
    accept = re.search(r'<input[^>]*name="report-files"[^>]*accept="([^"]+)"|'
                       r'<input[^>]*accept="([^"]+)"[^>]*name="report-files"', page)
    kinds = set((accept.group(1) or accept.group(2)).split(","))
    assert {"image/*", ".heic", ".pdf", ".docx"} <= kinds and not {".doc", ".xls", ".ppt"} & kinds

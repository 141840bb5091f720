"""The task's progress is the lead unit's latest report, kept as columns on the task by the report
services (issue 10), and a co-unit's report is its own progress: it can never "correct" the lead
unit's report nor move the task's percent (issue 11, "a co-unit can override the lead unit's
progress")."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from duban.tasks import selectors
from duban.tasks import services as svc
from duban.tasks.models import ProgressReport, Task

from .helpers import a_pdf


def test_a_co_unit_report_after_the_leads_80_percent_leaves_the_task_at_80(build, login):
    c = build.cast
    task = build.in_progress(co_units=[c.baiguo])
    lead = svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="基本完成", percent=80)
    co = svc.report_submit(actor=c.baiguo_liaison, task=task, narrative="配合单位的进展", percent=5)
    assert (lead.unit, co.unit) == (c.bajiao, c.baiguo)
    row = Task.objects.get(pk=task.pk)
    assert (row.latest_percent, row.latest_report_id, row.latest_report_at) == (80, lead.pk, lead.submitted_at)
    assert selectors.task_list(c.supervisor).get(pk=task.pk).latest_percent == 80

    # A "correction" of the lead unit's report by the co-unit is refused, nothing is written.
    with pytest.raises(ValidationError) as refused:
        svc.report_submit(actor=c.baiguo_liaison, task=task, narrative="更正:实际只完成5%", percent=5, corrects=lead)
    assert "配合单位不能更正牵头单位" in str(refused.value.message_dict["corrects"])
    assert ProgressReport.objects.filter(task=task).count() == 2
    assert Task.objects.get(pk=task.pk).latest_percent == 80

    # The JSON detail: the task at 80 %, the co-unit's 5 % under its unit.
    client = login(c.supervisor)
    body = client.get(f"/api/tasks/{task.pk}").json()
    assert body["latest_percent"] == 80
    assert [(p["unit"]["id"], p["percent"]) for p in body["unit_progress"]] == [(c.baiguo.pk, 5)]
    # The task page: 80 % as the task's progress, 5 % as 白果乡's own.
    page = client.get(reverse("tasks:detail", args=[task.pk])).content.decode()
    progress = page.split('aria-label="完成进度"')[1][:600]
    assert "80%" in progress and "白果乡" in progress and "5%" in progress


def test_the_api_refuses_a_co_unit_correcting_the_leads_report(build, login):
    c = build.cast
    task = build.in_progress(co_units=[c.baiguo])
    lead = svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="基本完成", percent=80)
    response = login(c.baiguo_liaison).post(f"/api/tasks/{task.pk}/reports",
                                            {"narrative": "更正", "percent": 5, "corrects": lead.pk})
    assert response.status_code == 400, response.content
    assert "corrects" in response.json()["errors"]
    assert Task.objects.get(pk=task.pk).latest_percent == 80


def test_a_lead_correction_and_the_completion_request_move_the_progress(build):
    c = build.cast
    task = build.in_progress(co_units=[c.baiguo])
    first = svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="进展", percent=60)
    fixed = svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="更正", percent=70, corrects=first)
    assert Task.objects.get(pk=task.pk).latest_report_id == fixed.pk
    svc.task_request_completion(actor=c.bajiao_liaison, task=Task.objects.get(pk=task.pk), narrative="已完成",
                                files=[a_pdf()], percent=100)
    row = Task.objects.get(pk=task.pk)
    completion = ProgressReport.objects.filter(task=task).order_by("-id").first()
    assert (row.latest_percent, row.latest_report_id) == (100, completion.pk)


def test_the_api_write_answers_from_what_it_wrote(build, login, django_assert_max_num_queries):
    c = build.cast
    task = build.in_progress()
    client = login(c.bajiao_liaison)
    with django_assert_max_num_queries(22) as captured:
        response = client.post(f"/api/tasks/{task.pk}/reports", {"narrative": "按计划推进", "percent": 30,
                                                                "files": [a_pdf("现场照片.pdf")]})
    assert response.status_code == 201, response.content
    body = response.json()
    report = ProgressReport.objects.get(pk=body["id"])
    assert (body["unit"]["id"], body["author"], body["percent"]) == (c.bajiao.pk, c.bajiao_liaison.username, 30)
    assert [e["original_name"] for e in body["evidence"]] == ["现场照片.pdf"]
    assert body["evidence"][0]["id"] == report.evidence.get().pk
    assert body["submitted_at"] == report.submitted_at.isoformat()
    # No re-read of the report for the answer.
    assert not [q for q in captured.captured_queries
                if 'FROM "tasks_progressreport"' in q["sql"] and q["sql"].lstrip().startswith("SELECT")
                and '"tasks_progressreport"."id" =' in q["sql"]]

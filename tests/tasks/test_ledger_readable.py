"""The ledger a person can read on the task page and in the audit log (issue 9 item 5): names,
not ids; before/after tables with field labels; English labels; the evidence file's SHA-256 and
立即校验 (verify now) for anyone who may see the task, good and tampered."""

import re

import pytest
from django.urls import reverse

from duban.core.models import AuditEntry
from duban.tasks import services as svc
from duban.tasks.models import Notification, NotificationKind, Task

pytestmark = pytest.mark.django_db


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_task_timeline_names_people_units_and_changes(build, login):
    c = build.cast
    task = build.task(title="道路硬化", due_in=40)
    task = svc.task_update(actor=c.supervisor, task=task, expected_version=task.version, lead_unit=c.baiguo,
                           title="道路硬化工程")
    page = login(c.supervisor).get(reverse("tasks:detail", args=[task.pk])).content.decode()
    timeline = page[page.index('id="h-timeline"'):]
    text = _text(timeline)
    assert "修改任务" in text and "创建任务" in text
    # Before/after table with field labels and unit names, not ids or dict reprs.
    assert re.search(r"牵头单位\s*</th><td[^>]*>芭蕉侗族乡</td><td[^>]*>白果乡</td>", timeline)
    assert re.search(r"任务名称\s*</th><td[^>]*>道路硬化</td><td[^>]*>道路硬化工程</td>", timeline)
    assert "{'" not in timeline and "tasks.task" not in timeline and "accounts.user" not in timeline
    assert f"({c.office.name})" in text  # the actor by name and unit


def test_a_parent_outside_the_readers_scope_is_not_named(build, login):
    c = build.cast
    parent = build.assigned(title="市级总目标", lead=c.baiguo, due_in=90)
    svc.task_decompose(actor=c.supervisor, parent=parent, children=[
        {"title": "芭蕉的子任务", "lead_unit": c.bajiao, "due_date": parent.due_date}])
    child = Task.objects.get(title="芭蕉的子任务")
    page = login(c.bajiao_liaison).get(reverse("tasks:detail", args=[child.pk])).content.decode()
    assert "市级总目标" not in page
    # The 督查室 sees the parent: named and linked in the child's 办理记录.
    page = login(c.supervisor).get(reverse("tasks:detail", args=[child.pk])).content.decode()
    timeline = page[page.index('id="h-timeline"'):]
    assert f'<a href="{reverse("tasks:detail", args=[parent.pk])}">市级总目标</a>' in timeline


def test_the_audit_log_reads_in_names_with_links_and_the_raw_view_keeps_codes(build, login):
    c = build.cast
    task = build.assigned(title="乡村振兴示范点", due_in=30)
    auditor = login(c.auditor)
    page = auditor.get("/audit/", {"event": "task_assign"}).content.decode()
    # Named, not linked: the auditor may open no task page (the link would be a 403).
    assert "乡村振兴示范点" in page and f'href="{reverse("tasks:detail", args=[task.pk])}"' not in page
    assert "交办" in _text(page) and "<code>task_assign</code>" not in page
    raw = auditor.get("/audit/", {"event": "task_assign", "raw": "1"}).content.decode()
    assert "<code>task_assign</code>" in raw and f"tasks.task #{task.pk}" in raw
    entry = AuditEntry.objects.filter(event="task_assign").latest("seq")
    detail = auditor.get(f"/audit/{entry.seq}/").content.decode()
    assert "已交办" in _text(detail) and "'from'" not in detail  # the state change by its names


def test_the_audit_log_in_english(build, login):
    c = build.cast
    build.assigned(title="英文测试", due_in=30)
    auditor = login(c.auditor)
    auditor.post("/i18n/setlang/", {"language": "en", "next": "/audit/"})
    page = auditor.get("/audit/", {"event": "task_assign"}).content.decode()
    assert ">Assign<" in page.replace("<td>Assign</td>", ">Assign<")
    assert "Raw view" in page


def test_verify_now_says_the_file_is_intact_and_records_it(build, login):
    c = build.cast
    task = build.completion_requested()
    ev = task.evidence.get()
    client = login(c.leader)  # anyone who may see the task
    page = client.get(reverse("tasks:detail", args=[task.pk])).content.decode()
    assert ev.sha256 in page and "立即校验" in page
    response = client.post(reverse("tasks:evidence_verify", args=[ev.pk]), follow=True)
    assert response.status_code == 200 and "校验一致" in response.content.decode()
    entry = AuditEntry.objects.filter(event="evidence_verified").latest("seq")
    assert entry.outcome == "success" and entry.actor_id == c.leader.pk and entry.data["ok"] is True


def test_verify_now_finds_a_tampered_file(build, login):
    c = build.cast
    task = build.completion_requested()
    ev = task.evidence.get()
    (build.media_root / ev.storage_name).write_bytes(b"%PDF-1.4 replaced")
    response = login(c.bajiao_liaison).post(reverse("tasks:evidence_verify", args=[ev.pk]), follow=True)
    assert "校验不一致" in response.content.decode()
    entry = AuditEntry.objects.filter(event="evidence_verified").latest("seq")
    assert entry.outcome == "failure" and entry.data["ok"] is False and entry.data["actual"] != ev.sha256
    assert AuditEntry.objects.filter(event="integrity_failure").exists()
    assert Notification.objects.filter(kind=NotificationKind.INTEGRITY_FAILURE).exists()


def test_verify_now_is_a_post_and_scoped(build, login):
    c = build.cast
    task = build.completion_requested()
    ev = task.evidence.get()
    assert login(c.bajiao_liaison).get(reverse("tasks:evidence_verify", args=[ev.pk])).status_code == 405
    assert login(c.baiguo_liaison).post(reverse("tasks:evidence_verify", args=[ev.pk])).status_code == 404
    assert not AuditEntry.objects.filter(event="evidence_verified").exists()


def test_the_timeline_costs_the_same_queries_however_long_it_is(build):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from duban.tasks.timeline import timeline_rows

    c = build.cast
    task = build.in_progress()
    with CaptureQueriesContext(connection) as short:
        rows_short = timeline_rows(task, c.supervisor)
    for i in range(12):
        svc.report_submit(actor=c.bajiao_liaison,
                          task=task, narrative=f"进展{i}", percent=i)
    with CaptureQueriesContext(connection) as long:
        rows_long = timeline_rows(task, c.supervisor)
    assert len(rows_long) == len(rows_short) + 12
    assert len(long) == len(short)

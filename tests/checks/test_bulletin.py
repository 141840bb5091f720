"""The monthly 督查通报: figures from the database, a GB/T 9704 .docx read back with python-docx."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from docx import Document

from duban.checks import selectors, services
from duban.core.models import AuditEntry
from duban.tasks import lights
from duban.tasks import services as task_services
from duban.tasks.models import Task

from .helpers import make_check, pdf_bytes

pytestmark = pytest.mark.django_db


def _assigned(cast, title, unit, days=10):
    today = lights.today()
    task = task_services.task_create(actor=cast.supervisor, title=title, lead_unit=unit, start_date=today,
                                     due_date=today + timedelta(days=days))
    return task_services.task_assign(actor=cast.supervisor, task=task)


def _overdue(cast, title, unit):
    task = _assigned(cast, title, unit)
    # Assigned earlier with a date that has now passed (the services refuse a past date at assignment).
    past = lights.today() - timedelta(days=1)
    Task.objects.filter(pk=task.pk).update(start_date=past - timedelta(days=5), due_date=past)
    return task


def _world(cast, media):
    done = _assigned(cast, "完成集镇污水管网改造", cast.bajiao)
    task_services.task_acknowledge(actor=cast.bajiao_liaison, task=done)
    task_services.task_start(actor=cast.bajiao_liaison, task=done)
    task_services.task_request_completion(actor=cast.bajiao_liaison, task=done, narrative="已完工",
                                          files=[SimpleUploadedFile("验收.pdf", pdf_bytes(), "application/pdf")])
    task_services.task_approve(actor=cast.supervisor, task=done)
    listed = _overdue(cast, "白果乡烟叶收购", cast.baiguo)
    from duban.supervision import services as supervision

    supervision.listing_add(actor=cast.supervisor, task=listed, reason="逾期未完成")
    _overdue(cast, "白果乡道路硬化", cast.baiguo)
    _overdue(cast, "芭蕉乡茶园管护", cast.bajiao)
    check = make_check(cast, title="项目建设专项督查", units=[cast.bajiao])
    finding = services.finding_add(actor=cast.supervisor, check=check, unit=cast.bajiao, description="进度滞后")
    services.finding_make_task(actor=cast.supervisor, finding=finding, due_date=lights.today() + timedelta(days=5))
    make_check(cast, title="未通报的暗访", mode="covert")


def test_the_monthly_bulletin_downloads_as_a_docx_with_the_months_figures(cast, login, media):
    _world(cast, media)
    today = lights.today()
    client = login(cast.supervisor)
    page = client.get("/checks/bulletin/")
    assert page.status_code == 200 and f"{today.year}-{today.month:02d}" in page.content.decode()
    month = f"{today.year}-{today.month:02d}"
    preview = client.get("/checks/bulletin/", {"month": month}).content.decode()
    assert "白果乡" in preview and "项目建设专项督查" in preview and "未通报的暗访" not in preview

    response = client.get("/checks/bulletin/", {"month": month, "download": "1"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    doc = Document(io.BytesIO(response.content))
    texts = [p.text for p in doc.paragraphs]
    body = "\n".join(texts)
    assert texts[0] == "市委督查室文件"  # the root unit's short name + 督查室, the 红头
    assert f"督通〔{today.year}〕{today.month}号" in texts
    assert f"{today.year}年{today.month}月督查通报" in texts
    # 5 assigned this month (4 tasks + 1 rectification), 1 completed, 3 overdue.
    assert "本月新交办任务5项,办结1项(其中超期办结0项),逾期未办结任务3项" in body
    assert "白果乡(2项)、芭蕉侗族乡(1项)" in body
    assert "本月挂牌督办事项1项:白果乡烟叶收购。" in body
    assert "本月开展督查1次(其中暗访0次),发现问题1个,已交办整改1个,已整改完成0个" in body
    assert "项目建设专项督查" in body and "未通报的暗访" not in body
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["序号", "单位", "逾期未办结(项)"]
    assert [c.text for c in table.rows[1].cells] == ["1", "白果乡", "2"]
    # 仿宋 body, 小标宋 title, set as East-Asian fonts.
    title = next(p for p in doc.paragraphs if p.text.endswith("督查通报"))
    rfonts = title.runs[0]._element.rPr.rFonts
    assert rfonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "方正小标宋简体"
    assert AuditEntry.objects.filter(event="bulletin_export", object_id=month).count() == 1


def test_a_month_that_is_not_a_month_is_refused_with_a_message(cast, login):
    client = login(cast.supervisor)
    response = client.get("/checks/bulletin/", {"month": "2026-13", "download": "1"})
    assert response.status_code == 400 and "请按“年-月”选择月份" in response.content.decode()
    assert not AuditEntry.objects.filter(event="bulletin_export").exists()
    assert login(cast.bajiao_liaison).get("/checks/bulletin/").status_code == 403


def test_the_bulletin_figures_cost_the_same_queries_for_two_or_twenty_tasks(cast, media):
    today = lights.today()
    _assigned(cast, "一", cast.bajiao)
    _overdue(cast, "二", cast.baiguo)
    with CaptureQueriesContext(connection) as small:
        selectors.bulletin_data(today.year, today.month)
    for i in range(18):
        (_overdue if i % 2 else _assigned)(cast, f"任务{i}", cast.bajiao if i % 3 else cast.baiguo)
    with CaptureQueriesContext(connection) as large:
        data = selectors.bulletin_data(today.year, today.month)
    assert len(large.captured_queries) == len(small.captured_queries)
    assert data.assigned == 20 and data.overdue == 10
    assert sum(u.overdue for u in data.named) == 10


def test_a_past_month_counts_what_was_overdue_at_its_end(cast, media):
    today = lights.today()
    _overdue(cast, "上月逾期", cast.baiguo)
    first = today.replace(day=1)
    last_month = first - timedelta(days=1)
    Task.objects.filter(title="上月逾期").update(start_date=last_month - timedelta(days=10),
                                             due_date=last_month - timedelta(days=3))
    data = selectors.bulletin_data(last_month.year, last_month.month)
    assert data.as_of == last_month and data.overdue == 1 and data.named[0].name == "白果乡"

"""Findings (confidential until 反馈), rectification through the task lifecycle, 销号 and 回头看."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from duban.core.models import AuditEntry
from duban.inspections import selectors, services
from duban.inspections.models import FollowUp, Rectification
from duban.notices.models import Notice
from duban.tasks import lights
from duban.tasks.models import TaskStatus

from .helpers import make_round, pdf

pytestmark = pytest.mark.django_db


def _finding(w, round_, unit=None, **kw):
    return services.finding_add(actor=w.supervisor, round_=round_, unit=unit or w.bajiao, category="personnel",
                                description=kw.pop("description", "干部选拔任用程序不规范"), evidence="抽查档案 12 份",
                                severity="serious", responsible_person="张三", **kw)


def test_the_unit_gets_404_for_its_findings_before_the_feedback_and_sees_them_after(world, login):
    round_ = make_round(world)
    finding = _finding(world, round_)
    _finding(world, round_, unit=world.baiguo, description="白果的问题")
    client = login(world.bajiao_liaison)
    assert client.get(f"/inspections/{round_.pk}/").status_code == 404
    assert "干部选拔任用程序不规范" not in client.get("/inspections/mine/").content.decode()
    discipline = login(world.discipline)
    assert "干部选拔任用程序不规范" in discipline.get(f"/inspections/{round_.pk}/").content.decode()

    services.round_feedback(actor=world.supervisor, round_=round_)
    client = login(world.bajiao_liaison)
    page = client.get(f"/inspections/{round_.pk}/").content.decode()
    assert "干部选拔任用程序不规范" in page and "白果的问题" not in page
    assert "干部选拔任用程序不规范" in client.get("/inspections/mine/").content.decode()
    viewed = AuditEntry.objects.filter(event="inspection_finding_view", actor=world.bajiao_liaison)
    assert viewed.count() == 2 and all(e.data["findings"] == [finding.pk] for e in viewed)
    assert Notice.objects.filter(title__contains="巡察反馈").exists()


def test_a_leader_sees_a_round_only_after_its_feedback(world, login):
    round_ = make_round(world)
    _finding(world, round_)
    client = login(world.leader)
    assert client.get(f"/inspections/{round_.pk}/").status_code == 404
    services.round_feedback(actor=world.supervisor, round_=round_)
    assert client.get(f"/inspections/{round_.pk}/").status_code == 200


def test_a_finding_handed_to_the_discipline_office_notifies_it(world):
    round_ = make_round(world)
    _finding(world, round_, transferred=True)
    notice = Notice.objects.get(user=world.discipline)
    assert "巡察移交问题线索:芭蕉侗族乡" in notice.title


def test_no_rectification_task_before_the_feedback(world):
    round_ = make_round(world)
    finding = _finding(world, round_)
    with pytest.raises(ValidationError, match="反馈后才能交办"):
        services.rectification_create(actor=world.supervisor, finding=finding,
                                      due_date=lights.today() + timedelta(days=30))
    assert not Rectification.objects.exists()


def _rectified(w, login, media):
    round_ = make_round(w)
    finding = _finding(w, round_)
    services.round_feedback(actor=w.supervisor, round_=round_)
    office = login(w.supervisor)
    due = (lights.today() + timedelta(days=30)).isoformat()
    response = office.post(f"/inspections/findings/{finding.pk}/rectify/", {
        f"r{finding.pk}-due_date": due, f"r{finding.pk}-requirement": "规范干部档案管理"})
    assert response.status_code == 302
    rect = Rectification.objects.get()
    unit = login(w.bajiao_liaison)
    assert unit.post(f"/inspections/rectifications/{rect.pk}/plan/", {"measures": "1. 全面清查档案;2. 建立审核制度"}).status_code == 302
    response = unit.post(f"/inspections/rectifications/{rect.pk}/evidence/", {"narrative": "已完成清查", "files": [pdf()]})
    assert response.status_code == 302, response.content.decode()[:2000]
    rect.refresh_from_db()
    return rect


def test_a_rectification_task_lives_the_lifecycle_and_is_closed_by_the_office(world, login, media):
    rect = _rectified(world, login, media)
    assert rect.task.status == TaskStatus.COMPLETION_REQUESTED
    assert rect.task.category.name == "巡察整改" and rect.task.source.kind == "inspection"
    assert rect.task.lead_unit == world.bajiao
    office = login(world.supervisor)
    assert office.post(f"/inspections/rectifications/{rect.pk}/close/").status_code == 302
    rect.refresh_from_db()
    assert rect.closed_on == lights.today()
    assert rect.task.status == TaskStatus.COMPLETED
    assert rect.followup_due == lights.today() + __import__("dateutil.relativedelta").relativedelta.relativedelta(months=6)
    rates = selectors.unit_rectification_rates(world.term)
    assert rates == [{"unit_id": world.bajiao.pk, "unit": "芭蕉侗族乡", "total": 1, "closed": 1, "percent": 100.0}]


def test_closing_without_evidence_is_refused_and_nothing_changes(world, login):
    round_ = make_round(world)
    finding = _finding(world, round_)
    services.round_feedback(actor=world.supervisor, round_=round_)
    rect = services.rectification_create(actor=world.supervisor, finding=finding,
                                         due_date=lights.today() + timedelta(days=30))
    office = login(world.supervisor)
    response = office.post(f"/inspections/rectifications/{rect.pk}/close/", follow=True)
    assert "尚未提交整改佐证材料,不能销号" in response.content.decode()
    rect.refresh_from_db()
    assert rect.closed_on is None and rect.task.status == TaskStatus.ASSIGNED


def test_evidence_without_files_is_refused(world, login):
    round_ = make_round(world)
    finding = _finding(world, round_)
    services.round_feedback(actor=world.supervisor, round_=round_)
    rect = services.rectification_create(actor=world.supervisor, finding=finding,
                                         due_date=lights.today() + timedelta(days=30))
    services.rectification_plan_submit(actor=world.bajiao_liaison, rectification=rect, measures="措施")
    with pytest.raises(ValidationError):
        services.rectification_evidence_submit(actor=world.bajiao_liaison, rectification=rect, narrative="完成",
                                               files=[])


def test_another_township_cannot_submit_the_plan(world):
    round_ = make_round(world)
    finding = _finding(world, round_)
    services.round_feedback(actor=world.supervisor, round_=round_)
    rect = services.rectification_create(actor=world.supervisor, finding=finding,
                                         due_date=lights.today() + timedelta(days=30))
    with pytest.raises(PermissionDenied):
        services.rectification_plan_submit(actor=world.baiguo_liaison, rectification=rect, measures="越权")


def test_a_followup_before_closing_is_refused(world, login):
    round_ = make_round(world)
    finding = _finding(world, round_)
    services.round_feedback(actor=world.supervisor, round_=round_)
    rect = services.rectification_create(actor=world.supervisor, finding=finding,
                                         due_date=lights.today() + timedelta(days=30))
    with pytest.raises(ValidationError, match="尚未销号"):
        services.followup_record(actor=world.supervisor, rectification=rect, result="held")
    assert not FollowUp.objects.exists()


def test_the_followup_is_scheduled_six_months_after_closing_and_a_regression_reopens_the_finding(world, login, media):
    rect = _rectified(world, login, media)
    services.rectification_close(actor=world.supervisor, rectification=rect)
    assert services.followups_schedule(today=lights.today()) == 0
    with time_machine.travel(rect.followup_due + timedelta(days=1), tick=False):
        from duban.core import jobs

        jobs.autodiscover()
        assert "inspections.followups" in jobs.run_due()
        followup = FollowUp.objects.get()
        assert followup.due_on == rect.followup_due and followup.result == "pending"
        assert Notice.objects.filter(title__contains="回头看").exists()
        assert services.followups_schedule() == 0  # idempotent
        services.followup_record(actor=world.supervisor, rectification=rect, result="regressed",
                                 note="档案问题再次出现")
        rect.refresh_from_db()
        assert rect.closed_on is None and rect.task.status == TaskStatus.IN_PROGRESS
        assert selectors.reopenings_by_unit(lights.today().year) == {world.bajiao.pk: 1}


def test_the_office_records_a_followup_that_held_on_the_page(world, login, media):
    rect = _rectified(world, login, media)
    services.rectification_close(actor=world.supervisor, rectification=rect)
    office = login(world.supervisor)
    response = office.post(f"/inspections/rectifications/{rect.pk}/followup/", {"result": "held", "note": ""})
    assert response.status_code == 302
    assert FollowUp.objects.get().result == "held"
    rect.refresh_from_db()
    assert rect.closed_on is not None
    assert selectors.reopenings_by_unit(lights.today().year) == {}


def test_a_regression_needs_a_note(world, login, media):
    rect = _rectified(world, login, media)
    services.rectification_close(actor=world.supervisor, rectification=rect)
    with pytest.raises(ValidationError):
        services.followup_record(actor=world.supervisor, rectification=rect, result="regressed", note="")
    rect.refresh_from_db()
    assert rect.closed_on is not None


def test_the_feedback_document_and_the_ledger_download(world, login, media):
    import io

    from docx import Document
    from openpyxl import load_workbook

    rect = _rectified(world, login, media)
    office = login(world.supervisor)
    round_ = rect.finding.round
    doc = office.get(f"/inspections/{round_.pk}/feedback/{world.bajiao.pk}.docx")
    assert doc.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(doc.content)).paragraphs)
    assert "关于芭蕉侗族乡的巡察反馈意见" in text and "干部选拔任用程序不规范" in text
    sheet = office.get(f"/inspections/{round_.pk}/ledger.xlsx")
    book = load_workbook(io.BytesIO(sheet.content))
    rows = list(book["整改台账"].values)
    assert rows[0] == ("问题", "整改措施", "责任单位", "责任人", "时限", "进展", "销号情况")
    assert rows[1][0] == "干部选拔任用程序不规范" and rows[1][2] == "芭蕉侗族乡" and rows[1][6] == "未销号"
    stats = dict(list(book["统计"].values)[1:])
    assert stats["发现问题"] == 1 and stats["整改任务"] == 1
    assert office.get(f"/inspections/{round_.pk}/feedback/{world.office.pk}.docx").status_code == 404

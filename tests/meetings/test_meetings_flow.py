"""Leading-group meetings driven like a person: record, decide, turn decisions into tasks, minutes."""

import io
from datetime import timedelta

import pytest
from docx import Document

from duban.core.models import AuditEntry
from duban.meetings import services
from duban.meetings.models import Attendance, Decision, Meeting
from duban.orgs.models import LeadingGroup, LeadingGroupMember
from duban.tasks import lights
from duban.tasks.models import SourceKind, Task, TaskStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(cast):
    g = LeadingGroup.objects.create(name="乡村振兴领导小组", leader=cast.p_bajiao_a, office_unit=cast.office)
    g.deputies.add(cast.p_baiguo)
    LeadingGroupMember.objects.create(group=g, person=cast.p_bajiao_b)
    LeadingGroupMember.objects.create(group=g, unit=cast.bajiao)
    return g


@pytest.fixture
def township_group(cast):
    """A group whose office is in 芭蕉: its unit admin records its meetings; 白果 does not see it."""
    g = LeadingGroup.objects.create(name="芭蕉乡安全生产领导小组", leader=cast.p_bajiao_b, office_unit=cast.bajiao)
    LeadingGroupMember.objects.create(group=g, person=cast.p_bajiao_c)
    return g


def _meeting_form(cast, **overrides):
    data = {"title": "乡村振兴领导小组第一次全体会议", "date": lights.today().isoformat(), "place": "市委三楼会议室",
            "chair": cast.p_bajiao_a.pk, "agenda": "听取产业发展汇报\n研究人居环境整治方案",
            "minutes": "会议听取了各成员单位的工作汇报。",
            f"present_{cast.p_bajiao_a.pk}": "1", f"reason_{cast.p_bajiao_a.pk}": "",
            f"present_{cast.p_baiguo.pk}": "0", f"reason_{cast.p_baiguo.pk}": "外出培训",
            f"present_{cast.p_bajiao_b.pk}": "1", f"reason_{cast.p_bajiao_b.pk}": ""}
    data.update(overrides)
    return data


def test_a_meeting_decision_becomes_an_assigned_task_and_the_group_page_shows_its_light(cast, login, group):
    client = login(cast.supervisor)
    page = client.get(f"/meetings/groups/{group.pk}/new/")
    assert page.status_code == 200 and "赵六(副组长)" in page.content.decode()
    response = client.post(f"/meetings/groups/{group.pk}/new/", _meeting_form(cast))
    assert response.status_code == 302, response.content.decode()[:3000]
    meeting = Meeting.objects.get(group=group)
    assert meeting.number == 1 and [a.title for a in meeting.agenda.all()] == ["听取产业发展汇报", "研究人居环境整治方案"]
    absent = Attendance.objects.get(meeting=meeting, present=False)
    assert absent.person == cast.p_baiguo and absent.reason == "外出培训" and absent.role == "副组长"

    due = lights.today() + timedelta(days=30)
    response = client.post(f"/meetings/{meeting.pk}/decisions/", {
        "text": "芭蕉侗族乡牵头完成茶叶产业园规划。", "lead_unit": cast.bajiao.pk, "due_date": due.isoformat()})
    assert response.status_code == 302
    decision = Decision.objects.get(meeting=meeting)
    assert "生成任务并交办" in client.get(f"/meetings/{meeting.pk}/").content.decode()
    response = client.post(f"/meetings/decisions/{decision.pk}/task/")
    assert response.status_code == 302
    decision.refresh_from_db()
    task = decision.task
    assert task.lead_unit == cast.bajiao and task.due_date == due and task.status == TaskStatus.ASSIGNED
    assert task.source.kind == SourceKind.MEETING and task.responsible_leader == cast.p_bajiao_a
    assert AuditEntry.objects.filter(event="decision_make_task", object_id=str(decision.pk)).count() == 1
    from duban.notices.models import Notice

    assert Notice.objects.filter(kind="meeting_decision", url=f"/tasks/{task.pk}/").exists()

    again = client.post(f"/meetings/decisions/{decision.pk}/task/")
    assert again.status_code == 400 and "已生成任务" in again.content.decode()
    assert Task.objects.filter(source=task.source).count() == 1

    group_page = client.get(f"/meetings/groups/{group.pk}/").content.decode()
    assert "芭蕉侗族乡牵头完成茶叶产业园规划" in group_page and "light-green" in group_page
    assert f"/tasks/{task.pk}/" in group_page
    # The township's liaison works on the task; a leader reads the group's page.
    assert login(cast.bajiao_liaison).get(f"/tasks/{task.pk}/").status_code == 200
    assert login(cast.leader).get(f"/meetings/groups/{group.pk}/").status_code == 200


def test_the_minutes_are_a_docx_with_the_attendance_agenda_and_decisions(cast, login, group):
    meeting = services.meeting_create(
        actor=cast.supervisor, group=group, title="乡村振兴领导小组第一次全体会议", date=lights.today(),
        place="市委三楼会议室", chair=cast.p_bajiao_a, agenda=["听取产业发展汇报"],
        attendance=[{"person": cast.p_bajiao_a, "present": True}, {"person": cast.p_baiguo, "present": False,
                                                                    "reason": "外出培训"}],
        minutes="会议听取了各成员单位的工作汇报。")
    services.decision_add(actor=cast.supervisor, meeting=meeting, text="完成茶叶产业园规划", lead_unit=cast.bajiao,
                          due_date=lights.today() + timedelta(days=30))
    response = login(cast.leader).get(f"/meetings/{meeting.pk}/minutes.docx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument")
    doc = Document(io.BytesIO(response.content))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "乡村振兴领导小组办公室会议纪要"
    assert "第1期" in texts
    year = lights.today().year
    assert f"乡村振兴领导小组{year}年第1次会议纪要" in texts
    body = "\n".join(texts)
    assert "张三在市委三楼会议室主持召开乡村振兴领导小组会议" in body
    assert "会议议题:1. 听取产业发展汇报。" in body
    assert "一、完成茶叶产业园规划(牵头单位:芭蕉侗族乡" in body
    assert "出席:张三。" in body and "请假:赵六(外出培训)。" in body
    assert AuditEntry.objects.filter(event="minutes_export", object_id=str(meeting.pk)).exists()


def test_an_absent_member_without_a_reason_is_refused_on_that_member_and_nothing_is_saved(cast, login, group):
    client = login(cast.supervisor)
    response = client.post(f"/meetings/groups/{group.pk}/new/",
                           _meeting_form(cast, **{f"reason_{cast.p_baiguo.pk}": ""}))
    assert response.status_code == 400 and "请填写缺席原因" in response.content.decode()
    response = client.post(f"/meetings/groups/{group.pk}/new/", _meeting_form(cast, agenda="  "))
    assert response.status_code == 400
    response = client.post(f"/meetings/groups/{group.pk}/new/", _meeting_form(cast, chair=cast.p_village.pk))
    assert response.status_code == 400
    assert not Meeting.objects.exists()


def test_a_decision_without_a_lead_unit_cannot_become_a_task(cast, login, group):
    meeting = services.meeting_create(actor=cast.supervisor, group=group, title="专题会", date=lights.today(),
                                      agenda=["议题"])
    client = login(cast.supervisor)
    response = client.post(f"/meetings/{meeting.pk}/decisions/", {"text": "研究制定考核办法", "lead_unit": "",
                                                                   "due_date": ""})
    assert response.status_code == 302
    decision = Decision.objects.get(meeting=meeting)
    response = client.post(f"/meetings/decisions/{decision.pk}/task/")
    assert response.status_code == 400 and "未指定牵头单位,不能生成任务" in response.content.decode()
    decision.refresh_from_db()
    assert decision.task is None and not Task.objects.exists()
    # A due date before the meeting is refused on the field.
    response = client.post(f"/meetings/{meeting.pk}/decisions/", {
        "text": "另一事项", "lead_unit": cast.bajiao.pk, "due_date": (lights.today() - timedelta(days=1)).isoformat()})
    assert response.status_code == 400 and "完成时限不能早于会议日期" in response.content.decode()
    assert Decision.objects.filter(meeting=meeting).count() == 1


def test_a_group_office_in_a_township_records_meetings_but_another_township_sees_nothing(
        cast, login, township_group):
    admin = login(cast.bajiao_admin)
    response = admin.post(f"/meetings/groups/{township_group.pk}/new/", {
        "title": "安全生产专题会", "date": lights.today().isoformat(), "place": "", "chair": "", "agenda": "汛期安全",
        "minutes": "", f"present_{cast.p_bajiao_b.pk}": "1", f"present_{cast.p_bajiao_c.pk}": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    meeting = Meeting.objects.get(group=township_group)
    response = admin.post(f"/meetings/{meeting.pk}/decisions/", {"text": "排查地灾隐患点", "lead_unit": cast.xiaojiaping.pk,
                                                                 "due_date": ""})
    assert response.status_code == 302
    # Outside the admin's subtree a lead unit is not even offered.
    response = admin.post(f"/meetings/{meeting.pk}/decisions/", {"text": "另一事项", "lead_unit": cast.baiguo.pk})
    assert response.status_code == 400
    decision = Decision.objects.get(meeting=meeting)
    # Tasks are the 督查室's to create: no button for the office, and the POST is refused.
    assert "生成任务并交办" not in admin.get(f"/meetings/{meeting.pk}/").content.decode()
    assert admin.post(f"/meetings/decisions/{decision.pk}/task/").status_code == 403

    other = login(cast.baiguo_liaison)
    assert other.get(f"/meetings/{meeting.pk}/").status_code == 404
    assert other.get(f"/meetings/groups/{township_group.pk}/").status_code == 404
    assert other.get(f"/meetings/{meeting.pk}/minutes.docx").status_code == 404
    assert "芭蕉乡安全生产领导小组" not in other.get("/meetings/").content.decode()
    assert login(cast.bajiao_liaison).get(f"/meetings/{meeting.pk}/").status_code == 200
    assert login(cast.bajiao_liaison).post(f"/meetings/{meeting.pk}/decisions/", {"text": "x"}).status_code == 403


def test_the_minutes_are_written_after_the_meeting_and_a_stale_edit_is_refused(cast, login, group):
    meeting = services.meeting_create(actor=cast.supervisor, group=group, title="专题会", date=lights.today(),
                                      agenda=["议题"])
    client = login(cast.supervisor)
    response = client.post(f"/meetings/{meeting.pk}/minutes/", {"version": meeting.version,
                                                                 "minutes": "会议强调要压实责任。"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.minutes == "会议强调要压实责任。" and meeting.version == 2
    entry = AuditEntry.objects.filter(event="meeting_update", object_id=str(meeting.pk)).get()
    assert entry.data["changes"]["minutes"] == ["", "会议强调要压实责任。"]
    stale = client.post(f"/meetings/{meeting.pk}/minutes/", {"version": 1, "minutes": "旧页面的内容"})
    assert stale.status_code == 409 and "该记录已被他人修改" in stale.content.decode()
    meeting.refresh_from_db()
    assert meeting.minutes == "会议强调要压实责任。"
    assert login(cast.leader).post(f"/meetings/{meeting.pk}/minutes/", {"version": 2, "minutes": "x"}).status_code == 403


def test_a_township_office_cannot_give_a_decision_to_a_unit_outside_its_township(cast, township_group):
    from django.core.exceptions import PermissionDenied, ValidationError

    meeting = services.meeting_create(actor=cast.bajiao_admin, group=township_group, title="安全会",
                                      date=lights.today(), agenda=["议题"])
    with pytest.raises(ValidationError) as exc:
        services.decision_add(actor=cast.bajiao_admin, meeting=meeting, text="事项", lead_unit=cast.baiguo)
    assert "不在您的管理范围内" in str(exc.value)
    assert not Decision.objects.exists()
    with pytest.raises(PermissionDenied):
        services.meeting_create(actor=cast.bajiao_admin, group=LeadingGroup.objects.create(
            name="市级小组", office_unit=cast.office), title="会", date=lights.today(), agenda=["议题"])

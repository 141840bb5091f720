"""Issue 8 wired into the task lifecycle: every event that needs someone's action sends a notice
to the acting holder of the task's responsible post (A, or B/C with the substitution note), the
退回待办 and 待回复批示 tabs with their counts, and 批示 replies with a working-day deadline.
Driven through the pages like a person."""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from duban.core import workdays
from duban.core.models import AuditEntry
from duban.notices.models import Notice, NoticeKind
from duban.orgs import services as org
from duban.orgs.models import AbsenceKind
from duban.tasks import jobs, lights, selectors
from duban.tasks import services as svc
from duban.tasks.models import Instruction, Notification, Task, TaskStatus

from .helpers import a_pdf, state

S = TaskStatus


def html(response) -> str:
    return response.content.decode()


def do(client, task, name, data=None, files=None):
    task.refresh_from_db()
    payload = {f"{name}-version": task.version}
    payload.update({f"{name}-{k}": v for k, v in (data or {}).items()})
    if files is not None:
        payload[f"{name}-files"] = files
    return client.post(reverse("tasks:transition", args=[task.pk, name]), payload)


def notices(kind, task):
    return list(Notice.objects.filter(kind=kind, subject_id=str(task.pk)).order_by("id"))


def to_post(kind, task):
    rows = [n for n in notices(kind, task) if n.post_id is not None]
    assert len(rows) == 1, rows
    return rows[0]


def away(cast, person, days=3):
    today = lights.today()
    return org.absence_create(person=person, kind=AbsenceKind.LEAVE, start=today, end=today + timedelta(days=days))


@pytest.fixture
def posted(build):
    """Tasks of 芭蕉乡 whose responsible post is the 督办联络员 post (A 张三, B 李四, C 王五)."""
    return lambda make="task", **kw: getattr(build, make)(post=build.cast.post_bajiao, **kw)


# --- one notice per event, to the acting holder ---------------------------------------------------
def test_assigning_a_task_tells_the_acting_holder_and_copies_the_responsible_leader(build, login, posted):
    c = build.cast
    task = posted(responsible_leader=c.p_baiguo)
    assert do(login(c.supervisor), task, "assign").status_code == 302
    notice = to_post(NoticeKind.ASSIGNED, task)
    assert notice.reached == c.p_bajiao_a and notice.note == ""
    assert task.title in notice.title and notice.url == reverse("tasks:detail", args=[task.pk])
    assert "完成时限" in notice.body
    copies = [n for n in notices(NoticeKind.ASSIGNED, task) if n.is_copy]
    assert [n.person for n in copies] == [c.p_baiguo]
    # The unit feed still gets its row (read state per user, /api/tasks/notifications).
    assert Notification.objects.filter(task=task, unit=c.bajiao, kind="assigned").count() == 1
    inbox = html(login(c.bajiao_liaison).get(reverse("notices:inbox")))
    assert task.title in inbox


def test_when_a_is_away_the_notice_reaches_b_and_says_why(build, login, posted):
    c = build.cast
    task = posted()
    away(c, c.p_bajiao_a)
    do(login(c.supervisor), task, "assign")
    notice = to_post(NoticeKind.ASSIGNED, task)
    assert notice.reached == c.p_bajiao_b
    assert notice.note == "因A角张三请假,由B角李四代办"
    inbox = html(login(c.bajiao_b).get(reverse("notices:inbox")))
    assert task.title in inbox and "因A角张三请假,由B角李四代办" in inbox


def test_a_returned_completion_request_tells_the_acting_holder_the_reason(build, login, posted):
    c = build.cast
    task = posted("completion_requested")
    response = do(login(c.supervisor), task, "return", {"reason": "佐证材料不完整,请补充现场照片"})
    assert response.status_code == 302
    notice = to_post(NoticeKind.RETURNED, task)
    assert notice.reached == c.p_bajiao_a
    assert "佐证材料不完整,请补充现场照片" in notice.body


def test_an_approval_tells_the_acting_holder(build, login, posted):
    c = build.cast
    task = posted("completion_requested")
    assert do(login(c.supervisor), task, "approve").status_code == 302
    assert to_post(NoticeKind.APPROVED, task).reached == c.p_bajiao_a


@pytest.mark.parametrize("decision", ["approve", "refuse"])
def test_an_extension_decision_tells_the_acting_holder(build, login, posted, decision):
    c = build.cast
    task = posted("in_progress")
    extension = svc.extension_request(actor=c.bajiao_liaison, task=task, requested_due=task.due_date + timedelta(days=9),
                                      reason="征地手续未办完")
    response = login(c.supervisor).post(reverse("tasks:extension_decide", args=[extension.pk]), {
        "decide-version": 1, "decide-decision": decision, "decide-reason": "" if decision == "approve" else "不能再推"})
    assert response.status_code == 302
    rows = notices(NoticeKind.EXTENSION_DECIDED, task)
    # The requester (张三) is the acting holder: one notice, not two.
    assert [(n.post_id, n.reached) for n in rows] == [(c.post_bajiao.pk, c.p_bajiao_a)]
    assert ("延至" if decision == "approve" else "不能再推") in rows[0].body


def test_the_overdue_report_job_tells_the_acting_holder_once(build, posted):
    c = build.cast
    task = posted("in_progress", cycle="weekly")
    missed = lights.today() - timedelta(days=1)
    Task.objects.filter(pk=task.pk).update(next_report_due=missed)
    away(c, c.p_bajiao_a)
    assert jobs.scan_overdue_reports() == 1
    assert jobs.scan_overdue_reports() == 0
    notice = to_post(NoticeKind.REPORT_OVERDUE, task)
    assert notice.reached == c.p_bajiao_b and "张三" in notice.note
    assert missed.isoformat() in notice.body


def test_a_task_without_a_post_tells_the_lead_units_liaison_post(build, login):
    c = build.cast
    task = build.task()  # no responsible post: the unit's 督办联络员 post stands in
    do(login(c.supervisor), task, "assign")
    notice = to_post(NoticeKind.ASSIGNED, task)
    assert notice.post_id == c.post_bajiao.pk and notice.reached == c.p_bajiao_a


def test_a_refused_return_sends_nothing(build, login, posted):
    c = build.cast
    task = posted("completion_requested")
    supervisor = login(c.supervisor)
    before, sent = state(), Notice.objects.count()
    assert do(supervisor, task, "return", {"reason": ""}).status_code == 400
    assert state() == before and Notice.objects.count() == sent


# --- 退回待办 -------------------------------------------------------------------------------------
def test_a_returned_task_has_its_own_todo_tab_and_home_count_until_it_is_requested_again(build, login, posted):
    c = build.cast
    task = posted("completion_requested")
    do(login(c.supervisor), task, "return", {"reason": "数据口径不一致"})
    liaison = login(c.bajiao_liaison)
    page = html(liaison.get(reverse("tasks:todo") + "?tab=returned"))
    assert task.title in page and "数据口径不一致" in page
    assert 'id="home-returned"' in (home := html(liaison.get(reverse("core:home"))))
    assert selectors.todo_for_user(c.bajiao_liaison).returned.count() == 1
    assert "数据口径不一致" in html(liaison.get(reverse("tasks:detail", args=[task.pk])))
    # Requested again: out of the tab.
    assert do(liaison, task, "request_completion", {"narrative": "已补充", "percent": 100},
              files=[a_pdf()]).status_code == 302
    assert selectors.todo_for_user(c.bajiao_liaison).returned.count() == 0
    assert home.count("退回待办") >= 1


def test_the_returned_tab_and_its_notice_follow_the_acting_holder_while_a_is_away_and_go_back(build, login, posted):
    c = build.cast
    task = posted("completion_requested")
    do(login(c.supervisor), task, "return", {"reason": "请补充验收报告"})
    notice = to_post(NoticeKind.RETURNED, task)
    today = lights.today()
    absence = org.absence_create(person=c.p_bajiao_a, kind=AbsenceKind.TRAINING, start=today + timedelta(days=1),
                                 end=today + timedelta(days=3))
    assert absence.pk
    a_todo = lambda: selectors.todo_for_user(c.bajiao_liaison).returned.count()
    b_todo = lambda: selectors.todo_for_user(c.bajiao_b).returned.count()
    assert (a_todo(), b_todo()) == (1, 0)
    with time_machine.travel(f"{today + timedelta(days=2)} 12:00 +0800", tick=False):
        assert (a_todo(), b_todo()) == (0, 1)
        b_inbox = html(login(c.bajiao_b).get(reverse("notices:inbox")))
        assert "请补充验收报告" in b_inbox or task.title in b_inbox
        a_inbox = html(login(c.bajiao_liaison).get(reverse("notices:inbox")))
        assert f"/notices/{notice.pk}/" not in a_inbox and task.title not in a_inbox
        assert task.title in html(login(c.bajiao_b).get(reverse("tasks:todo") + "?tab=returned"))
    with time_machine.travel(f"{today + timedelta(days=4)} 12:00 +0800", tick=False):
        assert (a_todo(), b_todo()) == (1, 0)
        assert task.title in html(login(c.bajiao_liaison).get(reverse("notices:inbox")))
        assert task.title not in html(login(c.bajiao_b).get(reverse("notices:inbox")))


# --- 批示 with replies --------------------------------------------------------------------------
def test_an_instruction_demands_a_reply_in_working_days_and_tells_the_acting_holder(build, login, posted):
    c = build.cast
    task = posted("in_progress")
    response = login(c.leader).post(reverse("tasks:instruct", args=[task.pk]),
                                    {"instruct-text": "务必按期完成", "instruct-reply_days": 2})
    assert response.status_code == 302
    instruction = Instruction.objects.get(task=task)
    assert instruction.reply_due == workdays.add_workdays(lights.today(), 2)
    notice = to_post(NoticeKind.INSTRUCTION, task)
    assert notice.reached == c.p_bajiao_a
    assert "务必按期完成" in notice.body and instruction.reply_due.isoformat() in notice.body
    entry = AuditEntry.objects.filter(event="task_instruct", object_id=str(task.pk)).get()
    assert entry.data["reply_due"] == instruction.reply_due.isoformat()
    page = html(login(c.bajiao_liaison).get(reverse("tasks:todo") + "?tab=reply"))
    assert task.title in page


def test_the_reply_deadline_skips_the_national_day_holiday():
    # 2026-09-30 (Wednesday) + 3 working days: 10-01..10-07 are 国庆 holidays, so 10-09 or later.
    due = workdays.add_workdays(date(2026, 9, 30), 3)
    assert due > date(2026, 10, 8)
    assert all(workdays.is_workday(d) is False for d in (date(2026, 10, 1), date(2026, 10, 5)))


def test_the_unit_replies_with_a_file_and_the_leader_is_told(build, login, posted, media):
    c = build.cast
    task = posted("in_progress")
    instruction = svc.instruction_add(actor=c.leader, task=task, text="请报告进展", reply_days=3)
    liaison = login(c.bajiao_liaison)
    detail = html(liaison.get(reverse("tasks:detail", args=[task.pk])))
    assert reverse("tasks:instruction_reply", args=[task.pk, instruction.pk]) in detail
    response = liaison.post(reverse("tasks:instruction_reply", args=[task.pk, instruction.pk]), {
        f"reply-{instruction.pk}-reply_text": "已完成选址,正在施工", f"reply-{instruction.pk}-files": [a_pdf("施工照片.pdf")]})
    assert response.status_code == 302
    instruction.refresh_from_db()
    assert instruction.replied_at and not instruction.reply_late and instruction.replied_by == c.bajiao_liaison
    assert [f.original_name for f in instruction.reply_files.all()] == ["施工照片.pdf"]
    reply = notices(NoticeKind.INSTRUCTION_REPLY, task)
    assert [n.user for n in reply] == [c.leader]
    entry = AuditEntry.objects.filter(event="task_instruction_reply", object_id=str(task.pk)).get()
    assert entry.data["late"] is False and entry.data["files"][0]["name"] == "施工照片.pdf"
    page = html(login(c.leader).get(reverse("tasks:detail", args=[task.pk])))
    assert "已完成选址,正在施工" in page and "回复批示" in page and "施工照片.pdf" in page
    # A second reply is refused, nothing changes.
    liaison = login(c.bajiao_liaison)
    before = state()
    response = liaison.post(reverse("tasks:instruction_reply", args=[task.pk, instruction.pk]),
                            {f"reply-{instruction.pk}-reply_text": "再报一次"})
    assert response.status_code == 400 and state() == before


def test_a_late_reply_is_accepted_marked_late_and_shown(build, login, posted):
    c = build.cast
    task = posted("in_progress", due_in=90)
    instruction = svc.instruction_add(actor=c.leader, task=task, text="请报告进展", reply_days=1)
    later = instruction.reply_due + timedelta(days=3)
    with time_machine.travel(f"{later} 10:00 +0800", tick=False):
        assert list(selectors.instructions_awaiting_reply()) == [instruction]
        assert "已超过回复时限" in html(login(c.bajiao_liaison).get(reverse("tasks:detail", args=[task.pk])))
        response = login(c.bajiao_liaison).post(reverse("tasks:instruction_reply", args=[task.pk, instruction.pk]),
                                                {f"reply-{instruction.pk}-reply_text": "迟报:已整改"})
        assert response.status_code == 302
        assert list(selectors.instructions_awaiting_reply()) == []
    instruction.refresh_from_db()
    assert instruction.reply_late is True
    assert AuditEntry.objects.get(event="task_instruction_reply", object_id=str(task.pk)).data["late"] is True
    assert "逾期回复" in html(login(c.supervisor).get(reverse("tasks:detail", args=[task.pk])))
    assert "(逾期)" in notices(NoticeKind.INSTRUCTION_REPLY, task)[0].title


def test_another_township_cannot_reply_and_a_leader_cannot_either(build, login, posted):
    c = build.cast
    task = posted("in_progress")
    instruction = svc.instruction_add(actor=c.leader, task=task, text="请报告进展")
    url = reverse("tasks:instruction_reply", args=[task.pk, instruction.pk])
    for user, status in ((c.baiguo_liaison, 404), (c.leader, 403)):
        client = login(user)
        before = state()
        assert client.post(url, {f"reply-{instruction.pk}-reply_text": "x"}).status_code == status
        assert state() == before


def test_a_reply_on_a_closed_task_is_refused(build, login, posted):
    c = build.cast
    task = posted("in_progress")
    instruction = svc.instruction_add(actor=c.leader, task=task, text="请报告进展")
    svc.task_cancel(actor=c.supervisor, task=task, reason="任务调整")
    before = state()
    with pytest.raises(Exception) as exc:
        svc.instruction_reply(actor=c.bajiao_liaison, instruction=instruction, text="已办")
    assert "不再接受回复" in str(exc.value)
    assert state() == before


def test_bad_reply_days_are_refused_with_a_field_error(build, login, posted):
    c = build.cast
    task = posted("in_progress")
    leader = login(c.leader)
    before = state()
    response = leader.post(reverse("tasks:instruct", args=[task.pk]),
                                    {"instruct-text": "抓紧", "instruct-reply_days": 0})
    assert response.status_code == 400 and state() == before


# --- the 督查室's panel on the task page -------------------------------------------------------------
def test_the_supervisor_sees_the_supervision_panel_and_a_liaison_does_not(build, login, posted):
    c = build.cast
    task = posted("in_progress")
    page = html(login(c.supervisor).get(reverse("tasks:detail", args=[task.pk])))
    for name in ("remind", "order_issue", "list_add", "list_remove"):
        assert reverse(f"supervision:{name}", args=[task.pk]) in page
    liaison_page = html(login(c.bajiao_liaison).get(reverse("tasks:detail", args=[task.pk])))
    assert reverse("supervision:remind", args=[task.pk]) not in liaison_page


def test_the_panels_actions_show_in_the_timeline_with_readable_labels(build, login, posted):
    c = build.cast
    task = posted("in_progress")
    supervisor = login(c.supervisor)
    assert supervisor.post(reverse("supervision:remind", args=[task.pk]), {"message": "请本周内报送"}).status_code == 302
    assert supervisor.post(reverse("supervision:order_issue", args=[task.pk]),
                           {"matter": "", "requirements": ""}).status_code == 302
    assert supervisor.post(reverse("supervision:list_add", args=[task.pk]), {"reason": "群众反映强烈"}).status_code == 302
    assert supervisor.post(reverse("supervision:list_remove", args=[task.pk]),
                           {"unlist_reason": "已整改到位"}).status_code == 302
    page = html(supervisor.get(reverse("tasks:detail", args=[task.pk])))
    for label, text in (("催办", "请本周内报送"), ("下发督办单", "督〔"), ("挂牌督办", "群众反映强烈"), ("摘牌", "已整改到位")):
        assert f'<td class="text-nowrap">{label}</td>' in page, label
        assert text in page
    assert "supervision_remind" not in page and "supervision_order_issue" not in page
    # The reminder reached the acting holder too.
    assert to_post(NoticeKind.REMINDER, task).reached == c.p_bajiao_a

"""The lifecycle through the services: every transition, by every role, and every refusal
leaves the database exactly as it was."""

from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError

from duban.core.models import AuditEntry
from duban.core.services import ConcurrentEditError
from duban.tasks import selectors, statemachine
from duban.tasks import services as svc
from duban.tasks.models import Notification, NotificationKind, ProgressReport, ReportKind, Task, TaskStatus

from .helpers import a_pdf, state, upload

S = TaskStatus


def refused(exc_type, fn, *args, match=None, **kwargs):
    """Call fn expecting exc_type, and check that nothing at all was written."""
    before = state()
    with pytest.raises(exc_type) as info:
        fn(*args, **kwargs)
    assert state() == before
    if match:
        assert match in " ".join(getattr(info.value, "messages", [str(info.value)]))
    return info.value


def test_a_task_goes_from_draft_to_completed_with_one_ledger_entry_per_step(build):
    c = build.cast
    task = build.completion_requested()
    svc.task_approve(actor=c.supervisor, task=task)
    task.refresh_from_db()
    assert task.status == S.COMPLETED and task.completed_at is not None and task.next_report_due is None
    entries = list(selectors.task_timeline(task))
    assert [e.event for e in entries] == ["task_create", "task_assign", "task_acknowledge", "task_start",
                                          "task_request_completion", "task_approve"]
    assert entries[-1].data["from"] == S.COMPLETION_REQUESTED and entries[-1].data["to"] == S.COMPLETED
    assert all(e.object_type == "tasks.task" and e.object_id == str(task.pk) for e in entries)
    assert task.version == 6  # every state change bumped the version


def test_assigning_notifies_the_lead_and_co_units(build):
    c = build.cast
    task = build.assigned(co_units=[c.baiguo])
    notices = Notification.objects.filter(task=task, kind=NotificationKind.ASSIGNED)
    assert {n.unit_id for n in notices} == {c.bajiao.pk, c.baiguo.pk}
    assert selectors.notifications_for_user(c.baiguo_liaison).filter(task=task).exists()
    assert not selectors.notifications_for_user(c.village_liaison).filter(task=task).exists()


@pytest.mark.parametrize("who", ["bajiao_liaison", "leader", "discipline", "bajiao_admin"])
def test_only_the_supervision_office_assigns(build, who):
    task = build.task()
    refused(PermissionDenied, svc.task_assign, actor=getattr(build.cast, who), task=task)


def test_a_task_without_lead_unit_or_due_date_cannot_be_assigned(build):
    c = build.cast
    no_due = svc.task_create(actor=c.supervisor, title="无时限", lead_unit=c.bajiao)
    refused(ValidationError, svc.task_assign, actor=c.supervisor, task=no_due, match="完成时限")
    no_lead = svc.task_create(actor=c.supervisor, title="无单位", due_date=build.today + timedelta(days=5))
    refused(ValidationError, svc.task_assign, actor=c.supervisor, task=no_lead, match="牵头单位")


def test_a_task_already_past_due_cannot_be_assigned(build):
    c = build.cast
    task = svc.task_create(actor=c.supervisor, title="过期", lead_unit=c.bajiao,
                           start_date=build.today - timedelta(days=9), due_date=build.today - timedelta(days=1))
    refused(ValidationError, svc.task_assign, actor=c.supervisor, task=task, match="完成时限已过")


@pytest.mark.parametrize("who", ["bajiao_liaison", "bajiao_b", "bajiao_admin"])
def test_the_lead_units_people_acknowledge(build, who):
    task = build.acknowledged(by=getattr(build.cast, who))
    assert task.status == S.ACKNOWLEDGED and task.acknowledged_at is not None
    assert task.next_report_due == build.today + relativedelta(months=1)


@pytest.mark.parametrize("who", ["baiguo_liaison", "supervisor", "leader", "village_liaison"])
def test_nobody_outside_the_lead_unit_acknowledges(build, who):
    task = build.assigned()
    refused(PermissionDenied, svc.task_acknowledge, actor=getattr(build.cast, who), task=task)


def test_a_co_unit_may_report_but_not_acknowledge_or_request_completion(build):
    c = build.cast
    task = build.assigned(co_units=[c.baiguo])
    refused(PermissionDenied, svc.task_acknowledge, actor=c.baiguo_liaison, task=task)
    task = svc.task_acknowledge(actor=c.bajiao_liaison, task=task)
    report = svc.report_submit(actor=c.baiguo_liaison, task=task, narrative="配合完成摸底", percent=10)
    assert report.unit == c.baiguo
    task.refresh_from_db()
    refused(PermissionDenied, svc.task_request_completion, actor=c.baiguo_liaison, task=task, narrative="完成",
            files=[a_pdf()])


def test_a_township_acts_on_its_villages_tasks_but_not_the_reverse(build):
    c = build.cast
    village_task = build.assigned(lead=c.xiaojiaping)
    assert svc.task_acknowledge(actor=c.bajiao_liaison, task=village_task).status == S.ACKNOWLEDGED
    township_task = build.assigned()
    refused(PermissionDenied, svc.task_acknowledge, actor=c.village_liaison, task=township_task)


def test_the_acting_holder_of_the_post_may_act_from_another_unit(build):
    from duban.orgs import services as org
    from duban.orgs.models import AbsenceKind

    c = build.cast
    # The village secretary is the A holder of a township post: he acts for the township's task
    # although his own unit (the village) does not contain the township.
    post = org.post_create(unit=c.bajiao, title="村级督办专员", a_holder=c.p_village, b_holder=c.p_bajiao_b)
    task = build.assigned(post=post)
    assert statemachine.acts_for_lead(c.village_liaison, task)
    org.absence_create(person=c.p_village, kind=AbsenceKind.TRAINING, start=build.today, end=build.today)
    assert not statemachine.acts_for_lead(c.village_liaison, task)
    refused(PermissionDenied, svc.task_acknowledge, actor=c.village_liaison, task=task)
    assert svc.task_acknowledge(actor=c.bajiao_b, task=task).status == S.ACKNOWLEDGED


def test_start_then_report_keeps_the_reporting_deadline_moving(build):
    c = build.cast
    task = build.in_progress(cycle="weekly")
    assert task.status == S.IN_PROGRESS
    svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="完成第一阶段", percent=30, quantity=12)
    task.refresh_from_db()
    assert task.next_report_due == build.today + timedelta(days=7)


def test_the_first_report_starts_an_acknowledged_task(build):
    c = build.cast
    task = build.acknowledged()
    version = task.version
    svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="已开展调研", percent=5)
    task.refresh_from_db()
    assert task.status == S.IN_PROGRESS and task.version == version + 1
    last = selectors.task_timeline(task).last()
    assert last.event == "task_report" and last.data["to"] == S.IN_PROGRESS


def test_reports_do_not_make_a_colleagues_edit_stale(build):
    c = build.cast
    task = build.in_progress()
    loaded_version = task.version
    svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="第二次报送", percent=40)
    svc.task_update(actor=c.supervisor, task=Task.objects.get(pk=task.pk), expected_version=loaded_version,
                    title="推进基层党建示范点建设(调整)")


@pytest.mark.parametrize("status_builder", ["task", "assigned", "completed"])
def test_reporting_outside_the_working_states_is_refused(build, status_builder):
    task = getattr(build, status_builder)()
    refused((ValidationError, PermissionDenied), svc.report_submit, actor=build.cast.bajiao_liaison, task=task,
            narrative="报送", percent=10)


def test_reporting_on_a_completed_task_is_refused_with_a_clear_message(build):
    task = build.completed()
    refused(ValidationError, svc.report_submit, actor=build.cast.bajiao_liaison, task=task, narrative="补报",
            percent=100, match="已办结")


def test_an_outsider_cannot_report(build):
    task = build.in_progress()
    refused(PermissionDenied, svc.report_submit, actor=build.cast.baiguo_liaison, task=task, narrative="x",
            percent=1)


@pytest.mark.parametrize("bad", [
    {"narrative": "", "percent": 10},
    {"narrative": "   ", "percent": 10},
    {"narrative": "ok", "percent": 101},
    {"narrative": "ok", "percent": -1},
    {"narrative": "ok", "percent": "五十"},
    {"narrative": "ok", "percent": True},
    {"narrative": "ok", "percent": 10, "quantity": -3},
    {"narrative": "ok", "percent": 10, "quantity": "many"},
])
def test_bad_report_input_is_refused(build, bad):
    task = build.in_progress()
    refused(ValidationError, svc.report_submit, actor=build.cast.bajiao_liaison, task=task, **bad)


def test_a_correction_is_a_new_report_naming_the_old_one(build):
    c = build.cast
    task = build.in_progress()
    first = svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="完成 30 个", percent=30)
    fix = svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="更正:完成 20 个", percent=20,
                            corrects=first)
    first.refresh_from_db()
    assert first.narrative == "完成 30 个" and fix.corrects == first
    with pytest.raises(TypeError):
        first.save()
    with pytest.raises(TypeError):
        ProgressReport.objects.filter(pk=first.pk).update(narrative="改写")


def test_a_correction_must_belong_to_the_same_task(build):
    c = build.cast
    one, two = build.in_progress(), build.in_progress(title="第二项任务")
    report = svc.report_submit(actor=c.bajiao_liaison, task=one, narrative="进展", percent=10)
    refused(ValidationError, svc.report_submit, actor=c.bajiao_liaison, task=two, narrative="更正", percent=5,
            corrects=report)


def test_completion_needs_a_narrative_and_evidence(build):
    c = build.cast
    task = build.in_progress()
    refused(ValidationError, svc.task_request_completion, actor=c.bajiao_liaison, task=task, narrative="完成",
            files=[], match="佐证材料")
    refused(ValidationError, svc.task_request_completion, actor=c.bajiao_liaison, task=task, narrative="",
            files=[a_pdf()])


def test_completion_with_a_bad_file_stores_nothing(build):
    c = build.cast
    task = build.in_progress()
    exe = upload("报告.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200)
    refused(ValidationError, svc.task_request_completion, actor=c.bajiao_liaison, task=task, narrative="完成",
            files=[a_pdf(), exe])
    assert build.stored_files() == []


def test_a_completion_request_creates_a_completion_report_with_evidence(build):
    task = build.completion_requested()
    report = ProgressReport.objects.get(task=task)
    assert report.kind == ReportKind.COMPLETION and report.percent == 100
    assert report.evidence.count() == 1
    assert task.completion_requested_by == build.cast.bajiao_liaison


def test_a_liaison_cannot_complete_without_review(build):
    task = build.completion_requested()
    for who in ("bajiao_liaison", "bajiao_admin", "leader"):
        refused(PermissionDenied, svc.task_approve, actor=getattr(build.cast, who), task=task)


def test_nobody_approves_their_own_completion_request(build):
    c = build.cast
    # The supervisor's own office leads this task, so the supervisor may request its completion…
    task = build.in_progress(lead=c.office, by=c.supervisor)
    task = svc.task_request_completion(actor=c.supervisor, task=task, narrative="完成", files=[a_pdf()])
    # …but not review it.
    refused(PermissionDenied, svc.task_approve, actor=c.supervisor, task=task, match="自己")
    refused(PermissionDenied, svc.task_return, actor=c.supervisor, task=task, reason="再看看")
    assert "approve" not in [t.name for t in statemachine.available(c.supervisor, task)]


def test_return_needs_a_reason_and_goes_back_to_work(build):
    c = build.cast
    task = build.completion_requested()
    refused(ValidationError, svc.task_return, actor=c.supervisor, task=task, reason=" ")
    task = svc.task_return(actor=c.supervisor, task=task, reason="佐证材料不全")
    assert task.status == S.IN_PROGRESS and task.next_report_due is not None
    assert task.completion_requested_by is None
    assert selectors.task_timeline(task).last().data["reason"] == "佐证材料不全"
    assert Notification.objects.filter(task=task, kind=NotificationKind.RETURNED, unit=c.bajiao).exists()


def test_a_parent_completes_only_when_every_child_is_closed(build):
    c = build.cast
    parent = build.task(due_in=90)
    child = build.task(parent=parent, due_in=30, title="子任务")
    svc.task_assign(actor=c.supervisor, task=parent)
    parent = svc.task_acknowledge(actor=c.bajiao_liaison, task=parent)
    parent = svc.task_start(actor=c.bajiao_liaison, task=parent)
    refused(ValidationError, svc.task_request_completion, actor=c.bajiao_liaison, task=parent, narrative="完成",
            files=[a_pdf()])
    svc.task_cancel(actor=c.supervisor, task=child, reason="并入其他任务")
    parent.refresh_from_db()
    parent = svc.task_request_completion(actor=c.bajiao_liaison, task=parent, narrative="完成", files=[a_pdf()])
    assert svc.task_approve(actor=c.supervisor, task=parent).status == S.COMPLETED


def test_cancel_needs_a_reason_and_refuses_closed_tasks(build):
    c = build.cast
    task = build.assigned()
    refused(ValidationError, svc.task_cancel, actor=c.supervisor, task=task, reason="")
    refused(PermissionDenied, svc.task_cancel, actor=c.bajiao_liaison, task=task, reason="不想做")
    task = svc.task_cancel(actor=c.supervisor, task=task, reason="上级调整部署")
    assert task.status == S.CANCELLED
    refused(ValidationError, svc.task_cancel, actor=c.supervisor, task=task, reason="再次中止")
    refused(ValidationError, svc.task_update, actor=c.supervisor, task=task, title="改名")


def test_a_completed_task_changes_only_through_reopen(build):
    c = build.cast
    task = build.completed()
    refused(ValidationError, svc.task_update, actor=c.supervisor, task=task, title="改名", match="重新打开")
    refused(ValidationError, svc.task_return, actor=c.supervisor, task=task, reason="x")
    refused(ValidationError, svc.task_reopen, actor=c.supervisor, task=task, reason="")
    task = svc.task_reopen(actor=c.supervisor, task=task, reason="复查发现问题")
    assert task.status == S.IN_PROGRESS and task.completed_at is None


def test_an_unknown_transition_is_refused(build):
    task = build.assigned()
    refused(ValidationError, svc.task_transition, actor=build.cast.supervisor, task=task, name="complete")


@pytest.mark.parametrize("name", ["acknowledge", "start", "request_completion", "approve", "return", "reopen"])
def test_transitions_from_the_wrong_state_are_refused(build, name):
    c = build.cast
    task = build.task()  # draft
    actor = c.supervisor if statemachine.TRANSITIONS[name].who == statemachine.MANAGE else c.bajiao_liaison
    refused(ValidationError, svc.task_transition, actor=actor, task=task, name=name, reason="理由", narrative="n",
            files=[a_pdf()], match="不能执行")


def test_a_stale_transition_is_refused(build):
    c = build.cast
    task = build.assigned()
    stale = Task.objects.get(pk=task.pk)
    svc.task_acknowledge(actor=c.bajiao_liaison, task=task)
    refused(ConcurrentEditError, svc.task_cancel, actor=c.supervisor, task=stale, reason="中止")


# --- tree rules -------------------------------------------------------------------------------
def test_a_subtask_may_not_be_due_after_its_parent(build):
    c = build.cast
    parent = build.task(due_in=30)
    refused(ValidationError, svc.task_create, actor=c.supervisor, parent=parent, title="子任务",
            lead_unit=c.bajiao, due_date=build.today + timedelta(days=31), match="不能晚于上级任务")


def test_due_must_not_precede_start(build):
    c = build.cast
    refused(ValidationError, svc.task_create, actor=c.supervisor, title="倒挂", lead_unit=c.bajiao,
            start_date=build.today, due_date=build.today - timedelta(days=1), match="不能早于开始日期")
    task = build.task()
    refused(ValidationError, svc.task_update, actor=c.supervisor, task=task,
            due_date=task.start_date - timedelta(days=1))


def test_a_parents_due_date_cannot_move_before_a_childs(build):
    c = build.cast
    parent = build.task(due_in=60)
    build.task(parent=parent, due_in=50, title="子任务")
    refused(ValidationError, svc.task_update, actor=c.supervisor, task=parent,
            due_date=build.today + timedelta(days=40), match="下级任务")


def test_re_parenting_under_a_descendant_is_refused(build):
    c = build.cast
    root = build.task(due_in=90)
    child = build.task(parent=root, due_in=60, title="子")
    grandchild = build.task(parent=child, due_in=30, title="孙")
    refused(ValidationError, svc.task_move, actor=c.supervisor, task=root, parent=grandchild, match="下级任务")
    refused(ValidationError, svc.task_move, actor=c.supervisor, task=root, parent=root)
    other = build.task(due_in=90, title="另一目标")
    moved = svc.task_move(actor=c.supervisor, task=child, parent=other)
    grandchild.refresh_from_db()
    assert moved.path.startswith(other.path) and grandchild.path.startswith(moved.path)
    assert selectors.task_timeline(moved).last().event == "task_move"


def test_decompose_creates_numbered_children_all_or_nothing(build):
    c = build.cast
    goal = build.task(due_in=90, title="目标")
    children = svc.task_decompose(actor=c.supervisor, parent=goal, children=[
        {"title": "一", "lead_unit": c.bajiao, "due_date": build.today + timedelta(days=30)},
        {"title": "二", "lead_unit": c.baiguo, "due_date": build.today + timedelta(days=60), "co_units": [c.bajiao]},
    ])
    assert [t.tree_number.split(".")[-1] for t in children] == ["1", "2"]
    assert children[1].co_units.get() == c.bajiao
    refused(ValidationError, svc.task_decompose, actor=c.supervisor, parent=goal, children=[
        {"title": "三", "lead_unit": c.bajiao, "due_date": build.today + timedelta(days=30)},
        {"title": "四", "lead_unit": c.bajiao, "due_date": build.today + timedelta(days=120)},
    ], match="第 2 个")
    refused(ValidationError, svc.task_decompose, actor=c.supervisor, parent=goal, children=[
        {"title": "五", "status": "completed"}])
    refused(PermissionDenied, svc.task_decompose, actor=c.bajiao_liaison, parent=goal, children=[{"title": "六"}])


@pytest.mark.parametrize("bad", [
    {"title": ""},
    {"title": "x" * 301},
    {"title": "ok", "reporting_cycle": "daily"},
    {"title": "ok", "target_number": -5},
    {"title": "ok", "target_number": "lots"},
    {"title": "ok", "status": "completed"},
    {"title": "ok", "version": 9},
])
def test_bad_task_input_is_refused(build, bad):
    refused(ValidationError, svc.task_create, actor=build.cast.supervisor, lead_unit=build.cast.bajiao, **bad)


def test_a_co_unit_cannot_also_be_the_lead(build):
    c = build.cast
    refused(ValidationError, svc.task_create, actor=c.supervisor, title="x", lead_unit=c.bajiao, co_units=[c.bajiao])


def test_concurrent_edits_refuse_the_second_save(build):
    c = build.cast
    task = build.task()
    a, b = Task.objects.get(pk=task.pk), Task.objects.get(pk=task.pk)
    svc.task_update(actor=c.supervisor, task=a, expected_version=a.version, title="A 的修改")
    refused(ConcurrentEditError, svc.task_update, actor=c.supervisor, task=b, expected_version=b.version,
            title="B 的修改", match="已被他人修改")
    assert Task.objects.get(pk=task.pk).title == "A 的修改"


def test_an_update_records_before_and_after(build):
    c = build.cast
    task = build.assigned()
    svc.task_update(actor=c.supervisor, task=task, due_date=build.today + timedelta(days=90),
                    co_units=[c.baiguo])
    task.refresh_from_db()
    assert task.original_due_date == build.today + timedelta(days=60)
    entry = selectors.task_timeline(task).last()
    assert entry.event == "task_update"
    assert entry.data["changes"]["due_date"][1] == str(build.today + timedelta(days=90))
    assert entry.data["co_units"] == [[], [c.baiguo.pk]]


# --- extensions -------------------------------------------------------------------------------
def test_an_approved_extension_moves_the_due_date_and_keeps_the_original(build):
    c = build.cast
    task = build.in_progress()
    old_due = task.due_date
    ext = svc.extension_request(actor=c.bajiao_liaison, task=task, requested_due=old_due + timedelta(days=30),
                                reason="受汛期影响")
    assert selectors.todo_for_user(c.supervisor).to_approve_extensions.get() == ext
    svc.extension_decide(actor=c.supervisor, extension=ext, approve=True)
    task.refresh_from_db()
    assert task.due_date == old_due + timedelta(days=30) and task.original_due_date == old_due
    events = [e.event for e in selectors.task_timeline(task)]
    assert events[-2:] == ["task_extension_request", "task_extension_approve"]


def test_a_refusal_needs_a_reason_and_leaves_the_due_date(build):
    c = build.cast
    task = build.in_progress()
    ext = svc.extension_request(actor=c.bajiao_liaison, task=task, requested_due=task.due_date + timedelta(days=5),
                                reason="人手不足")
    refused(ValidationError, svc.extension_decide, actor=c.supervisor, extension=ext, approve=False, reason="")
    svc.extension_decide(actor=c.supervisor, extension=ext, approve=False, reason="时限不可调整")
    task.refresh_from_db()
    assert task.original_due_date is None
    refused(ValidationError, svc.extension_decide, actor=c.supervisor, extension=ext, approve=True)


def test_bad_extension_requests_are_refused(build):
    c = build.cast
    parent = build.task(due_in=90)
    svc.task_assign(actor=c.supervisor, task=parent)
    task = build.assigned(parent=parent, due_in=30, title="子任务")
    refused(ValidationError, svc.extension_request, actor=c.bajiao_liaison, task=task,
            requested_due=task.due_date, reason="x", match="应晚于")
    refused(ValidationError, svc.extension_request, actor=c.bajiao_liaison, task=task,
            requested_due=task.due_date + timedelta(days=5), reason="")
    refused(ValidationError, svc.extension_request, actor=c.bajiao_liaison, task=task,
            requested_due=parent.due_date + timedelta(days=1), reason="x", match="上级任务")
    refused(PermissionDenied, svc.extension_request, actor=c.baiguo_liaison, task=task,
            requested_due=task.due_date + timedelta(days=5), reason="x")
    svc.extension_request(actor=c.bajiao_liaison, task=task, requested_due=task.due_date + timedelta(days=5),
                          reason="第一次")
    refused(ValidationError, svc.extension_request, actor=c.bajiao_b, task=task,
            requested_due=task.due_date + timedelta(days=6), reason="第二次", match="待审批")


def test_nobody_approves_their_own_extension_and_units_cannot_approve(build):
    c = build.cast
    task = build.in_progress(lead=c.office, by=c.supervisor)
    ext = svc.extension_request(actor=c.supervisor, task=task, requested_due=task.due_date + timedelta(days=5),
                                reason="会议推迟")
    refused(PermissionDenied, svc.extension_decide, actor=c.supervisor, extension=ext, approve=True)
    assert not selectors.todo_for_user(c.supervisor).to_approve_extensions.exists()
    other = build.in_progress(title="乡镇任务")
    ext2 = svc.extension_request(actor=c.bajiao_liaison, task=other, requested_due=other.due_date + timedelta(days=5),
                                 reason="x")
    refused(PermissionDenied, svc.extension_decide, actor=c.bajiao_admin, extension=ext2, approve=True)


# --- instructions and milestones --------------------------------------------------------------
def test_a_leader_instructs_and_the_units_are_notified(build):
    c = build.cast
    task = build.in_progress(co_units=[c.baiguo])
    svc.instruction_add(actor=c.leader, task=task, text="请加快进度,月底前见成效。")
    assert Notification.objects.filter(task=task, kind=NotificationKind.INSTRUCTION).count() == 2
    assert selectors.task_timeline(task).last().event == "task_instruct"
    refused(PermissionDenied, svc.instruction_add, actor=c.bajiao_liaison, task=task, text="自批")
    refused(PermissionDenied, svc.instruction_add, actor=c.supervisor, task=task, text="督查室不批示")
    refused(ValidationError, svc.instruction_add, actor=c.leader, task=task, text="")
    refused(ValidationError, svc.instruction_add, actor=c.leader, task=build.task(), text="草稿不批示")


def test_milestones_are_validated_and_ticked_by_the_lead_unit(build):
    c = build.cast
    refused(ValidationError, svc.task_create, actor=c.supervisor, title="x", lead_unit=c.bajiao,
            due_date=build.today + timedelta(days=10),
            milestones=[{"name": "节点", "date": build.today + timedelta(days=11)}])
    task = build.task(milestones=[{"name": "完成摸底", "date": build.today + timedelta(days=10)}])
    milestone = task.milestones.get()
    refused(ValidationError, svc.milestone_set_done, actor=c.bajiao_liaison, milestone=milestone, done=True)
    svc.task_assign(actor=c.supervisor, task=task)
    task = svc.task_acknowledge(actor=c.bajiao_liaison, task=task)
    refused(PermissionDenied, svc.milestone_set_done, actor=c.baiguo_liaison, milestone=milestone, done=True)
    assert svc.milestone_set_done(actor=c.bajiao_liaison, milestone=milestone, done=True).done


# --- sources and policy -----------------------------------------------------------------------
def test_a_re_imported_source_is_detected(build):
    c = build.cast
    text = "在全市党建暨经济工作会议上的讲话\n同志们:……"
    svc.source_create(actor=c.supervisor, kind="speech", title="讲话", text=text)
    refused(ValidationError, svc.source_create, actor=c.supervisor, kind="speech", title="讲话(重复)",
            text=text.replace("\n", "  \n "), match="已导入过")
    refused(PermissionDenied, svc.source_create, actor=c.bajiao_liaison, kind="speech", title="x", text="y")
    refused(ValidationError, svc.source_create, actor=c.supervisor, kind="rumour", title="x", text="z")


def test_a_source_file_is_checked_and_stored_under_a_server_name(build):
    c = build.cast
    source = svc.source_create(actor=c.supervisor, kind="document", title="文件", file=a_pdf("../../etc/passwd.pdf"))
    assert source.file_name == "passwd.pdf" and ".." not in source.file.name
    assert source.content_hash
    refused(ValidationError, svc.source_create, actor=c.supervisor, kind="document", title="同一文件",
            file=a_pdf("copy.pdf"))


def test_policy_is_validated_and_versioned(build):
    c = build.cast
    policy = svc.policy_update(actor=c.supervisor, yellow_days=5, report_todo_days=2)
    assert selectors.policy().yellow_days == 5
    refused(ValidationError, svc.policy_update, actor=c.supervisor, yellow_days=-1, report_todo_days=2)
    refused(ConcurrentEditError, svc.policy_update, actor=c.supervisor, yellow_days=4, report_todo_days=2,
            expected_version=policy.version - 1)
    refused(PermissionDenied, svc.policy_update, actor=c.bajiao_liaison, yellow_days=4, report_todo_days=2)


def test_refusals_write_nothing_to_the_ledger(build):
    task = build.assigned()
    before = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        svc.task_acknowledge(actor=build.cast.baiguo_liaison, task=task)
    assert AuditEntry.objects.count() == before


def test_refusals_are_translated_to_english(build):
    from django.utils import translation

    task = build.completed()
    with translation.override("en"), pytest.raises(ValidationError) as info:
        svc.report_submit(actor=build.cast.bajiao_liaison, task=task, narrative="补报", percent=100)
    assert info.value.messages == ["The task is “Completed”; progress cannot be reported."]


def test_units_added_to_an_issued_task_are_notified(build):
    c = build.cast
    task = build.assigned()
    svc.task_update(actor=c.supervisor, task=task, lead_unit=c.xiaojiaping, co_units=[c.baiguo])
    notified = set(Notification.objects.filter(task=task, kind=NotificationKind.ASSIGNED).values_list("unit", flat=True))
    assert notified == {c.bajiao.pk, c.xiaojiaping.pk, c.baiguo.pk}
    draft = build.task(title="草稿")
    svc.task_update(actor=c.supervisor, task=draft, co_units=[c.baiguo])
    assert not Notification.objects.filter(task=draft).exists()


def test_a_decomposed_goal_is_assigned_in_one_step_or_not_at_all(build):
    c = build.cast
    goal = build.task(due_in=90, title="目标")
    svc.task_decompose(actor=c.supervisor, parent=goal, children=[
        {"title": "甲", "lead_unit": c.bajiao, "due_date": build.today + timedelta(days=30)},
        {"title": "乙", "lead_unit": c.baiguo},  # no due date yet
    ])
    error = refused(ValidationError, svc.task_assign_subtree, actor=c.supervisor, task=goal)
    assert "“乙”" in " ".join(error.messages)
    second = Task.objects.get(title="乙")
    svc.task_update(actor=c.supervisor, task=second, due_date=build.today + timedelta(days=40))
    assigned = svc.task_assign_subtree(actor=c.supervisor, task=goal)
    assert [t.title for t in assigned] == ["目标", "甲", "乙"]
    assert set(Task.objects.values_list("status", flat=True)) == {S.ASSIGNED}
    refused(ValidationError, svc.task_assign_subtree, actor=c.supervisor, task=goal)
    refused(PermissionDenied, svc.task_assign_subtree, actor=c.bajiao_liaison, task=goal)


def test_the_due_date_cannot_move_before_a_milestone(build):
    c = build.cast
    task = build.task(due_in=60, milestones=[{"name": "中期检查", "date": build.today + timedelta(days=50)}])
    refused(ValidationError, svc.task_update, actor=c.supervisor, task=task,
            due_date=build.today + timedelta(days=40), match="中期检查")
    svc.task_update(actor=c.supervisor, task=task, due_date=build.today + timedelta(days=40),
                    milestones=[{"name": "中期检查", "date": build.today + timedelta(days=30)}])
    assert task.milestones.get().date == build.today + timedelta(days=30)


def test_a_co_unit_cannot_be_made_the_lead_without_leaving_the_co_units(build):
    c = build.cast
    task = build.task(co_units=[c.baiguo])
    refused(ValidationError, svc.task_update, actor=c.supervisor, task=task, lead_unit=c.baiguo)
    svc.task_update(actor=c.supervisor, task=task, lead_unit=c.baiguo, co_units=[c.bajiao])
    task.refresh_from_db()
    assert task.lead_unit == c.baiguo and list(task.co_units.all()) == [c.bajiao]

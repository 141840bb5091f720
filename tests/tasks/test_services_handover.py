"""交办 as offices do it (issue 9 item 3) and the percent-drop rule of report_submit (item 4), at
the service level: the units chosen on the way, remarks in the ledger and the notice, the cascade
to draft children (one call, one ledger row each), inheritance, the parent following its children."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from duban.core.models import AuditEntry
from duban.notices.models import Notice
from duban.tasks import services as svc
from duban.tasks.models import ProgressReport, Task, TaskStatus

from .helpers import state

S = TaskStatus


def status(task):
    return Task.objects.get(pk=task.pk).status


def entries(task, event="task_assign"):
    return list(AuditEntry.objects.filter(event=event, object_id=str(task.pk)).order_by("seq"))


def test_handover_sets_the_units_and_post_and_keeps_the_remarks(build):
    c = build.cast
    task = build.task(lead=c.baiguo)
    svc.task_assign(actor=c.supervisor, task=task, lead_unit=c.bajiao, co_units=[c.baiguo],
                    responsible_post=c.post_bajiao, remarks="请于本周内签收并制定方案")
    task = Task.objects.get(pk=task.pk)
    assert task.status == S.ASSIGNED and task.lead_unit == c.bajiao and task.responsible_post == c.post_bajiao
    assert list(task.co_units.all()) == [c.baiguo]
    assert [e.data["reason"] for e in entries(task)] == ["请于本周内签收并制定方案"]
    assert len(entries(task, "task_update")) == 1  # the change of units is its own entry
    notices = Notice.objects.filter(kind="assigned", subject_id=task.pk)
    assert notices.exists() and all("交办意见:请于本周内签收并制定方案" in n.body for n in notices)


def test_a_parent_is_handed_over_with_its_draft_children_in_one_call(build):
    c = build.cast
    parent = build.task(title="乡村振兴", due_in=90)
    one = build.task(parent=parent, title="甲", due_in=30, category=None)
    two = build.task(parent=parent, title="乙", due_in=30, lead=c.baiguo)
    grandchild = build.task(parent=one, title="甲-1", due_in=20, lead=c.xiaojiaping)
    left = build.task(parent=parent, title="丙(暂不交办)", due_in=30)
    svc.task_assign(actor=c.supervisor, task=parent, remarks="一并交办", children=[one, two, grandchild])
    assert [status(t) for t in (parent, one, two, grandchild, left)] == [S.ASSIGNED] * 4 + [S.DRAFT]
    for t in (parent, one, two, grandchild):
        assert [e.data["reason"] for e in entries(t)] == ["一并交办"]


def test_a_cascade_with_one_bad_child_changes_nothing_and_names_it(build):
    c = build.cast
    parent = build.task(title="乡村振兴", due_in=90)
    good = build.task(parent=parent, title="甲", due_in=30)
    bad = build.task(parent=parent, title="没有单位的乙", due_in=30, lead_unit=None)
    before = state()
    with pytest.raises(ValidationError) as exc:
        svc.task_assign(actor=c.supervisor, task=parent, children=[good, bad])
    assert "没有单位的乙" in " ".join(exc.value.messages) and "牵头单位" in " ".join(exc.value.messages)
    assert state() == before


def test_children_outside_the_task_are_refused(build):
    c = build.cast
    parent = build.task(title="乡村振兴", due_in=90)
    stranger = build.task(title="别的任务")
    before = state()
    with pytest.raises(ValidationError, match="所选下级任务"):
        svc.task_assign(actor=c.supervisor, task=parent, children=[stranger])
    assert state() == before


def test_a_child_inherits_category_and_source_when_created_and_handed_over(build):
    c = build.cast
    source = svc.source_create(actor=c.supervisor, kind="meeting", title="全市党建工作会议", text="会议要求…")
    parent = build.task(title="乡村振兴", due_in=90, source=source)
    child = build.task(parent=parent, title="甲", due_in=30, category=None)
    assert child.category == build.category and child.source == source
    # a child created before its parent had them takes them when handed over
    bare = build.task(title="没有来源的目标", due_in=90, category=None)
    late = build.task(parent=bare, title="乙", due_in=30, category=None)
    assert late.category is None and late.source is None
    svc.task_update(actor=c.supervisor, task=Task.objects.get(pk=bare.pk), category=build.category, source=source)
    svc.task_assign(actor=c.supervisor, task=Task.objects.get(pk=bare.pk), children=[late])
    late = Task.objects.get(pk=late.pk)
    assert late.category == build.category and late.source == source
    assert entries(late)[0].data["inherited"] == {"category": build.category.pk, "source": source.pk}


def test_a_draft_parent_follows_a_child_that_is_handed_over(build):
    c = build.cast
    goal = build.task(title="目标", due_in=90, lead_unit=None)
    parent = build.task(parent=goal, title="乡村振兴", due_in=80)
    child = build.task(parent=parent, title="甲", due_in=30)
    svc.task_assign(actor=c.supervisor, task=child)
    assert [status(t) for t in (goal, parent, child)] == [S.ASSIGNED] * 3
    assert entries(parent)[0].data["follows"] == child.pk and entries(goal)[0].data["follows"] == child.pk
    # the follower with a lead unit is told; the one without is issued silently
    assert Notice.objects.filter(kind="assigned", subject_id=parent.pk).exists()
    assert not Notice.objects.filter(kind="assigned", subject_id=goal.pk).exists()


# --- a drop in percent -------------------------------------------------------------------------------
def test_a_drop_in_percent_needs_a_reason_and_nothing_is_written_without_it(build):
    c = build.cast
    task = build.in_progress()
    svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="完成一半", percent=50)
    before = state()
    with pytest.raises(ValidationError) as exc:
        svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="重新核算", percent=40)
    assert exc.value.error_dict["drop_reason"][0].code == "percent_drop"
    assert "50%" in exc.value.messages[0]
    assert state() == before
    report = svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="重新核算", percent=40,
                               drop_reason="上次误把计划数计入完成数")
    assert report.percent == 40
    entry = entries(task, "task_report")[-1]
    assert entry.data["previous_percent"] == 50 and entry.data["reason"] == "上次误把计划数计入完成数"


def test_the_drop_is_measured_against_the_same_units_last_report(build):
    c = build.cast
    task = build.in_progress(co_units=[c.baiguo])
    svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="牵头单位进展", percent=80)
    # the co-unit's first report is lower than the lead unit's: no drop for the co-unit
    svc.report_submit(actor=c.baiguo_liaison, task=task, narrative="配合单位进展", percent=20)
    svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="同为 80", percent=80)
    assert ProgressReport.objects.filter(task=task).count() == 3


def test_a_correction_needs_no_separate_drop_reason(build):
    c = build.cast
    task = build.in_progress()
    wrong = svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="完成 80%", percent=80)
    svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="更正:8%", percent=8, corrects=wrong)


def test_a_drop_below_the_completion_request_after_a_return_needs_a_reason(build):
    c = build.cast
    task = build.completion_requested()
    svc.task_return(actor=c.supervisor, task=task, reason="材料不全")
    with pytest.raises(ValidationError, match="100%"):
        svc.report_submit(actor=c.bajiao_liaison, task=Task.objects.get(pk=task.pk), narrative="补充材料中",
                          percent=90)
    svc.report_submit(actor=c.bajiao_liaison, task=Task.objects.get(pk=task.pk), narrative="补充材料中", percent=90,
                      drop_reason="退回后按实际完成量重新核定")
    assert build.today + timedelta(days=1) > build.today

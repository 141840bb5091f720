"""The scan: each rule and each ladder step fires on the right working day across 国庆 and 春节,
nothing twice, resumable after a crash, correct when the clock jumps."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command

from conftest import at
from duban.notices.models import Notice, NoticeKind
from duban.supervision import scan as scan_module
from duban.supervision import services
from duban.supervision.models import Listing, MissKind, Order, Proposal, Reminder, ReminderKind
from duban.supervision.scan import scan

pytestmark = pytest.mark.django_db

LADDER_RECORDS = {
    "remind": lambda task: Reminder.objects.filter(task=task, kind=ReminderKind.LADDER, miss_kind=MissKind.DUE),
    "order": lambda task: Order.objects.filter(task=task, miss_kind=MissKind.DUE),
    "list": lambda task: Listing.objects.filter(task=task, miss_kind=MissKind.DUE),
    "propose": lambda task: Proposal.objects.filter(task=task, miss_kind=MissKind.DUE),
}


def run(day, **kwargs):
    with at(day):
        return scan(**kwargs)


def days(start, end):
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def climb(task, start, end, replier=None):
    """Scan every day from start to end; the unit (``replier``) answers each 督办单 the day it comes."""
    for day in days(start, end):
        run(day)
        if replier is not None:
            for order in Order.objects.filter(task=task, replied_at__isnull=True):
                with at(day, 15):
                    services.order_reply(actor=replier, order=order, text="已部署整改")


# Default rule: 催办 0, 督办单 3, 挂牌督办 10, 问责建议 20 working days after the missed due date.
@pytest.mark.parametrize("step, before, first", [
    # due 30 Sep 2026; 1–7 Oct off, Sat 10 Oct worked.
    ("remind", date(2026, 9, 30), date(2026, 10, 1)),
    ("order", date(2026, 10, 9), date(2026, 10, 10)),
    ("list", date(2026, 10, 19), date(2026, 10, 20)),
    ("propose", date(2026, 11, 2), date(2026, 11, 3)),
])
def test_each_ladder_step_fires_on_its_working_day_after_a_miss_before_national_day(make_task, cast, step, before,
                                                                                     first):
    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    climb(task, date(2026, 9, 30), before, replier=cast.bajiao_liaison)
    assert LADDER_RECORDS[step](task).count() == 0
    run(first)
    assert LADDER_RECORDS[step](task).count() == 1


@pytest.mark.parametrize("step, before, first", [
    # due Fri 13 Feb 2026; Sat 14 Feb worked, 15–23 Feb off, Sat 28 Feb worked.
    ("remind", date(2026, 2, 13), date(2026, 2, 14)),
    ("order", date(2026, 2, 24), date(2026, 2, 25)),
    ("list", date(2026, 3, 4), date(2026, 3, 5)),
    ("propose", date(2026, 3, 18), date(2026, 3, 19)),
])
def test_each_ladder_step_fires_on_its_working_day_after_a_miss_before_spring_festival(make_task, cast, step, before,
                                                                                       first):
    task = make_task(assigned=date(2026, 1, 20), due=date(2026, 2, 13))
    climb(task, date(2026, 2, 13), before, replier=cast.bajiao_liaison)
    assert LADDER_RECORDS[step](task).count() == 0
    run(first)
    assert LADDER_RECORDS[step](task).count() == 1


def test_the_due_date_reminder_counts_working_days_back_over_the_mid_autumn_break(make_task):
    # 3 working days before 30 Sep: 29, 28 and 24 Sep (25–27 Sep are off).
    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    run(date(2026, 9, 23))
    assert not Reminder.objects.filter(task=task, kind=ReminderKind.DUE_SOON).exists()
    run(date(2026, 9, 24))
    reminder = Reminder.objects.get(task=task, kind=ReminderKind.DUE_SOON)
    assert reminder.miss_date == date(2026, 9, 30)
    assert Notice.objects.filter(kind=NoticeKind.TASK_DUE, subject_id=str(task.pk)).count() == 1


def test_the_report_reminder_comes_two_working_days_before_a_deadline_after_national_day(make_task):
    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 12, 31), next_report_due=date(2026, 10, 9))
    run(date(2026, 9, 29))
    assert not Reminder.objects.filter(task=task, kind=ReminderKind.REPORT_SOON).exists()
    run(date(2026, 9, 30))  # 8 Oct and 30 Sep are the two working days before 9 Oct
    assert Reminder.objects.filter(task=task, kind=ReminderKind.REPORT_SOON).count() == 1


def test_a_missed_report_is_chased_up_the_ladder(make_task):
    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 12, 31), next_report_due=date(2026, 9, 30))
    run(date(2026, 10, 10))
    assert Reminder.objects.filter(task=task, kind=ReminderKind.LADDER, miss_kind=MissKind.REPORT).count() == 1
    assert not Order.objects.exists()  # one rung per day: the 督办单 follows the 催办 on the next run
    run(date(2026, 10, 11))
    order = Order.objects.get(task=task)
    assert (order.miss_kind, order.miss_date) == (MissKind.REPORT, date(2026, 9, 30))


@pytest.mark.parametrize("assigned, before, first", [
    (date(2026, 9, 29), date(2026, 10, 8), date(2026, 10, 9)),  # deadline 30 Sep + 8 Oct
    (date(2026, 2, 13), date(2026, 2, 24), date(2026, 2, 25)),  # deadline 14 + 24 Feb
])
def test_an_unacknowledged_task_is_chased_after_two_working_days(make_task, assigned, before, first):
    task = make_task(assigned=assigned, due=date(2026, 12, 31), acknowledge=False)
    run(before)
    assert not Reminder.objects.filter(task=task, miss_kind=MissKind.ACK).exists()
    run(first)
    reminder = Reminder.objects.get(task=task, miss_kind=MissKind.ACK)
    assert reminder.miss_date == assigned
    notice = Notice.objects.get(kind=NoticeKind.REMINDER, subject_id=str(task.pk))
    assert notice.reached.name == "张三"  # the A holder of the responsible post


def test_scanning_twice_sends_one_notice(make_task):
    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    first = run(date(2026, 10, 1))
    second = run(date(2026, 10, 1))
    assert first.counts == {"remind": 1} and second.counts == {}
    assert Notice.objects.filter(kind=NoticeKind.REMINDER, subject_id=str(task.pk)).count() == 1
    assert Reminder.objects.filter(task=task).count() == 1


def test_a_crash_after_the_first_batch_is_completed_by_the_rerun_without_duplicates(make_task, monkeypatch):
    tasks = [make_task(title=f"任务{i}", assigned=date(2026, 9, 1), due=date(2026, 9, 30)) for i in range(3)]
    calls = []

    def crash(step, count):
        calls.append(step)
        raise RuntimeError("worker killed")

    monkeypatch.setattr(scan_module, "batch_committed", crash)
    with pytest.raises(RuntimeError):
        run(date(2026, 10, 1), batch_size=1)
    assert Reminder.objects.count() == 1  # the first batch was committed, the rest not started
    monkeypatch.setattr(scan_module, "batch_committed", lambda step, count: None)
    result = run(date(2026, 10, 1), batch_size=1)
    assert result.counts == {"remind": 2}
    for task in tasks:
        assert Reminder.objects.filter(task=task).count() == 1
        assert Notice.objects.filter(kind=NoticeKind.REMINDER, subject_id=str(task.pk)).count() == 1


def test_a_crash_inside_a_batch_rolls_the_whole_batch_back(make_task, monkeypatch):
    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    from duban.notices import services as notices

    def broken(self, items, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(notices.Sender, "send", broken)
    with pytest.raises(RuntimeError):
        run(date(2026, 10, 1))
    assert not Reminder.objects.filter(task=task).exists()
    monkeypatch.undo()
    run(date(2026, 10, 1))
    assert Reminder.objects.filter(task=task).count() == 1


def test_a_clock_that_jumps_a_day_forward_catches_up_the_missed_day(make_task):
    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    run(date(2026, 10, 9))  # 督办单 is due on 10 Oct; the worker is down that day
    assert not Order.objects.filter(task=task).exists()
    run(date(2026, 10, 11))
    assert Order.objects.filter(task=task).count() == 1


def test_a_clock_set_back_an_hour_sends_nothing_again(make_task):
    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    climb(task, date(2026, 10, 1), date(2026, 10, 9))
    with at(date(2026, 10, 10), 10):
        scan()
    made = Notice.objects.count()
    with at(date(2026, 10, 10), 9):
        result = scan()
    assert result.total == 0 and Notice.objects.count() == made
    assert Order.objects.filter(task=task).count() == 1


def test_a_day_boundary_in_beijing_not_utc_decides_the_date(make_task):
    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    with at(date(2026, 9, 30), 23, 30):  # 15:30 UTC: still 30 Sep in Beijing
        scan()
    assert not Reminder.objects.filter(task=task, kind=ReminderKind.LADDER).exists()
    with at(date(2026, 10, 1), 0, 30):
        scan()
    assert Reminder.objects.filter(task=task, kind=ReminderKind.LADDER).exists()


def test_an_order_not_replied_by_its_deadline_escalates_to_listing(make_task):
    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    climb(task, date(2026, 10, 1), date(2026, 10, 10))
    order = Order.objects.get(task=task)
    assert order.number == "督〔2026〕1号"
    assert order.reply_due == date(2026, 10, 14)  # 3 working days: 12, 13, 14 Oct
    climb(task, date(2026, 10, 11), date(2026, 10, 14))
    assert not Listing.objects.filter(task=task).exists()
    run(date(2026, 10, 15))
    listing = Listing.objects.get(task=task, is_active=True)
    assert listing.miss_kind == MissKind.REPLY
    assert Notice.objects.filter(kind=NoticeKind.LISTED, subject_id=str(task.pk)).count() == 1


def test_closed_tasks_are_left_alone(make_task, cast):
    from duban.tasks import services as tasks

    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    with at(date(2026, 9, 29)):
        tasks.task_cancel(actor=cast.supervisor, task=task, reason="不再需要")
    assert run(date(2026, 11, 30)).total == 0


def test_the_dry_run_lists_what_would_be_done_and_changes_nothing(make_task):
    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    run(date(2026, 10, 1))
    result = run(date(2026, 10, 10), dry_run=True)
    assert {p.step for p in result.planned} == {"order"}
    assert all(p.task_id == task.pk for p in result.planned)
    assert not Order.objects.exists() and Notice.objects.exclude(kind=NoticeKind.ASSIGNED).count() == 1  # the 催办 of 1 Oct only


def test_the_remind_command_runs_and_its_dry_run_only_lists(make_task, capsys):
    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    run(date(2026, 10, 1))
    with at(date(2026, 10, 10)):
        call_command("remind", "--dry-run")
        out = capsys.readouterr().out
        assert f"#{task.pk}" in out and "督办单" in out and "would do 1 actions" in out
        assert not Order.objects.exists()
        call_command("remind")
        assert "1 actions" in capsys.readouterr().out
    assert Order.objects.filter(task=task).count() == 1


def test_a_category_rule_overrides_the_default(make_task, cast):
    from duban.supervision import services
    from duban.tasks import services as tasks

    category = tasks.category_create(actor=cast.supervisor, name="重点项目")
    services.rule_save(actor=cast.supervisor, category=category, values={
        "ack_days": 1, "remind_report_days": 1, "remind_due_days": 1, "remind_after": 0, "order_after": 1,
        "list_after": 2, "propose_after": "", "order_reply_days": 2})
    special = make_task(title="重点", assigned=date(2026, 9, 1), due=date(2026, 9, 30), category=category)
    plain = make_task(title="一般", assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    for day in (date(2026, 10, 1), date(2026, 10, 8)):
        run(day)
    assert Order.objects.filter(task=special).exists() and not Order.objects.filter(task=plain).exists()
    for day in (date(2026, 10, 10), date(2026, 10, 20), date(2026, 11, 3), date(2026, 12, 31)):
        run(day)
    assert not Proposal.objects.filter(task=special).exists()  # the step is not used in its rule
    assert Proposal.objects.filter(task=plain).exists()


def test_a_backlog_climbs_one_rung_per_day_instead_of_all_at_once(make_task):
    task = make_task(assigned=date(2026, 6, 1), due=date(2026, 6, 30))
    counts = [run(day).counts for day in (date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4), date(2026, 11, 5))]
    assert counts[:3] == [{"remind": 1}, {"order": 1}, {"list": 1}]
    assert counts[3] == {"propose": 1}
    assert run(date(2026, 11, 6)).total == 0
    assert Proposal.objects.filter(task=task).count() == 1 and Order.objects.filter(task=task).count() == 1


def test_a_listed_task_is_reminded_once_a_week_when_it_has_not_reported(make_task, cast):
    from duban.tasks import services as tasks

    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 12, 31))
    with at(date(2026, 11, 2)):
        services.listing_add(actor=cast.supervisor, task=task, reason="群众反映强烈")
    run(date(2026, 11, 6))
    assert not Reminder.objects.filter(task=task, kind=ReminderKind.LISTED_WEEKLY).exists()  # listed < 7 days ago
    run(date(2026, 11, 9))
    run(date(2026, 11, 10))  # same ISO week: nothing again
    assert Reminder.objects.filter(task=task, kind=ReminderKind.LISTED_WEEKLY).count() == 1
    with at(date(2026, 11, 12)):
        tasks.report_submit(actor=cast.bajiao_liaison, task=task, narrative="本周完成管线铺设", percent=40)
    run(date(2026, 11, 16))  # reported within the last 7 days
    assert Reminder.objects.filter(task=task, kind=ReminderKind.LISTED_WEEKLY).count() == 1
    run(date(2026, 11, 23))
    assert Reminder.objects.filter(task=task, kind=ReminderKind.LISTED_WEEKLY).count() == 2


def test_a_task_nobody_can_be_told_about_does_not_stop_the_scan(make_task):
    from duban.tasks.models import Task

    lost = make_task(title="无人承接", assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    Task.objects.filter(pk=lost.pk).update(responsible_post=None, lead_unit=None)  # e.g. a unit merged away
    fine = make_task(title="正常任务", assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    assert run(date(2026, 10, 1)).counts == {"remind": 2}
    assert Notice.objects.filter(kind=NoticeKind.REMINDER, subject_id=str(fine.pk)).count() == 1
    assert not Notice.objects.filter(subject_id=str(lost.pk)).exclude(kind=NoticeKind.ASSIGNED).exists()

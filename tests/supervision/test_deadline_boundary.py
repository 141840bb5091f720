"""RL-04: due date D means D 23:59:59+08:00. The clock set (time-machine) to 23:59:59 and to
00:00:00 Beijing time decides on-time versus overdue, through the light (both computations: the
Python one and the database annotation the lists use, and the task page) and through the overdue
scan; and each reminder offset fires exactly once however often the scan runs around midnight."""

from datetime import date, datetime, time, timedelta

import pytest
import time_machine

from conftest import BEIJING
from duban.supervision import services
from duban.supervision.models import Listing, MissKind, Order, Proposal, Reminder, ReminderKind
from duban.supervision.scan import scan
from duban.tasks import lights
from duban.tasks.models import Light, Task

pytestmark = pytest.mark.django_db

DUE = date(2026, 9, 30)  # a Wednesday; 1–7 Oct is the National Day break (Sat 10 Oct worked)


def at_second(day: date, hh: int, mm: int, ss: int):
    return time_machine.travel(datetime.combine(day, time(hh, mm, ss), tzinfo=BEIJING), tick=False)


LAST_SECOND = (DUE, 23, 59, 59)  # 15:59:59 UTC
FIRST_SECOND = (DUE + timedelta(days=1), 0, 0, 0)  # 16:00:00 UTC, still 30 Sep in UTC


def _lights(task):
    row = Task.objects.annotate(light=lights.light_annotation()).get(pk=task.pk)
    return lights.light_for(Task.objects.get(pk=task.pk)), row.light


def test_the_light_is_on_time_at_23_59_59_and_overdue_at_00_00_00_beijing(make_task):
    task = make_task(assigned=date(2026, 9, 1), due=DUE)
    with at_second(*LAST_SECOND):
        assert lights.today() == DUE
        assert _lights(task) == (Light.YELLOW, Light.YELLOW)  # due today: close, not late
    with at_second(*FIRST_SECOND):
        assert lights.today() == DUE + timedelta(days=1)
        assert _lights(task) == (Light.RED, Light.RED)


def test_the_task_page_and_list_agree_at_the_boundary(make_task, cast, login):
    task = make_task(assigned=date(2026, 9, 1), due=DUE)
    with at_second(*LAST_SECOND):
        client = login(cast.supervisor)
        red = client.get("/tasks/list/", {"light": Light.RED})
        assert red.status_code == 200 and task.title not in red.content.decode()
    with at_second(*FIRST_SECOND):
        client = login(cast.supervisor)
        red = client.get("/tasks/list/", {"light": Light.RED})
        assert red.status_code == 200 and task.title in red.content.decode()


def test_the_overdue_scan_chases_nothing_at_23_59_59_and_the_miss_at_00_00_00(make_task):
    task = make_task(assigned=date(2026, 9, 1), due=DUE)
    with at_second(*LAST_SECOND):
        scan()
    assert not Reminder.objects.filter(task=task, kind=ReminderKind.LADDER).exists()
    with at_second(*FIRST_SECOND):
        scan()
    reminder = Reminder.objects.get(task=task, kind=ReminderKind.LADDER)
    assert (reminder.miss_kind, reminder.miss_date) == (MissKind.DUE, DUE)


def test_a_report_due_d_is_missed_only_from_00_00_00_on_d_plus_one(make_task):
    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 12, 31), next_report_due=DUE)
    with at_second(*LAST_SECOND):
        scan()
        assert lights.light_for(Task.objects.get(pk=task.pk)) == Light.GREEN
    assert not Reminder.objects.filter(task=task, miss_kind=MissKind.REPORT, kind=ReminderKind.LADDER).exists()
    with at_second(*FIRST_SECOND):
        scan()
        assert lights.light_for(Task.objects.get(pk=task.pk)) == Light.YELLOW
    assert Reminder.objects.filter(task=task, miss_kind=MissKind.REPORT, kind=ReminderKind.LADDER).count() == 1


def test_each_reminder_offset_fires_exactly_once_with_scans_around_every_midnight(make_task, cast):
    """From a week before D to past the last rung (问责建议, 20 working days after D), the scan
    runs at 00:00:00 and at 23:59:59 every day. Every offset fires once: the due-soon
    reminder, then 催办, 督办单, 挂牌督办, 问责建议 (the unit answers each 督办单 the day it comes, so
    the ladder climbs on the missed due date alone)."""
    task = make_task(assigned=date(2026, 9, 1), due=DUE)
    day = DUE - timedelta(days=7)
    while day <= date(2026, 11, 5):
        for hh, mm, ss in ((0, 0, 0), (23, 59, 59)):
            with at_second(day, hh, mm, ss):
                scan()
            if hh == 0:
                for order in Order.objects.filter(task=task, replied_at__isnull=True):
                    with at_second(day, 15, 0, 0):
                        services.order_reply(actor=cast.bajiao_liaison, order=order, text="已部署整改")
        day += timedelta(days=1)
    assert Reminder.objects.filter(task=task, kind=ReminderKind.DUE_SOON).count() == 1
    assert Reminder.objects.filter(task=task, kind=ReminderKind.LADDER, miss_kind=MissKind.DUE).count() == 1
    assert Order.objects.filter(task=task, miss_kind=MissKind.DUE).count() == 1
    assert Listing.objects.filter(task=task, miss_kind=MissKind.DUE).count() == 1
    assert Proposal.objects.filter(task=task, miss_kind=MissKind.DUE).count() == 1

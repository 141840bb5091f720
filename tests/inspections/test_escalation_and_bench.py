"""Overdue rectification is escalated by the supervision scan like any task; the planner's
province-scale benchmark command runs (on a small instance here)."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from duban.inspections import services
from duban.supervision.models import Order, Reminder
from duban.supervision.scan import scan
from duban.tasks import lights

from .helpers import make_round

pytestmark = pytest.mark.django_db


def test_an_overdue_rectification_task_is_escalated_by_the_supervision_scan(world):
    round_ = make_round(world)
    finding = services.finding_add(actor=world.supervisor, round_=round_, unit=world.bajiao, category="political",
                                   description="理论学习中心组学习流于形式")
    services.round_feedback(actor=world.supervisor, round_=round_)
    rect = services.rectification_create(actor=world.supervisor, finding=finding,
                                         due_date=lights.today() + timedelta(days=3))
    day = rect.task.due_date + timedelta(days=20)
    for n in range(5):  # the ladder climbs one rung per day
        with time_machine.travel(day + timedelta(days=n), tick=False):
            scan()
    assert Reminder.objects.filter(task=rect.task).exists()
    assert Order.objects.filter(task=rect.task).exists()


def test_the_benchmark_command_reports_rounds_against_the_bound_and_the_reason_when_too_small():
    out = StringIO()
    call_command("inspection_plan_bench", "--units", "600", "--inspectors", "40", "--teams", "10",
                 "--per-team", "5", "--rounds-per-year", "3", stdout=out)
    text = out.getvalue()
    assert "feasible: 600 units" in text and "feasible=True" in text and "rounds=12 lower_bound=12" in text
    assert "feasible=False" in text and "至少需要 12 轮,任期内只剩 10 轮" in text

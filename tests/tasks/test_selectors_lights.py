"""The status light computed in the database and in Python must agree, including around
midnight Beijing time (a due date D means the end of day D, +08:00)."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from duban.tasks import lights, selectors
from duban.tasks import services as svc
from duban.tasks.models import Light, Task, TaskStatus

S = TaskStatus
TODAY = date(2026, 3, 10)

# (status, due offset, next report offset, expected light) with the default 7 yellow days.
CASES = [
    (S.DRAFT, 30, None, Light.GREY),
    (S.DRAFT, -3, None, Light.GREY),
    (S.CANCELLED, -3, None, Light.GREY),
    (S.COMPLETED, -3, -9, Light.GREEN),
    (S.ASSIGNED, 30, None, Light.GREEN),
    (S.ASSIGNED, 8, None, Light.GREEN),
    (S.ASSIGNED, 7, None, Light.YELLOW),
    (S.ASSIGNED, 0, None, Light.YELLOW),
    (S.ASSIGNED, -1, None, Light.RED),
    (S.IN_PROGRESS, 30, 1, Light.GREEN),
    (S.IN_PROGRESS, 30, 0, Light.GREEN),  # due today is not late yet
    (S.IN_PROGRESS, 30, -1, Light.YELLOW),  # a report is overdue
    (S.IN_PROGRESS, -1, -1, Light.RED),
    (S.IN_PROGRESS, None, None, Light.GREEN),
    (S.IN_PROGRESS, None, -2, Light.YELLOW),
    (S.ACKNOWLEDGED, 3, 10, Light.YELLOW),
    (S.COMPLETION_REQUESTED, -5, None, Light.RED),
    (S.COMPLETION_REQUESTED, 20, None, Light.GREEN),
]


def _make(build, status, due, report):
    task = build.task(title=f"{status}-{due}-{report}")
    # Lights are a pure function of three columns; set them directly to reach every combination.
    Task.objects.filter(pk=task.pk).update(
        status=status, start_date=None,
        due_date=TODAY + timedelta(days=due) if due is not None else None,
        next_report_due=TODAY + timedelta(days=report) if report is not None else None,
    )
    return Task.objects.get(pk=task.pk)


def test_database_and_python_lights_agree_over_every_case(build):
    made = [(_make(build, *case[:3]), case[3]) for case in CASES]
    annotated = dict(selectors.with_light(Task.objects.all(), TODAY).values_list("pk", "light"))
    for task, expected in made:
        assert lights.light_for(task, TODAY) == expected, (task.title, expected)
        assert annotated[task.pk] == expected, (task.title, expected)
    # Filtering by light (without the annotation) picks the same rows.
    for light in Light.values:
        by_filter = set(Task.objects.filter(lights.light_q(light, TODAY)).values_list("pk", flat=True))
        assert by_filter == {pk for pk, value in annotated.items() if value == light}, light


def test_the_yellow_window_is_a_database_setting(build):
    task = _make(build, S.ASSIGNED, 10, None)
    assert lights.light_for(task, TODAY) == Light.GREEN
    svc.policy_update(actor=build.cast.supervisor, yellow_days=10, report_todo_days=3)
    assert lights.light_for(task, TODAY) == Light.YELLOW
    assert selectors.with_light(Task.objects.filter(pk=task.pk), TODAY).get().light == Light.YELLOW


@pytest.mark.parametrize(("utc", "expected"), [
    (datetime(2026, 3, 10, 15, 59, 59, tzinfo=UTC), Light.YELLOW),  # 23:59:59 in Beijing
    (datetime(2026, 3, 10, 16, 0, 0, tzinfo=UTC), Light.RED),  # 00:00 the next day
    (datetime(2026, 3, 9, 23, 0, 0, tzinfo=UTC), Light.YELLOW),  # 07:00 on the due day
])
def test_a_due_date_ends_at_midnight_beijing_time(build, utc, expected):
    task = _make(build, S.IN_PROGRESS, 0, None)  # due 2026-03-10
    with time_machine.travel(utc, tick=False):
        assert lights.today() == (utc + timedelta(hours=8)).date()
        assert lights.light_for(task) == expected
        qs = selectors.task_list(build.cast.supervisor, {})
        assert qs.get(pk=task.pk).light == expected
        assert qs.filter(pk=task.pk, light=expected).exists()


def test_lists_sort_and_filter_by_light(build):
    red = _make(build, S.IN_PROGRESS, -2, None)
    yellow = _make(build, S.IN_PROGRESS, 2, None)
    green = _make(build, S.IN_PROGRESS, 40, None)
    grey = _make(build, S.CANCELLED, 40, None)
    with time_machine.travel(datetime(2026, 3, 10, 4, 0, tzinfo=UTC), tick=False):
        ordered = list(selectors.task_list(build.cast.supervisor, {"sort": "light"}).values_list("pk", flat=True))
        assert ordered == [red.pk, yellow.pk, green.pk, grey.pk]
        reds = selectors.task_list(build.cast.supervisor, {"light": "red"})
        assert list(reds.values_list("pk", flat=True)) == [red.pk]
        assert not selectors.task_list(build.cast.supervisor, {"light": "purple"}).exists()


def test_next_report_dates_follow_the_cycle():
    d = date(2026, 1, 31)
    assert lights.next_report_date("weekly", d) == date(2026, 2, 7)
    assert lights.next_report_date("half_monthly", d) == date(2026, 2, 15)
    assert lights.next_report_date("monthly", d) == date(2026, 2, 28)
    assert lights.next_report_date("quarterly", d) == date(2026, 4, 30)
    assert lights.next_report_date("none", d) is None

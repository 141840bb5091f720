"""The status light (亮灯) and reporting deadlines.

A due date D means the end of day D in Beijing: a task due today is not late until tomorrow,
Beijing time. "Today" is therefore always the Asia/Shanghai date, whatever the server's clock
zone. The light is computed two ways that must agree (tests check a table of cases):

* ``light_annotation(today)``: a Case/When over plain columns (status, due_date,
  next_report_due), so lists filter and sort by light in the database at any scale;
* ``light_for(task, today)``: the same rules in Python for one task.

The services keep ``next_report_due`` up to date, which is what keeps the light a pure column
expression.
"""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from django.db.models import Case, CharField, IntegerField, Q, Value, When
from django.utils import timezone

from duban.tasks.models import CLOSED_STATUSES, Light, ReportCycle, TaskPolicy, TaskStatus

BEIJING = ZoneInfo("Asia/Shanghai")

# Sort order of lights: the most urgent first.
RANK = {Light.RED: 0, Light.YELLOW: 1, Light.GREEN: 2, Light.GREY: 3}


def today() -> date:
    return timezone.localtime(timezone.now(), BEIJING).date()


def next_report_date(cycle: str, after: date) -> date | None:
    """The next report deadline for a cycle, counted from ``after`` (the last report or the
    start of work). Months are calendar months: a monthly report after 31 Jan is due 28/29 Feb."""
    if cycle == ReportCycle.WEEKLY:
        return after + timedelta(days=7)
    if cycle == ReportCycle.HALF_MONTHLY:
        return after + timedelta(days=15)
    if cycle == ReportCycle.MONTHLY:
        return after + relativedelta(months=1)
    if cycle == ReportCycle.QUARTERLY:
        return after + relativedelta(months=3)
    return None


def yellow_days() -> int:
    return TaskPolicy.current().yellow_days


def light_for(task, today: date | None = None, *, warn_days: int | None = None) -> str:
    today = today or globals()["today"]()
    warn_days = yellow_days() if warn_days is None else warn_days
    if task.status == TaskStatus.COMPLETED:
        return Light.GREEN
    if task.status in (TaskStatus.CANCELLED, TaskStatus.DRAFT):
        return Light.GREY
    if task.due_date is not None and task.due_date < today:
        return Light.RED
    if task.due_date is not None and task.due_date <= today + timedelta(days=warn_days):
        return Light.YELLOW
    if task.next_report_due is not None and task.next_report_due < today:
        return Light.YELLOW
    return Light.GREEN


def _conditions(today: date, warn_days: int):
    return [
        (Q(status=TaskStatus.COMPLETED), Light.GREEN),
        (Q(status__in=[TaskStatus.CANCELLED, TaskStatus.DRAFT]), Light.GREY),
        (Q(due_date__lt=today), Light.RED),
        (Q(due_date__lte=today + timedelta(days=warn_days)), Light.YELLOW),
        (Q(next_report_due__lt=today), Light.YELLOW),
    ]


def light_annotation(today: date | None = None, *, warn_days: int | None = None) -> Case:
    """The light as a database expression ("green", "yellow", "red", "grey")."""
    today = today or globals()["today"]()
    warn_days = yellow_days() if warn_days is None else warn_days
    return Case(*[When(q, then=Value(str(light))) for q, light in _conditions(today, warn_days)],
                default=Value(str(Light.GREEN)), output_field=CharField())


def light_rank_annotation(today: date | None = None, *, warn_days: int | None = None) -> Case:
    """The light's urgency as an integer (red 0 … grey 3) for sorting."""
    today = today or globals()["today"]()
    warn_days = yellow_days() if warn_days is None else warn_days
    return Case(*[When(q, then=Value(RANK[light])) for q, light in _conditions(today, warn_days)],
                default=Value(RANK[Light.GREEN]), output_field=IntegerField())


def light_q(light: str, today: date | None = None, *, warn_days: int | None = None) -> Q:
    """A filter for one light without the annotation (so it can use the due_date index). Each
    light is spelled out positively: negating the Case's conditions would drop NULL dates."""
    today = today or globals()["today"]()
    warn_days = yellow_days() if warn_days is None else warn_days
    working = ~Q(status__in=[*CLOSED_STATUSES, TaskStatus.DRAFT])
    not_red = Q(due_date__isnull=True) | Q(due_date__gte=today)
    soon = Q(due_date__lte=today + timedelta(days=warn_days))
    report_late = Q(next_report_due__lt=today)
    if light == Light.GREY:
        return Q(status__in=[TaskStatus.CANCELLED, TaskStatus.DRAFT])
    if light == Light.RED:
        return working & Q(due_date__lt=today)
    if light == Light.YELLOW:
        return working & not_red & (soon | report_late)
    if light == Light.GREEN:
        calm = (Q(due_date__isnull=True) | Q(due_date__gt=today + timedelta(days=warn_days))) & (
            Q(next_report_due__isnull=True) | Q(next_report_due__gte=today))
        return Q(status=TaskStatus.COMPLETED) | (working & calm)
    return Q(pk__in=[])

"""Working days by the official Chinese calendar (国务院办公厅 holiday arrangements).

A pure calendar module in core, so that every app (tasks for the reply deadline of a 批示,
supervision for its rules) counts working days the same way; duban.supervision.workdays
re-exports it.

Holidays and the adjusted working weekends (调休) come from the ``chinese-calendar`` package.
For a year the package does not cover yet (the State Council publishes the next year's
arrangement in the autumn; the package follows with a release), the fallback counts Monday to
Friday as working days, logs a warning once per year and the rules page shows it
(``uncovered_years``). Due dates stay calendar dates; only the supervision rules count working
days.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

# The logger keeps the name it had when this module lived in duban.supervision (log filters use it).
log = logging.getLogger("duban.supervision.workdays")

# How far add_workdays walks before it gives up: no real arrangement has more than ~10
# consecutive days off, so a year of non-working days means a broken calendar, not a holiday.
MAX_WALK = 366


@lru_cache(maxsize=64)
def year_covered(year: int) -> bool:
    """Whether the official calendar knows this year's holidays."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        log.warning("chinese-calendar has no holiday data for %s: counting Monday–Friday as working days", year)
        return False
    return True


def uncovered_years(start: date, end: date) -> list[int]:
    """The years between start and end (inclusive) that fall back to weekends only."""
    return [year for year in range(start.year, end.year + 1) if not year_covered(year)]


@lru_cache(maxsize=8192)
def is_workday(day: date) -> bool:
    if year_covered(day.year):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


def add_workdays(start: date, n: int) -> date:
    """The n-th working day after ``start`` (n ≥ 0; n = 0 is ``start`` itself, or the next
    working day if ``start`` is not one). Negative n counts backwards to the n-th working day
    before ``start``."""
    day = start
    if n == 0:
        for _step in range(MAX_WALK):
            if is_workday(day):
                return day
            day += timedelta(days=1)
        raise ValueError("no working day within a year")
    step = timedelta(days=1 if n > 0 else -1)
    left = abs(n)
    for _step in range(MAX_WALK * (left // 200 + 1) + left * 2):
        day += step
        if is_workday(day):
            left -= 1
            if left == 0:
                return day
    raise ValueError("no working day within a year")


def workdays_between(start: date, end: date) -> int:
    """Working days in the half-open span (start, end]: how many working days have passed
    since ``start`` by the end of ``end``. Negative when end is before start."""
    if end < start:
        return -workdays_between(end, start)
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        if is_workday(day):
            count += 1
        day += timedelta(days=1)
    return count


def latest_missed_by(today: date, n: int) -> date:
    """The latest deadline D for which at least ``n`` working days have passed after D by the end
    of ``today`` (and D < today). A set-based scan filters ``deadline <= latest_missed_by(...)``
    instead of computing working days per row."""
    day = today
    counted = 0
    while counted < n:
        if is_workday(day):
            counted += 1
        day -= timedelta(days=1)
    return min(day, today - timedelta(days=1))

"""Working days by the official calendar: holidays, adjusted working weekends, and the fallback."""

import logging
from datetime import date

from duban.supervision import workdays
from duban.supervision.workdays import add_workdays, is_workday, latest_missed_by, workdays_between


def test_national_day_2026_is_seven_days_off_with_two_working_weekend_days():
    assert [is_workday(date(2026, 10, d)) for d in range(1, 8)] == [False] * 7
    assert is_workday(date(2026, 9, 20))  # Sunday, adjusted working day
    assert is_workday(date(2026, 10, 10))  # Saturday, adjusted working day
    assert not is_workday(date(2026, 10, 11))


def test_adding_working_days_jumps_over_national_day():
    assert add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert add_workdays(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert add_workdays(date(2026, 10, 8), -1) == date(2026, 9, 30)
    assert add_workdays(date(2026, 10, 3), 0) == date(2026, 10, 8)


def test_adding_working_days_jumps_over_spring_festival_and_counts_its_saturdays():
    assert add_workdays(date(2026, 2, 13), 1) == date(2026, 2, 14)  # Saturday, adjusted working day
    assert add_workdays(date(2026, 2, 14), 1) == date(2026, 2, 24)
    assert add_workdays(date(2026, 2, 27), 1) == date(2026, 2, 28)  # Saturday, adjusted working day


def test_working_days_between_count_the_half_open_span():
    assert workdays_between(date(2026, 9, 30), date(2026, 10, 8)) == 1
    assert workdays_between(date(2026, 9, 30), date(2026, 10, 7)) == 0
    assert workdays_between(date(2026, 10, 8), date(2026, 9, 30)) == -1
    assert workdays_between(date(2026, 2, 13), date(2026, 2, 25)) == 3


def test_the_latest_missed_deadline_is_found_by_walking_back_over_holidays():
    # On 10 Oct 2026 three working days (8, 9, 10 Oct) have passed after any deadline up to 7 Oct
    # (the holiday days count as the day before 8 Oct); on 9 Oct only deadlines up to 29 Sep.
    assert latest_missed_by(date(2026, 10, 10), 3) == date(2026, 10, 7)
    assert latest_missed_by(date(2026, 10, 9), 3) == date(2026, 9, 29)
    assert latest_missed_by(date(2026, 10, 5), 0) == date(2026, 10, 4)


def test_a_year_without_official_data_falls_back_to_weekdays_and_warns(caplog):
    workdays.year_covered.cache_clear()
    workdays.is_workday.cache_clear()
    with caplog.at_level(logging.WARNING, logger="duban.supervision.workdays"):
        assert not workdays.year_covered(2031)
        assert is_workday(date(2031, 1, 1))  # a Wednesday; the real holiday is unknown to the fallback
        assert not is_workday(date(2031, 1, 4))  # Saturday
    assert "2031" in caplog.text
    assert workdays.uncovered_years(date(2026, 12, 1), date(2031, 1, 1)) == [2027, 2028, 2029, 2030, 2031]
    assert add_workdays(date(2031, 1, 3), 1) == date(2031, 1, 6)  # Friday → Monday

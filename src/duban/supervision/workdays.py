"""Working days by the official Chinese calendar: the pure calendar module lives in
duban.core.workdays (tasks counts the reply deadline of a 批示 with it and may not import
supervision); re-exported here so supervision's code and tests keep ``supervision.workdays``."""

from duban.core.workdays import (  # noqa: F401
    MAX_WALK,
    add_workdays,
    is_workday,
    latest_missed_by,
    log,
    uncovered_years,
    workdays_between,
    year_covered,
)

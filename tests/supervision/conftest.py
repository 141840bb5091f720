"""Helpers of the supervision tests: tasks created, assigned and acknowledged on a given day."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

BEIJING = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int = 10, minute: int = 0):
    """time_machine traveller to ``day`` at ``hour`` Beijing time."""
    return time_machine.travel(datetime.combine(day, time(hour, minute), tzinfo=BEIJING), tick=False)


@pytest.fixture
def make_task(cast):
    from duban.tasks import services as tasks

    def make(*, title="修建通村公路", assigned: date, due: date, acknowledge: bool = True, category=None,
             next_report_due: date | None = None):
        with at(assigned, 9):
            task = tasks.task_create(actor=cast.supervisor, title=title, lead_unit=cast.bajiao, start_date=assigned,
                                     due_date=due, responsible_post=cast.post_bajiao, category=category,
                                     reporting_cycle="none")
            tasks.task_assign(actor=cast.supervisor, task=task)
            if acknowledge:
                tasks.task_acknowledge(actor=cast.bajiao_liaison, task=task)
        if next_report_due is not None:
            from duban.tasks.models import Task

            # The report deadline as the services would have set it after a report cycle.
            Task.objects.filter(pk=task.pk).update(next_report_due=next_report_due)
        task.refresh_from_db()
        return task

    return make

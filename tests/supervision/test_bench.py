"""The supervision bench at small scale: figures printed, the rescan does nothing."""

from datetime import date, timedelta

import pytest

from conftest import at
from duban.bench import supervision as bench
from duban.tasks.models import Task, TaskStatus

pytestmark = pytest.mark.django_db


def _seed(cast, n: int, today: date) -> None:
    """n tasks written directly (as the bench data set is): a third overdue, a third due soon."""
    statuses = [TaskStatus.IN_PROGRESS, TaskStatus.ACKNOWLEDGED, TaskStatus.COMPLETED]
    rows = []
    for i in range(n):
        due = today + timedelta(days=(i % 3 - 1) * 40 + 1)
        rows.append(Task(path=f"{i + 1:04X}", depth=1, numchild=0, title=f"基准任务{i}", lead_unit=cast.bajiao,
                         responsible_post=cast.post_bajiao, status=statuses[i % 3], start_date=due - timedelta(days=90),
                         due_date=due, next_report_due=today + timedelta(days=i % 20 - 10)))
    Task.objects.bulk_create(rows)


def test_the_bench_measures_a_full_scan_and_an_idempotent_rescan(cast, capsys):
    today = date(2026, 11, 16)
    _seed(cast, 60, today)
    with at(today):
        figures = bench.measure()
    out = capsys.readouterr().out
    assert figures["tasks"] == 60 and figures["open_tasks"] == 40
    assert figures["first_actions"] > 0 and figures["first_notices"] > 0
    assert figures["first_counts"]["remind"] > 0 and "order" not in figures["first_counts"]  # one rung per day
    assert figures["rescan_actions"] == 0 and figures["rescan_notices"] == 0
    assert "first full scan" in out and "idempotent rescan" in out
    with at(today):
        again = bench.measure(quiet=True)  # reset first: the same figures again
    assert again["first_actions"] == figures["first_actions"]

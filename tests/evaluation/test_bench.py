"""The evaluation bench runs end to end on a small world (the province figures come from make bench)."""

import pytest

from duban.bench import evaluation as bench

pytestmark = pytest.mark.django_db


def test_the_bench_evaluates_every_category_twice_with_the_same_hash_and_times_the_endpoints(cast, capsys):
    figures = bench.measure({"supervisor_id": cast.supervisor.pk, "township_liaison_id": cast.bajiao_liaison.pk},
                            repeat=1)
    assert figures["township"]["units"] == 2 and figures["village"]["units"] == 2
    assert figures["department"]["units"] == 1  # 市委办公室; the city itself is not evaluated
    assert all(f["same"] for f in figures.values())
    out = capsys.readouterr().out
    assert "dashboard data units: township liaison" in out and "p95" in out

"""The evaluation and the dashboard at scale: computing every unit's score sheet (township and
department categories, every record-based item), the same computation again (it must give the
same SHA-256), and the p50/p95 of the dashboard's data endpoints for the city (the 督查室's global
scope) and for one township (its liaison).

Goal on the province data set (20,000 units, 1,000,000 tasks, PostgreSQL, 2 cores): all units
evaluated in under 30 s.

``measure(dataset, repeat)`` is called by ``make bench`` (duban.bench.measure.run); alone:
    python -m duban.bench.evaluation [--scale 1.0] [--repeat 20] [--database-url postgres://…/duban_bench]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

YEAR = 2026
ITEMS = [
    {"source": "completion", "name": "任务完成率", "weight": "30"},
    {"source": "on_time", "name": "按时完成率", "weight": "20"},
    {"source": "report_late", "name": "进展报送及时", "weight": "10", "param": "0.5"},
    {"source": "red_days", "name": "红灯天数", "weight": "10", "param": "0.05"},
    {"source": "orders", "name": "督办单", "weight": "10", "param": "1"},
    {"source": "listings", "name": "挂牌督办", "weight": "5", "param": "2"},
    {"source": "rectification", "name": "整改完成", "weight": "5"},
    {"source": "rating", "name": "领导评价", "weight": "10"},
    {"source": "bonus", "name": "加分", "weight": "5"},
    {"source": "accountability", "name": "问责扣分", "weight": "10"},
]
DATASETS = ("overview", "units", "categories", "completion", "ranking", "commitments")


def _scheme(actor, category: str):
    """The bench's scheme of a category (reused while its evaluation is a draft)."""
    from duban.evaluation import services
    from duban.evaluation.models import EvalStatus, Scheme

    scheme = Scheme.objects.filter(year=YEAR, category=category).order_by("-version").first()
    if scheme is None:
        return services.scheme_create(actor=actor, name=f"基准测试方案({category})", year=YEAR, category=category,
                                      items=ITEMS)
    evaluation = getattr(scheme, "evaluation", None)
    if evaluation is not None and evaluation.status != EvalStatus.DRAFT:
        return services.scheme_new_version(actor=actor, scheme=scheme, name=scheme.name, grade_method=scheme.grade_method,
                                           excellent=scheme.excellent, good=scheme.good, fair=scheme.fair, items=ITEMS)
    return scheme


def measure(dataset: dict, repeat: int = 20) -> dict:
    from django.db import connection

    from duban.accounts.models import User
    from duban.bench.measure import _client_for, _row, _time_requests
    from duban.evaluation import services
    from duban.evaluation.models import UnitCategory
    from duban.tasks import lights

    supervisor = User.objects.get(pk=dataset["supervisor_id"])
    as_of = min(lights.today(), __import__("datetime").date(YEAR, 12, 31))
    figures = {}
    print(f"\nevaluation ({connection.settings_dict['NAME']}, year {YEAR}, as of {as_of})")
    for category in (UnitCategory.TOWNSHIP, UnitCategory.DEPARTMENT, UnitCategory.VILLAGE):
        scheme = _scheme(supervisor, category)
        t0 = time.perf_counter()
        evaluation = services.evaluation_compute(actor=supervisor, scheme=scheme, as_of=as_of)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = services.evaluation_compute(actor=supervisor, scheme=scheme, as_of=as_of)
        second = time.perf_counter() - t0
        units = evaluation.scores.count()
        same = "same" if again.sha256 == evaluation.sha256 else "DIFFERENT"
        print(f"  {category.label}: {units:,} units, compute {first:.1f} s, again {second:.1f} s "
              f"({same} sha256 {evaluation.sha256[:16]}…)")
        figures[category] = {"units": units, "seconds": first, "again": second, "same": same == "same"}
    total = sum(f["seconds"] for f in figures.values())
    print(f"  all evaluated units: {sum(f['units'] for f in figures.values()):,} in {total:.1f} s (goal < 30 s)")

    from django.urls import reverse

    city = _client_for(dataset["supervisor_id"])
    township = _client_for(dataset["township_liaison_id"])
    for name in DATASETS:
        url = reverse("dashboard:data", args=[name])
        _row(f"dashboard data {name}: city (督查室)", _time_requests(city, [url], repeat))
        _row(f"dashboard data {name}: township liaison", _time_requests(township, [url], repeat))
    _row("dashboard page: city (督查室)", _time_requests(city, [reverse("dashboard:index")], repeat))
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m duban.bench.evaluation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=float(os.environ.get("DUBAN_BENCH_SCALE", "1.0")))
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database-url", default=os.environ.get(
        "DUBAN_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/duban_bench"))
    args = parser.parse_args(argv)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DUBAN_ENV", "development")
    os.environ["DUBAN_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.settings")
    os.environ.setdefault("DUBAN_DATA_DIR", os.path.join(os.getcwd(), "var", "bench"))
    from duban.bench import generate

    generate.ensure_database(args.database_url)
    import django

    django.setup()
    dataset = generate.ensure_dataset(scale=args.scale)
    measure(dataset, repeat=args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())

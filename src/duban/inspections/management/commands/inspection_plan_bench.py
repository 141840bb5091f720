"""duban inspection_plan_bench [--units 20000] [--inspectors 500] ...

The coverage planner at province scale on a synthetic instance (no database): units, an
inspector pool, conflict pairs (each inspector: a few units worked in, a relative's unit), a
five-year term. Prints the time and the number of rounds proposed against the lower bound, for
a feasible capacity and for one too small (the reason is printed)."""

import random
import time

from django.core.management.base import BaseCommand

from duban.inspections import planner


def run(*, units: int, inspectors: int, conflicts_per_inspector: int, teams: int, per_team: int, members: int,
        rounds_per_year: int, years: int, seed: int = 1) -> planner.Plan:
    rng = random.Random(seed)
    unit_names = {i: f"单位{i}" for i in range(1, units + 1)}
    people = {i: f"干部{i}" for i in range(1, inspectors + 1)}
    pairs = {(p, rng.randint(1, units)) for p in people for _k in range(conflicts_per_inspector)}
    return planner.plan(units=unit_names, inspectors=people, conflicts=pairs,
                        rounds_available=rounds_per_year * years,
                        capacity=planner.Capacity(units_per_team=per_team, teams_per_round=teams,
                                                  rounds_per_year=rounds_per_year, members_per_team=members))


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, default=20000)
        parser.add_argument("--inspectors", type=int, default=500)
        parser.add_argument("--conflicts", type=int, default=5, help="conflict pairs per inspector")
        parser.add_argument("--teams", type=int, default=120)
        parser.add_argument("--per-team", type=int, default=15)
        parser.add_argument("--members", type=int, default=3)
        parser.add_argument("--rounds-per-year", type=int, default=3)
        parser.add_argument("--years", type=int, default=5)

    def handle(self, *args, **o):
        base = {"units": o["units"], "inspectors": o["inspectors"], "conflicts_per_inspector": o["conflicts"],
                "teams": o["teams"], "per_team": o["per_team"], "members": o["members"], "years": o["years"]}
        for label, rpy in (("feasible", o["rounds_per_year"]), ("too small", max(o["rounds_per_year"] - 1, 1))):
            started = time.perf_counter()
            result = run(**base, rounds_per_year=rpy)
            seconds = time.perf_counter() - started
            self.stdout.write(
                f"{label}: {o['units']} units, {o['inspectors']} inspectors, {o['teams']}×{o['per_team']} per round, "
                f"{rpy}/year × {o['years']} years → feasible={result.feasible} method={result.method} "
                f"rounds={result.round_count} lower_bound={result.lower_bound} "
                f"available={result.rounds_available} time={seconds:.2f}s")
            for reason in result.reasons:
                self.stdout.write(f"  reason: {reason}")

"""duban evaluate --year 2026 [--scheme ID] [--category township]: compute the score sheets."""

from __future__ import annotations

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from duban.evaluation import services
from duban.evaluation.models import Scheme


class Command(BaseCommand):
    help = "Compute the evaluation score sheets of a year (every scheme's latest version, or one scheme)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--scheme", type=int, help="the id of one scheme version")
        parser.add_argument("--category", help="township, department or village")

    def handle(self, *args, year, scheme=None, category=None, **options):
        qs = Scheme.objects.filter(year=year)
        if scheme is not None:
            qs = qs.filter(pk=scheme)
            if not qs.exists():
                raise CommandError(f"no scheme {scheme} for {year}")
        else:
            if category:
                qs = qs.filter(category=category)
            latest = {}
            for s in qs.order_by("category", "version"):
                latest[s.category] = s
            qs = list(latest.values())
        if not qs:
            raise CommandError(f"no evaluation scheme for {year}")
        failed = False
        for s in qs:
            started = time.perf_counter()
            try:
                evaluation = services.evaluation_compute(actor=None, scheme=s)
            except ValidationError as exc:
                failed = True
                self.stderr.write(f"{s}: {' '.join(exc.messages)}")
                continue
            self.stdout.write(f"{s.name} v{s.version} ({s.get_category_display()}): {evaluation.scores.count()} units, "
                              f"revision {evaluation.revision}, sha256 {evaluation.sha256}, "
                              f"{time.perf_counter() - started:.2f} s")
        if failed:
            raise CommandError("some schemes were not computed")

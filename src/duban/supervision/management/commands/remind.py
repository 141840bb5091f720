"""`duban remind`: run the supervision scan now; `--dry-run` lists what it would do."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from duban.supervision.scan import STEP_LABEL, scan


class Command(BaseCommand):
    help = "Evaluate every open task against the supervision rules (reminders, 催办, 督办单, 挂牌督办, 问责建议)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list what would be done, change nothing")
        parser.add_argument("--date", help="evaluate as of this date (YYYY-MM-DD) instead of today in Beijing")

    def handle(self, *args, dry_run=False, date=None, **options):
        today = None
        if date:
            try:
                today = _parse(date)
            except ValueError as exc:
                raise CommandError(f"--date must be YYYY-MM-DD, got {date!r}") from exc
        result = scan(today, dry_run=dry_run)
        for year in result.uncovered_years:
            self.stderr.write(f"warning: no official holiday calendar for {year}; counting Monday–Friday only")
        done = ", ".join(f"{STEP_LABEL[k]} {v}" for k, v in result.counts.items()) or "nothing due"
        if dry_run:
            for planned in result.planned:
                self.stdout.write(planned.describe())
            self.stdout.write(f"dry run {result.today}: would do {result.total} actions ({done})")
        else:
            self.stdout.write(f"scan {result.today}: {result.total} actions ({done}); {result.notices} notices")


def _parse(value: str):
    return date.fromisoformat(value)

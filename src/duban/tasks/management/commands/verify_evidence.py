"""duban verify-evidence: re-check the SHA-256 of every stored evidence file (FU-04 scrub).

Lists each file that is missing or no longer matches its digest and exits with status 1 if
there is any, so a cron job or a restore procedure can act on it. Also lists stored files that
no row names (left by a crash between storing and committing) with --orphans.
"""

from django.core.management.base import BaseCommand, CommandError

from duban.tasks import evidence
from duban.tasks.models import Evidence


class Command(BaseCommand):
    help = "Re-check the SHA-256 of every stored evidence file; exit 1 on any mismatch."

    def add_arguments(self, parser):
        parser.add_argument("--orphans", action="store_true", help="also list stored files no row refers to")

    def handle(self, *args, orphans=False, **options):
        bad = evidence.scrub()
        for row in Evidence.objects.filter(pk__in=bad).order_by("pk"):
            self.stdout.write(f"MISMATCH evidence={row.pk} task={row.task_id} {row.storage_name} {row.original_name}")
        if orphans:
            for name in evidence.orphans():
                self.stdout.write(f"ORPHAN {name}")
        total = Evidence.objects.count()
        if bad:
            raise CommandError(f"{len(bad)} of {total} evidence files are missing or altered")
        self.stdout.write(f"ok: {total} evidence files match their digests")

"""`duban audit-archive`: archive and purge audit entries past the retention period (AU-06).

    duban audit-archive               # what the daily job does (DUBAN_AUDIT_RETENTION_MONTHS)
    duban audit-archive --dry-run     # say what would be archived
    duban audit-archive --verify FILE # check an archive file's MACs and links on its own
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from duban.core import audit_archive
from duban.core.models import AuditEntry


class Command(BaseCommand):
    help = "Archive (gzip JSON lines, verified) and purge audit entries older than the retention period."

    def add_arguments(self, parser):
        parser.add_argument("--verify", type=Path, default=None, metavar="FILE")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument("--max-rows", type=int, default=200_000, help="entries per archive file")

    def handle(self, *args, verify=None, dry_run=False, max_rows=200_000, **options):
        if verify is not None:
            check = audit_archive.verify_archive(verify)
            if not check.ok:
                raise CommandError(f"archive BROKEN: {check.reason}", returncode=2)
            self.stdout.write(f"{verify}: entries {check.from_seq}..{check.to_seq} ({check.count}) intact")
            return
        limit = audit_archive.cutoff()
        start, _prev = audit_archive.chain_start()
        if dry_run:
            older = AuditEntry.objects.filter(created_at__lt=limit).count()
            self.stdout.write(f"retention cut-off {limit.isoformat()}: {older} entries older; chain starts at {start}")
            return
        total = 0
        while True:
            result = audit_archive.archive_and_purge(max_rows=max_rows)
            if not result.purged:
                break
            total += result.purged
            self.stdout.write(f"archived and purged {result.from_seq}..{result.to_seq} ({result.purged}) "
                              f"→ {result.path} sha256 {result.sha256}")
        self.stdout.write(f"{total} entries archived and purged (cut-off {limit.isoformat()})")

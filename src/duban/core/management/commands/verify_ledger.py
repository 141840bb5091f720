"""`duban verify-ledger`: walk the audit chain and say whether it is intact (AU-05).

Exit status 0 means every entry's MAC, link and sequence number check out and the ledger head
names the last entry; anything else exits 2 and names the first bad entry, so a cron job or
monitoring probe can alert on it."""

from django.core.management.base import BaseCommand, CommandError

from duban.core import ledger


class Command(BaseCommand):
    help = "Verify the hash chain of the audit ledger; exit non-zero and name the first bad entry if broken."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=5000, help="entries read per query (default 5000)")

    def handle(self, *args, batch=5000, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        result = ledger.verify(batch=batch)
        self.stdout.write(f"checked {result.checked} entries")
        if result.ok:
            self.stdout.write(self.style.SUCCESS("ledger intact"))
            return
        where = f"seq={result.first_bad_seq}"
        if result.first_bad_id is not None:
            where += f" id={result.first_bad_id}"
        raise CommandError(f"ledger BROKEN at first bad entry {where}: {result.reason}", returncode=2)

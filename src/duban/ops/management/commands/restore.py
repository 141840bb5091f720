"""`duban restore FILE`: replace this instance's database and media files with a backup (BR-01/02).

Stop the web and worker services first (`systemctl stop duban-web duban-worker`). The archive is
checked completely before anything is touched — signature, instance, schema version, every
digest — and a damaged or foreign backup is refused (exit 1) with the database untouched. By
default the target must be empty (a fresh `duban migrate`d instance); `--force` replaces a
database that holds data and moves the old MEDIA_ROOT aside. The restore is recorded as a
`backup_restored` ledger entry naming the operator."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from duban.ops import backup


class Command(BaseCommand):
    help = "Restore a duban backup (refuses damaged, foreign or other-schema backups)."

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument("--force", action="store_true",
                            help="replace a database that holds data (MEDIA_ROOT is moved aside, not deleted)")
        parser.add_argument("--operator", default=None, help="who runs the restore (recorded; default: the OS user)")

    def handle(self, *args, archive, force=False, operator=None, **options):
        try:
            result = backup.restore(archive, force=force, operator=operator)
        except backup.BackupRefused as exc:
            raise CommandError(f"restore REFUSED, nothing changed: {exc}") from exc
        except backup.BackupError as exc:
            raise CommandError(f"restore FAILED: {exc}") from exc
        m = result.manifest
        self.stdout.write(f"restored {archive} (made {m['created_at']}, app {m['app_version']})")
        self.stdout.write(f"  {len(m['tables'])} tables with the manifest's row counts, {len(m['files'])} files, "
                          f"ledger verified ({result.ledger_checked} entries)")
        if result.media_moved_aside:
            self.stdout.write(f"  the previous media files are in {result.media_moved_aside}; delete them when satisfied")
        self.stdout.write(self.style.SUCCESS(f"restore done in {result.seconds:.1f} s"))

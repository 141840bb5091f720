"""`duban backup`: database dump + media files + signed manifest in one tar file (BR-01).

    duban backup                       # into DUBAN_BACKUP_DIR (default DATA_DIR/backups)
    duban backup --dir /srv/backups --keep 14
    duban backup --verify FILE         # same as `duban verify-backup FILE`

Exit 0 and print the file's path on success; exit 1 with the reason otherwise."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from duban.ops import backup


class Command(BaseCommand):
    help = "Back up the database (SQLite online backup / pg_dump custom format) and the media files with a manifest."

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=None, help="where to write (default DATA_DIR/backups)")
        parser.add_argument("--keep", type=int, default=0, help="afterwards keep only the newest N backups (0: all)")
        parser.add_argument("--verify", type=Path, default=None, metavar="FILE",
                            help="do not back up: restore FILE into a scratch database and verify it")
        parser.add_argument("--verify-after", action="store_true", help="verify the new backup right away")

    def handle(self, *args, dir=None, keep=0, verify=None, verify_after=False, **options):
        if verify is not None:
            from duban.ops.management.commands.verify_backup import run_verify

            run_verify(self, verify)
            return
        if keep < 0:
            raise CommandError("--keep must be 0 or more")
        try:
            result = backup.create(dir)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        m = result.manifest
        self.stdout.write(f"backup written: {result.path}")
        self.stdout.write(f"  {m['vendor']}, {len(m['tables'])} tables, {sum(m['tables'].values())} rows, "
                          f"{len(m['files'])} files, ledger seq {m['ledger_head']['seq']}, "
                          f"{result.path.stat().st_size} bytes in {result.seconds:.1f} s")
        if keep:
            for path in backup.prune(result.path.parent, keep):
                self.stdout.write(f"  removed old backup {path.name}")
        if verify_after:
            from duban.ops.management.commands.verify_backup import run_verify

            run_verify(self, result.path)

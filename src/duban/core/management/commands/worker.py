import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from duban.core import jobs, uploads


class Command(BaseCommand):
    help = "Run duban's background jobs (reminders, scans, clean-up) in a loop."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run the due jobs once and exit")
        parser.add_argument("--interval", type=int, default=settings.DUBAN_WORKER_POLL_SECONDS)

    def handle(self, *args, once=False, interval=30, **options):
        jobs.autodiscover()
        removed = uploads.remove_stale_temporary_files()  # left by a web process killed mid-upload
        if removed:
            self.stdout.write(f"worker: removed {len(removed)} stale upload temporary files")
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"worker: {len(jobs.REGISTRY)} jobs registered: {', '.join(sorted(jobs.REGISTRY))}")
        while not stopping:
            ran = jobs.run_due()
            if ran:
                self.stdout.write(f"worker: ran {', '.join(ran)}")
            if once:
                break
            for _ in range(interval):
                if stopping:
                    break
                time.sleep(1)

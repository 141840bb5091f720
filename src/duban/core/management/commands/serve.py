import os
import subprocess
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve duban with gunicorn and run the background worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=int(os.environ.get("DUBAN_WEB_WORKERS", "2")))
        parser.add_argument("--no-worker", action="store_true", help="don't start the background worker")

    def handle(self, *args, host, port, workers, no_worker, **options):
        bin_dir = os.path.dirname(sys.executable)
        worker = None
        if not no_worker:
            worker = subprocess.Popen([sys.executable, "-m", "duban", "worker"])
            self.stdout.write(f"background worker started (pid {worker.pid})")
        self.stdout.write(f"duban serving on http://{host}:{port}/")
        try:
            subprocess.call([
                os.path.join(bin_dir, "gunicorn"), "duban.wsgi:application",
                "--bind", f"{host}:{port}", "--workers", str(workers), "--access-logfile", "-",
                "--timeout", "120",
            ])
        except KeyboardInterrupt:
            pass
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=30)

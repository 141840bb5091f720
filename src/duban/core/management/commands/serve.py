import os
import subprocess
import sys

from django.core.management.base import BaseCommand

# The default worker class: gunicorn's gthread, but each request is read in full by the worker's
# event loop before a thread takes it (duban/serving.py), so slow clients cannot hold the threads.
BUFFERING_WORKER = "duban.serving.BufferingThreadWorker"


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


class Command(BaseCommand):
    help = ("Serve duban with gunicorn (worker processes x threads; each request read in full before a "
            "thread takes it) and run the background worker beside it.")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=_env_int("DUBAN_WEB_WORKERS", 2),
                            help="worker processes (DUBAN_WEB_WORKERS, default 2: one per core)")
        parser.add_argument("--threads", type=int, default=_env_int("DUBAN_WEB_THREADS", 4),
                            help="threads per worker process, i.e. requests in progress at once per process "
                                 "(DUBAN_WEB_THREADS, default 4: they overlap database waits)")
        parser.add_argument("--worker-class", default=os.environ.get("DUBAN_WEB_WORKER_CLASS", BUFFERING_WORKER),
                            help="gunicorn worker class (DUBAN_WEB_WORKER_CLASS); the default reads each request "
                                 "in full first, 'gthread' or 'sync' are gunicorn's own, for comparison")
        parser.add_argument("--access-log", default=os.environ.get("DUBAN_ACCESS_LOG", "-"),
                            help="gunicorn access log file ('-' = stdout, the default; '' = none)")
        parser.add_argument("--no-worker", action="store_true", help="don't start the background worker")

    def gunicorn_argv(self, *, host, port, workers, threads, worker_class, access_log):
        bin_dir = os.path.dirname(sys.executable)
        argv = [
            os.path.join(bin_dir, "gunicorn"), "duban.wsgi:application",
            "--bind", f"{host}:{port}", "--workers", str(workers), "--threads", str(threads),
            "--worker-class", worker_class, "--timeout", "120",
        ]
        if access_log:
            argv += ["--access-logfile", access_log]
        return argv

    def handle(self, *args, host, port, workers, threads, worker_class, access_log, no_worker, **options):
        argv = self.gunicorn_argv(host=host, port=port, workers=workers, threads=threads,
                                  worker_class=worker_class, access_log=access_log)
        if no_worker:
            # Nothing to look after: gunicorn takes this process's place (its pid, its process group,
            # and not a second copy of Django in memory beside gunicorn's).
            self.stdout.write(f"duban serving on http://{host}:{port}/ ({workers} processes x {threads} threads, "
                              f"{worker_class})")
            self.stdout.flush()
            os.execv(argv[0], argv)
        worker = None
        if not no_worker:
            worker = subprocess.Popen([sys.executable, "-m", "duban", "worker"])
            self.stdout.write(f"background worker started (pid {worker.pid})")
        self.stdout.write(f"duban serving on http://{host}:{port}/ ({workers} processes x {threads} threads, "
                          f"{worker_class})")
        try:
            subprocess.call(argv)
        except KeyboardInterrupt:
            pass
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=30)

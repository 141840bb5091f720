"""The supervision scan at scale: the first full scan (time, actions, notices) and the idempotent
rescan (time; it must create nothing).

``measure()`` works on whatever database Django is configured for. By default it first removes
what an earlier scan created (supervision records and the notices they sent), so "first scan"
means first; the ledger entries of earlier runs stay (the ledger is append-only). Goals on the
province data set (1,000,000 tasks, PostgreSQL, 2 cores): full scan < 60 s, rescan < 10 s.

On the benchmark database (built by duban.bench, reused if present), with the inbox page's p95
and the outbox's deliveries per second (``run_all``, also part of `make bench`):
    python -m duban.bench.supervision [--scale 1.0] [--notices 2000] [--database-url postgres://…/duban_bench]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date

SCAN_KINDS = ("reminder", "notice_issued", "listed", "proposal", "task_due", "report_due", "system")
TABLES = ("supervision_orderreply_files", "supervision_orderreply", "supervision_order", "supervision_ordercounter",
          "supervision_reminder", "supervision_listing", "supervision_proposal")


def reset() -> None:
    """Forget earlier scans: supervision records and the notices of the kinds the scan sends."""
    from django.db import connection, transaction

    from duban.notices.models import Notice
    from duban.supervision.models import Listing, Order, OrderCounter, OrderReply, Proposal, Reminder

    # TRUNCATE is what makes this quick at a million rows; inside an outer transaction (tests) with
    # deferred constraint checks pending, PostgreSQL refuses it, so plain deletes are used there.
    truncate = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic():
        if truncate:
            with connection.cursor() as cur:
                cur.execute("TRUNCATE " + ", ".join(TABLES) + " RESTART IDENTITY")
        else:
            OrderReply.objects.all().delete()
            for model in (Order, OrderCounter, Reminder, Listing, Proposal):
                model.objects.all().delete()
        Notice.objects.filter(kind__in=SCAN_KINDS).delete()


def _cpu_seconds() -> tuple[float, float | None]:
    """CPU seconds used so far by this process and by its PostgreSQL backend (read from /proc when
    the database runs on this machine; None otherwise). On a machine shared with other work the
    wall-clock time stretches with the load, the CPU time does not: their sum is what the run
    costs on two idle cores (the scan is one client, one backend, one after the other)."""
    from django.db import connection

    mine = time.process_time()
    if connection.vendor != "postgresql":
        return mine, None
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            pid = cur.fetchone()[0]
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return mine, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return mine, None


def measure(today: date | None = None, *, fresh: bool = True, quiet: bool = False) -> dict:
    """Run the scan twice and return (and print) the figures."""
    from django.db.models import Q

    from duban.notices.models import Notice
    from duban.supervision.scan import REPORTING, WORKING, scan
    from duban.tasks.models import Task

    if fresh:
        reset()
    figures: dict = {
        "tasks": Task.objects.count(),
        "open_tasks": Task.objects.filter(Q(status__in=WORKING) | Q(status__in=REPORTING)).count(),
    }
    notices_before = Notice.objects.count()
    from duban.supervision.services import task_url

    task_url(1)  # the URLconf is loaded once per worker process, not per scan: not part of the timing
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    cpu0 = _cpu_seconds()
    t0 = time.perf_counter()
    first = scan(today)
    figures["first_seconds"] = time.perf_counter() - t0
    cpu1 = _cpu_seconds()
    figures["first_cpu_python"] = cpu1[0] - cpu0[0]
    figures["first_cpu_database"] = cpu1[1] - cpu0[1] if cpu0[1] is not None and cpu1[1] is not None else None
    figures["load_average"] = load
    figures["first_actions"] = first.total
    figures["first_counts"] = dict(first.counts)
    figures["first_notices"] = Notice.objects.count() - notices_before
    cpu0 = _cpu_seconds()
    t0 = time.perf_counter()
    again = scan(first.today)
    figures["rescan_seconds"] = time.perf_counter() - t0
    cpu1 = _cpu_seconds()
    figures["rescan_cpu_python"] = cpu1[0] - cpu0[0]
    figures["rescan_cpu_database"] = cpu1[1] - cpu0[1] if cpu0[1] is not None and cpu1[1] is not None else None
    figures["rescan_actions"] = again.total
    figures["rescan_notices"] = again.notices
    figures["today"] = first.today.isoformat()
    if not quiet:
        print(format_figures(figures))
    return figures


def _cpu(figures: dict, run: str) -> str:
    py, db = figures.get(f"{run}_cpu_python"), figures.get(f"{run}_cpu_database")
    if py is None:
        return ""
    if db is None:
        return f"; CPU {py:.1f} s"
    return f"; CPU {py:.1f} s Python + {db:.1f} s PostgreSQL = {py + db:.1f} s"


def format_figures(figures: dict) -> str:
    counts = ", ".join(f"{k} {v}" for k, v in figures["first_counts"].items()) or "nothing due"
    load = figures.get("load_average")
    return (f"supervision scan on {figures['tasks']} tasks ({figures['open_tasks']} open), as of {figures['today']}"
            + (f", load average {load:.1f} at the start" if load is not None else "") + ":\n"
            f"  first full scan: {figures['first_seconds']:.2f} s, {figures['first_actions']} actions ({counts}), "
            f"{figures['first_notices']} notices{_cpu(figures, 'first')} (goal < 60 s at 1,000,000 tasks)\n"
            f"  idempotent rescan: {figures['rescan_seconds']:.2f} s, {figures['rescan_actions']} actions, "
            f"{figures['rescan_notices']} notices{_cpu(figures, 'rescan')} (goal < 10 s)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m duban.bench.supervision", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=float(os.environ.get("DUBAN_BENCH_SCALE", "1.0")))
    parser.add_argument("--database-url", default=os.environ.get(
        "DUBAN_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/duban_bench"))
    parser.add_argument("--keep", action="store_true", help="do not remove what an earlier scan created first")
    parser.add_argument("--notices", type=int, default=2000, help="notices sent and delivered for the outbox figure")
    args = parser.parse_args(argv)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DUBAN_ENV", "development")
    os.environ["DUBAN_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.settings")
    os.environ.setdefault("DUBAN_DATA_DIR", os.path.join(os.getcwd(), "var", "bench"))
    from duban.bench import generate

    generate.ensure_database(args.database_url)
    import django

    django.setup()
    generate.ensure_dataset(scale=args.scale)
    run_all(fresh=not args.keep, notices_n=args.notices)
    return 0


def run_all(*, fresh: bool = True, notices_n: int = 2000, repeat: int = 30) -> dict:
    """What `make bench` prints for issue 8: the scan twice, then the inbox page of the liaison the
    scan wrote most to (p95 through the Django stack), then the outbox's deliveries per second to
    a local webhook sink."""
    from duban.bench import notices

    print("\nsupervision and notices (issue 8)")
    figures = measure(fresh=fresh)
    figures.update(notices.inbox_p95(repeat=repeat))
    figures.update(notices.measure(n=notices_n))
    return figures


if __name__ == "__main__":
    sys.exit(main())

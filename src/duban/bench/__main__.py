"""python -m duban.bench [--scale 1.0] [--fresh] [--repeat 30] [--database-url URL]

Builds (or reuses) the benchmark database and prints p50/p95 timings. The database is a
separate PostgreSQL database (default duban_bench) that the benchmark creates and owns.
"""

import argparse
import os
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m duban.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=float(os.environ.get("DUBAN_BENCH_SCALE", "1.0")),
                        help="1.0 = 20,000 units, 1,000,000 tasks, 5,000,000 ledger entries")
    parser.add_argument("--fresh", action="store_true", help="drop and rebuild the data set even if it exists")
    parser.add_argument("--repeat", type=int, default=30, help="requests per measured page")
    parser.add_argument("--writers-seconds", type=float, default=5.0, help="duration of each write-throughput run")
    parser.add_argument("--build-only", action="store_true",
                        help="build (or reuse) the data set and stop; no measurement")
    parser.add_argument("--database-url", default=os.environ.get(
        "DUBAN_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/duban_bench"))
    args = parser.parse_args(argv)

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DUBAN_ENV", "development")
    os.environ["DUBAN_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.settings")
    os.environ.setdefault("DUBAN_DATA_DIR", os.path.join(os.getcwd(), "var", "bench"))

    from duban.bench import generate

    generate.ensure_database(args.database_url, fresh=args.fresh)

    import django

    django.setup()
    from duban.bench import measure

    dataset = generate.ensure_dataset(scale=args.scale, fresh=args.fresh)
    if args.build_only:
        return 0
    measure.run(dataset, repeat=args.repeat, writers_seconds=args.writers_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The datacheck benchmark: every library rule over synthetic registries of the issue's size
(10,000,000 payments × 1,000,000 roster rows × 100,000 death records; 1,000,000 household rows;
10,000 enterprises, contracts and relatives), each rule timed through duban's path (decrypt the
snapshots, check their SHA-256, run the compiled SQL, fetch, group the hits by subject) against
DuckDB's own time for the same SQL over the same plaintext Parquet files; the overhead ratio and
the peak memory (RSS) of the process.

    python -m duban.datacheck.bench [--scale 1.0]

No database is touched: the snapshots are written encrypted to a temporary storage directory.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from types import SimpleNamespace


def generate(con, scale: float, tmp: str) -> dict[str, str]:
    """Synthetic registries as Parquet files (fixed seed: the same data on every run)."""
    n_pay, n_roster, n_death = int(10_000_000 * scale), int(1_000_000 * scale), int(100_000 * scale)
    n_house, n_small = int(1_000_000 * scale), max(int(10_000 * scale), 100)
    people = max(n_pay // 5, 1)  # every recipient paid about five times, in different months
    con.execute("SELECT setseed(0.42)")

    def pid(expr):
        return f"'4228011980' || lpad(CAST({expr} AS VARCHAR), 8, '0')"

    queries = {
        "payments": f"""SELECT CAST(i + 1 AS INTEGER) AS _row, {pid('i % ' + str(people))} AS id_number,
              '某' || CAST(i % {people} AS VARCHAR) AS name, ['低保', '特困供养', '临时救助'][1 + (i % {people}) % 3] AS programme,
              CAST(CASE WHEN i % 997 = 0 THEN 5000 ELSE 500 END AS DECIMAL(18,2)) AS amount,
              CAST(DATE '2024-01-10' + INTERVAL (((i // {people}) + CASE WHEN i % 1009 = 0 THEN 1 ELSE 0 END) % 12) MONTH AS DATE) AS pay_date,
              '6222' || lpad(CAST(CASE WHEN i % 5003 = 0 THEN (i + 1) % {people} ELSE i % {people} END AS VARCHAR), 12, '0') AS bank_account,
              '139' || lpad(CAST(CASE WHEN i % 7001 = 0 THEN (i + 7) % {people} ELSE i % {people} END AS VARCHAR), 8, '0') AS phone,
              NULL::VARCHAR AS unit FROM range({n_pay}) t(i)""",
        "roster": f"""SELECT CAST(i + 1 AS INTEGER) AS _row, {pid(f'{people} - 2000 + i')} AS id_number, '干部' || CAST(i AS VARCHAR) AS name,
              'unit' || CAST(i % 500 AS VARCHAR) AS unit, NULL::VARCHAR AS post FROM range({n_roster}) t(i)""",
        "deaths": f"""SELECT CAST(i + 1 AS INTEGER) AS _row, {pid(f'{people} - 20000 + i')} AS id_number, '故' || CAST(i AS VARCHAR) AS name,
              CAST(DATE '2024-01-01' + INTERVAL (i % 365) DAY AS DATE) AS death_date FROM range({n_death}) t(i)""",
        "household": f"""SELECT CAST(i + 1 AS INTEGER) AS _row, 'H' || CAST(i // 3 AS VARCHAR) AS household_no,
              {pid(f'{people} - {n_house // 2} + i')} AS id_number, '户' || CAST(i AS VARCHAR) AS name, NULL::VARCHAR AS relation
              FROM range({n_house}) t(i)""",
        "enterprises": f"""SELECT CAST(i + 1 AS INTEGER) AS _row, '91422801MA' || lpad(CAST(i AS VARCHAR), 8, '0') AS credit_code,
              '公司' || CAST(i AS VARCHAR) AS company, {pid(f'{people} - 2000 + i * 37')} AS shareholder_id,
              '股东' || CAST(i AS VARCHAR) AS shareholder_name FROM range({n_small}) t(i)""",
        "contracts": f"""SELECT CAST(i + 1 AS INTEGER) AS _row, '91422801MA' || lpad(CAST(i AS VARCHAR), 8, '0') AS credit_code,
              '公司' || CAST(i AS VARCHAR) AS company, 'unit' || CAST((i * 37) % 500 + (i % 3) AS VARCHAR) AS buyer_unit,
              CAST(100000 AS DECIMAL(18,2)) AS amount, DATE '2024-06-01' AS sign_date FROM range({n_small}) t(i)""",
        "relatives": f"""SELECT CAST(i + 1 AS INTEGER) AS _row, {pid(f'{people} - 2000 + i * 11')} AS official_id, '干部' AS official_name,
              {pid(f'{people} - 2000 + i * 37')} AS relative_id, '亲属' AS relative_name, '配偶' AS relation FROM range({n_small}) t(i)""",
    }
    files = {}
    for kind, sql in queries.items():
        path = os.path.join(tmp, f"{kind}.parquet")
        con.execute(f"COPY ({sql}) TO '{path}' (FORMAT parquet)")
        files[kind] = path
    return files


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m duban.datacheck.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 10M payments, 1M roster, 100k deaths")
    args = parser.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="duban-dc-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.settings")
    os.environ["DUBAN_MEDIA_ROOT"] = os.path.join(tmp, "media")
    os.environ.setdefault("DUBAN_DATA_DIR", os.path.join(tmp, "data"))
    import django

    django.setup()
    import hashlib

    import duckdb

    from duban.datacheck import engine, rules, storage

    con = duckdb.connect()
    start = time.perf_counter()
    files = generate(con, args.scale, tmp)
    con.close()
    print(f"generated in {time.perf_counter() - start:.1f} s: " + ", ".join(
        f"{k} {os.path.getsize(v) / 1e6:.0f} MB" for k, v in files.items()))
    versions = {}
    for kind, path in files.items():
        with open(path, "rb") as fh:
            data = fh.read()
        versions[kind] = SimpleNamespace(pk=kind, data_file=storage.write(data, purpose="dataset"),
                                         sha256=hashlib.sha256(data).hexdigest())
        del data
    compiled = {}
    for key, template in rules.TEMPLATES.items():
        defn = template["definition"]
        chosen = {s["alias"]: versions[s["kind"]] for s in defn["sources"]}
        tables = {a: engine.table_name(a) for a in chosen}
        compiled[key] = (chosen, rules.compile_rule(defn, rules.resolve_params(defn, {}), tables, "duckdb"))

    def ours(key, snapshots=None):
        chosen, c = compiled[key]
        t0 = time.perf_counter()
        with engine.duckdb_with(chosen, sandbox=False, snapshots=snapshots) as con:
            columns, rows, _secs = engine.run_duckdb(con, c.sql)
        hits = engine.group_hits(engine.as_dicts(columns, rows), c.key)
        return time.perf_counter() - t0, len(hits), len(rows)

    def duck(key):
        chosen, c = compiled[key]
        plain = duckdb.connect()
        for alias, v in chosen.items():
            plain.execute(f"CREATE VIEW \"{engine.table_name(alias)}\" AS SELECT * FROM read_parquet('{files[v.pk]}')")
        t0 = time.perf_counter()
        plain.execute(c.sql).fetchall()
        took = time.perf_counter() - t0
        plain.close()
        return took

    # 1. All rules in one pass, as a scheduled run over the same dataset versions does: each
    #    snapshot decrypted and verified once (counted in the total), then every rule.
    t0 = time.perf_counter()
    batch = {}
    with engine.Snapshots() as snaps:
        for v in versions.values():
            snaps.path(v)
        decrypt = time.perf_counter() - t0
        for key in compiled:
            batch[key] = ours(key, snaps)
    batch_total = time.perf_counter() - t0
    # 2. DuckDB's own time for the same SQL over the plaintext files; 3. one rule alone (the
    #    page's "run" button: it decrypts its own snapshots).
    print(f"decrypt + SHA-256 check of all snapshots, once: {decrypt:.2f} s")
    print(f"{'rule':22} {'hits':>7} {'rows':>7} {'batch s':>8} {'duckdb s':>8} {'ratio':>6} {'alone s':>8}")
    total_duck = 0.0
    for key in compiled:
        t_duck = duck(key)
        total_duck += t_duck
        t_alone = ours(key)[0]
        t_batch, n_hits, n_rows = batch[key]
        print(f"{key:22} {n_hits:>7} {n_rows:>7} {t_batch:>8.2f} {t_duck:>8.2f} {t_batch / t_duck:>6.2f} {t_alone:>8.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"all rules: duban {batch_total:.2f} s (decrypt included), DuckDB alone {total_duck:.2f} s, "
          f"overhead {batch_total / total_duck:.2f}x; peak memory (RSS) {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

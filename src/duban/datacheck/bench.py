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
    from duban.datacheck import schema

    files = {}
    for kind, sql in queries.items():
        path = os.path.join(tmp, f"{kind}.parquet")
        # the integer key twins, as ingest.to_parquet writes them at load time
        keys = "".join(f', {expr} AS "{name}"' for name, expr in schema.key_columns(kind).items())
        con.execute(f"COPY (SELECT *{keys} FROM ({sql})) TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
        files[kind] = path
    return files


KINDS = ("payments", "roster", "deaths", "household", "enterprises", "contracts", "relatives")


def _have(path: str) -> bool:
    return all(os.path.exists(os.path.join(path, f"{k}.parquet")) for k in KINDS)


def _load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m duban.datacheck.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 10M payments, 1M roster, 100k deaths")
    parser.add_argument("--data", default="", help="keep (and reuse) the generated plaintext Parquet files here")
    parser.add_argument("--skip-alone", action="store_true", help="do not time each rule alone as well")
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
    if args.data:
        os.makedirs(args.data, exist_ok=True)
    files = generate(con, args.scale, args.data or tmp) if not (args.data and _have(args.data)) else {
        k: os.path.join(args.data, f"{k}.parquet") for k in KINDS}
    con.close()
    print(f"generated in {time.perf_counter() - start:.1f} s: " + ", ".join(
        f"{k} {os.path.getsize(v) / 1e6:.0f} MB" for k, v in files.items()))
    versions = {}
    for kind, path in files.items():
        with open(path, "rb") as fh:
            data = fh.read()
        versions[kind] = SimpleNamespace(pk=kind, kind=kind, data_file=storage.write(data, purpose="dataset"),
                                         sha256=hashlib.sha256(data).hexdigest())
        del data
    compiled = {}
    names = {kind: f"snap_{i}" for i, kind in enumerate(versions)}  # the Session's view names
    for key, template in rules.TEMPLATES.items():
        defn = template["definition"]
        chosen = {s["alias"]: versions[s["kind"]] for s in defn["sources"]}
        tables = {a: names[v.pk] for a, v in chosen.items()}
        compiled[key] = (chosen, rules.compile_rule(defn, rules.resolve_params(defn, {}), tables, "duckdb"))

    def ours(key, session=None):
        """duban's path: a rule in the batch's session (or alone: its own decrypt), fetch, group."""
        chosen, c = compiled[key]
        t0, c0 = time.perf_counter(), time.process_time()
        if session is not None:
            assert session.tables(chosen) == {a: names[v.pk] for a, v in chosen.items()}
            columns, rows, _secs = engine.run_duckdb(session.con, c.sql)
        else:
            tables = {a: engine.table_name(a) for a in chosen}
            defn = rules.TEMPLATES[key]["definition"]
            alone = rules.compile_rule(defn, rules.resolve_params(defn, {}), tables, "duckdb")
            with engine.duckdb_with(chosen, sandbox=False) as con:
                columns, rows, _secs = engine.run_duckdb(con, alone.sql)
        hits = engine.hits_from_rows(columns, rows, c.key)
        return time.perf_counter() - t0, time.process_time() - c0, len(hits), len(rows)

    def duck(key):
        chosen, c = compiled[key]
        plain = engine.connect()  # the same DuckDB settings (threads, memory, insertion order)
        for v in {v.pk: v for v in chosen.values()}.values():
            plain.execute(f"CREATE VIEW \"{names[v.pk]}\" AS SELECT * FROM read_parquet('{files[v.pk]}')")
        t0, c0 = time.perf_counter(), time.process_time()
        plain.execute(c.sql).fetchall()
        took = time.perf_counter() - t0, time.process_time() - c0
        plain.close()
        return took

    # All rules in one pass, as a scheduled run over the same dataset versions does: each snapshot
    # decrypted and verified once (counted in duban's total), then every rule; DuckDB's own time
    # for the same SQL over the plaintext files is taken rule by rule just before duban's, so
    # that a change of the machine's load touches both alike. Wall-clock and CPU seconds (all
    # threads of this process) are printed: on a shared machine the CPU ratio is the steadier one.
    print(f"{'rule':22} {'hits':>7} {'rows':>7} {'duban s':>8} {'duckdb s':>8} {'ratio':>6} "
          f"{'cpu duban':>9} {'cpu duck':>8} {'alone s':>8}  load")
    t0, c0 = time.perf_counter(), time.process_time()
    results = {}
    with engine.Session() as session:
        for v in versions.values():
            session.table(v)
        decrypt, decrypt_cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"{'(decrypt + SHA-256)':22} {'':>7} {'':>7} {decrypt:>8.2f} {'':>8} {'':>6} {decrypt_cpu:>9.2f}"
              f" {'':>8} {'':>8}  {_load()} ({sum(os.path.getsize(f) for f in files.values()) / 1e6:.0f} MB)")
        for key in compiled:
            t_duck, c_duck = duck(key)
            t_ours, c_ours, n_hits, n_rows = ours(key, session)
            results[key] = (t_ours, t_duck, c_ours, c_duck)
            print(f"{key:22} {n_hits:>7} {n_rows:>7} {t_ours:>8.2f} {t_duck:>8.2f} {t_ours / t_duck:>6.2f} "
                  f"{c_ours:>9.2f} {c_duck:>8.2f} {'':>8}  {_load()}", flush=True)
    ours_total = decrypt + sum(r[0] for r in results.values())
    duck_total = sum(r[1] for r in results.values())
    ours_cpu = decrypt_cpu + sum(r[2] for r in results.values())
    duck_cpu = sum(r[3] for r in results.values())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"all rules: duban {ours_total:.2f} s (decrypt {decrypt:.2f} s included), DuckDB alone {duck_total:.2f} s, "
          f"overhead {ours_total / duck_total:.2f}x (CPU {ours_cpu:.1f} s / {duck_cpu:.1f} s = "
          f"{ours_cpu / duck_cpu:.2f}x); peak memory (RSS) {peak:.0f} MB; {_load()}", flush=True)
    if not args.skip_alone:
        # One rule alone (the page's "run" button: it decrypts its own snapshots).
        for key in compiled:
            print(f"{key:22} alone (own decrypt): {ours(key)[0]:.2f} s; {_load()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

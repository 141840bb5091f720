"""Running a rule. DuckDB, embedded: each dataset version is decrypted (and its SHA-256 checked)
into a private temporary directory that is removed when the run ends.

* A builder rule's SQL is written entirely by rules.compile_rule, so it reads the Parquet files
  in place (``src_<alias>`` are views over them): no copy, DuckDB's own speed.
* A raw-SQL rule runs sandboxed: the files are loaded into in-memory tables and deleted, then
  external access is switched off and the configuration locked, so even a query that got past
  the checker can read nothing but those tables.

The same rule compiled for PostgreSQL runs in a READ ONLY transaction on that database."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

import duckdb

from duban.datacheck import schema, storage


def table_name(alias: str) -> str:
    return f"src_{alias}"


class EngineError(Exception):
    pass


class Snapshots:
    """Decrypted snapshots in one private temporary directory, each version decrypted (and its
    SHA-256 checked) once however many rules read it; removed by ``close()``."""

    def __init__(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="duban-dc-")
        os.chmod(self._tmp.name, 0o700)
        self._paths: dict = {}

    def path(self, version) -> str:
        if version.pk not in self._paths:
            data = storage.read(version.data_file, purpose="dataset")
            if hashlib.sha256(data).hexdigest() != version.sha256:
                raise EngineError(f"dataset version {version.pk}: SHA-256 does not match the snapshot")
            path = os.path.join(self._tmp.name, f"v{len(self._paths)}.parquet")
            with open(path, "wb") as fh:
                fh.write(data)
            self._paths[version.pk] = path
        return self._paths[version.pk]

    def close(self) -> None:
        self._tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@contextmanager
def duckdb_with(versions: dict, *, sandbox: bool = True, snapshots: Snapshots | None = None):
    """A DuckDB connection with one relation per alias (``src_<alias>``): in-memory tables with
    external access off when ``sandbox``, views over the decrypted Parquet files otherwise.
    ``snapshots`` lets several runs share the decrypted files (else they live for this run)."""
    own = snapshots is None
    snaps = Snapshots() if own else snapshots
    con = connect()
    try:
        for alias, version in versions.items():
            quoted = snaps.path(version).replace("'", "''")
            what = "TABLE" if sandbox else "VIEW"
            source = f"read_parquet('{quoted}')"
            con.execute(f'CREATE {what} "{table_name(alias)}" AS SELECT *{missing_keys(con, source, version)} '
                        f'FROM {source}')
        if sandbox:
            if own:
                snaps.close()  # the tables hold the data; no plaintext file outlives the load
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
        yield con
    finally:
        con.close()
        if own:
            snaps.close()


class Session:
    """Several builder rules over the same dataset versions in one DuckDB connection: each
    snapshot is decrypted and verified once (``Snapshots``) and gets one view (``snap_<n>``),
    which every rule's SQL names through ``tables`` (rules.compile_rule's alias → table map)."""

    def __init__(self, snapshots: Snapshots | None = None):
        self._own = snapshots is None
        self.snapshots = snapshots or Snapshots()
        self.con = connect()
        self._views: dict = {}

    def table(self, version) -> str:
        if version.pk not in self._views:
            name = f"snap_{len(self._views)}"
            source = "read_parquet('" + self.snapshots.path(version).replace("'", "''") + "')"
            self.con.execute(f'CREATE VIEW "{name}" AS SELECT *{missing_keys(self.con, source, version)} FROM {source}')
            self._views[version.pk] = name
        return self._views[version.pk]

    def tables(self, versions: dict) -> dict[str, str]:
        return {alias: self.table(v) for alias, v in versions.items()}

    def close(self) -> None:
        self.con.close()
        if self._own:
            self.snapshots.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def connect():
    """An in-memory DuckDB connection set up for the rules: all cores (DUBAN_DATACHECK_THREADS),
    a memory limit (DUBAN_DATACHECK_MEMORY_LIMIT, DuckDB's default 80% of RAM otherwise; it spills
    to its temporary directory beyond it), and no insertion order to keep (every rule orders)."""
    from django.conf import settings

    con = duckdb.connect(":memory:")
    threads = getattr(settings, "DUBAN_DATACHECK_THREADS", None) or os.cpu_count() or 1
    con.execute(f"SET threads = {int(threads)}")
    limit = getattr(settings, "DUBAN_DATACHECK_MEMORY_LIMIT", "")
    if limit and re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", str(limit)):
        con.execute(f"SET memory_limit = '{limit}'")
    con.execute("SET preserve_insertion_order = false")
    return con


def _kind(version) -> str | None:
    kind = getattr(version, "kind", None)
    if kind is None and hasattr(version, "dataset"):
        kind = version.dataset.kind
    return kind


def missing_keys(con, source: str, version) -> str:
    """``, <expr> AS "_k_<f>"`` for the integer keys a snapshot written before them lacks."""
    kind = _kind(version)
    if kind not in schema.FIELDS:
        return ""
    have = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    return "".join(f', {expr} AS "{name}"' for name, expr in schema.key_columns(kind).items() if name not in have)


def _plain(v):
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, (date, datetime)):
        return v.isoformat()[:10] if not isinstance(v, datetime) else v.date().isoformat()
    return v


class TooManyRows(EngineError):
    pass


def run_duckdb(con, sql: str, max_rows: int | None = None) -> tuple[list[str], list[tuple], float]:
    """Columns, rows and seconds. With ``max_rows`` at most that many rows are fetched into Python
    (a rule that matches millions of rows is refused with TooManyRows, not turned into leads)."""
    start = time.perf_counter()
    try:
        cur = con.execute(sql)
        if max_rows is None:
            rows = cur.fetchall()
        else:
            rows = cur.fetchmany(max_rows + 1)
            if len(rows) > max_rows:
                raise TooManyRows(max_rows)
    except duckdb.Error as exc:
        raise EngineError(str(exc).splitlines()[0][:300]) from None
    return [d[0] for d in cur.description], rows, time.perf_counter() - start


def run_postgres(connection, sql: str) -> tuple[list[str], list[tuple], float]:
    from django.db import DatabaseError, transaction

    start = time.perf_counter()
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cur:
            cur.execute("SET TRANSACTION READ ONLY")
            cur.execute(sql.replace("%", "%%"))
            rows = cur.fetchall()
            cols = [d[0] for d in cur.description]
    except DatabaseError as exc:
        raise EngineError(str(exc).splitlines()[0][:300]) from None
    return cols, rows, time.perf_counter() - start


def as_dicts(columns, rows) -> list[dict]:
    return [{c: _plain(v) for c, v in zip(columns, r, strict=True)} for r in rows]


def hits_from_rows(columns: list[str], rows: list[tuple], key: list[str]) -> list[tuple[list, dict]]:
    """The hits of a result: ``group_hits(as_dicts(columns, rows), key)``."""
    return group_hits(as_dicts(columns, rows), key)


def group_hits(records: list[dict], key: list[str]) -> list[tuple[list, dict]]:
    """(key values, {alias: [rows]}) per subject, in the order the SQL returned them."""
    hits: dict[tuple, dict] = {}
    seen: dict[tuple, dict] = {}
    for rec in records:
        k = tuple(rec.get(c) for c in key)
        bucket = hits.setdefault(k, {})
        per_alias: dict[str, dict] = {}
        for col, value in rec.items():
            alias, _dot, name = col.partition(".")
            if not name:
                alias, name = "_", col
            per_alias.setdefault(alias, {})[name] = value
        marks = seen.setdefault(k, {})
        for alias, row in per_alias.items():
            mark = tuple(row.values())
            got = marks.setdefault(alias, set())
            if mark not in got:  # a set, not ``row in rows``: a subject with 10,000 rows stays linear
                got.add(mark)
                bucket.setdefault(alias, []).append(row)
    return [(list(k), v) for k, v in hits.items()]

"""Set-based inserts that skip rows a unique constraint already holds.

``insert_ignoring_conflicts(model, columns, rows)`` stores plain tuples (values in ``columns``
order, Python values as a model field would hold them) and returns how many rows were really
inserted; rows that collide with a unique constraint (a dedupe key sent or recorded before) are
skipped, so a second run or a racing worker stores nothing twice.

- PostgreSQL: the rows are streamed with COPY into a temporary staging table (dropped at commit)
  and moved with ONE ``INSERT … SELECT … ON CONFLICT DO NOTHING``: no per-row statement at all,
  which is what makes a scan of a million tasks fit in a minute.
- SQLite (and anything else): one ``executemany`` of ``INSERT OR IGNORE`` / ``ON CONFLICT DO
  NOTHING`` with the values adapted like Django adapts them — the same rows, the same count.

Both paths keep the guarantees of ``bulk_create(ignore_conflicts=True)`` without building model
instances (tens of thousands of them would cost more than the insert).
"""

from __future__ import annotations

import itertools

from django.db import connection, transaction

CHUNK = 5000  # rows per executemany on SQLite
_stage_names = itertools.count(1)


def _fields(model, columns):
    by_name = {f.attname: f for f in model._meta.concrete_fields}
    return [by_name[c] for c in columns]


def insert_ignoring_conflicts(model, columns, rows) -> int:
    """Insert ``rows`` (tuples in ``columns`` order; attnames such as ``task_id``) into the model's
    table, skipping conflicts. Must run inside a transaction (the caller's batch); returns the
    number of rows inserted."""
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return 0
    fields = _fields(model, columns)
    if connection.vendor == "postgresql" and _has_copy():
        return _copy_insert(model, fields, rows)
    return _executemany_insert(model, fields, rows)


def _has_copy() -> bool:
    """psycopg 3 streams COPY from Python rows; with psycopg2 the executemany path is used."""
    return getattr(connection.Database, "__name__", "") == "psycopg"


def _copy_insert(model, fields, rows) -> int:
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    cols = ", ".join(ops.quote_name(f.column) for f in fields)
    stage = f"duban_stage_{model._meta.db_table}_{next(_stage_names)}"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {stage} ON COMMIT DROP AS SELECT {cols} FROM {table} WITH NO DATA")
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {stage} ON CONFLICT DO NOTHING")
        inserted = cursor.rowcount
        cursor.execute(f"DROP TABLE {stage}")
    return inserted


def _executemany_insert(model, fields, rows) -> int:
    ops = connection.ops
    adapters = []
    for f in fields:
        internal = f.get_internal_type()
        if internal == "DateTimeField":
            adapters.append(ops.adapt_datetimefield_value)
        elif internal == "DateField":
            adapters.append(ops.adapt_datefield_value)
        else:
            adapters.append(None)
    cache: dict = {}

    def adapt(adapter, value):
        if value is None:
            return None
        key = (adapter, value)
        if key not in cache:
            cache[key] = adapter(value)
        return cache[key]

    if any(adapters):
        rows = [tuple(adapt(a, v) if a else v for a, v in zip(adapters, row)) for row in rows]
    table = ops.quote_name(model._meta.db_table)
    cols = ", ".join(ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    if connection.vendor == "sqlite":
        sql = f"INSERT OR IGNORE INTO {table} ({cols}) VALUES ({marks})"
    else:
        sql = f"INSERT INTO {table} ({cols}) VALUES ({marks}) ON CONFLICT DO NOTHING"
    inserted = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            cursor.executemany(sql, rows[start:start + CHUNK])
            # rowcount after executemany is the sum of the rows each statement inserted (ignored
            # conflicts count 0), on sqlite3 and on psycopg alike.
            inserted += max(cursor.rowcount, 0)
    return inserted

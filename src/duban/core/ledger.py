"""Append to and verify the hash-chained ledger (台账 + audit log).

``append`` is the only writer. Call it inside the transaction that makes the change it records,
as the last statement of that transaction: it takes the chain lock (the LedgerHead row) and the
lock is held only until commit. If it raises, the whole change rolls back (AU-07: fail closed).

Concurrency: on PostgreSQL the head row is locked with SELECT … FOR UPDATE, so concurrent
appenders queue only for the moment between their append and their commit; writes that append
nothing never wait. On SQLite every write transaction already holds the database write lock
(BEGIN IMMEDIATE), so the chain cannot fork there either.

Cost (issue 10: every write request appends): two statements on PostgreSQL — the locked read of
the head, then one statement that inserts the entry and moves the head (a data-modifying CTE) —
and no savepoint: a failed append marks the caller's transaction for rollback, which is what
AU-07 asks. The entry's data is encoded once in canonical form; that text is both what the MAC
covers and what the jsonb column receives.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from duban.core import alerts, context
from duban.core.models import AuditEntry, LedgerHead, Outcome

GENESIS = "0" * 64
# MAC algorithm per entry (IA-11/DP-03): an HMAC-SHA256 MAC is 64 hex digits (every entry written
# before the choice existed); an HMAC-SM3 MAC, computed through duban.core.crypto's provider, is
# "sm3:" + unpadded base64url of the 32-byte tag (47 characters, fits the 64-character column). So a
# chain may switch algorithm at any entry (settings.DUBAN_LEDGER_MAC) and still verifies end to end.
SM3_PREFIX = "sm3:"
MAC_ALGORITHMS = ("hmac-sha256", "hmac-sm3")


def _sm3_mac(key: bytes, payload: bytes) -> str:
    from duban.core.crypto import get_provider

    tag = get_provider().hmac_sm3(key, payload)
    return SM3_PREFIX + base64.urlsafe_b64encode(tag).decode().rstrip("=")


_HMAC_SHA256: dict[str, hmac.HMAC] = {}  # ledger key text -> HMAC keyed once (its pads), copied per entry


def _sign(payload: bytes, algorithm: str | None = None) -> str:
    algorithm = algorithm or getattr(settings, "DUBAN_LEDGER_MAC", "hmac-sha256")
    key_text = settings.DUBAN_LEDGER_KEY
    if algorithm == "hmac-sm3":
        return _sm3_mac(key_text.encode(), payload)
    base = _HMAC_SHA256.get(key_text)
    if base is None:
        base = _HMAC_SHA256[key_text] = hmac.new(key_text.encode(), digestmod=hashlib.sha256)
    mac = base.copy()
    mac.update(payload)
    return mac.hexdigest()


def _canonical(fields: dict) -> bytes:
    return json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def compute_mac(*, seq: int, prev_mac: str, created_at: datetime, actor_id, actor_name: str, actor_role: str,
                ip, request_id: str, event: str, outcome: str, object_type: str, object_id: str,
                object_repr: str, data, algorithm: str | None = None) -> str:
    payload = _canonical(
        {
            "seq": seq,
            "prev": prev_mac,
            "at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": actor_id,
            "actor_name": actor_name,
            "role": actor_role,
            "ip": ip,
            "rid": request_id,
            "event": event,
            "outcome": outcome,
            "otype": object_type,
            "oid": object_id,
            "orepr": object_repr,
            "data": data,
        }
    )
    return _sign(payload, algorithm)


def _no_nul(value):
    """PostgreSQL stores no NUL character in text or jsonb: a NUL someone typed (a probing
    username) is kept visibly as U+2400 instead of failing the write."""
    if isinstance(value, str):
        return value.replace("\x00", "\u2400") if "\x00" in value else value
    if isinstance(value, dict):
        return {_no_nul(k): _no_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nul(v) for v in value]
    return value


def _normalise(data) -> dict:
    # Round-trip through JSON so what we MAC is exactly what the database will give back.
    return _no_nul(json.loads(_canonical(data or {})))


_WATCHED = alerts.LOGIN_FAILURE_EVENTS | alerts.INTEGRITY_EVENTS
_COLUMNS = ("seq", "created_at", "actor_id", "actor_name", "actor_role", "ip", "request_id", "event", "outcome",
            "object_type", "object_id", "object_repr", "data", "prev_mac", "mac")


def _locked_head(cursor) -> tuple[int, str]:
    """(seq, mac) of the head row, locked until commit on PostgreSQL (created on first use)."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = f"SELECT seq, mac FROM {LedgerHead._meta.db_table} WHERE id = 1{lock}"
    cursor.execute(sql)
    row = cursor.fetchone()
    if row is None:
        LedgerHead.objects.get_or_create(pk=1)
        cursor.execute(sql)
        row = cursor.fetchone()
    return row[0], row[1]


_WRITE_SQL: dict[str, tuple[list, str]] = {}  # vendor -> (the entry's fields, the append's SQL), built once


def _write_sql() -> tuple[list, str]:
    cached = _WRITE_SQL.get(connection.vendor)
    if cached is None:
        fields = [AuditEntry._meta.get_field(name) for name in _COLUMNS]
        table, head = AuditEntry._meta.db_table, LedgerHead._meta.db_table
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        marks = ", ".join("%s::jsonb" if f.name == "data" and connection.vendor == "postgresql" else "%s"
                          for f in fields)
        insert = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
        if connection.vendor == "postgresql":
            sql = (f"WITH entry AS ({insert} RETURNING id) "
                   f"UPDATE {head} SET seq = %s, mac = %s WHERE id = 1 RETURNING (SELECT id FROM entry)")
        else:
            sql = insert
        cached = _WRITE_SQL[connection.vendor] = (fields, sql)
    return cached


def _write(cursor, entry: AuditEntry, data_json: str) -> int:
    """Insert the entry and move the head to it; returns the entry's id. The values go through
    the fields' own database preparation (the inet address, the timestamp), except ``data``,
    which is the canonical text the MAC covers, stored as it is (jsonb parses it on PostgreSQL,
    SQLite keeps the text). The SQL is built once per process (_write_sql)."""
    fields, sql = _write_sql()
    values = [data_json if f.name == "data" else f.get_db_prep_save(getattr(entry, f.attname), connection)
              for f in fields]
    if connection.vendor == "postgresql":  # one statement: the insert and the head's move
        cursor.execute(sql, [*values, entry.seq, entry.mac])
        return cursor.fetchone()[0]
    cursor.execute(sql, values)
    entry_id = cursor.lastrowid
    cursor.execute(f"UPDATE {LedgerHead._meta.db_table} SET seq = %s, mac = %s WHERE id = 1", [entry.seq, entry.mac])
    return entry_id


def append(*, event: str, obj=None, object_type: str = "", object_id: str = "", object_repr: str = "",
           data: dict | None = None, outcome: str = Outcome.SUCCESS, actor=None) -> AuditEntry:
    ctx = context.current()
    actor = actor if actor is not None else ctx.user
    if callable(actor):  # the request's user, resolved now that authentication has run
        actor = actor()
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:255]
    data = _normalise(data)
    data_json = _encode(data)  # canonical: the MAC's and the column's text
    # No savepoint: an append that fails must take the caller's whole transaction down (AU-07).
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        seq, prev_mac = _locked_head(cursor)
        entry = AuditEntry(
            seq=seq + 1,
            created_at=timezone.now(),
            actor=actor,
            actor_name=_no_nul(actor.get_username() if actor else "")[:150],
            actor_role=(getattr(actor, "role", "") or "") if actor else "",
            ip=ctx.ip,
            request_id=ctx.request_id,
            event=event,
            outcome=outcome,
            object_type=object_type,
            object_id=_no_nul(str(object_id))[:64],
            object_repr=_no_nul(object_repr)[:255],
            data=data,
            prev_mac=prev_mac,
        )
        entry.mac = _sign(_payload(entry.seq, prev_mac, _isoformat_utc(entry.created_at), entry.actor_id,
                                   entry.actor_name, entry.actor_role, entry.ip, entry.request_id, event, outcome,
                                   entry.object_type, entry.object_id, entry.object_repr, data_json))
        entry.pk = _write(cursor, entry, data_json)
        entry._state.adding, entry._state.db = False, connection.alias
        # What Model.save would announce: AU-09's shipper listens (duban.ops.audit_ship).
        post_save.send(sender=AuditEntry, instance=entry, created=True, update_fields=None, raw=False,
                       using=connection.alias)
        if entry.event in _WATCHED or "export" in entry.event:
            alerts.observe_entry(entry)  # IP-06: bursts become one security_alert row and a notice
    return entry


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    first_bad_id: int | None = None
    reason: str = ""


_VERIFY_FIELDS = ("id", "seq", "prev_mac", "mac", "created_at", "actor_id", "actor_name", "actor_role", "ip",
                  "request_id", "event", "outcome", "object_type", "object_id", "object_repr", "data")


_encode_str = json.encoder.encode_basestring  # what ensure_ascii=False uses (the C version when built)
_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode


def _json_value(v) -> str:
    """One value as _canonical encodes it inside the payload."""
    if v is None:
        return "null"
    if type(v) is str:
        return _encode_str(v)
    if type(v) is int:
        return str(v)
    return _encode(v)


def _payload(seq, prev_mac, at: str, actor_id, actor_name, actor_role, ip, request_id, event, outcome,
             object_type, object_id, object_repr, data_json: str) -> bytes:
    """The bytes compute_mac signs, built without a dict and an encoder per row: _canonical's
    keys in sorted order, each value encoded as the same encoder settings encode it (data
    arrives already encoded; the text columns are NOT NULL, only actor_id and ip may be None).
    Verifying 5,000,000 entries spends most of its time here; tests/tasks/test_views_scale.py
    checks it against compute_mac byte for byte."""
    s = _encode_str
    return (f'{{"actor":{_json_value(actor_id)},"actor_name":{s(actor_name)},"at":{s(at)},"data":{data_json},'
            f'"event":{s(event)},"ip":{_json_value(ip)},"oid":{s(object_id)},"orepr":{s(object_repr)},'
            f'"otype":{s(object_type)},"outcome":{s(outcome)},"prev":{s(prev_mac)},"rid":{s(request_id)},'
            f'"role":{s(actor_role)},"seq":{_json_value(seq)}}}').encode()


def _isoformat_utc(created_at: datetime) -> str:
    return created_at.astimezone(UTC).isoformat(timespec="microseconds")


def _rows_orm(last_seq: int, batch: int):
    rows = AuditEntry.objects.order_by("seq").filter(seq__gt=last_seq).values_list(*_VERIFY_FIELDS)[:batch]
    return [(*row[:4], _isoformat_utc(row[4]), *row[5:15], _encode(row[15])) for row in rows]


# PostgreSQL formats the timestamp exactly as isoformat(timespec="microseconds") does in UTC and
# hands jsonb over as text: no datetime or model machinery per row (a third of the time).
_PG_ROWS = (
    "SELECT id, seq, prev_mac, mac, "
    """to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'), """
    "actor_id, actor_name, actor_role, ip, request_id, event, outcome, object_type, object_id, object_repr, "
    "data::text FROM {table} WHERE seq > %s ORDER BY seq LIMIT %s"
)
_DATA_CACHE_MAX = 100_000


def _postgresql_fetcher():
    """Rows with ``data`` in canonical form. Entries of one kind carry the same few payloads
    ({"from": …, "to": …}), so the canonical text is kept per jsonb text (bounded) instead of
    parsing and re-encoding every row."""
    canonical: dict[str, str] = {}
    loads = json.loads
    sql = _PG_ROWS.format(table=connection.ops.quote_name(AuditEntry._meta.db_table))

    connection.ensure_connection()
    raw = connection.connection  # the same session (and transaction) from the prefetch thread

    def fetch(last_seq: int, batch: int):
        with raw.cursor() as cur:
            cur.execute(sql, [last_seq, batch])
            rows = cur.fetchall()
        out = []
        for row in rows:
            text = row[15]
            data_json = canonical.get(text)
            if data_json is None:
                data_json = _encode(loads(text))
                if len(canonical) < _DATA_CACHE_MAX:
                    canonical[text] = data_json
            out.append((*row[:15], data_json))
        return out

    return fetch


class _Inline:
    """The executor interface, running each call at once in this thread."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def submit(self, fn, *args):
        future = Future()
        future.set_result(fn(*args))
        return future


def verify(batch: int = 10000) -> VerifyResult:
    """Walk the chain in seq order. Reports the first entry whose MAC, link or sequence is wrong,
    and a head that does not match the last entry (a deleted tail). Reads plain tuples in keyset
    batches so millions of entries verify in constant memory. After a recorded purge (AU-06) the
    chain starts where the last ``audit_purged`` entry says (duban.core.audit_archive)."""
    from duban.core.audit_archive import chain_start

    expected_seq, expected_prev = chain_start()
    checked = 0
    last_seq = 0
    fetch = _postgresql_fetcher() if connection.vendor == "postgresql" else _rows_orm
    payload = _payload
    key = settings.DUBAN_LEDGER_KEY.encode()
    digest = hmac.digest
    compare = hmac.compare_digest
    # On PostgreSQL the next batch is read while this one is checked: the server's work and the
    # wire overlap the hashing (one worker, one batch ahead; the connection is used by nothing
    # else meanwhile). SQLite reads in this thread.
    with ThreadPoolExecutor(max_workers=1) if connection.vendor == "postgresql" else _Inline() as pool:
        pending = pool.submit(fetch, last_seq, batch)
        while pending is not None:
            rows = pending.result()
            pending = pool.submit(fetch, rows[-1][1], batch) if len(rows) == batch else None
            for row in rows:
                entry_id, seq, prev_mac, mac = row[:4]
                if seq != expected_seq:
                    return VerifyResult(False, checked, expected_seq, entry_id,
                                        f"entry seq {expected_seq} is missing (next present: {seq})")
                if prev_mac != expected_prev:
                    return VerifyResult(False, checked, seq, entry_id, "link to the previous entry is broken")
                if mac.startswith(SM3_PREFIX):
                    expected = _sm3_mac(key, payload(seq, prev_mac, *row[4:]))
                else:
                    expected = digest(key, payload(seq, prev_mac, *row[4:]), "sha256").hex()
                if not compare(mac, expected):
                    return VerifyResult(False, checked, seq, entry_id, "content does not match its MAC")
                expected_prev = mac
                expected_seq += 1
                checked += 1
                last_seq = seq
    head = LedgerHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != last_seq or (last_seq and head.mac != expected_prev)):
        return VerifyResult(False, checked, last_seq + 1, None,
                            f"ledger head names seq {head.seq} but the chain ends at {last_seq}")
    return VerifyResult(True, checked)


def diff(before: dict, after: dict) -> dict:
    """The fields that changed, as {field: [old, new]} — the before/after of an update (AU-02)."""
    keys = sorted(set(before) | set(after))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}

"""Audit retention: archive, then purge, the entries older than the retention period (AU-06).

网络安全法 Art. 21(3) wants network logs kept for no less than six months.
``settings.DUBAN_AUDIT_RETENTION_MONTHS`` (default 12) is the period in **calendar** months
(``relativedelta``, so 6 months before 31 August is 28 February, not "180 days"); the settings
refuse to start with less than 6.

``archive_and_purge()`` handles the oldest entries as one prefix of the chain:

1. It picks the entries up to the last one that is older than the cut-off and all of whose
   predecessors are too (so every entry younger than the period stays, whatever the clock did).
2. It writes them, in seq order and exactly as ``ledger.verify`` reads them, to a gzip'd JSON-lines
   file in ``DATA_DIR/audit-archive/`` (mode 0600; the header names the range, the count and the
   MAC before and after the range), then reads the file back and re-checks every MAC and link.
3. Only then, in one transaction holding the ledger lock, it lifts the append-only triggers,
   deletes exactly that range, puts the triggers back and appends an ``audit_purged`` entry
   naming the range, the count, the file and its SHA-256 and the last purged MAC. If anything
   fails, the transaction rolls back and nothing is deleted.

The ``audit_purged`` entry is the new start of the chain: ``ledger.verify`` starts from the last
such entry's ``up_to_seq``/``last_mac`` (``chain_start``), and that entry is itself inside the
walked range, so its MAC proves the anchor was written by the ledger. Deleting entries outside a
recorded purge is still detected as a gap. ``verify_archive(path)`` checks an archive file on its
own (``duban audit-archive --verify FILE``); keep the files with the backups.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from duban.core import ledger, triggers
from duban.core.models import AuditEntry, LedgerHead, Outcome

FORMAT = "duban-audit-archive/1"
PURGE_EVENT = "audit_purged"
MINIMUM_MONTHS = 6


def chain_start() -> tuple[int, str]:
    """The seq the chain in the database starts at, and the MAC its first entry links to."""
    anchor = (AuditEntry.objects.filter(event=PURGE_EVENT, outcome=Outcome.SUCCESS).order_by("-seq")
              .values_list("seq", "data").first())
    if anchor is None:
        return 1, ledger.GENESIS
    seq, data = anchor
    up_to = int(data.get("up_to_seq", 0))
    if up_to >= seq:  # an anchor must come after the range it closes, or it would not be verified
        return 1, ledger.GENESIS
    return up_to + 1, str(data.get("last_mac", ""))


def cutoff(now: datetime | None = None, months: int | None = None) -> datetime:
    months = settings.DUBAN_AUDIT_RETENTION_MONTHS if months is None else months
    if months < MINIMUM_MONTHS:
        raise ValueError(f"audit retention must be at least {MINIMUM_MONTHS} months, not {months}")
    now = now or timezone.now()
    return timezone.localtime(now) - relativedelta(months=months)


def archive_dir() -> Path:
    return Path(getattr(settings, "DUBAN_AUDIT_ARCHIVE_DIR", "") or Path(settings.DATA_DIR) / "audit-archive")


@dataclass
class PurgeResult:
    purged: int
    from_seq: int = 0
    to_seq: int = 0
    path: Path | None = None
    sha256: str = ""


def _purgeable_up_to(limit_at: datetime, max_rows: int) -> int:
    start, _prev = chain_start()
    first_young = AuditEntry.objects.filter(created_at__gte=limit_at).order_by("seq").values_list(
        "seq", flat=True).first()
    head = LedgerHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
    up_to = (first_young - 1) if first_young is not None else head
    return min(up_to, start + max_rows - 1)


def _mac_ok(row: list, key: bytes) -> bool:
    seq, prev_mac, mac = row[1], row[2], row[3]
    payload = ledger._payload(seq, prev_mac, *row[4:])
    if mac.startswith(ledger.SM3_PREFIX):
        expected = ledger._sm3_mac(key, payload)
    else:
        expected = hmac.digest(key, payload, "sha256").hex()
    return hmac.compare_digest(mac, expected)


def _write_archive(from_seq: int, to_seq: int, prev_mac: str) -> tuple[Path, str, int, str]:
    directory = archive_dir()
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    path = directory / f"audit-{from_seq:012d}-{to_seq:012d}.jsonl.gz"
    partial = path.with_name(path.name + ".partial")
    count, last_mac = 0, prev_mac
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            header = {"format": FORMAT, "from_seq": from_seq, "to_seq": to_seq, "prev_mac": prev_mac,
                      "created_at": timezone.now().isoformat(), "count": to_seq - from_seq + 1}
            gz.write((json.dumps(header) + "\n").encode())
            last = from_seq - 1
            while last < to_seq:
                rows = [r for r in ledger._rows_orm(last, 5000) if r[1] <= to_seq]
                if not rows:
                    break
                for row in rows:
                    gz.write((json.dumps(list(row), ensure_ascii=False) + "\n").encode())
                    count += 1
                    last_mac = row[3]
                last = rows[-1][1]
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(partial, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return path, digest, count, last_mac


@dataclass
class ArchiveCheck:
    ok: bool
    count: int
    from_seq: int
    to_seq: int
    last_mac: str
    reason: str = ""


def verify_archive(path: Path, expected_prev: str | None = None) -> ArchiveCheck:
    """Every entry's MAC and link inside the file; its first link is ``expected_prev`` if given."""
    key = settings.DUBAN_LEDGER_KEY.encode()
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            header = json.loads(fh.readline())
            if header.get("format") != FORMAT:
                return ArchiveCheck(False, 0, 0, 0, "", "not a duban audit archive")
            prev = header["prev_mac"]
            if expected_prev is not None and prev != expected_prev:
                return ArchiveCheck(False, 0, header["from_seq"], header["to_seq"], "",
                                    "the archive does not continue the chain")
            seq, count = header["from_seq"], 0
            for line in fh:
                row = json.loads(line)
                if row[1] != seq:
                    return ArchiveCheck(False, count, header["from_seq"], header["to_seq"], prev,
                                        f"entry seq {seq} is missing from the archive")
                if row[2] != prev:
                    return ArchiveCheck(False, count, header["from_seq"], header["to_seq"], prev,
                                        f"link broken at seq {seq}")
                if not _mac_ok(row, key):
                    return ArchiveCheck(False, count, header["from_seq"], header["to_seq"], prev,
                                        f"entry seq {seq} does not match its MAC")
                prev, seq, count = row[3], seq + 1, count + 1
    except (OSError, ValueError, KeyError, IndexError, EOFError) as exc:
        return ArchiveCheck(False, 0, 0, 0, "", f"unreadable archive: {exc}")
    if count != header["count"] or seq - 1 != header["to_seq"]:
        return ArchiveCheck(False, count, header["from_seq"], header["to_seq"], prev,
                            f"the archive holds {count} entries, its header says {header['count']}")
    return ArchiveCheck(True, count, header["from_seq"], header["to_seq"], prev)


def archive_and_purge(now: datetime | None = None, max_rows: int = 200_000) -> PurgeResult:
    limit_at = cutoff(now)
    from_seq, prev_mac = chain_start()
    to_seq = _purgeable_up_to(limit_at, max_rows)
    if to_seq < from_seq:
        return PurgeResult(0)
    path, digest, count, last_mac = _write_archive(from_seq, to_seq, prev_mac)
    check = verify_archive(path, expected_prev=prev_mac)
    if not check.ok or check.count != to_seq - from_seq + 1 or count != check.count:
        path.unlink(missing_ok=True)
        raise RuntimeError(f"audit archive failed its own check, nothing purged: {check.reason or 'count differs'}")
    with transaction.atomic():
        head_qs = LedgerHead.objects.filter(pk=1)
        if connection.features.has_select_for_update:
            head_qs = head_qs.select_for_update()
        head_qs.first()  # the chain lock: no entry is appended while the range is swapped out
        if chain_start() != (from_seq, prev_mac):
            raise RuntimeError("another purge ran meanwhile; nothing purged")
        in_range = AuditEntry.objects.filter(seq__gte=from_seq, seq__lte=to_seq)
        if in_range.count() != count or in_range.filter(seq=to_seq, mac=last_mac).count() != 1:
            raise RuntimeError("the entries changed since they were archived; nothing purged")
        table = connection.ops.quote_name(AuditEntry._meta.db_table)
        triggers.uninstall(connection)
        with connection.cursor() as cur:
            cur.execute(f"DELETE FROM {table} WHERE seq >= %s AND seq <= %s", [from_seq, to_seq])
            deleted = cur.rowcount
        triggers.install(connection)
        if deleted != count:
            raise RuntimeError(f"deleted {deleted} entries, archived {count}; rolled back")
        ledger.append(event=PURGE_EVENT, object_type="audit_archive", object_id=path.name[:64],
                      object_repr=path.name, actor=None,
                      data={"from_seq": from_seq, "up_to_seq": to_seq, "count": count, "last_mac": last_mac,
                            "archive": path.name, "sha256": digest, "cutoff": limit_at.isoformat(),
                            "retention_months": settings.DUBAN_AUDIT_RETENTION_MONTHS})
    return PurgeResult(count, from_seq, to_seq, path, digest)

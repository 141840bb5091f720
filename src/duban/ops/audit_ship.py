"""The audit log's copy off the host (AU-09): every committed ledger entry as one syslog message.

``DUBAN_AUDIT_SYSLOG`` names the collector: ``tcp://host:port`` (RFC 5425-style octet-counted
frames over TCP, RFC 6587), ``udp://host:port`` (one datagram per entry) or a local socket path
(``/dev/log``, for rsyslog/journald to forward). settings.py then configures the
``duban.audit`` logger with ``AuditSyslogHandler``; ``duban.ops.apps`` sends each AuditEntry to
that logger once its transaction commits (a rolled-back change ships nothing).

Each message is RFC 5424 with facility authpriv and a JSON body: seq, time, actor, role, address,
request id, event, outcome, object, and the entry's MAC and previous MAC — so the collector holds
an independent copy of the chain's MACs: an entry edited later in the database no longer matches
its copy, even by someone who holds the ledger key. The ``data`` (before/after values) stays in the
database, which keeps personal data out of the log stream (AU-08).

The handler never blocks or fails a request: ``emit`` puts the message on a bounded queue and a
daemon thread sends it, connecting lazily and reconnecting after an error (retry after 5 s); if
the collector stays down and the queue (10 000 messages) fills, further messages are counted as
dropped and the next successful send reports the count in a message of its own. The database
ledger stays the record of truth; ``duban verify-ledger`` does not depend on the collector.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import socket
import threading
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

FACILITY_AUTHPRIV = 10
SEVERITY = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4, logging.INFO: 6, logging.DEBUG: 7}
LOGGER = "duban.audit"


def parse_address(address: str) -> tuple[str, object]:
    """("tcp", (host, port)), ("udp", (host, port)) or ("unix", path)."""
    if address.startswith("/"):
        return "unix", address
    parts = urlsplit(address)
    if parts.scheme == "unix":
        return "unix", parts.path
    if parts.scheme in ("tcp", "udp") and parts.hostname:
        return parts.scheme, (parts.hostname, parts.port or 514)
    raise ValueError(f"DUBAN_AUDIT_SYSLOG must be tcp://host:port, udp://host:port or a socket path, not {address!r}")


class AuditSyslogHandler(logging.Handler):
    def __init__(self, address: str, app_name: str = "duban", queue_size: int = 10_000, level=logging.INFO):
        super().__init__(level)
        self.kind, self.target = parse_address(address)
        self.app_name = app_name
        self.hostname = socket.gethostname() or "-"
        self.queue: queue.Queue = queue.Queue(maxsize=queue_size)
        self.dropped = 0
        self.sent = 0
        self._sock: socket.socket | None = None
        self._retry_at = 0.0
        self._thread = threading.Thread(target=self._run, name="audit-syslog", daemon=True)
        self._thread.start()

    # --- the request side: never blocks, never raises ---
    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.queue.put_nowait(self._frame(record))
        except queue.Full:
            self.dropped += 1
        except Exception:  # noqa: BLE001 - logging must not break the caller
            self.handleError(record)

    def _frame(self, record: logging.LogRecord) -> bytes:
        pri = FACILITY_AUTHPRIV * 8 + SEVERITY.get(record.levelno, 6)
        stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        msg = f"<{pri}>1 {stamp} {self.hostname} {self.app_name} {os.getpid()} audit - {record.getMessage()}"
        return msg.encode("utf-8")

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued message was sent (or ``timeout``); True if the queue is empty."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.queue.unfinished_tasks == 0:
                return True
            time.sleep(0.01)
        return self.queue.unfinished_tasks == 0

    # --- the sender thread ---
    def _connect(self) -> socket.socket:
        if self.kind == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.connect(self.target)
            return sock
        host, port = self.target
        family, socktype, proto, _name, addr = socket.getaddrinfo(
            host, port, 0, socket.SOCK_STREAM if self.kind == "tcp" else socket.SOCK_DGRAM)[0]
        sock = socket.socket(family, socktype, proto)
        sock.settimeout(5)
        sock.connect(addr)
        return sock

    def _send(self, frame: bytes) -> None:
        if self._sock is None:
            self._sock = self._connect()
        if self.kind == "tcp":
            self._sock.sendall(str(len(frame)).encode() + b" " + frame)
        else:
            self._sock.send(frame)

    def _close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None

    def _run(self) -> None:
        while True:
            frame = self.queue.get()
            try:
                for attempt in (1, 2):
                    wait = self._retry_at - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                    try:
                        if self.dropped:
                            note = {"event": "audit_copy_gap", "dropped": self.dropped}
                            self._send(f"<{FACILITY_AUTHPRIV * 8 + 4}>1 - {self.hostname} {self.app_name} - audit - "
                                       f"{json.dumps(note)}".encode())
                            self.dropped = 0
                        self._send(frame)
                        self.sent += 1
                        break
                    except OSError:
                        self._close()
                        if attempt == 2:
                            self._retry_at = time.monotonic() + 5
                            self.dropped += 1
            finally:
                self.queue.task_done()

    def close(self) -> None:
        self.flush(timeout=2)
        self._close()
        super().close()


def entry_message(entry) -> str:
    return json.dumps({
        "seq": entry.seq, "at": entry.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": entry.actor_name, "actor_id": entry.actor_id, "role": entry.actor_role, "ip": entry.ip,
        "rid": entry.request_id, "event": entry.event, "outcome": entry.outcome, "otype": entry.object_type,
        "oid": entry.object_id, "mac": entry.mac, "prev": entry.prev_mac,
    }, ensure_ascii=False, separators=(",", ":"))


def ship_on_commit(sender, instance, created, **kwargs) -> None:
    """post_save receiver for AuditEntry: hand the entry to ``duban.audit`` after commit."""
    log = logging.getLogger(LOGGER)
    if not created or not log.handlers:
        return
    from django.db import transaction

    message = entry_message(instance)
    transaction.on_commit(lambda: log.info(message))

"""The gunicorn worker class `duban serve` runs: gthread that reads each request in full first.

gunicorn's gthread worker hands a connection to a thread as soon as its first bytes arrive; the
thread then reads the rest of the headers and the body itself, with no limit on how long that
takes. Twenty clients trickling a body at one byte a second hold twenty threads, and the site
stops answering (issue 11). nginx in front (deploy/nginx/duban.conf) reads every request in full
before it passes it on; this worker does the same when duban is served directly:

* the worker's event loop (the one thread that accepts connections) reads the request line,
  the headers and a ``Content-Length`` body without blocking, into a buffer per connection
  (bodies over 1 MiB spill to a temporary file), and only a complete request goes to a thread;
* a request that is not complete by its deadline gets ``408`` and is closed: headers within
  ``DUBAN_HEADER_TIMEOUT`` seconds (10), the body within ``DUBAN_BODY_TIMEOUT`` seconds (15) plus
  one second per ``DUBAN_BODY_MIN_RATE`` bytes (32 KiB/s), and no pause longer than
  ``DUBAN_BODY_TIMEOUT`` between two reads;
* a body larger than ``DUBAN_MAX_REQUEST_BYTES`` (the upload limit + 1 MiB, nginx's
  ``client_max_body_size``) gets ``413`` before it is read; a chunked request body gets ``411``
  (Django reads only bodies of known length, so it would have seen an empty body anyway);
* ``Expect: 100-continue`` is answered here, since the body is read here.

A trickling client thus costs a socket and a small buffer in the event loop, never a thread;
the number of such connections is bounded by gunicorn's ``--worker-connections`` per worker
(and by nginx's ``limit_conn`` in a deployment). Everything after the read — parsing, the WSGI
call, keep-alive — is gunicorn's own code, fed from the buffer.
"""

from __future__ import annotations

import errno
import os
import selectors
import tempfile
import time
from functools import partial

from gunicorn.workers.gthread import _DEFER, ThreadWorker


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    return float(raw) if raw.strip() else default


HEADER_TIMEOUT = _env_float("DUBAN_HEADER_TIMEOUT", 10.0)
BODY_TIMEOUT = _env_float("DUBAN_BODY_TIMEOUT", 15.0)
BODY_MIN_RATE = _env_float("DUBAN_BODY_MIN_RATE", 32 * 1024.0)
MAX_HEAD_BYTES = 64 * 1024
SPOOL_BYTES = 1024 * 1024
READ_SIZE = 256 * 1024


def _max_request_bytes() -> int:
    raw = os.environ.get("DUBAN_MAX_REQUEST_BYTES", "").strip()
    if raw:
        return int(raw)
    upload = os.environ.get("DUBAN_MAX_UPLOAD_BYTES", "").strip()
    return (int(upload) if upload else 20 * 1024 * 1024) + 1024 * 1024


def _status(code: int, reason: str) -> bytes:
    return (f"HTTP/1.1 {code} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").encode("ascii")


class BufferedSocket:
    """A client socket whose first reads come from what the event loop already read."""

    def __init__(self, sock):
        self._sock = sock
        self._head = b""
        self._body = None  # a file object (spooled), read after _head
        self._size = 0

    def prefill(self, head: bytes, body) -> None:
        self._head = head
        self._body = body
        body.seek(0, os.SEEK_END)
        self._size = body.tell()
        body.seek(0)

    def recv(self, size, *flags):
        if self._head:
            data, self._head = self._head[:size], self._head[size:]
            return data
        if self._body is not None:
            data = self._body.read(size)
            if data:
                return data
            self._body.close()
            self._body = None
        return self._sock.recv(size, *flags)

    def has_rest(self) -> bool:
        return bool(self._head) or (self._body is not None and self._body.tell() < self._size)

    def take_rest(self) -> bytes:
        """What was prefilled and not read (bytes a client pipelined behind its request)."""
        rest = self._head
        self._head = b""
        if self._body is not None:
            rest += self._body.read()
            self._body.close()
            self._body = None
        return rest

    def close(self):
        if self._body is not None:
            self._body.close()
            self._body = None
        self._sock.close()

    def fileno(self):
        return self._sock.fileno()

    def __getattr__(self, name):
        return getattr(self._sock, name)


class _Pending:
    """One request being read by the event loop."""

    __slots__ = ("body", "conn", "deadline", "head", "head_end", "idle_until", "length", "received", "started")

    def __init__(self, conn, leftover: bytes):
        now = time.monotonic()
        self.conn = conn
        self.head = bytearray(leftover)
        self.head_end = -1
        self.length = 0
        self.body = None
        self.received = 0
        self.started = now
        self.deadline = now + HEADER_TIMEOUT
        self.idle_until = self.deadline


class BufferingThreadWorker(ThreadWorker):
    """gthread whose threads only ever see complete requests (see the module's docstring)."""

    @classmethod
    def check_config(cls, cfg, log):
        super().check_config(cfg, log)
        if cfg.is_ssl:  # TLS ends at nginx (deploy/nginx/duban.conf); this worker reads plain sockets
            raise RuntimeError("duban.serving.BufferingThreadWorker does not terminate TLS: put nginx in front")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reading = {}  # fileno -> _Pending
        self.max_request_bytes = _max_request_bytes()
        self.busy = 0  # requests handed to the threads and not finished

    # -- accept only with a thread free ----------------------------------------------------
    # gthread accepts while it has fewer than --worker-connections, so under load one process
    # queues requests behind its busy threads while the other process has threads idle (the
    # listening socket is shared; whoever accepts, serves). This worker leaves a connection in the
    # kernel's queue, for a process with a free thread, unless one of its own threads is free.
    def set_accept_enabled(self, enabled):
        super().set_accept_enabled(enabled and self.busy < self.cfg.threads)

    # -- the one entry point to the thread pool --------------------------------------------
    def enqueue_req(self, conn):
        if getattr(conn, "duban_ready", False):
            conn.duban_ready = False
            self.busy += 1
            if self.busy >= self.cfg.threads:
                self.set_accept_enabled(False)
            super().enqueue_req(conn)
            return
        if not isinstance(conn.sock, BufferedSocket):
            conn.sock = BufferedSocket(conn.sock)
        leftover = b""
        if conn.parser is not None:  # a keep-alive connection: bytes read ahead belong to the next request
            leftover = conn.parser.unreader.take_buffered() + conn.sock.take_rest()
        pending = _Pending(conn, leftover)
        conn.sock.setblocking(False)
        if self._advance(pending):
            return
        self.reading[conn.sock.fileno()] = pending
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, pending))

    def _on_readable(self, pending, _sock):
        conn = pending.conn
        try:
            data = conn.sock._sock.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._drop(pending)
            return
        if not data:
            self._drop(pending)
            return
        pending.idle_until = time.monotonic() + BODY_TIMEOUT
        if pending.head_end < 0:
            pending.head.extend(data)
        else:
            self._write_body(pending, data)
        if self._advance(pending, registered=True):
            return

    def _write_body(self, pending, data: bytes) -> None:
        take = data[: pending.length - pending.received]
        pending.body.write(take)
        pending.received += len(take)
        if len(take) < len(data):  # pipelined bytes of a next request: keep them after the body
            pending.body.write(data[len(take):])

    def _advance(self, pending, registered=False) -> bool:
        """Move the request on; True when it has left the event loop (handed over or closed)."""
        if pending.head_end < 0:
            end = pending.head.find(b"\r\n\r\n")
            if end < 0:
                if len(pending.head) > MAX_HEAD_BYTES:
                    return self._refuse(pending, 431, "Request Header Fields Too Large", registered)
                return False
            pending.head_end = end + 4
            verdict = self._read_head(pending)
            if verdict is not None:
                return self._refuse(pending, *verdict, registered=registered)
            rest = bytes(pending.head[pending.head_end:])
            del pending.head[pending.head_end:]
            pending.body = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - closed in _drop or by the socket
            now = time.monotonic()
            pending.deadline = now + BODY_TIMEOUT + pending.length / BODY_MIN_RATE
            pending.idle_until = now + BODY_TIMEOUT
            if rest:
                self._write_body(pending, rest)
        if pending.received < pending.length:
            return False
        self._hand_over(pending, registered)
        return True

    def _read_head(self, pending):
        """Content-Length and the cases answered here; None when the request may go on."""
        lines = bytes(pending.head[: pending.head_end - 4]).split(b"\r\n")
        kept = [lines[0]]
        length = None
        expect_continue = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            key = name.strip().lower()
            if key == b"transfer-encoding":
                return 411, "Length Required"
            if key == b"content-length":
                try:
                    value_int = int(value.strip())
                except ValueError:
                    return 400, "Bad Request"
                if value_int < 0 or (length is not None and length != value_int):
                    return 400, "Bad Request"
                length = value_int
            if key == b"expect" and value.strip().lower() == b"100-continue":
                expect_continue = True
                continue  # answered here; gunicorn must not answer it again after the body
            kept.append(line)
        length = length or 0
        if length > self.max_request_bytes:
            return 413, "Content Too Large"
        if expect_continue and length:
            self._send(pending, b"HTTP/1.1 100 Continue\r\n\r\n")
        pending.length = length
        pending.head[: pending.head_end] = b"\r\n".join(kept) + b"\r\n\r\n"
        pending.head_end = len(b"\r\n".join(kept)) + 4
        return None

    def _hand_over(self, pending, registered) -> None:
        conn = pending.conn
        if registered:
            self._forget(pending)
        conn.sock.prefill(bytes(pending.head), pending.body)
        conn.sock.setblocking(True)
        conn.data_ready = True
        conn.duban_ready = True
        self.enqueue_req(conn)

    def _keepalive_after(self, conn, keepalive):
        """gthread drains a body the application did not read (a 401, 403 or 404 answered before the
        body was looked at) before it keeps the connection, but at most 64 KiB of it: past that it
        closes the connection, after a response that announced keep-alive. nginx, which reuses its
        upstream connections, then sends the next request into a closing socket and answers it 502
        (make drill F4: uploads refused for an expired token). Here the whole body is already in the
        prefill, so draining it reads no socket and cannot stall: it is drained in full."""
        if keepalive and isinstance(conn.sock, BufferedSocket) and conn.parser is not None:
            return bool(conn.parser.finish_body())
        return super()._keepalive_after(conn, keepalive)

    def finish_request(self, conn, fs):
        """Bytes a client pipelined behind a request are still in the prefill: give them to the parser,
        where gthread looks for them before it puts a kept-alive connection back on the poller."""
        self.busy -= 1
        sock = conn.sock
        if (isinstance(sock, BufferedSocket) and sock.has_rest() and not fs.cancelled() and fs.exception() is None
                and fs.result() and fs.result() is not _DEFER and conn.parser is not None):
            conn.parser.unreader.unread(sock.take_rest())
        super().finish_request(conn, fs)

    # -- refusing and closing ---------------------------------------------------------------
    def _send(self, pending, payload: bytes) -> None:
        try:
            pending.conn.sock._sock.send(payload)
        except OSError:
            pass

    def _refuse(self, pending, code, reason, registered=False) -> bool:
        self._send(pending, _status(code, reason))
        self._drop(pending, registered=registered)
        return True

    def _forget(self, pending) -> None:
        fd = pending.conn.sock.fileno()
        if self.reading.pop(fd, None) is not None:
            try:
                self.poller.unregister(pending.conn.sock)
            except (KeyError, ValueError, OSError):
                pass

    def _drop(self, pending, registered=True) -> None:
        self._forget(pending)
        if pending.body is not None:
            pending.body.close()
        self.nr_conns -= 1
        try:
            pending.conn.sock.close()
        except OSError as exc:
            if exc.errno not in (errno.EBADF, errno.ENOTCONN):
                raise

    def murder_pending(self):
        """gthread's own clean-up of idle connections, then the requests past their deadline."""
        super().murder_pending()
        now = time.monotonic()
        for pending in [p for p in self.reading.values() if now >= min(p.deadline, p.idle_until)]:
            self._refuse(pending, 408, "Request Timeout", registered=True)

    def run(self):
        try:
            super().run()
        finally:
            for pending in list(self.reading.values()):
                self._drop(pending)

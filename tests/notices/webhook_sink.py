"""A local HTTP server on 127.0.0.1 that plays a DingTalk/WeCom robot for the tests and the bench.

Paths: /ok answers {"errcode": 0}; /fail500 answers 500; /slow waits ``slow_seconds`` first;
/refuse answers {"errcode": 310000, ...} like a robot that rejects a bad signature.
Every request is recorded as (path, query dict, json body)."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Sink:
    def __init__(self, slow_seconds: float = 3.0, record: bool = True):
        self.requests: list = []
        self.slow_seconds = slow_seconds
        self.record = record
        self.count = 0
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                parts = urllib.parse.urlsplit(self.path)
                with sink._lock:
                    sink.count += 1
                    if sink.record:
                        sink.requests.append((parts.path, dict(urllib.parse.parse_qsl(parts.query)),
                                              json.loads(raw or b"{}")))
                if parts.path == "/slow":
                    time.sleep(sink.slow_seconds)
                if parts.path == "/fail500":
                    self._answer(500, b'{"errcode": -1, "errmsg": "system busy"}')
                elif parts.path == "/refuse":
                    self._answer(200, b'{"errcode": 310000, "errmsg": "sign not match"}')
                else:
                    self._answer(200, b'{"errcode": 0, "errmsg": "ok"}')

            def _answer(self, code, body):
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

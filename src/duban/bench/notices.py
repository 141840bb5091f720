"""Notices: send throughput and outbox deliveries per second to a local webhook sink.

``measure(n=...)`` works on whatever database Django is configured for (the bench database when
called from duban.bench): it creates a throw-away unit, post, person and WeCom robot pointing at a
webhook sink on 127.0.0.1, sends ``n`` notices in one bulk call, delivers the outbox with the
worker's own code (duban.notices.delivery.deliver_due) and removes what it created (the one
ledger entry per send batch stays, as the ledger is append-only). Returns the figures and prints
them.

Standalone, on a fresh SQLite database in a temporary directory:
    python -m duban.bench.notices [--n 2000] [--threads 8] [--slow-every 0]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # listen() backlog: the default 5 drops concurrent connects (1 s SYN retry)


class Sink:
    """A robot on 127.0.0.1: /ok answers {"errcode": 0}, /fail500 answers 500, /slow sleeps
    ``slow_seconds`` first, /refuse answers a robot's "sign not match". Records requests as
    (path, query dict, json body) unless ``record=False``."""

    def __init__(self, slow_seconds: float = 3.0, record: bool = True):
        self.requests: list = []
        self.slow_seconds = slow_seconds
        self.record = record
        self.count = 0
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Header and body in one segment: no Nagle / delayed-ACK stall of ~40 ms per answer.
            wbufsize = 65536
            disable_nagle_algorithm = True

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

        self.server = _Server(("127.0.0.1", 0), Handler)
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


def _serve_in_process(port_queue, counter):
    sink = Sink(record=False)
    original = sink.server.RequestHandlerClass.do_POST

    def counted(handler):
        with counter.get_lock():
            counter.value += 1
        original(handler)

    sink.server.RequestHandlerClass.do_POST = counted
    port_queue.put(sink.port)
    sink.server.serve_forever()


class ProcessSink:
    """The same robot in its own process, as a remote webhook would be: the sink's threads then
    do not compete with the worker's threads for one interpreter lock."""

    def __enter__(self):
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self._counter = ctx.Value("i", 0)
        ports = ctx.Queue()
        self._process = ctx.Process(target=_serve_in_process, args=(ports, self._counter), daemon=True)
        self._process.start()
        self.port = ports.get(timeout=30)
        return self

    @property
    def count(self) -> int:
        return self._counter.value

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __exit__(self, *exc):
        self._process.terminate()
        self._process.join(5)


def measure(n: int = 2000, threads: int | None = None, slow_every: int = 0, robots: int = 16,
            quiet: bool = False) -> dict:
    """Send ``n`` notices round-robin to the liaison posts of ``robots`` units, each unit with a
    WeCom robot on a local sink, then deliver them (messages to one robot go out one after the
    other, different robots in parallel); every ``slow_every``-th message (0 = none) goes to a
    unit whose robot answers 500."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.test import override_settings

    from duban.notices import delivery
    from duban.notices.models import Delivery, Notice, NoticeKind, UnitChannel
    from duban.notices.services import notices_send_bulk
    from duban.orgs.models import Person, Post, Unit

    tag = f"bench-notices-{os.getpid()}-{int(time.time())}"
    overrides = {"DUBAN_NOTICES_ALLOW_PRIVATE_WEBHOOKS": True}
    if threads:
        overrides["DUBAN_NOTICES_DELIVERY_THREADS"] = threads
    figures: dict = {"notices": n}
    with ProcessSink() as sink, override_settings(**overrides):
        delivery._pool = None  # a fresh pool with the requested size
        with transaction.atomic():
            root = Unit.objects.get_first_root_node()
            unit = (root.add_child if root else Unit.add_root)(name=tag, code=None)
            other = unit.add_child(name=f"{tag}-b", code=None)
            person = Person.objects.create(name="基准", unit=unit)
            account = get_user_model().objects.create(username=tag, person=person, is_active=True)
            posts = []
            for k in range(robots):
                child = unit.add_child(name=f"{tag}-{k}", code=None)
                posts.append(Post.objects.create(unit=child, title="督办联络员", a_holder=person))
                UnitChannel.objects.create(unit=child, channel="wecom", webhook_url=sink.url(f"/ok?key=bench{k}"))
            other_post = Post.objects.create(unit=other, title="督办联络员", a_holder=person)
            UnitChannel.objects.create(unit=other, channel="wecom", webhook_url=sink.url("/fail500?key=bench"))
            bench_units = [p.unit_id for p in posts] + [other.pk]
        items = [{"kind": NoticeKind.REMINDER, "title": f"基准催办 {i}", "body": "请尽快报送进展。",
                  "url": "/tasks/", "dedupe_key": f"{tag}:{i}",
                  "to_post": other_post if slow_every and i % slow_every == 0 else posts[i % robots]}
                 for i in range(n)]
        t0 = time.perf_counter()
        created = notices_send_bulk(actor=None, items=items)
        figures["send_seconds"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = notices_send_bulk(actor=None, items=items)
        figures["resend_seconds"] = time.perf_counter() - t0
        figures["resend_created"] = len(again)
        t0 = time.perf_counter()
        counts = delivery.deliver_due()
        figures["deliver_seconds"] = time.perf_counter() - t0
        figures.update(counts)
        figures["sink_requests"] = sink.count
        figures["created"] = len(created)
        figures["deliveries_per_second"] = counts["sent"] / figures["deliver_seconds"] if counts["sent"] else 0.0
        figures["sends_per_second"] = len(created) / figures["send_seconds"] if created else 0.0
        ids = [c.pk for c in created]
        Delivery.objects.filter(notice_id__in=ids).delete()
        Notice.objects.filter(pk__in=ids).delete()
        Notice.objects.filter(unit__in=bench_units).delete()
        UnitChannel.objects.filter(unit__in=bench_units).delete()
        Post.objects.filter(unit__in=bench_units).delete()
        account.delete()
        person.delete()
        Unit.objects.get(pk=unit.pk).delete()  # treebeard removes the whole subtree
        delivery._pool = None
    assert figures["sent"] + figures["retry"] + figures["dead"] + figures["deferred"] == n, figures
    if not quiet:
        print(f"notices: {n} sent in {figures['send_seconds']:.2f} s ({figures['sends_per_second']:.0f}/s, "
              f"one bulk call); resend of the same {n}: {figures['resend_seconds']:.2f} s, "
              f"{figures['resend_created']} created")
        print(f"outbox: {figures['sent']} delivered to {robots} robots on a local webhook sink in {figures['deliver_seconds']:.2f} s = "
              f"{figures['deliveries_per_second']:.0f} deliveries/s"
              + (f" ({figures['retry'] + figures['deferred']} to a robot answering 500, queued for retry)"
                 if figures["retry"] + figures["deferred"] else ""))
    return figures


def inbox_p95(repeat: int = 30, quiet: bool = False, many: int = 5000) -> dict:
    """The inbox page (/notices/) through the whole Django stack (test client: routing,
    middleware, session, the post-following inbox query, template) for the liaison account
    whose posts hold the most notices after the scan. If that is fewer than ``many``, the
    liaison's post first gets notices up to ``many`` (one bulk send, removed afterwards; its
    ledger entry stays). Samples the first page and the unread filter alternately."""
    import time as _time

    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from duban.core.roles import Role
    from duban.notices.models import Notice

    User = get_user_model()
    busiest = (Notice.objects.filter(post__isnull=False, reached__isnull=False).values("reached_id")
               .annotate(n=Count("id")).order_by("-n").first())
    user = None
    if busiest is not None:
        user = User.objects.filter(person_id=busiest["reached_id"], is_active=True).order_by("id").first()
    if user is None:
        user = User.objects.filter(role=Role.LIAISON, is_active=True).order_by("id").first()
    if user is None:
        return {}
    from duban.notices import selectors
    from duban.notices.models import NoticeKind
    from duban.notices.services import notices_send_bulk
    from duban.orgs.selectors import posts_acted_by

    held = selectors.inbox(user).count()
    tag = f"bench-inbox-{os.getpid()}-{int(_time.time())}"
    post = posts_acted_by(user.person).order_by("id").first() if user.person_id else None
    if held < many and post is not None:
        notices_send_bulk(actor=None, returning=False, items=[
            {"kind": NoticeKind.REMINDER, "title": f"基准收件箱通知 {i}", "body": "请尽快报送进展。", "url": "/tasks/",
             "to_post": post, "dedupe_key": f"{tag}:{i}"} for i in range(many - held)])
        held = selectors.inbox(user).count()
    client = Client()
    client.force_login(user)
    urls = [reverse("notices:inbox"), reverse("notices:inbox") + "?show=unread"]
    for url in urls:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    samples = []
    for i in range(repeat):
        t0 = _time.perf_counter()
        response = client.get(urls[i % len(urls)])
        samples.append((_time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"inbox answered {response.status_code}")
    Notice.objects.filter(dedupe_key__startswith=f"{tag}:").delete()
    ordered = sorted(samples)

    def pct(p):
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    figures = {"inbox_user": user.username, "inbox_notices": held, "inbox_p50_ms": pct(50), "inbox_p95_ms": pct(95),
               "inbox_samples": len(samples)}
    if not quiet:
        print(f"inbox page of {user.username} ({held} notices): p50 {figures['inbox_p50_ms']:.1f} ms, "
              f"p95 {figures['inbox_p95_ms']:.1f} ms (n={len(samples)}, through the Django stack)")
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m duban.bench.notices")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--slow-every", type=int, default=0, help="every k-th message to a robot answering 500")
    parser.add_argument("--robots", type=int, default=16, help="units, each with its own robot on the sink")
    args = parser.parse_args(argv)
    if "DATABASE_URL" not in os.environ:
        os.environ["DUBAN_DATA_DIR"] = tempfile.mkdtemp(prefix="duban-bench-notices-")
    os.environ.setdefault("DUBAN_ENV", "development")
    os.environ["DUBAN_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    measure(n=args.n, threads=args.threads or None, slow_every=args.slow_every, robots=args.robots)
    return 0


if __name__ == "__main__":
    sys.exit(main())

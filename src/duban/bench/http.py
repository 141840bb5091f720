"""`make bench-http`: duban over real HTTP, the way `duban serve` deploys it, driven by wrk.

    python -m duban.bench.http [--concurrency 1 8] [--seconds 20] [--warmup 5] [--only list,detail]
                               [--with-redmine] [--sqlite] [--json FILE]

Builds (or reuses) the province data set on PostgreSQL (duban.bench.generate; `--sqlite` a
city-sized one in an SQLite file), starts `duban serve` on 127.0.0.1 (DEBUG off, gunicorn
gthread + the buffering worker, no background worker), signs in over HTTP (session cookies for
the pages, bearer tokens for the API), checks that every request answers 2xx with real content
(JSON keys and row counts, the page's marker), measures the raw SQL of each request's queries
with EXPLAIN ANALYZE on the same parameters, warms every request up at 8 connections and then
runs wrk (-t1, `Connection: close`) per request and concurrency, sampling the server's memory.
`--with-redmine` runs the Redmine peer's cell (../shared/peers/redmine) right after each of
duban's and prints the ratio. Everything stays on loopback; every loop is bounded in time.

Env: DUBAN_BENCH_HTTP_SECONDS (per cell, default 20), DUBAN_BENCH_HTTP_WARMUP (5),
DUBAN_BENCH_DATABASE_URL, DUBAN_WEB_WORKERS / DUBAN_WEB_THREADS (passed to duban serve).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
LUA = HERE / "http.lua"
REDMINE_DIR = Path(os.environ.get("DUBAN_REDMINE_PEER", str(Path.cwd().resolve().parent / "shared" / "peers" / "redmine")))
PASSWORD = "Bench-Only-Password-2026!"  # generate.py's accounts (a throw-away data set)
OPEN = ("assigned", "acknowledged", "in_progress", "completion_requested")
PAGE = 25
LINES = 2000  # random requests written per endpoint

# duban's request -> the Redmine peer's (bench.lua modes)
REDMINE_MODE = {"list": "list", "overdue": "overdue", "detail": "detail", "html_list": "html",
                "html_red": "html_overdue", "write": "note"}
LABELS = {
    "list": "JSON list: a township's open tasks by due date, 25",
    "overdue": "JSON overdue list, 25 at a random page 1-20",
    "detail": "JSON task detail (reports, children)",
    "html_list": "HTML responsibility list, one unit",
    "html_red": "HTML red list (random page 1-20)",
    "write": "write: progress report via the API",
    "home": "home page (督查室)",
    "todo": "todo page (township liaison)",
    "inbox": "inbox (township liaison)",
}
ENDPOINTS = tuple(LABELS)


@dataclass
class Req:
    method: str
    path: str
    header: tuple[str, str]
    body: str = ""

    def line(self) -> str:
        return "\t".join([self.method, self.path, self.header[0], self.header[1], self.body])


@dataclass
class Endpoint:
    name: str
    requests: list[Req]
    check: object  # callable(status, headers, body) -> str | None (None = fine)
    sql: dict = field(default_factory=dict)


# --- checks: every request answers 2xx with real content ------------------------------------
def _json(body: bytes):
    try:
        return json.loads(body)
    except ValueError:
        return None


def check_list(status, body, *, light=None, full=True):
    data = _json(body)
    if status != 200 or not isinstance(data, dict) or not {"count", "items"} <= set(data):
        return f"expected 200 with count and items, got {status}: {body[:120]!r}"
    if data["count"] <= 0 or (full and len(data["items"]) != min(PAGE, data["count"])) or not data["items"]:
        return f"expected a page of {PAGE} rows, got {len(data['items'])} of {data['count']}"
    if light and any(item.get("light") != light for item in data["items"]):
        return f"a row is not {light}"
    if not {"id", "title", "due_date", "lead_unit", "status"} <= set(data["items"][0]):
        return "rows lack id/title/due_date/lead_unit/status"
    return None


def check_detail(status, body):
    data = _json(body)
    keys = {"id", "title", "reports", "children", "timeline", "milestones", "transitions"}
    if status != 200 or not isinstance(data, dict) or not keys <= set(data):
        return f"expected 200 with {sorted(keys)}, got {status}: {body[:120]!r}"
    return None


def check_write(status, body):
    data = _json(body)
    if status != 201 or not isinstance(data, dict) or not {"id", "narrative", "percent", "unit"} <= set(data):
        return f"expected 201 with the report, got {status}: {body[:160]!r}"
    return None


def check_html(marker: str, *, rows: bool = False):
    def check(status, body):
        text = body.decode("utf-8", "replace")
        if status != 200 or "<html" not in text:
            return f"expected a 200 page, got {status}"
        if 'name="password"' in text:
            return "answered the sign-in page"
        if marker not in text:
            return f"the page lacks its marker {marker!r}"
        if rows and len(re.findall(r'href="/tasks/\d+/"', text)) < 5:
            return "the list shows fewer than 5 tasks"
        return None

    return check


# --- the server and HTTP helpers -------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, headers=None, body=None, timeout=60.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Connection": "close", **(headers or {})})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def sign_in(port, username) -> str:
    """The session cookie of a real sign-in through the form (CSRF token and all)."""
    status, headers, body = request(port, "GET", "/accounts/login/")
    cookies = _cookies(headers)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD})
    status, headers, body = request(port, "POST", "/accounts/login/", {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": _cookie_header(cookies),
        "Referer": f"http://127.0.0.1:{port}/accounts/login/"}, form)
    cookies.update(_cookies(headers))
    if status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"sign-in as {username} failed: {status} {body[:200]!r}")
    return _cookie_header(cookies)


def _cookies(headers) -> dict:
    out = {}
    for key, value in headers.items():
        if key.lower() == "set-cookie":
            for part in re.split(r",(?=\s*\w+=)", value):
                name, _, rest = part.strip().partition("=")
                out[name] = rest.split(";", 1)[0]
    return out


def _cookie_header(cookies: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


class Server:
    """`duban serve` in its own process group (stopped by its id at the end)."""

    def __init__(self, port: int, env: dict, log_dir: Path):
        self.port = port
        self.log = open(log_dir / "serve.log", "wb")  # noqa: SIM115 - closed in stop()
        argv = [sys.executable, "-m", "duban", "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)]
        from duban.core.management.commands import serve

        if '"--access-log"' in Path(serve.__file__).read_text():  # an older checkout's serve logs to stdout
            argv += ["--access-log", str(log_dir / "access.log")]
        self.proc = subprocess.Popen(argv, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while True:
            with suppress(OSError):
                if request(port, "GET", "/healthz", timeout=5)[0] == 200:
                    break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("duban serve did not come up; see " + str(log_dir / "serve.log"))
            time.sleep(0.3)

    def pids(self) -> list[int]:
        """The serve command, gunicorn's master and its workers (the process group)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with suppress(OSError, ValueError, IndexError):
                    stat = (entry / "stat").read_text()
                    fields = stat[stat.rindex(")") + 2:].split()
                    if int(fields[2]) == self.proc.pid:  # process group id
                        pids.append(int(entry.name))
        return pids

    def describe(self) -> str:
        """gunicorn's command line as it runs (worker class, processes, threads)."""
        for pid in sorted(self.pids()):
            with suppress(OSError):
                args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                if any(a.endswith(b"gunicorn") for a in args[:2]):
                    words = [a.decode() for a in args if a]
                    keep = []
                    for flag in ("--workers", "--threads", "--worker-class"):
                        if flag in words:
                            keep.append(f"{flag} {words[words.index(flag) + 1]}")
                    return "gunicorn " + " ".join(keep or ["(sync, defaults)"])
        return "?"

    def stop(self):
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.log.close()


def memory_kb(pids) -> tuple[int, int]:
    """Summed RSS and PSS (kB) of the processes (smaps_rollup)."""
    rss = pss = 0
    for pid in pids:
        with suppress(OSError):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
    return rss, pss


class Sampler:
    """Peak memory of a set of processes, sampled every 0.5 s while a cell runs."""

    def __init__(self, pids_fn):
        self.pids_fn, self.peak = pids_fn, (0, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            rss, pss = memory_kb(self.pids_fn())
            self.peak = (max(self.peak[0], rss), max(self.peak[1], pss))
            self._stop.wait(0.5)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)


def wrk(base: str, reqfile: Path, *, label, endpoint, conc, seconds, lua=LUA, extra_args=()) -> dict:
    argv = [shutil.which("wrk") or "/usr/bin/wrk", "-t1", f"-c{conc}", f"-d{seconds}s", "--timeout", "30s",
            "-s", str(lua), base, "--", *([str(reqfile), label, endpoint, str(conc)] if not extra_args else extra_args)]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 120, check=False)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"wrk printed no result: {out.stdout[-500:]} {out.stderr[-500:]}")
    return json.loads(lines[-1])


# --- the requests, from the data set -----------------------------------------------------------
def build_endpoints(dataset: dict, *, tokens: dict, cookies: dict, rng: random.Random) -> dict[str, Endpoint]:
    from duban.orgs.models import Unit
    from duban.tasks.models import Task

    sup_api = ("Authorization", f"Bearer {tokens['supervisor']}")
    sup_cookie = ("Cookie", cookies["supervisor"])
    liaison_cookie = ("Cookie", cookies["liaison"])
    # townships that lead open tasks (every township does in the generated set; checked anyway)
    towns = list(Unit.objects.filter(kind="township").values_list("pk", flat=True))
    rng.shuffle(towns)
    towns = [t for t in towns[:400]
             if Task.objects.filter(lead_unit_id=t, status__in=OPEN).exists()][:200] or [dataset["township_unit_id"]]
    status_q = "&".join(f"status={s}" for s in OPEN)
    max_task = Task.objects.order_by("-pk").values_list("pk", flat=True).first()
    eps = {}
    eps["list"] = Endpoint("list", [Req("GET", f"/api/tasks?unit={rng.choice(towns)}&{status_q}&sort=due&limit={PAGE}",
                                        sup_api) for _ in range(LINES)], check_list)
    eps["overdue"] = Endpoint("overdue", [Req("GET", f"/api/tasks?light=red&sort=due&limit={PAGE}"
                                                     f"&offset={PAGE * rng.randint(0, 19)}", sup_api)
                                          for _ in range(LINES)],
                              lambda s, b: check_list(s, b, light="red"))
    eps["detail"] = Endpoint("detail", [Req("GET", f"/api/tasks/{rng.randint(1, max_task)}", sup_api)
                                        for _ in range(LINES)], check_detail)
    eps["html_list"] = Endpoint("html_list", [Req("GET", f"/tasks/list/?unit={rng.choice(towns)}&sort=due&per_page={PAGE}",
                                                  sup_cookie) for _ in range(LINES)],
                                check_html('id="task-results"', rows=True))
    eps["html_red"] = Endpoint("html_red", [Req("GET", f"/tasks/list/?light=red&sort=due&per_page={PAGE}"
                                                       f"&page={rng.randint(1, 20)}", sup_cookie)
                                            for _ in range(LINES)], check_html('id="task-results"', rows=True))
    writes = []
    pairs = [(t, lid) for t, lid in dataset["in_progress"] if lid in tokens["liaisons"]]
    for n in range(LINES):
        task_id, liaison_id = rng.choice(pairs)
        # 100 % for every report: a percent below the unit's last one is refused without a reason,
        # and the data set's reports carry random percents up to 100
        body = json.dumps({"narrative": f"压测进展报送 {n}", "percent": 100}, ensure_ascii=True)
        writes.append(Req("POST", f"/api/tasks/{task_id}/reports",
                          ("Authorization", f"Bearer {tokens['liaisons'][liaison_id]}"), body))
    eps["write"] = Endpoint("write", writes, check_write)
    eps["home"] = Endpoint("home", [Req("GET", "/", sup_cookie)], check_html('href="/tasks/list/'))
    eps["todo"] = Endpoint("todo", [Req("GET", "/tasks/todo/", liaison_cookie)], check_html('href="/tasks/'))
    eps["inbox"] = Endpoint("inbox", [Req("GET", "/notices/", liaison_cookie)], check_html('href="/notices/'))
    return eps


def check_endpoint(port, ep: Endpoint, samples: int = 3) -> None:
    for req in ep.requests[:samples]:
        headers = {req.header[0]: req.header[1]}
        if req.body:
            headers["Content-Type"] = "application/json"
        status, _, body = request(port, req.method, req.path, headers, req.body.encode() or None)
        problem = ep.check(status, body)
        if problem:
            raise SystemExit(f"{ep.name}: {req.method} {req.path}: {problem}")


# --- raw SQL: EXPLAIN ANALYZE of the queries one request runs ----------------------------------
EXPLAINABLE = re.compile(r"^\s*(SELECT|WITH|INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


def sql_profile(req: Req) -> dict:
    """Run the request once in this process (Django's test client, same user and parameters) to
    capture its queries, then time each with EXPLAIN ANALYZE (planning + execution, second run)
    inside a transaction that is rolled back. SQLite: the query's own wall time instead."""
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    headers = {}
    if req.header[0] == "Authorization":
        headers["HTTP_AUTHORIZATION"] = req.header[1]
    else:
        for part in req.header[1].split("; "):
            name, _, value = part.partition("=")
            client.cookies[name] = value
    with CaptureQueriesContext(connection) as ctx:
        if req.method == "GET":
            response = client.get(req.path, **headers)
        else:
            response = client.generic(req.method, req.path, req.body, content_type="application/json", **headers)
    queries = [q["sql"] for q in ctx.captured_queries if EXPLAINABLE.match(q["sql"])]
    times = []
    pg = connection.vendor == "postgresql"

    class _Rollback(Exception):
        pass

    with suppress(_Rollback), transaction.atomic():
        with connection.cursor() as cur:
            for sql in queries:
                best = None
                for _ in range(2):
                    try:
                        with transaction.atomic():
                            if pg:
                                cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
                                plan = cur.fetchone()[0]
                                plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
                                ms = plan["Planning Time"] + plan["Execution Time"]
                            else:
                                t0 = time.perf_counter()
                                cur.execute(sql)
                                cur.fetchall()
                                ms = (time.perf_counter() - t0) * 1000
                    except Exception:  # noqa: BLE001 - a query that cannot be replayed alone (e.g. a lock)
                        ms = None
                        break
                    best = ms
                if best is not None:
                    times.append((best, sql))
        raise _Rollback
    times.sort(key=lambda t: -t[0])
    return {"status": response.status_code, "queries": len(ctx.captured_queries), "explained": len(times),
            "sql_ms": round(sum(t for t, _ in times), 2), "top_ms": round(times[0][0], 2) if times else 0.0,
            "top_sql": times[0][1][:300] if times else ""}


# --- Redmine, the peer --------------------------------------------------------------------------
class Redmine:
    """The peer set up by ../shared/peers/redmine (start.sh): its bench.lua cells, run by us."""

    BASE = "http://127.0.0.1:3000"

    def __init__(self):
        self.key = Path("/var/lib/redmine-bench/api_key").read_text().strip()
        yml = Path("/etc/redmine/default/database.yml").read_text()
        self.pgpass = re.search(r"^\s*password:\s*(\S*)", yml, re.MULTILINE).group(1)
        self.n = int(self._q("select coalesce(max(id),0) from issues where id <= (select count(*) from issues)"))
        self.units = int(self._q("select count(*) from users where type='Group' and id > 10000"))
        self.odate = (date.today() - timedelta(days=1)).isoformat()
        self.cookie = subprocess.run([sys.executable, str(REDMINE_DIR / "login_cookie.py"), self.BASE],
                                     capture_output=True, text=True, timeout=60, check=True).stdout.strip()
        self.puma = int(Path("/var/lib/redmine-bench/puma.pid").read_text())

    def _q(self, sql):
        return subprocess.run(["psql", "-X", "-At", "-h", "127.0.0.1", "-U", "redmine_default", "-d",
                               "redmine_default", "-c", sql], env={**os.environ, "PGPASSWORD": self.pgpass},
                              capture_output=True, text=True, timeout=60, check=True).stdout.strip()

    def pids(self):
        children = subprocess.run(["pgrep", "-P", str(self.puma)], capture_output=True, text=True).stdout.split()
        return [self.puma, *map(int, children)]

    def cell(self, mode, conc, seconds, label):
        args = [mode, str(self.n), str(self.units), self.odate, self.key, self.cookie, label, str(conc), "0"]
        with Sampler(self.pids) as sampler:
            result = wrk(self.BASE, Path("/dev/null"), label=label, endpoint=mode, conc=conc, seconds=seconds,
                         lua=REDMINE_DIR / "bench.lua", extra_args=args)
        result["rss_mb"], result["pss_mb"] = sampler.peak[0] // 1024, sampler.peak[1] // 1024
        return result


# --- the run ------------------------------------------------------------------------------------
def _fmt(r: dict) -> str:
    return (f"{r['rps']:8.1f} {r['p50_ms']:7.0f} {r['p95_ms']:7.0f} {r['p99_ms']:7.0f} "
            f"{r['non2xx'] + r['sock_err']:5d} {r['rss_mb']:6d}")


def markdown(results: list[dict]) -> str:
    """The cells as a markdown table (docs/bench-http.md), with Redmine's columns when present."""
    peer = any("redmine" in r for r in results)
    head = "| request | c | req/s | p50 | p95 | p99 | err | RSS MB | SQL ms (queries) |"
    rule = "|---|---|---|---|---|---|---|---|---|"
    if peer:
        head += " Redmine req/s | Redmine p95 | Redmine RSS MB | ratio |"
        rule += "---|---|---|---|"
    lines = [head, rule]
    for r in results:
        sql = r.get("sql") or {}
        row = (f"| {LABELS.get(r['endpoint'], r['endpoint'])} | {r['concurrency']} | {r['rps']:.1f} | {r['p50_ms']:.0f} "
               f"| {r['p95_ms']:.0f} | {r['p99_ms']:.0f} | {r['non2xx'] + r['sock_err']} | {r.get('rss_mb', 0)} "
               f"| {sql.get('sql_ms', 0):.1f} ({sql.get('queries', 0)}) |")
        if peer:
            m = r.get("redmine")
            row += (f" {m['rps']:.1f} | {m['p95_ms']:.0f} | {m['rss_mb']} | **{r['ratio']:.2f}** |" if m
                    else " | | | |")
        lines.append(row)
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m duban.bench.http", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("DUBAN_BENCH_HTTP_SECONDS", "20")))
    parser.add_argument("--warmup", type=int, default=int(os.environ.get("DUBAN_BENCH_HTTP_WARMUP", "5")))
    parser.add_argument("--only", default="", help="comma-separated requests (default all): " + ",".join(ENDPOINTS))
    parser.add_argument("--with-redmine", action="store_true", help="interleave the Redmine peer's cells")
    parser.add_argument("--sqlite", action="store_true", help="a city-sized data set in SQLite instead")
    parser.add_argument("--scale", type=float, default=None, help="data set scale (PostgreSQL 1.0, SQLite 0.05)")
    parser.add_argument("--no-sql", action="store_true", help="skip the EXPLAIN ANALYZE column")
    parser.add_argument("--json", default="", help="append one JSON line per cell to this file")
    parser.add_argument("--label", default="", help="a label for the JSON lines")
    parser.add_argument("--markdown", default="", metavar="JSONL",
                        help="print the cells of a --json file as a markdown table and stop")
    parser.add_argument("--database-url", default=os.environ.get(
        "DUBAN_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/duban_bench"))
    args = parser.parse_args(argv)
    if args.markdown:
        with open(args.markdown) as fh:
            print(markdown([json.loads(line) for line in fh if line.strip()]))
        return 0
    names = [n for n in (args.only.split(",") if args.only else ENDPOINTS) if n]
    unknown = set(names) - set(ENDPOINTS)
    if unknown:
        parser.error(f"unknown requests: {sorted(unknown)}")
    if not (shutil.which("wrk") or Path("/usr/bin/wrk").exists()):
        parser.error("wrk is not installed (apt-get install wrk)")

    data_dir = Path(os.environ.setdefault("DUBAN_DATA_DIR", os.path.join(os.getcwd(), "var", "bench")))
    run_dir = data_dir / "bench-http"
    run_dir.mkdir(parents=True, exist_ok=True)
    os.environ["DUBAN_ENV"] = "development"  # loopback http, like `make run`; DEBUG off below
    os.environ["DUBAN_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.settings")
    from duban.bench import generate

    if args.sqlite:
        scale = args.scale or 0.05
        os.environ.pop("DATABASE_URL", None)
        os.environ["DUBAN_SQLITE_PATH"] = str(data_dir / f"bench-city-{scale}.sqlite3")
    else:
        scale = args.scale or 1.0
        os.environ["DATABASE_URL"] = args.database_url
        generate.ensure_database(args.database_url)
    import django

    django.setup()
    from django.db import connection

    from duban.accounts import services as account_services
    from duban.accounts.models import User

    dataset = generate.ensure_dataset(scale=scale)
    rng = random.Random(20261204)
    liaison_ids = sorted({lid for _, lid in dataset["in_progress"]})[:16]
    tokens = {"supervisor": account_services.token_issue(actor=User.objects.get(pk=dataset["supervisor_id"]),
                                                         name="bench-http"),
              "liaisons": {lid: account_services.token_issue(actor=User.objects.get(pk=lid), name="bench-http")
                           for lid in liaison_ids}}
    connection.close()

    port = free_port()
    server_env = {**os.environ}
    server = Server(port, server_env, run_dir)
    redmine = None
    try:
        cookies = {"supervisor": sign_in(port, User.objects.get(pk=dataset["supervisor_id"]).username),
                   "liaison": sign_in(port, User.objects.get(pk=dataset["township_liaison_id"]).username)}
        eps = build_endpoints(dataset, tokens=tokens, cookies=cookies, rng=rng)
        for name in names:
            check_endpoint(port, eps[name])
            path = run_dir / f"{name}.tsv"
            path.write_text("\n".join(r.line() for r in eps[name].requests) + "\n")
        print(f"every request answered 2xx with its content ({', '.join(names)})", flush=True)
        if not args.no_sql:
            for name in names:
                eps[name].sql = sql_profile(eps[name].requests[0])
            connection.close()
        if args.with_redmine:
            redmine = Redmine()
        base = f"http://127.0.0.1:{port}"
        load = os.getloadavg()
        print(f"\nduban over HTTP — {dataset['units']} units, {dataset['tasks']} tasks "
              f"({'SQLite' if args.sqlite else 'PostgreSQL'}); duban serve: {server.describe()}; "
              f"wrk -t1, Connection: close, {args.seconds} s per cell; load {load[0]:.2f} {load[1]:.2f}")
        if args.warmup:
            for name in names:
                wrk(base, run_dir / f"{name}.tsv", label="warmup", endpoint=name, conc=8, seconds=args.warmup)
            if redmine:
                for name in names:
                    if name in REDMINE_MODE:
                        redmine.cell(REDMINE_MODE[name], 8, args.warmup, "warmup")
        header = f"{'request':<52} {'c':>2} {'req/s':>8} {'p50':>7} {'p95':>7} {'p99':>7} {'err':>5} {'RSS MB':>6}"
        header += f" | {'SQL ms (n q)':>14}"
        if redmine:
            header += f" | {'Redmine':>8} {'p95':>7} {'RSS MB':>6} {'ratio':>6}"
        print(header)
        results = []
        for name in names:
            for conc in args.concurrency:
                with Sampler(server.pids) as sampler:
                    r = wrk(base, run_dir / f"{name}.tsv", label=args.label or "duban", endpoint=name, conc=conc,
                            seconds=args.seconds)
                r["rss_mb"], r["pss_mb"] = sampler.peak[0] // 1024, sampler.peak[1] // 1024
                r["sql"] = eps[name].sql
                r["load"] = os.getloadavg()[0]
                line = f"{LABELS[name]:<52} {conc:>2} {_fmt(r)}"
                sql = eps[name].sql
                line += f" | {sql['sql_ms']:>7.1f} ({sql['queries']:>2} q)" if sql else f" | {'':>14}"
                if redmine and name in REDMINE_MODE:
                    m = redmine.cell(REDMINE_MODE[name], conc, args.seconds, "redmine")
                    r["redmine"] = m
                    ratio = r["rps"] / m["rps"] if m["rps"] else float("inf")
                    r["ratio"] = round(ratio, 2)
                    line += f" | {m['rps']:8.1f} {m['p95_ms']:7.0f} {m['rss_mb']:6d} {ratio:6.2f}"
                print(line, flush=True)
                results.append(r)
        if args.json:
            with open(args.json, "a") as fh:
                for r in results:
                    fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        if not args.no_sql:
            print("\nslowest query per request (EXPLAIN ANALYZE, planning + execution):")
            for name in names:
                sql = eps[name].sql
                print(f"  {name:<10} {sql['top_ms']:7.1f} ms of {sql['sql_ms']:.1f} ms in {sql['explained']} "
                      f"explained / {sql['queries']} queries: {sql['top_sql'][:160]}")
        print(f"\nload at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

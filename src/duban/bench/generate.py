"""The province-scale benchmark data set, written with PostgreSQL COPY.

At --scale 1.0: 20,000 units (1 province → 15 cities → 8 counties each → 12 townships each →
villages), a person per village and three per other unit, an A/B/C post and a liaison account
per township, 1,000,000 tasks (100,000 goals led by townships, 9 subtasks each led by their
villages), 500,000 progress reports and 5,000,000 ledger entries forming one valid hash chain
(so verify-ledger and appends run against a real chain). Rows are written directly — the
services would take hours at this size — but with the same columns and invariants the services
keep (treebeard paths, next_report_due, one chain).
"""

from __future__ import annotations

import random
import time
from array import array
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STEPLEN = 4
META_TABLE = "bench_meta"


def _step(n: int) -> str:
    out = ""
    for _ in range(STEPLEN):
        n, r = divmod(n, 36)
        out = ALPHABET[r] + out
    return out


def ensure_database(url: str, fresh: bool = False) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


class Timer:
    def __init__(self, label):
        self.label = label

    def __enter__(self):
        self.t0 = time.perf_counter()
        print(f"  {self.label} …", end="", flush=True)
        return self

    def __exit__(self, *exc):
        print(f" {time.perf_counter() - self.t0:.1f} s", flush=True)


def _copy(cursor, table: str, columns: list[str], rows) -> int:
    count = 0
    quoted = ", ".join(f'"{c}"' for c in columns)
    if not hasattr(cursor, "copy"):  # SQLite (the city-sized set of `make bench-http --sqlite`)
        sql = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join(['%s'] * len(columns))})"
        batch = []
        for row in rows:
            batch.append(row)
            count += 1
            if len(batch) >= 5000:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
        return count
    with cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _reset_sequence(cursor, table: str) -> None:
    if not hasattr(cursor, "copy"):  # SQLite: AUTOINCREMENT keeps its high-water mark in sqlite_sequence
        cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
        cursor.execute(f"INSERT INTO sqlite_sequence (name, seq) SELECT %s, COALESCE(MAX(id), 0) FROM {table}", [table])
        return
    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1)) FROM {table}")


def _backfill_latest_reports(connection) -> None:
    """The reports were COPYed after migrating: fill the tasks' latest_* columns as 0008 does."""
    import importlib

    migration = importlib.import_module("duban.tasks.migrations.0008_list_indexes_latest_report")
    with connection.cursor() as cursor:
        for sql in [migration.BACKFILL_PG] if connection.vendor == "postgresql" else migration.BACKFILL_ANY:
            cursor.execute(sql)


def ensure_dataset(scale: float, fresh: bool = False) -> dict:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cur:
        cur.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (scale float PRIMARY KEY, info jsonb, built_at timestamptz)")
        cur.execute(f"SELECT info FROM {META_TABLE} WHERE scale = %s", [scale])
        row = cur.fetchone()
    if row and not fresh:
        print(f"reusing the benchmark data set at scale {scale} (use --fresh to rebuild)")
        info = row[0]
        return info if isinstance(info, dict) else __import__("json").loads(info)
    return build(scale)


def build(scale: float, seed: int = 20170219) -> dict:
    import json

    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from duban.accounts.models import SecurityLabel, User
    from duban.core import integrity, ledger, triggers

    rng = random.Random(seed)
    today = date.today()
    now = datetime.now(UTC)
    n_units = max(60, int(20_000 * scale))
    n_tasks = max(200, int(1_000_000 * scale))
    n_ledger = max(500, int(5_000_000 * scale))
    branch = max(0.25, scale) ** 0.25
    n_cities, n_counties, n_towns = max(2, round(15 * branch)), max(2, round(8 * branch)), max(2, round(12 * branch))
    print(f"building the benchmark data set at scale {scale}: ~{n_units} units, {n_tasks} tasks, {n_ledger} ledger entries")
    t_all = time.perf_counter()

    with transaction.atomic(), connection.cursor() as cur:
        raw = cur.cursor
        triggers.uninstall(connection)
        wiped = ("core_auditentry, tasks_notificationread, tasks_notification, tasks_instruction, "
                 "tasks_extensionrequest, tasks_evidence, tasks_progressreport, tasks_milestone, tasks_task_co_units, "
                 "tasks_task, tasks_source, tasks_category, accounts_apitoken, accounts_user, orgs_leadinggroupmember, "
                 "orgs_leadinggroup_deputies, orgs_leadinggroup, orgs_post, orgs_absence, orgs_person, orgs_unitalias, "
                 "orgs_unit, django_session")
        if connection.vendor == "postgresql":
            cur.execute(f"TRUNCATE {wiped} RESTART IDENTITY CASCADE")
        else:  # SQLite: a fresh file (http.py makes one); foreign keys are checked at commit
            cur.execute("PRAGMA defer_foreign_keys = ON")
            for table in wiped.split(", "):
                cur.execute(f"DELETE FROM {table}")
        triggers.install(connection)

        # --- units ------------------------------------------------------------------------
        units = []  # (id, path, depth, name, kind, parent_index)
        def add(path, depth, name, kind):
            units.append([len(units) + 1, path, depth, 0, name, kind])
            return len(units) - 1

        root = add(_step(1), 1, "某省", "party")
        cities, towns = [], []
        for c in range(n_cities):
            ci = add(units[root][1] + _step(c + 1), 2, f"第{c + 1}市", "party")
            cities.append(ci)
            for k in range(n_counties):
                ki = add(units[ci][1] + _step(k + 1), 3, f"第{c + 1}市第{k + 1}县", "government")
                for t in range(n_towns):
                    towns.append(add(units[ki][1] + _step(t + 1), 4, f"第{c + 1}市第{k + 1}县第{t + 1}乡镇", "township"))
        villages_of = {t: [] for t in towns}
        child_count = {}
        for i in range(n_units - len(units)):
            town = towns[i % len(towns)]
            n = len(villages_of[town]) + 1
            villages_of[town].append(add(units[town][1] + _step(n), 5, f"{units[town][4]}第{n}村", "village"))
        for u in units:  # numchild
            parent_path = u[1][:-STEPLEN]
            if parent_path:
                child_count[parent_path] = child_count.get(parent_path, 0) + 1
        for u in units:
            u[3] = child_count.get(u[1], 0)
        with Timer(f"{len(units)} units"):
            _copy(raw, "orgs_unit", ["id", "path", "depth", "numchild", "name", "short_name", "kind", "code",
                                     "sort_order", "is_active", "version"],
                  ((u[0], u[1], u[2], u[3], u[4], "", u[5], None, 0, True, 1) for u in units))
            _reset_sequence(cur, "orgs_unit")

        # --- people, posts, accounts ------------------------------------------------------
        people = []  # (id, unit_id)
        people_of = {}
        for idx, u in enumerate(units):
            count = 1 if u[5] == "village" else 3
            people_of[idx] = []
            for j in range(count):
                people.append((len(people) + 1, u[0], f"人员{u[0]}-{j + 1}"))
                people_of[idx].append(len(people))
        with Timer(f"{len(people)} people"):
            _copy(raw, "orgs_person", ["id", "name", "unit_id", "title", "phone", "is_active", "version"],
                  ((p[0], p[2], p[1], "干部", "", True, 1) for p in people))
            _reset_sequence(cur, "orgs_person")
        posts = {}  # town index -> post id
        rows = []
        for n, town in enumerate(towns, start=1):
            a, b, c = people_of[town]
            rows.append((n, units[town][0], "督办联络员", "", a, b, c, 1))
            posts[town] = n
        _copy(raw, "orgs_post", ["id", "unit_id", "title", "duties", "a_holder_id", "b_holder_id", "c_holder_id",
                                 "version"], rows)
        _reset_sequence(cur, "orgs_post")
        # One A holder in twenty is away today, so todo pages exercise the B-holder path.
        absences = [(i + 1, people_of[town][0], "leave", today - timedelta(days=2), today + timedelta(days=5), "")
                    for i, town in enumerate(towns[::20])]
        _copy(raw, "orgs_absence", ["id", "person_id", "kind", "start", "end", "note"], absences)
        _reset_sequence(cur, "orgs_absence")

        password = make_password("Bench-Only-Password-2026!")
        users = [(1, "bench_supervisor", "supervisor", units[root][0], None), (2, "bench_leader", "leader", units[root][0], None)]
        liaison_of = {}
        for town in towns:
            uid = len(users) + 1
            users.append((uid, f"liaison{uid}", "liaison", units[town][0], people_of[town][0]))
            liaison_of[town] = uid
        with Timer(f"{len(users)} accounts"):
            def grant_mac(u):  # the role grant's row MAC (DP-03), as User.save() would set it
                return integrity.compute(User(id=u[0], username=u[1], role=u[2], unit_id=u[3]))

            _copy(raw, "accounts_user", ["id", "password", "is_superuser", "username", "first_name", "last_name",
                                         "email", "is_staff", "is_active", "date_joined", "role", "unit_id",
                                         "person_id", "must_change_password", "failed_login_count", "clearance",
                                         "row_mac"],
                  ((u[0], password, False, u[1], "", u[1], "", False, True, now, u[2], u[3], u[4], False, 0,
                    SecurityLabel.GENERAL, grant_mac(u)) for u in users))
            _reset_sequence(cur, "accounts_user")

        # --- tasks ------------------------------------------------------------------------
        cur.execute("INSERT INTO tasks_category (id, name, sort_order, is_active) VALUES "
                    + ", ".join(f"({i}, '工作领域{i}', {i}, true)" for i in range(1, 10)))
        cur.execute("INSERT INTO tasks_source (id, kind, title, issuer, doc_number, text, file, file_name, "
                    "content_hash, created_at, version) VALUES (1, 'speech', '基准测试讲话', '', '', '', '', '', "
                    "'', %s, 1)", [now])
        statuses = (["draft"] * 5 + ["assigned"] * 20 + ["acknowledged"] * 10 + ["in_progress"] * 45
                    + ["completion_requested"] * 5 + ["completed"] * 10 + ["cancelled"] * 5)
        n_roots = max(20, n_tasks // 10)
        per_root = max(1, n_tasks // n_roots - 1)
        task_rows = []
        in_progress = []

        def task_row(tid, path, depth, numchild, lead, post, status, due, start, liaison):
            next_due = today + timedelta(days=rng.randint(-20, 30)) if status in ("acknowledged", "in_progress") else None
            if status == "in_progress" and len(in_progress) < 200_000:
                in_progress.append((tid, liaison))
            return (tid, path, depth, numchild, f"任务{tid}:推进重点工作第{tid % 97}项", "按要求推进落实", (tid % 9) + 1, 1,
                    lead, None, post, start, due, None, "monthly", None, "", "", status, next_due, None, None,
                    now, None, None, None, 1, "")

        tid = 0
        for r in range(n_roots):
            town = towns[r % len(towns)]
            tid += 1
            root_id = tid
            due = today + timedelta(days=rng.randint(-200, 400))
            start = due - timedelta(days=rng.randint(60, 365))
            status = rng.choice(statuses)
            root_path = _step(r + 1)
            task_rows.append(task_row(root_id, root_path, 1, per_root, units[town][0], posts[town], status, due, start,
                                       liaison_of[town]))
            villages = villages_of[town] or [town]
            for k in range(per_root):
                tid += 1
                v = villages[k % len(villages)]
                child_due = due - timedelta(days=rng.randint(0, 30))
                child_due = max(child_due, start)
                task_rows.append(task_row(tid, root_path + _step(k + 1), 2, 0, units[v][0], None, rng.choice(statuses),
                                          child_due, start, liaison_of[town]))
        columns = ["id", "path", "depth", "numchild", "title", "detail", "category_id", "source_id", "lead_unit_id",
                   "responsible_leader_id", "responsible_post_id", "start_date", "due_date", "original_due_date",
                   "reporting_cycle", "target_number", "target_measure", "target_object", "status",
                   "next_report_due", "completion_requested_by_id", "created_by_id", "created_at", "assigned_at",
                   "acknowledged_at", "completed_at", "version", "return_reason"]
        with Timer(f"{len(task_rows)} tasks"):
            _copy(raw, "tasks_task", columns, task_rows)
            _reset_sequence(cur, "tasks_task")
        n_tasks_built = len(task_rows)
        # Reports come from each task's lead unit, as report_submit's participant rule requires, so
        # that the latest_* columns (kept for the lead unit only) are filled as in real use.
        lead_of = array("i", [0]) + array("i", (row[8] for row in task_rows))
        del task_rows

        with Timer(f"{n_tasks_built // 2} progress reports"):
            def reports():
                for i in range(1, n_tasks_built // 2 + 1):
                    t = rng.randint(1, n_tasks_built)
                    yield (i, t, "progress", lead_of[t], 3, f"第{i}次进展:按计划推进。", None,
                           rng.randint(0, 100), None, now - timedelta(minutes=i % 100_000))
            _copy(raw, "tasks_progressreport", ["id", "task_id", "kind", "unit_id", "author_id", "narrative",
                                                "quantity", "percent", "corrects_id", "submitted_at"], reports())
            _reset_sequence(cur, "tasks_progressreport")
        with Timer("latest report per task (the migration's back-fill)"):
            _backfill_latest_reports(connection)

        # --- ledger: one valid chain -------------------------------------------------------
        events = ("task_assign", "task_acknowledge", "task_report", "task_start", "task_request_completion",
                  "task_return", "task_approve", "login")
        with Timer(f"{n_ledger} ledger entries (hash chain)"):
            def entries():
                prev = ledger.GENESIS
                start_at = now - timedelta(seconds=n_ledger)
                for seq in range(1, n_ledger + 1):
                    created = start_at + timedelta(seconds=seq)
                    event = events[seq % len(events)]
                    object_id = str(rng.randint(1, n_tasks_built))
                    data = {"from": "assigned", "to": "acknowledged"} if event != "login" else {}
                    mac = ledger.compute_mac(seq=seq, prev_mac=prev, created_at=created, actor_id=None, actor_name="",
                                             actor_role="", ip="127.0.0.1", request_id="", event=event,
                                             outcome="success", object_type="tasks.task", object_id=object_id,
                                             object_repr="", data=data)
                    yield (seq, seq, created, None, "", "", "127.0.0.1", "", event, "success", "tasks.task",
                           object_id, "", json.dumps(data), prev, mac)
                    prev = mac
                yield_end[0] = (n_ledger, prev)

            yield_end = [None]
            _copy(raw, "core_auditentry", ["id", "seq", "created_at", "actor_id", "actor_name", "actor_role", "ip",
                                           "request_id", "event", "outcome", "object_type", "object_id",
                                           "object_repr", "data", "prev_mac", "mac"], entries())
            _reset_sequence(cur, "core_auditentry")
            seq, mac = yield_end[0]
            cur.execute("INSERT INTO core_ledgerhead (id, seq, mac) VALUES (1, %s, %s) "
                        "ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, mac = EXCLUDED.mac", [seq, mac])

        sample_town = towns[len(towns) // 2]
        info = {
            "scale": scale,
            "units": len(units),
            "tasks": n_tasks_built,
            "ledger": n_ledger,
            "city_unit_id": units[cities[0]][0],
            "township_unit_id": units[sample_town][0],
            "township_liaison_id": liaison_of[sample_town],
            "liaison_ids": [liaison_of[t] for t in towns[:64]],
            "supervisor_id": 1,
            "in_progress": in_progress[:20_000],
        }
        cur.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (scale float PRIMARY KEY, info jsonb, built_at timestamptz)")
        cur.execute(f"DELETE FROM {META_TABLE}")
        cur.execute(f"INSERT INTO {META_TABLE} (scale, info, built_at) VALUES (%s, %s, %s)",
                    [scale, json.dumps(info), now])
    with Timer("ANALYZE"), connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(f"data set built in {time.perf_counter() - t_all:.0f} s")
    return info

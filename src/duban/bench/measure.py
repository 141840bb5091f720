"""What `make bench` times, through the real Django stack (test client: URL routing, middleware,
sessions, permissions, templates) against the benchmark database."""

from __future__ import annotations

import random
import threading
import time
from urllib.parse import urlencode

from django.db import connection, connections
from django.test import Client
from django.urls import reverse

# The pages and their query strings; kept here so a change of the UI's parameter names is a
# one-line change.
LIST_URL = "tasks:list"
DETAIL_URL = "tasks:detail"
TODO_URL = "tasks:todo"
EXPORT_URL = "tasks:export"
HOME_URL = "core:home"  # the first page everyone sees, whichever app serves it


def _client_for(user_id: int) -> Client:
    from duban.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(pk=user_id))
    return client


def _time_requests(client: Client, urls, repeat: int) -> list[float]:
    client.get(urls[0])  # warm caches and connection
    samples = []
    for i in range(repeat):
        url = urls[i % len(urls)]
        t0 = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    return samples


def _pct(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _row(label, samples, unit="ms"):
    print(f"  {label:<58} p50 {_pct(samples, 50):8.1f} {unit}   p95 {_pct(samples, 95):8.1f} {unit}   (n={len(samples)})")


def _list_query_sql(user, params) -> tuple[str, list]:
    """The SQL the list page runs for its first page, as the selector builds it."""
    from duban.orgs.models import Unit
    from duban.tasks import selectors

    filters = selectors.TaskFilters(unit=Unit.objects.get(pk=params["unit"]), light=params["light"],
                                    sort=params["sort"])
    qs = selectors.task_list(user, filters)[:50]
    return qs.query.sql_with_params()


def _raw_sql_times(sql, params, repeat) -> list[float]:
    samples = []
    with connection.cursor() as cur:
        cur.execute(sql, params)
        cur.fetchall()
        for _ in range(repeat):
            t0 = time.perf_counter()
            cur.execute(sql, params)
            cur.fetchall()
            samples.append((time.perf_counter() - t0) * 1000)
    return samples


def _writers(dataset, threads: int, seconds: float) -> tuple[int, float]:
    """Progress reports submitted through the service (validation, row, ledger append) by N
    concurrent writers on distinct tasks: the cost of the ledger's chain lock under contention."""
    from duban.accounts.models import User
    from duban.tasks import services
    from duban.tasks.models import Task

    pool = list(dataset["in_progress"])
    random.Random(threads).shuffle(pool)
    per_thread = [pool[i::threads] for i in range(threads)]
    done = [0] * threads
    errors = []
    barrier = threading.Barrier(threads)
    deadline = [0.0]

    def work(n):
        try:
            users = {}
            barrier.wait()
            if n == 0:
                deadline[0] = time.perf_counter() + seconds
            while not deadline[0]:
                time.sleep(0.001)
            for task_id, liaison_id in per_thread[n]:
                if time.perf_counter() >= deadline[0]:
                    break
                user = users.get(liaison_id) or users.setdefault(
                    liaison_id, User.objects.select_related("unit", "person").get(pk=liaison_id))
                task = Task.objects.get(pk=task_id)
                services.report_submit(actor=user, task=task, narrative="基准测试进展报送", percent=50)
                done[n] += 1
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    t0 = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - t0
    if errors:
        print(f"    ({len(errors)} writer errors, first: {errors[0]})")
    return sum(done), sum(done) / max(elapsed, 1e-9)


def run(dataset: dict, repeat: int, writers_seconds: float) -> None:
    from duban.accounts.models import User
    from duban.core import ledger
    from duban.tasks.models import Task

    print(f"\nduban benchmark — {dataset['units']} units, {dataset['tasks']} tasks, {dataset['ledger']} ledger entries "
          f"(PostgreSQL, {connection.settings_dict['NAME']})\n")
    supervisor = _client_for(dataset["supervisor_id"])
    supervisor_user = User.objects.get(pk=dataset["supervisor_id"])
    township, city = dataset["township_unit_id"], dataset["city_unit_id"]
    list_url = reverse(LIST_URL)
    township_params = {"unit": str(township), "light": "red", "sort": "due"}
    city_params = {"unit": str(city), "light": "red", "sort": "due"}

    def q(params):
        return list_url + "?" + urlencode(params)

    _row("responsibility list: township subtree, red, by due date", _time_requests(supervisor, [q(township_params)], repeat))
    _row("responsibility list: whole city subtree, red, by due date", _time_requests(supervisor, [q(city_params)], repeat))
    # 一人一清单 of the township liaison's person, and the unit filter's typed search (what the
    # select no longer lists at this scale is found this way).
    person_id = User.objects.get(pk=dataset["township_liaison_id"]).person_id
    if person_id is not None:
        _row("responsibility list: one person's tasks (一人一清单)",
             _time_requests(supervisor, [q({"mode": "person", "person": str(person_id)})], repeat))
    _row("unit filter: typed search (2 characters)", _time_requests(supervisor, [q({"options": "unit", "term": "乡镇"})], repeat))
    sql, params = _list_query_sql(supervisor_user, city_params)
    _row("  raw SQL of the city list query alone", _raw_sql_times(sql, params, repeat))
    sql, params = _list_query_sql(supervisor_user, township_params)
    _row("  raw SQL of the township list query alone", _raw_sql_times(sql, params, repeat))
    rng = random.Random(7)
    ids = [rng.randint(1, dataset["tasks"]) for _ in range(repeat)]
    _row("task page (random tasks)", _time_requests(supervisor, [reverse(DETAIL_URL, args=[i]) for i in ids], repeat))
    liaison = _client_for(dataset["township_liaison_id"])
    _row("home page (督查室: the whole city's counts)", _time_requests(supervisor, [reverse(HOME_URL)], repeat))
    _row("home page (township liaison)", _time_requests(liaison, [reverse(HOME_URL)], repeat))
    _row("todo page (township liaison)", _time_requests(liaison, [reverse(TODO_URL)], repeat))
    _row("todo page (督查室: every completion request to review)", _time_requests(supervisor, [reverse(TODO_URL)], repeat))

    # A county's subtree holds about 10,000 tasks at full scale: the export the issue asks for.
    from duban.orgs.models import Unit

    county = Unit.objects.get(pk=township).get_parent()
    rows = Task.objects.filter(lead_unit__path__startswith=county.path).count()
    export_url = reverse(EXPORT_URL) + f"?unit={county.pk}"
    samples = []
    for _ in range(max(3, repeat // 10)):
        t0 = time.perf_counter()
        response = supervisor.get(export_url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        samples.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"export answered {response.status_code}")
    _row(f"export of a county's {rows:,} rows to .xlsx ({len(body) // 1024} KiB)", samples)

    for threads in (1, 8):
        count, rate = _writers(dataset, threads, writers_seconds)
        print(f"  report submissions, {threads} concurrent writer(s): {rate:8.1f} /s   ({count} in {writers_seconds:.0f} s)")
    t0 = time.perf_counter()
    result = ledger.verify()
    print(f"  verify-ledger over {result.checked} entries: {'ok' if result.ok else 'BROKEN: ' + result.reason} "
          f"in {time.perf_counter() - t0:.1f} s")

    from duban.bench import evaluation as evaluation_bench  # score sheets and the dashboard's endpoints

    evaluation_bench.measure(dataset, repeat=repeat)

    # Issue 8: the supervision scan at this scale (first and idempotent), the inbox page's p95 and
    # the outbox's deliveries per second (duban.bench.supervision, also runnable alone).
    from duban.bench import supervision as supervision_bench

    supervision_bench.run_all(repeat=repeat)

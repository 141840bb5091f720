"""`make bench-http`'s response checks and its SQL profile, on the test client (no wrk, no server).

The benchmark measures a request only after it answered 2xx with real content; these tests show
the checks pass on real answers of the six requests' kinds and refuse what would make a
benchmark meaningless (a sign-in page, a 401, an empty or short page, a failed write).
"""

import json
import shutil
from datetime import timedelta

import pytest
from tasks.helpers import Builder  # tests/ is on sys.path (tests/conftest.py)

from duban.bench import http as bench


@pytest.fixture
def world(cast, settings, tmp_path, monkeypatch):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    monkeypatch.setattr(bench, "PAGE", 3)
    build = Builder(cast, tmp_path)
    tasks = [build.assigned(due_in=5, title=f"逾期任务{i}", start_date=build.today - timedelta(days=60)) for i in range(4)]
    from duban.tasks.models import Task

    for i, task in enumerate(tasks):  # overdue since (test set-up: the service refuses to assign a past date)
        Task.objects.filter(pk=task.pk).update(due_date=build.today - timedelta(days=5 + i))
    tasks.append(build.in_progress(due_in=30, title="办理中任务"))
    from duban.accounts.services import token_issue

    return {"cast": cast, "tasks": tasks, "sup": token_issue(actor=cast.supervisor),
            "liaison": token_issue(actor=cast.bajiao_liaison)}


def _api(client, token, method, path, body=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if method == "GET":
        response = client.get(path, **headers)
    else:
        response = client.generic(method, path, body, content_type="application/json", **headers)
    return response.status_code, response.content


def test_the_json_checks_pass_real_answers_and_refuse_useless_ones(client, world):
    unit = world["cast"].bajiao.pk
    status_q = "&".join(f"status={s}" for s in bench.OPEN)
    answer = _api(client, world["sup"], "GET", f"/api/tasks?unit={unit}&{status_q}&sort=due&limit=3")
    assert bench.check_list(*answer) is None
    answer = _api(client, world["sup"], "GET", "/api/tasks?light=red&sort=due&limit=3&offset=0")
    assert bench.check_list(*answer, light="red") is None
    # a page that is not full, a row of another light, no credentials
    assert "a page of 3" in bench.check_list(*_api(client, world["sup"], "GET", "/api/tasks?light=red&limit=3&offset=3"))
    assert bench.check_list(*_api(client, world["sup"], "GET", "/api/tasks?sort=due&limit=3"), light="green")
    assert "expected 200" in bench.check_list(*_api(client, "not-a-token", "GET", "/api/tasks?limit=3"))

    task = world["tasks"][-1]
    assert bench.check_detail(*_api(client, world["sup"], "GET", f"/api/tasks/{task.pk}")) is None
    assert bench.check_detail(*_api(client, world["sup"], "GET", "/api/tasks/999999")) is not None

    body = json.dumps({"narrative": "压测进展报送", "percent": 40})
    assert bench.check_write(*_api(client, world["liaison"], "POST", f"/api/tasks/{task.pk}/reports", body)) is None
    assert bench.check_write(*_api(client, world["sup"], "POST", f"/api/tasks/{task.pk}/reports", "{}")) is not None


def test_the_page_checks_want_the_signed_in_page_with_its_rows(client, world, login):
    login(world["cast"].supervisor)
    rows = bench.check_html('id="task-results"', rows=False)
    response = client.get(f"/tasks/list/?unit={world['cast'].bajiao.pk}&sort=due&per_page=25")
    assert rows(response.status_code, response.content) is None
    # five tasks: the list check that wants five rows passes, a marker that is not there fails
    assert bench.check_html('id="task-results"', rows=True)(response.status_code, response.content) is None
    assert bench.check_html("no-such-marker")(response.status_code, response.content)
    for path, marker in (("/", 'href="/tasks/list/'), ("/tasks/todo/", 'href="/tasks/'),
                         ("/notices/", 'href="/notices/')):
        response = client.get(path)
        assert bench.check_html(marker)(response.status_code, response.content) is None, path
    client.cookies.clear()
    response = client.get("/accounts/login/")
    assert bench.check_html('href="/tasks/')(response.status_code, response.content) == "answered the sign-in page"


def test_the_sql_profile_replays_a_requests_queries(client, world):
    req = bench.Req("GET", "/api/tasks?light=red&sort=due&limit=3", ("Authorization", f"Bearer {world['sup']}"))
    profile = bench.sql_profile(req)
    assert profile["status"] == 200
    assert profile["queries"] >= 2 and profile["explained"] >= 1
    assert profile["sql_ms"] >= profile["top_ms"] > 0
    # on a data set this small any query may be the slowest (the token look-up was, once, on PostgreSQL)
    assert profile["top_sql"].startswith("SELECT")


def test_the_wrk_script_and_the_request_lines_fit(tmp_path):
    # one line per request, tab-separated, that http.lua splits back into method, path, header, body
    line = bench.Req("POST", "/api/tasks/1/reports", ("Authorization", "Bearer x"), '{"percent": 1}').line()
    assert line.split("\t") == ["POST", "/api/tasks/1/reports", "Authorization", "Bearer x", '{"percent": 1}']
    lua = bench.LUA.read_text()
    assert '"Connection"] = "close"' in lua and "function response" in lua
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (apt-get install wrk)")


@pytest.mark.django_db
def test_the_bench_data_set_builds_on_either_database():
    # `make bench-http --sqlite` builds the set on SQLite, the default run with COPY on PostgreSQL
    from duban.bench import generate
    from duban.tasks.models import ProgressReport, Task

    info = generate.build(scale=0.0002)
    assert info["tasks"] == Task.objects.count() >= 200
    assert ProgressReport.objects.count() == info["tasks"] // 2
    assert Task.objects.filter(status="in_progress").exists() and info["in_progress"]
    new = Task.objects.create(title="after the build", lead_unit_id=info["township_unit_id"], path="ZZZZ", depth=1)
    assert new.pk == info["tasks"] + 1  # the id sequences were moved past the copied rows

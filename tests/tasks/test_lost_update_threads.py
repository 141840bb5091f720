"""RL-01, the two-thread variant: two users' requests on real connections (transactional test,
one database connection per thread), through the HTTP API, on SQLite and PostgreSQL. A and B both
GET v1; A PATCHes v1 and gets 200 (v2); B PATCHes v1 and gets 409 with the current data; the
database holds A's change. And when both PATCH v1 at the same instant, exactly one wins."""

import json
import threading

import pytest
from django.db import close_old_connections, connection
from django.test import Client

from duban.tasks.models import Task

pytestmark = pytest.mark.django_db(transaction=True)


def _token(cast, user):
    response = Client().post("/api/auth/token", json.dumps({"username": user.username, "password": cast.password}),
                             content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _threads(*targets):
    errors = []

    def run(target):
        try:
            target()
        except BaseException as exc:  # noqa: BLE001 - re-raised below, in the test's thread
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    workers = [threading.Thread(target=run, args=(t,)) for t in targets]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert not any(w.is_alive() for w in workers), "a thread hung"
    if errors:
        raise errors[0]


def _api(token):
    client, headers = Client(), {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def get(pk):
        return client.get(f"/api/tasks/{pk}", **headers)

    def patch(pk, body):
        return client.patch(f"/api/tasks/{pk}", json.dumps(body), content_type="application/json", **headers)

    return get, patch


def test_a_then_b_on_v1_a_wins_b_gets_409_with_the_current_data(build):
    c = build.cast
    task = build.task()
    tokens = [_token(c, c.supervisor), _token(c, c.supervisor)]  # two sessions, as two people would have
    both_read, a_done = threading.Barrier(2), threading.Event()
    seen, answers = {}, {}

    def a():
        get, patch = _api(tokens[0])
        seen["a"] = get(task.pk).json()["version"]
        both_read.wait(timeout=30)
        answers["a"] = patch(task.pk, {"version": seen["a"], "title": "A 的修改"})
        a_done.set()

    def b():
        get, patch = _api(tokens[1])
        seen["b"] = get(task.pk).json()["version"]
        both_read.wait(timeout=30)
        assert a_done.wait(timeout=30)
        answers["b"] = patch(task.pk, {"version": seen["b"], "title": "B 的修改"})

    _threads(a, b)
    v1 = task.version
    assert seen == {"a": v1, "b": v1}
    assert answers["a"].status_code == 200 and answers["a"].json()["version"] == v1 + 1
    assert answers["b"].status_code == 409
    current = answers["b"].json()["current"]
    assert current["title"] == "A 的修改" and current["version"] == v1 + 1
    row = Task.objects.get(pk=task.pk)
    assert (row.title, row.version) == ("A 的修改", v1 + 1)


def test_both_patch_v1_at_once_exactly_one_wins_and_the_row_holds_the_winner(build):
    c = build.cast
    task = build.task()
    tokens = [_token(c, c.supervisor), _token(c, c.supervisor)]
    go = threading.Barrier(2)
    answers = {}

    def editor(n):
        def run():
            _get, patch = _api(tokens[n])
            go.wait(timeout=30)
            answers[n] = patch(task.pk, {"version": task.version, "title": f"编辑者{n}"})
        return run

    _threads(editor(0), editor(1))
    codes = sorted(r.status_code for r in answers.values())
    assert codes == [200, 409], [r.content[:300] for r in answers.values()]
    winner = next(n for n, r in answers.items() if r.status_code == 200)
    loser = answers[1 - winner].json()
    assert loser["current"]["title"] == f"编辑者{winner}"
    row = Task.objects.get(pk=task.pk)
    assert (row.title, row.version) == (f"编辑者{winner}", task.version + 1)

"""Issue 10: every page of the task work answers in a number of queries that does not grow with
its rows — the list, the task page (children, reports with evidence, timeline, extensions,
instructions), the home page, the todo page and the inbox, as HTML and as JSON. Each page is
measured with N rows, then with 3N: the count must stay the same (and under a fixed ceiling)."""

from datetime import timedelta

import pytest
from django.urls import reverse

from duban.tasks import services as svc

from .helpers import a_pdf

N = 3


def _get(client, url, params=None):
    response = client.get(url, params or {})
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return response


def _same_count(django_assert_max_num_queries, ceiling, request, grow):
    """Run ``request`` with the rows there are, then after ``grow`` (twice as many again); the
    second run may not make more queries than the first, and the first stays under ``ceiling``."""
    with django_assert_max_num_queries(ceiling) as first:
        request()
    grow()
    with django_assert_max_num_queries(len(first.captured_queries)):
        request()
    return len(first.captured_queries)


def _listed_tasks(build, n):
    c = build.cast
    for i in range(n):
        task = build.in_progress(title=f"列表任务{i}", post=c.post_bajiao, co_units=[c.baiguo],
                                 responsible_leader=c.p_bajiao_c)
        svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="进展", percent=10 + i)


@pytest.mark.parametrize("who", ["supervisor", "bajiao_liaison"])
def test_the_html_list_does_not_grow_with_rows(build, login, django_assert_max_num_queries, who):
    c = build.cast
    _listed_tasks(build, N)
    client = login(getattr(c, who))
    url = reverse("tasks:list")

    def request():
        page = _get(client, url, {"unit": c.bajiao.pk, "sort": "due"}).content.decode()
        assert "列表任务0" in page

    _same_count(django_assert_max_num_queries, 30, request, lambda: _listed_tasks(build, 2 * N))


def test_the_json_list_does_not_grow_with_rows(build, login, django_assert_max_num_queries):
    c = build.cast
    _listed_tasks(build, N)
    client = login(c.supervisor)
    params = {"unit": c.bajiao.pk, "status": ["assigned", "acknowledged", "in_progress", "completion_requested"],
              "sort": "due", "limit": 25}

    def request():
        body = _get(client, "/api/tasks", params).json()
        assert body["items"] and body["items"][0]["acting_person"]["name"]
        assert body["items"][0]["latest_percent"] is not None

    _same_count(django_assert_max_num_queries, 16, request, lambda: _listed_tasks(build, 2 * N))


def _busy_task(build):
    """A task with children, reports (with evidence, by the lead and a co-unit), an extension
    request and an instruction: everything the task page lists."""
    c = build.cast
    task = build.in_progress(post=c.post_bajiao, co_units=[c.baiguo], due_in=120,
                             milestones=[{"name": "摸底", "date": build.today + timedelta(days=30)}])
    svc.instruction_add(actor=c.leader, task=task, text="抓紧推进")
    svc.extension_request(actor=c.bajiao_liaison, task=task, requested_due=build.today + timedelta(days=150),
                          reason="需要更多时间")
    return task


def _grow_task(build, task, n, start=0):
    c = build.cast
    for i in range(start, start + n):
        svc.task_assign(actor=c.supervisor, task=build.task(parent=task, due_in=60, title=f"下级{i}"))
        svc.report_submit(actor=c.bajiao_liaison, task=task, narrative=f"牵头进展{i}", percent=10 + i,
                          files=[a_pdf(f"佐证{i}.pdf")])
        svc.report_submit(actor=c.baiguo_liaison, task=task, narrative=f"配合进展{i}", percent=5 + i)


@pytest.mark.parametrize("who", ["supervisor", "bajiao_liaison"])
def test_the_task_page_does_not_grow_with_children_reports_or_timeline(build, login,
                                                                        django_assert_max_num_queries, who):
    c = build.cast
    task = _busy_task(build)
    _grow_task(build, task, N)
    client = login(getattr(c, who))
    url = reverse("tasks:detail", args=[task.pk])

    def request():
        page = _get(client, url).content.decode()
        assert "下级0" in page and "佐证0.pdf" in page

    count = _same_count(django_assert_max_num_queries, 60, request, lambda: _grow_task(build, task, 2 * N, N))
    assert count <= 60


def test_the_json_task_detail_does_not_grow_with_children_reports_or_timeline(build, login,
                                                                             django_assert_max_num_queries):
    c = build.cast
    task = _busy_task(build)
    _grow_task(build, task, N)
    client = login(c.supervisor)

    def request():
        body = _get(client, f"/api/tasks/{task.pk}").json()
        assert body["children"] and body["reports"] and body["timeline"] and body["extensions"]
        assert body["instructions"] and body["milestones"] and body["unit_progress"]

    # The task, its parent and children, co-units, posts, absences, milestones, instructions,
    # timeline, reports, evidence, extensions, the policy: plain-row queries, plus the session's.
    _same_count(django_assert_max_num_queries, 18, request, lambda: _grow_task(build, task, 2 * N, N))


@pytest.mark.parametrize("who", ["supervisor", "bajiao_liaison"])
def test_home_and_todo_do_not_grow_with_rows(build, login, django_assert_max_num_queries, who):
    c = build.cast

    def grow(n):
        for i in range(n):
            build.assigned(title=f"待签收{i}", post=c.post_bajiao, due_in=5)
            task = build.in_progress(title=f"待填报{i}", post=c.post_bajiao, cycle="weekly")
            svc.task_request_completion(actor=c.bajiao_liaison, task=task, narrative="已完成", files=[a_pdf()])

    grow(N)
    client = login(getattr(c, who))
    tab = "review" if who == "supervisor" else "acknowledge"

    def home():
        _get(client, reverse("core:home"))

    def todo():
        page = _get(client, reverse("tasks:todo"), {"tab": tab}).content.decode()
        assert ("待填报0" if who == "supervisor" else "待签收0") in page

    def api_todo():
        _get(client, "/api/todo")

    _same_count(django_assert_max_num_queries, 40, home, lambda: grow(N))
    _same_count(django_assert_max_num_queries, 40, todo, lambda: grow(N))
    _same_count(django_assert_max_num_queries, 25, api_todo, lambda: grow(N))


def test_the_inbox_does_not_grow_with_notices(build, login, django_assert_max_num_queries):
    c = build.cast

    def grow(n):
        for i in range(n):
            build.assigned(title=f"通知任务{i}", post=c.post_bajiao)

    grow(N)
    client = login(c.bajiao_liaison)

    def inbox():
        page = _get(client, reverse("notices:inbox")).content.decode()
        assert "通知任务0" in page

    def api_inbox():
        assert _get(client, "/api/notices").json()["items"]

    _same_count(django_assert_max_num_queries, 25, inbox, lambda: grow(2 * N))
    _same_count(django_assert_max_num_queries, 20, api_inbox, lambda: grow(2 * N))


def test_the_json_list_counts_up_to_the_cap(build, login, monkeypatch):
    """A province's red list is 100,000 rows: the JSON list counts to the cap (1,000), says so
    with ``count_exact``, and pages on by offset (its exact COUNT cost 0.7 s on the bench set)."""
    from duban.tasks import ui_queries

    _listed_tasks(build, N)
    client = login(build.cast.supervisor)
    assert _get(client, "/api/tasks").json() | {"items": None} == {"count": N, "count_exact": True, "items": None}
    monkeypatch.setattr(ui_queries, "COUNT_CAP", 2)
    body = _get(client, "/api/tasks", {"limit": 2, "offset": 2}).json()
    assert (body["count"], body["count_exact"], len(body["items"])) == (2, False, 1)

"""The dashboard's numbers equal the counts of the lists they link to, and its data endpoints
are scoped like the lists (a township sees only its own)."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from duban.dashboard import services
from duban.dashboard.models import Horizon
from duban.tasks import lights, search
from duban.tasks.models import Category, Task, TaskStatus

pytestmark = pytest.mark.django_db


def _task(title, unit, due, status=TaskStatus.IN_PROGRESS, category=None):
    return Task.objects.add_root({"title": title, "lead_unit": unit, "due_date": due, "status": status,
                                  "category": category, "start_date": min(due, date(2026, 1, 1)),
                                  "search_bigrams": search.bigrams(title)})


@pytest.fixture
def tasks(cast):
    today = lights.today()
    party = Category.objects.create(name="基层党建")
    economy = Category.objects.create(name="产业发展")
    rows = [
        ("芭蕉逾期一", cast.bajiao, today - timedelta(days=3), TaskStatus.IN_PROGRESS, party),
        ("芭蕉逾期二", cast.xiaojiaping, today - timedelta(days=30), TaskStatus.ASSIGNED, economy),
        ("芭蕉临期", cast.bajiao, today + timedelta(days=2), TaskStatus.IN_PROGRESS, party),
        ("芭蕉办结", cast.bajiao, today - timedelta(days=10), TaskStatus.COMPLETED, economy),
        ("芭蕉草稿", cast.bajiao, today - timedelta(days=10), TaskStatus.DRAFT, economy),
        ("白果逾期", cast.baiguo, today - timedelta(days=1), TaskStatus.IN_PROGRESS, party),
        ("白果正常", cast.baiguo, today + timedelta(days=60), TaskStatus.IN_PROGRESS, None),
    ]
    return [_task(*row) for row in rows]


def _list_titles(client, url):
    """The list page behind a link (the test client follows it like a person) and its query."""
    response = client.get(url)
    assert response.status_code == 200
    query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    return response, query


def _count_list(user, query):
    from duban.orgs.models import Unit
    from duban.tasks import selectors

    filters = dict(query)
    if "unit" in filters:
        filters["unit"] = Unit.objects.get(pk=filters["unit"])
    if "category" in filters:
        filters["category"] = Category.objects.get(pk=filters["category"])
    if "status" in filters:
        filters["status"] = [filters["status"]]
    for key in ("due_from", "due_to"):
        if key in filters:
            filters[key] = date.fromisoformat(filters[key])
    return selectors.task_list(user, filters).count()


def test_every_number_of_the_leaders_dashboard_equals_the_list_it_opens(cast, login, tasks):
    client = login(cast.leader)
    units = client.get("/dashboard/data/units.json").json()
    assert units["labels"][:3] == ["市委办公室", "芭蕉侗族乡", "白果乡"]
    checked = 0
    for light, counts in units["series"].items():
        for index, count in enumerate(counts):
            url = units["links"][light][index]
            response, query = _list_titles(client, url)
            assert count == _count_list(cast.leader, query), (light, units["labels"][index])
            checked += 1
    bajiao = units["labels"].index("芭蕉侗族乡")
    assert units["series"]["red"][bajiao] == 2  # the village's overdue task counts for its township
    response = client.get(units["links"]["red"][bajiao])
    html = response.content.decode()
    assert "芭蕉逾期一" in html and "芭蕉逾期二" in html and "白果逾期" not in html and "芭蕉临期" not in html

    overview = client.get("/dashboard/data/overview.json").json()
    assert overview["red"]["value"] == 3 and overview["total"]["value"] == 6  # the draft is not issued
    for key in ("total", "red", "yellow", "green", "grey"):
        _, query = _list_titles(client, overview[key]["url"])
        assert overview[key]["value"] == _count_list(cast.leader, query)

    categories = client.get("/dashboard/data/categories.json").json()
    for light, counts in categories["series"].items():
        for index, count in enumerate(counts):
            _, query = _list_titles(client, categories["links"][light][index])
            assert count == _count_list(cast.leader, query)
    assert categories["series"]["red"][categories["labels"].index("基层党建")] == 2

    completion = client.get("/dashboard/data/completion.json").json()
    for key in ("total", "done"):
        for index, count in enumerate(completion["series"][key]):
            _, query = _list_titles(client, completion["links"][key][index])
            assert count == _count_list(cast.leader, query)
    assert checked == 4 * len(units["labels"])


def test_a_townships_chart_data_holds_only_its_own_subtree(cast, login, tasks):
    client = login(cast.bajiao_liaison)
    units = client.get("/dashboard/data/units.json").json()
    assert units["labels"] == ["芭蕉侗族乡", "肖家坪村"]
    assert units["series"]["red"] == [2, 1]
    overview = client.get("/dashboard/data/overview.json").json()
    assert overview["red"]["value"] == 2 and "listed" not in overview
    body = client.get("/dashboard/data/categories.json").content.decode()
    assert "白果" not in body
    # Another township's list behind a guessed link is refused like the list refuses it.
    other = client.get(f"/tasks/list/?unit={cast.baiguo.pk}&light=red")
    assert "白果逾期" not in other.content.decode()


def test_the_commitments_timeline_counts_the_tasks_its_term_finds(cast, login, tasks):
    services.commitment_create(actor=cast.supervisor, title="软弱涣散基层党组织整改", horizon=Horizon.YEARLY,
                               due_date=date(2026, 12, 31), term="芭蕉")
    data = login(cast.leader).get("/dashboard/data/commitments.json").json()
    item = data["items"][0]
    assert item["total"] == 4 and item["done"] == 1 and item["horizon"] == "分年度交账"
    assert item["url"].endswith("?q=%E8%8A%AD%E8%95%89")


def test_the_dashboard_and_the_big_screen_render_with_their_scripts_and_no_inline_code(cast, login, tasks):
    client = login(cast.leader)
    for url in ("/dashboard/", "/dashboard/screen/"):
        html = client.get(url).content.decode()
        assert "vendor/echarts/echarts.min.js" in html and "dashboard/js/dashboard.js" in html
        assert "<script>" not in html and " style=" not in html
    assert 'data-refresh="60"' in client.get("/dashboard/screen/").content.decode()
    assert client.get("/dashboard/data/nothing.json").status_code == 404
    assert login(cast.auditor).get("/dashboard/data/overview.json").status_code == 403


def test_a_leaders_home_page_is_the_dashboard_and_a_liaisons_is_not(cast, login):
    response = login(cast.leader).get("/")
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert login(cast.bajiao_liaison).get("/").status_code == 200


def test_a_townships_figures_are_its_own_list_and_carry_its_unit(cast, login, tasks):
    client = login(cast.bajiao_liaison)
    overview = client.get("/dashboard/data/overview.json").json()
    assert overview["red"]["url"] == f"/tasks/list/?unit={cast.bajiao.pk}&light=red"
    _, query = _list_titles(client, overview["red"]["url"])
    assert overview["red"]["value"] == _count_list(cast.bajiao_liaison, query) == 2

"""Issue 11 finding: huge integers in ``page``, ``offset`` or id lists are a 400 with a clear
message (forms, list pages, API), never a 500, on both databases (IP-01)."""

import json

import pytest
from django.test import Client, RequestFactory

from duban.core.middleware import InputCharactersMiddleware

BIG = "99999999999999999999999"


@pytest.fixture
def api_headers(client, cast):
    response = client.post("/api/auth/token", json.dumps({"username": "supervisor", "password": cast.password}),
                           content_type="application/json")
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}


def test_a_huge_offset_or_limit_in_the_api_is_a_field_error(client, api_headers):
    for param in ("offset", "limit"):
        response = client.get("/api/tasks", {param: BIG}, **api_headers)
        assert response.status_code == 400, (param, response.content)
        assert param in response.json()["errors"]


def test_huge_ids_in_an_api_body_are_field_errors(client, cast, api_headers):
    body = {"title": "x", "lead_unit": cast.bajiao.pk, "co_units": [cast.baiguo.pk, int(BIG)], "due_date": "2027-01-01"}
    response = client.post("/api/tasks", json.dumps(body), content_type="application/json", **api_headers)
    assert response.status_code == 400 and "co_units" in response.json()["errors"]


@pytest.mark.parametrize("path", ["/tasks/list/", "/orgs/", "/audit/", "/tasks/sources/", "/orgs/people/"])
def test_huge_page_numbers_and_ids_in_a_list_page_never_give_500(cast, login, path):
    client = login(cast.supervisor if path != "/audit/" else cast.auditor)
    client.raise_request_exception = False
    for param in ("page", "unit", "lead_unit", "category", "offset"):
        assert client.get(path, {param: BIG}).status_code < 500, (path, param)


def test_huge_ids_in_a_form_are_field_errors(cast, login):
    client = login(cast.supervisor)
    response = client.post("/tasks/new/", {"title": "x", "lead_unit": BIG, "co_units": [BIG], "due_date": "2027-01-01",
                                           "start_date": "2026-12-01", "reporting_cycle": "monthly"})
    assert response.status_code == 400


@pytest.mark.parametrize("path,kind", [("/tasks/list/", "text/html"), ("/api/tasks", "application/json")])
def test_a_number_too_large_for_the_database_that_no_field_caught_is_a_400(path, kind):
    request = RequestFactory().get(path)
    response = InputCharactersMiddleware(lambda r: None).process_exception(
        request, OverflowError("Python int too large to convert to SQLite INTEGER"))
    assert response.status_code == 400 and response["Content-Type"].startswith(kind)
    assert "超出" in response.content.decode()


def test_the_client_sees_the_same_400_from_a_real_view(cast, monkeypatch):
    from duban.tasks import selectors

    def overflow(*args, **kwargs):
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    monkeypatch.setattr(selectors, "task_list", overflow)  # what the list page calls
    client = Client(raise_request_exception=False)
    client.post("/accounts/login/", {"username": "supervisor", "password": cast.password})
    assert client.get("/tasks/list/").status_code == 400

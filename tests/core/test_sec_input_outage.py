"""Issue 11 findings: a NUL byte (or another control character) in any input is a clear 400,
never a 500, on both databases; a NUL in the sign-in username is a failed, audited, throttled
attempt (IP-01, IA-05); a database outage answers a generic 503 (HTML, or JSON under /api/) and
the site recovers by itself when the database is back (RL-05)."""

import json
from urllib.parse import urlencode

import pytest
from django.db import OperationalError, connection
from django.test import Client

from duban.core.models import AuditEntry

NUL = "a\x00b"


def _token(client, cast, username="supervisor"):
    response = client.post("/api/auth/token", json.dumps({"username": username, "password": cast.password}),
                           content_type="application/json")
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}


@pytest.mark.parametrize("path", ["/tasks/list/", "/orgs/", "/audit/"])
def test_a_nul_in_a_query_string_is_a_clear_400(cast, login, path):
    response = login(cast.supervisor).get(path, {"q": NUL, "page": "1"})
    assert response.status_code == 400
    assert "控制字符" in response.content.decode()


def test_a_nul_in_a_form_post_is_a_clear_400_and_changes_nothing(cast, login):
    client = login(cast.supervisor)
    before = AuditEntry.objects.count()
    response = client.post("/tasks/sources/new/", urlencode({"title": NUL, "kind": "meeting"}),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and "控制字符" in response.content.decode()
    # A multipart form reaches the form, whose fields refuse NUL: the page again, with 400.
    response = client.post("/tasks/sources/new/", {"title": NUL, "kind": "meeting"})
    assert response.status_code == 400
    assert AuditEntry.objects.count() == before


def test_a_nul_in_an_api_query_or_json_body_is_a_json_400(client, cast):
    headers = _token(client, cast)
    response = client.get("/api/tasks", {"q": NUL}, **headers)
    assert response.status_code == 400 and response.json()["code"] == "bad_characters"
    response = client.post("/api/tasks", json.dumps({"title": NUL}), content_type="application/json", **headers)
    assert response.status_code == 400 and response.json()["code"] == "bad_characters"
    response = client.post("/api/tasks", json.dumps({"title": "x\u0007"}), content_type="application/json", **headers)
    assert response.status_code == 400


def test_ordinary_line_breaks_and_tabs_are_not_refused(cast, login):
    response = login(cast.supervisor).get("/tasks/list/", {"q": "第一行\r\n第二行\t"})
    assert response.status_code == 200


def test_a_nul_in_the_sign_in_username_is_a_failed_audited_throttled_attempt(cast, settings):
    settings.DUBAN_IP_FAILURE_LIMIT = 2
    client = Client()
    for _ in range(2):
        response = client.post("/accounts/login/", {"username": "supervisor\x00", "password": cast.password})
        assert response.status_code == 400
    failed = AuditEntry.objects.filter(event="login_failed", data__reason="bad_characters")
    assert failed.count() == 2
    assert failed.first().data["username"] == "supervisor\u2400"
    response = client.post("/accounts/login/", {"username": "supervisor", "password": cast.password})
    assert response.status_code == 429  # the address is throttled even for the right password


def test_a_nul_in_the_api_sign_in_is_refused_and_audited(client, cast):
    response = client.post("/api/auth/token", json.dumps({"username": NUL, "password": "x"}),
                           content_type="application/json")
    assert response.status_code in (400, 401)
    assert AuditEntry.objects.filter(event="login_failed", data__reason="bad_characters").count() == 1


def test_a_database_error_anywhere_answers_503_html_and_json(cast, monkeypatch):
    from django.contrib.sessions.backends import db

    def broken(self, *args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(db.SessionStore, "load", broken)
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "x" * 32
    response = client.get("/tasks/list/")
    assert response.status_code == 503 and response["Retry-After"] == "30"
    body = response.content.decode()
    assert "Traceback" not in body and "数据库" in body
    response = client.get("/api/tasks")
    assert response.status_code == 503 and response.json()["code"] == "unavailable"


@pytest.mark.django_db(transaction=True)
def test_a_dead_database_gives_503_and_the_site_recovers_by_itself(cast, tmp_path):
    client = Client(raise_request_exception=False)
    client.post("/accounts/login/", {"username": "supervisor", "password": cast.password})
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = str(tmp_path / "no-such-dir" / "db.sqlite3")
    else:
        connection.settings_dict["PORT"] = "1"  # nothing listens there
    try:
        assert client.get("/tasks/list/").status_code == 503
        assert client.get("/api/tasks").status_code == 503
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert client.get("/tasks/list/").status_code == 200

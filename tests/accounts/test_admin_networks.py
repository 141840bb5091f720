"""AC-10: the administrators' pages answer only from the management networks; a forged
X-Forwarded-For from a peer that is not a trusted proxy changes nothing; the API docs need login."""

import pytest

from duban.core.models import AuditEntry

pytestmark = pytest.mark.django_db

MANAGEMENT = "10.20.0.0/24"


@pytest.fixture(autouse=True)
def _management_network(settings):
    settings.DUBAN_ADMIN_ALLOWED_NETS = [MANAGEMENT]


@pytest.mark.parametrize("who, path", [("sysadmin", "/accounts/users/"), ("secadmin", "/accounts/roles/"),
                                       ("auditor", "/audit/")])
def test_admin_pages_are_404_outside_the_management_network(cast, login, who, path):
    client = login(getattr(cast, who))
    assert client.get(path).status_code == 404  # REMOTE_ADDR 127.0.0.1
    assert client.get(path, REMOTE_ADDR="10.20.0.7").status_code == 200
    entry = AuditEntry.objects.filter(event="authz_denied").last()
    assert entry.data["reason"] == "admin_network" and entry.object_id == path


def test_a_forged_forwarded_for_from_an_untrusted_peer_is_ignored(cast, login, settings):
    client = login(cast.sysadmin)
    settings.TRUSTED_PROXIES = []
    assert client.get("/accounts/users/", HTTP_X_FORWARDED_FOR="10.20.0.7").status_code == 404
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    assert client.get("/accounts/users/", HTTP_X_FORWARDED_FOR="10.20.0.7").status_code == 200
    assert client.get("/accounts/users/", HTTP_X_FORWARDED_FOR="192.0.2.1").status_code == 404


def test_other_pages_and_sign_in_are_not_restricted(cast, login):
    client = login(cast.supervisor)
    assert client.get("/tasks/todo/").status_code == 200


def test_the_api_schema_and_docs_need_login(client):
    assert client.get("/api/docs").status_code == 302
    assert client.get("/api/openapi.json").status_code in (302, 401)

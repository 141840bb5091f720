"""The fixed cast every test can use (STYLE.md §8).

Units: 市委 (root) → 市委办公室 (督查室 inside), 芭蕉侗族乡 → 肖家坪村, 白果乡 → 斑竹园村.
People and accounts: a 督查室 supervisor, a leader, a liaison of 芭蕉 (bajiao), a liaison of
白果 (baiguo, outside 芭蕉's subtree), a village liaison, the three administrators and a
discipline officer. Passwords are all PASSWORD.
"""

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

from castlib import PASSWORD, build_cast  # noqa: E402,F401  (tests/ is on sys.path: no __init__.py there)


@pytest.fixture
def cast(db):
    return build_cast()


@pytest.fixture
def login(client):
    """login(user) -> the test client, signed in through the real login form."""

    def do(user, password=PASSWORD):
        client.cookies.clear()
        response = client.post("/accounts/login/", {"username": user.username, "password": password})
        assert response.status_code == 302, response.content.decode()[:500]
        return client

    return do


@pytest.fixture(autouse=True)
def _audit_triggers_around_flush(request, _django_db_helper):
    """Transactional tests end with a flush of every table, which the audit table's
    append-only triggers rightly refuse. Lift them just for that flush; every test starts with
    them in place."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or "live_server" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction"))
    if not transactional:
        yield
        return
    from django.db import connection

    from duban.core import triggers

    triggers.install(connection)
    yield
    triggers.uninstall(connection)


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language: a request made in English (LocaleMiddleware
    activates it for the thread) must not leak into the next test's messages."""
    from django.utils import translation

    translation.activate("zh-hans")
    yield
    translation.activate("zh-hans")

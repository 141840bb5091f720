"""Platform behaviour: settings floors, deployment checks, health endpoints, headers, jobs."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from duban.core import jobs
from duban.core.models import JobRun


def test_django_two_week_session_default_is_not_in_force():
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"


@pytest.mark.django_db
def test_the_database_connection_is_configured_for_concurrent_writers():
    if connection.vendor == "postgresql":
        # Reconnects after a database restart without restarting the app (RL-05).
        assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
        return
    with connection.cursor() as cur:
        cur.execute("PRAGMA foreign_keys")
        assert cur.fetchone()[0] == 1
        cur.execute("PRAGMA busy_timeout")
        assert cur.fetchone()[0] >= 5000
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def _run_duban(args, **env):
    full_env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL")}
    full_env.update(env)
    return subprocess.run([sys.executable, "-m", "duban", *args], capture_output=True, text=True, env=full_env,
                          timeout=120)


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _run_duban(["check"], DUBAN_ENV="production", DUBAN_DATA_DIR=str(tmp_path), DUBAN_SECRET_KEY="",
                        DUBAN_LEDGER_KEY="x" * 40)
    assert result.returncode != 0
    assert "DUBAN_SECRET_KEY" in result.stderr


def test_production_settings_pass_the_deployment_checklist(tmp_path):
    env = dict(DUBAN_ENV="production", DUBAN_DATA_DIR=str(tmp_path), DUBAN_SECRET_KEY="k" * 30 + "Zx9!" * 10,
               DUBAN_LEDGER_KEY="l" * 40, DUBAN_ALLOWED_HOSTS="duban.example.gov.cn")
    migrate = _run_duban(["migrate", "-v0"], **env)
    assert migrate.returncode == 0, migrate.stderr
    result = _run_duban(["check", "--deploy", "--fail-level", "WARNING"], **env)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_health_endpoints_answer_without_login(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok" and ready.json()["storage"] == "ok"


@pytest.mark.django_db
def test_every_response_carries_security_headers_and_a_request_id(client):
    response = client.get("/accounts/login/")
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_an_unknown_page_gives_a_generic_404_without_details(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"Traceback" not in response.content


@pytest.mark.django_db
def test_a_due_job_runs_once_even_when_two_workers_claim_it(monkeypatch):
    calls = []
    monkeypatch.setitem(jobs.REGISTRY, "probe", jobs.Job("probe", timedelta(minutes=5), lambda: calls.append(1)))
    now = timezone.now()
    assert "probe" in jobs.run_due(now)
    assert "probe" not in jobs.run_due(now)  # a second worker at the same instant finds it claimed
    assert calls == [1]
    assert "probe" in jobs.run_due(now + timedelta(minutes=6))  # and it runs again when due
    assert calls == [1, 1]


@pytest.mark.django_db
def test_a_failing_job_is_recorded_and_does_not_stop_the_others(monkeypatch):
    ran = []

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(jobs, "REGISTRY", {
        "broken": jobs.Job("broken", timedelta(minutes=1), broken),
        "fine": jobs.Job("fine", timedelta(minutes=1), lambda: ran.append(1)),
    })
    assert jobs.run_due() == ["broken", "fine"]
    assert ran == [1]
    assert "RuntimeError: boom" in JobRun.objects.get(name="broken").last_error

"""Issue 11 findings: refused look-ups stay out of the task's 办理记录 and cannot flood the
ledger (AU-03), bursts of denials and failures alert the security administrator (IP-06), and an
API token stops working when its owner's password has expired (IA-03)."""

import json
from datetime import timedelta

from django.test import override_settings
from django.utils import timezone

from duban.accounts.models import User
from duban.core.models import AuditEntry
from duban.notices.models import Notice
from duban.tasks import selectors


def _denials(task):
    return AuditEntry.objects.filter(event="authz_denied", object_type="tasks.task", object_id=str(task.pk))


def test_a_refused_look_up_is_not_in_the_tasks_timeline_but_the_auditor_sees_it(build, login):
    c = build.cast
    task = build.assigned()
    assert login(c.baiguo_liaison).get(f"/tasks/{task.pk}/").status_code == 404
    assert _denials(task).count() == 1
    assert "authz_denied" not in [e.event for e in selectors.task_timeline(task)]
    page = login(c.supervisor).get(f"/tasks/{task.pk}/").content.decode()
    assert "baiguo" not in page
    auditor = login(c.auditor)
    audit = auditor.get("/audit/", {"event": "authz_denied"}).content.decode()
    assert f"{c.p_baiguo.name}({c.baiguo.name})" in audit  # the person by name and unit (issue 9)
    assert "baiguo" in auditor.get("/audit/", {"event": "authz_denied", "raw": "1"}).content.decode()


def test_repeated_probes_of_one_task_write_one_row_with_a_count(build, login):
    c = build.cast
    task = build.assigned()
    client = login(c.baiguo_liaison)
    for _ in range(25):
        assert client.get(f"/tasks/{task.pk}/").status_code == 404
    rows = list(_denials(task).order_by("seq"))
    assert len(rows) == 2  # the first, and the tenth with its count
    assert rows[1].data["count"] == 10


@override_settings(DUBAN_DENIAL_ROWS_PER_WINDOW=1, DUBAN_ALERT_DENIALS=0)
def test_probing_many_objects_is_capped_per_actor(build, login):
    c = build.cast
    tasks = [build.assigned(title=f"任务{i}") for i in range(12)]
    client = login(c.baiguo_liaison)
    for task in tasks:
        assert client.get(f"/tasks/{task.pk}/").status_code == 404
    denied = AuditEntry.objects.filter(event="authz_denied", actor=c.baiguo_liaison)
    assert denied.count() == 2  # the cap (1), then one row when the actor's total reaches 10 × the cap
    assert denied.order_by("-seq").first().data["actor_count"] == 10


def test_a_burst_of_denials_alerts_the_security_administrator_once(build, login, settings):
    settings.DUBAN_ALERT_DENIALS = 3
    c = build.cast
    tasks = [build.assigned(title=f"任务{i}") for i in range(5)]
    client = login(c.baiguo_liaison)
    for task in tasks:
        client.get(f"/tasks/{task.pk}/")
    alerts = AuditEntry.objects.filter(event="security_alert")
    assert alerts.count() == 1
    assert alerts.get().data["rule"] == "denials" and alerts.get().data["key"] == str(c.baiguo_liaison.pk)
    notices = Notice.objects.filter(user=c.secadmin)
    assert notices.count() == 1 and "越权" in notices.get().title
    assert not Notice.objects.filter(user=c.baiguo_liaison, title__contains="告警").exists()


def test_failed_sign_ins_from_one_address_alert_the_security_administrator(client, cast, settings):
    settings.DUBAN_ALERT_LOGIN_FAILURES = 4
    for i in range(6):
        client.post("/accounts/login/", {"username": f"nobody{i}", "password": "wrong"})
    alert = AuditEntry.objects.get(event="security_alert")
    assert alert.data["rule"] == "login_failures" and alert.data["key"] == "127.0.0.1"
    assert Notice.objects.filter(user=cast.secadmin).count() == 1


def test_an_api_token_stops_working_once_the_password_has_expired(client, cast):
    response = client.post("/api/auth/token", json.dumps({"username": "supervisor", "password": cast.password}),
                           content_type="application/json")
    token = response.json()["token"]
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/api/tasks", **headers).status_code == 200
    User.objects.filter(pk=cast.supervisor.pk).update(password_changed_at=timezone.now() - timedelta(days=91))
    response = client.get("/api/tasks", **headers)
    assert response.status_code == 403 and response.json()["detail"] == "password_expired"

"""The datacheck REST API with bearer tokens: upload → load → run → hits → lead life; masking in
lists, full values only for the assigned officer, audit rows for reads, 403 + authz_denied for
every other role, 404 for what does not exist, errors in the API's one dialect."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from duban.core.models import AuditEntry
from duban.datacheck import services
from duban.datacheck.models import DatasetVersion, Lead, LeadStatus, Run
from duban.datacheck.schema import Kind

from . import world
from .helpers import DEATH_HEADERS, PAYMENT_HEADERS, csv_bytes, loaded
from .world import A

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(client, cast):
    def issue(user):
        response = client.post("/api/auth/token", {"username": user.username, "password": cast.password},
                               content_type="application/json")
        assert response.status_code == 200, response.content
        return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}

    return issue


@pytest.fixture
def lead(cast):
    versions = {Kind.PAYMENTS: loaded(cast.discipline, Kind.PAYMENTS, PAYMENT_HEADERS, world.PAYMENTS),
                Kind.DEATHS: loaded(cast.discipline, Kind.DEATHS, DEATH_HEADERS, world.DEATHS)}
    rule = services.rule_create(actor=cast.discipline, name="死亡后领取", template="deceased_paid")
    services.rule_run(actor=cast.discipline, rule=rule, datasets=world.datasets_for(rule, versions))
    return Lead.objects.get(rule=rule)


def post(client, url, auth, body=None):
    return client.post(url, body or {}, content_type="application/json", **auth)


def test_upload_load_run_and_work_the_lead_over_the_api(client, cast, token):
    auth = token(cast.discipline)
    up = client.post("/api/datacheck/datasets", {
        "file": SimpleUploadedFile("pay.csv", csv_bytes(PAYMENT_HEADERS, world.PAYMENTS)),
        "name": "2024年低保发放", "kind": "payments"}, **auth)
    assert up.status_code == 201, up.content
    pay = up.json()
    assert pay["status"] == "pending" and pay["suggested_mapping"]["id_number"] == "身份证号"
    loaded_pay = post(client, f"/api/datacheck/datasets/versions/{pay['id']}/load", auth)
    assert loaded_pay.status_code == 200 and loaded_pay.json()["status"] == "loaded"
    assert loaded_pay.json()["row_count"] == len(world.PAYMENTS)
    again = post(client, f"/api/datacheck/datasets/versions/{pay['id']}/load", auth)
    assert again.status_code == 400 and again.json()["detail"]
    up = client.post("/api/datacheck/datasets", {
        "file": SimpleUploadedFile("deaths.csv", csv_bytes(DEATH_HEADERS, world.DEATHS)),
        "name": "死亡登记", "kind": "deaths"}, **auth)
    deaths = post(client, f"/api/datacheck/datasets/versions/{up.json()['id']}/load", auth,
                  {"mapping": {"id_number": "身份证号", "name": "姓名", "death_date": "死亡日期"}}).json()
    listing = client.get("/api/datacheck/datasets", **auth).json()
    assert listing["count"] == 2 and {d["kind"] for d in listing["items"]} == {"payments", "deaths"}

    rule = services.rule_create(actor=cast.discipline, name="死亡后领取", template="deceased_paid")
    rules = client.get("/api/datacheck/rules", **auth).json()
    assert [r["id"] for r in rules["items"]] == [rule.pk] and rules["items"][0]["runnable"]
    detail = client.get(f"/api/datacheck/rules/{rule.pk}", **auth).json()
    assert detail["stats"]["leads"] == 0 and [s["alias"] for s in detail["sources"]] == ["p", "d"]
    missing = post(client, f"/api/datacheck/rules/{rule.pk}/run", auth, {"datasets": {"p": pay["id"]}})
    assert missing.status_code == 400 and "datasets.d" in missing.json()["errors"]
    wrong = post(client, f"/api/datacheck/rules/{rule.pk}/run", auth, {"datasets": {"p": pay["id"], "d": pay["id"]}})
    assert wrong.status_code == 400 and "datasets.d" in wrong.json()["errors"]
    run = post(client, f"/api/datacheck/rules/{rule.pk}/run", auth, {"datasets": {"p": pay["id"], "d": deaths["id"]}})
    assert run.status_code == 201, run.content
    run = run.json()
    assert run["hit_count"] == 1 and run["lead_count"] == 1 and "JOIN" in run["sql"]
    assert client.get("/api/datacheck/runs", **auth).json()["items"][0]["id"] == run["id"]
    hits = client.get(f"/api/datacheck/runs/{run['id']}/hits", **auth)
    assert hits.status_code == 200 and A not in hits.content.decode()
    assert f"{A[:4]}**********{A[-4:]}" in hits.content.decode()

    leads = client.get("/api/datacheck/leads", **auth)
    assert leads.status_code == 200 and A not in leads.content.decode()
    lead_id = leads.json()["items"][0]["id"]
    page = client.get(f"/api/datacheck/leads/{lead_id}", **auth).json()
    assert not page["full_values"] and A not in str(page)
    assigned = post(client, f"/api/datacheck/leads/{lead_id}/assign", auth, {"assignee": cast.discipline.pk}).json()
    assert assigned["status"] == "assigned" and assigned["full_values"] and A in assigned["subject"]
    assert "13800000001" in str(assigned["hits"])
    bad = post(client, f"/api/datacheck/leads/{lead_id}/verify", auth, {"reason": " "})
    assert bad.status_code == 400 and "reason" in bad.json()["errors"]
    verified = post(client, f"/api/datacheck/leads/{lead_id}/verify", auth, {"reason": "核实属实"}).json()
    assert verified["status"] == "verified"
    task = cast_task(cast)
    unknown = post(client, f"/api/datacheck/leads/{lead_id}/escalate", auth,
                   {"target": "proposal", "data": {"task": "abc"}})
    assert unknown.status_code == 400 and "task" in unknown.json()["errors"]
    escalated = post(client, f"/api/datacheck/leads/{lead_id}/escalate", auth,
                     {"target": "proposal", "data": {"task": task.pk}})
    assert escalated.status_code == 200, escalated.content
    assert escalated.json()["status"] == "escalated" and escalated.json()["escalated_object"].startswith(
        "supervision.proposal:")
    events = set(AuditEntry.objects.values_list("event", flat=True))
    assert {"datacheck_dataset_uploaded", "datacheck_dataset_loaded", "datacheck_rule_run", "datacheck_run_viewed",
            "datacheck_leads_listed", "datacheck_lead_viewed", "datacheck_lead_assigned", "datacheck_lead_verified",
            "datacheck_lead_escalated"} <= events
    assert AuditEntry.objects.filter(event="datacheck_lead_viewed", data__full_values=True).exists()


def cast_task(cast):
    from datetime import timedelta

    from duban.tasks import services as task_services
    from duban.tasks.lights import today

    category = task_services.category_create(actor=cast.supervisor, name="惠民资金")
    task = task_services.task_create(actor=cast.supervisor, parent=None, co_units=[], title="低保资金专项整治",
                                     detail="清理违规发放", category=category, lead_unit=cast.bajiao,
                                     responsible_post=None, start_date=today(),
                                     due_date=today() + timedelta(days=30), reporting_cycle="monthly")
    return task_services.task_assign(actor=cast.supervisor, task=task)


def test_dismiss_needs_a_reason_and_only_the_assigned_officer_may(client, cast, token, lead):
    from castlib import PASSWORD
    from duban.accounts.models import User
    from duban.core.roles import Role

    other = User.objects.create_user(username="discipline2", password=PASSWORD, role=Role.DISCIPLINE, unit=cast.city)
    auth = token(cast.discipline)
    post(client, f"/api/datacheck/leads/{lead.pk}/assign", auth, {"assignee": other.pk})
    refused = post(client, f"/api/datacheck/leads/{lead.pk}/dismiss", auth, {"reason": "不是本人"})
    assert refused.status_code == 400 and refused.json()["detail"]
    theirs = token(other)
    assert post(client, f"/api/datacheck/leads/{lead.pk}/dismiss", theirs, {}).status_code == 400
    done = post(client, f"/api/datacheck/leads/{lead.pk}/dismiss", theirs, {"reason": "同名误报"})
    assert done.status_code == 200 and done.json()["status"] == LeadStatus.DISMISSED
    # the list filters and masks; a detail for the colleague who is not assigned stays masked
    assert client.get("/api/datacheck/leads?status=dismissed", **auth).json()["count"] == 1
    assert client.get("/api/datacheck/leads?status=nonsense", **auth).status_code == 400
    assert A not in str(client.get(f"/api/datacheck/leads/{lead.pk}", **auth).json())


@pytest.mark.parametrize("who", ["supervisor", "leader", "bajiao_liaison", "sysadmin", "auditor", "secadmin"])
def test_every_other_role_is_refused_and_the_refusal_is_recorded(client, cast, token, lead, who):
    user = getattr(cast, who)
    auth = token(user)
    version = DatasetVersion.objects.first()
    run = Run.objects.first()
    before = AuditEntry.objects.filter(event="authz_denied").count()
    urls = ["/api/datacheck/datasets", f"/api/datacheck/datasets/versions/{version.pk}", "/api/datacheck/rules",
            f"/api/datacheck/rules/{lead.rule_id}", "/api/datacheck/runs", f"/api/datacheck/runs/{run.pk}",
            f"/api/datacheck/runs/{run.pk}/hits", "/api/datacheck/leads", f"/api/datacheck/leads/{lead.pk}"]
    for url in urls:
        response = client.get(url, **auth)
        assert response.status_code == 403, url
        assert A not in response.content.decode()
    response = post(client, f"/api/datacheck/leads/{lead.pk}/assign", auth, {"assignee": user.pk})
    assert response.status_code == 403
    assert AuditEntry.objects.filter(event="authz_denied").count() == before + len(urls) + 1
    lead.refresh_from_db()
    assert lead.status == LeadStatus.OPEN


def test_missing_objects_are_404_and_bad_input_400(client, cast, token, lead):
    auth = token(cast.discipline)
    for url in ("/api/datacheck/datasets/versions/999999", "/api/datacheck/rules/999999",
                "/api/datacheck/runs/999999", "/api/datacheck/runs/999999/hits", "/api/datacheck/leads/999999"):
        response = client.get(url, **auth)
        assert response.status_code == 404 and response.json()["detail"], url
    assert client.get("/api/datacheck/leads?limit=0", **auth).status_code == 400
    assert client.get("/api/datacheck/leads?limit=100000", **auth).status_code == 400
    assert post(client, f"/api/datacheck/leads/{lead.pk}/assign", auth, {"assignee": 1, "x": 1}).status_code == 400
    refused = post(client, f"/api/datacheck/leads/{lead.pk}/assign", auth, {"assignee": cast.supervisor.pk})
    assert refused.status_code == 400 and "assignee" in refused.json()["errors"]
    bad_kind = client.post("/api/datacheck/datasets", {"file": SimpleUploadedFile("a.csv", b"a,b\n1,2\n"),
                                                       "name": "x", "kind": "nonsense"}, **auth)
    assert bad_kind.status_code == 400 and "kind" in bad_kind.json()["errors"]
    not_csv = client.post("/api/datacheck/datasets", {"file": SimpleUploadedFile("a.csv", b"PK\x03\x04rubbish"),
                                                      "name": "x", "kind": "payments"}, **auth)
    assert not_csv.status_code == 400
    assert not DatasetVersion.objects.filter(dataset__name="x").exists()


def test_an_upload_over_the_limit_is_413_and_leaves_nothing(client, cast, token, settings, media):
    settings.DUBAN_MAX_UPLOAD_BYTES = 100
    auth = token(cast.discipline)
    response = client.post("/api/datacheck/datasets", {
        "file": SimpleUploadedFile("pay.csv", csv_bytes(PAYMENT_HEADERS, world.PAYMENTS)),
        "name": "大文件", "kind": "payments"}, **auth)
    assert response.status_code == 413
    assert not DatasetVersion.objects.exists() and not (media / "datacheck").exists()

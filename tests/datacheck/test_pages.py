"""The pages, driven like a person: who may reach them, masking in lists, full values only for the
assigned officer, audit rows for views and exports, the lead's life, escalation to 问责建议."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from duban.core.models import AuditEntry
from duban.datacheck import services
from duban.datacheck.models import DatasetVersion, Lead, LeadStatus, Rule, VersionStatus
from duban.datacheck.schema import Kind

from . import world
from .helpers import DEATH_HEADERS, PAYMENT_HEADERS, csv_bytes, loaded
from .world import A


@pytest.fixture
def lead(cast):
    versions = {Kind.PAYMENTS: loaded(cast.discipline, Kind.PAYMENTS, PAYMENT_HEADERS, world.PAYMENTS),
                Kind.DEATHS: loaded(cast.discipline, Kind.DEATHS, DEATH_HEADERS, world.DEATHS)}
    rule = services.rule_create(actor=cast.discipline, name="死亡后领取", template="deceased_paid")
    services.rule_run(actor=cast.discipline, rule=rule, datasets=world.datasets_for(rule, versions))
    return Lead.objects.get(rule=rule)


@pytest.fixture
def colleague(cast):
    from castlib import PASSWORD
    from duban.accounts.models import User
    from duban.core.roles import Role

    user = User.objects.create_user(username="discipline2", password=PASSWORD, role=Role.DISCIPLINE, unit=cast.city)
    return user


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["supervisor", "leader", "bajiao_liaison", "sysadmin", "auditor", "secadmin"])
def test_nobody_but_the_discipline_role_reaches_the_data(cast, login, lead, who):
    client = login(getattr(cast, who))
    for url in ("/datacheck/", "/datacheck/datasets/", "/datacheck/rules/", "/datacheck/leads/export.csv"):
        assert client.get(url).status_code == 403, url
    version = DatasetVersion.objects.first()
    for url in (f"/datacheck/leads/{lead.pk}/", f"/datacheck/datasets/versions/{version.pk}/",
                f"/datacheck/rules/{lead.rule.pk}/"):
        assert client.get(url).status_code in (403, 404), url
    assert A not in client.get(f"/datacheck/leads/{lead.pk}/").content.decode()


@pytest.mark.django_db
def test_the_list_masks_id_numbers_and_the_lead_page_shows_them_only_to_the_assigned_officer(cast, login, lead,
                                                                                           colleague):
    client = login(cast.discipline)
    listing = client.get("/datacheck/").content.decode()
    assert A not in listing and f"{A[:4]}**********{A[-4:]}" in listing
    page = client.get(f"/datacheck/leads/{lead.pk}/").content.decode()
    assert A not in page and "13800000001" not in page and "138****0001" in page
    client.post(f"/datacheck/leads/{lead.pk}/assign/", {"assignee": cast.discipline.pk})
    page = client.get(f"/datacheck/leads/{lead.pk}/").content.decode()
    assert A in page and "13800000001" in page
    other = login(colleague).get(f"/datacheck/leads/{lead.pk}/").content.decode()
    assert A not in other
    views = AuditEntry.objects.filter(event="datacheck_lead_viewed", object_id=str(lead.pk)).order_by("seq")
    assert [e.data["full_values"] for e in views] == [False, True, False]
    assert views.last().actor_id == colleague.pk


@pytest.mark.django_db
def test_an_export_is_masked_and_audited(cast, login, lead):
    response = login(cast.discipline).get("/datacheck/leads/export.csv")
    body = response.content.decode("utf-8-sig")
    assert response.status_code == 200 and A not in body and A[-4:] in body
    entry = AuditEntry.objects.get(event="datacheck_leads_exported")
    assert entry.actor_id == cast.discipline.pk and entry.data == {"rows": 1}


@pytest.mark.django_db
def test_a_lead_is_assigned_verified_and_escalated_to_a_proposal_on_a_task(cast, login, lead):
    from datetime import timedelta

    from duban.supervision.models import Proposal
    from duban.tasks import services as task_services
    from duban.tasks.lights import today

    category = task_services.category_create(actor=cast.supervisor, name="惠民资金")
    task = task_services.task_create(actor=cast.supervisor, parent=None, co_units=[], title="低保资金专项整治",
                                     detail="清理违规发放", category=category, lead_unit=cast.bajiao,
                                     responsible_post=None, start_date=today(),
                                     due_date=today() + timedelta(days=30), reporting_cycle="monthly")
    task = task_services.task_assign(actor=cast.supervisor, task=task)
    client = login(cast.discipline)
    assert client.post(f"/datacheck/leads/{lead.pk}/verify/", {"reason": "x"}).status_code == 400  # not assigned
    client.post(f"/datacheck/leads/{lead.pk}/assign/", {"assignee": cast.discipline.pk})
    assert client.post(f"/datacheck/leads/{lead.pk}/escalate/", {"target": "proposal", "task": task.pk}
                       ).status_code == 400  # not verified yet
    assert client.post(f"/datacheck/leads/{lead.pk}/verify/", {"reason": ""}).status_code == 400
    assert client.post(f"/datacheck/leads/{lead.pk}/verify/", {"reason": "经走访,张一已于3月1日去世,家属冒领"}
                       ).status_code == 302
    response = client.post(f"/datacheck/leads/{lead.pk}/escalate/", {"target": "proposal", "task": "987654"})
    assert response.status_code == 400 and "不存在" in response.content.decode()
    assert client.post(f"/datacheck/leads/{lead.pk}/escalate/", {"target": "proposal", "task": task.pk}
                       ).status_code == 302
    lead.refresh_from_db()
    proposal = Proposal.objects.get(dedupe_key=f"datacheck-lead-{lead.pk}")
    assert lead.status == LeadStatus.ESCALATED and lead.escalated_object_type == "supervision.proposal"
    assert lead.escalated_object_id == str(proposal.pk) and proposal.task == task
    assert "家属冒领" in proposal.reason
    assert AuditEntry.objects.filter(event="datacheck_lead_escalated", object_id=str(lead.pk)).count() == 1


@pytest.mark.django_db
def test_only_the_assigned_officer_may_dismiss_and_a_reason_is_required(cast, login, lead, colleague):
    login(cast.discipline).post(f"/datacheck/leads/{lead.pk}/assign/", {"assignee": colleague.pk})
    client = login(cast.discipline)
    assert client.post(f"/datacheck/leads/{lead.pk}/dismiss/", {"d-reason": "误报"}).status_code == 400
    client = login(colleague)
    assert client.post(f"/datacheck/leads/{lead.pk}/dismiss/", {"d-reason": ""}).status_code == 400
    assert client.post(f"/datacheck/leads/{lead.pk}/dismiss/", {"d-reason": "死亡登记日期有误"}).status_code == 302
    lead.refresh_from_db()
    assert lead.status == LeadStatus.DISMISSED and lead.reason == "死亡登记日期有误"


@pytest.mark.django_db
def test_the_rules_author_sees_its_precision(cast, login, lead, colleague):
    services.lead_assign(actor=cast.discipline, lead=lead, assignee=cast.discipline)
    services.lead_verify(actor=cast.discipline, lead=lead, reason="属实")
    page = login(cast.discipline).get(f"/datacheck/rules/{lead.rule.pk}/").content.decode()
    assert 'id="rule-stats"' in page and "100%" in page
    assert 'id="rule-stats"' not in login(colleague).get(f"/datacheck/rules/{lead.rule.pk}/").content.decode()


@pytest.mark.django_db
def test_upload_map_and_run_through_the_pages(cast, login):
    client = login(cast.discipline)
    response = client.post("/datacheck/datasets/upload/", {
        "name": "死亡登记", "kind": "deaths", "quarantine": "1",
        "file": SimpleUploadedFile("deaths.csv", csv_bytes(["证件号", "姓名", "死亡时间"], world.DEATHS))})
    assert response.status_code == 302
    version = DatasetVersion.objects.get()
    page = client.get(response.url)
    assert page.status_code == 200 and "列对应关系" in page.content.decode()
    bad = client.post(response.url, {"col_id_number": "证件号", "col_name": "姓名"})
    assert bad.status_code == 400 and "死亡日期" in bad.content.decode()
    ok = client.post(response.url, {"col_id_number": "证件号", "col_name": "姓名", "col_death_date": "死亡时间"})
    assert ok.status_code == 302
    version.refresh_from_db()
    assert version.status == VersionStatus.LOADED and version.row_count == 3
    assert AuditEntry.objects.filter(event="datacheck_dataset_viewed", object_id=str(version.pk)).exists()
    payments = loaded(cast.discipline, Kind.PAYMENTS, PAYMENT_HEADERS, world.PAYMENTS)
    assert client.post("/datacheck/rules/", {"template": "deceased_paid", "name": "死亡后领取"}).status_code == 302
    rule = Rule.objects.get()
    run = client.post(f"/datacheck/rules/{rule.pk}/", {"action": "run", "ds_p": payments.pk, "ds_d": version.pk})
    assert run.status_code == 302
    assert A not in client.get(run.url).content.decode()
    assert Lead.objects.get().subject_key == [A]


@pytest.mark.django_db
def test_the_builder_makes_a_rule_from_choices_and_refuses_incompatible_joins(cast, login):
    client = login(cast.discipline)
    url = "/datacheck/rules/builder/?kind_a=payments&kind_b=roster"
    assert client.get(url).status_code == 200
    bad = client.post(url, {"name": "坏规则", "join1_left": "a.pay_date", "join1_right": "b.id_number",
                            "key": "a.id_number"})
    assert bad.status_code == 400 and "类型不同" in bad.content.decode()
    ok = client.post(url, {"name": "大额且为公职人员", "join1_left": "a.id_number", "join1_right": "b.id_number",
                           "cond1_left": "a.amount", "cond1_op": "ge", "cond1_value": "1000", "key": "a.id_number"})
    assert ok.status_code == 302
    rule = Rule.objects.get(name="大额且为公职人员")
    assert rule.current.definition["params"]["v1"] == {"type": "amount", "label": "条件 1 的值", "default": "1000.00"}


@pytest.mark.django_db
def test_the_security_administrator_approves_a_raw_rule_without_seeing_data(cast, login):
    client = login(cast.discipline)
    response = client.post("/datacheck/rules/sql/", {"name": "SQL", "sources": "p=payments",
                                                     "sql": "SELECT id_number FROM p WHERE amount > 100",
                                                     "key": "id_number"})
    assert response.status_code == 302
    unsafe = client.post("/datacheck/rules/sql/", {"name": "SQL2", "sources": "p=payments",
                                                   "sql": "SELECT * FROM read_csv('/etc/passwd')", "key": "x"})
    assert unsafe.status_code == 400 and "不能读取文件" in unsafe.content.decode()
    version = Rule.objects.get(name="SQL").current
    assert client.get(f"/datacheck/approvals/{version.pk}/").status_code == 403
    admin = login(cast.secadmin)
    assert "SQL v1" in admin.get("/datacheck/approvals/").content.decode()
    assert admin.post(f"/datacheck/approvals/{version.pk}/", {"decision": "approve", "note": ""}).status_code == 302
    version.refresh_from_db()
    assert version.approval == "approved" and version.approved_by == cast.secadmin
    assert admin.get("/datacheck/datasets/").status_code == 403

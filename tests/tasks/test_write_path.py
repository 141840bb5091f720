"""The progress-report write path (issue 10): the API reads the task once, locked, and decides
visibility on that row (tasks.services._common._lock_visible) instead of a scoped getter plus a
re-read; the ledger append is two statements on PostgreSQL and takes no savepoint. The answers
stay what they were: 201 for the lead unit and a co-unit, 404 plus an authz_denied entry (AU-03)
for a task the user may not see, nothing written on a refusal."""

import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from duban.core import ledger
from duban.core.models import AuditEntry, LedgerHead
from duban.tasks import selectors
from duban.tasks.models import ProgressReport, Task
from duban.tasks.services._common import _lock_visible

USERS = ("supervisor", "leader", "discipline", "bajiao_liaison", "bajiao_b", "baiguo_liaison", "village_liaison",
         "bajiao_admin", "sysadmin", "secadmin", "auditor")


@pytest.fixture
def token(client, cast):
    def make(user):
        response = client.post("/api/auth/token", json.dumps({"username": user.username, "password": cast.password}),
                               content_type="application/json")
        assert response.status_code == 200, response.content
        return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}

    return make


def _post(client, headers, task_id, body):
    return client.post(f"/api/tasks/{task_id}/reports", json.dumps(body), content_type="application/json", **headers)


def test_the_one_locked_read_sees_exactly_what_visible_q_sees(build):
    c = build.cast
    tasks = [
        build.task(title="草稿"),
        build.in_progress(title="芭蕉牵头"),
        build.assigned(lead=c.baiguo, co_units=[c.bajiao], title="白果牵头、芭蕉配合"),
        build.assigned(lead=c.xiaojiaping, title="村牵头"),
        build.assigned(lead=c.baiguo, co_units=[c.xiaojiaping], title="白果牵头、村配合"),
        build.assigned(lead=c.office, title="市委办牵头"),
    ]
    orphan = build.task(title="无牵头单位")
    Task.objects.filter(pk=orphan.pk).update(lead_unit=None)
    pks = [t.pk for t in tasks] + [orphan.pk, max(t.pk for t in tasks) + 1000]
    seen = set()
    for name in USERS:
        user = getattr(c, name)
        for pk in pks:
            with transaction.atomic():
                fast = _lock_visible(user, pk) is not None
            assert fast == Task.objects.filter(selectors.visible_q(user), pk=pk).exists(), (name, pk)
            seen.add(fast)
    assert seen == {True, False}  # the cast reaches both answers


def test_the_locked_read_gives_the_same_task_and_lead_unit_as_the_orm(build, django_assert_num_queries):
    c = build.cast
    task = build.in_progress(co_units=[c.baiguo], target_number="12.50", target_measure="公里")
    with transaction.atomic():
        with django_assert_num_queries(1):
            row = _lock_visible(c.bajiao_liaison, task.pk)
            unit = row.lead_unit  # from the same read
        assert (unit.pk, unit.name, unit.path) == (c.bajiao.pk, c.bajiao.name, c.bajiao.path)
        assert unit.is_active is True  # a field left out of the read still loads
    orm = Task.objects.get(pk=task.pk)
    for field in Task._meta.concrete_fields:
        assert getattr(row, field.attname) == getattr(orm, field.attname), field.name
        assert type(getattr(row, field.attname)) is type(getattr(orm, field.attname)), field.name
    with transaction.atomic():
        assert _lock_visible(c.bajiao_liaison, 2**63) is None  # beyond bigint: no row, no error


def test_the_lead_units_report_is_one_locked_read_an_insert_an_update_and_two_ledger_statements(build, client,
                                                                                                  token):
    c = build.cast
    task = build.in_progress()
    headers = token(c.bajiao_liaison)
    before = AuditEntry.objects.count()
    with CaptureQueriesContext(connection) as captured:
        response = _post(client, headers, task.pk, {"narrative": "按计划推进", "percent": 30})
    assert response.status_code == 201, response.content
    body = response.json()
    report = ProgressReport.objects.get(pk=body["id"])
    assert (report.task_id, report.unit_id, report.author_id, report.percent) == (task.pk, c.bajiao.pk,
                                                                                c.bajiao_liaison.pk, 30)
    assert (body["unit"]["id"], body["author"], body["narrative"]) == (c.bajiao.pk, "bajiao", "按计划推进")
    sqls = [q["sql"] for q in captured.captured_queries]
    task_reads = [s for s in sqls if s.startswith("SELECT") and 'FROM "tasks_task"' in s]
    assert len(task_reads) == 1, task_reads  # no getter before the locked read
    if connection.vendor == "postgresql":
        assert "FOR UPDATE" in task_reads[0]
    # nor the getter's subtree and co-unit look-ups: the lead unit's path on the row decides
    assert not [s for s in sqls if 'FROM "orgs_unit"' in s or 'FROM "tasks_task_co_units"' in s]
    # The service's own atomic is a savepoint here (the test runs in a transaction); the ledger
    # append adds none.
    assert len([s for s in sqls if s.startswith("SAVEPOINT")]) == 1
    ledger_statements = [s for s in sqls if "core_ledgerhead" in s or "core_auditentry" in s]
    assert len(ledger_statements) == (2 if connection.vendor == "postgresql" else 3), ledger_statements
    # The entry: one task_report on the task, the head names it, the chain verifies.
    entry = AuditEntry.objects.order_by("-seq").first()
    assert AuditEntry.objects.count() == before + 1
    assert (entry.event, entry.object_type, entry.object_id, entry.actor_id) == (
        "task_report", "tasks.task", str(task.pk), c.bajiao_liaison.pk)
    assert entry.data["report"] == report.pk and entry.data["percent"] == 30
    head = LedgerHead.objects.get(pk=1)
    assert (head.seq, head.mac) == (entry.seq, entry.mac)
    assert ledger.verify().ok


def test_a_co_unit_reports_through_the_same_path(build, client, token):
    c = build.cast
    task = build.in_progress(co_units=[c.baiguo])
    response = _post(client, token(c.baiguo_liaison), task.pk, {"narrative": "配合单位进展", "percent": 20})
    assert response.status_code == 201, response.content
    assert response.json()["unit"]["id"] == c.baiguo.pk
    assert Task.objects.get(pk=task.pk).latest_percent is None  # a co-unit's report is its own progress


def test_a_task_the_user_may_not_see_is_404_with_its_denial_recorded_and_nothing_written(build, client, token):
    c = build.cast
    task = build.in_progress()  # 芭蕉乡's
    headers = token(c.baiguo_liaison)
    reports, entries = ProgressReport.objects.count(), AuditEntry.objects.count()
    response = _post(client, headers, task.pk, {"narrative": "越权报送", "percent": 50})
    assert response.status_code == 404, response.content
    assert ProgressReport.objects.count() == reports
    denial = AuditEntry.objects.order_by("-seq").first()
    assert AuditEntry.objects.count() == entries + 1
    assert (denial.event, denial.object_type, denial.object_id, denial.actor_id) == (
        "authz_denied", "tasks.task", str(task.pk), c.baiguo_liaison.pk)
    # A task that does not exist: the same 404, and no denial (nothing to protect).
    response = _post(client, headers, task.pk + 1000, {"narrative": "不存在", "percent": 50})
    assert response.status_code == 404
    assert AuditEntry.objects.count() == entries + 1
    assert ledger.verify().ok


def test_the_percent_drop_rule_and_the_state_rule_still_refuse_on_the_fast_path(build, client, token):
    c = build.cast
    task = build.in_progress()
    headers = token(c.bajiao_liaison)
    assert _post(client, headers, task.pk, {"narrative": "进展", "percent": 60}).status_code == 201
    refused = _post(client, headers, task.pk, {"narrative": "下调", "percent": 40})
    assert refused.status_code == 400 and "drop_reason" in refused.json()["errors"]
    accepted = _post(client, headers, task.pk, {"narrative": "下调", "percent": 40, "drop_reason": "重新核定工程量"})
    assert accepted.status_code == 201, accepted.content
    entry = AuditEntry.objects.filter(event="task_report").order_by("-seq").first()
    assert (entry.data["previous_percent"], entry.data["reason"]) == (60, "重新核定工程量")
    draft = build.task(title="草稿")  # a draft is not the unit's yet: the same 404 as any hidden task
    assert _post(client, headers, draft.pk, {"narrative": "进展", "percent": 10}).status_code == 404
    assert ProgressReport.objects.filter(task=draft).count() == 0

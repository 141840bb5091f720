"""The audit log UI: only the 审计管理员 reads it (AU-09); filters, detail diff, CSV export
that is itself audited and safe to open in a spreadsheet (RL-06), chain verification (AU-05)."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from duban.accounts import services
from duban.core import ledger, triggers
from duban.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _seqs(response):
    import re

    return [int(s) for s in re.findall(r'/audit/(\d+)/">', response.content.decode())]


@pytest.mark.parametrize("who", ["sysadmin", "secadmin", "supervisor", "leader", "bajiao_liaison", "discipline"])
def test_only_the_auditor_can_read_or_export_the_audit_log(cast, login, who):
    client = login(getattr(cast, who))
    assert client.get("/audit/").status_code == 403
    assert client.get(f"/audit/{AuditEntry.objects.first().seq}/").status_code == 403
    assert client.post("/audit/", {"action": "export"}).status_code == 403
    assert client.post("/audit/", {"action": "verify"}).status_code == 403
    denied = AuditEntry.objects.filter(event="authz_denied", actor=getattr(cast, who))
    assert denied.count() == 4


def test_anonymous_visitors_are_sent_to_login(client, cast):
    response = client.get("/audit/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_the_auditor_filters_the_log(cast, login, client):
    for i in range(60):
        ledger.append(event="probe_event", object_type="x", object_id=str(i))
    client.post("/accounts/login/", {"username": "leader", "password": "wrong-one"})
    auditor = login(cast.auditor)
    all_seqs = _seqs(auditor.get("/audit/"))
    assert all_seqs == sorted(all_seqs, reverse=True) and len(all_seqs) == 50  # newest first, one page

    failed = auditor.get("/audit/", {"event": "login_failed"})
    assert [AuditEntry.objects.get(seq=s).event for s in _seqs(failed)] == ["login_failed"]
    by_actor = _seqs(auditor.get("/audit/", {"actor": "leader", "outcome": "failure"}))
    assert by_actor and all(AuditEntry.objects.get(seq=s).actor_name == "leader" for s in by_actor)
    by_object = _seqs(auditor.get("/audit/", {"object_type": "accounts.user", "object_id": str(cast.leader.pk)}))
    assert by_object and all(AuditEntry.objects.get(seq=s).object_id == str(cast.leader.pk) for s in by_object)
    by_ip = _seqs(auditor.get("/audit/", {"ip": "127.0.0.1", "event": "login"}))
    assert len(by_ip) == 1  # the auditor's own login; the cast was made outside any request
    today = timezone.localdate()
    assert _seqs(auditor.get("/audit/", {"date_from": today + timedelta(days=1)})) == []
    assert len(_seqs(auditor.get("/audit/", {"date_from": today, "date_to": today}))) == 50


@pytest.mark.parametrize("params, message", [
    ({"date_from": "2026-02-30"}, "日期"),
    ({"date_from": "2026-03-02", "date_to": "2026-03-01"}, "截止日期不能早于起始日期"),
    ({"ip": "999.1.1.1"}, "IP"),
])
def test_a_bad_filter_is_reported_and_shows_nothing(cast, login, params, message):
    auditor = login(cast.auditor)
    response = auditor.get("/audit/", params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _seqs(response) == []


def test_the_date_filter_uses_whole_beijing_days(cast, login):
    # 2026-03-01 23:30 in Beijing is 15:30 UTC: it belongs to 1 March, not 2 March.
    with time_machine.travel("2026-03-01T15:30:00Z", tick=False):
        entry = ledger.append(event="probe_event", object_type="x", object_id="1")
    auditor = login(cast.auditor)
    assert _seqs(auditor.get("/audit/", {"event": "probe_event", "date_to": "2026-03-01"})) == [entry.seq]
    assert _seqs(auditor.get("/audit/", {"event": "probe_event", "date_from": "2026-03-02"})) == []


def test_the_detail_page_renders_an_update_as_a_before_after_table(cast, login):
    services.role_revoke(actor=cast.secadmin, user=cast.leader)
    entry = AuditEntry.objects.get(event="role_revoked")
    auditor = login(cast.auditor)
    page = auditor.get(f"/audit/{entry.seq}/").content.decode()
    # Readable by default: the field by its label, the role by its name, the event by its name.
    assert '<th scope="row" class="fw-normal">角色</th><td class="table-danger">领导</td><td class="table-success">—</td>' in page
    assert "撤销角色" in page and "secadmin1" in page and entry.mac in page
    # The raw view, one click away, shows what the ledger holds.
    raw = auditor.get(f"/audit/{entry.seq}/", {"raw": "1"}).content.decode()
    assert '<tr><td><code>role</code></td><td class="table-danger">leader</td><td class="table-success"></td></tr>' in raw
    assert "<code>role_revoked</code>" in raw
    assert "安全管理员" in page  # the role at the time, by its name
    utc = entry.created_at.astimezone(timezone.get_fixed_timezone(0))
    local = timezone.localtime(entry.created_at)
    assert f"(UTC {utc:%Y-%m-%d %H:%M:%S}" in page and f"{local:%Y-%m-%d %H:%M:%S}" in page and "+0800" in page
    assert login(cast.auditor).get("/audit/99999999/").status_code == 404


def test_the_csv_export_is_excel_ready_neutralises_formulas_and_is_itself_audited(cast, login):
    ledger.append(event="probe_event", object_type="x", object_id="1", object_repr='=HYPERLINK("http://evil")')
    ledger.append(event="probe_event", object_type="x", object_id="2", object_repr="+1 and @SUM(A1) ok")
    ledger.append(event="probe_event", object_type="x", object_id="3", object_repr="-2")
    auditor = login(cast.auditor)
    response = auditor.post("/audit/", {"action": "export", "event": "probe_event"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="duban-audit-')
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["seq", "created_at_utc", "actor_id"]
    reprs = [r[11] for r in rows[1:]]
    assert reprs == ["'=HYPERLINK(\"http://evil\")", "'+1 and @SUM(A1) ok", "'-2"]
    assert all(r[1].endswith("+00:00") for r in rows[1:])
    exported = AuditEntry.objects.filter(event="audit_exported").get()
    assert exported.actor_id == cast.auditor.pk
    assert exported.data["rows"] == 3 and exported.data["filters"] == {"event": "probe_event"}


def test_an_export_with_a_bad_filter_exports_nothing_and_records_nothing(cast, login):
    auditor = login(cast.auditor)
    response = auditor.post("/audit/", {"action": "export", "ip": "not-an-ip"})
    assert response.status_code == 400
    assert not AuditEntry.objects.filter(event="audit_exported").exists()
    response = auditor.post("/audit/", {"action": "drop-table"})
    assert response.status_code == 400 and "未知的操作" in response.content.decode()


def test_the_verify_button_reports_an_intact_chain_and_records_the_check(cast, login):
    auditor = login(cast.auditor)
    response = auditor.post("/audit/", {"action": "verify"})
    assert response.status_code == 200
    assert "审计链完整" in response.content.decode()
    entry = AuditEntry.objects.get(event="ledger_verified")
    assert entry.data["ok"] is True and entry.data["checked"] > 0


def test_the_verify_button_names_the_first_broken_entry(cast, login):
    auditor = login(cast.auditor)
    victim = AuditEntry.objects.order_by("seq")[3]
    triggers.uninstall(connection)
    try:
        with connection.cursor() as cur:
            cur.execute("UPDATE core_auditentry SET actor_name = 'someone-else' WHERE id = %s", [victim.pk])
    finally:
        triggers.install(connection)
    response = auditor.post("/audit/", {"action": "verify"})
    page = response.content.decode()
    assert "审计链已被破坏" in page and f"{victim.seq}" in page and "content does not match its MAC" in page
    assert AuditEntry.objects.get(event="ledger_verified").outcome == "failure"


def test_audit_pages_have_no_route_that_changes_an_entry(cast, login):
    auditor = login(cast.auditor)
    seq = AuditEntry.objects.first().seq
    for method in ("post", "put", "patch", "delete"):
        assert getattr(auditor, method)(f"/audit/{seq}/").status_code == 405
    for method in ("put", "patch", "delete"):
        assert getattr(auditor, method)("/audit/").status_code == 405

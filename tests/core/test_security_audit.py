"""Audit rows of docs/security-criteria.md: AU-01 (coverage), AU-02 (fields), AU-04 (append-only),
AU-07 (fail closed). AU-05 (tamper detection) is in test_security_commands.py."""

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
import time_machine
from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.test import Client

from duban.accounts import services as acc
from duban.accounts.models import User
from duban.core import context, ledger
from duban.core.models import AppendOnlyError, AuditEntry, Outcome
from duban.core.roles import Role
from duban.orgs import services as org
from duban.orgs.models import AbsenceKind, Unit, UnitKind

pytestmark = pytest.mark.django_db


GOOD = "Qiu-Shui-Lake#2031"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


class Rows:
    """The ledger rows written since ``start()``."""

    def __init__(self):
        self.seq = 0

    def start(self):
        self.seq = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0

    def new(self):
        return AuditEntry.objects.filter(seq__gt=self.seq).order_by("seq")

    def events(self):
        return Counter(self.new().values_list("event", flat=True))


def _client(user, cast):
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": cast.password})
    assert response.status_code == 302
    return client


def _as(user):
    """Run a service the way a request by ``user`` would: the ledger stamps actor, address and
    request id from the request context."""
    return context.bind(user=user, ip="10.20.30.40", request_id=context.new_request_id())


# --- the actions -------------------------------------------------------------------------------------------
# Each returns nothing; `rows.start()` is called right before the action itself, after any setup.

def login_ok(cast, rows):
    rows.start()
    Client().post("/accounts/login/", {"username": "leader", "password": cast.password})


def login_bad(cast, rows):
    rows.start()
    Client().post("/accounts/login/", {"username": "leader", "password": "Wrong-Password-1"})


def logout(cast, rows):
    client = _client(cast.leader, cast)
    rows.start()
    client.post("/accounts/logout/")


def timeout(cast, rows):
    client = Client()
    with time_machine.travel(T0, tick=False) as clock:
        client.post("/accounts/login/", {"username": "leader", "password": cast.password})
        clock.shift(timedelta(minutes=16))
        rows.start()
        client.get("/")


def lock(cast, rows):
    client = Client()
    for _ in range(4):
        client.post("/accounts/login/", {"username": "leader", "password": "Wrong-Password-1"})
    rows.start()
    client.post("/accounts/login/", {"username": "leader", "password": "Wrong-Password-1"})


def unlock_ok(cast, rows):
    User.objects.filter(pk=cast.leader.pk).update(locked_until=T0 + timedelta(days=3650))
    client = _client(cast.secadmin, cast)
    rows.start()
    client.post(f"/accounts/roles/{cast.leader.pk}/unlock/")


def unlock_refused(cast, rows):
    client = _client(cast.secadmin, cast)
    rows.start()
    client.post(f"/accounts/roles/{cast.leader.pk}/unlock/")  # not locked


def unlock_denied(cast, rows):
    User.objects.filter(pk=cast.leader.pk).update(locked_until=T0 + timedelta(days=3650))
    client = _client(cast.sysadmin, cast)
    rows.start()
    client.post(f"/accounts/roles/{cast.leader.pk}/unlock/")


def password_change_ok(cast, rows):
    client = _client(cast.leader, cast)
    rows.start()
    client.post("/accounts/password/", {"old_password": cast.password, "new_password1": GOOD, "new_password2": GOOD})


def password_change_bad(cast, rows):
    client = _client(cast.leader, cast)
    rows.start()
    client.post("/accounts/password/", {"old_password": "Wrong-Password-1", "new_password1": GOOD,
                                        "new_password2": GOOD})


def password_reset_ok(cast, rows):
    client = _client(cast.sysadmin, cast)
    rows.start()
    client.post(f"/accounts/users/{cast.leader.pk}/password/", {"new_password1": GOOD, "new_password2": GOOD})


def password_reset_bad(cast, rows):
    client = _client(cast.sysadmin, cast)
    rows.start()
    client.post(f"/accounts/users/{cast.leader.pk}/password/", {"new_password1": "leader@2024!",
                                                               "new_password2": "leader@2024!"})


def user_create_ok(cast, rows):
    client = _client(cast.sysadmin, cast)
    rows.start()
    client.post("/accounts/users/new/", {"username": "zhoujie", "full_name": "周杰", "unit": cast.bajiao.pk,
                                         "new_password1": GOOD, "new_password2": GOOD})


def user_create_bad(cast, rows):
    client = _client(cast.sysadmin, cast)
    rows.start()
    client.post("/accounts/users/new/", {"username": "LEADER", "full_name": "重名", "unit": "",
                                         "new_password1": GOOD, "new_password2": GOOD})


def user_disable_ok(cast, rows):
    client = _client(cast.sysadmin, cast)
    rows.start()
    client.post(f"/accounts/users/{cast.leader.pk}/active/", {"active": "0"})


def user_disable_bad(cast, rows):
    client = _client(cast.sysadmin, cast)
    rows.start()
    client.post(f"/accounts/users/{cast.auditor.pk}/active/", {"active": "0"})


def role_grant_ok(cast, rows):
    cast.leader.role = ""  # through save(): a bare UPDATE would break the grant's row MAC (DP-03)
    cast.leader.save(update_fields=["role"])
    client = _client(cast.secadmin, cast)
    rows.start()
    client.post(f"/accounts/roles/{cast.leader.pk}/", {"role": Role.SUPERVISOR, "unit": ""})


def role_grant_bad(cast, rows):
    client = _client(cast.secadmin, cast)
    rows.start()
    client.post(f"/accounts/roles/{cast.leader.pk}/", {"role": Role.AUDITOR, "unit": ""})  # has a role


def role_grant_denied(cast, rows):
    client = _client(cast.auditor, cast)
    rows.start()
    client.post(f"/accounts/roles/{cast.leader.pk}/", {"role": Role.SUPERVISOR, "unit": ""})


def role_revoke_ok(cast, rows):
    client = _client(cast.secadmin, cast)
    rows.start()
    client.post(f"/accounts/roles/{cast.leader.pk}/revoke/")


def role_revoke_bad(cast, rows):
    client = _client(cast.secadmin, cast)
    rows.start()
    client.post(f"/accounts/roles/{cast.secadmin.pk}/revoke/")  # one's own role


def unit_create(cast, rows):
    rows.start()
    with _as(cast.supervisor):
        org.unit_create(name="新塘乡", parent=Unit.objects.get(pk=cast.city.pk), kind=UnitKind.TOWNSHIP, code="XT")


def unit_update(cast, rows):
    rows.start()
    with _as(cast.supervisor):
        unit = Unit.objects.get(pk=cast.baiguo.pk)
        org.unit_update(unit=unit, short_name="白果", expected_version=unit.version)


def person_create(cast, rows):
    rows.start()
    with _as(cast.supervisor):
        org.person_create(name="钱八", unit=cast.baiguo, title="干事")


def person_update(cast, rows):
    rows.start()
    with _as(cast.supervisor):
        org.person_update(person=cast.p_baiguo, title="党政办副主任", expected_version=cast.p_baiguo.version)


def post_create(cast, rows):
    rows.start()
    with _as(cast.supervisor):
        org.post_create(unit=cast.baiguo, title="督办联络员", a_holder=cast.p_baiguo)


def post_update(cast, rows):
    rows.start()
    with _as(cast.supervisor):
        org.post_update(post=cast.post_bajiao, duties="收发督办件", expected_version=cast.post_bajiao.version)


def absence_create(cast, rows):
    rows.start()
    with _as(cast.supervisor):
        org.absence_create(person=cast.p_bajiao_a, kind=AbsenceKind.choices[0][0], start=date(2026, 3, 2),
                           end=date(2026, 3, 6))


def group_create(cast, rows):
    rows.start()
    with _as(cast.supervisor):
        org.group_save(name="乡村振兴领导小组", leader=cast.p_bajiao_a, office_unit=cast.bajiao)


def group_update(cast, rows):
    with _as(cast.supervisor):
        group = org.group_save(name="防汛抗旱指挥部", leader=cast.p_bajiao_a, office_unit=cast.bajiao)
    rows.start()
    with _as(cast.supervisor):
        org.group_save(group=group, name="防汛抗旱总指挥部", leader=cast.p_bajiao_a, office_unit=cast.bajiao,
                       expected_version=group.version)


def directory_write_denied(cast, rows):
    client = _client(cast.auditor, cast)
    rows.start()
    client.post("/orgs/people/new/", {"name": "钱八", "unit": cast.baiguo.pk})


def out_of_scope_update_denied(cast, rows):
    client = _client(cast.bajiao_admin, cast)
    rows.start()
    client.post(f"/orgs/people/{cast.p_baiguo.pk}/edit/", {"name": "改名", "unit": cast.baiguo.pk})


def audit_export(cast, rows):
    client = _client(cast.auditor, cast)
    rows.start()
    response = client.post("/audit/", {"action": "export", "event": "login"})
    b"".join(response.streaming_content)


def audit_export_denied(cast, rows):
    client = _client(cast.secadmin, cast)
    rows.start()
    client.post("/audit/", {"action": "export"})


def audit_verify(cast, rows):
    client = _client(cast.auditor, cast)
    rows.start()
    client.post("/audit/", {"action": "verify"})


ACTIONS = [
    pytest.param(login_ok, {"login": 1}, id="login"),
    pytest.param(login_bad, {"login_failed": 1}, id="login-failure"),
    pytest.param(logout, {"logout": 1}, id="logout"),
    pytest.param(timeout, {"session_timeout": 1}, id="timeout"),
    pytest.param(lock, {"login_failed": 1, "account_locked": 1}, id="lock"),
    pytest.param(unlock_ok, {"account_unlocked": 1}, id="unlock"),
    pytest.param(unlock_refused, {"account_unlock_refused": 1}, id="unlock-refused"),
    pytest.param(unlock_denied, {"authz_denied": 1}, id="unlock-denied"),
    pytest.param(password_change_ok, {"password_changed": 1}, id="password-change"),
    pytest.param(password_change_bad, {"password_change_failed": 1}, id="password-change-failure"),
    pytest.param(password_reset_ok, {"password_reset": 1}, id="password-reset"),
    pytest.param(password_reset_bad, {"password_reset_refused": 1}, id="password-reset-failure"),
    pytest.param(user_create_ok, {"user_created": 1}, id="user-create"),
    pytest.param(user_create_bad, {"user_create_refused": 1}, id="user-create-failure"),
    pytest.param(user_disable_ok, {"user_disabled": 1}, id="user-disable"),
    pytest.param(user_disable_bad, {"user_disabled_refused": 1}, id="user-disable-failure"),
    pytest.param(role_grant_ok, {"role_granted": 1}, id="role-grant"),
    pytest.param(role_grant_bad, {"role_grant_refused": 1}, id="role-grant-failure"),
    pytest.param(role_grant_denied, {"authz_denied": 1}, id="role-grant-denied"),
    pytest.param(role_revoke_ok, {"role_revoked": 1}, id="role-revoke"),
    pytest.param(role_revoke_bad, {"role_revoke_refused": 1}, id="role-revoke-failure"),
    pytest.param(unit_create, {"unit_created": 1}, id="unit-create"),
    pytest.param(unit_update, {"unit_updated": 1}, id="unit-update"),
    pytest.param(person_create, {"person_created": 1}, id="person-create"),
    pytest.param(person_update, {"person_updated": 1}, id="person-update"),
    pytest.param(post_create, {"post_created": 1}, id="post-create"),
    pytest.param(post_update, {"post_updated": 1}, id="post-update"),
    pytest.param(absence_create, {"absence_created": 1}, id="absence-create"),
    pytest.param(group_create, {"group_created": 1}, id="group-create"),
    pytest.param(group_update, {"group_updated": 1}, id="group-update"),
    pytest.param(audit_export, {"audit_exported": 1}, id="audit-export"),
    pytest.param(audit_export_denied, {"authz_denied": 1}, id="audit-export-denied"),
    pytest.param(audit_verify, {"ledger_verified": 1}, id="audit-verify"),
    pytest.param(directory_write_denied, {"authz_denied": 1}, id="directory-write-denied"),
    pytest.param(out_of_scope_update_denied, {"authz_denied": 1}, id="out-of-scope-update-denied"),
]


# --- AU-01 ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("action, expected", ACTIONS)
def test_every_action_writes_exactly_its_ledger_rows(cast, action, expected):
    rows = Rows()
    action(cast, rows)
    assert rows.events() == Counter(expected)


# --- AU-02 ---------------------------------------------------------------------------------------------------
UPDATE_EVENTS = {"unit_updated", "person_updated", "post_updated", "group_updated", "role_granted", "role_revoked",
                 "user_disabled", "user_enabled"}
REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")


def test_every_row_of_the_sample_carries_the_required_fields(cast):
    roles = {u.username: u.role for u in User.objects.all()}
    rows = Rows()
    rows.start()
    first = rows.seq
    password_hash = User.objects.get(pk=cast.leader.pk).password
    for param in ACTIONS:
        # Each action starts from the cast as it was: no lock, no throttle, original roles.
        cache.clear()
        User.objects.filter(username__in=roles).update(password=password_hash, locked_until=None, failed_login_count=0,
                                                       first_failed_login_at=None, is_active=True,
                                                       must_change_password=False)
        for username, role in roles.items():
            User.objects.filter(username=username).update(role=role)
        param.values[0](cast, Rows())
        roles.update({u.username: u.role for u in User.objects.all() if u.username not in roles})
    rows.seq = first
    sample = list(rows.new())
    assert len(sample) > len(ACTIONS)
    for entry in sample:
        where = f"#{entry.seq} {entry.event}"
        assert entry.created_at.utcoffset() == timedelta(0), where
        assert entry.event and entry.outcome in Outcome.values, where
        assert entry.ip, where
        assert REQUEST_ID.match(entry.request_id), where
        assert entry.object_type, where
        # An attempt on an account that does not exist names the account it tried instead.
        assert entry.object_id or entry.data.get("username"), where
        if entry.actor_id is not None:
            actor = User.objects.get(pk=entry.actor_id)
            assert entry.actor_name == actor.username, where
            assert entry.actor_role == roles.get(actor.username, actor.role), where
        else:
            # Nobody signed in: the attempted name is what identifies the actor.
            assert entry.event in ("login_failed", "login_throttled"), where
            assert entry.data.get("username"), where
        if entry.event in UPDATE_EVENTS:
            changes = entry.data.get("changes")
            assert changes and all(isinstance(v, list) and len(v) == 2 and v[0] != v[1]
                                   for v in changes.values()), where
    assert ledger.verify().ok


def test_the_role_recorded_is_the_role_at_the_time(cast):
    first = Client()
    first.post("/accounts/login/", {"username": "leader", "password": cast.password})
    acc.role_revoke(actor=cast.secadmin, user=cast.leader)
    Client().post("/accounts/login/", {"username": "leader", "password": cast.password})
    logins = list(AuditEntry.objects.filter(event="login", actor=cast.leader).order_by("seq"))
    assert [e.actor_role for e in logins] == ["leader", ""]


# --- AU-04 ---------------------------------------------------------------------------------------------------
def test_the_orm_refuses_to_change_or_delete_an_entry(cast):
    entry = AuditEntry.objects.order_by("seq").first()
    entry.event = "forged"
    for attempt in (entry.save, entry.delete, AuditEntry.objects.filter(pk=entry.pk).delete,
                    lambda: AuditEntry.objects.filter(pk=entry.pk).update(event="forged"),
                    lambda: AuditEntry.objects.all().delete()):
        with pytest.raises(AppendOnlyError):
            attempt()
    assert AuditEntry.objects.get(pk=entry.pk).event != "forged"


@pytest.mark.parametrize("sql", [
    "UPDATE core_auditentry SET event = 'forged' WHERE id = %s",
    "UPDATE core_auditentry SET data = '{}' WHERE id = %s",
    "DELETE FROM core_auditentry WHERE id = %s",
    "DELETE FROM core_auditentry WHERE id >= %s",
])
def test_raw_sql_cannot_change_or_delete_an_entry(cast, sql):
    entry = AuditEntry.objects.order_by("seq").first()
    before = AuditEntry.objects.count()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(sql, [entry.pk])
    assert AuditEntry.objects.count() == before
    assert AuditEntry.objects.get(pk=entry.pk).mac == entry.mac


def test_truncate_is_refused_on_postgresql(cast):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; DELETE without WHERE is covered above")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("TRUNCATE core_auditentry")
    assert AuditEntry.objects.exists()


def test_no_code_outside_the_ledger_writes_audit_entries():
    src = Path(__file__).resolve().parents[2] / "src" / "duban"
    offenders = []
    pattern = re.compile(r"AuditEntry\((?!\))|AuditEntry\.objects\.(create|bulk_create|update|get_or_create|"
                         r"update_or_create)|core_auditentry\b.*\b(UPDATE|DELETE|INSERT)", re.IGNORECASE)
    for path in src.rglob("*.py"):
        rel = path.relative_to(src).as_posix()
        if rel in ("core/ledger.py", "core/models.py", "core/triggers.py") or "/migrations/" in rel:
            continue
        if pattern.search(path.read_text(encoding="utf-8")):
            offenders.append(rel)
    assert offenders == []


# --- AU-07 ---------------------------------------------------------------------------------------------------
# "The ledger cannot be written": the statement that inserts the entry and moves the head
# (duban.core.ledger._write) fails as a database outage would make it fail.
def _generic_500(response):
    body = response.content.decode()
    assert response.status_code == 500
    assert "Traceback" not in body and "audit storage unavailable" not in body and "DatabaseError" not in body


def test_when_the_ledger_cannot_be_written_an_account_is_not_created(cast):
    client = _client(cast.sysadmin, cast)
    client.raise_request_exception = False
    with mock.patch.object(ledger, "_write", side_effect=DatabaseError("audit storage unavailable")):
        response = client.post("/accounts/users/new/", {"username": "zhoujie", "full_name": "周杰", "unit": "",
                                                        "new_password1": GOOD, "new_password2": GOOD})
    _generic_500(response)
    assert not User.objects.filter(username="zhoujie").exists()


def test_when_the_ledger_cannot_be_written_a_role_is_not_granted(cast):
    cast.leader.role = ""  # through save(): a bare UPDATE would break the grant's row MAC (DP-03)
    cast.leader.save(update_fields=["role"])
    client = _client(cast.secadmin, cast)
    client.raise_request_exception = False
    with mock.patch.object(ledger, "_write", side_effect=DatabaseError("audit storage unavailable")):
        response = client.post(f"/accounts/roles/{cast.leader.pk}/", {"role": Role.SUPERVISOR, "unit": ""})
    _generic_500(response)
    assert User.objects.get(pk=cast.leader.pk).role == ""


def test_when_the_ledger_cannot_be_written_nobody_signs_in(cast):
    client = Client(raise_request_exception=False)
    with mock.patch.object(ledger, "_write", side_effect=DatabaseError("audit storage unavailable")):
        response = client.post("/accounts/login/", {"username": "leader", "password": cast.password})
    _generic_500(response)
    assert client.get("/").status_code == 302  # no session survived the failed sign-in


def test_when_the_ledger_cannot_be_written_a_directory_change_rolls_back(cast):
    with mock.patch.object(ledger, "_write", side_effect=DatabaseError("audit storage unavailable")):
        with pytest.raises(DatabaseError), _as(cast.supervisor):
            org.person_update(person=cast.p_baiguo, title="被回滚的职务", expected_version=cast.p_baiguo.version)
    cast.p_baiguo.refresh_from_db()
    assert cast.p_baiguo.title == "党政办主任"

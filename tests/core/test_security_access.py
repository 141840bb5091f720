"""Access-control rows of docs/security-criteria.md: AC-01 (no default accounts), AC-03
(三员分立), AC-04 (no superuser bypass). The production checks themselves are in test_checks.py."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from duban.accounts import services
from duban.accounts.models import User
from duban.core import permissions
from duban.core.models import AuditEntry
from duban.core.roles import ADMIN_ROLES, Role

pytestmark = pytest.mark.django_db


GOOD = "Qiu-Shui-Lake#2031"


def _client(user, cast):
    client = Client()
    assert client.post("/accounts/login/", {"username": user.username, "password": cast.password}).status_code == 302
    return client


# --- AC-01 -------------------------------------------------------------------------------------------------
def test_after_migrate_there_is_no_account_to_sign_in_with(client):
    assert User.objects.count() == 0
    for name, password in [("admin", "admin"), ("root", "root"), ("sa", "sa"), ("test", "test"),
                           ("系统管理员", "123456"), ("admin", "admin123")]:
        assert client.post("/accounts/login/", {"username": name, "password": password}).status_code == 400


@pytest.mark.parametrize("name", ["admin", "Administrator", "root", "SA", "test", "系统管理员"])
def test_the_ui_refuses_default_account_names_too(cast, name):
    with pytest.raises(ValidationError, match="保留"):
        services.user_create(actor=cast.sysadmin, username=name, password=GOOD, full_name="某某")
    assert not User.objects.filter(username__iexact=name).exists()


# --- AC-03 -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("holder, second", [
    ("sysadmin", Role.AUDITOR), ("sysadmin", Role.SECADMIN), ("auditor", Role.SYSADMIN), ("leader", Role.AUDITOR),
])
def test_a_second_role_is_refused_and_the_attempt_is_audited(cast, holder, second):
    user = getattr(cast, holder)
    before = user.role
    with pytest.raises(ValidationError, match="只能担任一个角色"):
        services.role_grant(actor=cast.secadmin, user=user, role=second)
    assert User.objects.get(pk=user.pk).role == before
    entry = AuditEntry.objects.get(event="role_grant_refused")
    assert entry.outcome == "denied" and entry.actor_id == cast.secadmin.pk
    assert entry.object_id == str(user.pk) and entry.data["role"] == second
    assert entry.data["reasons"] == ["role:one_role_per_account"]


def test_each_administrator_role_holds_exactly_its_own_functions():
    assert permissions.ROLE_PERMISSIONS[Role.SYSADMIN] >= {permissions.ACCOUNTS_MANAGE}
    # The security administrator also approves raw-SQL data-check rules (a security decision, not business).
    assert permissions.ROLE_PERMISSIONS[Role.SECADMIN] == {permissions.ROLES_GRANT, permissions.DATACHECK_APPROVE_SQL}
    assert permissions.ROLE_PERMISSIONS[Role.AUDITOR] == {permissions.AUDIT_VIEW}
    for role in ADMIN_ROLES:
        others = {permissions.ACCOUNTS_MANAGE, permissions.ROLES_GRANT, permissions.AUDIT_VIEW}
        own = others & permissions.ROLE_PERMISSIONS[role]
        assert len(own) == 1, role  # one administrator, one administrative function
    for role, perms in permissions.ROLE_PERMISSIONS.items():
        if role not in ADMIN_ROLES:
            assert not perms & {permissions.ACCOUNTS_MANAGE, permissions.ROLES_GRANT, permissions.AUDIT_VIEW}, role


# (method, path builder, who may) — who may: the set of admin roles allowed; others get 403.
MATRIX = [
    ("get", lambda c: "/accounts/users/", {"sysadmin"}),
    ("get", lambda c: f"/accounts/users/{c.leader.pk}/", {"sysadmin"}),
    ("post", lambda c: "/accounts/users/new/", {"sysadmin"}),
    ("post", lambda c: f"/accounts/users/{c.leader.pk}/active/", {"sysadmin"}),
    ("post", lambda c: f"/accounts/users/{c.leader.pk}/password/", {"sysadmin"}),
    ("get", lambda c: "/accounts/roles/", {"secadmin"}),
    ("post", lambda c: f"/accounts/roles/{c.leader.pk}/", {"secadmin"}),
    ("post", lambda c: f"/accounts/roles/{c.leader.pk}/revoke/", {"secadmin"}),
    ("post", lambda c: f"/accounts/roles/{c.leader.pk}/unlock/", {"secadmin"}),
    ("get", lambda c: "/audit/", {"auditor"}),
    ("get", lambda c: f"/audit/{AuditEntry.objects.order_by('seq').first().seq}/", {"auditor"}),
    ("post", lambda c: "/audit/", {"auditor"}),  # export / verify
    # Business data: the directory is open to the sysadmin (to place accounts), nothing else is.
    ("get", lambda c: "/orgs/people/", {"sysadmin"}),
    ("get", lambda c: f"/orgs/people/{c.p_bajiao_a.pk}/", {"sysadmin"}),
    ("post", lambda c: "/orgs/people/new/", {"sysadmin"}),
]


@pytest.mark.parametrize("role", ["sysadmin", "secadmin", "auditor"])
@pytest.mark.parametrize("method, path, allowed", MATRIX, ids=[f"{m} {i}" for i, (m, _, _) in enumerate(MATRIX)])
def test_the_administrator_permission_matrix(cast, role, method, path, allowed):
    client = _client(getattr(cast, role), cast)
    url = path(cast)
    data = {"action": "verify"} if url == "/audit/" and method == "post" else {}
    response = getattr(client, method)(url, data)
    if role in allowed:
        assert response.status_code in (200, 302, 400), (role, method, url, response.status_code)
    else:
        assert response.status_code == 403, (role, method, url, response.status_code)
        assert AuditEntry.objects.filter(event="authz_denied", actor=getattr(cast, role)).exists()


@pytest.mark.parametrize("role", ["sysadmin", "secadmin", "auditor"])
def test_administrators_cannot_use_the_business_api(cast, role):
    client = Client()
    response = client.post("/api/auth/token", {"username": getattr(cast, role).username, "password": cast.password},
                           content_type="application/json")
    assert response.status_code == 200
    auth = {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}
    # Authenticated but without the function: 403 (and an authz_denied row), never data.
    assert client.get("/api/sources", **auth).status_code == 403
    assert AuditEntry.objects.filter(event="authz_denied", actor=getattr(cast, role)).exists()


def test_the_auditor_writes_nothing_anywhere(cast):
    client = _client(cast.auditor, cast)
    before = {u.pk: (u.role, u.is_active, u.password) for u in User.objects.all()}
    for url, data in [("/accounts/users/new/", {"username": "x9", "full_name": "x", "new_password1": GOOD,
                                                "new_password2": GOOD}),
                      (f"/accounts/users/{cast.leader.pk}/active/", {"active": "0"}),
                      (f"/accounts/users/{cast.leader.pk}/password/", {"new_password1": GOOD, "new_password2": GOOD}),
                      (f"/accounts/roles/{cast.leader.pk}/revoke/", {}),
                      ("/orgs/people/new/", {"name": "钱八", "unit": cast.baiguo.pk})]:
        assert client.post(url, data).status_code == 403, url
    assert {u.pk: (u.role, u.is_active, u.password) for u in User.objects.all()} == before


# --- AC-04 -------------------------------------------------------------------------------------------------
def test_a_superuser_without_a_role_reaches_no_business_function(cast):
    boss = services.user_create(actor=cast.sysadmin, username="boss", password=GOOD, full_name="老板",
                                must_change_password=False)
    User.objects.filter(pk=boss.pk).update(is_superuser=True, is_staff=True)
    client = Client()
    assert client.post("/accounts/login/", {"username": "boss", "password": GOOD}).status_code == 302
    for url in ("/orgs/people/", f"/orgs/people/{cast.p_bajiao_a.pk}/", "/accounts/users/", "/accounts/roles/",
                "/audit/"):
        assert client.get(url).status_code in (403, 404), url
    response = client.post("/api/auth/token", {"username": "boss", "password": GOOD}, content_type="application/json")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}
    assert client.get("/api/sources", **auth).status_code == 403


def test_a_superuser_flag_does_not_widen_a_unit_users_scope(cast):
    User.objects.filter(pk=cast.bajiao_admin.pk).update(is_superuser=True, is_staff=True)
    client = _client(cast.bajiao_admin, cast)
    assert client.get(f"/orgs/people/{cast.p_bajiao_a.pk}/").status_code == 200
    assert client.get(f"/orgs/people/{cast.p_baiguo.pk}/").status_code == 404
    denied = AuditEntry.objects.get(event="authz_denied", actor=cast.bajiao_admin)
    assert denied.object_id == str(cast.p_baiguo.pk)


def test_django_admin_is_not_installed():
    from django.conf import settings

    assert "django.contrib.admin" not in settings.INSTALLED_APPS
    assert Client().get("/admin/").status_code == 404

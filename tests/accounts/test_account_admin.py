"""Account administration by the system administrator and role administration by the security
administrator, through the web UI like a person would (三员分立, IA-01, IA-04)."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from duban.accounts import services
from duban.accounts.models import ApiToken, User
from duban.core.models import AuditEntry
from duban.core.roles import Role

pytestmark = pytest.mark.django_db

GOOD = "Qiu-Shui-Lake#2031"


def _listed(response):
    """The usernames in the account table of a list page."""
    return set(re.findall(r'/accounts/(?:users|roles)/\d+/">([^<]+)</a>', response.content.decode()))


def _last(event):
    return AuditEntry.objects.filter(event=event).order_by("-seq").first()


def _new_account(client, **overrides):
    data = {"username": "zhoujie", "full_name": "周杰", "unit": "", "person": "", "email": "",
            "new_password1": GOOD, "new_password2": GOOD, **overrides}
    return client.post("/accounts/users/new/", data)


def test_the_sysadmin_lists_and_filters_accounts(cast, login):
    client = login(cast.sysadmin)
    assert {"bajiao_admin", "auditor1", "supervisor"} <= _listed(client.get("/accounts/users/"))
    assert _listed(client.get("/accounts/users/", {"role": Role.LIAISON})) == {
        "bajiao", "bajiao_b", "baiguo", "village"}
    # The unit filter includes the unit's subtree.
    assert _listed(client.get("/accounts/users/", {"unit": cast.bajiao.pk})) == {
        "bajiao", "bajiao_b", "village", "bajiao_admin"}
    assert _listed(client.get("/accounts/users/", {"q": "BAIG"})) == {"baiguo"}
    services.user_set_active(actor=cast.sysadmin, user=cast.leader, active=False)
    assert _listed(client.get("/accounts/users/", {"active": "0"})) == {"leader"}


def test_an_invalid_filter_is_reported_not_ignored(cast, login):
    client = login(cast.sysadmin)
    response = client.get("/accounts/users/", {"unit": "999999"})
    assert response.status_code == 400
    assert "选择一个有效的选项" in response.content.decode() or "Select a valid choice" in response.content.decode()


def test_the_sysadmin_creates_an_account_that_must_change_its_password_at_first_login(cast, login, client):
    admin = login(cast.sysadmin)
    response = _new_account(admin, unit=cast.bajiao.pk, person=cast.p_bajiao_c.pk)
    assert response.status_code == 302
    user = User.objects.get(username="zhoujie")
    assert user.role == "" and user.unit == cast.bajiao and user.person == cast.p_bajiao_c
    assert user.must_change_password
    entry = _last("user_created")
    assert entry.actor_id == cast.sysadmin.pk and entry.object_id == str(user.pk)

    client.cookies.clear()
    response = client.post("/accounts/login/", {"username": "ZHOUJIE", "password": GOOD})
    assert response.status_code == 302
    # Every page leads to the password change until the one-time password is replaced.
    assert client.get("/").url == "/accounts/password/"
    assert client.get("/orgs/").status_code == 302
    new = "Lan-Ting-Xu#0353"
    response = client.post("/accounts/password/", {"old_password": GOOD, "new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    user.refresh_from_db()
    assert not user.must_change_password and user.check_password(new)


@pytest.mark.parametrize("overrides, field_error", [
    ({"username": "Bajiao"}, "已存在"),  # case-insensitive duplicate of the cast's "bajiao" (IA-01)
    ({"username": "Admin"}, "保留"),
    ({"username": "系统管理员"}, "保留"),
    ({"username": "bad name!"}, "用户名"),
    ({"full_name": ""}, "这个字段是必填项"),
    ({"new_password2": "Other-Password#99"}, "不一致"),
    ({"new_password1": "Aa123456", "new_password2": "Aa123456"}, "至少需要"),
])
def test_a_bad_account_is_refused_with_a_clear_message_and_nothing_is_created(cast, login, overrides, field_error):
    client = login(cast.sysadmin)
    before = User.objects.count()
    response = _new_account(client, **overrides)
    assert response.status_code == 400
    assert field_error in response.content.decode()
    assert User.objects.count() == before


def test_a_person_from_another_unit_or_already_linked_is_refused(cast, login):
    client = login(cast.sysadmin)
    response = _new_account(client, unit=cast.baiguo.pk, person=cast.p_bajiao_c.pk)
    assert response.status_code == 400 and "不属于所选单位" in response.content.decode()
    with pytest.raises(ValidationError) as exc:
        services.user_create(actor=cast.sysadmin, username="dup", password=GOOD, full_name="重复",
                             person=cast.p_bajiao_a)
    assert "已关联" in str(exc.value)
    assert not User.objects.filter(username="dup").exists()
    assert _last("user_create_refused").data["reasons"] == ["person:person_taken"]


def test_disabling_an_account_ends_its_sessions_and_tokens(cast, login, client):
    from django.test import Client

    victim = Client()
    assert victim.post("/accounts/login/", {"username": "bajiao", "password": cast.password}).status_code == 302
    services.token_issue(actor=cast.bajiao_liaison)
    admin = login(cast.sysadmin)
    response = admin.post(f"/accounts/users/{cast.bajiao_liaison.pk}/active/", {"active": "0"})
    assert response.status_code == 302
    assert not User.objects.get(pk=cast.bajiao_liaison.pk).is_active
    assert victim.get("/").status_code == 302  # back to login
    assert not ApiToken.objects.filter(user=cast.bajiao_liaison).exists()
    assert _last("user_disabled").data["changes"] == {"is_active": [True, False]}
    # Enabling again works and is recorded.
    admin.post(f"/accounts/users/{cast.bajiao_liaison.pk}/active/", {"active": "1"})
    assert User.objects.get(pk=cast.bajiao_liaison.pk).is_active
    assert _last("user_enabled") is not None


def test_the_sysadmin_cannot_disable_itself_or_the_other_administrators(cast, login):
    client = login(cast.sysadmin)
    for target in (cast.sysadmin, cast.secadmin, cast.auditor):
        response = client.post(f"/accounts/users/{target.pk}/active/", {"active": "0"}, follow=True)
        assert User.objects.get(pk=target.pk).is_active
        assert "alert-danger" in response.content.decode()
    response = client.post(f"/accounts/users/{cast.leader.pk}/active/", {"active": "maybe"}, follow=True)
    assert "请求无效" in response.content.decode() and User.objects.get(pk=cast.leader.pk).is_active


def test_an_admin_reset_is_one_time_and_ends_the_users_sessions(cast, login):
    from django.test import Client

    victim = Client()
    victim.post("/accounts/login/", {"username": "leader", "password": cast.password})
    assert victim.get("/notices/").status_code == 200  # (a leader's "/" redirects to the dashboard)
    admin = login(cast.sysadmin)
    temp = "Temp-Shi-Jian#7781"
    response = admin.post(f"/accounts/users/{cast.leader.pk}/password/", {"new_password1": temp, "new_password2": temp})
    assert response.status_code == 302
    assert victim.get("/notices/").status_code == 302  # the old session is gone
    leader = User.objects.get(pk=cast.leader.pk)
    assert leader.must_change_password and leader.check_password(temp)
    assert _last("password_reset").actor_id == cast.sysadmin.pk


def test_the_sysadmin_cannot_reset_the_password_of_the_security_administrator_or_auditor(cast, login):
    client = login(cast.sysadmin)
    temp = "Temp-Shi-Jian#7781"
    for target in (cast.secadmin, cast.auditor):
        response = client.post(f"/accounts/users/{target.pk}/password/", {"new_password1": temp, "new_password2": temp})
        assert response.status_code == 400
        assert "不能操作安全管理员或审计管理员" in response.content.decode()
        assert User.objects.get(pk=target.pk).check_password(cast.password)
    assert AuditEntry.objects.filter(event="password_reset_refused").count() == 2


def test_the_secadmin_grants_and_revokes_roles(cast, login):
    user = services.user_create(actor=cast.sysadmin, username="newbie", password=GOOD, full_name="新人",
                                unit=cast.baiguo)
    client = login(cast.secadmin)
    assert _listed(client.get("/accounts/roles/", {"role": "none"})) == {"newbie"}
    response = client.post(f"/accounts/roles/{user.pk}/", {"role": Role.LIAISON, "unit": ""})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.role == Role.LIAISON and user.unit == cast.baiguo
    assert _last("role_granted").data["changes"] == {"role": ["", "liaison"]}
    response = client.post(f"/accounts/roles/{user.pk}/revoke/")
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.role == ""
    assert _last("role_revoked").data["changes"] == {"role": ["liaison", ""]}


@pytest.mark.parametrize("data, message", [
    ({"role": "superuser"}, "选择一个有效的选项"),
    ({"role": Role.UNIT_ADMIN}, "必须指定所属单位"),
])
def test_a_bad_grant_is_refused_and_changes_nothing(cast, login, data, message):
    user = services.user_create(actor=cast.sysadmin, username="nounit", password=GOOD, full_name="无单位")
    client = login(cast.secadmin)
    response = client.post(f"/accounts/roles/{user.pk}/", {"unit": "", **data})
    assert response.status_code == 400 and message in response.content.decode()
    user.refresh_from_db()
    assert user.role == ""


def test_the_secadmin_cannot_grant_itself_a_role(cast, login):
    client = login(cast.secadmin)
    response = client.post(f"/accounts/roles/{cast.secadmin.pk}/", {"role": Role.AUDITOR, "unit": ""})
    assert response.status_code == 400
    assert User.objects.get(pk=cast.secadmin.pk).role == Role.SECADMIN
    assert _last("role_grant_refused").data["reasons"] == ["role:own_account"]


def test_the_secadmin_unlocks_a_locked_account_and_it_is_audited(cast, login, client):
    from django.test import Client

    other = Client()
    for _ in range(5):
        other.post("/accounts/login/", {"username": "baiguo", "password": "wrong-password"})
    assert User.objects.get(pk=cast.baiguo_liaison.pk).is_locked
    sec = login(cast.secadmin)
    assert _listed(sec.get("/accounts/roles/", {"locked": "on"})) == {"baiguo"}
    response = sec.post(f"/accounts/roles/{cast.baiguo_liaison.pk}/unlock/")
    assert response.status_code == 302
    assert not User.objects.get(pk=cast.baiguo_liaison.pk).is_locked
    entry = _last("account_unlocked")
    assert entry.actor_id == cast.secadmin.pk and entry.object_id == str(cast.baiguo_liaison.pk)
    assert other.post("/accounts/login/", {"username": "baiguo", "password": cast.password}).status_code == 302
    # Unlocking an account that is not locked is refused, and says so.
    response = sec.post(f"/accounts/roles/{cast.leader.pk}/unlock/", follow=True)
    assert "未被锁定" in response.content.decode()


def test_services_refuse_callers_without_the_function_permission(cast):
    with pytest.raises(PermissionDenied):
        services.role_grant(actor=cast.sysadmin, user=cast.leader, role=Role.SUPERVISOR)
    with pytest.raises(PermissionDenied):
        services.user_create(actor=cast.secadmin, username="x1", password=GOOD, full_name="x")
    with pytest.raises(PermissionDenied):
        services.user_unlock(actor=cast.sysadmin, user=cast.leader)
    with pytest.raises(PermissionDenied):
        services.password_set_by_admin(actor=cast.auditor, user=cast.leader, new_password=GOOD)


@pytest.mark.parametrize("who, url, expected", [
    ("sysadmin", "/accounts/users/new/", "初始密码"),
    ("sysadmin", "/accounts/users/{leader}/", "重置密码"),
    ("sysadmin", "/accounts/users/{sysadmin}/", "这是您自己的账户"),
    ("sysadmin", "/accounts/users/{leader}/password/", "临时密码只能使用一次"),
    ("sysadmin", "/accounts/users/{secadmin}/", "系统管理员不能重置其密码或停用它"),
    ("secadmin", "/accounts/roles/", "角色授权"),
    ("secadmin", "/accounts/roles/{leader}/", "撤销角色"),
    ("secadmin", "/accounts/roles/{secadmin}/", "不能修改自己的角色"),
])
def test_the_administration_pages_render_for_their_owner(cast, login, who, url, expected):
    client = login(getattr(cast, who))
    response = client.get(url.format(leader=cast.leader.pk, sysadmin=cast.sysadmin.pk, secadmin=cast.secadmin.pk))
    assert response.status_code == 200
    assert expected in response.content.decode()
    assert client.get("/accounts/users/999999/" if who == "sysadmin" else "/accounts/roles/999999/").status_code == 404


def test_the_sidebar_shows_each_administrator_only_their_own_menu(cast, login):
    menus = {"sysadmin": "/accounts/users/", "secadmin": "/accounts/roles/", "auditor": "/audit/"}
    for who, own in menus.items():
        page = login(getattr(cast, who)).get("/").content.decode()
        assert f'href="{own}"' in page
        for other in set(menus.values()) - {own}:
            assert f'href="{other}"' not in page, (who, other)


def test_the_administration_pages_speak_english(cast, login):
    client = login(cast.sysadmin)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/accounts/users/new/").content.decode()
    assert "New account" in page and "Initial password" in page
    response = _new_account(client, username="Admin")
    assert "is a default or reserved account name" in response.content.decode()

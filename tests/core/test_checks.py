"""Production system checks: no superuser, no default account, no default or empty password
(AC-01, AC-04, IA-01)."""

import pytest
from django.core import checks
from django.test import override_settings

from duban.accounts.models import User
from duban.accounts.checks import check_accounts

pytestmark = pytest.mark.django_db


def _ids():
    return sorted({m.id for m in checks.run_checks(tags=[checks.Tags.security], include_deployment_checks=True)
                   if m.id.startswith("duban.")})


@override_settings(PRODUCTION=True)
def test_a_clean_production_database_passes(cast):
    assert check_accounts() == []


@override_settings(PRODUCTION=True)
def test_an_active_superuser_is_an_error_in_production(cast):
    User.objects.filter(pk=cast.leader.pk).update(is_superuser=True)
    assert _ids() == ["duban.E001"]
    User.objects.filter(pk=cast.leader.pk).update(is_active=False)
    assert _ids() == []  # a disabled superuser cannot act


def test_outside_production_the_checks_stay_quiet(cast):
    User.objects.filter(pk=cast.leader.pk).update(is_superuser=True)
    assert check_accounts() == []


@override_settings(PRODUCTION=True)
@pytest.mark.parametrize("name", ["admin", "ROOT", "sa", "test", "系统管理员"])
def test_a_default_named_account_is_an_error_in_production(cast, name):
    User.objects.filter(pk=cast.leader.pk).update(username=name)
    assert _ids() == ["duban.E002"]


@override_settings(PRODUCTION=True)
@pytest.mark.parametrize("password", ["admin123", "Admin@123", "P@ssw0rd"])
def test_an_administrator_with_a_known_default_password_is_an_error_in_production(cast, password):
    # Written behind the services' back, as a restored foreign dump or raw SQL would.
    user = User.objects.get(pk=cast.sysadmin.pk)
    user.set_password(password)
    User.objects.filter(pk=user.pk).update(password=user.password)
    errors = check_accounts()
    assert [e.id for e in errors] == ["duban.E004"] and "sysadmin1" in errors[0].msg


@override_settings(PRODUCTION=True)
def test_an_active_account_without_a_usable_password_is_an_error_in_production(cast):
    user = User.objects.get(pk=cast.bajiao_liaison.pk)
    user.set_unusable_password()
    User.objects.filter(pk=user.pk).update(password=user.password)
    assert _ids() == ["duban.E003"]


@override_settings(PRODUCTION=True)
def test_an_administrator_left_with_the_demo_password_is_an_error_in_production(cast):
    from duban.demo.accounts import DEMO_PASSWORD

    user = User.objects.get(pk=cast.secadmin.pk)
    user.set_password(DEMO_PASSWORD)
    User.objects.filter(pk=user.pk).update(password=user.password)
    assert _ids() == ["duban.E004"]

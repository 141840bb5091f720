"""`duban demo` as a command: refusals, atomicity and seeds, each on an empty database."""

import random

import pytest
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.test import override_settings

from duban.accounts.models import User
from duban.core.models import AuditEntry
from duban.demo.directory import NameGenerator
from duban.orgs.models import Person, Unit

from .conftest import run_demo


@pytest.mark.django_db
def test_an_existing_account_also_counts_as_data():
    from duban.accounts import services

    services.user_create(actor=None, username="zhangsan", password="Real-Account-42x", must_change_password=True)
    assert "nothing loaded" in run_demo("--if-empty")
    assert not Unit.objects.exists()


@pytest.mark.django_db
def test_production_settings_refuse_the_demo():
    with override_settings(PRODUCTION=True), pytest.raises(CommandError, match="production"):
        run_demo("--if-empty")
    assert not Unit.objects.exists() and not User.objects.exists()


@pytest.mark.django_db
def test_a_failure_half_way_leaves_nothing_behind(monkeypatch):
    def refuse(directory):
        raise ValidationError("账户数据无效")

    monkeypatch.setattr("duban.demo.management.commands.demo.build_accounts", refuse)
    with pytest.raises(CommandError, match="账户数据无效"):
        run_demo()
    assert not Unit.objects.exists() and not Person.objects.exists() and not AuditEntry.objects.exists()


def test_the_same_seed_always_gives_the_same_names():
    first = NameGenerator(random.Random(7))
    second = NameGenerator(random.Random(7))
    names = [first() for _ in range(300)]
    assert names == [second() for _ in range(300)]
    assert len(set(names)) == 300
    other = NameGenerator(random.Random(8))
    assert [other() for _ in range(300)] != names


@pytest.mark.django_db
def test_a_different_seed_names_people_differently_but_keeps_the_named_officials():
    run_demo("--seed", "42")
    named = {"向前进", "苏勇", "董高"}
    assert set(Person.objects.filter(name__in=named).values_list("unit__code", flat=True)) == {"SW", "ZF", "RWB"}
    generated = set(Person.objects.exclude(name__in=named).values_list("name", flat=True))

    def draws(seed):
        new_name = NameGenerator(random.Random(seed), reserved=named)
        return {new_name() for _ in range(len(generated))}

    assert generated == draws(42)
    assert generated != draws(2017)

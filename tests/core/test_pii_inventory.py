"""DP-05: every personal-data column is declared (``<app>/pii.py``) and every declared field has
its row in docs/data-inventory.md — a new model field that looks personal fails here until it is
declared and described (or exempted with a reason)."""

import re
from pathlib import Path

from django.apps import apps
from django.db import models

from duban.core import pii

INVENTORY = Path(__file__).resolve().parents[2] / "docs" / "data-inventory.md"

# What looks personal: by column name or by its Chinese label.
NAME_RE = re.compile(r"(^|_)(phone|mobile|tel|telephone|cellphone|id_number|id_no|idcard|id_card|identity_number|"
                     r"address|addr|bank|bank_account|account_no|account_number|card_no|email|e_mail|ip|ip_address|"
                     r"first_name|last_name|full_name|real_name|person_name|petitioner|subject_name)($|_)|_person$")
LABEL_RE = re.compile(r"姓名|姓氏|名字|手机|电话|身份证|证件号|住址|家庭地址|银行|账号|卡号|邮箱|电子邮件|责任人|联系人|当事人|信访人|来源地址")
TEXTUAL = (models.CharField, models.TextField, models.BinaryField, models.JSONField, models.GenericIPAddressField)


def looks_personal(field) -> bool:
    if not isinstance(field, TEXTUAL) or field.is_relation:
        return False
    return bool(NAME_RE.search(field.name) or LABEL_RE.search(str(field.verbose_name)))


def inventory_rows() -> dict[str, list[str]]:
    rows = {}
    for line in INVENTORY.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\| `([a-z_]+\.[a-z_]+\.[a-z_]+)` \|(.*)\|$", line)
        if m:
            rows[m.group(1)] = [c.strip() for c in m.group(2).split("|")]
    return rows


def test_every_installed_model_column_that_looks_personal_is_declared():
    covered = pii.covered_columns()
    missing = [f"{m._meta.label_lower}.{f.name}" for m in apps.get_models() for f in m._meta.concrete_fields
               if looks_personal(f) and f"{m._meta.label_lower}.{f.name}" not in covered]
    assert missing == [], f"personal-looking columns not declared in <app>/pii.py: {missing}"


def test_the_walker_catches_what_it_must():
    # The heuristic itself: the columns the criteria name are all caught.
    caught = {f"{m._meta.label_lower}.{f.name}" for m in apps.get_models() for f in m._meta.concrete_fields
              if looks_personal(f)}
    for column in ("orgs.person.phone", "orgs.person.name", "petitions.petitioner.id_number_enc",
                   "petitions.petitioner.phone_enc", "petitions.petitioner.name", "accounts.user.email",
                   "inspections.relative.name", "inspections.finding.responsible_person", "core.auditentry.ip"):
        assert column in caught
    assert "orgs.unit.name" not in caught and "tasks.task.title" not in caught
    assert looks_personal(models.CharField(name="mobile", verbose_name="x"))
    assert looks_personal(models.CharField(name="x", verbose_name="家庭地址"))
    assert not looks_personal(models.BooleanField(name="email"))


def test_declared_fields_are_real_columns_of_installed_models():
    for spec in pii.fields():
        model = apps.get_model(spec.model)
        names = {f.name for f in model._meta.concrete_fields}
        assert set(spec.columns) <= names, spec.key
        assert spec.kind in pii.KINDS
        if spec.reveal is not None:
            assert spec.getter is not None, f"{spec.key}: a revealable field needs a scoped getter"


def test_the_inventory_has_exactly_one_complete_row_per_declared_field():
    rows = inventory_rows()
    declared = {spec.key: spec for spec in pii.fields()}
    assert sorted(set(declared) - set(rows)) == [], "declared but missing from docs/data-inventory.md"
    assert sorted(set(rows) - set(declared)) == [], "in docs/data-inventory.md but not declared"
    for key, cells in rows.items():
        assert len(cells) == 6 and all(cells), f"{key}: kind, purpose, basis, who, masking, retention"
        assert cells[0] == declared[key].kind, key


def test_masking_keeps_only_the_ends():
    assert pii.mask("330106199001011234", pii.ID_NUMBER) == "3301**********1234"
    assert pii.mask("13812341234", pii.PHONE) == "138****1234"
    assert pii.mask("6222000011112222", pii.BANK_ACCOUNT) == "************2222"
    assert pii.mask("zhang@example.cn", pii.EMAIL) == "z***@example.cn"
    assert pii.mask("13812341234", pii.CONTACT) == "138****1234"
    assert pii.mask("10.1.2.3", pii.IP) == "10.1.*.*"
    assert pii.mask("", pii.PHONE) == "" and pii.mask(None, pii.ID_NUMBER) == ""
    assert pii.mask("123", pii.ID_NUMBER) == "***"

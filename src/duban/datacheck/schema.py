"""The kinds of dataset duban cross-checks and the typed fields of each. A rule names fields as
``<alias>.<field>``; a join is allowed only between fields of the same type."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

# Field types: how a cell is validated (validators.CLEANERS) and stored.
SQL_TYPES = {"id": "VARCHAR", "uscc": "VARCHAR", "name": "VARCHAR", "text": "VARCHAR", "phone": "VARCHAR",
             "account": "VARCHAR", "amount": "DECIMAL(18,2)", "date": "DATE"}
PG_TYPES = {**{t: "TEXT" for t in SQL_TYPES}, "amount": "NUMERIC(18,2)", "date": "DATE"}
TYPE_LABELS = {"id": _("身份证号"), "uscc": _("统一社会信用代码"), "name": _("姓名"), "text": _("文本"),
               "phone": _("电话"), "account": _("银行账号"), "amount": _("金额(元)"), "date": _("日期")}
SENSITIVE_TYPES = frozenset({"id", "phone", "account"})  # masked in every list

# Integer join keys (DuckDB only): every id/phone/account column ``f`` of a snapshot has a twin
# ``_k_f``, an exact (injective) integer encoding of the validated value, computed when the
# snapshot is written (ingest.to_parquet; engine adds it to older snapshots). Joining, grouping
# and counting on it instead of the VARCHAR halves the hashing cost; equal keys ⇔ equal values,
# so the hits are the same as on PostgreSQL, which compares the text.
#   id: 17 digits × 11 + check character (X = 10) → < 1.1e18, BIGINT
#   phone: "1" + up to 12 digits → BIGINT;  account: "1" + 8–32 digits → DECIMAL(38,0)
KEY_TYPES = {"id": "BIGINT", "phone": "BIGINT", "account": "DECIMAL(38,0)"}
KEY_PREFIX = "_k_"


def key_sql(type_: str, column: str) -> str:
    """The DuckDB expression of the integer key of ``column`` (a quoted identifier)."""
    if type_ == "id":
        return (f"TRY_CAST(substr({column}, 1, 17) AS BIGINT) * 11 + CASE WHEN substr({column}, 18, 1) = 'X' "
                f"THEN 10 ELSE TRY_CAST(substr({column}, 18, 1) AS BIGINT) END")
    if type_ == "phone":
        return f"TRY_CAST('1' || {column} AS BIGINT)"
    if type_ == "account":
        return f"TRY_CAST('1' || {column} AS DECIMAL(38,0))"
    raise ValueError(type_)


def key_columns(kind: str) -> dict[str, str]:
    """``_k_<field>`` → its DuckDB expression, for the key-typed fields of ``kind``."""
    return {KEY_PREFIX + f.name: key_sql(f.type, '"' + f.name + '"') for f in FIELDS[kind] if f.type in KEY_TYPES}


class Kind(models.TextChoices):
    PAYMENTS = "payments", _("补贴/资金发放记录")
    RECIPIENTS = "recipients", _("补贴对象名单")
    ROSTER = "roster", _("公职人员(财政供养)名册")
    HOUSEHOLD = "household", _("户籍(家庭成员)登记")
    DEATHS = "deaths", _("死亡人员登记")
    VEHICLES = "vehicles", _("车辆登记")
    PROPERTY = "property", _("不动产登记")
    ENTERPRISES = "enterprises", _("企业登记(股东)")
    RELATIVES = "relatives", _("领导干部亲属登记")
    CONTRACTS = "contracts", _("合同/采购记录")


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    label: str
    required: bool = True


def F(name, type_, label, required=True):
    return Field(name, type_, label, required)


FIELDS: dict[str, tuple[Field, ...]] = {
    Kind.PAYMENTS: (F("id_number", "id", _("身份证号")), F("name", "name", _("姓名")),
                    F("programme", "text", _("补贴项目")), F("amount", "amount", _("金额")),
                    F("pay_date", "date", _("发放日期")), F("bank_account", "account", _("银行账号"), False),
                    F("phone", "phone", _("联系电话"), False), F("unit", "text", _("发放单位"), False)),
    Kind.RECIPIENTS: (F("id_number", "id", _("身份证号")), F("name", "name", _("姓名")),
                      F("programme", "text", _("补贴项目")), F("bank_account", "account", _("银行账号"), False),
                      F("phone", "phone", _("联系电话"), False)),
    Kind.ROSTER: (F("id_number", "id", _("身份证号")), F("name", "name", _("姓名")),
                  F("unit", "text", _("工作单位")), F("post", "text", _("职务"), False)),
    Kind.HOUSEHOLD: (F("household_no", "text", _("户号")), F("id_number", "id", _("身份证号")),
                     F("name", "name", _("姓名")), F("relation", "text", _("与户主关系"), False)),
    Kind.DEATHS: (F("id_number", "id", _("身份证号")), F("name", "name", _("姓名")),
                  F("death_date", "date", _("死亡日期"))),
    Kind.VEHICLES: (F("id_number", "id", _("身份证号")), F("name", "name", _("姓名")),
                    F("plate", "text", _("号牌")), F("register_date", "date", _("登记日期"), False)),
    Kind.PROPERTY: (F("id_number", "id", _("身份证号")), F("name", "name", _("姓名")),
                    F("address", "text", _("坐落")), F("area", "amount", _("面积(平方米)"), False)),
    Kind.ENTERPRISES: (F("credit_code", "uscc", _("统一社会信用代码")), F("company", "text", _("企业名称")),
                       F("shareholder_id", "id", _("股东身份证号")), F("shareholder_name", "name", _("股东姓名"))),
    Kind.RELATIVES: (F("official_id", "id", _("干部身份证号")), F("official_name", "name", _("干部姓名")),
                     F("relative_id", "id", _("亲属身份证号")), F("relative_name", "name", _("亲属姓名")),
                     F("relation", "text", _("关系"), False)),
    Kind.CONTRACTS: (F("credit_code", "uscc", _("统一社会信用代码")), F("company", "text", _("企业名称")),
                     F("buyer_unit", "text", _("采购单位")), F("amount", "amount", _("合同金额")),
                     F("sign_date", "date", _("签订日期"))),
}


def fields(kind: str) -> tuple[Field, ...]:
    return FIELDS[kind]


def field(kind: str, name: str) -> Field | None:
    return next((f for f in FIELDS.get(kind, ()) if f.name == name), None)

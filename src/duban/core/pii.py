"""Personal data (DP-05): which model fields hold it, how lists and exports mask it, and who may see
the full value — one place, so that every list, export and page masks the same way.

Declaring a field. Each app lists its personal-data fields in ``<app>/pii.py``, next to its
``models.py``::

    from duban.core import pii, permissions
    pii.register("orgs.person", "phone", kind=pii.PHONE, reveal=permissions.DIRECTORY_EDIT,
                 getter=lambda user, pk: selectors.person_get_for_user(user, pk))

Why a per-app registry and not a field subclass or a ``Meta`` option: a custom field class is
written into every migration that touches the field (and ``deconstruct`` keeps it there for good),
and Django refuses unknown ``Meta`` options; a registry is plain Python that makes no migration, is
read by one test (``tests/core/test_pii_inventory.py``) against ``docs/data-inventory.md`` and
against every installed model — a field that looks personal and is not declared (or exempted with a
reason) fails the suite, as does a declared field missing from the inventory.

Showing a field. Lists and exports show :func:`mask` (``3301**********1234``, ``138****1234``);
the full value only through the permission-checked 查看完整信息 action
(``core:pii_reveal``, :mod:`duban.core.views_pii`) or the detail page of the entitled role, and each
showing writes exactly one ``pii_viewed`` ledger row (:func:`record_view`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.module_loading import autodiscover_modules

# --- kinds and masking ----------------------------------------------------------------------------
ID_NUMBER = "id_number"  # 身份证号: first 4 (the region) and last 4 kept
PHONE = "phone"  # 手机/电话: first 3 and last 4 kept
BANK_ACCOUNT = "bank_account"  # 银行账号: last 4 kept
EMAIL = "email"  # first character and the domain kept
NAME = "name"  # 姓名: shown (people are named in their own records); masked only where a list says so
ADDRESS = "address"  # 住址: the first 6 characters (province, city) kept
IP = "ip"  # the network part kept
RECORD = "record"  # structured rows (imported data sets): each value masked by its own column type
CONTACT = "contact"  # a phone number or an e-mail address, masked as what it is

KINDS = (ID_NUMBER, PHONE, BANK_ACCOUNT, EMAIL, NAME, ADDRESS, IP, RECORD, CONTACT)


def mask(value, kind: str) -> str:
    """The masked form of ``value`` (a string; empty stays empty). Enough to recognise a value one
    already knows, not enough to use it."""
    s = "" if value is None else str(value).strip()
    if not s:
        return ""
    if kind == ID_NUMBER:
        return s[:4] + "*" * (len(s) - 8) + s[-4:] if len(s) > 8 else "*" * len(s)
    if kind == PHONE:
        return s[:3] + "****" + s[-4:] if len(s) >= 7 else "*" * len(s)
    if kind == BANK_ACCOUNT:
        return "*" * max(len(s) - 4, 0) + s[-4:] if len(s) > 4 else "*" * len(s)
    if kind == EMAIL:
        local, at, domain = s.partition("@")
        return (local[:1] + "***" + at + domain) if at else s[:1] + "***"
    if kind == NAME:
        return s[:1] + "*" * max(len(s) - 1, 1)
    if kind == ADDRESS:
        return s[:6] + "****" if len(s) > 6 else "****"
    if kind == IP:
        if "." in s:
            return ".".join(s.split(".")[:2] + ["*", "*"])
        return ":".join(s.split(":")[:3] + ["*"])
    if kind == RECORD:
        return "****"
    if kind == CONTACT:
        if "@" in s:
            return mask(s, EMAIL)
        return mask(s, PHONE) if s.lstrip("+").replace(" ", "").replace("-", "").isdigit() else s
    raise ValueError(f"unknown personal-data kind {kind!r}")


def looks_masked(value: str) -> bool:
    return "*" in (value or "")


# --- the registry ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Field:
    model: str  # app_label.modelname, as in the ledger's object_type
    name: str  # the model field (or the property that decrypts it)
    kind: str
    columns: tuple[str, ...]  # the concrete columns that hold it (an encrypted field: its ciphertext and index)
    reveal: str | Callable | None  # a function permission, or (user, obj) -> bool; None: nobody through the UI
    getter: Callable | None  # (user, pk) -> obj, scoped (404/None and an authz_denied row outside scope)
    label: str
    back: Callable | None = None  # obj -> the URL of the page the 查看完整信息 button sits on

    @property
    def key(self) -> str:
        return f"{self.model}.{self.name}"


_REGISTRY: dict[str, Field] = {}
_EXEMPT: dict[str, str] = {}
_discovered = False


def register(model: str, name: str, *, kind: str, columns: tuple[str, ...] = (), reveal=None, getter=None,
             label: str = "", back=None) -> Field:
    if kind not in KINDS:
        raise ValueError(f"unknown personal-data kind {kind!r}")
    spec = Field(model=model.lower(), name=name, kind=kind, columns=tuple(columns) or (name,), reveal=reveal,
                 getter=getter, label=label, back=back)
    _REGISTRY[spec.key] = spec
    return spec


def exempt(model: str, name: str, *, reason: str) -> None:
    """A column that looks personal and is not (say why): the inventory test then leaves it alone."""
    if not reason:
        raise ValueError("an exemption needs a reason")
    _EXEMPT[f"{model.lower()}.{name}"] = reason


def _discover() -> None:
    global _discovered
    if not _discovered:
        _discovered = True
        autodiscover_modules("pii")


def fields() -> list[Field]:
    _discover()
    return sorted(_REGISTRY.values(), key=lambda f: f.key)


def exemptions() -> dict[str, str]:
    _discover()
    return dict(_EXEMPT)


def get(model: str, name: str) -> Field | None:
    _discover()
    return _REGISTRY.get(f"{model.lower()}.{name}")


def covered_columns() -> set[str]:
    """Every concrete column (``app.model.column``) a declaration or an exemption accounts for."""
    out = set(exemptions())
    for f in fields():
        out.update(f"{f.model}.{c}" for c in f.columns)
    return out


# --- who sees the full value ----------------------------------------------------------------------
def may_reveal(user, spec: Field, obj=None) -> bool:
    from duban.core import permissions

    if spec.reveal is None or user is None or not getattr(user, "is_authenticated", False):
        return False
    if callable(spec.reveal):
        return bool(spec.reveal(user, obj))
    return permissions.can(user, spec.reveal)


def value(obj, spec: Field) -> str:
    v = getattr(obj, spec.name, "")
    return "" if v is None else str(v)


def shown(user, obj, model: str, name: str, *, full: bool = False) -> str:
    """The value as a page shows it: masked, unless ``full`` and the user may see it in full. A page
    that shows a full value must call :func:`record_view` once for the page."""
    spec = get(model, name)
    if spec is None:
        raise LookupError(f"{model}.{name} is not declared as personal data")
    v = value(obj, spec)
    return v if full and may_reveal(user, spec, obj) else mask(v, spec.kind)


def record_view(*, obj, fields: list[str], page: str, actor=None, object_type: str = "", object_id: str = ""):
    """One ``pii_viewed`` ledger row for one showing of full values (whatever the number of fields
    or rows shown): which object, which fields, on which page. Never the values themselves."""
    from duban.core import ledger

    kwargs = {"obj": obj} if obj is not None else {"object_type": object_type, "object_id": object_id}
    return ledger.append(event="pii_viewed", data={"fields": sorted(set(fields)), "page": page}, actor=actor,
                         **kwargs)


# --- core's own personal data: the address a ledger entry came from (kept with the entry, shown to
# the 审计管理员 only; the actor is named by account, see accounts.user) ---------------------------
register("core.auditentry", "ip", kind=IP)

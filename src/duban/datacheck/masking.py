"""How sensitive values of imported rows look in lists, exports and the API: by the column's type,
through the platform's one masking helper (``duban.core.pii.mask``, DP-05) — an ID number keeps
its first 4 and last 4 characters, a phone number its first 3 and last 4, a bank account its last 4;
other types are shown as they are."""

from __future__ import annotations

from duban.core import pii

_KINDS = {"id": pii.ID_NUMBER, "phone": pii.PHONE, "account": pii.BANK_ACCOUNT}


def mask(value, type_: str) -> str:
    s = "" if value is None else str(value)
    kind = _KINDS.get(type_)
    return pii.mask(s, kind) if kind and s else s

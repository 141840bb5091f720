"""How sensitive values look in lists: an ID number keeps its first 3 and last 4 characters, a phone
number its first 3 and last 4, a bank account its last 4."""

from __future__ import annotations


def mask(value, type_: str) -> str:
    s = "" if value is None else str(value)
    if not s:
        return s
    if type_ == "id":
        return s[:3] + "*" * max(len(s) - 7, 0) + s[-4:] if len(s) > 7 else "*" * len(s)
    if type_ == "phone":
        return s[:3] + "****" + s[-4:] if len(s) >= 8 else "*" * len(s)
    if type_ == "account":
        return "*" * max(len(s) - 4, 0) + s[-4:]
    return s

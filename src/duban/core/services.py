"""Shared helpers for services: optimistic locking and audited field updates."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from duban.core import ledger


class ConflictError(ValidationError):
    """A refusal because of the object's current state rather than the input: the API answers
    409 with ``{"detail", "code", **extra}`` (docs/decisions/0002-api-errors.md); a page shows
    the message like any other ValidationError. Subclass it for each kind of conflict."""

    def __init__(self, message, *, code: str, extra: dict | None = None):
        super().__init__(message, code=code)
        self.extra = dict(extra or {})


class ConcurrentEditError(ConflictError):
    """Someone else saved the object after this user loaded it (RL-01)."""

    def __init__(self, *, extra: dict | None = None):
        super().__init__(_("该记录已被他人修改,请刷新后重试。"), code="stale", extra=extra)


def snapshot(obj: models.Model, fields) -> dict:
    return {f: _plain(getattr(obj, f if not _is_fk(obj, f) else f"{f}_id")) for f in fields}


def _is_fk(obj, name) -> bool:
    field = obj._meta.get_field(name)
    return field.is_relation and field.many_to_one


def _plain(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def save_versioned(obj: models.Model, *, expected_version: int | None, fields: list[str]) -> None:
    """Write ``fields`` of obj with ``UPDATE … WHERE version = expected`` — works on SQLite,
    where select_for_update does nothing. Raises ConcurrentEditError if someone else saved first."""
    model = type(obj)
    if expected_version is None:
        expected_version = obj.version
    values = {f if not _is_fk(obj, f) else f"{f}_id": getattr(obj, f if not _is_fk(obj, f) else f"{f}_id")
              for f in fields}
    updated = model._default_manager.filter(pk=obj.pk, version=expected_version).update(
        version=expected_version + 1, **values
    )
    if updated != 1:
        raise ConcurrentEditError()
    obj.version = expected_version + 1


def audited_update(obj: models.Model, *, changes: dict, expected_version: int | None, event: str,
                   extra: dict | None = None):
    """Apply ``changes`` to obj with optimistic locking and append one ledger entry holding the
    before/after of the fields that changed. Call inside a transaction."""
    before = snapshot(obj, changes.keys())
    for name, value in changes.items():
        setattr(obj, name, value)
    obj.full_clean()
    save_versioned(obj, expected_version=expected_version, fields=list(changes))
    after = snapshot(obj, changes.keys())
    ledger.append(event=event, obj=obj, data={"changes": _masked(obj, ledger.diff(before, after)), **(extra or {})})
    return obj


def _masked(obj, changes: dict) -> dict:
    """The before/after of declared personal-data fields (phones, ID numbers, e-mail…) as their
    masked forms: the ledger records that the number changed, never the number (DP-05, AU-08).
    Names stay readable: the ledger names people."""
    from duban.core import pii

    label = obj._meta.label_lower
    for name, pair in changes.items():
        spec = pii.get(label, name)
        if spec is not None and spec.kind not in (pii.NAME, pii.RECORD):
            changes[name] = [pii.mask(v, spec.kind) if isinstance(v, str) else v for v in pair]
    return changes

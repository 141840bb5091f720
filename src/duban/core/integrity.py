"""Row MACs: important data keeps its integrity at rest (DP-03).

Scores and rankings (evaluation.UnitScore), discipline records (accountability.Case and its
CaseSubject rows) and role grants (accounts.User's role and unit) carry ``row_mac``: HMAC-SM3
through the CryptoProvider (``duban.core.crypto``) under its own derived key (purpose
``row-mac``, from the key ring outside the database), over a canonical encoding of the covered
fields. A direct edit of the database that bypasses duban (SQL, a restored or doctored dump) leaves
the MAC behind:

* ``duban verify-integrity`` lists every row whose MAC does not match (exit status 1);
* the pages that show such a row show 数据完整性校验失败 instead of the value and record one
  ``integrity_failure`` ledger entry (at most one per row and hour), which raises the integrity
  alert to the security administrators (core.alerts, as for evidence files, FU-04);
* ``duban rotate-keys`` recomputes every MAC under the current key (the key id travels with the
  MAC, so rows keep verifying under the old key until then).

A model takes part by mixing in ``Sealed`` before ``models.Model``, declaring ``integrity_fields``
(field names; foreign keys by their column value) and a ``row_mac = integrity.mac_field()``.
``Sealed.save()`` recomputes the MAC whenever a covered field is saved, but only if the stored row
still verifies: a save never launders a tampered row (the row stays flagged until the security
administrator accepts it after review, ``duban verify-integrity --accept label:pk``, audited).
Writes that bypass ``save()`` (``bulk_create``) call ``seal(obj)`` first.

Canonical encoding: JSON with sorted keys, no whitespace, UTF-8, of ``{"t": model label, "f":
{field: value}}``; decimals with the field's decimal places, datetimes in UTC ISO 8601, dates ISO,
JSON fields as JSON, foreign keys by id. The same row gives the same bytes on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from decimal import Decimal

from django.apps import apps
from django.core.cache import cache
from django.db import models

from duban.core import crypto

PURPOSE = "row-mac"
MAC_MAX_LENGTH = 80  # key id (≤ 32) + ":" + 43 base64url characters


def mac_field():
    return models.CharField(max_length=MAC_MAX_LENGTH, blank=True, default="", editable=False)


def _value(field, value):
    if value is None:
        return None
    if isinstance(field, models.DecimalField):
        quantum = Decimal(1).scaleb(-field.decimal_places)
        return format(Decimal(str(value)).quantize(quantum), "f")
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(field, models.JSONField):
        return json.loads(json.dumps(value))
    if isinstance(value, (bool, int, str)):
        return value
    return str(value)


def canonical(obj, fields=None, label: str | None = None) -> bytes:
    """The bytes the MAC covers. Works with historical models too (migrations pass ``fields``)."""
    meta = obj._meta
    fields = fields if fields is not None else type(obj).integrity_fields
    values = {}
    for name in fields:
        field = meta.get_field(name)
        values[name] = _value(field, getattr(obj, field.attname))
    doc = {"t": label or meta.label_lower, "f": values}
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def compute(obj, fields=None, label: str | None = None, key_id: str | None = None) -> str:
    provider = crypto.get_provider()
    kid = key_id or provider.current_key_id()
    tag = provider.mac(canonical(obj, fields, label), PURPOSE, key_id=kid)
    return f"{kid}:{base64.urlsafe_b64encode(tag).rstrip(b'=').decode()}"


def verify(obj, fields=None, label: str | None = None) -> bool:
    stored = obj.row_mac or ""
    kid, sep, _tag = stored.partition(":")
    if not sep:
        return False
    try:
        expected = compute(obj, fields, label, key_id=kid)
    except crypto.CryptoError:  # a key id the ring does not hold
        return False
    return crypto.constant_time_equal(expected.encode(), stored.encode())


def seal(obj) -> None:
    """Set ``obj.row_mac`` for its current values (before a bulk_create)."""
    obj.row_mac = compute(obj)


class Sealed:
    """Mixin for models whose rows carry a MAC (see the module docstring)."""

    integrity_fields: tuple[str, ...] = ()

    def _integrity_attnames(self) -> set[str]:
        names = set()
        for name in type(self).integrity_fields:
            field = self._meta.get_field(name)
            names.update({field.name, field.attname})
        return names

    def _stored_row_verifies(self) -> bool:
        model = type(self)
        stored = model._base_manager.filter(pk=self.pk).only(*model.integrity_fields, "row_mac").first()
        return stored is None or verify(stored)

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        touches = update_fields is None or bool(set(update_fields) & self._integrity_attnames())
        if touches and (self._state.adding or self.pk is None or self._stored_row_verifies()):
            self.row_mac = compute(self)
            if update_fields is not None and "row_mac" not in update_fields:
                kwargs["update_fields"] = [*update_fields, "row_mac"]
        self.__dict__.pop("_integrity_ok", None)
        super().save(*args, **kwargs)

    @property
    def integrity_ok(self) -> bool:
        if "_integrity_ok" not in self.__dict__:
            self.__dict__["_integrity_ok"] = verify(self)
        return self.__dict__["_integrity_ok"]


def sealed_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if issubclass(m, Sealed) and m.integrity_fields]


def mismatches(model, batch: int = 2000):
    """Every row of ``model`` whose MAC does not verify: (pk, reason) with reason ``missing``
    (no MAC at all) or ``mismatch``."""
    qs = model._base_manager.only(*model.integrity_fields, "row_mac").order_by("pk")
    for obj in qs.iterator(chunk_size=batch):
        if not obj.row_mac:
            yield obj.pk, "missing"
        elif not verify(obj):
            yield obj.pk, "mismatch"


def record_failure(*, actor, obj, where: str) -> None:
    """One ``integrity_failure`` ledger entry for a row shown somewhere (at most one per row and
    hour, shared by every app server through the cache); the entry raises the integrity alert."""
    from django.db import transaction

    from duban.core import ledger
    from duban.core.models import Outcome

    label = obj._meta.label_lower
    if not cache.add(f"duban:integrity:{label}:{obj.pk}", 1, 3600):
        return
    with transaction.atomic():
        ledger.append(event="integrity_failure", outcome=Outcome.FAILURE, object_type=label,
                      object_id=str(obj.pk), object_repr=f"{label} #{obj.pk}",
                      actor=actor if getattr(actor, "is_authenticated", False) else None,
                      data={"kind": "row_mac", "where": where[:100]})


def check_rows(rows, *, actor, where: str):
    """Verify the rows a page or an API answer is about to show; each failing row is recorded.
    Returns the rows (each knows ``integrity_ok`` now)."""
    rows = list(rows)
    for obj in rows:
        if obj is not None and not obj.integrity_ok:
            record_failure(actor=actor, obj=obj, where=where)
    return rows


def check(obj, *, actor, where: str):
    check_rows([obj], actor=actor, where=where)
    return obj


def reseal_under_current_key(model, batch: int = 500) -> tuple[int, int]:
    """For ``duban rotate-keys``: recompute under the current key every MAC made with an older
    one that still verifies. A failing row keeps its MAC (it stays flagged). Returns (resealed,
    failing left alone)."""
    from django.db import transaction

    current = crypto.get_provider().current_key_id()
    resealed = failing = 0
    pks = list(model._base_manager.exclude(row_mac__startswith=current + ":").order_by("pk")
               .values_list("pk", flat=True))
    for start in range(0, len(pks), batch):
        with transaction.atomic():
            objs = list(model._base_manager.select_for_update().filter(pk__in=pks[start:start + batch])
                        .only(*model.integrity_fields, "row_mac"))
            fresh = []
            for obj in objs:
                if verify(obj):
                    obj.row_mac = compute(obj)
                    fresh.append(obj)
                else:
                    failing += 1
            model._base_manager.bulk_update(fresh, ["row_mac"])
            resealed += len(fresh)
    return resealed, failing


def key_ids_in_use() -> dict[str, int]:
    used: dict[str, int] = {}
    for model in sealed_models():
        for mac in model._base_manager.exclude(row_mac="").values_list("row_mac", flat=True).iterator():
            kid = mac.partition(":")[0]
            used[kid] = used.get(kid, 0) + 1
    return used


def seal_existing(model, fields, label: str, batch: int = 1000) -> int:
    """For data migrations: give every row of a (historical) model its MAC over ``fields``.
    The rows are trusted as they are at the moment the migration runs."""
    n = 0
    qs = model._base_manager.order_by("pk")
    pks = list(qs.values_list("pk", flat=True))
    for start in range(0, len(pks), batch):
        objs = list(qs.filter(pk__in=pks[start:start + batch]))
        for obj in objs:
            obj.row_mac = compute(obj, fields, label)
        model._base_manager.bulk_update(objs, ["row_mac"])
        n += len(objs)
    return n

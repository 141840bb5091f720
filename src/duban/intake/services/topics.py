"""The directory and topic map given to the engine: the map is seeded once from the engine's
default, then kept by the 督查室 (keyword → responsible units)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.core import ledger
from duban.core.services import save_versioned
from duban.intake import selectors
from duban.intake.models import IntakeState, TopicMapping
from duban.intake.services._base import _clean_short, _clean_title, _require, _units


def topic_map_seed(*, actor=None) -> int:
    """Fill the topic map from the engine's default on first use, matching unit names against
    the directory (names and aliases). Runs once: afterwards the map is the staff's."""
    if IntakeState.objects.filter(pk=1, topic_map_seeded_at__isnull=False).exists():
        return 0  # the usual case: no write transaction (on SQLite that is the database lock)
    return _seed_topic_map(actor)


@transaction.atomic
def _seed_topic_map(actor) -> int:
    from duban.intake.engine import default_topic_map

    state, _created = IntakeState.objects.select_for_update().get_or_create(pk=1) \
        if connection.features.has_select_for_update else IntakeState.objects.get_or_create(pk=1)
    if state.topic_map_seeded_at is not None:
        return 0
    lookup = selectors.unit_name_lookup()
    created = 0
    for keyword, names in default_topic_map().items():
        keyword = keyword.strip()[:50]
        if not keyword or TopicMapping.objects.filter(keyword=keyword).exists():
            continue
        matched = [lookup[n] for n in names if n in lookup]
        mapping = TopicMapping.objects.create(keyword=keyword, unit_names=[n for n in names if n not in lookup])
        mapping.units.set(matched)
        created += 1
    state.topic_map_seeded_at = timezone.now()
    state.save()
    ledger.append(event="intake_topic_map_seed", obj=None, object_type="intake.topicmapping",
                  data={"created": created}, actor=actor)
    return created


def _topic_values(actor, keyword, units, unit_names, exclude_pk=None):
    keyword = _clean_title(keyword, "keyword", 50, _("关键词"))
    if TopicMapping.objects.filter(keyword=keyword).exclude(pk=exclude_pk).exists():
        raise ValidationError({"keyword": _("关键词“%(k)s”已存在。") % {"k": keyword}})
    units = _units(units, "units", actor)
    names = []
    for name in unit_names or []:
        name = _clean_short(name, "unit_names", 100, _("单位名称"))
        if name and name not in names:
            names.append(name)
    if not units and not names:
        raise ValidationError({"units": _("请至少选择一个责任单位。")})
    return keyword, units, names


@transaction.atomic
def topic_mapping_create(*, actor, keyword: str, units, unit_names=()) -> TopicMapping:
    _require(actor)
    keyword, units, names = _topic_values(actor, keyword, units, unit_names)
    mapping = TopicMapping.objects.create(keyword=keyword, unit_names=names)
    mapping.units.set(units)
    ledger.append(event="intake_topic_create", obj=mapping,
                  data={"keyword": keyword, "units": [u.pk for u in units], "unit_names": names}, actor=actor)
    return mapping


@transaction.atomic
def topic_mapping_update(*, actor, mapping: TopicMapping, keyword: str, units, unit_names=(),
                         expected_version: int | None = None) -> TopicMapping:
    _require(actor)
    keyword, units, names = _topic_values(actor, keyword, units, unit_names, exclude_pk=mapping.pk)
    current = TopicMapping.objects.get(pk=mapping.pk)
    expected = current.version if expected_version is None else expected_version
    before = {"keyword": current.keyword, "units": sorted(current.units.values_list("pk", flat=True)),
              "unit_names": current.unit_names}
    current.keyword, current.unit_names, current.updated_at = keyword, names, timezone.now()
    save_versioned(current, expected_version=expected, fields=["keyword", "unit_names", "updated_at"])
    current.units.set(units)
    after = {"keyword": keyword, "units": sorted(u.pk for u in units), "unit_names": names}
    ledger.append(event="intake_topic_update", obj=current, data={"changes": ledger.diff(before, after)}, actor=actor)
    return current


@transaction.atomic
def topic_mapping_delete(*, actor, mapping: TopicMapping) -> None:
    _require(actor)
    current = TopicMapping.objects.filter(pk=mapping.pk).first()
    if current is None:
        raise ValidationError(_("该关键词已被删除。"), code="gone")
    data = {"keyword": current.keyword, "units": sorted(current.units.values_list("pk", flat=True))}
    pk = current.pk
    current.delete()
    ledger.append(event="intake_topic_delete", object_type="intake.topicmapping", object_id=str(pk),
                  object_repr=data["keyword"], data=data, actor=actor)

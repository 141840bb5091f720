"""Reads of the indicators app. Peer ranks and gaps are computed in the database with window
functions (RANK, MAX/MIN, AVG over the peer group), the same SQL on SQLite and PostgreSQL.

Rank is the standard competition rank: equal values share a rank and the next rank skips
(1, 2, 2, 4). "Better" follows the indicator's direction.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import (
    Avg,
    Case,
    Count,
    DecimalField,
    F,
    Max,
    Min,
    OuterRef,
    QuerySet,
    Subquery,
    When,
    Window,
)
from django.db.models.functions import Rank

from duban.core import permissions
from duban.indicators import periods
from duban.indicators.models import (
    Actual,
    BehindAlert,
    Direction,
    Indicator,
    PeerGroup,
    PeerMember,
    PeerValue,
)


def indicators_for_user(user) -> QuerySet[Indicator]:
    if not permissions.can(user, permissions.INDICATORS_VIEW):
        return Indicator.objects.none()
    return Indicator.objects.select_related("source_office").prefetch_related("responsible_units")


def indicator_get_for_user(user, pk) -> Indicator:
    return permissions.resolve_scoped(user, indicators_for_user(user), None, pk)


def peer_groups_for_user(user) -> QuerySet[PeerGroup]:
    if not permissions.can(user, permissions.INDICATORS_VIEW):
        return PeerGroup.objects.none()
    return PeerGroup.objects.annotate(size=Count("members"))


def peer_group_get_for_user(user, pk) -> PeerGroup:
    return permissions.resolve_scoped(user, peer_groups_for_user(user), None, pk)


def _ranked(indicator: Indicator, group: PeerGroup, period: str) -> QuerySet[PeerMember]:
    dec = DecimalField(max_digits=18, decimal_places=4)
    own = Actual.objects.filter(indicator=indicator, period=period).values("value")[:1]
    peer = PeerValue.objects.filter(member=OuterRef("pk"), indicator=indicator, period=period).values("value")[:1]
    value = Case(When(is_self=True, then=Subquery(own, output_field=dec)), default=Subquery(peer, output_field=dec),
                 output_field=dec)
    higher = indicator.direction == Direction.HIGHER
    order = F("value").desc() if higher else F("value").asc()
    return (PeerMember.objects.filter(group=group).annotate(value=value).filter(value__isnull=False)
            .annotate(rank=Window(Rank(), order_by=order),
                      best=Window(Max("value") if higher else Min("value")),
                      average=Window(Avg("value")),
                      counted=Window(Count("pk")))
            .order_by("rank", "name"))


def peer_ranking(indicator: Indicator, group: PeerGroup, period: str) -> list[dict]:
    """Every member with a value: rank, value, gap to the leader and to the average (value minus
    the leader's / the average; the sign says above or below), and the share of the average."""
    rows = []
    for m in _ranked(indicator, group, period):
        value, best, avg = Decimal(str(m.value)), Decimal(str(m.best)), Decimal(str(m.average))
        rows.append({"member": m.name, "is_self": m.is_self, "value": value, "rank": m.rank, "of": m.counted,
                     "gap_leader": (value - best).quantize(Decimal("0.01")),
                     "gap_average": (value - avg).quantize(Decimal("0.01")),
                     "average": avg.quantize(Decimal("0.01")),
                     "share_of_average": (value / avg * 100).quantize(Decimal("0.1")) if avg else None})
    return rows


def own_position(indicator: Indicator, group: PeerGroup, period: str) -> dict | None:
    return next((r for r in peer_ranking(indicator, group, period) if r["is_self"]), None)


def groups_with_values(indicator: Indicator) -> QuerySet[PeerGroup]:
    return PeerGroup.objects.filter(members__values__indicator=indicator).distinct().order_by("name")


def rank_history(indicator: Indicator, group: PeerGroup) -> list[dict]:
    """Our rank in every period that has values."""
    keys = sorted(set(PeerValue.objects.filter(indicator=indicator, member__group=group)
                      .values_list("period", flat=True)))
    out = []
    for key in keys:
        pos = own_position(indicator, group, key)
        if pos is not None:
            out.append({"period": key, "rank": pos["rank"], "of": pos["of"]})
    return out


def trend(indicator: Indicator) -> dict:
    """Actuals per period with the year's target beside each, for the chart and the table."""
    actuals = {a.period: a for a in indicator.actuals.all()}
    targets = {t.year: t.value for t in indicator.targets.all()}
    rows = []
    for key in periods.all_periods(indicator):
        year = periods.year_of(indicator.frequency, key)
        actual = actuals.get(key)
        if actual is None and targets.get(year) is None:
            continue
        rows.append({"period": key, "actual": actual.value if actual else None, "target": targets.get(year),
                     "derived": bool(actual and actual.is_derived), "demo": bool(actual and actual.is_demo)})
    return {"rows": rows, "goal": indicator.goal_value, "goal_year": indicator.end_year}


def alerts_for(indicator: Indicator) -> QuerySet[BehindAlert]:
    return indicator.alerts.select_related("task")


def dashboard_tiles(user) -> list[dict]:
    """One tile per indicator for the leaders' dashboard: latest value, the year's target, whether
    it is behind by more than its margin, and our rank in the first peer group with values."""
    from duban.indicators.services import shortfall

    tiles = []
    for indicator in indicators_for_user(user).prefetch_related("targets"):
        latest = indicator.actuals.order_by("-period").first()
        if latest is None:
            continue
        year = periods.year_of(indicator.frequency, latest.period)
        target = next((t.value for t in indicator.targets.all() if t.year == year), None)
        short = shortfall(indicator, latest.value, target) if target is not None else None
        tile = {"indicator": indicator, "name": indicator.name, "measure": indicator.measure,
                "period": latest.period, "value": latest.value, "target": target, "shortfall": short,
                "behind": short is not None and short > indicator.behind_margin, "is_demo": latest.is_demo,
                "rank": None, "of": None, "group": None, "url": f"/indicators/{indicator.pk}/"}
        for group in groups_with_values(indicator):
            pos = own_position(indicator, group, latest.period)
            if pos is not None:
                tile.update(rank=pos["rank"], of=pos["of"], group=group.name)
                break
        tiles.append(tile)
    return tiles


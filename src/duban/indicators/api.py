"""Read-only REST API of the "316" indicators: the tiles and one indicator's peer ranking."""

from __future__ import annotations

from decimal import Decimal

from ninja import Router, Schema

from duban.core import api_auth, permissions
from duban.indicators import selectors

router = Router(tags=["indicators"], auth=api_auth.require(permissions.INDICATORS_VIEW))


class TileOut(Schema):
    id: int
    code: str
    name: str
    measure: str
    period: str
    value: Decimal
    target: Decimal | None
    shortfall: Decimal | None
    behind: bool
    is_demo: bool
    rank: int | None
    of: int | None
    group: str | None


class RankOut(Schema):
    member: str
    is_self: bool
    value: Decimal
    rank: int
    of: int
    gap_leader: Decimal
    gap_average: Decimal


@router.get("/indicators", response=list[TileOut], url_name="indicator_tiles")
def indicator_tiles(request):
    return [{**t, "id": t["indicator"].pk, "code": t["indicator"].code}
            for t in selectors.dashboard_tiles(request.auth)]


@router.get("/indicators/{indicator_id}/ranking", response=list[RankOut], url_name="indicator_ranking")
def indicator_ranking(request, indicator_id: int, group: int, period: str):
    indicator = selectors.indicator_get_for_user(request.auth, indicator_id)
    peer_group = selectors.peer_group_get_for_user(request.auth, group)
    return selectors.peer_ranking(indicator, peer_group, period.strip().upper())

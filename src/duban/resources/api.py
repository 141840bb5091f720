"""Read-only REST API of resource requests: the pending summary of the user's unit."""

from __future__ import annotations

from decimal import Decimal

from ninja import Router, Schema

from duban.core import api_auth, permissions
from duban.resources import selectors

router = Router(tags=["resources"], auth=api_auth.require(permissions.RESOURCES_VIEW))


class SummaryOut(Schema):
    held: int
    pending: int
    undelivered: int
    pending_amount: Decimal | None


@router.get("/resources/summary", response=SummaryOut, url_name="resource_summary")
def resource_summary(request):
    return selectors.pending_summary(request.auth)

"""Read-only REST API of petition warnings: counts by level (no personal data)."""

from __future__ import annotations

from ninja import Router, Schema

from duban.core import api_auth, permissions
from duban.petitions import selectors

router = Router(tags=["petitions"], auth=api_auth.require(permissions.PETITIONS_VIEW))


class CountsOut(Schema):
    blue: int
    yellow: int
    orange: int
    red: int
    total: int


@router.get("/petitions/warning-counts", response=CountsOut, url_name="petition_warning_counts")
def petition_warning_counts(request):
    return selectors.warning_counts(request.auth)

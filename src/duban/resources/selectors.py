"""Reads of resource requests, scoped: a unit sees requests filed from its subtree (the holder of
a request is always above the requester, so that covers what it holds too); global roles see all."""

from __future__ import annotations

from django.db.models import Count, F, Q, QuerySet, Sum

from duban.core import permissions
from duban.orgs.models import Unit
from duban.resources.models import Ceiling, ResourceRequest, Status


def requests_for_user(user) -> QuerySet[ResourceRequest]:
    if not permissions.can(user, permissions.RESOURCES_VIEW):
        return ResourceRequest.objects.none()
    qs = ResourceRequest.objects.select_related("requester_unit", "current_unit", "task", "created_task",
                                                "decided_unit")
    return permissions.scope(user, qs, "requester_unit")


def request_get_for_user(user, pk) -> ResourceRequest:
    return permissions.resolve_scoped(user, requests_for_user(user), None, pk)


def held_ranked(user) -> QuerySet[ResourceRequest]:
    """Pending requests held by the user's unit, in the unit's priority order (unranked last)."""
    unit = getattr(user, "unit", None)
    if unit is None:
        return ResourceRequest.objects.none()
    return (requests_for_user(user).filter(current_unit=unit, status=Status.PENDING)
            .order_by(F("priority").asc(nulls_last=True), "created_at"))


def own_requests(user) -> QuerySet[ResourceRequest]:
    unit = getattr(user, "unit", None)
    if unit is None:
        return ResourceRequest.objects.none()
    return requests_for_user(user).filter(requester_unit=unit)


def subtree_totals(user, unit: Unit | None = None) -> list[dict]:
    """Requests filed from the subtree of ``unit`` (the user's unit by default; everything for a
    global role without a unit), aggregated by kind and status in the database."""
    qs = requests_for_user(user)
    unit = unit or getattr(user, "unit", None)
    if unit is not None:
        qs = qs.filter(requester_unit__path__startswith=unit.path)
    return list(qs.values("kind", "status").annotate(count=Count("pk"), amount=Sum("amount"),
                                                     granted=Sum("granted_amount"), delivered=Sum("delivered_amount"))
                .order_by("kind", "status"))


def pending_summary(user) -> dict:
    """For the dashboard tile: pending requests held by the user's unit, pending in the user's
    scope, and granted-but-undelivered ones."""
    qs = requests_for_user(user)
    unit = getattr(user, "unit", None)
    counts = qs.aggregate(
        pending=Count("pk", filter=Q(status=Status.PENDING)),
        undelivered=Count("pk", filter=Q(status__in=[Status.GRANTED, Status.PARTIAL])),
        pending_amount=Sum("amount", filter=Q(status=Status.PENDING, kind="funds")),
    )
    counts["held"] = qs.filter(current_unit=unit, status=Status.PENDING).count() if unit is not None else 0
    counts["url"] = "/resources/"
    return counts


def ceilings_below(user) -> QuerySet[Ceiling]:
    """Ceilings set for the units of the user's subtree."""
    return permissions.scope(user, Ceiling.objects.select_related("unit"), "unit").order_by("unit__path", "kind")


def ancestors(unit: Unit) -> list[Unit]:
    if unit is None:
        return []
    prefixes = [unit.path[:i] for i in range(Unit.steplen, len(unit.path), Unit.steplen)]
    return list(Unit.objects.filter(path__in=prefixes, is_active=True).order_by("-depth"))

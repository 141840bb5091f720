"""Reads of petitions, scoped by the responsible unit (global roles see all). Pages that show
petition records call services.petitions_viewed so every view is audited."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from duban.core import permissions, pii
from duban.petitions.models import (
    LEVEL_ORDER,
    OPEN_STATES,
    Level,
    Petition,
    SensitivePeriod,
    Warning,
    WarningRule,
)


def petitions_for_user(user) -> QuerySet[Petition]:
    if not permissions.can(user, permissions.PETITIONS_VIEW):
        return Petition.objects.none()
    return permissions.scope(user, Petition.objects.select_related("responsible_unit"), "responsible_unit")


def petition_get_for_user(user, pk) -> Petition:
    return permissions.resolve_scoped(user, petitions_for_user(user), None, pk)


def may_see_full_id(user) -> bool:
    return permissions.can(user, permissions.PETITIONS_MANAGE)


def petitioners(user, petition: Petition, *, listing: bool) -> list[dict]:
    """Petitioners with the ID number masked in lists and for everyone but the petitions office."""
    full = may_see_full_id(user) and not listing
    return [{"name": p.name, "id_number": p.id_number if full else pii.mask(p.id_number, pii.ID_NUMBER),
             "phone": p.phone if full else pii.mask(p.phone, pii.PHONE)}
            for p in petition.petitioners.all()]


def list_rows(user, qs) -> list[dict]:
    rows = []
    for petition in qs.prefetch_related("petitioners", "warnings"):
        levels = [w.level for w in petition.warnings.all()]
        top = max(levels, key=lambda lv: LEVEL_ORDER[lv]) if levels else None
        rows.append({"petition": petition, "people": petitioners(user, petition, listing=True), "level": top,
                     "level_label": dict(Level.choices).get(top, "")})
    return rows


def warnings_for_user(user) -> QuerySet[Warning]:
    return Warning.objects.filter(petition__in=petitions_for_user(user)).select_related("petition__responsible_unit")


def warning_counts(user) -> dict:
    """Open warnings (on open petitions) by level for the dashboard tile."""
    qs = warnings_for_user(user).filter(petition__status__in=OPEN_STATES)
    counts = qs.aggregate(**{lv: Count("pk", filter=Q(level=lv)) for lv in Level.values})
    counts["total"] = sum(counts[lv] for lv in Level.values)
    counts["url"] = "/petitions/"
    return counts


def rules() -> QuerySet[WarningRule]:
    return WarningRule.objects.all()


def sensitive_periods() -> QuerySet[SensitivePeriod]:
    return SensitivePeriod.objects.all()


"""Read-only aggregates the task pages need on top of duban.tasks.selectors. Nothing here
widens what a user sees: every function takes a queryset the selectors already scoped."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from duban.tasks.models import Light

LIGHT_ORDER = (Light.RED, Light.YELLOW, Light.GREEN, Light.GREY)


def light_counts(tasks: QuerySet) -> list[tuple[str, int]]:
    """(light, count) for a list already annotated with ``light`` (selectors.task_list), in
    urgency order, counted by the database in one GROUP BY."""
    rows = tasks.order_by().values("light").annotate(n=Count("pk"))
    counts = {row["light"]: row["n"] for row in rows}
    return [(str(light), counts.get(str(light), 0)) for light in LIGHT_ORDER]

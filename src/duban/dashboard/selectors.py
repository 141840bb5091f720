"""The dashboard's numbers, each counted from the same scoped queryset as the list it links to.

Every figure is a COUNT over ``tasks.selectors.tasks_for_user(user)`` with the list's own filters
(the unit's subtree by path prefix, the light by ``lights.light_q``, the category, the due-date
range), so the number on a chart equals the number of rows the click opens. Per-unit figures are
one GROUP BY over the lead unit, rolled up to the rows by path prefix.
"""

from __future__ import annotations

import calendar
from datetime import date
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.db.models.functions import ExtractMonth
from django.urls import reverse
from django.utils.translation import gettext as _

from duban.core import permissions
from duban.dashboard.models import Commitment
from duban.evaluation import selectors as evaluation_selectors
from duban.orgs.models import Unit
from duban.supervision import selectors as supervision_selectors
from duban.tasks import lights
from duban.tasks import selectors as task_selectors
from duban.tasks.models import Category, Light, TaskStatus

LIGHTS = (Light.RED, Light.YELLOW, Light.GREEN, Light.GREY)
MAX_UNITS = 100


def list_url(**params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse("tasks:list") + (f"?{query}" if query else "")


def _light_counts(today, warn):
    return {str(light): Count("pk", filter=lights.light_q(light, today, warn_days=warn)) for light in LIGHTS}


def own_unit(user) -> Unit | None:
    """The unit whose subtree a non-global user's figures cover (None: the whole organisation)."""
    prefix = permissions.scope_path(user)
    if not prefix:
        return None
    return Unit.objects.filter(path=prefix).first()


def _subtree_ids(path: str):
    # A literal id list for a small subtree (as the list's own unit filter does), so PostgreSQL
    # walks the (lead_unit, status) index instead of scanning every task.
    ids = list(Unit.objects.filter(path__startswith=path).values_list("pk", flat=True)[:1001])
    return ids if len(ids) <= 1000 else Unit.objects.filter(path__startswith=path).values("pk")


def _base(user):
    """The user's tasks as the list shows them; for a unit's user, the list of its own subtree
    (``?unit=<own>``: 一级一清单), which is what every link of theirs carries."""
    qs = task_selectors.tasks_for_user(user).order_by()
    own = own_unit(user)
    if own is not None:
        qs = qs.filter(lead_unit__in=_subtree_ids(own.path))
    return qs


def _own_pk(user):
    own = own_unit(user)
    return own.pk if own is not None else None


def overview(user, today: date | None = None) -> dict:
    today = today or lights.today()
    warn = lights.yellow_days()
    counts = _base(user).aggregate(total=Count("pk"), **_light_counts(today, warn))
    unit = _own_pk(user)
    result = {"total": {"value": counts["total"], "url": list_url(unit=unit)}}
    for light in LIGHTS:
        result[str(light)] = {"value": counts[str(light)], "url": list_url(unit=unit, light=light)}
    if permissions.can(user, permissions.SUPERVISION_LISTED):
        result["listed"] = {"value": supervision_selectors.listings_for_user(user).count(),
                            "url": reverse("supervision:listed")}
    return result


def unit_rows(user) -> list[Unit]:
    """The units a chart shows: the top level under the city for a global role; one's own unit
    and its children for everybody else."""
    prefix = permissions.scope_path(user)
    if prefix is None:
        return []
    if prefix == "":
        return list(Unit.objects.filter(depth=2, is_active=True).order_by("path")[:MAX_UNITS])
    own = Unit.objects.filter(path=prefix).first()
    if own is None:
        return []
    children = Unit.objects.filter(path__startswith=prefix, depth=own.depth + 1, is_active=True).order_by("path")
    return [own, *children[:MAX_UNITS - 1]]


def by_unit(user, today: date | None = None) -> dict:
    today = today or lights.today()
    warn = lights.yellow_days()
    units = unit_rows(user)
    aggregates = {"total": Count("pk"), **_light_counts(today, warn)}
    counts: dict[int, dict] = {}
    by_length: dict[int, dict[str, Unit]] = {}
    own = None if permissions.scope_path(user) == "" else (units[0] if units else None)
    for unit in units:
        if unit is own:
            counts[unit.pk] = _base(user).filter(lead_unit__path__startswith=unit.path).aggregate(**aggregates)
        else:
            by_length.setdefault(len(unit.path), {})[unit.path] = unit
    if by_length:
        # One GROUP BY lead unit (no join), then each lead unit's counts go to the row whose path
        # prefixes its own: a loop over units, never over tasks.
        rows = _base(user).values("lead_unit_id").annotate(**aggregates)
        prefix = permissions.scope_path(user) or ""
        unit_paths = dict(Unit.objects.filter(path__startswith=prefix).values_list("pk", "path"))
        for row in rows:
            path = unit_paths.get(row["lead_unit_id"])
            if path is None:
                continue
            for length, paths in by_length.items():
                unit = paths.get(path[:length])
                if unit is not None:
                    total = counts.setdefault(unit.pk, dict.fromkeys(aggregates, 0))
                    for key in aggregates:
                        total[key] += row[key]
    labels, series, links = [], {str(light): [] for light in LIGHTS}, {str(light): [] for light in LIGHTS}
    totals = []
    for unit in units:
        row = counts.get(unit.pk, {})
        labels.append(unit.short_name or unit.name)
        totals.append({"value": row.get("total", 0), "url": list_url(unit=unit.pk)})
        for light in LIGHTS:
            series[str(light)].append(row.get(str(light), 0))
            links[str(light)].append(list_url(unit=unit.pk, light=light))
    return {"labels": labels, "units": [u.pk for u in units], "series": series, "links": links, "totals": totals,
            "names": {str(light): str(light.label) for light in LIGHTS}}


def by_category(user, today: date | None = None) -> dict:
    today = today or lights.today()
    warn = lights.yellow_days()
    rows = {r["category_id"]: r for r in _base(user).filter(category__isnull=False).values("category_id").annotate(
        **_light_counts(today, warn))}
    categories = [c for c in Category.objects.order_by("sort_order", "name") if c.pk in rows]
    series = {str(light): [rows[c.pk][str(light)] for c in categories] for light in LIGHTS}
    unit = _own_pk(user)
    links = {str(light): [list_url(unit=unit, category=c.pk, light=light) for c in categories] for light in LIGHTS}
    return {"labels": [c.name for c in categories], "series": series, "links": links,
            "names": {str(light): str(light.label) for light in LIGHTS}}


def completion(user, year: int | None = None) -> dict:
    """Tasks due in each month of the year and how many of them are completed."""
    year = year or lights.today().year
    rows = {r["month"]: r for r in _base(user).filter(due_date__year=year).annotate(month=ExtractMonth("due_date"))
            .values("month").annotate(total=Count("pk"), done=Count("pk", filter=Q(status=TaskStatus.COMPLETED)))}
    unit = _own_pk(user)
    labels, total, done, total_links, done_links = [], [], [], [], []
    for month in range(1, 13):
        first = date(year, month, 1)
        last = date(year, month, calendar.monthrange(year, month)[1])
        labels.append(_("%(m)s月") % {"m": month})
        total.append(rows.get(month, {}).get("total", 0))
        done.append(rows.get(month, {}).get("done", 0))
        total_links.append(list_url(unit=unit, due_from=first.isoformat(), due_to=last.isoformat()))
        done_links.append(list_url(unit=unit, due_from=first.isoformat(), due_to=last.isoformat(),
                                   status=TaskStatus.COMPLETED))
    return {"year": year, "labels": labels, "series": {"total": total, "done": done},
            "links": {"total": total_links, "done": done_links},
            "names": {"total": _("到期任务"), "done": _("已办结")}}


def ranking(user, limit: int = 20) -> dict:
    evaluation = evaluation_selectors.latest_final_or_published(user, "township") or \
        evaluation_selectors.latest_final_or_published(user)
    if evaluation is None:
        return {"title": "", "labels": [], "values": [], "links": [], "grades": []}
    prefix = permissions.scope_path(user)
    scores = list(evaluation_selectors.ranking(evaluation)[:limit])
    links = []
    for s in scores:
        mine = prefix is not None and s.unit.path.startswith(prefix)
        links.append(reverse("evaluation:sheet", args=[evaluation.pk, s.unit_id]) if mine
                     else reverse("evaluation:detail", args=[evaluation.pk]))
    return {"title": str(evaluation), "labels": [s.unit.short_name or s.unit.name for s in scores],
            "values": [float(s.total) for s in scores], "ranks": [s.rank for s in scores],
            "tied": [s.tied for s in scores], "grades": [s.get_grade_display() for s in scores], "links": links}


def commitments(user) -> dict:
    items = []
    for c in Commitment.objects.all():
        own = own_unit(user)
        qs = task_selectors.task_list(user, {"q": c.term, "unit": own}).order_by()
        total = qs.count()
        done = qs.filter(status=TaskStatus.COMPLETED).count()
        items.append({"title": c.title, "horizon": c.get_horizon_display(), "due": c.due_date.isoformat(),
                      "total": total, "done": done, "url": list_url(unit=_own_pk(user), q=c.term),
                      "done_url": list_url(unit=_own_pk(user), q=c.term, status=TaskStatus.COMPLETED)})
    return {"items": items}


DATASETS = {"overview": overview, "units": by_unit, "categories": by_category, "completion": completion,
            "ranking": ranking, "commitments": commitments}

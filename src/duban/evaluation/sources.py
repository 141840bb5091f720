"""Where each item's points come from (计分来源): a measure in the database and a rule.

Every source measures all evaluated units at once with GROUP BY over the unit path prefix: a
unit's records are those of its subtree (materialised path), so a task led by a village counts
for its township. For each depth among the evaluated units the records are grouped by
``substr(path, 1, depth × steplen)`` and the prefixes are mapped back to units — a few GROUP BY
queries whatever the number of units, never a loop over tasks.

``records(ctx, unit)`` returns, for the trace page, the very rows a unit's measure counted
(the same filters), so every point can be followed to the task, report, notice or finding.

Accountability (问责) is measured by a provider another app registers with
``register_accountability_provider``; until one is, the item scores zero with a note.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DurationField, ExpressionWrapper, F, Max, Min, Q, Sum, Value
from django.db.models.functions import Coalesce, Least, Substr, TruncDate
from django.utils.translation import gettext_lazy as _

from duban.checks.models import Finding
from duban.orgs.models import Unit
from duban.supervision.models import Listing, Order
from duban.tasks.lights import BEIJING
from duban.tasks.models import Notification, NotificationKind, Task, TaskStatus

CENT = Decimal("0.01")
ZERO = Decimal(0)


def q2(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Context:
    """What a computation measures: the period, the cut-off day and the evaluated units."""

    year: int
    as_of: date
    units: list[tuple[int, str]]  # (unit id, path)
    evaluation_id: int | None = None
    adjustments: dict = field(default_factory=dict)  # (unit id, item id) → Decimal from accepted objections
    cache: dict = field(default_factory=dict)  # measures shared by sources within one computation

    @property
    def start(self) -> date:
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        return date(self.year, 12, 31)

    def by_depth(self) -> dict[int, dict[str, int]]:
        depths: dict[int, dict[str, int]] = {}
        for pk, path in self.units:
            depths.setdefault(len(path), {})[path] = pk
        return depths


def rollup(qs, path_field: str, ctx: Context, **aggregates) -> dict[int, dict]:
    """unit id → {name: value} of ``aggregates`` over the unit's subtree, by path-prefix GROUP BY."""
    result: dict[int, dict] = {}
    for length, paths in ctx.by_depth().items():
        rows = (qs.order_by().annotate(_prefix=Substr(path_field, 1, length))
                .values("_prefix").annotate(**aggregates))
        for row in rows:
            pk = paths.get(row["_prefix"])
            if pk is not None:
                result[pk] = {k: row[k] for k in aggregates}
    return result


def period_tasks(ctx: Context):
    """Tasks of the period: due within the year, issued and not cancelled."""
    return Task.objects.filter(due_date__gte=ctx.start, due_date__lte=ctx.end).exclude(
        status__in=[TaskStatus.DRAFT, TaskStatus.CANCELLED])


def _subtree(qs, path_field: str, unit: Unit):
    return qs.filter(**{f"{path_field}__startswith": unit.path})


def _days(value) -> int:
    if value is None:
        return 0
    if hasattr(value, "days"):
        return value.days
    return int(value)


def _with_task_measures(qs, ctx: Context):
    """Completed on time (by the Beijing day) and the days a task stood red up to the cut-off."""
    done_day = TruncDate("completed_at", tzinfo=BEIJING)
    end_day = Least(Coalesce(done_day, Value(ctx.as_of)), Value(ctx.as_of))
    return qs.annotate(_done_day=done_day, _end_day=end_day)


TASK_AGGREGATES = {
    "total": Count("pk"),
    "completed": Count("pk", filter=Q(status=TaskStatus.COMPLETED)),
    "on_time": Count("pk", filter=Q(status=TaskStatus.COMPLETED, _done_day__lte=F("due_date"))),
}


class Source:
    key = ""
    label = ""
    adjust = False  # an add/deduct item outside the 100 (its weight is the cap)
    param_label = ""
    param_default: Decimal | None = None
    record_kind = "task"

    def measure(self, ctx: Context) -> dict[int, dict]:
        raise NotImplementedError

    def score(self, item, raw: dict) -> tuple[Decimal, str]:
        raise NotImplementedError

    def records(self, ctx: Context, unit: Unit):
        raise NotImplementedError

    def param(self, item) -> Decimal:
        return item.param if item.param is not None else (self.param_default or ZERO)


class _TaskRatio(Source):
    numerator = ""

    def measure(self, ctx):
        # Completion and on-time completion read the same GROUP BY: run it once per computation.
        if "tasks" not in ctx.cache:
            ctx.cache["tasks"] = rollup(_with_task_measures(period_tasks(ctx), ctx), "lead_unit__path", ctx,
                                        **TASK_AGGREGATES)
        return ctx.cache["tasks"]

    def score(self, item, raw):
        total = raw.get("total", 0)
        if not total:
            return q2(item.weight), str(_("考评期内无任务,得满分"))
        part = raw.get(self.numerator, 0)
        return q2(item.weight * part / total), f"{part}/{total}"


class CompletionRate(_TaskRatio):
    key = "completion"
    label = _("任务完成率")
    numerator = "completed"

    def records(self, ctx, unit):
        return _subtree(period_tasks(ctx), "lead_unit__path", unit).order_by("path")


class OnTimeRate(_TaskRatio):
    key = "on_time"
    label = _("按时完成率")
    numerator = "on_time"

    def records(self, ctx, unit):
        return _subtree(_with_task_measures(period_tasks(ctx), ctx), "lead_unit__path", unit).filter(
            status=TaskStatus.COMPLETED, _done_day__lte=F("due_date")).order_by("path")


class _Deduction(Source):
    counter = "n"
    param_default = Decimal(1)

    def score(self, item, raw):
        n = _days(raw.get(self.counter))
        per = self.param(item)
        return q2(max(ZERO, item.weight - per * n)), f"{n} × {per}"


class ReportLate(_Deduction):
    key = "report_late"
    label = _("进展报送及时(每次逾期扣分)")
    param_label = _("每次扣分")
    param_default = Decimal("0.5")
    record_kind = "report_overdue"

    def _qs(self, ctx):
        return Notification.objects.filter(kind=NotificationKind.REPORT_OVERDUE, dedupe_key__gte=ctx.start.isoformat(),
                                           dedupe_key__lte=ctx.end.isoformat())

    def measure(self, ctx):
        return rollup(self._qs(ctx), "task__lead_unit__path", ctx, n=Count("pk"))

    def records(self, ctx, unit):
        return _subtree(self._qs(ctx), "task__lead_unit__path", unit).select_related("task").order_by("dedupe_key", "pk")


class RedDays(_Deduction):
    key = "red_days"
    label = _("红灯天数(每天扣分)")
    param_label = _("每天扣分")
    param_default = Decimal("0.1")
    counter = "days"

    def _qs(self, ctx):
        return _with_task_measures(period_tasks(ctx), ctx).filter(due_date__lt=ctx.as_of, _end_day__gt=F("due_date"))

    def measure(self, ctx):
        return rollup(self._qs(ctx), "lead_unit__path", ctx,
                      days=Sum(ExpressionWrapper(F("_end_day") - F("due_date"), output_field=DurationField())),
                      n=Count("pk"))

    def records(self, ctx, unit):
        return _subtree(self._qs(ctx), "lead_unit__path", unit).annotate(
            red_days=ExpressionWrapper(F("_end_day") - F("due_date"), output_field=DurationField())).order_by("path")


class Orders(_Deduction):
    key = "orders"
    label = _("督办单(每件及每件逾期/未回复扣分)")
    param_label = _("每件扣分")
    record_kind = "order"

    def _qs(self, ctx):
        return Order.objects.filter(issued_on__gte=ctx.start, issued_on__lte=ctx.end)

    def measure(self, ctx):
        late = Q(reply__late=True) | Q(replied_at__isnull=True, reply_due__lt=ctx.as_of)
        return rollup(self._qs(ctx), "unit__path", ctx, orders=Count("pk"), late=Count("pk", filter=late))

    def score(self, item, raw):
        orders, late = raw.get("orders", 0), raw.get("late", 0)
        per = self.param(item)
        return q2(max(ZERO, item.weight - per * (orders + late))), f"({orders} + {late}) × {per}"

    def records(self, ctx, unit):
        return _subtree(self._qs(ctx), "unit__path", unit).select_related("task", "reply").order_by("issued_on", "pk")


class Listings(_Deduction):
    key = "listings"
    label = _("挂牌督办(每项扣分)")
    param_label = _("每项扣分")
    param_default = Decimal(2)
    record_kind = "listing"

    def _qs(self, ctx):
        return Listing.objects.filter(listed_on__gte=ctx.start, listed_on__lte=ctx.end)

    def measure(self, ctx):
        return rollup(self._qs(ctx), "task__lead_unit__path", ctx, n=Count("pk"))

    def records(self, ctx, unit):
        return _subtree(self._qs(ctx), "task__lead_unit__path", unit).select_related("task").order_by("listed_on", "pk")


class Rectification(Source):
    key = "rectification"
    label = _("督查发现问题整改完成率")
    record_kind = "finding"

    def _qs(self, ctx):
        return Finding.objects.filter(task__isnull=False, check_run__start_date__gte=ctx.start,
                                      check_run__start_date__lte=ctx.end)

    def measure(self, ctx):
        return rollup(self._qs(ctx), "unit__path", ctx, total=Count("pk"),
                      done=Count("pk", filter=Q(task__status=TaskStatus.COMPLETED)))

    def score(self, item, raw):
        total = raw.get("total", 0)
        if not total:
            return q2(item.weight), str(_("考评期内无整改任务,得满分"))
        return q2(item.weight * raw.get("done", 0) / total), f"{raw.get('done', 0)}/{total}"

    def records(self, ctx, unit):
        return _subtree(self._qs(ctx), "unit__path", unit).select_related("task", "check_run").order_by("pk")


# --- accountability: supplied by a later app ---------------------------------------------------
AccountabilityProvider = Callable[[Context], dict[int, dict]]
_accountability_providers: list[AccountabilityProvider] = []


def register_accountability_provider(provider: AccountabilityProvider) -> None:
    """An app that records accountability cases registers, at ready(), a function
    ``provider(ctx) -> {unit id: {"points": Decimal, "count": int}}`` (its own GROUP BY over the
    units of ``ctx``). Points are deducted up to the item's cap."""
    if provider not in _accountability_providers:
        _accountability_providers.append(provider)


def unregister_accountability_provider(provider: AccountabilityProvider) -> None:
    if provider in _accountability_providers:
        _accountability_providers.remove(provider)


def accountability_available() -> bool:
    return bool(_accountability_providers)


class Accountability(Source):
    key = "accountability"
    label = _("问责扣分(按问责形式)")
    adjust = True
    record_kind = "accountability"

    def measure(self, ctx):
        result: dict[int, dict] = {}
        for provider in _accountability_providers:
            for pk, raw in provider(ctx).items():
                entry = result.setdefault(pk, {"points": ZERO, "count": 0})
                entry["points"] += Decimal(raw.get("points", 0))
                entry["count"] += int(raw.get("count", 0))
        return result

    def score(self, item, raw):
        if not _accountability_providers:
            return ZERO, str(_("问责模块尚未启用,本项暂计 0 分"))
        points = min(Decimal(raw.get("points", 0)), item.weight)
        return q2(-points), str(_("问责 %(n)s 起,扣 %(points)s 分(上限 %(cap)s)")) % {
            "n": raw.get("count", 0), "points": f"{q2(points):.2f}", "cap": f"{item.weight:.2f}"}

    def records(self, ctx, unit):
        return []


class Bonus(Source):
    key = "bonus"
    label = _("加分(上级表彰、典型经验)")
    adjust = True
    record_kind = "bonus"

    def _qs(self, ctx):
        from duban.evaluation.models import BonusClaim, BonusStatus

        return BonusClaim.objects.filter(evaluation_id=ctx.evaluation_id, status=BonusStatus.APPROVED)

    def measure(self, ctx):
        rows = self._qs(ctx).order_by().values("unit_id", "item_id").annotate(points=Sum("points"), n=Count("pk"))
        return {(r["unit_id"], r["item_id"]): {"points": r["points"], "n": r["n"]} for r in rows}

    def score(self, item, raw):
        points = min(Decimal(raw.get("points") or 0), item.weight)
        return q2(points), f"{raw.get('n', 0)}"

    def records(self, ctx, unit):
        return self._qs(ctx).filter(unit=unit).order_by("pk")


class Rating(Source):
    """Raters score within 0 … param (default 100); with five or more raters the highest and the
    lowest score are dropped; the item gets weight × mean / param."""

    key = "rating"
    label = _("人工评分(领导评价、民主测评)")
    param_label = _("评分上限")
    param_default = Decimal(100)
    record_kind = "rating"
    TRIM_FROM = 5

    def _qs(self, ctx):
        from duban.evaluation.models import ManualRating

        return ManualRating.objects.filter(evaluation_id=ctx.evaluation_id)

    def measure(self, ctx):
        rows = self._qs(ctx).order_by().values("unit_id", "item_id").annotate(
            n=Count("pk"), total=Sum("score"), high=Max("score"), low=Min("score"))
        return {(r["unit_id"], r["item_id"]): r for r in rows}

    def score(self, item, raw):
        n = raw.get("n", 0)
        if not n:
            return ZERO, str(_("尚无评分"))
        total = Decimal(raw["total"])
        if n >= self.TRIM_FROM:
            total -= Decimal(raw["high"]) + Decimal(raw["low"])
            n -= 2
        mean = total / n
        return q2(item.weight * mean / self.param(item)), f"{q2(mean)} ({raw['n']})"

    def records(self, ctx, unit):
        return self._qs(ctx).filter(unit=unit).order_by("score", "pk")


SOURCES: dict[str, Source] = {s.key: s for s in (
    CompletionRate(), OnTimeRate(), ReportLate(), RedDays(), Orders(), Listings(), Rectification(),
    Accountability(), Bonus(), Rating(),
)}

# Sources measured per (unit, item) rather than per unit.
PER_ITEM = ("bonus", "rating")


def source_choices():
    return [(key, source.label) for key, source in SOURCES.items()]

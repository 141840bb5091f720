"""Read-only aggregates the task pages need on top of duban.tasks.selectors. Nothing here
widens what a user sees: every function takes a queryset the selectors already scoped.
The list pages paginate with CappedPaginator, which never counts more than COUNT_CAP rows."""

from __future__ import annotations

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

from duban.tasks import lights
from duban.tasks.models import Light

LIGHT_ORDER = (Light.RED, Light.YELLOW, Light.GREEN, Light.GREY)


def light_counts(tasks: QuerySet, today=None, cap: int | None = None, *, warn_days: int | None = None
                 ) -> list[tuple[str, int]]:
    """(light, count) for a scoped list, in urgency order. Each light is counted up to the cap
    (min(n, cap + 1); the chips say "1000+") with the index-friendly light filter: one GROUP BY
    over a city's 60,000 tasks cost 120 ms, four capped counts a few."""
    today = today or lights.today()
    warn = lights.yellow_days() if warn_days is None else warn_days
    return [(str(light), capped_count(tasks.filter(lights.light_q(light, today, warn_days=warn)), cap))
            for light in LIGHT_ORDER]


# Counting a list stops here: a city's red tasks are 19,000 rows, and COUNT(*) over them cost
# more than the page it paginates (315 ms). Nobody pages to row 19,000; the list says "1000+"
# and the pager keeps working from whether a next page exists.
COUNT_CAP = 1000


def capped_count(qs: QuerySet, cap: int | None = None) -> int:
    """min(rows, cap + 1): at most cap + 1 rows are visited, in whatever order is cheapest."""
    cap = COUNT_CAP if cap is None else cap
    return qs.order_by().values("pk")[:cap + 1].count()


class CappedPaginator(Paginator):
    """A Paginator whose count is capped (``count_exact`` False above the cap). Below the cap it
    is Django's paginator; above it, pages past the counted ones are still served, and
    ``has_next`` is answered by reading one row more than the page holds."""

    def __init__(self, object_list, per_page, cap: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = COUNT_CAP if cap is None else cap

    @cached_property
    def count(self) -> int:
        return capped_count(self.object_list, self.cap)

    @property
    def count_exact(self) -> bool:
        return self.count <= self.cap

    @cached_property
    def num_pages(self):
        if self.count_exact:
            return super().num_pages
        return None

    def validate_number(self, number):
        if self.count_exact:
            return super().validate_number(number)
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from None
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def get_page(self, number):
        try:
            number = self.validate_number(number)
        except PageNotAnInteger:
            number = 1
        except EmptyPage:
            number = self.num_pages if self.count_exact else 1
        return self.page(number)

    def page(self, number):
        number = self.validate_number(number)
        if self.count_exact:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom:bottom + self.per_page + 1])
        if not rows and number > 1:
            return self.page(1)
        return OpenPage(rows[:self.per_page], number, self, has_more=len(rows) > self.per_page)


class OpenPage(Page):
    """A page of a list whose end is not counted: has_next comes from the row after the page."""

    def __init__(self, object_list, number, paginator, *, has_more: bool):
        super().__init__(object_list, number, paginator)
        self.has_more = has_more

    def has_next(self):
        return self.has_more

    def end_index(self):
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)

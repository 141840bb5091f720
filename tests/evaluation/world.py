"""A small, hand-checkable world for the evaluation tests: two townships (芭蕉 with its village
肖家坪, 白果), tasks with exact dates, late reports, a 督办单, a 挂牌督办, two findings, manual
ratings and bonus claims. The rows are written directly (the fixture is the records the
evaluation reads; how they come about is the other apps' business and tests)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from duban.accounts import services as acc
from duban.checks.models import Check, Finding
from duban.core.roles import Role
from duban.evaluation import services
from duban.evaluation.models import GradeMethod, UnitCategory
from duban.supervision.models import Listing, Order
from duban.tasks.models import Notification, NotificationKind, Task, TaskStatus

YEAR = 2026
AS_OF = date(2026, 12, 31)

ITEMS = [
    {"source": "completion", "name": "任务完成率", "weight": "30"},
    {"source": "on_time", "name": "按时完成率", "weight": "20"},
    {"source": "report_late", "name": "进展报送及时", "weight": "10", "param": "0.5"},
    {"source": "red_days", "name": "红灯天数", "weight": "10", "param": "0.1"},
    {"source": "orders", "name": "督办单", "weight": "10", "param": "1"},
    {"source": "listings", "name": "挂牌督办", "weight": "5", "param": "2"},
    {"source": "rectification", "name": "整改完成", "weight": "5"},
    {"source": "rating", "name": "领导评价", "weight": "10", "param": "100"},
    {"source": "bonus", "name": "加分", "weight": "5"},
    {"source": "accountability", "name": "问责扣分", "weight": "10"},
]


def beijing(y, m, d, hh=12, mm=0):
    """A Beijing wall-clock time as an aware UTC datetime."""
    return datetime(y, m, d, hh, mm, tzinfo=UTC) - (datetime(2000, 1, 1, 8) - datetime(2000, 1, 1, 0))


def task(title, unit, due, status=TaskStatus.IN_PROGRESS, completed_at=None):
    return Task.objects.add_root({"title": title, "lead_unit": unit, "due_date": due,
                                  "start_date": min(due, date(2026, 1, 1)), "status": status,
                                  "completed_at": completed_at, "assigned_at": beijing(2026, 1, 1)})


def make_user(username, role, unit=None):
    from castlib import PASSWORD

    user = acc.user_create(actor=None, username=username, password=PASSWORD, full_name=username, unit=unit,
                           must_change_password=False)
    # The role as a grant would write it (without the grant's checks and ledger row), so the
    # row MAC covers it (DP-03); a bare UPDATE would leave the account flagged as tampered.
    user.role = role
    user.save(update_fields=["role"])
    user.refresh_from_db()
    return user


class World:
    pass


def build(cast, *, grade_method=GradeMethod.THRESHOLDS, items=ITEMS):
    w = World()
    w.cast = cast
    bj, village, bg = cast.bajiao, cast.xiaojiaping, cast.baiguo
    # 芭蕉 (and its village)
    w.t1 = task("茶叶基地扩建", bj, date(2026, 3, 31), TaskStatus.COMPLETED, beijing(2026, 3, 20))
    w.t2 = task("村道硬化", village, date(2026, 6, 30), TaskStatus.COMPLETED, beijing(2026, 7, 5))
    w.t3 = task("集镇污水管网", bj, date(2026, 10, 31))
    w.t4 = task("易地搬迁后续扶持", bj, date(2026, 12, 31), TaskStatus.ASSIGNED)
    task("已中止的任务", bj, date(2026, 5, 1), TaskStatus.CANCELLED)
    task("上年度任务", bj, date(2025, 12, 1), TaskStatus.COMPLETED, beijing(2025, 11, 30))
    # 白果: B2 completed at 00:30 Beijing on 1 October — still 30 September in UTC, one day late.
    w.b1 = task("白果茶园管护", bg, date(2026, 4, 30), TaskStatus.COMPLETED, beijing(2026, 4, 30, 20))
    w.b2 = task("白果集镇改造", bg, date(2026, 9, 30), TaskStatus.COMPLETED, beijing(2026, 10, 1, 0, 30))
    for due in ("2026-08-01", "2026-09-01", "2025-12-01"):
        Notification.objects.create(unit=bj, task=w.t3, kind=NotificationKind.REPORT_OVERDUE, dedupe_key=due)
    w.order = Order.objects.create(task=w.t3, unit=bj, year=2026, seq=1, miss_kind="due", miss_date=date(2026, 10, 31),
                                   matter="逾期", reply_due=date(2026, 11, 10), issued_on=date(2026, 11, 5),
                                   dedupe_key="t3-due")
    w.listing = Listing.objects.create(task=w.t3, reason="逾期未完成", miss_kind="due", listed_on=date(2026, 11, 20))
    check = Check.objects.create(title="年中督查", start_date=date(2026, 6, 1), end_date=date(2026, 6, 3),
                                 published_at=beijing(2026, 6, 4))
    Finding.objects.create(check_run=check, unit=bg, description="台账不全", task=w.b1)
    Finding.objects.create(check_run=check, unit=bj, description="进度滞后", task=w.t4)
    w.scheme = services.scheme_create(actor=cast.supervisor, name="2026年度乡镇考评方案", year=YEAR,
                                      category=UnitCategory.TOWNSHIP, grade_method=grade_method,
                                      excellent=90 if grade_method == GradeMethod.THRESHOLDS else 20,
                                      good=80 if grade_method == GradeMethod.THRESHOLDS else 40,
                                      fair=60 if grade_method == GradeMethod.THRESHOLDS else 30, items=items)
    w.evaluation = services.evaluation_compute(actor=cast.supervisor, scheme=w.scheme, as_of=AS_OF)
    w.item = {i.source: i for i in w.scheme.items.all()}
    return w


def rate_and_bonus(w):
    cast = w.cast
    raters = [cast.leader, *[make_user(f"leader{n}", Role.LEADER, cast.city) for n in range(2, 6)]]
    w.raters = raters
    for rater, score in zip(raters, [90, 80, 70, 100, 60], strict=True):
        services.rating_submit(actor=rater, evaluation=w.evaluation, item=w.item["rating"], unit=cast.bajiao,
                               score=score)
    for rater, score in zip(raters[:3], [90, 85, 95], strict=True):
        services.rating_submit(actor=rater, evaluation=w.evaluation, item=w.item["rating"], unit=cast.baiguo,
                               score=score)
    approved = services.bonus_submit(actor=cast.bajiao_liaison, evaluation=w.evaluation, item=w.item["bonus"],
                                     unit=cast.bajiao, points=Decimal(2), reason="获省级表彰",
                                     evidence="鄂政发〔2026〕3号")
    services.bonus_decide(actor=cast.supervisor, claim=approved, approve=True)
    services.bonus_submit(actor=cast.bajiao_liaison, evaluation=w.evaluation, item=w.item["bonus"],
                          unit=cast.bajiao, points=Decimal(1), reason="经验推广", evidence="简报第5期")
    refused = services.bonus_submit(actor=cast.baiguo_liaison, evaluation=w.evaluation, item=w.item["bonus"],
                                    unit=cast.baiguo, points=Decimal(3), reason="自报", evidence="无文件")
    services.bonus_decide(actor=cast.supervisor, claim=refused, approve=False, note="无表彰文件")
    return services.evaluation_compute(actor=cast.supervisor, scheme=w.scheme, as_of=AS_OF)

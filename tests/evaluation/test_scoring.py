"""Hand-computed score sheets: every item of both townships checked against arithmetic done here
from the fixture's own dates and counts."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

import pytest

from duban.core.models import AuditEntry
from duban.evaluation import services
from duban.evaluation.models import SheetRevision, UnitScore

from .world import AS_OF, build, rate_and_bonus

pytestmark = pytest.mark.django_db

D = Decimal


def _cells(evaluation, unit, w):
    score = UnitScore.objects.get(evaluation=evaluation, unit=unit)
    return score, {source: D(score.items[str(item.pk)]["score"]) for source, item in w.item.items()}


def test_each_item_of_each_township_matches_the_arithmetic_done_by_hand(cast):
    w = build(cast)
    evaluation = rate_and_bonus(w)

    # 芭蕉: period tasks t1..t4 (the cancelled task and last year's are out); t1, t2 completed.
    bj_tasks = [w.t1, w.t2, w.t3, w.t4]
    completed = [t for t in bj_tasks if t.completed_at]
    on_time = [w.t1]  # t2 was completed on 5 July, after its 30 June due date
    red_days = (date(2026, 7, 5) - w.t2.due_date).days + (AS_OF - w.t3.due_date).days  # 5 + 61
    assert red_days == 66
    score, cells = _cells(evaluation, cast.bajiao, w)
    assert cells["completion"] == D(30) * len(completed) / len(bj_tasks) == D("15.00")
    assert cells["on_time"] == D(20) * len(on_time) / len(bj_tasks) == D("5.00")
    assert cells["report_late"] == D(10) - 2 * D("0.5")  # two 2026 deadlines missed; the 2025 one is not counted
    assert cells["red_days"] == D(10) - red_days * D("0.1") == D("3.40")
    assert cells["orders"] == D(10) - (1 + 1) * 1  # one 督办单, its reply overdue
    assert cells["listings"] == D(5) - 1 * 2
    assert cells["rectification"] == D(0)  # its one finding's task (t4) is not completed
    assert cells["rating"] == D(10) * ((90 + 80 + 70) / D(3)) / 100  # five raters: 100 and 60 dropped
    assert cells["bonus"] == D(2)  # the approved claim only; the pending one does not count
    assert cells["accountability"] == D(0)
    assert score.items[str(w.item["accountability"].pk)]["note"].startswith("问责 0 起")  # no case decided
    assert score.total == sum(cells.values()) == D("53.40")

    # 白果: b1 on time (20:00 Beijing on its due day), b2 one day late by the Beijing clock.
    score, cells = _cells(evaluation, cast.baiguo, w)
    assert cells["completion"] == D(30)
    assert cells["on_time"] == D(20) * 1 / 2
    assert cells["report_late"] == D(10)
    assert cells["red_days"] == D(10) - 1 * D("0.1")
    assert cells["orders"] == D(10) and cells["listings"] == D(5)
    assert cells["rectification"] == D(5)
    assert cells["rating"] == D(10) * ((90 + 85 + 95) / D(3)) / 100  # three raters: none dropped
    assert cells["bonus"] == D(0)  # its claim was refused
    assert score.total == sum(cells.values()) == D("88.90")


def test_the_ranking_grades_by_thresholds_and_the_city_office_is_not_a_township(cast):
    w = build(cast)
    evaluation = rate_and_bonus(w)
    rows = list(UnitScore.objects.filter(evaluation=evaluation).order_by("rank").values_list("unit__name", "rank",
                                                                                               "grade", "tied"))
    assert rows == [("白果乡", 1, "good", False), ("芭蕉侗族乡", 2, "poor", False)]


def test_computing_twice_gives_the_same_bytes_and_hash_and_the_ledger_holds_it(cast):
    w = build(cast)
    first = w.evaluation.sha256
    again = services.evaluation_compute(actor=cast.supervisor, scheme=w.scheme, as_of=AS_OF)
    assert again.revision == 2 and again.sha256 == first
    sheets = list(SheetRevision.objects.filter(evaluation=again).order_by("revision"))
    assert sheets[0].sheet == sheets[1].sheet
    assert hashlib.sha256(sheets[0].sheet.encode()).hexdigest() == first
    entries = AuditEntry.objects.filter(event="evaluation_compute").order_by("seq")
    assert [e.data["sha256"] for e in entries] == [first, first]


def test_every_point_of_an_item_can_be_followed_to_its_records(cast, login):
    w = build(cast)
    client = login(cast.bajiao_liaison)
    # Units see an evaluation once it is published.
    services.evaluation_publish(actor=cast.supervisor, evaluation=w.evaluation, start=date.today(),
                                end=date(2099, 1, 1))
    page = client.get(f"/evaluation/{w.evaluation.pk}/units/{cast.bajiao.pk}/items/{w.item['red_days'].pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "村道硬化" in html and "集镇污水管网" in html and "茶叶基地扩建" not in html
    assert f"/tasks/{w.t3.pk}/" in html
    page = client.get(f"/evaluation/{w.evaluation.pk}/units/{cast.bajiao.pk}/items/{w.item['orders'].pk}/")
    assert "督〔2026〕1号" in page.content.decode()
    # Another township's sheet does not exist for 芭蕉.
    assert client.get(f"/evaluation/{w.evaluation.pk}/units/{cast.baiguo.pk}/").status_code == 404


def test_without_an_accountability_provider_the_item_scores_zero_with_a_note(cast):
    from duban.accountability.selectors import evaluation_provider
    from duban.evaluation import sources

    sources.unregister_accountability_provider(evaluation_provider)
    try:
        w = build(cast)
    finally:
        sources.register_accountability_provider(evaluation_provider)
    score = UnitScore.objects.get(evaluation=w.evaluation, unit=cast.bajiao)
    cell = score.items[str(w.item["accountability"].pk)]
    assert cell["score"] == "0.00" and cell["note"] == "问责模块尚未启用,本项暂计 0 分"


def test_a_registered_provider_deducts_up_to_the_items_cap(cast):
    from duban.evaluation import sources

    def provider(ctx):
        return {pk: {"points": D(12), "count": 3} for pk, path in ctx.units if path == cast.bajiao.path}

    sources.register_accountability_provider(provider)
    try:
        w = build(cast)
    finally:
        sources.unregister_accountability_provider(provider)
    _, bj = _cells(w.evaluation, cast.bajiao, w)
    _, bg = _cells(w.evaluation, cast.baiguo, w)
    assert bj["accountability"] == D("-10.00") and bg["accountability"] == D(0)  # 12 points, capped at 10


def test_a_leader_follows_any_unit_of_the_ranking_to_its_sheet_and_a_township_only_its_own(cast, login):
    w = build(cast)
    services.evaluation_publish(actor=cast.supervisor, evaluation=w.evaluation, start=date.today(),
                                end=date(2099, 1, 1))
    page = login(cast.leader).get(f"/evaluation/{w.evaluation.pk}/").content.decode()
    for unit in (cast.bajiao, cast.baiguo):
        assert f"/evaluation/{w.evaluation.pk}/units/{unit.pk}/" in page
    page = login(cast.bajiao_liaison).get(f"/evaluation/{w.evaluation.pk}/").content.decode()
    assert f"/evaluation/{w.evaluation.pk}/units/{cast.bajiao.pk}/" in page
    assert f"/evaluation/{w.evaluation.pk}/units/{cast.baiguo.pk}/" not in page
    assert "白果乡" in page  # the published ranking itself is public to the units

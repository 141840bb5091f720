"""The pool, terms and the coverage page, as a person uses them."""

from datetime import date

import pytest

from duban.inspections import services
from duban.inspections.models import InspectorPool, Relative, Term, WorkHistory
from duban.tasks import lights

from .helpers import make_round

pytestmark = pytest.mark.django_db


def test_the_office_creates_a_term_on_the_page(cast, login):
    client = login(cast.supervisor)
    response = client.post("/inspections/terms/new/", {"name": "第十五届任期", "start_date": "2026-01-01", "years": 5,
                                                       "conflict_years": 3, "followup_months": 6})
    assert response.status_code == 302
    term = Term.objects.get()
    assert term.end_date == date(2030, 12, 31) and term.conflict_years == 3
    again = client.post("/inspections/terms/new/", {"name": "第十五届任期", "start_date": "2026-01-01", "years": 5,
                                                    "conflict_years": 3, "followup_months": 6})
    assert again.status_code == 400 and "已存在" in again.content.decode()


def test_the_office_fills_the_pool_and_records_history_and_relatives(cast, login):
    client = login(cast.supervisor)
    assert client.post("/inspections/pool/add/", {"person": cast.p_baiguo.pk, "note": "纪检干部"}).status_code == 302
    response = client.post("/inspections/pool/history/", {"person": cast.p_baiguo.pk, "unit": cast.bajiao.pk,
                                                          "start_year": 2015, "end_year": 2020})
    assert response.status_code == 302
    assert client.post("/inspections/pool/relative/", {"person": cast.p_baiguo.pk, "name": "赵七", "relation": "兄弟",
                                                       "unit": cast.office.pk}).status_code == 302
    page = client.get("/inspections/pool/").content.decode()
    assert "赵六" in page and "芭蕉侗族乡 2015–2020" in page and "兄弟 赵七" in page
    assert InspectorPool.objects.count() == WorkHistory.objects.count() == Relative.objects.count() == 1
    bad = client.post("/inspections/pool/history/", {"person": cast.p_baiguo.pk, "unit": cast.bajiao.pk,
                                                     "start_year": 2020, "end_year": 2015})
    assert bad.status_code == 400 and "截止年份不能早于起始年份" in bad.content.decode()
    assert WorkHistory.objects.count() == 1


def test_the_coverage_page_hides_planned_rounds_from_a_leader_but_not_from_the_discipline_role(world, login):
    make_round(world, units=[world.bajiao], name="尚未反馈的一轮")
    leader = login(world.leader).get("/inspections/coverage/").content.decode()
    assert "尚未反馈的一轮" not in leader and "已安排" not in leader.split("覆盖情况")[1]
    discipline = login(world.discipline).get("/inspections/coverage/").content.decode()
    assert "尚未反馈的一轮" in discipline


def test_the_round_list_shows_a_unit_only_fed_back_rounds_on_its_units(world, login):
    hidden = make_round(world, units=[world.bajiao], name="未反馈轮次")
    shown = make_round(world, units=[world.bajiao], name="已反馈轮次")
    other = make_round(world, units=[world.baiguo], name="白果轮次")
    services.round_feedback(actor=world.supervisor, round_=shown)
    services.round_feedback(actor=world.supervisor, round_=other)
    page = login(world.bajiao_liaison).get("/inspections/").content.decode()
    assert "已反馈轮次" in page and "未反馈轮次" not in page and "白果轮次" not in page
    assert hidden.fed_back_on is None and lights.today()


def test_coverage_counts_departments_not_the_bodies_that_group_them_and_nothing_inside_a_township(cast):
    from duban.inspections.selectors import coverage_units
    from duban.orgs import services as org
    from duban.orgs.models import UnitKind

    government = org.unit_create(name="市人民政府", parent=cast.city, kind=UnitKind.GOVERNMENT, code="ZF")
    org.unit_create(name="市财政局", parent=government, kind=UnitKind.GOVERNMENT, code="CZJ")
    org.unit_create(name="芭蕉乡党政办", parent=cast.bajiao, kind=UnitKind.PARTY, code="BJDZB")
    names = [u.name for u in coverage_units()]
    assert sorted(names) == sorted(["市委办公室", "芭蕉侗族乡", "白果乡", "市财政局"])

"""The "316" indicators: peer ranks and gaps against a hand-worked fixture (ties included),
periods, peer groups, derived indicators, the all-or-nothing .xlsx import, behind-target actions,
and the pages as a person uses them."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import Workbook

from duban.core.models import AuditEntry
from duban.indicators import formula, selectors, services
from duban.indicators.models import Actual, BehindAlert, Indicator, PeerValue
from duban.notices.models import Notice
from duban.tasks.models import Task

pytestmark = pytest.mark.django_db


def make(cast, code="GDPPC", **kw):
    values = {"code": code, "name": kw.pop("name", "人均GDP"), "measure": "元", "start_year": 2021, "end_year": 2025,
              "responsible_units": [cast.bajiao]}
    values.update(kw)
    return services.indicator_save(actor=cast.supervisor, **values)


def group_with_values(cast, indicator, period="2024"):
    """Hand-worked: 本县 24429 (our actual), 甲 30000, 乙 24429 (ties with us), 丙 20000, 丁 60000, 戊 no value."""
    group = services.peer_group_create(actor=cast.supervisor, name="重点生态功能区县", self_name="恩施市",
                                       members=["恩施市", "甲县", "乙县", "丙县", "丁县", "戊县"])
    services.actual_save(actor=cast.supervisor, indicator=indicator, period=period, value="24429")
    members = {m.name: m for m in group.members.all()}
    for name, value in {"甲县": 30000, "乙县": 24429, "丙县": 20000, "丁县": 60000}.items():
        services.peer_value_save(actor=cast.supervisor, indicator=indicator, member=members[name], period=period,
                                 value=value)
    return group


def test_rank_and_gaps_match_the_hand_worked_fixture_with_a_tie(cast):
    indicator = make(cast)
    group = group_with_values(cast, indicator)
    rows = selectors.peer_ranking(indicator, group, "2024")
    assert [(r["member"], r["rank"]) for r in rows] == [("丁县", 1), ("甲县", 2), ("乙县", 3), ("恩施市", 3),
                                                         ("丙县", 5)]
    own = next(r for r in rows if r["is_self"])
    assert own["of"] == 5  # 戊县 has no value and is not counted
    assert own["gap_leader"] == Decimal("-35571.00")  # 24429 − 60000
    assert own["average"] == Decimal("31771.60")  # 158858 / 5
    assert own["gap_average"] == Decimal("-7342.60")
    assert own["share_of_average"] == Decimal("76.9")


def test_a_lower_is_better_indicator_ranks_the_smallest_value_first(cast):
    indicator = make(cast, code="ENERGY", name="单位GDP能耗", direction="lower")
    group = group_with_values(cast, indicator)
    rows = selectors.peer_ranking(indicator, group, "2024")
    assert [(r["member"], r["rank"]) for r in rows] == [("丙县", 1), ("乙县", 2), ("恩施市", 2), ("甲县", 4),
                                                         ("丁县", 5)]
    own = next(r for r in rows if r["is_self"])
    assert own["gap_leader"] == Decimal("4429.00")  # 24429 − 20000: behind the best by that much


def test_an_actual_for_an_undefined_period_is_refused_and_nothing_is_saved(cast):
    indicator = make(cast)
    for bad in ("2030", "2024Q1", "2024-13", "去年"):
        with pytest.raises(ValidationError) as exc:
            services.actual_save(actor=cast.supervisor, indicator=indicator, period=bad, value="1")
        assert "period" in exc.value.message_dict
    assert not Actual.objects.exists()


def test_a_peer_group_with_a_duplicate_member_is_refused(cast):
    with pytest.raises(ValidationError) as exc:
        services.peer_group_create(actor=cast.supervisor, name="武陵山片区", self_name="恩施市",
                                   members=["恩施市", "来凤县", "来凤县"])
    assert "来凤县" in exc.value.message_dict["members"][0]
    from duban.indicators.models import PeerGroup
    assert not PeerGroup.objects.exists()


def test_a_derived_indicator_is_computed_from_its_inputs_and_the_evaluator_refuses_code():
    assert formula.evaluate("GDP / POP * 10000", {"GDP": Decimal(1000), "POP": Decimal(4)}) == Decimal(2500000)
    assert formula.evaluate("GDP / POP", {"GDP": Decimal(1), "POP": Decimal(0)}) is None
    for bad in ("__import__('os')", "GDP ** 2", "GDP.real", "[GDP]", "GDP if 1 else 2", "lambda: 1"):
        with pytest.raises(formula.FormulaError):
            formula.parse(bad)


def test_derived_values_follow_their_inputs(cast):
    gdp = make(cast, code="GDP", name="地区生产总值", measure="万元")
    pop = make(cast, code="POP", name="常住人口", measure="人")
    per = make(cast, code="PERCAP", name="人均GDP", formula="GDP * 10000 / POP")
    services.actual_save(actor=cast.supervisor, indicator=gdp, period="2024", value="1954000")
    assert not Actual.objects.filter(indicator=per).exists()
    services.actual_save(actor=cast.supervisor, indicator=pop, period="2024", value="800000")
    assert Actual.objects.get(indicator=per, period="2024").value == Decimal("24425.0000")
    with pytest.raises(ValidationError):
        make(cast, code="LOOP", formula="LOOP + 1")
    with pytest.raises(ValidationError):
        make(cast, code="BAD", formula="NOPE * 2")
    with pytest.raises(PermissionDenied):
        services.actual_save(actor=cast.supervisor, indicator=per, period="2024", value="1")
    with pytest.raises(ValidationError) as exc:
        make(cast, indicator=gdp, code="GDP2", name="地区生产总值", measure="万元")
    assert "人均GDP" in exc.value.message_dict["code"][0]


def xlsx(rows):
    book = Workbook()
    sheet = book.active
    sheet.append(list(services.IMPORT_HEADERS))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "values.xlsx"
    return out


def test_an_import_with_one_bad_row_saves_nothing_and_reports_each_row(cast):
    indicator = make(cast)
    group = group_with_values(cast, indicator, "2023")
    before = PeerValue.objects.count()
    with pytest.raises(services.ImportRefused) as exc:
        services.actuals_import(actor=cast.supervisor, file=xlsx([
            ["GDPPC", "2024", 25000, None, None],
            ["GDPPC", "2099", 1, None, None],
            ["NOPE", "2024", 1, None, None],
            ["GDPPC", "2024", "很多", group.name, "甲县"],
            ["GDPPC", "2024", 26000, None, None],
        ]))
    assert [row for row, _m in exc.value.rows] == [3, 4, 5, 6]
    assert not Actual.objects.filter(period="2024").exists()
    assert PeerValue.objects.count() == before
    result = services.actuals_import(actor=cast.supervisor, file=xlsx([
        ["GDPPC", "2024", 25000, None, None], ["GDPPC", "2024", 31000, group.name, "甲县"]]))
    assert result == {"own": 1, "peers": 1}
    assert AuditEntry.objects.filter(event="indicator.actuals_import").count() == 1


def test_a_liaison_enters_only_indicators_of_its_own_unit(cast):
    ours = make(cast)
    theirs = make(cast, code="OTHER", name="规上企业", responsible_units=[cast.baiguo])
    services.actual_save(actor=cast.bajiao_liaison, indicator=ours, period="2024", value="1")
    with pytest.raises(PermissionDenied):
        services.actual_save(actor=cast.bajiao_liaison, indicator=theirs, period="2024", value="1")


def test_an_indicator_behind_by_more_than_its_margin_sends_a_notice_once_and_a_near_miss_does_not(cast):
    behind = make(cast, code="FIN", name="财政收入增长", measure="%", behind_margin=10)
    near = make(cast, code="ENT", name="规上企业", measure="家", behind_margin=10)
    services.target_set(actor=cast.supervisor, indicator=behind, year=2024, value="5")
    services.target_set(actor=cast.supervisor, indicator=near, year=2024, value="90")
    services.actual_save(actor=cast.supervisor, indicator=behind, period="2024", value="3.1")  # 38% behind
    services.actual_save(actor=cast.supervisor, indicator=near, period="2024", value="85")  # 5.6% behind: within
    alerts = services.indicators_flag_behind(actor=cast.supervisor)
    assert [(a.indicator.code, a.shortfall) for a in alerts] == [("FIN", Decimal("38.00"))]
    notices = Notice.objects.filter(title__contains="财政收入增长")
    assert notices.filter(reached=cast.p_bajiao_a).exists()  # the liaison post's acting A holder
    assert services.indicators_flag_behind(actor=cast.supervisor) == []
    assert BehindAlert.objects.count() == 1


def test_an_indicator_set_to_task_gets_an_assigned_task_for_its_responsible_unit(cast):
    indicator = make(cast, code="FIN", name="财政收入增长", behind_action="task")
    services.target_set(actor=cast.supervisor, indicator=indicator, year=2024, value="5")
    services.actual_save(actor=cast.supervisor, indicator=indicator, period="2024", value="3.1")
    [alert] = services.indicators_flag_behind(actor=cast.supervisor)
    task = Task.objects.get(pk=alert.task_id)
    assert task.lead_unit == cast.bajiao and task.status == "assigned"


def test_a_target_outside_the_span_is_refused(cast):
    indicator = make(cast)
    with pytest.raises(ValidationError):
        services.target_set(actor=cast.supervisor, indicator=indicator, year=2030, value="1")


def test_the_supervisor_defines_an_indicator_and_a_liaison_enters_a_value_through_the_pages(cast, login):
    client = login(cast.supervisor)
    response = client.post("/indicators/new/", {
        "code": "ENT", "name": "规上企业", "measure": "家", "direction": "higher", "frequency": "year",
        "responsible_units": [cast.bajiao.pk], "start_year": 2021, "end_year": 2025, "goal_value": "120",
        "behind_margin": "5", "behind_action": "notice"})
    assert response.status_code == 302, response.content.decode()[:2000]
    indicator = Indicator.objects.get(code="ENT")
    assert client.post(f"/indicators/{indicator.pk}/target/", {"year": 2025, "value": "100"}).status_code == 302
    client = login(cast.bajiao_liaison)
    bad = client.post(f"/indicators/{indicator.pk}/actual/", {"period": "2026", "value": "85"})
    assert bad.status_code == 400 and "未定义" in bad.content.decode()
    assert client.post(f"/indicators/{indicator.pk}/actual/", {"period": "2025", "value": "85"}).status_code == 302
    page = client.get(f"/indicators/{indicator.pk}/").content.decode()
    assert "85" in page and "vendor/echarts/echarts.min.js" in page and "indicators/js/charts.js" in page
    assert client.get("/indicators/new/").status_code == 403


def test_the_import_page_shows_the_row_report(cast, login):
    make(cast)
    client = login(cast.supervisor)
    response = client.post("/indicators/import/", {"file": xlsx([["GDPPC", "2099", 1, None, None]])})
    assert response.status_code == 400
    assert "import-report" in response.content.decode() and "2099" in response.content.decode()


def test_the_dashboard_tile_gives_value_target_and_rank(cast):
    indicator = make(cast)
    group_with_values(cast, indicator)
    services.target_set(actor=cast.supervisor, indicator=indicator, year=2024, value="30000")
    [tile] = selectors.dashboard_tiles(cast.leader)
    assert (tile["value"], tile["target"], tile["rank"], tile["of"], tile["behind"]) == (
        Decimal("24429.0000"), Decimal("30000.0000"), 3, 5, True)
    assert selectors.dashboard_tiles(cast.auditor) == []


def test_the_supervisor_builds_a_peer_group_and_enters_a_peer_value_on_the_pages(cast, login):
    indicator = make(cast)
    client = login(cast.supervisor)
    dup = client.post("/indicators/groups/", {"name": "武陵山片区", "members": "恩施市\n来凤县\n来凤县",
                                              "self_name": "恩施市"})
    assert dup.status_code == 400 and "成员重复" in dup.content.decode()
    response = client.post("/indicators/groups/", {"name": "武陵山片区", "members": "恩施市\n来凤县\n鹤峰县",
                                                   "self_name": "恩施市"})
    assert response.status_code == 302
    from duban.indicators.models import PeerGroup, PeerMember
    group = PeerGroup.objects.get()
    laifeng = PeerMember.objects.get(name="来凤县")
    bad = client.post(f"/indicators/groups/{group.pk}/", {"member": laifeng.pk, "indicator": indicator.pk,
                                                          "period": "2019", "value": "1"})
    assert bad.status_code == 400  # 2019 is before the span 2021–2025
    assert client.post(f"/indicators/groups/{group.pk}/", {"member": laifeng.pk, "indicator": indicator.pk,
                                                           "period": "2024", "value": "21000"}).status_code == 302
    services.actual_save(actor=cast.supervisor, indicator=indicator, period="2024", value="24429")
    page = client.get(f"/indicators/{indicator.pk}/?group={group.pk}&period=2024").content.decode()
    assert "来凤县" in page and "-3429" in page  # 来凤县's gap to us as leader: 21000 − 24429
    edit = client.post(f"/indicators/{indicator.pk}/edit/", {
        "code": "GDPPC", "name": "人均地区生产总值", "measure": "元", "direction": "higher", "frequency": "year",
        "start_year": 2025, "end_year": 2021, "behind_margin": "5", "behind_action": "notice"})
    assert edit.status_code == 400 and "目标年度不能早于起始年度" in edit.content.decode()
    assert login(cast.bajiao_liaison).post("/indicators/groups/", {"name": "x"}).status_code == 403


def test_the_hourly_pass_sends_notices_and_leaves_task_indicators_to_the_supervisor(cast):
    from duban.indicators.jobs import indicators_behind_scan

    notice = make(cast, code="FIN", name="财政收入增长", behind_action="notice")
    task = make(cast, code="ENT", name="规上企业", behind_action="task")
    for indicator, target, actual in ((notice, "5", "3.1"), (task, "100", "85")):
        services.target_set(actor=cast.supervisor, indicator=indicator, year=2024, value=target)
        services.actual_save(actor=cast.supervisor, indicator=indicator, period="2024", value=actual)
    indicators_behind_scan()
    assert list(BehindAlert.objects.values_list("indicator__code", flat=True)) == ["FIN"]
    assert Notice.objects.filter(title__contains="财政收入增长").exists()
    assert not Task.objects.exists()
    [alert] = services.indicators_flag_behind(actor=cast.supervisor)
    assert alert.indicator == task and alert.task is not None


def test_the_api_gives_tiles_and_the_ranking_to_a_token_holder(cast, client):
    from duban.accounts import services as account_services

    indicator = make(cast)
    group = group_with_values(cast, indicator)
    token = account_services.token_issue(actor=cast.leader, name="dashboard")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    tiles = client.get("/api/indicators", **auth).json()
    assert [(t["code"], t["rank"], t["of"]) for t in tiles] == [("GDPPC", 3, 5)]
    ranking = client.get(f"/api/indicators/{indicator.pk}/ranking?group={group.pk}&period=2024", **auth).json()
    assert [r["rank"] for r in ranking] == [1, 2, 3, 3, 5]
    assert client.get("/api/petitions/warning-counts", **auth).json()["total"] == 0
    assert client.get("/api/indicators").status_code == 401

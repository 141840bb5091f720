"""The coverage planner: known optima on small fixtures, impossible cases with their reasons, the
coverage figures, and the planner page (propose, then create the first round from the proposal)."""

import json
from datetime import date

import pytest

from duban.inspections import planner, selectors, services
from duban.inspections.models import Round, Target, TeamMember

from .helpers import make_round

pytestmark = pytest.mark.django_db


def _names(n, prefix):
    return {i: f"{prefix}{i}" for i in range(1, n + 1)}


def test_the_mip_finds_the_minimum_number_of_rounds_on_a_small_fixture():
    # 7 units, 2 teams × 2 units per round → at least 2 rounds; enough inspectors, no conflicts.
    plan = planner.plan(units=_names(7, "u"), inspectors=_names(4, "p"), conflicts=set(), rounds_available=4,
                        capacity=planner.Capacity(units_per_team=2, teams_per_round=2, rounds_per_year=2,
                                                  members_per_team=2))
    assert plan.feasible and plan.method == "mip"
    assert plan.round_count == 2 == plan.lower_bound
    assert sorted(u for r in plan.rounds for u in r.units) == list(range(1, 8))


def test_conflicts_force_an_extra_round_and_the_mip_proves_it():
    # One team of one inspector per round, 2 units per team. Inspector 1 conflicts with units 1 and 2,
    # inspector 2 with unit 3: the bound says 2 rounds, but unit 3 must go with inspector 1 and units
    # 1, 2 with inspector 2 — each inspector can only take one round → 2 rounds still suffice?
    # No: {1,2} with p2 (one round), {3} with p1 (another round), unit 4 fits with either: 2 rounds.
    conflicts = {(1, 1), (1, 2), (2, 3)}
    plan = planner.plan(units=_names(4, "u"), inspectors=_names(2, "p"), conflicts=conflicts, rounds_available=3,
                        capacity=planner.Capacity(units_per_team=2, teams_per_round=1, rounds_per_year=1,
                                                  members_per_team=1))
    assert plan.feasible and plan.round_count == 2
    for r in plan.rounds:
        for team in r.teams:
            assert not any((p, u) in conflicts for p in team.members for u in team.units)
    # Make unit 4 conflict with both: the capacity bound (2) is no longer reachable → 3 rounds needed
    # would be required, but unit 4 has nobody left at all: reported, not solved.
    plan = planner.plan(units=_names(4, "u"), inspectors=_names(2, "p"), conflicts=conflicts | {(1, 4), (2, 4)},
                        rounds_available=3, capacity=planner.Capacity(2, 1, 1, 1))
    assert not plan.feasible
    assert any("“u4”只有 0 名无需回避的巡察干部" in r for r in plan.reasons)


def test_the_solver_reports_infeasible_when_conflicts_leave_no_assignment_within_the_rounds():
    # One inspector per team, one team per round, two units per team, two rounds: the bound (2) is met
    # and every unit has a free inspector, but units 1–3 only p2 may inspect and unit 4 only p1: p2's
    # rounds hold at most 2 + 1 of them and unit 4 needs a round of its own → no assignment in 2 rounds.
    conflicts = {(1, 1), (1, 2), (1, 3), (2, 4)}
    plan = planner.plan(units=_names(4, "u"), inspectors=_names(2, "p"), conflicts=conflicts, rounds_available=2,
                        capacity=planner.Capacity(2, 1, 1, 1))
    assert not plan.feasible and plan.method == "mip"
    assert "求解器判定无可行方案" in plan.reasons[0]
    # With a third round it is solvable, and the optimum uses all three.
    plan = planner.plan(units=_names(4, "u"), inspectors=_names(2, "p"), conflicts=conflicts, rounds_available=3,
                        capacity=planner.Capacity(2, 1, 1, 1))
    assert plan.feasible and plan.round_count == 3


def test_too_few_rounds_left_is_reported_with_the_numbers():
    plan = planner.plan(units=_names(10, "u"), inspectors=_names(6, "p"), conflicts=set(), rounds_available=2,
                        capacity=planner.Capacity(2, 2, 1, 3))
    assert not plan.feasible
    assert "至少需要 3 轮,任期内只剩 2 轮" in plan.reasons[0]


def test_a_pool_too_small_for_one_team_is_reported():
    plan = planner.plan(units=_names(3, "u"), inspectors=_names(2, "p"), conflicts=set(), rounds_available=5,
                        capacity=planner.Capacity(2, 2, 1, 3))
    assert not plan.feasible and "不足以组成一个 3 人的巡察组" in plan.reasons[0]


def test_the_greedy_meets_the_bound_without_conflicts_and_respects_conflicts():
    units, people = _names(200, "u"), _names(30, "p")
    conflicts = {(p, u) for p in range(1, 4) for u in range(1, 50)}
    plan = planner.plan(units=units, inspectors=people, conflicts=conflicts, rounds_available=20,
                        capacity=planner.Capacity(5, 4, 2, 3), method="greedy")
    assert plan.feasible and plan.method == "greedy"
    assert plan.round_count == plan.lower_bound == 10
    for r in plan.rounds:
        for team in r.teams:
            assert not any((p, u) in conflicts for p in team.members for u in team.units)
        assert len({p for t in r.teams for p in t.members}) == sum(len(t.members) for t in r.teams)


def test_a_capacity_of_zero_is_refused_naming_the_field():
    with pytest.raises(planner.CapacityError) as exc:
        planner.plan(units=_names(1, "u"), inspectors=_names(3, "p"), conflicts=set(), rounds_available=1,
                     capacity=planner.Capacity(0, 1, 1, 3))
    assert exc.value.field == "units_per_team"


def test_coverage_counts_a_unit_once_its_round_has_fed_back(world):
    assert selectors.coverage_summary(world.term)["percent"] == 0.0
    round_ = make_round(world, units=[world.bajiao])
    summary = selectors.coverage_summary(world.term)
    assert (summary["total"], summary["covered"], summary["planned"], summary["uncovered"]) == (3, 0, 1, 2)
    services.round_feedback(actor=world.supervisor, round_=round_)
    summary = selectors.coverage_summary(world.term)
    assert summary["covered"] == 1 and summary["percent"] == 33.3
    assert summary["by_year"][0]["cumulative"] == 1


def test_the_planner_page_proposes_rounds_and_creates_the_first_one(world, login):
    client = login(world.supervisor)
    response = client.get("/inspections/planner/", {"units_per_team": 2, "teams_per_round": 1,
                                                     "rounds_per_year": 2, "members_per_team": 2})
    page = response.content.decode()
    assert response.status_code == 200 and "可以全覆盖" in page
    proposal = response.context["create_form"].initial["proposal"]
    teams = json.loads(proposal)
    start = response.context["create_form"].initial["start_date"]
    data = {"name": "按规划第一轮", "proposal": proposal,
            **{k: v.isoformat() for k, v in response.context["create_form"].initial.items()
               if hasattr(v, "isoformat")}}
    data["name"] = "按规划第一轮"
    assert start
    response = client.post("/inspections/planner/create/", data)
    assert response.status_code == 302
    round_ = Round.objects.get(name="按规划第一轮")
    assert Target.objects.filter(round=round_).count() == len(teams[0]["units"])
    assert TeamMember.objects.filter(team__round=round_).count() == 2
    # The planner respects 回避: 钱一 never inspects 芭蕉, 周二 never 白果.
    for t in Target.objects.filter(round=round_).select_related("team", "unit"):
        names = set(TeamMember.objects.filter(team=t.team).values_list("person__name", flat=True))
        assert not (t.unit == world.bajiao and "钱一" in names)
        assert not (t.unit == world.baiguo and "周二" in names)


def test_the_planner_page_says_why_full_coverage_is_impossible(world, login):
    # Term ends this year: at most 0–1 round slots left; three units, one unit per round.
    world.term.start_date = date(world.term.start_date.year - 4, 1, 1)
    world.term.save()
    client = login(world.supervisor)
    response = client.get("/inspections/planner/", {"units_per_team": 1, "teams_per_round": 1,
                                                    "rounds_per_year": 1, "members_per_team": 2})
    page = response.content.decode()
    assert "任期内无法实现全覆盖" in page


def test_a_planner_capacity_of_zero_is_a_clear_error(world, login):
    client = login(world.supervisor)
    response = client.get("/inspections/planner/", {"units_per_team": 0, "teams_per_round": 1,
                                                    "rounds_per_year": 1, "members_per_team": 2})
    assert response.status_code == 400
    assert "每组巡察单位数必须是正整数" in response.content.decode()


def test_a_pool_member_in_conflict_everywhere_is_named(world, login):
    # Only two inspectors without history, teams of three: every unit lacks free inspectors? No —
    # four inspectors, one conflicts with 芭蕉, one with 白果: teams of four cannot inspect either.
    client = login(world.supervisor)
    response = client.get("/inspections/planner/", {"units_per_team": 3, "teams_per_round": 1,
                                                    "rounds_per_year": 2, "members_per_team": 4})
    page = response.content.decode()
    assert "“芭蕉侗族乡”只有 3 名无需回避的巡察干部,少于每组 4 人" in page

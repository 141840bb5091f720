"""Rounds, teams and the 回避 rule, through the services and the pages."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from duban.core.models import AuditEntry
from duban.inspections import services
from duban.inspections.models import Round, Target, Team, TeamMember
from duban.tasks import lights

from .helpers import make_round, round_data, stages

pytestmark = pytest.mark.django_db


def test_the_office_creates_a_round_on_the_page_and_it_shows_its_current_stage(world, login):
    client = login(world.supervisor)
    today = lights.today()
    response = client.post("/inspections/new/", round_data([world.bajiao, world.baiguo], start=today))
    assert response.status_code == 302
    round_ = Round.objects.get()
    assert set(round_.targets.values_list("unit__name", flat=True)) == {"芭蕉侗族乡", "白果乡"}
    page = client.get(f"/inspections/{round_.pk}/").content.decode()
    assert 'aria-current="step">动员' in page


def test_a_round_whose_end_precedes_its_start_is_refused_and_nothing_is_created(world, login):
    client = login(world.supervisor)
    today = lights.today()
    data = round_data([world.bajiao], start=today, end_date=(today - timedelta(days=1)).isoformat())
    response = client.post("/inspections/new/", data)
    assert response.status_code == 400
    assert "结束日期不能早于开始日期" in response.content.decode()
    assert not Round.objects.exists()


def test_stage_dates_out_of_order_are_refused_naming_the_stage(world):
    today = lights.today()
    s = stages(today, today + timedelta(days=90))
    s["feedback_on"] = s["survey_on"] - timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        services.round_create(actor=world.supervisor, term=world.term, name="乱序", start_date=today,
                              end_date=today + timedelta(days=90), stages=s, units=[world.bajiao])
    assert "“反馈”不能早于“了解”" in str(exc.value.message_dict["feedback_on"])
    assert not Round.objects.exists()


def test_a_unit_inspected_twice_in_the_same_round_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        make_round(world, units=[world.bajiao, world.bajiao])
    assert "同一轮次一个单位只巡察一次" in str(exc.value.message_dict["units"])
    assert not Round.objects.exists()


def test_a_member_who_worked_in_the_unit_within_five_years_is_refused_with_the_reason(world, login):
    round_ = make_round(world)
    qian, _zhou, wu, zheng = world.inspectors
    client = login(world.supervisor)
    response = client.post(f"/inspections/{round_.pk}/team/", {
        "name": "第一巡察组", "leader": qian.pk, "deputy": wu.pk, "members": [zheng.pk], "units": [world.bajiao.pk]})
    assert response.status_code == 400
    text = response.content.decode()
    assert "须回避" in text and "钱一" in text and "芭蕉侗族乡" in text and "未满 5 年" in text
    assert not Team.objects.exists()


def test_a_member_whose_relative_works_in_the_unit_is_refused(world):
    round_ = make_round(world)
    _qian, zhou, wu, _zheng = world.inspectors
    with pytest.raises(ValidationError) as exc:
        services.team_set(actor=world.supervisor, round_=round_, name="第二巡察组", leader=wu, deputy=zhou,
                          units=[world.baiguo])
    assert "配偶陈五在“白果乡”工作" in str(exc.value.message_dict["deputy"])


def test_a_history_older_than_the_rule_no_longer_conflicts(world):
    round_ = make_round(world)
    qian = world.inspectors[0]
    world.term.conflict_years = 1
    world.term.save()
    round_.refresh_from_db()
    team = services.team_set(actor=world.supervisor, round_=round_, name="第一巡察组", leader=qian,
                             units=[world.bajiao])
    assert Target.objects.get(round=round_, unit=world.bajiao).team == team


def test_a_valid_team_is_formed_from_the_pool_and_takes_its_units(world, login):
    round_ = make_round(world)
    qian, _zhou, wu, zheng = world.inspectors
    client = login(world.supervisor)
    response = client.post(f"/inspections/{round_.pk}/team/", {
        "name": "第一巡察组", "leader": wu.pk, "deputy": zheng.pk, "members": [qian.pk], "units": [world.baiguo.pk]})
    assert response.status_code == 302
    team = Team.objects.get()
    assert {m.person.name: m.role for m in TeamMember.objects.filter(team=team)} == {
        "吴三": "leader", "郑四": "deputy", "钱一": "member"}
    assert Target.objects.get(round=round_, unit=world.baiguo).team == team
    assert AuditEntry.objects.filter(event="inspection_team_set").count() == 1


def test_someone_outside_the_pool_cannot_join_a_team(world):
    round_ = make_round(world)
    with pytest.raises(ValidationError) as exc:
        services.team_set(actor=world.supervisor, round_=round_, name="第一巡察组", leader=world.p_baiguo,
                          units=[world.bajiao])
    assert "不在巡察干部库中" in str(exc.value.message_dict["leader"])


def test_a_unit_user_cannot_create_rounds(world, login):
    client = login(world.bajiao_liaison)
    assert client.get("/inspections/new/").status_code in (403, 404)

"""公示与申诉 end to end through the pages, bad input refused with nothing changed, manual
ratings, ties, and the 硒都楷模 round's eligibility and secret vote count."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from duban.core.models import AuditEntry
from duban.core.roles import Role
from duban.evaluation import compute, services
from duban.evaluation.models import (
    Ballot,
    EvalStatus,
    Grade,
    GradeMethod,
    Objection,
    Scheme,
    SchemeItem,
    SheetRevision,
    UnitCategory,
    UnitScore,
)
from duban.notices.models import Notice
from duban.tasks import lights

from .world import AS_OF, ITEMS, build, make_user, rate_and_bonus

pytestmark = pytest.mark.django_db


def _publish(w, days=7):
    today = lights.today()
    return services.evaluation_publish(actor=w.cast.supervisor, evaluation=w.evaluation, start=today,
                                       end=today + timedelta(days=days))


def test_a_unit_objects_with_evidence_and_sees_the_recomputed_score_once_the_office_accepts(cast, login):
    w = build(cast)
    _publish(w)
    before = UnitScore.objects.get(evaluation=w.evaluation, unit=cast.bajiao)
    item = w.item["rectification"]
    client = login(cast.bajiao_liaison)
    page = client.get(f"/evaluation/{w.evaluation.pk}/units/{cast.bajiao.pk}/")
    assert "提出申诉" in page.content.decode()
    response = client.post(f"/evaluation/{w.evaluation.pk}/objections/new/",
                           {"item": item.pk, "reason": "整改已完成,系统未及时办结", "evidence": "整改报告(芭政文〔2026〕9号)"})
    assert response.status_code == 302
    objection = Objection.objects.get()
    assert objection.unit == cast.bajiao and objection.status == "pending"

    office = login(cast.supervisor)
    response = office.post(f"/evaluation/objections/{objection.pk}/answer/",
                           {"decision": "accept", "answer": "经核实,整改已完成", "adjustment": "5"})
    assert response.status_code == 302
    w.evaluation.refresh_from_db()
    after = UnitScore.objects.get(evaluation=w.evaluation, unit=cast.bajiao)
    assert after.total == before.total + Decimal(5)
    assert after.items[str(item.pk)]["adjusted_by"] == [objection.pk]
    revisions = list(SheetRevision.objects.filter(evaluation=w.evaluation).order_by("revision"))
    assert len(revisions) == 2 and revisions[0].sha256 != revisions[1].sha256  # both versions kept
    entry = AuditEntry.objects.get(event="objection_answer")
    assert entry.data["sha256_before"] == revisions[0].sha256 and entry.data["sha256_after"] == revisions[1].sha256
    assert Notice.objects.filter(title__startswith="考评申诉答复", unit=cast.bajiao).exists()

    client = login(cast.bajiao_liaison)
    page = client.get(f"/evaluation/{w.evaluation.pk}/units/{cast.bajiao.pk}/").content.decode()
    assert str(after.total) in page and "经核实,整改已完成" in page


def test_an_objection_after_the_window_or_on_another_units_sheet_is_refused_and_nothing_is_stored(cast, login):
    w = build(cast)
    item = w.item["completion"]
    with pytest.raises(ValidationError, match="不在公示申诉期内"):  # still a draft
        services.objection_file(actor=cast.bajiao_liaison, evaluation=w.evaluation, unit=cast.bajiao, item=item,
                                reason="r", evidence="e")
    _publish(w, days=3)
    with pytest.raises(ValidationError, match="只能对本单位的计分表提出申诉"):
        services.objection_file(actor=cast.bajiao_liaison, evaluation=w.evaluation, unit=cast.baiguo, item=item,
                                reason="r", evidence="e")
    with pytest.raises(ValidationError, match="请提供证据"):
        services.objection_file(actor=cast.bajiao_liaison, evaluation=w.evaluation, unit=cast.bajiao, item=item,
                                reason="r", evidence="")
    with time_machine.travel(lights.today() + timedelta(days=5), tick=False):
        client = login(cast.bajiao_liaison)
        response = client.post(f"/evaluation/{w.evaluation.pk}/objections/new/",
                               {"item": item.pk, "reason": "迟到的申诉", "evidence": "e"})
        assert response.status_code == 400
        assert "不在公示申诉期内" in response.content.decode()
    assert not Objection.objects.exists()


def test_weights_that_do_not_add_to_100_or_an_unknown_source_are_refused(cast):
    bad = [dict(i) for i in ITEMS]
    bad[0]["weight"] = "25"
    with pytest.raises(ValidationError, match="合计为 95"):
        services.scheme_create(actor=cast.supervisor, name="方案", year=2026, category=UnitCategory.TOWNSHIP,
                               items=bad)
    unknown = [*ITEMS, {"source": "gdp_growth", "name": "GDP", "weight": "0"}]
    with pytest.raises(ValidationError, match="计分来源“gdp_growth”未知"):
        services.scheme_create(actor=cast.supervisor, name="方案", year=2026, category=UnitCategory.TOWNSHIP,
                               items=unknown)
    assert not Scheme.objects.exists() and not SchemeItem.objects.exists()


def test_a_scheme_in_use_cannot_be_edited_and_a_change_is_a_new_version(cast, login):
    w = build(cast)
    with pytest.raises(ValidationError, match="方案已被考评使用"):
        services.scheme_update(actor=cast.supervisor, scheme=w.scheme, name="改名", grade_method=GradeMethod.SHARES,
                               excellent=20, good=40, fair=30, items=ITEMS)
    client = login(cast.supervisor)
    text = "\n".join(f"{i['source']} {i['name']} {i['weight']} {i.get('param') or ''}".strip() for i in ITEMS)
    response = client.post(f"/evaluation/schemes/{w.scheme.pk}/edit/",
                           {"name": "改名", "grade_method": "shares", "excellent": "20", "good": "40", "fair": "30",
                            "items": text})
    assert response.status_code == 400 and "请制定新版本" in response.content.decode()
    w.scheme.refresh_from_db()
    assert w.scheme.name == "2026年度乡镇考评方案"
    response = client.post(f"/evaluation/schemes/{w.scheme.pk}/version/",
                           {"name": "2026年度乡镇考评方案(修订)", "grade_method": "shares", "excellent": "20",
                            "good": "40", "fair": "30", "items": text})
    assert response.status_code == 302
    new = Scheme.objects.get(version=2)
    assert new.previous == w.scheme and new.items.count() == len(ITEMS)
    # The button computes the new version.
    response = client.post(f"/evaluation/schemes/{new.pk}/compute/")
    assert response.status_code == 302 and new.evaluation.scores.count() == 2


def test_a_rater_cannot_vote_twice_or_outside_the_range(cast):
    w = build(cast)
    item = w.item["rating"]
    with pytest.raises(ValidationError, match="评分应在 0 到 100 之间"):
        services.rating_submit(actor=cast.leader, evaluation=w.evaluation, item=item, unit=cast.bajiao, score="101")
    services.rating_submit(actor=cast.leader, evaluation=w.evaluation, item=item, unit=cast.bajiao, score="88")
    with pytest.raises(ValidationError, match="不能重复评分"):
        services.rating_submit(actor=cast.leader, evaluation=w.evaluation, item=item, unit=cast.bajiao, score="90")
    assert w.evaluation.ratings.count() == 1
    evaluation = services.evaluation_compute(actor=cast.supervisor, scheme=w.scheme, as_of=AS_OF)
    score = UnitScore.objects.get(evaluation=evaluation, unit=cast.bajiao)
    assert score.items[str(item.pk)]["score"] == "8.80"  # one rater: 10 × 88 / 100


def test_equal_totals_share_a_rank_and_are_marked_tied(cast):
    scheme = services.scheme_create(actor=cast.supervisor, name="简易方案", year=2026, category=UnitCategory.TOWNSHIP,
                                    items=[{"source": "completion", "name": "完成率", "weight": "100"}])
    evaluation = services.evaluation_compute(actor=cast.supervisor, scheme=scheme, as_of=AS_OF)
    rows = list(UnitScore.objects.filter(evaluation=evaluation).values_list("rank", "tied", "total"))
    assert rows == [(1, True, Decimal("100.00")), (1, True, Decimal("100.00"))]


def test_grades_by_share_give_the_better_grade_to_a_tie_at_the_boundary():
    class S:
        grade_method = GradeMethod.SHARES
        excellent, good, fair = Decimal(20), Decimal(40), Decimal(30)

    # Ten units: 2 excellent, 4 good, 3 fair, 1 poor; the 2nd and 3rd are tied, both excellent.
    totals = [95, 90, 90, 85, 80, 75, 70, 65, 60, 50]
    lines = [compute.Line(unit_id=n, name=str(n), path=f"{n:04d}", total=Decimal(t), items={})
             for n, t in enumerate(totals)]

    class E:
        scheme = S()
        category = "township"
        year = 2026

    ranked = compute.rank_lines(lines, E())  # not saved: no previous period to compare with
    assert [(line.rank, line.grade) for line in ranked] == [
        (1, Grade.EXCELLENT), (2, Grade.EXCELLENT), (2, Grade.EXCELLENT), (4, Grade.GOOD), (5, Grade.GOOD),
        (6, Grade.GOOD), (7, Grade.FAIR), (8, Grade.FAIR), (9, Grade.FAIR), (10, Grade.POOR)]


def _finalised(w):
    _publish(w, days=1)
    with time_machine.travel(lights.today() + timedelta(days=3), tick=False):
        services.evaluation_finalize(actor=w.cast.supervisor, evaluation=w.evaluation)
    w.evaluation.refresh_from_db()
    return w.evaluation


def test_movement_is_against_the_previous_years_final_ranking(cast):
    w = build(cast)
    rate_and_bonus(w)
    _finalised(w)  # 2026: 白果 1, 芭蕉 2
    scheme = services.scheme_create(actor=cast.supervisor, name="2027年度方案", year=2027,
                                    category=UnitCategory.TOWNSHIP,
                                    items=[{"source": "completion", "name": "完成率", "weight": "100"}])
    from .world import task

    task("芭蕉2027", cast.bajiao, date(2027, 3, 1), "completed")
    task("白果2027", cast.baiguo, date(2027, 3, 1))
    evaluation = services.evaluation_compute(actor=cast.supervisor, scheme=scheme, as_of=date(2027, 12, 31))
    rows = {s.unit_id: (s.rank, s.previous_rank, s.movement) for s in evaluation.scores.all()}
    assert rows[cast.bajiao.pk] == (1, 2, 1) and rows[cast.baiguo.pk] == (2, 1, -1)


def test_a_round_refuses_an_ineligible_nominee_and_counts_secret_votes_once_each(cast, login):
    w = build(cast)
    rate_and_bonus(w)
    evaluation = _finalised(w)
    panel = [cast.leader, make_user("judge2", Role.LEADER, cast.city), make_user("judge3", Role.LEADER, cast.city)]
    rnd = services.round_create(actor=cast.supervisor, title="2026年度硒都楷模", year=2026, evaluation=evaluation,
                                min_grade=Grade.GOOD, quota=1, panel=panel)
    with pytest.raises(ValidationError, match="考评等次未达到良好"):  # 芭蕉 was graded 较差
        services.nomination_add(actor=cast.supervisor, rnd=rnd, person=cast.p_bajiao_a, reason="长期坚守")
    with pytest.raises(ValidationError, match="不是被推荐单位已办结的任务"):
        services.nomination_add(actor=cast.supervisor, rnd=rnd, unit=cast.baiguo, reason="r", tasks=[w.t1])
    unit = services.nomination_add(actor=cast.supervisor, rnd=rnd, unit=cast.baiguo, reason="任务全部办结",
                                   tasks=[w.b1, w.b2])
    person = services.nomination_add(actor=cast.supervisor, rnd=rnd, person=cast.p_baiguo, reason="事迹突出")
    assert rnd.nominations.count() == 2
    services.round_advance(actor=cast.supervisor, rnd=rnd, step="open_voting")
    services.ballot_cast(actor=panel[0], rnd=rnd, choices=[unit.pk])
    services.ballot_cast(actor=panel[1], rnd=rnd, choices=[person.pk])
    with pytest.raises(ValidationError, match="最多选择 1 个"):
        services.ballot_cast(actor=panel[2], rnd=rnd, choices=[unit.pk, person.pk])
    services.ballot_cast(actor=panel[2], rnd=rnd, choices=[unit.pk])
    with pytest.raises(ValidationError, match="只能投票一次"):
        services.ballot_cast(actor=panel[0], rnd=rnd, choices=[person.pk])
    assert Ballot.objects.filter(round=rnd).count() == 3
    # Secret until closed: the panel's page shows no counts while voting.
    page = login(cast.leader).get(f"/evaluation/rounds/{rnd.pk}/").content.decode()
    assert f"votes-{unit.pk}" not in page and "您已投票" in page
    services.round_advance(actor=cast.supervisor, rnd=rnd, step="close")
    unit.refresh_from_db()
    person.refresh_from_db()
    assert (unit.votes, person.votes) == (2, 1)
    assert services.selected(rnd) == [unit]
    closing = AuditEntry.objects.get(event="round_close")
    assert closing.data["tally"] == {str(unit.pk): 2, str(person.pk): 1} and closing.data["ballots"] == 3
    page = login(cast.leader).get(f"/evaluation/rounds/{rnd.pk}/").content.decode()
    assert f'data-testid="votes-{unit.pk}">2' in page


def test_reports_are_generated_from_the_sheet(cast, login):
    w = build(cast)
    rate_and_bonus(w)
    client = login(cast.supervisor)
    import io

    from docx import Document
    from openpyxl import load_workbook

    docx = client.get(f"/evaluation/{w.evaluation.pk}/report.docx")
    assert docx.status_code == 200
    doc = Document(io.BytesIO(docx.content))
    table = doc.tables[0]
    assert [c.text for c in table.rows[1].cells][:3] == ["1", "白果乡", "88.90"]
    assert doc.inline_shapes  # the ranking chart
    xlsx = client.get(f"/evaluation/{w.evaluation.pk}/report.xlsx")
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][2] == "白果乡" and rows[2][2] == "芭蕉侗族乡" and rows[2][-3] == 53.4
    bulletin = client.get(f"/evaluation/{w.evaluation.pk}/bulletin.docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(bulletin.content)).paragraphs)
    assert "评为较差的单位:芭蕉侗族乡" in text
    png = client.get(f"/evaluation/{w.evaluation.pk}/ranking.png")
    assert png.content.startswith(b"\x89PNG")


def test_the_evaluate_command_computes_the_latest_version_of_each_scheme(cast):
    from io import StringIO

    from django.core.management import call_command

    w = build(cast)
    out = StringIO()
    call_command("evaluate", "--year", "2026", stdout=out)
    w.evaluation.refresh_from_db()
    assert w.evaluation.revision == 2 and w.evaluation.sha256 in out.getvalue()
    assert w.evaluation.status == EvalStatus.DRAFT


def test_the_office_nominates_through_the_page_and_an_ineligible_person_is_refused_there(cast, login):
    w = build(cast)
    rate_and_bonus(w)
    evaluation = _finalised(w)
    client = login(cast.supervisor)
    response = client.post("/evaluation/rounds/new/", {"title": "硒都楷模", "year": "2026", "evaluation": evaluation.pk,
                                                       "min_grade": "good", "exclude_accountability": "on",
                                                       "quota": "2", "panel": [cast.leader.pk]})
    assert response.status_code == 302
    url = response["Location"]
    assert "推荐理由" in client.get(url).content.decode()
    refused = client.post(url, {"kind": "person", "person": cast.p_bajiao_a.pk, "reason": "长期坚守"})
    assert refused.status_code == 400 and "考评等次未达到良好" in refused.content.decode()
    accepted = client.post(url, {"kind": "unit", "unit": cast.baiguo.pk, "reason": "任务全部办结",
                                 "tasks": f"{w.b1.pk},{w.b2.pk}"})
    assert accepted.status_code == 302
    from duban.evaluation.models import Nomination

    nomination = Nomination.objects.get()
    assert nomination.unit == cast.baiguo and set(nomination.tasks.all()) == {w.b1, w.b2}

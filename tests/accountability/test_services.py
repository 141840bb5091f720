"""The case services: sources, stages in order, 一岗双责, 一案双查, the four forms, 容错纠错 with the three
tests, appeals, 澄清正名 and what the evaluation reads."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from duban.accountability import selectors, services
from duban.accountability.models import (
    Case,
    CaseKind,
    Form,
    Measure,
    SourceKind,
    Stage,
    StageEntry,
    SubjectKind,
    SubjectRole,
    ToleranceOutcome,
)
from duban.core.models import AuditEntry
from duban.tasks import lights

from .conftest import at

pytestmark = pytest.mark.django_db

ALL_YES = {f: "yes" for f in ("test_experience", "test_trial", "test_public", "cond_procedure", "cond_no_gain",
                              "cond_remedied")}
NOTES = {"test_experience": "首次推行村道代建,缺乏经验", "test_trial": "代建模式当时尚无禁止性规定",
         "test_public": "为赶工期,未谋私利"}


def person_case(cast, *, person=None, **kw):
    return services.case_open(actor=cast.discipline, title="违规发放补贴", source_kind=SourceKind.REPORT,
                              source_label="群众来信 2026-12", subject_kind=SubjectKind.PERSON,
                              person=person or cast.p_bajiao_a, facts="违规发放补贴 3 万元。", **kw)


def unit_case(cast):
    return services.case_open(actor=cast.discipline, title="整改不力", source_kind=SourceKind.INSPECTION,
                              source_label="十四届市委第二轮巡察", subject_kind=SubjectKind.UNIT, unit=cast.baiguo,
                              facts="巡察反馈问题整改不到位。")


def test_a_proposal_becomes_a_case_against_the_post_naming_both_responsible_people(cast, proposal, duty):
    case = services.case_open_from_proposal(actor=cast.discipline, proposal=proposal)
    assert case.stage == Stage.INITIAL and case.source_kind == SourceKind.PROPOSAL
    assert case.subject_kind == SubjectKind.POST and case.unit == cast.bajiao
    roles = {(s.role, s.person_id) for s in case.subjects.all()}
    assert roles == {(SubjectRole.BUSINESS, cast.p_bajiao_a.pk), (SubjectRole.PARTY, cast.p_bajiao_b.pk)}
    assert case.supervising_leader == proposal.task.responsible_leader
    assert AuditEntry.objects.filter(event="case_open", object_id=str(case.pk)).count() == 1
    with pytest.raises(ValidationError) as exc:
        services.case_open_from_proposal(actor=cast.discipline, proposal=proposal)
    assert exc.value.code == "duplicate"
    assert Case.objects.filter(kind=CaseKind.MAIN).count() == 1


def test_filing_a_case_against_a_person_opens_its_dual_check_twin_exactly_once(cast, duty, leader_person):
    case = person_case(cast)
    services.case_file(actor=cast.discipline, case=case, file=True, on=case.opened_on)
    twins = Case.objects.filter(parent=case, kind=CaseKind.DUAL)
    assert twins.count() == 1
    twin = twins.get()
    assert twin.stage == Stage.FILED and twin.subjects.get().person == leader_person
    assert twin.subjects.get().role == SubjectRole.SUPERVISOR and twin.responsibility == "supervisory"
    with pytest.raises(ValidationError) as exc:  # filing again is a stage out of order
        services.case_file(actor=cast.discipline, case=case, file=True, on=case.opened_on)
    assert exc.value.error_dict["stage"][0].code == "stage_order"
    assert Case.objects.filter(parent=case).count() == 1
    # the twin closes with its own outcome
    for stage in (Stage.INVESTIGATION, Stage.TRIAL):
        services.case_advance(actor=cast.discipline, case=twin, stage=stage, on=twin.opened_on)
    services.case_decide(actor=cast.discipline, case=twin, measure=Measure.NONE, decision_text="经查已履行监督责任。",
                         basis="", on=twin.opened_on)
    twin.refresh_from_db()
    case.refresh_from_db()
    assert twin.form == Form.NONE and case.stage == Stage.FILED


def test_a_unit_case_has_no_twin_and_filing_a_person_case_without_a_supervising_leader_is_refused(cast):
    case = unit_case(cast)
    services.case_file(actor=cast.discipline, case=case, file=True, on=case.opened_on)
    assert not Case.objects.filter(parent=case).exists()
    other = person_case(cast, person=cast.p_baiguo)  # 白果 has no duty link, none given
    with pytest.raises(ValidationError) as exc:
        services.case_file(actor=cast.discipline, case=other, file=True, on=other.opened_on)
    assert "supervising_leader" in exc.value.error_dict
    other.refresh_from_db()
    assert other.stage == Stage.INITIAL and not StageEntry.objects.filter(case=other, stage=Stage.FILED).exists()


def test_stages_out_of_order_are_refused_and_change_nothing(cast, duty):
    case = person_case(cast)
    with pytest.raises(ValidationError) as exc:
        services.case_decide(actor=cast.discipline, case=case, measure=Measure.TALK, decision_text="谈话提醒",
                             basis="第八条", on=case.opened_on)
    assert exc.value.error_dict["stage"][0].code == "stage_order"
    with pytest.raises(ValidationError):
        services.case_advance(actor=cast.discipline, case=case, stage=Stage.TRIAL, on=case.opened_on)
    services.case_file(actor=cast.discipline, case=case, file=True, on=case.opened_on)
    with pytest.raises(ValidationError) as exc:  # 调查 comes before 审理
        services.case_advance(actor=cast.discipline, case=case, stage=Stage.TRIAL, on=case.opened_on)
    case.refresh_from_db()
    assert case.stage == Stage.FILED and case.measure == ""
    assert list(case.stage_entries.values_list("stage", flat=True)) == [Stage.INITIAL, Stage.FILED]


def test_a_stage_date_before_the_previous_one_or_in_the_future_is_refused(cast, duty):
    case = person_case(cast)
    with pytest.raises(ValidationError) as exc:
        services.case_file(actor=cast.discipline, case=case, file=True, on=case.opened_on - timedelta(days=1))
    assert exc.value.error_dict["on"][0].code == "before_previous"
    with pytest.raises(ValidationError) as exc:
        services.case_file(actor=cast.discipline, case=case, file=True, on=lights.today() + timedelta(days=1))
    assert exc.value.error_dict["on"][0].code == "future"


def test_a_decision_needs_its_measure_text_and_basis_and_a_unit_takes_only_organisational_forms(cast, walk):
    case = walk(unit_case(cast), Stage.TRIAL)
    with pytest.raises(ValidationError) as exc:
        services.case_decide(actor=cast.discipline, case=case, measure="", decision_text="", basis="",
                             on=case.opened_on)
    assert "measure" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        services.case_decide(actor=cast.discipline, case=case, measure=Measure.CIRCULAR, decision_text="",
                             basis="", on=case.opened_on)
    assert "decision_text" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        services.case_decide(actor=cast.discipline, case=case, measure=Measure.CIRCULAR, decision_text="通报",
                             basis="", on=case.opened_on)
    assert "basis" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        services.case_decide(actor=cast.discipline, case=case, measure=Measure.ADMONISH, decision_text="诫勉",
                             basis="第八条", on=case.opened_on)
    assert exc.value.error_dict["measure"][0].code == "form_not_allowed"
    case.refresh_from_db()
    assert case.stage == Stage.TRIAL and case.measure == ""
    services.case_decide(actor=cast.discipline, case=case, measure=Measure.RECTIFY, decision_text="责令整改",
                         basis="《中国共产党问责条例》第八条", on=case.opened_on)
    case.refresh_from_db()
    assert case.form == Form.ORG and case.decided_by == cast.discipline


def test_a_person_cannot_be_given_an_organisational_form(cast, duty, walk):
    case = walk(person_case(cast), Stage.TRIAL)
    with pytest.raises(ValidationError) as exc:
        services.case_decide(actor=cast.discipline, case=case, measure=Measure.CIRCULAR, decision_text="通报",
                             basis="第八条", on=case.opened_on)
    assert exc.value.error_dict["measure"][0].code == "form_not_allowed"


def test_only_the_discipline_role_runs_a_case(cast, duty):
    for user in (cast.supervisor, cast.leader, cast.bajiao_liaison, cast.auditor):
        with pytest.raises(PermissionDenied):
            person_case(cast) if user is None else services.case_open(
                actor=user, title="x", source_kind=SourceKind.REPORT, source_label="x",
                subject_kind=SubjectKind.PERSON, person=cast.p_bajiao_a, facts="x")
    assert not Case.objects.exists()


def test_a_tolerance_application_needs_a_decision_context(cast, duty):
    case = person_case(cast)
    with pytest.raises(ValidationError) as exc:
        services.tolerance_apply(actor=cast.discipline, case=case, reason="先行先试", evidence="会议纪要")
    assert exc.value.code == "no_decision_context"
    assert not case.tolerance_applications.exists()


def test_the_review_needs_every_test_and_condition_before_an_outcome(cast, duty, walk):
    case = walk(person_case(cast), Stage.DECIDED)
    application = services.tolerance_apply(actor=cast.bajiao_liaison, case=case, reason="先行先试", evidence="会议纪要")
    partial = dict(ALL_YES, test_trial="")
    with pytest.raises(ValidationError) as exc:
        services.tolerance_review(actor=cast.discipline, application=application, verdicts=partial, notes=NOTES,
                                  outcome=ToleranceOutcome.EXEMPT, reasons="符合容错情形")
    assert set(exc.value.error_dict) == {"test_trial"}
    with pytest.raises(ValidationError) as exc:
        services.tolerance_review(actor=cast.discipline, application=application, verdicts=ALL_YES,
                                  notes=dict(NOTES, test_public=""), outcome=ToleranceOutcome.EXEMPT, reasons="x")
    assert set(exc.value.error_dict) == {"test_public_note"}
    with pytest.raises(ValidationError) as exc:
        services.tolerance_review(actor=cast.discipline, application=application,
                                  verdicts=dict(ALL_YES, cond_remedied="no"), notes=NOTES,
                                  outcome=ToleranceOutcome.EXEMPT, reasons="x")
    assert exc.value.error_dict["outcome"][0].code == "not_all_met"
    with pytest.raises(ValidationError) as exc:
        services.tolerance_review(actor=cast.discipline, application=application,
                                  verdicts=dict(ALL_YES, test_public="no", cond_no_gain="no"), notes=NOTES,
                                  outcome=ToleranceOutcome.MITIGATE, reasons="x")
    assert exc.value.error_dict["outcome"][0].code == "private_gain"
    application.refresh_from_db()
    case.refresh_from_db()
    assert application.outcome == "" and case.tolerance == ""


def test_exemption_by_tolerance_removes_the_units_deduction_and_the_eligibility_block(cast, duty, walk):
    case = walk(person_case(cast), Stage.DECIDED)
    year = case.decided_on.year
    before = selectors.deductions_by_unit(year)[cast.bajiao.pk]
    assert before.by_form == {Form.FIRST: 1} and before.exempted == 0
    # the person, and their unit (a case against one of its people counts for the unit too)
    assert selectors.has_case(cast.p_bajiao_a, year) and selectors.has_case(cast.bajiao, year)
    assert not selectors.has_case(cast.p_bajiao_b, year) and not selectors.has_case(cast.baiguo, year)
    application = services.tolerance_apply(actor=cast.bajiao_liaison, case=case, reason="先行先试", evidence="会议纪要")
    services.tolerance_review(actor=cast.discipline, application=application, verdicts=ALL_YES, notes=NOTES,
                              outcome=ToleranceOutcome.EXEMPT, reasons="三个区分开来均符合")
    case.refresh_from_db()
    assert case.tolerance == ToleranceOutcome.EXEMPT and not case.counts_against
    after = selectors.deductions_by_unit(year)[cast.bajiao.pk]
    assert after.by_form == {} and after.exempted == 1 and after.counted == 0
    assert not selectors.has_case(cast.p_bajiao_a, (date(year, 1, 1), date(year, 12, 31)))
    assert not selectors.has_case(cast.bajiao, year)
    with pytest.raises(ValidationError):  # decided once; a second application is refused
        services.tolerance_apply(actor=cast.bajiao_liaison, case=case, reason="again", evidence="x")


def test_mitigation_is_counted_apart_and_exemption_before_the_decision_leaves_only_no_accountability(cast, duty, walk):
    case = walk(person_case(cast), Stage.DECIDED)
    application = services.tolerance_apply(actor=cast.discipline, case=case, reason="r", evidence="e")
    services.tolerance_review(actor=cast.discipline, application=application,
                              verdicts=dict(ALL_YES, cond_procedure="no"), notes=NOTES,
                              outcome=ToleranceOutcome.MITIGATE, reasons="程序有瑕疵,从轻")
    d = selectors.deductions_by_unit(case.decided_on.year)[cast.bajiao.pk]
    assert d.by_form == {} and d.mitigated_by_form == {Form.FIRST: 1}

    other = walk(person_case(cast, person=cast.p_bajiao_c), Stage.TRIAL)
    application = services.tolerance_apply(actor=cast.discipline, case=other, reason="r", evidence="e")
    services.tolerance_review(actor=cast.discipline, application=application, verdicts=ALL_YES, notes=NOTES,
                              outcome=ToleranceOutcome.EXEMPT, reasons="符合")
    other.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.case_decide(actor=cast.discipline, case=other, measure=Measure.TALK, decision_text="谈话",
                             basis="第八条", on=other.opened_on)
    assert exc.value.error_dict["measure"][0].code == "exempt"
    services.case_decide(actor=cast.discipline, case=other, measure=Measure.NONE, decision_text="免责",
                         basis="", on=other.opened_on)


def test_the_subject_appeals_inside_the_window_only(cast, duty, walk):
    case = walk(person_case(cast), Stage.DECIDED)
    with pytest.raises(PermissionDenied):
        services.appeal_file(actor=cast.baiguo_liaison, case=case, reason="不服")
    late = case.decided_on + timedelta(days=case.appeal_days + 1)
    with at(late), pytest.raises(ValidationError) as exc:
        services.appeal_file(actor=cast.bajiao_liaison, case=case, reason="不服")
    assert exc.value.code == "window_closed"
    case.refresh_from_db()
    assert case.stage == Stage.DECIDED
    services.appeal_file(actor=cast.bajiao_liaison, case=case, reason="事实不清")
    case.refresh_from_db()
    assert case.stage == Stage.APPEAL
    services.appeal_review(actor=cast.discipline, case=case, outcome="revoked", note="证据不足,撤销", on=lights.today())
    case.refresh_from_db()
    assert case.stage == Stage.REVIEWED and case.measure == Measure.NONE and not case.counts_against
    services.case_clear(actor=cast.discipline, case=case, text="经复查,张三同志不存在违规发放补贴问题,予以澄清正名。")
    case.refresh_from_db()
    assert case.cleared and "澄清" in case.cleared_text


def test_a_case_still_counting_cannot_be_cleared(cast, duty, walk):
    case = walk(person_case(cast), Stage.DECIDED)
    with pytest.raises(ValidationError) as exc:
        services.case_clear(actor=cast.discipline, case=case, text="澄清")
    assert exc.value.code == "not_clearable"


def test_not_filing_needs_a_reason_and_closes_the_case(cast, duty):
    case = person_case(cast)
    with pytest.raises(ValidationError) as exc:
        services.case_file(actor=cast.discipline, case=case, file=False, on=case.opened_on, note="")
    assert "note" in exc.value.error_dict
    services.case_file(actor=cast.discipline, case=case, file=False, on=case.opened_on, note="反映不实")
    case.refresh_from_db()
    assert case.stage == Stage.NOT_FILED and case.next_stages == () and not Case.objects.filter(parent=case).exists()


def test_statistics_count_by_form_and_unit_with_the_four_forms_shares(cast, duty, walk):
    walk(person_case(cast), Stage.DECIDED, measure=Measure.TALK)
    walk(person_case(cast, person=cast.p_bajiao_c), Stage.DECIDED, measure=Measure.LIGHT_DISCIPLINE)
    walk(unit_case(cast), Stage.DECIDED, measure=Measure.CIRCULAR)
    stats = selectors.statistics(year=lights.today().year)
    counts = {f["form"]: f["count"] for f in stats["forms"]}
    assert counts[Form.FIRST] == 1 and counts[Form.SECOND] == 1 and counts[Form.ORG] == 1
    assert [s["share"] for s in stats["shares"]] == [50.0, 50.0, 0.0, 0.0]
    units = {u["unit"]: u for u in stats["units"]}
    assert units["芭蕉侗族乡"]["total"] == 2 and units["白果乡"]["org"] == 1
    only_baiguo = selectors.statistics(year=lights.today().year, unit=cast.baiguo)
    assert only_baiguo["total"] == 1 and only_baiguo["four_total"] == 0


def test_the_evaluation_provider_deducts_by_form_over_the_unit_subtree_and_follows_tolerance(cast, duty, walk):
    from types import SimpleNamespace

    village = walk(person_case(cast, person=cast.p_village), Stage.DECIDED, measure=Measure.LIGHT_DISCIPLINE)
    walk(person_case(cast), Stage.DECIDED, measure=Measure.TALK)
    ctx = SimpleNamespace(year=village.decided_on.year, units=[(u.pk, u.path) for u in (
        cast.bajiao, cast.xiaojiaping, cast.baiguo)])
    points = selectors.evaluation_provider(ctx)
    assert points[cast.bajiao.pk] == {"points": 3, "count": 2}  # 2 (second form, its village) + 1 (first form)
    assert points[cast.xiaojiaping.pk] == {"points": 2, "count": 1} and cast.baiguo.pk not in points
    application = services.tolerance_apply(actor=cast.discipline, case=village, reason="r", evidence="e")
    services.tolerance_review(actor=cast.discipline, application=application,
                              verdicts=dict(ALL_YES, cond_procedure="no"), notes=NOTES,
                              outcome=ToleranceOutcome.MITIGATE, reasons="从轻")
    assert selectors.evaluation_provider(ctx)[cast.bajiao.pk] == {"points": 2, "count": 2}


def test_a_verified_big_data_lead_is_handed_on_as_a_case_against_the_named_person(cast):
    from duban.datacheck import services as datacheck
    from duban.datacheck.models import Lead, LeadStatus, Rule

    rule = Rule.objects.create(name="死亡人员仍领低保", author=cast.discipline)
    lead = Lead.objects.create(rule=rule, dedupe_key="k1", subject_key={"id": "x"}, summary="张三经手冒领低保",
                               status=LeadStatus.VERIFIED, assignee=cast.discipline, reason="经走访,家属冒领")
    with pytest.raises(ValidationError) as exc:
        datacheck.lead_escalate(actor=cast.discipline, lead=lead, target="case", data={"person": "987654"})
    assert "person" in exc.value.error_dict and not Case.objects.exists()
    datacheck.lead_escalate(actor=cast.discipline, lead=lead, target="case", data={"person": cast.p_bajiao_a.pk})
    case = Case.objects.get()
    lead.refresh_from_db()
    assert case.source_kind == SourceKind.BIGDATA and case.stage == Stage.INITIAL and case.facts == "经走访,家属冒领"
    assert lead.status == LeadStatus.ESCALATED and lead.escalated_object_type == "accountability.case"
    assert lead.escalated_object_id == str(case.pk)
    with pytest.raises(ValidationError):  # one case per lead
        services.case_from_lead(actor=cast.discipline, lead=lead, data={"person": cast.p_bajiao_a.pk})

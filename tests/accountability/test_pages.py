"""The 问责 pages driven like a person: the discipline role takes a 问责建议 through every stage;
outsiders get 404 and leave a ledger row; every view leaves ``case_viewed``; the subject sees their
own decision, applies for 容错 and appeals; the documents read back."""

import io
import re
from datetime import timedelta

import pytest
from docx import Document
from openpyxl import load_workbook

from duban.accountability import selectors, services
from duban.accountability.models import Case, CaseKind, Form, Measure, SourceKind, Stage, SubjectKind
from duban.core.models import AuditEntry
from duban.tasks import lights

pytestmark = pytest.mark.django_db



def TODAY():
    return lights.today().isoformat()


def views_of(case):
    return AuditEntry.objects.filter(event="case_viewed", object_type="accountability.case", object_id=str(case.pk))


def denials_of(case):
    return AuditEntry.objects.filter(event="authz_denied", object_type="accountability.case", object_id=str(case.pk))


def open_person_case(cast):
    return services.case_open(actor=cast.discipline, title="违规发放补贴", source_kind=SourceKind.PETITION,
                              source_label="信访件 2026-118", subject_kind=SubjectKind.PERSON,
                              person=cast.p_bajiao_a, facts="违规发放补贴 3 万元。")


def test_the_discipline_role_takes_a_proposal_through_every_stage(cast, login, proposal, duty):
    client = login(cast.discipline)
    page = client.get("/accountability/proposals/")
    assert page.status_code == 200 and "修建通村公路" in page.content.decode()
    response = client.post(f"/accountability/proposals/{proposal.pk}/open/")
    case = Case.objects.get(kind=CaseKind.MAIN)
    assert response.status_code == 302 and response["Location"] == f"/accountability/{case.pk}/"
    body = client.get(response["Location"]).content.decode()
    assert "业务责任人" in body and "张三" in body and "党建责任人" in body and "李四" in body
    assert "修建通村公路" not in client.get("/accountability/proposals/").content.decode()  # taken

    assert client.post(f"/accountability/{case.pk}/file/", {"file": "1", "on": TODAY(), "note": "",
                                                             "supervising_leader": ""}).status_code == 302
    twin = Case.objects.get(parent=case)
    body = client.get(f"/accountability/{case.pk}/").content.decode()
    assert twin.number in body and "陈分管" in client.get(f"/accountability/{twin.pk}/").content.decode()
    for stage in ("investigation", "trial"):
        assert client.post(f"/accountability/{case.pk}/advance/{stage}/", {"on": TODAY()}).status_code == 302
    response = client.post(f"/accountability/{case.pk}/decide/", {
        "measure": "criticism", "decision_text": "责令张三、李四作出书面检查,给予批评教育。",
        "basis": "《中国共产党问责条例》第八条", "on": TODAY(), "appeal_days": "30"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.DECIDED and case.form == Form.FIRST
    assert client.post(f"/accountability/{case.pk}/advance/executed/", {"on": TODAY()}).status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.EXECUTED
    assert [e.stage for e in case.stage_entries.all()] == ["initial", "filed", "investigation", "trial", "decided",
                                                             "executed"]
    assert all(e.decided_by == cast.discipline for e in case.stage_entries.all())


def test_a_stage_out_of_order_or_a_decision_without_its_fields_answers_400_and_changes_nothing(cast, login, duty):
    case = open_person_case(cast)
    client = login(cast.discipline)
    response = client.post(f"/accountability/{case.pk}/decide/", {
        "measure": "talk", "decision_text": "谈话提醒", "basis": "第八条", "on": TODAY(), "appeal_days": "30"})
    assert response.status_code == 400 and "只有审理阶段的事项才能作出决定" in response.content.decode()
    response = client.post(f"/accountability/{case.pk}/advance/trial/", {"on": TODAY()})
    assert response.status_code == 400 and "阶段之后不能进入" in response.content.decode()
    client.post(f"/accountability/{case.pk}/file/", {"file": "1", "on": TODAY()})
    for stage in ("investigation", "trial"):
        client.post(f"/accountability/{case.pk}/advance/{stage}/", {"on": TODAY()})
    response = client.post(f"/accountability/{case.pk}/decide/", {"measure": "", "decision_text": "", "basis": "",
                                                                  "on": TODAY(), "appeal_days": "30"})
    assert response.status_code == 400 and "请选择问责方式" in response.content.decode()
    response = client.post(f"/accountability/{case.pk}/decide/", {
        "measure": "circular", "decision_text": "通报", "basis": "第八条", "on": TODAY(), "appeal_days": "30"})
    assert response.status_code == 400 and "不能用于个人" in response.content.decode()
    case.refresh_from_db()
    assert case.stage == Stage.TRIAL and case.measure == "" and not AuditEntry.objects.filter(
        event="case_decide").exists()


@pytest.mark.parametrize("who", ["bajiao_liaison", "leader", "supervisor", "bajiao_admin", "auditor", "sysadmin"])
def test_anyone_but_the_discipline_role_gets_404_for_a_case_and_leaves_a_ledger_row(cast, login, duty, who):
    case = open_person_case(cast)
    client = login(getattr(cast, who))
    for url in (f"/accountability/{case.pk}/", f"/accountability/{case.pk}/decision.docx"):
        response = client.get(url)
        assert response.status_code == 404
        assert case.title not in response.content.decode() and case.number not in response.content.decode()
    assert client.get("/accountability/999999/").status_code == 404  # the same answer as a missing case
    assert denials_of(case).filter(actor_id=getattr(cast, who).pk).exists()
    assert not views_of(case).exists()
    assert client.get("/accountability/").status_code == 403


def test_every_view_is_recorded_and_the_auditor_lists_who_looked_at_what(cast, login, duty):
    case = open_person_case(cast)
    client = login(cast.discipline)
    client.get(f"/accountability/{case.pk}/")
    client.get(f"/accountability/{case.pk}/")
    assert views_of(case).filter(actor_id=cast.discipline.pk).count() == 2
    login(cast.bajiao_liaison).get(f"/accountability/{case.pk}/")  # refused: 404 and a row
    client = login(cast.auditor)
    body = client.get("/accountability/views/").content.decode()
    assert case.number in body and "discipline" in body
    assert "bajiao" in body and "无权查阅(已拒绝)" in body
    assert client.get(f"/accountability/{case.pk}/").status_code == 404  # listing views is not reading cases


def test_a_grant_lets_one_user_read_one_case_and_that_view_is_recorded(cast, login, duty):
    case = open_person_case(cast)
    other = open_person_case(cast)
    client = login(cast.discipline)
    assert client.post(f"/accountability/{case.pk}/grants/", {"user": cast.supervisor.pk}).status_code == 302
    response = client.post(f"/accountability/{case.pk}/grants/", {"user": cast.discipline.pk})
    assert response.status_code == 400 and "本来就能查看" in response.content.decode()
    client = login(cast.supervisor)
    assert client.get(f"/accountability/{case.pk}/").status_code == 200
    assert client.get(f"/accountability/{other.pk}/").status_code == 404
    assert views_of(case).filter(actor_id=cast.supervisor.pk).count() == 1
    assert client.post(f"/accountability/{case.pk}/advance/investigation/", {"on": TODAY()}).status_code == 403
    assert case.number in client.get("/accountability/mine/").content.decode()


def test_the_subject_sees_their_own_decision_applies_for_tolerance_and_the_review_clears_them(cast, login, duty,
                                                                                               walk):
    case = walk(open_person_case(cast), Stage.DECIDED)
    year = case.decided_on.year
    assert selectors.deductions_by_unit(year)[cast.bajiao.pk].by_form == {Form.FIRST: 1}
    from duban.notices.models import Notice

    notice = Notice.objects.get(person=cast.p_bajiao_a, dedupe_key__startswith="accountability-decided")
    assert notice.url == f"/accountability/mine/{case.pk}/" and case.number in notice.title
    assert case.facts not in notice.title + notice.body  # the notice carries no detail of the case
    client = login(cast.bajiao_liaison)  # 张三, the subject
    assert case.number in client.get("/accountability/mine/").content.decode()
    assert client.get(f"/accountability/{case.pk}/").status_code == 404  # not the case file itself
    body = client.get(f"/accountability/mine/{case.pk}/").content.decode()
    assert "批评教育" in body and "申请容错" in body
    assert views_of(case).filter(actor_id=cast.bajiao_liaison.pk, data__as="subject").count() == 1
    response = client.post(f"/accountability/mine/{case.pk}/tolerance/", {"reason": "", "evidence": ""})
    assert response.status_code == 400 and not case.tolerance_applications.exists()
    response = client.post(f"/accountability/mine/{case.pk}/tolerance/", {
        "reason": "补贴发放系落实乡党委会议决定,属先行先试", "evidence": "乡党委会议纪要(2026年第9次)"})
    assert response.status_code == 302
    application = case.tolerance_applications.get()

    client = login(cast.discipline)
    incomplete = {"test_experience": "yes", "test_experience_note": "首次试点", "test_trial": "",
                  "test_public": "yes", "test_public_note": "未谋私利", "cond_procedure": "yes",
                  "cond_no_gain": "yes", "cond_remedied": "yes", "outcome": "exempt", "outcome_reasons": "符合",
                  "reviewed_on": TODAY()}
    response = client.post(f"/accountability/tolerance/{application.pk}/review/", incomplete)
    assert response.status_code == 400 and "请逐项认定" in response.content.decode()
    full = dict(incomplete, test_trial="yes", test_trial_note="当时无禁止性规定")
    assert client.post(f"/accountability/tolerance/{application.pk}/review/", full).status_code == 302
    case.refresh_from_db()
    assert case.tolerance == "exempt"
    after = selectors.deductions_by_unit(year)[cast.bajiao.pk]
    assert after.by_form == {} and after.exempted == 1
    assert Notice.objects.filter(person=cast.p_bajiao_a, dedupe_key__startswith="accountability-tolerance").exists()
    client = login(cast.bajiao_liaison)
    assert "免责" in client.get(f"/accountability/mine/{case.pk}/").content.decode()


def test_an_outsider_cannot_see_or_act_on_someone_elses_decision(cast, login, duty, walk):
    case = walk(open_person_case(cast), Stage.DECIDED)
    client = login(cast.baiguo_liaison)
    assert case.number not in client.get("/accountability/mine/").content.decode()
    for url in (f"/accountability/mine/{case.pk}/", f"/accountability/{case.pk}/decision.docx"):
        assert client.get(url).status_code == 404
    assert client.post(f"/accountability/mine/{case.pk}/appeal/", {"reason": "x"}).status_code == 404
    assert client.post(f"/accountability/mine/{case.pk}/tolerance/", {"reason": "x", "evidence": "y"}).status_code \
        == 404
    case.refresh_from_db()
    assert case.stage == Stage.DECIDED and not case.tolerance_applications.exists()


def test_an_appeal_after_its_window_is_refused(cast, login, duty, walk):
    long_ago = lights.today() - timedelta(days=40)
    old = walk(services.case_open(actor=cast.discipline, title="旧案", source_kind=SourceKind.REPORT,
                                  source_label="来信", subject_kind=SubjectKind.PERSON, person=cast.p_bajiao_a,
                                  facts="x", opened_on=long_ago), Stage.DECIDED)
    client = login(cast.bajiao_liaison)
    body = client.get(f"/accountability/mine/{old.pk}/").content.decode()
    assert 'id="appeal-form"' not in body
    response = client.post(f"/accountability/mine/{old.pk}/appeal/", {"reason": "不服"})
    assert response.status_code == 400 and "申诉期限已过" in response.content.decode()
    old.refresh_from_db()
    assert old.stage == Stage.DECIDED and not AuditEntry.objects.filter(event="case_appeal").exists()
    case = walk(open_person_case(cast), Stage.DECIDED)
    assert 'id="appeal-form"' in client.get(f"/accountability/mine/{case.pk}/").content.decode()
    assert client.post(f"/accountability/mine/{case.pk}/appeal/", {"reason": "事实不清"}).status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.APPEAL and case.appeal.reason == "事实不清"
    response = login(cast.discipline).post(f"/accountability/{case.pk}/appeal-review/", {
        "outcome": "changed", "measure": "talk", "note": "改为谈话提醒", "on": TODAY()})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == Stage.REVIEWED and case.measure == Measure.TALK and case.appeal.outcome == "changed"


def test_the_decision_document_reads_back_with_number_measure_and_subjects(cast, login, duty, walk):
    case = walk(open_person_case(cast), Stage.DECIDED, measure=Measure.ADMONISH)
    for user in (cast.discipline, cast.bajiao_liaison):
        response = login(user).get(f"/accountability/{case.pk}/decision.docx")
        assert response.status_code == 200
        assert "attachment" in response["Content-Disposition"]
        text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
        assert case.number in text and "诫勉" in text and "第一种形态" in text and "张三" in text
        assert "中共恩施市纪律检查委员会" in text and "关于违规发放补贴的问责决定" in text
    assert views_of(case).count() == 2


def test_statistics_page_and_workbook_show_the_four_forms_shares(cast, login, duty, walk):
    walk(open_person_case(cast), Stage.DECIDED, measure=Measure.TALK)
    client = login(cast.discipline)
    body = client.get(f"/accountability/stats/?year={lights.today().year}").content.decode()
    assert 'id="forms-chart"' in body and "data-chart=" in body and "100.0%" in body
    assert "<script>" not in body and "style=" not in body
    chart = re.search(r'data-chart="([^"]*)"', body).group(1)
    assert "第一种形态" in chart
    response = client.get(f"/accountability/stats.xlsx?year={lights.today().year}")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert ("第一种形态", 1, 100.0) in rows
    unit_rows = list(wb.worksheets[1].iter_rows(values_only=True))
    assert unit_rows[1][0] == "芭蕉侗族乡" and unit_rows[1][-1] == 1
    assert client.get("/accountability/stats/?year=abc").status_code == 400


def test_a_case_opened_by_hand_needs_its_source_and_subject(cast, login, duty, proposal):
    client = login(cast.discipline)
    response = client.post("/accountability/new/", {
        "title": "大数据比对发现重复领取", "source_kind": "bigdata", "source_label": "", "subject_kind": "person",
        "facts": "比对发现重复领取低保。", "opened_on": TODAY()})
    assert response.status_code == 400 and "请填写来源说明" in response.content.decode()
    response = client.post("/accountability/new/", {
        "title": "大数据比对发现重复领取", "source_kind": "bigdata", "source_label": "线索 DC-2026-7",
        "subject_kind": "person", "facts": "比对发现重复领取低保。", "opened_on": TODAY()})
    assert response.status_code == 400 and "请选择问责对象(个人)" in response.content.decode()
    response = client.post("/accountability/new/", {
        "title": "整改不力", "source_kind": "task", "source_ref": "999999", "subject_kind": "unit",
        "unit": cast.bajiao.pk, "facts": "x", "opened_on": TODAY()})
    assert response.status_code == 400 and "不存在" in response.content.decode()
    assert not Case.objects.exists()
    response = client.post("/accountability/new/", {
        "title": "大数据比对发现重复领取", "source_kind": "bigdata", "source_label": "线索 DC-2026-7",
        "subject_kind": "person", "person": cast.p_village.pk, "facts": "比对发现重复领取低保。",
        "opened_on": TODAY()})
    assert response.status_code == 302
    assert Case.objects.get().unit == cast.xiaojiaping
    response = client.post("/accountability/new/", {
        "title": "通村公路逾期", "source_kind": "task", "source_ref": proposal.task_id, "subject_kind": "unit",
        "unit": cast.bajiao.pk, "facts": "任务逾期未完成。", "opened_on": TODAY()})
    assert response.status_code == 302
    case = Case.objects.get(source_kind="task")
    assert case.source_type.model == "task" and case.source_id == proposal.task_id
    response = client.post("/accountability/new/", {
        "title": "再次受理", "source_kind": "task", "source_ref": proposal.task_id, "subject_kind": "unit",
        "unit": cast.bajiao.pk, "facts": "x", "opened_on": TODAY()})
    assert response.status_code == 400 and case.number in response.content.decode()  # one case per source


def test_the_duty_links_page_records_who_carries_the_party_building_duty(cast, login, leader_person):
    client = login(cast.discipline)
    response = client.post("/accountability/duty/", {"unit": cast.bajiao.pk, "party_person": cast.p_baiguo.pk,
                                                     "supervising_leader": "", "responsibility": "supervisory"})
    assert response.status_code == 400 and "党建责任人应是本单位人员" in response.content.decode()
    response = client.post("/accountability/duty/", {"unit": cast.bajiao.pk, "party_person": cast.p_bajiao_b.pk,
                                                     "supervising_leader": leader_person.pk,
                                                     "responsibility": "principal"})
    assert response.status_code == 302
    body = client.get("/accountability/duty/").content.decode()
    assert "李四" in body and "陈分管" in body and "主体责任" in body

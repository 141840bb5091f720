"""问责 in Chromium: a 问责建议 raised by the 督办 scan for an overdue task becomes a case, is decided
with the first form, the subject applies for 容错 on a 390 px phone, the review clears them, and the
unit's deduction for the evaluation goes away."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from accountability.conftest import duty, leader_person, proposal  # noqa: F401  (fixtures shared with tests/accountability)
from duban.accountability import selectors
from duban.accountability.models import Case, CaseKind, Stage
from duban.evaluation import services as evaluation
from duban.evaluation.models import GradeMethod, UnitCategory, UnitScore
from duban.tasks import lights

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, user, password):
    page.goto(page.base_url + "/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_proposal_becomes_a_case_is_decided_and_the_subjects_tolerance_clears_the_units_deduction(
        cast, chromium, live_server, proposal, duty):  # noqa: F811 - the imported fixtures
    ctx = SimpleNamespace(year=None, units=[(cast.bajiao.pk, cast.bajiao.path)])

    desk = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 900})
    desk.set_default_timeout(10_000)
    page = desk.new_page()
    page.base_url = live_server.url
    sign_in(page, cast.discipline, cast.password)
    page.goto(page.base_url + "/accountability/")
    page.get_by_role("link", name="待受理的问责建议").click()
    page.get_by_role("button", name="受理为问责事项").click()
    page.wait_for_selector("#file-form")
    case = Case.objects.get(kind=CaseKind.MAIN)
    assert "张三" in page.inner_text("#case-subjects") and "李四" in page.inner_text("#case-subjects")
    page.select_option("#file-form select[name=file]", "1")
    page.click("#file-form button[type=submit]")
    page.wait_for_selector("#twin")
    page.click("#advance-investigation button[type=submit]")
    page.wait_for_selector("#advance-trial")
    page.click("#advance-trial button[type=submit]")
    page.wait_for_selector("#decide-form")
    page.select_option("#decide-form select[name=measure]", "criticism")
    page.fill("#decide-form textarea[name=decision_text]", "对张三、李四进行批评教育。")
    page.fill("#decide-form textarea[name=basis]", "《中国共产党问责条例》第八条")
    page.click("#decide-form button[type=submit]")
    page.wait_for_selector("#case-decision")
    assert "批评教育" in page.inner_text("#case-decision") and "第一种形态" in page.inner_text("#case-decision")
    case.refresh_from_db()
    assert case.stage == Stage.DECIDED
    ctx.year = case.decided_on.year
    assert selectors.evaluation_provider(ctx)[cast.bajiao.pk]["count"] == 1
    scheme = evaluation.scheme_create(
        actor=cast.supervisor, name="年度乡镇考评", year=ctx.year, category=UnitCategory.TOWNSHIP,
        grade_method=GradeMethod.THRESHOLDS, excellent=90, good=80, fair=60,
        items=[{"source": "completion", "name": "任务完成率", "weight": "100"},
               {"source": "accountability", "name": "问责扣分", "weight": "10"}])

    def accountability_cell():
        result = evaluation.evaluation_compute(actor=cast.supervisor, scheme=scheme, as_of=lights.today())
        item = scheme.items.get(source="accountability")
        return Decimal(UnitScore.objects.get(evaluation=result, unit=cast.bajiao).items[str(item.pk)]["score"])

    assert accountability_cell() == Decimal(-1)  # 第一种形态: one point off 芭蕉

    phone = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 390, "height": 844},
                                 is_mobile=True, has_touch=True)
    phone.set_default_timeout(10_000)
    mobile = phone.new_page()
    mobile.base_url = live_server.url
    sign_in(mobile, cast.bajiao_liaison, cast.password)  # 张三, the post's business responsible person
    mobile.goto(mobile.base_url + "/accountability/mine/")
    assert fits(mobile)
    mobile.get_by_role("link", name=case.title).click()
    mobile.wait_for_selector("#apply-form")
    assert fits(mobile)
    mobile.fill("#apply-form textarea[name=reason]", "该路段按乡党委会议决定先行先试代建,非明知故犯")
    mobile.fill("#apply-form textarea[name=evidence]", "乡党委会议纪要(2026年第9次)")
    mobile.click("#apply-form button[type=submit]")
    mobile.wait_for_selector("text=待审核")
    assert fits(mobile)

    page.goto(page.base_url + f"/accountability/{case.pk}/")
    page.wait_for_selector("#review-form")
    for name, note in (("test_experience", "首次推行村道代建"), ("test_trial", "当时无禁止性规定"),
                       ("test_public", "为赶工期,未谋私利")):
        page.select_option(f"#review-form select[name={name}]", "yes")
        page.fill(f"#review-form textarea[name={name}_note]", note)
    for name in ("cond_procedure", "cond_no_gain", "cond_remedied"):
        page.select_option(f"#review-form select[name={name}]", "yes")
    page.select_option("#review-form select[name=outcome]", "exempt")
    page.fill("#review-form textarea[name=outcome_reasons]", "三个区分开来均符合,予以免责")
    page.click("#review-form button[type=submit]")
    page.wait_for_selector("#case-tolerance")
    assert "免责" in page.inner_text("#case-tolerance")
    assert cast.bajiao.pk not in selectors.evaluation_provider(ctx)
    assert accountability_cell() == Decimal(0)  # 免责: the unit's score no longer loses the point
    assert selectors.deductions_by_unit(ctx.year)[cast.bajiao.pk].exempted == 1

    mobile.goto(mobile.base_url + f"/accountability/mine/{case.pk}/")
    assert "免责" in mobile.inner_text("#case-tolerance") and fits(mobile)

    page.goto(page.base_url + f"/accountability/stats/?year={ctx.year}")
    page.wait_for_selector("#forms-chart canvas")
    desk.close()

    phone.close()

    # the discipline officer's own pages on a phone too
    phone = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 390, "height": 844},
                                 is_mobile=True, has_touch=True)
    phone.set_default_timeout(10_000)
    mobile = phone.new_page()
    mobile.base_url = live_server.url
    sign_in(mobile, cast.discipline, cast.password)
    for url in (f"/accountability/{case.pk}/", "/accountability/", "/accountability/duty/",
                f"/accountability/stats/?year={ctx.year}"):
        mobile.goto(mobile.base_url + url)
        assert fits(mobile), url
    mobile.wait_for_selector("#forms-chart canvas")
    assert fits(mobile)
    phone.close()

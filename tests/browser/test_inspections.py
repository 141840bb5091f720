"""巡察 in a real browser: the office plans a round from the planner's proposal, records a finding,
feeds it back; the township (on a 390 px phone) submits its rectification plan and evidence; the
office approves 销号; a 回头看 reopens it; the coverage chart moves. No unit page scrolls sideways."""

from datetime import date, timedelta

import pytest

from duban.inspections import services
from duban.inspections.models import Finding, Rectification, Round, TeamMember
from duban.orgs import services as org
from duban.tasks import lights
from duban.tasks.models import TaskStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% rectified\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "media")}}}
    return tmp_path / "media"


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def sign_in(page, user, password):
    page.goto(page.base_url + "/accounts/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def _world(cast):
    today = lights.today()
    services.term_create(actor=cast.supervisor, name="第十五届任期", start_date=date(today.year, 1, 1))
    inspectors = [org.person_create(name=n, unit=cast.city, title="巡察干部") for n in ("钱一", "周二", "吴三", "郑四")]
    for p in inspectors:
        services.pool_add(actor=cast.supervisor, person=p)
    services.history_add(actor=cast.supervisor, person=inspectors[0], unit=cast.bajiao,
                         start_year=today.year - 3, end_year=today.year - 1)
    services.relative_add(actor=cast.supervisor, person=inspectors[1], name="陈五", relation="配偶", unit=cast.baiguo)
    return inspectors


def test_a_round_from_the_planner_to_a_reopened_rectification(page, chromium, live_server, cast, media, tmp_path):
    _world(cast)
    today = lights.today()
    # The office plans: one team of two, three units per team, two rounds a year.
    sign_in(page, cast.supervisor, cast.password)
    page.goto(page.base_url + "/inspections/coverage/")
    page.wait_for_selector("#coverage-chart[data-rendered]")
    assert page.get_attribute("#coverage-chart", "data-rendered") == "0"
    assert page.inner_text("#coverage-percent") == "0.0%"
    page.goto(page.base_url + "/inspections/planner/")
    page.get_by_label("每组巡察单位数").fill("3")
    page.get_by_label("每轮巡察组数").fill("1")
    page.get_by_label("每年轮次数").fill("2")
    page.get_by_label("每组人数").fill("2")
    page.get_by_role("button", name="生成规划").click()
    page.wait_for_selector("#plan-result")
    assert "可以全覆盖" in page.inner_text("#plan-result")
    page.fill("#plan-create input[name=name]", "按规划第一轮巡察")
    page.click("#plan-create button[type=submit]")
    page.wait_for_url(lambda url: "/inspections/" in url and "planner" not in url)
    round_ = Round.objects.get(name="按规划第一轮巡察")
    members = set(TeamMember.objects.filter(team__round=round_).values_list("person__name", flat=True))
    assert members == {"吴三", "郑四"}  # 钱一 (芭蕉, 回避) and 周二 (白果, 回避) are left out

    # A finding on 芭蕉, then the feedback.
    page.get_by_role("link", name="记录问题").click()
    page.get_by_label("责任单位").select_option(str(cast.bajiao.pk))
    page.get_by_label("问题类别").select_option("discipline")
    page.get_by_label("问题描述").fill("“三重一大”事项未经集体研究")
    page.get_by_label("事实依据").fill("2026年3份会议记录缺失")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("text=“三重一大”事项未经集体研究")
    finding = Finding.objects.get()

    # Before the feedback the township gets 404 for the round.
    phone = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE, is_mobile=True,
                                 has_touch=True)
    phone.set_default_timeout(10_000)
    mobile = phone.new_page()
    mobile.base_url = live_server.url
    sign_in(mobile, cast.bajiao_liaison, cast.password)
    assert mobile.goto(mobile.base_url + f"/inspections/{round_.pk}/").status == 404

    page.click("#feedback-form button[type=submit]")
    page.wait_for_selector(f"#rectify-{finding.pk}")
    page.fill(f"#rectify-{finding.pk} input[name=r{finding.pk}-due_date]", (today + timedelta(days=30)).isoformat())
    page.fill(f"#rectify-{finding.pk} textarea", "建立“三重一大”集体决策台账")
    page.click(f"#rectify-{finding.pk} button[type=submit]")
    page.wait_for_selector("#task-status")
    rect = Rectification.objects.get()

    # The township, on its phone: its findings, the plan, the evidence.
    mobile.goto(mobile.base_url + "/inspections/mine/")
    assert "“三重一大”事项未经集体研究" in mobile.inner_text("main")
    assert fits(mobile)
    mobile.get_by_role("link", name=rect.task.title).click()
    mobile.wait_for_selector("#plan-form")
    assert fits(mobile)
    mobile.fill("#plan-form textarea[name=measures]", "1. 修订议事规则;2. 补开党委会集体研究")
    mobile.click("#plan-form button[type=submit]")
    mobile.wait_for_selector("#evidence-form")
    pdf = tmp_path / "整改报告.pdf"
    pdf.write_bytes(PDF)
    mobile.fill("#evidence-form textarea[name=narrative]", "已修订议事规则并补开会议")
    mobile.set_input_files("#evidence-form input[type=file]", str(pdf))
    mobile.click("#evidence-form button[type=submit]")
    mobile.wait_for_selector("text=等待巡察办销号")
    assert fits(mobile)
    rect.refresh_from_db()
    assert rect.task.status == TaskStatus.COMPLETION_REQUESTED

    # The office approves 销号; the coverage chart has moved (the round fed back: all three units).
    page.goto(page.base_url + f"/inspections/rectifications/{rect.pk}/")
    page.click("#close-form button[type=submit]")
    page.wait_for_selector("#followup-form")
    rect.refresh_from_db()
    assert rect.closed_on == today and rect.task.status == TaskStatus.COMPLETED
    page.goto(page.base_url + "/inspections/coverage/")
    page.wait_for_selector("#coverage-chart[data-rendered]")
    assert page.get_attribute("#coverage-chart", "data-rendered") == "3"
    assert page.inner_text("#coverage-percent") == "100.0%"
    assert page.locator("#coverage-chart svg").count() == 1

    # 回头看: the problem came back; the finding is reopened.
    page.goto(page.base_url + f"/inspections/rectifications/{rect.pk}/")
    page.select_option("#followup-form select[name=result]", "regressed")
    page.fill("#followup-form textarea[name=note]", "回访发现仍有事项未上会")
    page.click("#followup-form button[type=submit]")
    page.wait_for_selector("text=已记录回头看结果")
    rect.refresh_from_db()
    assert rect.closed_on is None and rect.task.status == TaskStatus.IN_PROGRESS
    assert "问题反弹" in page.inner_text("main")
    phone.close()

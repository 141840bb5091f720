"""The dashboard and the 申诉 flow in a real browser: a leader clicks a township's red-light bar in
the ECharts chart and lands on the matching filtered list; a township files an objection on a
phone and sees the recomputed score after the 督查室 accepts it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from duban.evaluation import services
from duban.tasks import lights, search
from duban.tasks.models import Task, TaskStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def fits(page):
    wide = page.evaluate("""(limit) => [...document.querySelectorAll('main, main *')]
        .filter(el => el.getBoundingClientRect().right > limit + 1 || el.scrollWidth > el.clientWidth + 1
                      && getComputedStyle(el).overflowX !== 'visible' && el.tagName !== 'SELECT')
        .map(el => el.tagName + '.' + el.className)""", PHONE["width"])
    assert wide == [], f"{page.url}: {wide[:5]}"


def _task(title, unit, due, status=TaskStatus.IN_PROGRESS):
    return Task.objects.add_root({"title": title, "lead_unit": unit, "due_date": due, "status": status,
                                  "start_date": min(due, date(2026, 1, 1)), "search_bigrams": search.bigrams(title)})


def test_a_leader_clicks_a_townships_red_bar_and_lands_on_the_matching_list(ui, cast):
    page = ui.page
    today = lights.today()
    _task("芭蕉逾期甲", cast.bajiao, today - timedelta(days=5))
    _task("肖家坪逾期乙", cast.xiaojiaping, today - timedelta(days=9))
    _task("芭蕉正常丙", cast.bajiao, today + timedelta(days=40))
    _task("白果逾期丁", cast.baiguo, today - timedelta(days=2))
    page.set_viewport_size(PHONE)
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    ui.login(cast.leader.username, cast.password)
    ui.goto("/dashboard/")
    chart = page.locator('[data-chart="units"]')
    expect(chart).to_have_attribute("data-loaded", "1")
    fits(page)
    expect(page.locator('[data-overview="red"] .dash-value')).to_have_text("3")
    assert refused == []  # the charts draw without anything the CSP refuses
    chart.scroll_into_view_if_needed()
    # Where ECharts drew 芭蕉's red bar (the first series): the middle of its length.
    x, y = page.evaluate("""() => {
        const c = window.dubanCharts.units;
        const axis = c.getOption().yAxis[0].data;
        const i = axis.findIndex(name => name.startsWith('芭蕉'));
        const red = c.getOption().series[0].data[i];
        return c.convertToPixel({seriesIndex: 0}, [red / 2, i]);
    }""")
    box = chart.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url(f"**/tasks/list/?unit={cast.bajiao.pk}&light=red")
    rows = page.locator("main")
    expect(rows).to_contain_text("芭蕉逾期甲")
    expect(rows).to_contain_text("肖家坪逾期乙")
    expect(rows).not_to_contain_text("芭蕉正常丙")
    expect(rows).not_to_contain_text("白果逾期丁")


def test_a_township_objects_on_a_phone_and_sees_the_recomputed_score_after_acceptance(ui, cast, chromium,
                                                                                      live_server):
    from evaluation.world import build

    w = build(cast)
    today = lights.today()
    services.evaluation_publish(actor=cast.supervisor, evaluation=w.evaluation, start=today,
                                end=today + timedelta(days=7))
    before = w.evaluation.scores.get(unit=cast.bajiao).total
    page = ui.page
    page.set_viewport_size(PHONE)
    ui.login(cast.bajiao_liaison.username, cast.password)
    ui.goto(f"/evaluation/{w.evaluation.pk}/units/{cast.bajiao.pk}/")
    expect(page.get_by_test_id("total")).to_have_text(str(before))
    fits(page)
    page.get_by_role("link", name="提出申诉").click()
    page.get_by_label("考评项目").select_option(label="整改完成")
    page.get_by_label("申诉理由").fill("进度滞后问题已整改到位,任务未及时办结")
    page.get_by_label("证据说明").fill("整改报告 芭政文〔2026〕9号")
    fits(page)
    page.get_by_role("button", name="提交申诉").click()
    expect(page.locator("main")).to_contain_text("申诉已提交")

    office = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    other = office.new_page()
    other.goto(live_server.url + "/accounts/login/")
    other.get_by_label("用户名").fill(cast.supervisor.username)
    other.get_by_label("密码").fill(cast.password)
    other.get_by_role("button", name="登录").click()
    other.wait_for_url(lambda url: "/accounts/login/" not in url)
    other.goto(live_server.url + f"/evaluation/{w.evaluation.pk}/")
    other.get_by_label("答复意见").fill("经核实,整改已完成")
    other.get_by_label("调整分值").fill("5")
    other.get_by_role("button", name="答复", exact=True).click()
    expect(other.locator("main")).to_contain_text("已答复申诉")
    office.close()

    page.reload()
    expect(page.get_by_test_id("total")).to_have_text(f"{before + 5:.2f}")
    expect(page.locator("main")).to_contain_text("经核实,整改已完成")

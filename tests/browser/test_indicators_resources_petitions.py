"""Indicators, resource requests and petition warnings in a real browser on a 390 px phone:
a liaison enters an indicator value and sees the ranking; a township files a resource request for
a task, the department forwards it, the leading-group office grants it and it becomes a task; a
group petition above the threshold raises an orange warning that the responsible unit's acting
holder sees in the inbox. No page scrolls sideways."""

from datetime import date

import pytest
from playwright.sync_api import expect

from castlib import PASSWORD
from duban.indicators import services as indicator_services
from duban.resources.models import ResourceRequest
from duban.tasks import services as task_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
ID1 = "11010519491231002X"
ID2 = "440524188001010014"


def fits(page):
    wide = page.evaluate("""(limit) => [...document.querySelectorAll('main, main *')]
        .filter(el => el.getBoundingClientRect().right > limit + 1 || el.scrollWidth > el.clientWidth + 1
                      && getComputedStyle(el).overflowX !== 'visible' && el.tagName !== 'SELECT')
        .map(el => el.tagName + '.' + el.className)""", PHONE["width"])
    assert wide == [], f"{page.url}: {wide[:5]}"


def account(username, role, unit):
    from duban.accounts import services as acc
    from duban.accounts.models import User

    user = acc.user_create(actor=None, username=username, password=PASSWORD, full_name=username, unit=unit,
                           must_change_password=False)
    User.objects.filter(pk=user.pk).update(role=role)
    user.refresh_from_db()
    return user


def test_a_liaison_enters_an_indicator_value_on_a_phone_and_sees_the_rank(ui, cast):
    indicator = indicator_services.indicator_save(actor=cast.supervisor, code="FIRMS", name="规上工业企业数",
                                                  measure="家", start_year=2016, end_year=2020,
                                                  responsible_units=[cast.bajiao])
    group = indicator_services.peer_group_create(actor=cast.supervisor, name="恩施州8县市", self_name="恩施市",
                                                 members=["恩施市", "建始县", "咸丰县"])
    members = {m.name: m for m in group.members.all()}
    indicator_services.peer_value_save(actor=cast.supervisor, indicator=indicator, member=members["建始县"],
                                       period="2016", value=75)
    indicator_services.peer_value_save(actor=cast.supervisor, indicator=indicator, member=members["咸丰县"],
                                       period="2016", value=90)
    page = ui.page
    page.set_viewport_size(PHONE)
    ui.login(cast.bajiao_liaison.username, PASSWORD)
    ui.goto("/indicators/")
    fits(page)
    page.get_by_role("link", name="规上工业企业数").click()
    page.get_by_label("期间").first.fill("2016")
    page.get_by_label("实际值").fill("85")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("实际值已保存。")).to_be_visible()
    rows = page.locator("#ranking tbody tr")
    expect(rows.nth(1)).to_contain_text("恩施市")
    expect(rows.nth(1)).to_contain_text("2")
    expect(page.locator(".duban-chart canvas").first).to_be_visible()
    fits(page)


def test_a_township_request_is_forwarded_granted_and_becomes_a_task(ui, cast):
    from duban.core.roles import Role
    from duban.orgs import services as org
    from duban.orgs.models import UnitKind

    office = org.unit_create(name="乡村振兴领导小组办公室", parent=cast.city, kind=UnitKind.PARTY, code="LGO")
    dept = org.unit_create(name="农业农村局", parent=office, kind=UnitKind.GOVERNMENT, code="NYJ")
    town = org.unit_create(name="红土乡", parent=dept, kind=UnitKind.TOWNSHIP, code="HT")
    town_user = account("hongtu", Role.LIAISON, town)
    dept_user = account("nyj_admin", Role.UNIT_ADMIN, dept)
    office_user = account("lgo", Role.SUPERVISOR, office)
    task = task_services.task_create(actor=office_user, title="茶叶基地产业路建设", lead_unit=town,
                                     start_date=date.today(), due_date=date(2027, 6, 30))
    task_services.task_assign(actor=office_user, task=task)

    page = ui.page
    page.set_viewport_size(PHONE)
    ui.login(town_user.username, PASSWORD)
    ui.goto("/resources/")
    fits(page)
    page.get_by_role("link", name="提出申请").click()
    page.get_by_label("类别").select_option("funds")
    page.get_by_label("事项").fill("产业路硬化资金")
    page.get_by_label("申请数量").fill("50")
    page.get_by_label("单位(万元、亩、人…)").fill("万元")
    page.get_by_label("理由").fill("茶叶基地 3 公里运输道路")
    page.get_by_label("服务的任务").select_option(str(task.pk))
    page.get_by_label("报送单位").select_option(str(dept.pk))
    fits(page)
    page.get_by_role("button", name="报送").click()
    expect(page.get_by_text("申请已报送农业农村局。")).to_be_visible()
    fits(page)

    page.context.clear_cookies()
    ui.login(dept_user.username, PASSWORD)
    ui.goto("/resources/")
    page.locator("#held").get_by_text("产业路硬化资金").click()
    fits(page)
    page.get_by_label("上报至").select_option(str(office.pk))
    page.get_by_role("button", name="上报").click()
    expect(page.get_by_text("已上报。")).to_be_visible()

    page.context.clear_cookies()
    ui.login(office_user.username, PASSWORD)
    ui.goto("/resources/")
    page.locator("#held").get_by_text("产业路硬化资金").click()
    page.locator("select[name=outcome]").select_option("full")
    page.get_by_label("批准后转为本单位的落实任务").check()
    page.get_by_role("button", name="保存决定").click()
    expect(page.get_by_text("决定已保存。")).to_be_visible()
    expect(page.locator("#status")).to_have_text("全额批准")
    page.locator("#created-task").click()
    expect(page.get_by_role("heading", name="落实要素保障")).to_be_visible()
    request = ResourceRequest.objects.get()
    assert request.created_task.lead_unit == office

    page.context.clear_cookies()
    ui.login(town_user.username, PASSWORD)
    ui.goto("/resources/")
    expect(page.locator("#own")).to_contain_text("全额批准")
    fits(page)


def test_a_group_petition_raises_an_orange_warning_in_the_acting_holders_inbox(ui, cast):
    page = ui.page
    ui.login(cast.supervisor.username, PASSWORD)
    ui.goto("/petitions/new/")
    page.get_by_label("登记日期").fill(date.today().isoformat())
    page.get_by_label("渠道").select_option("visit")
    page.get_by_label("地点").fill("芭蕉乡政府")
    page.get_by_label("事项类别").fill("劳资纠纷")
    page.get_by_label("信访事项").fill("工地拖欠 12 名工人工资")
    page.get_by_label("人数").fill("12")
    page.get_by_label("责任单位").select_option(str(cast.bajiao.pk))
    page.get_by_label("信访人(每行:姓名,身份证号,电话)").fill(f"王某,{ID1},13800001111\n李某,{ID2}")
    page.get_by_role("button", name="登记").click()
    expect(page.locator("#warnings")).to_contain_text("橙色")

    page.set_viewport_size(PHONE)
    page.context.clear_cookies()
    ui.login(cast.bajiao_liaison.username, PASSWORD)  # 张三, the A holder of 芭蕉's liaison post
    ui.goto("/notices/")
    fits(page)
    page.get_by_text("橙色预警").first.click()
    expect(page.locator("#warnings")).to_contain_text("集体访 12 人")
    expect(page.locator("#petitioners")).to_contain_text("1101**********002X")
    expect(page.locator("#petitioners")).not_to_contain_text(ID1)
    fits(page)

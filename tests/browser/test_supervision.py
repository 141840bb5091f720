"""Supervision in a real browser: an overdue task's 督办单 reaches the township, whose liaison
answers it with a file on a 390 px phone; the 督查室 finds the reply in the task's 办理记录 and
prints the 督办单. No page scrolls sideways."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from duban.supervision.models import Order
from duban.supervision.scan import scan
from duban.tasks import lights
from duban.tasks import services as tasks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "media")}}}
    return tmp_path / "media"


def fits(page):
    wide = page.evaluate("""(limit) => [...document.querySelectorAll('main, main *')]
        .filter(el => el.getBoundingClientRect().right > limit + 1 || el.scrollWidth > el.clientWidth + 1
                      && getComputedStyle(el).overflowX !== 'visible' && el.tagName !== 'SELECT')
        .map(el => el.tagName + '.' + el.className)""", PHONE["width"])
    assert wide == [], f"{page.url}: {wide[:5]}"


def travel(day):
    return time_machine.travel(datetime.combine(day, time(8), tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


def scan_on(day):
    with travel(day):
        scan()


def test_an_overdue_task_gets_a_dubandan_that_the_township_answers_on_a_phone(ui, cast, media, tmp_path):
    today = lights.today()
    with travel(today - timedelta(days=90)):
        task = tasks.task_create(actor=cast.supervisor, title="集镇污水管网改造", lead_unit=cast.bajiao,
                                 start_date=today - timedelta(days=90), due_date=today - timedelta(days=30),
                                 responsible_post=cast.post_bajiao, reporting_cycle="none")
        tasks.task_assign(actor=cast.supervisor, task=task)
        tasks.task_acknowledge(actor=cast.bajiao_liaison, task=task)
    scan_on(today - timedelta(days=1))  # 催办
    scan_on(today)  # the next rung: 督办单
    order = Order.objects.get(task=task)

    page = ui.page
    page.set_viewport_size(PHONE)
    ui.login(cast.bajiao_liaison.username, cast.password)
    ui.goto("/supervision/orders/")
    card = page.locator(f"#order-{order.pk}")
    expect(card).to_contain_text(order.number)
    expect(card).to_contain_text("集镇污水管网改造")
    fits(page)
    card.get_by_label("回复内容").fill("已召开专题会议,制定整改方案,月底前完成管网改造。")
    upload = tmp_path / "整改方案.pdf"
    upload.write_bytes(PDF)
    card.get_by_label("附件").set_input_files(str(upload))
    card.get_by_role("button", name="提交回复").click()
    expect(page.get_by_role("alert").first).to_contain_text(f"已回复督办单 {order.number}")
    fits(page)

    page.set_viewport_size({"width": 1366, "height": 900})
    page.context.clear_cookies()
    ui.login(cast.supervisor.username, cast.password)
    ui.goto(f"/tasks/{task.pk}/")
    timeline = page.locator("table.timeline")
    expect(timeline).to_contain_text("已召开专题会议,制定整改方案")
    expect(timeline).to_contain_text("整改方案.pdf")
    ui.goto(f"/supervision/task/{task.pk}/order/")
    expect(page.locator("article.gongwen")).to_contain_text(order.number)
    expect(page.locator("article.gongwen")).to_contain_text("芭蕉侗族乡:")

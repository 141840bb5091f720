"""The task lifecycle's notices in a real browser (issue 8): the 督查室 issues a 督办单 from the
panel on an overdue task's page; while A is on leave the township's acting holder (B) sees the
unread count in the header, opens the notice from the inbox and replies with a file; the 督查室
reads the reply in the task's 办理记录. A returned completion request shows in the liaison's
退回待办 tab, counted on the home page. Phone pages do not scroll sideways."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from duban.orgs import services as org
from duban.orgs.models import AbsenceKind
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
        .filter(el => !el.closest('.visually-hidden'))  // 1 px screen-reader text, clipped on purpose
        .filter(el => el.getBoundingClientRect().right > limit + 1 || el.scrollWidth > el.clientWidth + 1
                      && getComputedStyle(el).overflowX !== 'visible' && el.tagName !== 'SELECT')
        .map(el => el.tagName + '.' + el.className)""", PHONE["width"])
    assert wide == [], f"{page.url}: {wide[:5]}"


def travel(day):
    return time_machine.travel(datetime.combine(day, time(8), tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


def test_a_dubandan_from_the_task_page_reaches_the_acting_holder_who_answers_it_from_the_inbox(ui, cast, media,
                                                                                                tmp_path):
    today = lights.today()
    with travel(today - timedelta(days=60)):
        task = tasks.task_create(actor=cast.supervisor, title="农村饮水安全巩固提升", lead_unit=cast.bajiao,
                                 start_date=today - timedelta(days=60), due_date=today - timedelta(days=10),
                                 responsible_post=cast.post_bajiao, reporting_cycle="none")
        tasks.task_assign(actor=cast.supervisor, task=task)
        tasks.task_acknowledge(actor=cast.bajiao_liaison, task=task)
    org.absence_create(person=cast.p_bajiao_a, kind=AbsenceKind.LEAVE, start=today, end=today + timedelta(days=5))

    page = ui.page
    ui.login(cast.supervisor.username, cast.password)
    ui.goto(f"/tasks/{task.pk}/")
    panel = page.locator("#supervision-panel")
    expect(panel).to_be_visible()
    panel.get_by_role("button", name="下发督办单").click()
    expect(page.get_by_role("alert").first).to_contain_text("督办单")
    number = page.get_by_role("alert").first.inner_text().split("督办单", 1)[1].split("已下发")[0].strip()
    assert number.startswith("督〔")

    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    ui.login(cast.bajiao_b.username, cast.password)  # B acts while A (张三) is on leave
    ui.goto("/")
    expect(page.locator("#notice-unread")).to_be_visible()
    page.locator("#notice-bell").click()
    item = page.locator(".notice-list li", has_text=number)
    expect(item).to_contain_text("因A角张三请假,由B角李四代办")
    fits(page)
    item.get_by_role("button", name=f"督办单 {number}:农村饮水安全巩固提升").click()
    page.wait_for_url("**/supervision/orders/**")
    card = page.locator("article, section, div.card", has_text=number).first
    card.get_by_label("回复内容").fill("已完成水源地保护和管网延伸,正在验收。")
    upload = tmp_path / "验收方案.pdf"
    upload.write_bytes(PDF)
    card.get_by_label("附件").set_input_files(str(upload))
    card.get_by_role("button", name="提交回复").click()
    expect(page.get_by_role("alert").first).to_contain_text(number)
    fits(page)

    page.set_viewport_size({"width": 1366, "height": 900})
    page.context.clear_cookies()
    ui.login(cast.supervisor.username, cast.password)
    ui.goto(f"/tasks/{task.pk}/")
    timeline = page.locator("table.timeline")
    expect(timeline).to_contain_text("下发督办单")
    expect(timeline).to_contain_text("回复督办单")
    expect(timeline).to_contain_text("已完成水源地保护和管网延伸")
    expect(timeline).to_contain_text("验收方案.pdf")


def test_a_returned_completion_request_waits_in_the_liaisons_returned_tab(ui, cast, media):
    today = lights.today()
    task = tasks.task_create(actor=cast.supervisor, title="村级活动场所标准化建设", lead_unit=cast.bajiao,
                             start_date=today, due_date=today + timedelta(days=40), responsible_post=cast.post_bajiao)
    tasks.task_assign(actor=cast.supervisor, task=task)
    tasks.task_acknowledge(actor=cast.bajiao_liaison, task=task)
    tasks.task_start(actor=cast.bajiao_liaison, task=task)
    from django.core.files.uploadedfile import SimpleUploadedFile

    tasks.task_request_completion(actor=cast.bajiao_liaison, task=task, narrative="已建成",
                                  files=[SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")])

    page = ui.page
    ui.login(cast.supervisor.username, cast.password)
    ui.goto(f"/tasks/{task.pk}/")
    action = page.locator("#action-return")
    action.get_by_label("理由").fill("缺少竣工验收照片")
    action.get_by_role("button", name="退回").click()
    expect(page.get_by_role("alert").first).to_contain_text("退回")

    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    ui.login(cast.bajiao_liaison.username, cast.password)
    ui.goto("/")
    card = page.locator("#home-returned")
    expect(card).to_contain_text("1")
    card.click()
    tab = page.get_by_role("link", name="退回待办")
    expect(tab).to_have_attribute("aria-current", "page")
    expect(tab).to_contain_text("1")
    row = page.locator("#todo-panel tr", has_text="村级活动场所标准化建设")
    expect(row).to_contain_text("缺少竣工验收照片")
    fits(page)
    row.get_by_role("link", name="重新办理").click()
    expect(page.locator("#returned-note")).to_contain_text("缺少竣工验收照片")
    expect(page.locator("#notice-unread")).to_be_visible()

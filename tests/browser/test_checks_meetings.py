"""Checks and meetings on a phone (390 px wide) in a real browser: the 督查室 records an
unannounced check, a finding with a photo and its rectification task; the township cannot see
the check until it is published. A leading group's decision becomes a task with its light.
No page scrolls sideways."""

import struct
import zlib
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from duban.checks.models import Check, Finding
from duban.meetings import services as meeting_services
from duban.orgs.models import LeadingGroup, LeadingGroupMember
from duban.tasks import lights
from duban.tasks.models import TaskStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def media(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "media")}}}
    return tmp_path / "media"


def png(path):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))
    return path


def fits(page):
    """Nothing in the page's content reaches past the phone's width. (The shared top bar in
    base.html is measured by its own tests, not here.)"""
    wide = page.evaluate("""(limit) => [...document.querySelectorAll('main, main *')]
        .filter(el => el.getBoundingClientRect().right > limit + 1 || el.scrollWidth > el.clientWidth + 1
                      && getComputedStyle(el).overflowX !== 'visible' && el.tagName !== 'SELECT')
        .map(el => el.tagName + '.' + el.className)""", PHONE["width"])
    assert wide == [], f"{page.url}: {wide[:5]}"


def test_an_unannounced_check_on_a_phone_from_record_to_rectification_and_publication(ui, cast, media, tmp_path):
    page = ui.page
    page.set_viewport_size(PHONE)
    today = lights.today()
    ui.login(cast.supervisor.username, cast.password)
    ui.goto("/checks/new/")
    fits(page)
    page.get_by_label("督查名称").fill("集镇环境卫生暗访")
    page.get_by_label("方式").select_option("covert")
    page.get_by_label("开始日期").fill(today.isoformat())
    page.get_by_label("结束日期").fill((today + timedelta(days=1)).isoformat())
    page.get_by_label("被督查单位").select_option([str(cast.bajiao.pk)])
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("暗访尚未通报")).to_be_visible()
    fits(page)
    check = Check.objects.get(title="集镇环境卫生暗访")

    page.get_by_role("link", name="记录问题").click()
    page.get_by_label("责任单位").select_option(str(cast.bajiao.pk))
    page.get_by_label("问题描述").fill("集镇主街垃圾堆放未清理。")
    page.get_by_label("整改时限").fill((today + timedelta(days=7)).isoformat())
    page.get_by_label("照片/材料").set_input_files(str(png(tmp_path / "现场照片.png")))
    fits(page)
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("link", name="现场照片.png")).to_be_visible()
    fits(page)
    page.get_by_role("button", name="生成整改任务并交办").click()
    page.wait_for_url(lambda url: "/tasks/" in url)
    finding = Finding.objects.get(check_run=check)
    assert finding.task.status == TaskStatus.ASSIGNED and finding.task.lead_unit == cast.bajiao

    ui.page.context.clear_cookies()
    ui.login(cast.bajiao_liaison.username, cast.password)
    response = page.goto(f"{page.base_url}/checks/{check.pk}/")
    assert response.status == 404
    ui.goto("/checks/")
    fits(page)
    expect(page.get_by_text("集镇环境卫生暗访")).to_have_count(0)

    ui.page.context.clear_cookies()
    ui.login(cast.supervisor.username, cast.password)
    ui.goto(f"/checks/{check.pk}/")
    page.get_by_role("button", name="通报被督查单位").click()
    expect(page.get_by_text("已通报,被督查单位现在可以看到本次督查")).to_be_visible()
    ui.goto("/checks/bulletin/")
    fits(page)

    ui.page.context.clear_cookies()
    ui.login(cast.bajiao_liaison.username, cast.password)
    ui.goto("/checks/")
    page.get_by_role("link", name="集镇环境卫生暗访").click()
    expect(page.get_by_text("集镇主街垃圾堆放未清理。", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="整改:集镇主街垃圾堆放未清理。")).to_be_visible()
    fits(page)


def test_a_leading_group_decision_becomes_a_task_on_a_phone_and_shows_its_light(ui, cast):
    page = ui.page
    page.set_viewport_size(PHONE)
    group = LeadingGroup.objects.create(name="全市乡村振兴工作领导小组", leader=cast.p_bajiao_a, office_unit=cast.office)
    LeadingGroupMember.objects.create(group=group, person=cast.p_bajiao_b)
    meeting = meeting_services.meeting_create(
        actor=cast.supervisor, group=group, title="全市乡村振兴工作领导小组2026年第一次会议", date=lights.today(),
        place="市委常委会议室", chair=cast.p_bajiao_a, agenda=["研究茶叶产业发展"],
        attendance=[{"person": cast.p_bajiao_a, "present": True},
                    {"person": cast.p_bajiao_b, "present": False, "reason": "市外出差"}])
    ui.login(cast.supervisor.username, cast.password)
    ui.goto("/meetings/")
    fits(page)
    page.get_by_role("link", name="全市乡村振兴工作领导小组").click()
    fits(page)
    ui.goto(f"/meetings/groups/{group.pk}/new/")
    fits(page)
    ui.goto(f"/meetings/{meeting.pk}/")
    page.get_by_label("议定事项").fill("芭蕉侗族乡年内建成标准化茶园500亩。")
    page.get_by_label("牵头单位").select_option(str(cast.bajiao.pk))
    page.get_by_label("完成时限").fill((lights.today() + timedelta(days=60)).isoformat())
    page.get_by_role("button", name="添加").click()
    expect(page.get_by_text("已添加议定事项。")).to_be_visible()
    fits(page)
    page.get_by_role("button", name="生成任务并交办").click()
    expect(page.get_by_text("已生成任务并交办给芭蕉侗族乡。")).to_be_visible()
    expect(page.locator(f"#decision-{meeting.decisions.get().pk} .light-green")).to_be_visible()
    ui.goto(f"/meetings/groups/{group.pk}/")
    expect(page.locator(".light-green")).to_have_count(1)
    fits(page)

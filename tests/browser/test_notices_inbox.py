"""The inbox in a real browser on a 390 px phone: the bell's count, opening a notice, no sideways
scrolling on the inbox and the settings pages."""

import pytest

from duban.notices.models import NoticeKind, UnitChannel
from duban.notices.services import notice_send, notices_send_bulk

# `phone` is the shared 390×844 fixture of tests/browser/conftest.py.


def sign_in(page, user, password):
    page.goto(page.base_url + "/accounts/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def no_sideways_scroll(page):
    """Nothing in the page's content reaches past the phone's width (the shared top bar of
    base.html is measured by its own tests)."""
    wide = page.evaluate("""(limit) => [...document.querySelectorAll('main, main *')]
        .filter(el => el.getBoundingClientRect().right > limit + 1 || el.scrollWidth > el.clientWidth + 1
                      && getComputedStyle(el).overflowX !== 'visible' && el.tagName !== 'SELECT')
        .map(el => el.tagName + '.' + el.className)""", 390)
    assert wide == [], f"{page.url}: {wide[:5]}"
    return True


@pytest.mark.django_db(transaction=True)
def test_a_liaison_on_a_phone_sees_the_count_opens_a_notice_and_nothing_scrolls_sideways(cast, phone):
    notices_send_bulk(actor=cast.supervisor, items=[
        {"kind": NoticeKind.REMINDER, "title": f"催办:请于今日报送“农村人居环境整治”进展{i}", "to_post": cast.post_bajiao,
         "body": "该任务已逾期3天,请尽快报送进展并上传佐证材料。" * 3} for i in range(3)])
    notice_send(actor=cast.supervisor, kind=NoticeKind.RETURNED, title="办结申请被退回", url="/notices/settings/",
                body="退回理由:佐证材料不完整", to_post=cast.post_bajiao)
    sign_in(phone, cast.bajiao_liaison, cast.password)
    assert phone.locator("#notice-unread").inner_text().startswith("4")
    phone.locator("#notice-bell").click()
    phone.wait_for_url("**/notices/")
    assert no_sideways_scroll(phone)
    phone.get_by_role("button", name="办结申请被退回").click()
    phone.wait_for_url("**/notices/settings/")
    assert phone.locator("#notice-unread").inner_text().startswith("3")
    assert no_sideways_scroll(phone)
    phone.goto(phone.base_url + "/notices/?show=unread")
    phone.get_by_role("button", name="全部标为已读").click()
    phone.wait_for_load_state()
    assert phone.locator("#notice-unread").count() == 0
    assert "已将 3 条通知标为已读" in phone.content()


@pytest.mark.django_db(transaction=True)
def test_the_unit_robot_page_fits_a_phone(cast, phone):
    UnitChannel.objects.create(unit=cast.bajiao, channel="dingtalk", secret="SECx",
                               webhook_url="https://oapi.dingtalk.com/robot/send?access_token=" + "a" * 64)
    sign_in(phone, cast.bajiao_admin, cast.password)
    phone.goto(phone.base_url + "/notices/units/")
    assert "已设置加签" in phone.content() and "SECx" not in phone.content()
    assert no_sideways_scroll(phone)

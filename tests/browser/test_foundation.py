"""The foundation as a person meets it: sign in, browse the unit tree, open a post and see who is
acting for it today (A on leave → B), switch the interface to English and back."""

from datetime import timedelta

import pytest
from django.utils import timezone

from duban.orgs import services as org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_browse_the_tree_open_a_post_see_the_acting_holder_and_switch_language(ui, cast):
    today = timezone.localdate()
    org.absence_create(person=cast.p_bajiao_a, kind="leave", start=today - timedelta(days=1), end=today + timedelta(days=2))
    page = ui.page

    ui.login(cast.supervisor.username, cast.password)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="单位").click()
    page.get_by_role("heading", level=1).wait_for()
    page.get_by_role("link", name="芭蕉侗族乡").first.click()
    page.get_by_role("heading", level=1, name="芭蕉侗族乡").wait_for()

    page.get_by_role("link", name="督办联络员").first.click()
    page.get_by_role("heading", level=1, name="督办联络员").wait_for()
    acting = page.locator("#post-acting").inner_text()
    assert "李四" in acting and "由B角代行" in acting and "张三" in acting

    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", level=1).wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    page.screenshot(path="var/test-artifacts/foundation_en.png", full_page=True)
    assert page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Units").is_visible()
    assert "B holder" in page.locator("#post-acting").inner_text() or "acting" in page.locator("#post-acting").inner_text()

    page.get_by_role("button", name="简体中文").click()
    page.get_by_role("navigation", name="主导航").wait_for()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.screenshot(path="var/test-artifacts/foundation_post.png", full_page=True)

"""The directory pages in a real browser: htmx tree expansion, search, the acting-date picker and
the post form's holder choices following the unit. Found by role and label, as people do."""

from datetime import timedelta

import pytest

from duban.orgs import selectors
from duban.orgs import services as org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

def test_a_supervisor_expands_the_unit_tree_and_searches_it(ui, cast):
    ui.login(cast.supervisor.username, cast.password)
    ui.goto("/orgs/units/")
    page = ui.page
    assert page.get_by_role("heading", level=1, name="单位").is_visible()
    tree = page.get_by_role("list", name="单位树")
    assert tree.get_by_role("link", name="芭蕉侗族乡").is_visible()
    assert page.get_by_role("link", name="肖家坪村").count() == 0
    # Opening 芭蕉侗族乡 fetches its children.
    tree.locator("summary", has_text="芭蕉侗族乡").click()
    page.get_by_role("list", name="芭蕉侗族乡的下级单位").get_by_role("link", name="肖家坪村").wait_for()
    page.get_by_label("按名称或别名搜索单位").fill("白果")
    results = page.get_by_role("list", name="搜索结果")
    results.wait_for()
    assert results.get_by_role("link", name="白果乡").is_visible()
    assert results.get_by_role("link", name="芭蕉侗族乡").count() == 0


def test_a_supervisor_asks_who_acts_for_a_post_on_another_day(ui, cast):
    today = selectors.today()
    absence = org.absence_create(person=cast.p_bajiao_a, kind="leave", start=today + timedelta(days=10),
                                 end=today + timedelta(days=12))
    ui.login(cast.supervisor.username, cast.password)
    ui.goto(f"/orgs/posts/{cast.post_bajiao.pk}/")
    page = ui.page
    assert page.get_by_role("heading", level=1, name="督办联络员").is_visible()
    assert page.get_by_text("A角在岗").first.is_visible()
    page.get_by_label("查询日期").fill(str(absence.start))
    page.get_by_label("查询日期").dispatch_event("change")
    page.get_by_text("由B角代行").wait_for()
    assert "李四" in page.locator("#post-acting").inner_text()


def test_the_post_form_offers_the_people_of_the_chosen_unit(ui, cast):
    ui.login(cast.supervisor.username, cast.password)
    ui.goto("/orgs/posts/new/")
    page = ui.page
    page.get_by_label("岗位名称").fill("信息员")
    page.get_by_label("单位").select_option(label="\u3000白果乡")
    # (wait on the DOM, not wait_for_function: the page's CSP rightly forbids eval)
    page.get_by_label("A角").locator("option", has_text="赵六").wait_for(state="attached")
    assert page.get_by_label("岗位名称").input_value() == "信息员"
    page.get_by_label("A角").select_option(label="赵六(白果乡 · 党政办主任)")
    page.get_by_role("button", name="保存").click()
    page.get_by_role("heading", level=1, name="信息员").wait_for()
    assert page.get_by_text("已新建岗位“信息员”。").is_visible()

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_supervisor_logs_in_and_sees_the_home_page(ui, cast):
    ui.login(cast.supervisor.username, cast.password)
    assert ui.page.get_by_role("heading", level=1).inner_text().startswith("您好")
    assert ui.page.get_by_role("navigation", name="主导航").get_by_role("link", name="首页").is_visible()
    ui.page.screenshot(path="/tmp/home.png", full_page=True)

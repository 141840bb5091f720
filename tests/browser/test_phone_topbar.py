"""The shared top bar (base.html) on a 390 px phone, for every role that works from one: the bar
itself never reaches past the screen, the menu, the bell and the account menu stay reachable,
and the language switch moves into the account menu."""

import pytest

# `phone` is the shared 390×844 fixture of tests/browser/conftest.py.


def sign_in(page, username, password):
    page.goto(page.base_url + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def topbar_overflow(page):
    """The elements of the top bar whose right edge passes the viewport, and the bar's own overflow."""
    return page.evaluate("""() => {
        const bar = document.querySelector('nav.topbar');
        const out = [...bar.querySelectorAll('*')].filter(el => {
            const r = el.getBoundingClientRect();
            return r.width > 0 && r.right > window.innerWidth + 0.5;
        }).map(el => el.tagName + '.' + el.className);
        if (bar.scrollWidth > bar.clientWidth + 1) out.push('nav.topbar scrollWidth ' + bar.scrollWidth);
        return out;
    }""")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["bajiao", "bajiao_admin", "leader", "supervisor", "discipline"])
def test_the_top_bar_fits_a_phone_for_every_role_on_the_pages_they_open_first(cast, phone, who):
    sign_in(phone, who, cast.password)
    for path in ("/", "/notices/", "/tasks/todo/"):
        response = phone.goto(phone.base_url + path)
        if response.status != 200:  # a role without the page (e.g. todo for the discipline role)
            continue
        assert topbar_overflow(phone) == [], f"{who} {path}"
        for control in ("#notice-bell", "nav.topbar .dropdown-toggle", "nav.topbar [aria-controls=sidebar]"):
            assert phone.locator(control).is_visible(), f"{who} {path}: {control}"


@pytest.mark.django_db(transaction=True)
def test_on_a_phone_the_language_switch_and_the_name_are_in_the_account_menu(cast, phone):
    sign_in(phone, "bajiao", cast.password)
    phone.locator("nav.topbar .dropdown-toggle").click()
    menu = phone.locator("nav.topbar .dropdown-menu")
    assert "bajiao" in menu.inner_text() and "联络员" in menu.inner_text()
    menu.get_by_role("button", name="English").click()
    phone.wait_for_load_state()
    assert phone.locator("html").get_attribute("lang") == "en"
    assert topbar_overflow(phone) == []

"""Browser tests: a real headless Chromium (Debian's package) driven by Playwright.

A missing browser is a failure, never a skip: CI must run these.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("DUBAN_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("DUBAN_TEST_ARTIFACTS", "var/test-artifacts"))


@pytest.fixture(scope="session")
def _playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def chromium(_playwright):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (apt-get install chromium)")
    browser = _playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update",
              "--disable-sync", "--no-first-run"],
    )
    yield browser
    browser.close()


@pytest.fixture
def page(chromium, live_server, request):
    context = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.base_url = live_server.url
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


PHONE = {"width": 390, "height": 844}


def new_phone(chromium, base_url, **options):
    """A 390×844 touch screen in the shared browser. Not is_mobile: a mobile viewport zooms out to
    fit wide content, which would hide the very overflow the phone tests look for."""
    context = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE, has_touch=True,
                                   **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.base_url = base_url
    return page


@pytest.fixture
def phone(chromium, live_server, request):
    """A page in a 390×844 phone (is_mobile, touch); a failing test leaves a screenshot."""
    page = new_phone(chromium, live_server.url)
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-phone.png"), full_page=True)
    page.context.close()


def phone_sign_in(page, username, password):
    """Sign in through the login form (username: a string or a user)."""
    username = getattr(username, "username", username)
    page.goto(page.base_url + "/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.fixture
def sign_in():
    return phone_sign_in


@pytest.fixture
def overflow():
    """overflow(page) -> {"excess": px the page scrolls sideways, "culprits": [...]}."""
    return page_overflow


def page_overflow(page):
    """How far the page scrolls sideways (0 = it fits), and the widest elements that cause it."""
    return page.evaluate("""() => {
        const width = window.innerWidth, doc = document.documentElement;
        const culprits = [...document.querySelectorAll('body *')].filter(el => {
            const r = el.getBoundingClientRect();
            return r.width > 0 && r.right > width + 0.5;
        }).slice(0, 5).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                               + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : ''));
        return {excess: doc.scrollWidth - width, culprits};
    }""")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


class Pages:
    """Small page objects: each screen's actions, by role and label (STYLE.md §9)."""

    def __init__(self, page):
        self.page = page

    def goto(self, path):
        self.page.goto(self.page.base_url + path)

    def login(self, username, password):
        self.goto("/accounts/login/")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(password)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.fixture
def ui(page):
    return Pages(page)

"""IA-10 in a real browser: an administrator enrols an authenticator (QR code + secret), keeps the
recovery codes, and signs in again, from another browser, with a TOTP computed from the secret
the page showed."""

from base64 import b32decode

import pytest
from django_otp.oath import totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _code(secret_text: str, *, ahead: int = 0) -> str:
    raw = secret_text.replace(" ", "")
    return f"{totp(b32decode(raw + '=' * (-len(raw) % 8)), step=30, t0=0, digits=6, drift=ahead):06d}"


def _password_step(page, user, password):
    page.goto(page.base_url + "/accounts/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_an_administrator_enrols_and_signs_in_with_a_totp(page, chromium, cast, settings):
    settings.DUBAN_2FA_ROLES = ["sysadmin", "secadmin", "auditor", "discipline"]
    _password_step(page, cast.sysadmin, cast.password)
    page.wait_for_url("**/accounts/2fa/setup/")
    assert page.locator(".otp-qr svg").is_visible()
    # Nothing else opens before the second factor.
    page.goto(page.base_url + "/accounts/users/")
    assert "/accounts/login/" in page.url
    page.goto(page.base_url + "/accounts/2fa/setup/")
    secret = page.locator("[data-otp-secret]").inner_text()
    page.get_by_label("验证码").fill(_code(secret))
    page.get_by_role("button", name="完成绑定").click()
    assert page.locator("[data-recovery-codes] code").count() == 10
    page.get_by_role("link", name="我已保存,继续").click()
    page.goto(page.base_url + "/accounts/users/")
    assert "/accounts/login/" not in page.url and page.get_by_role("heading", level=1).first.is_visible()

    other = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        second = other.new_page()
        second.set_default_timeout(10_000)
        second.base_url = page.base_url
        _password_step(second, cast.sysadmin, cast.password)
        second.wait_for_url("**/accounts/2fa/verify/")
        # The enrolment used this step's code, so give the next step's (one step of tolerance).
        second.get_by_label("验证码").fill(_code(secret, ahead=1))
        second.get_by_role("button", name="验证").click()
        second.wait_for_url(lambda url: "/accounts/2fa/" not in url and "/accounts/login/" not in url)
        second.goto(second.base_url + "/accounts/users/")
        assert "/accounts/login/" not in second.url
    finally:
        other.close()

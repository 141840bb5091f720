"""The error pages as a person meets them with DEBUG off (as `make run` and a deployment serve):
400/403/404/500 in the site's layout, in Chinese and in English, each with a way back; under
/api/ the same failures answer the API's JSON ({"detail": …}), never an HTML page."""

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import Client, override_settings
from django.urls import include, path

import duban.urls


def _boom(request):
    raise RuntimeError("a bug in a view")


def _suspicious(request):
    raise SuspiciousOperation("tampered")


def _denied(request):
    raise PermissionDenied


# This module is the URLconf of the tests: the site's own routes plus three that fail on purpose.
urlpatterns = [
    path("boom/", _boom),
    path("api/boom/", _boom),
    path("suspicious/", _suspicious),
    path("denied/", _denied),
    path("", include(duban.urls.urlpatterns)),
]
handler400 = duban.urls.handler400
handler403 = duban.urls.handler403
handler404 = duban.urls.handler404
handler500 = duban.urls.handler500

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

TEXT = {
    "zh-hans": {400: "请求无效", 403: "无权访问", 404: "页面不存在", 500: "系统错误", "home": "返回首页"},
    "en": {400: "Bad request", 403: "Access denied", 404: "Page not found", 500: "Server error", "home": "Back to home"},
}
PATHS = {400: "/suspicious/", 403: "/denied/", 404: "/no-such-page/", 500: "/boom/"}


def client_in(language):
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE=language)
    return client


@override_settings(DEBUG=False)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("code", [400, 403, 404, 500])
def test_an_anonymous_visitor_gets_the_error_in_the_site_layout_with_a_way_home(code, language):
    response = client_in(language).get(PATHS[code])
    assert response.status_code == code
    html = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert f'<html lang="{language}">' in html
    assert TEXT[language][code] in html and TEXT[language]["home"] in html
    assert 'href="/"' in html
    assert "duban/css/app.css" in html  # the site's own layout, not Django's bare page
    assert "Traceback" not in html and "URLconf" not in html and "a bug in a view" not in html


@override_settings(DEBUG=False)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("code", [403, 404, 500])
def test_a_signed_in_liaison_gets_the_error_inside_the_menu_and_top_bar(cast, code, language):
    client = client_in(language)
    client.force_login(cast.bajiao_liaison)
    response = client.get(PATHS[code])
    assert response.status_code == code
    html = response.content.decode()
    assert TEXT[language][code] in html and TEXT[language]["home"] in html
    if code != 500:  # 403/404 keep the sidebar; the 500 page is minimal on purpose
        assert 'id="sidebar"' in html and 'id="notice-bell"' in html


@override_settings(DEBUG=False)
def test_the_500_page_renders_without_the_database_or_context_processors(monkeypatch):
    from duban.core import context_processors

    def broken(request):
        raise RuntimeError("context processor down")

    monkeypatch.setattr(context_processors, "navigation", broken)
    response = client_in("zh-hans").get("/boom/")
    assert response.status_code == 500
    assert "系统错误" in response.content.decode()


@override_settings(DEBUG=False)
def test_a_task_outside_the_users_scope_is_a_chinese_404_without_url_patterns(cast, login):
    client = login(cast.bajiao_liaison)
    response = client.get("/tasks/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "页面不存在" in html and "返回首页" in html
    assert "URLconf" not in html and "api/" not in html


@override_settings(DEBUG=False)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_under_api_a_404_and_a_500_answer_json(language):
    client = client_in(language)
    missing = client.get("/api/no-such-endpoint/")
    assert missing.status_code == 404
    assert missing["Content-Type"].startswith("application/json")
    assert missing.json()["detail"]
    crashed = client.get("/api/boom/")
    assert crashed.status_code == 500
    assert crashed["Content-Type"].startswith("application/json")
    assert crashed.json() == {"detail": {"zh-hans": "系统出错了,我们已记录此问题,请稍后重试。",
                                         "en": "Something went wrong on our side; it has been logged. Please try again later."}[language]}


def test_the_500_handler_makes_no_database_query(rf, django_assert_num_queries, db):
    from duban.core.views import server_error

    request = rf.get("/somewhere/")
    with django_assert_num_queries(0):
        response = server_error(request)
    assert response.status_code == 500 and "系统错误" in response.content.decode()

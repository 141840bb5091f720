"""Every page a liaison, the 督查室 or a leader opens fits a 390×844 phone: the page never
scrolls sideways (document.documentElement.scrollWidth <= innerWidth), for each role; and the
liaison's everyday flow — 签收 and 报送进展 with a photo — is driven at that size."""

import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from duban.tasks import lights
from duban.tasks import services as svc
from duban.tasks.models import ProgressReport

PAGES = {
    # role: the pages that role uses ("{task}" is a task of 芭蕉's they may all see)
    "bajiao": ["/", "/tasks/todo/", "/tasks/todo/?tab=returned", "/tasks/list/", "/tasks/{task}/",
               "/notices/", "/supervision/orders/", "/accountability/mine/"],
    "supervisor": ["/", "/tasks/todo/", "/tasks/list/", "/tasks/{task}/", "/tasks/sources/", "/notices/",
                   "/supervision/orders/", "/supervision/listed/", "/supervision/proposals/", "/checks/",
                   "/meetings/", "/indicators/", "/petitions/", "/resources/", "/tasks/settings/"],
    "leader": ["/", "/tasks/list/", "/tasks/{task}/", "/notices/", "/dashboard/", "/evaluation/", "/checks/",
               "/meetings/", "/indicators/", "/petitions/", "/resources/", "/supervision/listed/"],
}


def a_task(cast, title="建设芭蕉侗族乡茶叶示范基地(二期)标准化茶园", acknowledged=False):
    category = svc.category_create(actor=cast.supervisor, name="经济发展")
    task = svc.task_create(actor=cast.supervisor, title=title, detail="新建标准化茶园 500 亩,带动 200 户增收。" * 3,
                           category=category, lead_unit=cast.bajiao, responsible_post=cast.post_bajiao,
                           start_date=lights.today(), due_date=lights.today() + timedelta(days=40),
                           reporting_cycle="monthly", co_units=[cast.baiguo])
    task = svc.task_assign(actor=cast.supervisor, task=task)
    if acknowledged:
        task = svc.task_acknowledge(actor=cast.bajiao_liaison, task=task)
    return task


def test_the_login_page_fits_a_phone(live_server, phone, overflow):
    phone.goto(phone.base_url + "/accounts/login/")
    result = overflow(phone)
    assert result["excess"] <= 0, result


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", sorted(PAGES))
def test_every_page_of_the_role_fits_a_390px_phone(cast, phone, sign_in, overflow, who):
    task = a_task(cast)
    sign_in(phone, who, cast.password)
    seen = []
    for path in PAGES[who]:
        url = phone.base_url + path.format(task=task.pk)
        response = phone.goto(url)
        assert response.status == 200, f"{who} {path}: {response.status}"
        result = overflow(phone)
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"{who} {path}: {result}"
        seen.append(path)
        # The menu is one tap away on every page.
        assert phone.locator("nav.topbar [aria-controls=sidebar]").is_visible(), f"{who} {path}"
    assert seen == PAGES[who]


@pytest.mark.django_db(transaction=True)
def test_the_menu_collapses_and_opens_on_a_phone(cast, phone, sign_in):
    sign_in(phone, "bajiao", cast.password)
    sidebar = phone.locator("#sidebar")
    expect(sidebar).not_to_be_in_viewport()
    phone.locator("nav.topbar [aria-controls=sidebar]").click()
    expect(sidebar.get_by_role("link", name="我的待办")).to_be_visible()
    sidebar.get_by_role("link", name="我的待办").click()
    phone.wait_for_url("**/tasks/todo/")


@pytest.mark.django_db(transaction=True)
def test_a_liaison_acknowledges_and_reports_with_a_photo_on_a_phone(cast, phone, sign_in, overflow, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "media")}}}
    task = a_task(cast, title="芭蕉茶园道路硬化")
    photo = tmp_path / "现场照片.jpg"
    from PIL import Image

    Image.new("RGB", (16, 16), (40, 120, 40)).save(photo, format="JPEG")  # evidence pictures must decode
    sign_in(phone, "bajiao", cast.password)
    phone.goto(phone.base_url + "/tasks/todo/")
    assert overflow(phone)["excess"] <= 0
    phone.get_by_role("link", name="芭蕉茶园道路硬化").first.click()
    expect(phone.get_by_role("heading", level=1, name="芭蕉茶园道路硬化")).to_be_visible()
    assert overflow(phone)["excess"] <= 0

    acknowledge = phone.get_by_role("region", name="签收").get_by_role("button", name="签收")
    acknowledge.scroll_into_view_if_needed()
    box = acknowledge.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 36  # reachable, thumb-sized
    acknowledge.tap()
    expect(phone.get_by_role("alert").filter(has_text="签收")).to_be_visible()
    assert overflow(phone)["excess"] <= 0

    region = phone.get_by_role("region", name="报送进展")
    region.get_by_label("进展情况").fill("道路路基已完成 2 公里。")
    region.get_by_label("完成进度(%)").fill("30")
    upload = region.get_by_label("附件")
    accept = upload.get_attribute("accept") or ""
    assert "image/*" in accept, accept  # the phone offers its camera and photo library
    upload.set_input_files([str(photo)])
    button = region.get_by_role("button", name="报送进展")
    button.scroll_into_view_if_needed()
    assert button.bounding_box()["x"] + button.bounding_box()["width"] <= 390
    # A double tap sends the form once (app.js drops the second submit): count the POSTs that
    # leave the browser, each held back a little as on a slow mobile network.
    sent = []

    def slow(route):
        sent.append(route.request.method)
        time.sleep(0.3)
        route.continue_()

    phone.route("**/tasks/*/report/", slow)
    # Two taps, the second before the answer. A listener on window (it runs after app.js's) notes
    # for each submit whether it was let through; sessionStorage keeps the notes across the page
    # load that follows.
    button.evaluate("""b => {
        window.addEventListener('submit', e => {
            const seen = JSON.parse(sessionStorage.getItem('submits') || '[]');
            seen.push(e.defaultPrevented ? 'dropped' : 'sent');
            sessionStorage.setItem('submits', JSON.stringify(seen));
        });
        b.click(); b.click();
    }""")
    expect(phone.get_by_role("alert").filter(has_text="进展已报送")).to_be_visible()
    assert overflow(phone)["excess"] <= 0
    assert sent == ["POST"]
    assert phone.evaluate("JSON.parse(sessionStorage.getItem('submits'))") == ["sent", "dropped"]
    assert ProgressReport.objects.filter(task=task).count() == 1
    report = ProgressReport.objects.get(task=task)
    assert report.percent == 30


# --- bad input from a phone (plain HTTP: no browser needed) ---------------------------------------

# a HEIC header with no picture in it (real HEIC photos are accepted: tests/tasks/test_sec_evidence.py)
HEIC = (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200)


@pytest.mark.django_db
def test_a_broken_heic_file_from_a_phone_is_refused_with_a_clear_message_and_nothing_stored(cast, login, settings,
                                                                                      tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "media")}}}
    task = a_task(cast, acknowledged=True)
    client = login(cast.bajiao_liaison)
    photo = SimpleUploadedFile("IMG_0001.HEIC", HEIC, content_type="image/heic")
    response = client.post(f"/tasks/{task.pk}/report/", {"report-narrative": "现场照片", "report-percent": "20",
                                                                "report-files": [photo]})
    assert response.status_code == 400
    html = response.content.decode()
    import re
    errors = " ".join(re.findall(r'class="invalid-feedback[^"]*"[^>]*>(.*?)</', html, re.DOTALL))
    assert "类型不允许" in html and "只接受 jpg" in html, errors or html[-3000:]
    assert ProgressReport.objects.filter(task=task).count() == 0
    assert not (tmp_path / "media").exists() or not any((tmp_path / "media").rglob("*.*"))


# --- the PWA shell --------------------------------------------------------------------------------

def test_the_site_links_a_web_app_manifest_with_192_and_512_icons(client, db):
    import json
    import re
    import struct

    html = client.get("/accounts/login/").content.decode()
    href = re.search(r'<link rel="manifest" href="([^"]+)"', html).group(1)
    manifest = json.loads(b"".join(client.get(href).streaming_content) if hasattr(client.get(href), "streaming_content")
                          else client.get(href).content)
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone" and manifest["name"]
    base = href.rsplit("/", 1)[0] + "/"
    sizes = {}
    for icon in manifest["icons"]:
        response = client.get(base + icon["src"])
        data = b"".join(response.streaming_content) if hasattr(response, "streaming_content") else response.content
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])
        assert icon["sizes"] == f"{width}x{height}"
        sizes[width] = height
    assert sizes == {192: 192, 512: 512}
    assert "serviceWorker" not in html  # no offline writes: no service worker at all


@pytest.mark.django_db
def test_a_stale_page_submitted_after_someone_else_changed_the_task_is_a_chinese_409_with_a_reload_link(cast, login):
    task = a_task(cast)
    stale = task.version
    svc.task_update(actor=cast.supervisor, task=task, expected_version=stale, title="已被督查室改名的任务")
    task.refresh_from_db()
    assert task.version != stale
    client = login(cast.bajiao_liaison)
    response = client.post(f"/tasks/{task.pk}/do/acknowledge/", {"acknowledge-version": stale})
    assert response.status_code == 409
    html = response.content.decode()
    assert "该任务已被他人修改" in html
    assert f'class="alert-link" href="/tasks/{task.pk}/">刷新页面</a>' in html
    task.refresh_from_db()
    assert task.status == "assigned"  # nothing changed


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["bajiao", "supervisor"])
def test_the_pages_fit_a_phone_in_english_too(cast, phone, sign_in, overflow, who):
    """English labels are longer than Chinese ones: the same pages still fit."""
    task = a_task(cast)
    phone.context.add_cookies([{"name": "django_language", "value": "en", "url": phone.base_url}])
    phone.goto(phone.base_url + "/accounts/login/")
    assert phone.locator("html").get_attribute("lang") == "en"
    phone.fill("#id_username", who)
    phone.fill("#id_password", cast.password)
    phone.locator("form button[type=submit]").last.click()
    phone.wait_for_url(lambda url: "/accounts/login/" not in url)
    for path in ["/", "/tasks/todo/", "/tasks/list/", "/tasks/{task}/", "/notices/"]:
        phone.goto(phone.base_url + path.format(task=task.pk))
        assert phone.locator("html").get_attribute("lang") == "en"
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"{who} {path}: {overflow(phone)}"

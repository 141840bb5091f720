"""The import/export page, used like a person would: sign in, download, upload."""

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from duban.core.models import AuditEntry
from duban.orgs import excel
from duban.orgs.models import Person, Unit

PAGE = "/orgs/io/"
IMPORT = "/orgs/io/import/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(people=(), units=()):
    wb = Workbook()
    wb.remove(wb.active)
    ws = wb.create_sheet("单位")
    ws.append([c.header for c in excel.UNIT_COLUMNS])
    for row in units:
        ws.append(row)
    ws = wb.create_sheet("人员")
    ws.append([c.header for c in excel.PERSON_COLUMNS])
    for row in people:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def post_file(client, data: bytes, name="通讯录.xlsx"):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, data, content_type=XLSX)})


def test_the_page_offers_template_export_and_upload_to_a_supervisor(cast, login):
    page = login(cast.supervisor).get(PAGE)
    assert page.status_code == 200
    html = page.content.decode()
    assert "/orgs/io/template.xlsx" in html and "/orgs/io/export.xlsx" in html
    assert 'enctype="multipart/form-data"' in html


def test_a_liaison_may_export_but_sees_no_upload_form(cast, login):
    client = login(cast.bajiao_liaison)
    html = client.get(PAGE).content.decode()
    assert "/orgs/io/export.xlsx" in html
    assert "multipart/form-data" not in html and "/orgs/io/template.xlsx" not in html
    assert client.get("/orgs/io/template.xlsx").status_code == 403
    assert post_file(client, xlsx([["周一", "芭蕉侗族乡", "", "", "是"]])).status_code == 403
    assert not Person.objects.filter(name="周一").exists()


@pytest.mark.parametrize("role", ["auditor", "secadmin"])
def test_the_administrators_without_directory_rights_are_refused(cast, login, role):
    client = login(getattr(cast, role))
    assert client.get(PAGE).status_code == 403
    assert client.get("/orgs/io/export.xlsx").status_code == 403
    assert post_file(client, xlsx([["周一", "芭蕉侗族乡", "", "", "是"]])).status_code == 403
    assert AuditEntry.objects.filter(event="authz_denied", actor=getattr(cast, role)).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, cast):
    for url in (PAGE, "/orgs/io/export.xlsx", "/orgs/io/template.xlsx"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_template_downloads_as_an_attachment_and_opens(cast, login):
    response = login(cast.supervisor).get("/orgs/io/template.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert load_workbook(io.BytesIO(response.content)).sheetnames == ["单位", "人员", "岗位", "说明"]


def test_the_export_downloads_the_scoped_directory(cast, login):
    response = login(cast.baiguo_liaison).get("/orgs/io/export.xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert [r[0].value for r in wb["单位"].iter_rows(min_row=2)] == ["白果乡", "斑竹园村"]
    assert AuditEntry.objects.filter(event="directory_exported", actor=cast.baiguo_liaison).count() == 1


def test_a_good_upload_shows_the_counts(cast, login):
    response = post_file(login(cast.supervisor), xlsx([["周一", "芭蕉侗族乡", "科员", "", "是"],
                                                         ["张三", "芭蕉侗族乡", "党委委员", "", "是"]]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "导入成功" in html
    assert response.context["result"].counts["人员"].as_dict() == {"created": 1, "updated": 0, "unchanged": 1}
    assert Person.objects.filter(name="周一", unit=cast.bajiao).exists()
    entry = AuditEntry.objects.filter(event="directory_imported").latest("seq")
    assert entry.outcome == "success" and entry.actor == cast.supervisor


def test_a_bad_upload_answers_400_with_every_error_and_imports_nothing(cast, login):
    people = [["周一", "芭蕉侗族乡", "", "", "是"], ["吴二", "火星乡", "", "", "是"], ["", "芭蕉侗族乡", "", "", "是"],
              ["郑三", "芭蕉侗族乡", "", "", "可能"]]
    response = post_file(login(cast.supervisor), xlsx(people))
    assert response.status_code == 400
    html = response.content.decode()
    assert "文件中有 3 处错误" in html
    for text in ("单位“火星乡”不存在", "请填写姓名", "“在职”须填“是”或“否”"):
        assert text in html
    assert [i.row for i in response.context["result"].issues] == [3, 4, 5]
    assert not Person.objects.filter(name__in=["周一", "吴二", "郑三"]).exists()


def test_a_unit_admin_uploading_rows_outside_their_subtree_gets_400(cast, login):
    response = post_file(login(cast.bajiao_admin), xlsx([["周一", "白果乡", "", "", "是"]]))
    assert response.status_code == 400
    assert "不在您的管理范围内" in response.content.decode()
    assert not Person.objects.filter(name="周一").exists()


def test_a_renamed_executable_is_refused_on_the_page(cast, login):
    response = post_file(login(cast.supervisor), b"MZ\x90\x00" + b"\x00" * 200, name="通讯录.xlsx")
    assert response.status_code == 400
    assert "请上传 Excel 工作簿(.xlsx)" in response.content.decode()


def test_an_oversized_upload_is_refused_with_413_and_nothing_kept(cast, login, settings):
    settings.DUBAN_MAX_IMPORT_BYTES = 4096
    data = xlsx([[f"人{i}", "芭蕉侗族乡", "科员" * 20, "", "是"] for i in range(200)])
    assert len(data) > 4096
    units_before = Unit.objects.count()
    response = post_file(login(cast.supervisor), data)
    assert response.status_code == 413
    assert "大小上限" in response.content.decode()
    assert not Person.objects.filter(name="人0").exists() and Unit.objects.count() == units_before


def test_a_huge_request_body_is_refused_before_it_is_read(cast, login, settings):
    settings.DUBAN_MAX_IMPORT_BYTES = 1024
    data = xlsx([["人0", "芭蕉侗族乡", "", "", "是"]]) + os.urandom(80 * 1024)
    response = post_file(login(cast.supervisor), data)
    assert response.status_code == 413
    assert not Person.objects.filter(name="人0").exists()


def test_an_upload_without_a_file_is_a_form_error(cast, login):
    response = login(cast.supervisor).post(IMPORT, {})
    assert response.status_code == 400
    assert "is-invalid" in response.content.decode() or "invalid-feedback" in response.content.decode()


def test_the_import_checks_csrf(cast, client):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(cast.supervisor)
    response = csrf_client.post(IMPORT, {"file": SimpleUploadedFile("a.xlsx", xlsx(), content_type=XLSX)})
    assert response.status_code == 403

"""DP-05 through HTTP: lists, pages, the workbook and the API mask phone, ID and e-mail values for
every role; the full value only through the permission-checked 查看完整信息 action (or the
entitled role's detail page), each showing exactly one ``pii_viewed`` ledger row."""

import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from duban.core.models import AuditEntry
from duban.orgs import services as org_services
from duban.orgs.models import Person
from duban.petitions import services as petition_services

PHONE = "13812341234"
MASKED = "138****1234"
ID = "11010519491231002X"


@pytest.fixture
def phone(cast):
    Person.objects.filter(pk=cast.p_bajiao_a.pk).update(phone=PHONE)
    return cast.p_bajiao_a


def pii_rows():
    return list(AuditEntry.objects.filter(event="pii_viewed").order_by("seq"))


def reveal_url(model, pk, field):
    return reverse("core:pii_reveal", args=[model, pk, field])


def test_lists_and_pages_mask_the_phone_even_for_editors(cast, login, phone):
    client = login(cast.bajiao_admin)
    listing = client.get(reverse("orgs:person_list")).content.decode()
    assert MASKED in listing and PHONE not in listing
    page = client.get(reverse("orgs:person_detail", args=[phone.pk])).content.decode()
    assert MASKED in page and PHONE not in page and "查看完整信息" in page
    assert pii_rows() == []


def test_reveal_shows_the_full_number_once_audited(cast, login, phone):
    client = login(cast.bajiao_admin)
    response = client.post(reveal_url("orgs.person", phone.pk, "phone"))
    assert response.status_code == 200 and PHONE in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    [row] = pii_rows()
    assert (row.actor_id, row.object_type, row.object_id) == (cast.bajiao_admin.pk, "orgs.person", str(phone.pk))
    assert row.data == {"fields": ["phone"], "page": "reveal"} and PHONE not in str(row.data)


def test_a_reader_gets_no_button_and_a_403_with_no_pii_row(cast, login, phone):
    client = login(cast.bajiao_liaison)
    page = client.get(reverse("orgs:person_detail", args=[phone.pk])).content.decode()
    assert "查看完整信息" not in page and PHONE not in page
    response = client.post(reveal_url("orgs.person", phone.pk, "phone"))
    assert response.status_code == 403 and PHONE not in response.content.decode()
    assert pii_rows() == []
    assert AuditEntry.objects.filter(event="authz_denied", object_type="orgs.person",
                                     object_id=str(phone.pk)).exists()


def test_reveal_outside_ones_scope_or_of_an_undeclared_field_is_404(cast, login, phone):
    Person.objects.filter(pk=cast.p_baiguo.pk).update(phone="13900009999")
    client = login(cast.bajiao_admin)
    assert client.post(reveal_url("orgs.person", cast.p_baiguo.pk, "phone")).status_code == 404
    assert client.post(reveal_url("orgs.person", phone.pk, "title")).status_code == 404
    assert client.post(reveal_url("orgs.person", phone.pk, "name")).status_code == 404  # names are not masked
    assert client.post(reveal_url("orgs.unit", cast.bajiao.pk, "name")).status_code == 404
    assert pii_rows() == []


def test_reveal_is_post_only(cast, login, phone):
    client = login(cast.bajiao_admin)
    assert client.get(reveal_url("orgs.person", phone.pk, "phone")).status_code == 405
    assert pii_rows() == []


def test_the_edit_form_shows_the_number_and_writes_one_row(cast, login, phone):
    client = login(cast.bajiao_admin)
    assert PHONE in client.get(reverse("orgs:person_edit", args=[phone.pk])).content.decode()
    [row] = pii_rows()
    assert row.data == {"fields": ["phone"], "page": "orgs:person_edit"}


def test_the_directory_workbook_masks_phones_and_still_reimports_unchanged(cast, phone):
    content, _counts = org_services.directory_export(actor=cast.supervisor)
    people = [[c.value for c in r] for r in load_workbook(io.BytesIO(content))["人员"].iter_rows(min_row=2)]
    assert any(MASKED in map(str, r) for r in people) and PHONE not in str(people)
    f = io.BytesIO(content)
    f.name, f.size = "export.xlsx", len(content)
    result = org_services.directory_import(actor=cast.supervisor, file=f)
    assert result.ok, result.issues
    assert Person.objects.get(pk=phone.pk).phone == PHONE


def test_a_masked_phone_for_anyone_else_is_refused_on_import(cast, phone):
    org_services.person_create(name="钱八", unit=cast.baiguo, title="", phone="")
    content, _counts = org_services.directory_export(actor=cast.supervisor)
    wb = load_workbook(io.BytesIO(content))
    for row in wb["人员"].iter_rows(min_row=2):
        if row[0].value == "钱八":
            row[3].value = MASKED  # someone else's masked number pasted in
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    f = io.BytesIO(data)
    f.name, f.size = "export.xlsx", len(data)
    result = org_services.directory_import(actor=cast.supervisor, file=f)
    assert not result.ok and any("脱敏" in str(i) for i in result.issues)
    assert Person.objects.get(name="钱八").phone == ""


def test_the_api_masks_phones_and_gives_the_editor_the_full_number_on_the_detail(cast, client, phone):
    def token(user):
        r = client.post("/api/auth/token", {"username": user.username, "password": cast.password},
                        content_type="application/json")
        assert r.status_code in (200, 201), r.content
        return {"HTTP_AUTHORIZATION": f"Bearer {r.json()['token']}"}

    reader, editor = token(cast.bajiao_liaison), token(cast.bajiao_admin)
    for headers in (reader, editor):
        items = client.get("/api/people", **headers).json()["items"]
        assert MASKED in str(items) and PHONE not in str(items)
    assert client.get(f"/api/people/{phone.pk}", **reader).json()["phone"] == MASKED
    assert pii_rows() == []
    assert client.get(f"/api/people/{phone.pk}", **editor).json()["phone"] == PHONE
    [row] = pii_rows()
    assert row.data["page"] == "api:orgs_person_detail" and row.actor_id == cast.bajiao_admin.pk


def test_an_accounts_email_is_masked_and_revealed_to_the_system_administrator(cast, login):
    cast.leader.email = "leader@example.cn"
    cast.leader.save(update_fields=["email"])
    client = login(cast.sysadmin)
    page = client.get(reverse("accounts:user_detail", args=[cast.leader.pk])).content.decode()
    assert "l***@example.cn" in page and "leader@example.cn" not in page
    response = client.post(reveal_url("accounts.user", cast.leader.pk, "email"))
    assert response.status_code == 200 and "leader@example.cn" in response.content.decode()
    assert [r.object_type for r in pii_rows()] == ["accounts.user"]
    assert login(cast.supervisor).post(reveal_url("accounts.user", cast.leader.pk, "email")).status_code in (403, 404)
    assert len(pii_rows()) == 1


def test_petitioners_id_numbers_full_only_for_the_office_with_one_row_per_showing(cast, login):
    petition = petition_services.petition_register(
        actor=cast.supervisor, received_on=date.today(), channel="visit", place="芭蕉乡", matter_type="征地拆迁",
        matter="补偿", people_count=1, responsible_unit=cast.bajiao,
        petitioners=[{"name": "信访人", "id_number": ID, "phone": "13800001111"}])
    petitioner = petition.petitioners.get()
    unit = login(cast.bajiao_liaison)
    assert ID not in unit.get(f"/petitions/{petition.pk}/").content.decode()
    assert unit.post(reveal_url("petitions.petitioner", petitioner.pk, "id_number")).status_code == 403
    assert pii_rows() == []
    office = login(cast.supervisor)
    assert ID not in office.get("/petitions/").content.decode() and "1101**********002X" in office.get(
        "/petitions/").content.decode()
    assert pii_rows() == []
    assert ID in office.get(f"/petitions/{petition.pk}/").content.decode()
    assert len(pii_rows()) == 1
    response = office.post(reveal_url("petitions.petitioner", petitioner.pk, "id_number"))
    assert response.status_code == 200 and ID in response.content.decode()
    rows = pii_rows()
    assert len(rows) == 2 and rows[1].object_type == "petitions.petitioner" and ID not in str(rows[1].data)
    assert login(cast.baiguo_liaison).post(
        reveal_url("petitions.petitioner", petitioner.pk, "id_number")).status_code == 404


def test_the_ledger_records_a_changed_phone_masked(cast, login, phone):
    client = login(cast.bajiao_admin)
    person = Person.objects.get(pk=phone.pk)
    response = client.post(reverse("orgs:person_edit", args=[person.pk]), {
        "name": person.name, "unit": person.unit_id, "title": person.title, "phone": "13900005678",
        "is_active": "on", "version": person.version})
    assert response.status_code == 302 and Person.objects.get(pk=person.pk).phone == "13900005678"
    entry = AuditEntry.objects.filter(event="person_updated").latest("seq")
    assert entry.data["changes"]["phone"] == [MASKED, "139****5678"]
    assert PHONE not in str(entry.data) and "13900005678" not in str(entry.data)

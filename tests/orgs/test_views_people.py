"""People pages: list filters, scoping, masked phones, create/edit and absences."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from orgs_helpers import DIRECTORY_ROLES, entries, page

from duban.core.models import AuditEntry
from duban.orgs import selectors
from duban.orgs import services as org
from duban.orgs.models import Absence, Person

pytestmark = pytest.mark.django_db

# The service's own wording, on the name field (not Django's generic unique-constraint message).
DUPLICATE = "芭蕉侗族乡已有名为“{name}”的人员。"


@pytest.fixture
def phones(cast):
    for person in (cast.p_bajiao_a, cast.p_baiguo):
        Person.objects.filter(pk=person.pk).update(phone="13812341234")


# --- list -----------------------------------------------------------------------------------
@pytest.mark.parametrize("who", DIRECTORY_ROLES)
def test_the_people_list_renders_for_every_role_that_may_see_the_directory(cast, login, who):
    response = login(getattr(cast, who)).get(reverse("orgs:person_list"))
    assert response.status_code == 200
    assert '<h1 class="h4 mb-0">人员</h1>' in page(response)


def test_a_liaison_sees_only_the_people_of_their_subtree(cast, login):
    html = page(login(cast.bajiao_liaison).get(reverse("orgs:person_list")))
    for name in ("张三", "李四", "王五", "孙七"):
        assert name in html
    assert "赵六" not in html and "白果乡" not in html


def test_phones_are_masked_for_everyone_and_editors_open_them_with_one_audited_action(cast, login, phones):
    # DP-05: lists and pages mask for every role; the full number only through 查看完整信息
    # (tests/core/test_pii_reveal.py has the rest of the flow).
    assert "138****1234" in page(login(cast.bajiao_liaison).get(reverse("orgs:person_list")))
    assert "13812341234" not in page(login(cast.bajiao_liaison).get(reverse("orgs:person_list")))
    html = page(login(cast.bajiao_liaison).get(reverse("orgs:person_detail", args=[cast.p_bajiao_a.pk])))
    assert "138****1234" in html and "13812341234" not in html and "查看完整信息" not in html
    client = login(cast.bajiao_admin)
    html = page(client.get(reverse("orgs:person_detail", args=[cast.p_bajiao_a.pk])))
    assert "13812341234" not in html and "查看完整信息" in html
    html = page(client.post(reverse("core:pii_reveal", args=["orgs.person", cast.p_bajiao_a.pk, "phone"])))
    assert "13812341234" in html


def test_filtering_by_unit_includes_subunits_unless_switched_off(cast, login):
    client = login(cast.supervisor)
    html = page(client.get(reverse("orgs:person_list"), {"unit": cast.bajiao.pk}))
    assert "孙七" in html and "张三" in html and "赵六" not in html
    assert 'role="switch" checked' in html
    html = page(client.get(reverse("orgs:person_list"), {"unit": cast.bajiao.pk, "filtered": "1"}))
    assert "孙七" not in html and "张三" in html


def test_a_unit_outside_the_subtree_cannot_be_used_as_a_filter(cast, login):
    html = page(login(cast.bajiao_liaison).get(reverse("orgs:person_list"), {"unit": cast.baiguo.pk}))
    assert "赵六" not in html
    assert "张三" in html  # the invalid filter is dropped, the list stays inside the subtree


def test_searching_people_by_name_or_title_and_status(cast, login):
    client = login(cast.supervisor)
    html = page(client.get(reverse("orgs:person_list"), {"q": "主任"}))
    assert "李四" in html and "赵六" in html and "张三" not in html
    org.person_update(person=Person.objects.get(pk=cast.p_bajiao_c.pk), is_active=False)
    assert "王五" not in page(client.get(reverse("orgs:person_list")))
    html = page(client.get(reverse("orgs:person_list"), {"active": "0"}))
    assert "王五" in html and "张三" not in html
    html = page(client.get(reverse("orgs:person_list"), {"active": "all"}))
    assert "王五" in html and "张三" in html


def test_sorting_people_by_name_title_and_unit(cast, login):
    client = login(cast.supervisor)

    def order(sort):
        html = page(client.get(reverse("orgs:person_list"), {"sort": sort}))
        names = ["张三", "李四", "王五", "赵六", "孙七"]
        return sorted(names, key=html.index)

    by_name = order("name")
    assert by_name == sorted(by_name)  # code-point order, as the database sorts
    assert order("-name") == list(reversed(by_name))
    # Tree order: siblings as they were added (芭蕉 before 白果), a unit's people before its
    # subunits' people.
    assert order("unit") == ["张三", "李四", "王五", "孙七", "赵六"]
    html = page(client.get(reverse("orgs:person_list"), {"sort": "title"}))
    assert 'aria-sort="ascending"' in html


def test_the_people_list_paginates_with_a_fixed_number_of_queries(cast, login, django_assert_max_num_queries):
    for i in range(60):
        org.person_create(name=f"干部{i:02d}", unit=cast.bajiao if i % 2 else cast.xiaojiaping, title="干事",
                          phone="13900001111")
    client = login(cast.bajiao_liaison)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("orgs:person_list"), {"sort": "name"})
    html = page(response)
    assert "第 1 / 3 页" in html and "共 64 条" in html
    html = page(client.get(reverse("orgs:person_list"), {"sort": "name", "page": 3}))
    assert "第 3 / 3 页" in html


# --- detail ---------------------------------------------------------------------------------
def test_a_person_page_shows_unit_title_posts_and_absences(cast, login):
    today = selectors.today()
    org.absence_create(person=cast.p_bajiao_b, kind="training", start=today, end=today + timedelta(days=3),
                       note="党校培训")
    html = page(login(cast.supervisor).get(reverse("orgs:person_detail", args=[cast.p_bajiao_b.pk])))
    for text in ("李四", "芭蕉侗族乡", "党政办主任", "B角", "督办联络员", "培训学习", "党校培训"):
        assert text in html


@pytest.mark.parametrize("who, target", [("bajiao_liaison", "p_baiguo"), ("village_liaison", "p_bajiao_a"),
                                         ("baiguo_liaison", "p_village")])
def test_people_outside_the_users_subtree_do_not_exist_for_them(cast, login, who, target):
    client = login(getattr(cast, who))
    denied = entries("authz_denied")
    assert client.get(reverse("orgs:person_detail", args=[getattr(cast, target).pk])).status_code == 404
    assert entries("authz_denied") == denied + 1


# --- create and edit ------------------------------------------------------------------------
def test_creating_a_person(cast, login):
    client = login(cast.bajiao_admin)
    assert "白果乡" not in page(client.get(reverse("orgs:person_create")))
    before = entries("person_created")
    response = client.post(reverse("orgs:person_create"), {"name": "周八", "unit": cast.xiaojiaping.pk,
                                                           "title": "村主任", "phone": "139 0000 1234"}, follow=True)
    person = Person.objects.get(name="周八")
    assert person.unit == cast.xiaojiaping and person.phone == "139 0000 1234"
    assert entries("person_created") == before + 1
    assert "已新建人员“周八”" in page(response)


@pytest.mark.parametrize("overrides, message", [
    ({"name": ""}, "这个字段是必填项。"),
    ({"name": "张三"}, DUPLICATE.format(name="张三")),
    ({"phone": "abc123"}, "请输入有效的电话号码"),
    ({"unit": ""}, "这个字段是必填项。"),
])
def test_creating_a_person_with_bad_input_changes_nothing(cast, login, overrides, message):
    client = login(cast.supervisor)
    count, ledger = Person.objects.count(), AuditEntry.objects.count()
    data = {"name": "周八", "unit": cast.bajiao.pk, "title": "", "phone": ""}
    response = client.post(reverse("orgs:person_create"), {**data, **overrides})
    assert response.status_code == 400
    assert re.search(message, page(response))
    assert Person.objects.count() == count and AuditEntry.objects.count() == ledger


def test_a_unit_admin_cannot_put_a_person_into_another_township(cast, login):
    client = login(cast.bajiao_admin)
    response = client.post(reverse("orgs:person_create"), {"name": "周八", "unit": cast.baiguo.pk})
    assert response.status_code == 400
    assert "选择一个有效的选项" in page(response)
    assert not Person.objects.filter(name="周八").exists()


def _denials(obj) -> int:
    return AuditEntry.objects.filter(event="authz_denied", object_type=obj._meta.label_lower,
                                     object_id=str(obj.pk)).count()


def test_a_form_field_naming_another_township_is_answered_like_a_missing_id_and_recorded(cast, login):
    client = login(cast.bajiao_admin)
    elsewhere = client.post(reverse("orgs:person_create"), {"name": "周八", "unit": cast.baiguo.pk})
    missing = client.post(reverse("orgs:person_create"), {"name": "周八", "unit": 987654})
    assert elsewhere.status_code == missing.status_code == 400
    def errors(response):
        return re.findall(r'invalid-feedback[^>]*>\s*([^<]*)', page(response))

    assert errors(elsewhere) == errors(missing) and errors(elsewhere)
    assert _denials(cast.baiguo) == 1 and not Person.objects.filter(name="周八").exists()


def test_a_filter_naming_another_township_is_dropped_and_recorded(cast, login):
    html = page(login(cast.bajiao_liaison).get(reverse("orgs:person_list"), {"unit": cast.baiguo.pk}))
    assert "赵六" not in html and "张三" in html
    assert _denials(cast.baiguo) == 1


def person_data(person, **overrides):
    data = {"name": person.name, "unit": person.unit_id, "title": person.title, "phone": person.phone,
            "is_active": "on" if person.is_active else "", "version": person.version}
    data.update(overrides)
    return data


def test_editing_a_person_records_the_change_once(cast, login):
    client = login(cast.bajiao_admin)
    before = entries("person_updated")
    response = client.post(reverse("orgs:person_edit", args=[cast.p_bajiao_c.pk]),
                           person_data(cast.p_bajiao_c, title="党政办副主任", unit=cast.xiaojiaping.pk))
    assert response.status_code == 302
    person = Person.objects.get(pk=cast.p_bajiao_c.pk)
    assert person.title == "党政办副主任" and person.unit == cast.xiaojiaping and person.version == 2
    assert entries("person_updated") == before + 1


@pytest.mark.parametrize("overrides, message", [
    ({"name": "李四"}, DUPLICATE.format(name="李四")),
    ({"name": ""}, "这个字段是必填项。"),
    ({"version": "0"}, "表单已过期,请刷新页面后重试。"),
])
def test_editing_a_person_with_bad_input_changes_nothing(cast, login, overrides, message):
    client = login(cast.supervisor)
    ledger = AuditEntry.objects.count()
    response = client.post(reverse("orgs:person_edit", args=[cast.p_bajiao_c.pk]),
                           person_data(cast.p_bajiao_c, **overrides))
    assert response.status_code == 400
    html = page(response)
    assert re.search(message, html)
    assert "编辑人员:王五" in html  # the heading shows the stored name, not the rejected one
    assert Person.objects.get(pk=cast.p_bajiao_c.pk).name == "王五"
    assert AuditEntry.objects.count() == ledger


def test_a_stale_person_edit_is_refused(cast, login):
    client = login(cast.supervisor)
    stale = person_data(cast.p_bajiao_c, title="旧页面的修改")
    org.person_update(person=Person.objects.get(pk=cast.p_bajiao_c.pk), title="别人先改", expected_version=1)
    response = client.post(reverse("orgs:person_edit", args=[cast.p_bajiao_c.pk]), stale)
    assert response.status_code == 400
    assert "该记录已被他人修改,请刷新后重试。" in page(response)
    assert Person.objects.get(pk=cast.p_bajiao_c.pk).title == "别人先改"


def test_a_unit_admin_editing_a_person_of_another_township_gets_404(cast, login):
    client = login(cast.bajiao_admin)
    assert client.get(reverse("orgs:person_edit", args=[cast.p_baiguo.pk])).status_code == 404
    response = client.post(reverse("orgs:person_edit", args=[cast.p_baiguo.pk]),
                           person_data(cast.p_baiguo, title="被改了"))
    assert response.status_code == 404
    assert Person.objects.get(pk=cast.p_baiguo.pk).title == "党政办主任"


@pytest.mark.parametrize("who", ["bajiao_liaison", "leader"])
def test_readers_cannot_create_or_edit_people(cast, login, who):
    client = login(getattr(cast, who))
    assert client.get(reverse("orgs:person_create")).status_code == 403
    assert client.post(reverse("orgs:person_edit", args=[cast.p_bajiao_a.pk]),
                       person_data(cast.p_bajiao_a, title="x")).status_code == 403
    assert Person.objects.get(pk=cast.p_bajiao_a.pk).title == "党委委员"


# --- absences -------------------------------------------------------------------------------
def test_registering_and_deleting_an_absence(cast, login):
    client = login(cast.bajiao_admin)
    before = entries("absence_created")
    response = client.post(reverse("orgs:absence_create", args=[cast.p_bajiao_a.pk]),
                           {"kind": "leave", "start": "2026-11-25", "end": "2026-12-02", "note": "病假"}, follow=True)
    absence = Absence.objects.get(person=cast.p_bajiao_a)
    assert (str(absence.start), str(absence.end), absence.kind) == ("2026-11-25", "2026-12-02", "leave")
    assert entries("absence_created") == before + 1
    assert "已登记张三的外出/请假。" in page(response)
    response = client.post(reverse("orgs:absence_delete", args=[absence.pk]), follow=True)
    assert not Absence.objects.filter(pk=absence.pk).exists()
    assert entries("absence_deleted") == 1
    assert response.redirect_chain[-1][0] == reverse("orgs:person_detail", args=[cast.p_bajiao_a.pk])


@pytest.mark.parametrize("data, message", [
    ({"start": "2026-12-02", "end": "2026-11-25"}, "结束日期不能早于开始日期。"),
    ({"start": "", "end": "2026-11-25"}, "这个字段是必填项。"),
    ({"start": "2026-13-01", "end": "2026-12-25"}, "输入一个有效的日期。"),
    ({"start": "2026-11-28", "end": "2026-11-29"}, "与已登记的外出/请假时间重叠。"),
    ({"kind": "holiday"}, "选择一个有效的选项"),
])
def test_a_bad_absence_is_refused_inline_and_changes_nothing(cast, login, data, message):
    org.absence_create(person=cast.p_bajiao_a, kind="trip", start=selectors.today().replace(2026, 11, 27),
                       end=selectors.today().replace(2026, 11, 30))
    client = login(cast.supervisor)
    count, ledger = Absence.objects.count(), AuditEntry.objects.count()
    response = client.post(reverse("orgs:absence_create", args=[cast.p_bajiao_a.pk]),
                           {"kind": "leave", "start": "2026-12-10", "end": "2026-12-12", "note": "", **data})
    assert response.status_code == 400
    html = page(response)
    assert message in html and "登记外出/请假" in html and "张三" in html
    assert Absence.objects.count() == count and AuditEntry.objects.count() == ledger


def test_absences_outside_the_subtree_cannot_be_added_or_deleted(cast, login):
    absence = org.absence_create(person=cast.p_baiguo, kind="leave", start=selectors.today(),
                                 end=selectors.today())
    client = login(cast.bajiao_admin)
    assert client.post(reverse("orgs:absence_delete", args=[absence.pk])).status_code == 404
    assert client.post(reverse("orgs:absence_create", args=[cast.p_baiguo.pk]),
                       {"kind": "leave", "start": "2026-12-10", "end": "2026-12-12"}).status_code == 404
    assert list(Absence.objects.all()) == [absence]


def test_a_liaison_cannot_register_absences(cast, login):
    client = login(cast.bajiao_liaison)
    response = client.post(reverse("orgs:absence_create", args=[cast.p_bajiao_a.pk]),
                           {"kind": "leave", "start": "2026-12-10", "end": "2026-12-12"})
    assert response.status_code == 403
    assert not Absence.objects.exists()
    assert "登记外出/请假" not in page(client.get(reverse("orgs:person_detail", args=[cast.p_bajiao_a.pk])))

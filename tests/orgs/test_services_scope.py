"""The orgs services enforce the directory's write scope themselves: a caller passes the acting
user as ``actor`` and gets the same refusal from the service whatever door it came in by (page,
API, Excel import)."""

import io
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import Workbook

from duban.core.models import AuditEntry
from duban.core.services import ConcurrentEditError
from duban.orgs import excel, selectors, services
from duban.orgs.models import Absence, LeadingGroup, Person, Post, Unit, UnitKind

pytestmark = pytest.mark.django_db

OUT_OF_SCOPE_UNIT = "单位不存在或不在您的管理范围内。"
OUT_OF_SCOPE_PERSON = "人员不存在或不在您的管理范围内。"


def state():
    return (sorted(Unit.objects.values_list("name", "path", "version")),
            sorted(Person.objects.values_list("name", "unit_id", "version")),
            sorted(Post.objects.values_list("title", "unit_id", "a_holder_id", "b_holder_id", "c_holder_id")),
            AuditEntry.objects.count())


def test_a_unit_admin_cannot_create_a_person_in_another_township(cast):
    before = state()
    with pytest.raises(ValidationError) as caught:
        services.person_create(actor=cast.bajiao_admin, name="外乡人", unit=cast.baiguo)
    assert caught.value.message_dict == {"unit": [OUT_OF_SCOPE_UNIT]}
    assert state() == before


def test_a_unit_admin_creates_inside_their_subtree_and_the_ledger_names_them(cast):
    person = services.person_create(actor=cast.bajiao_admin, name="新同志", unit=cast.xiaojiaping)
    entry = AuditEntry.objects.filter(event="person_created", object_id=str(person.pk)).get()
    assert entry.actor == cast.bajiao_admin and person.unit == cast.xiaojiaping


def test_only_a_city_wide_role_may_make_a_top_level_unit(cast):
    with pytest.raises(ValidationError) as caught:
        services.unit_create(actor=cast.bajiao_admin, name="独立王国", kind=UnitKind.OTHER)
    assert "parent" in caught.value.message_dict
    assert not Unit.objects.filter(name="独立王国").exists()
    unit = services.unit_create(actor=cast.supervisor, name="新设机构", kind=UnitKind.OTHER)
    assert unit.depth == 1


def test_a_unit_admin_cannot_move_a_unit_under_another_township_nor_to_the_top(cast):
    before = state()
    with pytest.raises(ValidationError) as caught:
        services.unit_move(actor=cast.bajiao_admin, unit=cast.xiaojiaping, new_parent=cast.baiguo)
    assert caught.value.message_dict == {"parent": [OUT_OF_SCOPE_UNIT]}
    with pytest.raises(ValidationError) as caught:
        services.unit_move(actor=cast.bajiao_admin, unit=cast.xiaojiaping, new_parent=None)
    assert "parent" in caught.value.message_dict
    assert state() == before


def test_moving_a_unit_with_a_stale_version_is_refused_and_changes_nothing(cast):
    before = state()
    with pytest.raises(ConcurrentEditError):
        services.unit_move(actor=cast.supervisor, unit=cast.xiaojiaping, new_parent=cast.baiguo,
                           expected_version=cast.xiaojiaping.version + 1)
    assert state() == before


@pytest.mark.parametrize("call", [
    lambda c: services.unit_update(actor=c.bajiao_admin, unit=c.baiguo, short_name="x"),
    lambda c: services.unit_delete(actor=c.bajiao_admin, unit=c.banzhuyuan),
    lambda c: services.person_update(actor=c.bajiao_admin, person=c.p_baiguo, title="x"),
    lambda c: services.absence_create(actor=c.bajiao_admin, person=c.p_baiguo, kind="leave",
                                      start=date(2026, 1, 5), end=date(2026, 1, 6)),
], ids=["unit_update", "unit_delete", "person_update", "absence_create"])
def test_an_object_outside_the_actors_subtree_cannot_be_changed(cast, call):
    before = state()
    with pytest.raises(PermissionDenied):
        call(cast)
    assert state() == before


@pytest.mark.parametrize("who", ["bajiao_liaison", "leader", "auditor"])
def test_a_user_without_directory_edit_changes_nothing_through_the_services(cast, who):
    before = state()
    with pytest.raises(PermissionDenied):
        services.person_create(actor=getattr(cast, who), name="不该有的人", unit=cast.bajiao)
    assert state() == before


def test_a_post_keeps_a_current_holder_from_outside_the_subtree_but_gains_none(cast):
    post = services.post_create(actor=cast.supervisor, unit=cast.xiaojiaping, title="驻村联络员",
                                a_holder=cast.p_bajiao_a)
    admin = cast.bajiao_admin
    admin.unit = cast.xiaojiaping  # a village admin: 张三 of 芭蕉 sits above their subtree
    post = services.post_update(actor=admin, post=post, expected_version=post.version, duties="驻村",
                                a_holder=cast.p_bajiao_a, b_holder=cast.p_village)
    assert (post.a_holder, post.b_holder) == (cast.p_bajiao_a, cast.p_village)
    with pytest.raises(ValidationError) as caught:
        services.post_update(actor=admin, post=post, expected_version=post.version, c_holder=cast.p_bajiao_c)
    assert caught.value.message_dict == {"c_holder": [OUT_OF_SCOPE_PERSON]}


def test_saving_a_group_as_a_unit_admin_keeps_what_they_cannot_see(cast):
    group = services.group_save(actor=None, name="乡村振兴领导小组", leader=cast.p_baiguo, office_unit=cast.office,
                                deputies=[cast.p_bajiao_b], member_people=[cast.p_bajiao_c, cast.p_baiguo],
                                member_units=[cast.bajiao, cast.baiguo])
    # The 芭蕉 admin submits only what they can see, and changes the duties; the leader and
    # office are outside their subtree, so whatever they pass for those is not taken.
    services.group_save(actor=cast.bajiao_admin, group=group, name=group.name, leader=None, office_unit=None,
                        duties="新职责", deputies=[], member_people=[cast.p_bajiao_c], member_units=[cast.bajiao],
                        expected_version=group.version)
    group = LeadingGroup.objects.get(pk=group.pk)
    assert (group.leader, group.office_unit, group.duties) == (cast.p_baiguo, cast.office, "新职责")
    assert list(group.deputies.all()) == []
    assert {m.person for m in group.members.filter(person__isnull=False)} == {cast.p_bajiao_c, cast.p_baiguo}
    assert {m.unit for m in group.members.filter(unit__isnull=False)} == {cast.bajiao, cast.baiguo}


def test_a_unit_admin_cannot_add_someone_from_outside_to_a_group(cast):
    with pytest.raises(ValidationError) as caught:
        services.group_save(actor=cast.bajiao_admin, name="芭蕉防汛领导小组", leader=cast.p_bajiao_a,
                            office_unit=cast.bajiao, member_people=[cast.p_baiguo])
    assert caught.value.message_dict == {"member_people": [OUT_OF_SCOPE_PERSON]}
    assert not LeadingGroup.objects.exists()


def _xlsx_with_person(name, unit_name) -> io.BytesIO:
    wb = Workbook()
    wb.remove(wb.active)
    ws = wb.create_sheet(excel.SHEET_PEOPLE)
    ws.append([c.header for c in excel.PERSON_COLUMNS])
    ws.append([name, unit_name, "", "", "是"])
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    buffer.name = "people.xlsx"
    return buffer


def test_the_directory_import_is_a_service_that_acts_as_its_actor(cast):
    result = services.directory_import(actor=cast.bajiao_admin, file=_xlsx_with_person("钱八", "肖家坪村"))
    assert result.ok
    created = AuditEntry.objects.filter(event="person_created").latest("seq")
    summary = AuditEntry.objects.filter(event="directory_imported").latest("seq")
    assert created.actor == summary.actor == cast.bajiao_admin
    assert summary.data["counts"][excel.SHEET_PEOPLE]["created"] == 1


def test_an_import_naming_another_township_is_refused_and_the_refusal_is_ledgered(cast):
    before = Person.objects.count()
    result = services.directory_import(actor=cast.bajiao_admin, file=_xlsx_with_person("钱八", "白果乡"))
    assert not result.ok and Person.objects.count() == before
    assert "不在您的管理范围内" in result.issues[0].message
    entry = AuditEntry.objects.filter(event="directory_imported").latest("seq")
    assert (entry.outcome, entry.actor, entry.data["errors"]) == ("failure", cast.bajiao_admin, 1)


def test_a_refusal_before_the_file_is_read_is_recorded_by_the_service(cast):
    services.directory_import_refuse(actor=cast.supervisor, reason="too_large")
    entry = AuditEntry.objects.latest("seq")
    assert (entry.event, entry.outcome, entry.actor, entry.data) == (
        "directory_imported", "failure", cast.supervisor, {"filename": "", "reason": "too_large"})


def test_the_export_service_ledgers_the_row_counts_for_its_actor(cast):
    content, counts = services.directory_export(actor=cast.bajiao_liaison)
    assert content[:2] == b"PK" and counts[excel.SHEET_UNITS] == 2
    entry = AuditEntry.objects.latest("seq")
    assert (entry.event, entry.actor, entry.data["rows"]) == ("directory_exported", cast.bajiao_liaison, counts)


# --- the scoped getters: 404 and one authz_denied row outside the scope --------------------------
def _absence(cast):
    return Absence.objects.create(person=cast.p_baiguo, kind="leave", start=date(2026, 1, 5), end=date(2026, 1, 6))


GETTERS = {
    "unit": (selectors.unit_get_for_user, lambda c: c.baiguo),
    "person": (selectors.person_get_for_user, lambda c: c.p_baiguo),
    "post": (selectors.post_get_for_user,
             lambda c: services.post_create(unit=c.baiguo, title="联络员", a_holder=c.p_baiguo)),
    "absence": (selectors.absence_get_for_user, _absence),
    "group": (selectors.group_get_for_user,
              lambda c: services.group_save(name="白果乡防汛领导小组", leader=c.p_baiguo, office_unit=c.baiguo)),
}


@pytest.mark.parametrize("kind", sorted(GETTERS))
def test_every_orgs_getter_answers_404_outside_the_scope_and_records_the_denial(cast, kind):
    from django.http import Http404

    getter, make = GETTERS[kind]
    obj = make(cast)
    assert getter(cast.supervisor, obj.pk).pk == obj.pk
    denials = AuditEntry.objects.filter(event="authz_denied").count()
    with pytest.raises(Http404):
        getter(cast.bajiao_liaison, obj.pk)
    denial = AuditEntry.objects.filter(event="authz_denied").latest("seq")
    assert AuditEntry.objects.filter(event="authz_denied").count() == denials + 1
    assert (denial.actor, denial.object_id) == (cast.bajiao_liaison, str(obj.pk))
    # An id that does not exist gets the same answer, and there is nothing to record.
    with pytest.raises(Http404):
        getter(cast.bajiao_liaison, obj.pk + 10_000)
    assert AuditEntry.objects.filter(event="authz_denied").count() == denials + 1

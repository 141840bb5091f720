"""Leading groups (领导小组): list, detail, and the create/edit form with its multi-selects."""

import pytest
from django.urls import reverse

from duban.core.models import AuditEntry
from duban.orgs import services as org
from duban.orgs.models import LeadingGroup

from orgs_helpers import DIRECTORY_ROLES, entries, page

pytestmark = pytest.mark.django_db


@pytest.fixture
def city_group(cast):
    """A city-wide group reaching into both townships."""
    return org.group_save(name="乡村振兴领导小组", leader=cast.p_bajiao_a, office_unit=cast.office,
                          duties="统筹推进乡村振兴", deputies=[cast.p_bajiao_b],
                          member_people=[cast.p_bajiao_c, cast.p_baiguo], member_units=[cast.bajiao, cast.baiguo])


@pytest.fixture
def baiguo_group(cast):
    return org.group_save(name="白果乡防汛领导小组", leader=cast.p_baiguo, office_unit=cast.baiguo,
                          member_units=[cast.banzhuyuan])


@pytest.mark.parametrize("who", DIRECTORY_ROLES)
def test_the_group_list_renders_for_every_role_that_may_see_the_directory(cast, login, who, city_group):
    response = login(getattr(cast, who)).get(reverse("orgs:group_list"))
    assert response.status_code == 200
    assert "领导小组</h1>" in page(response)


def test_the_list_shows_leader_office_and_member_counts(cast, login, city_group, django_assert_max_num_queries):
    for i in range(20):
        org.group_save(name=f"专项领导小组{i:02d}", leader=cast.p_baiguo, office_unit=cast.baiguo,
                       member_people=[cast.p_bajiao_a, cast.p_bajiao_b], member_units=[cast.bajiao])
    client = login(cast.supervisor)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("orgs:group_list"))
    html = page(response)
    assert "乡村振兴领导小组" in html and "市委办公室" in html and "专项领导小组19" in html
    assert "<td>2</td><td>2</td>" in html  # city_group: two people, two units


def test_a_liaison_sees_groups_reaching_into_their_subtree_only(cast, login, city_group, baiguo_group):
    client = login(cast.bajiao_liaison)
    html = page(client.get(reverse("orgs:group_list")))
    assert "乡村振兴领导小组" in html and "白果乡防汛领导小组" not in html
    assert client.get(reverse("orgs:group_detail", args=[baiguo_group.pk])).status_code == 404
    assert client.get(reverse("orgs:group_detail", args=[city_group.pk])).status_code == 200


def test_the_group_page_shows_its_make_up(cast, login, city_group):
    html = page(login(cast.supervisor).get(reverse("orgs:group_detail", args=[city_group.pk])))
    for text in ("乡村振兴领导小组", "张三", "李四", "市委办公室", "王五", "赵六", "芭蕉侗族乡", "白果乡", "统筹推进乡村振兴"):
        assert text in html


def test_members_outside_the_readers_subtree_are_named_but_not_linked(cast, login, city_group):
    html = page(login(cast.bajiao_liaison).get(reverse("orgs:group_detail", args=[city_group.pk])))
    assert "赵六" in html and reverse("orgs:person_detail", args=[cast.p_baiguo.pk]) not in html
    assert reverse("orgs:person_detail", args=[cast.p_bajiao_c.pk]) in html


def group_data(cast, **overrides):
    data = {"name": "安全生产委员会", "leader": cast.p_bajiao_a.pk, "deputies": [cast.p_bajiao_b.pk],
            "office_unit": cast.office.pk, "member_people": [cast.p_bajiao_c.pk, cast.p_village.pk],
            "member_units": [cast.bajiao.pk, cast.xiaojiaping.pk], "duties": "安全生产", "established": "2026-01-05"}
    data.update(overrides)
    return data


def test_creating_a_group_with_members(cast, login):
    client = login(cast.supervisor)
    before = entries("group_created")
    response = client.post(reverse("orgs:group_create"), group_data(cast), follow=True)
    group = LeadingGroup.objects.get(name="安全生产委员会")
    assert group.leader == cast.p_bajiao_a and group.office_unit == cast.office
    assert list(group.deputies.all()) == [cast.p_bajiao_b]
    assert {m.person_id for m in group.members.filter(person__isnull=False)} == {cast.p_bajiao_c.pk, cast.p_village.pk}
    assert {m.unit_id for m in group.members.filter(unit__isnull=False)} == {cast.bajiao.pk, cast.xiaojiaping.pk}
    assert str(group.established) == "2026-01-05"
    assert entries("group_created") == before + 1
    assert "已保存领导小组“安全生产委员会”" in page(response)


@pytest.mark.parametrize("overrides, message", [
    ({"name": ""}, "这个字段是必填项。"),
    ({"name": "乡村振兴领导小组"}, "已有同名领导小组。"),
    ({"deputies": ["leader"]}, "组长不能同时是副组长。"),
    ({"established": "2026-02-31"}, "输入一个有效的日期。"),
    ({"member_units": ["999999"]}, "选择一个有效的选项"),
])
def test_creating_a_group_with_bad_input_changes_nothing(cast, login, city_group, overrides, message):
    if overrides.get("deputies") == ["leader"]:
        overrides = {"deputies": [cast.p_bajiao_a.pk]}
    client = login(cast.supervisor)
    count, ledger = LeadingGroup.objects.count(), AuditEntry.objects.count()
    response = client.post(reverse("orgs:group_create"), group_data(cast, **overrides))
    assert response.status_code == 400
    assert message in page(response)
    assert LeadingGroup.objects.count() == count and AuditEntry.objects.count() == ledger


def test_a_unit_admin_cannot_pick_people_or_units_outside_their_subtree(cast, login):
    client = login(cast.bajiao_admin)
    form = page(client.get(reverse("orgs:group_create")))
    assert "赵六" not in form and "白果乡" not in form
    response = client.post(reverse("orgs:group_create"), group_data(cast, office_unit=cast.bajiao.pk,
                                                                     member_people=[cast.p_baiguo.pk]))
    assert response.status_code == 400
    assert not LeadingGroup.objects.filter(name="安全生产委员会").exists()


def edit_data(group, **overrides):
    data = {"name": group.name, "leader": group.leader_id or "", "office_unit": group.office_unit_id or "",
            "deputies": [p.pk for p in group.deputies.all()],
            "member_people": [m.person_id for m in group.members.filter(person__isnull=False)],
            "member_units": [m.unit_id for m in group.members.filter(unit__isnull=False)],
            "duties": group.duties, "established": "", "version": group.version}
    data.update(overrides)
    return data


def test_editing_a_group(cast, login, city_group):
    client = login(cast.supervisor)
    assert 'name="version" value="1"' in page(client.get(reverse("orgs:group_edit", args=[city_group.pk])))
    ledger = AuditEntry.objects.count()
    response = client.post(reverse("orgs:group_edit", args=[city_group.pk]),
                           edit_data(city_group, name="乡村振兴工作领导小组", member_units=[cast.bajiao.pk]))
    assert response.status_code == 302
    group = LeadingGroup.objects.get(pk=city_group.pk)
    assert group.name == "乡村振兴工作领导小组" and group.version == 2
    assert list(group.members.filter(unit__isnull=False).values_list("unit", flat=True)) == [cast.bajiao.pk]
    # One group_updated entry holding the field diff and the membership.
    new = list(AuditEntry.objects.filter(seq__gt=ledger).values_list("event", flat=True))
    assert new == ["group_updated"]
    assert AuditEntry.objects.filter(event="group_updated").latest("seq").data["membership"]["units"] == [cast.bajiao.pk]
    assert AuditEntry.objects.filter(event="group_updated").latest("seq").data["changes"]["name"] == [
        "乡村振兴领导小组", "乡村振兴工作领导小组"]


def test_a_stale_group_edit_is_refused(cast, login, city_group):
    client = login(cast.supervisor)
    stale = edit_data(city_group, duties="旧页面")
    org.group_save(group=LeadingGroup.objects.get(pk=city_group.pk), name=city_group.name,
                   leader=city_group.leader, office_unit=city_group.office_unit, duties="别人先改",
                   expected_version=1)
    ledger = AuditEntry.objects.count()
    response = client.post(reverse("orgs:group_edit", args=[city_group.pk]), stale)
    assert response.status_code == 400
    assert "该记录已被他人修改,请刷新后重试。" in page(response)
    assert LeadingGroup.objects.get(pk=city_group.pk).duties == "别人先改"
    assert AuditEntry.objects.count() == ledger


def test_a_unit_admins_save_keeps_what_lies_outside_their_subtree(cast, login, city_group):
    # The office (市委办公室) and 赵六 and 白果乡 are outside 芭蕉; the admin cannot see them,
    # and saving must not drop them.
    client = login(cast.bajiao_admin)
    form = page(client.get(reverse("orgs:group_edit", args=[city_group.pk])))
    assert "在您的管辖范围之外" in form and 'name="office_unit"' not in form and "赵六" not in form
    response = client.post(reverse("orgs:group_edit", args=[city_group.pk]), {
        "name": city_group.name, "leader": cast.p_bajiao_a.pk, "deputies": [cast.p_bajiao_b.pk],
        "member_people": [cast.p_village.pk], "member_units": [cast.bajiao.pk], "duties": "新职责",
        "established": "", "version": 1})
    assert response.status_code == 302
    group = LeadingGroup.objects.get(pk=city_group.pk)
    assert group.office_unit == cast.office and group.duties == "新职责"
    people = set(group.members.filter(person__isnull=False).values_list("person", flat=True))
    assert people == {cast.p_village.pk, cast.p_baiguo.pk}  # 王五 removed, 赵六 kept
    assert set(group.members.filter(unit__isnull=False).values_list("unit", flat=True)) == {cast.bajiao.pk,
                                                                                          cast.baiguo.pk}


def test_a_unit_admin_cannot_edit_a_group_outside_their_subtree(cast, login, baiguo_group):
    client = login(cast.bajiao_admin)
    assert client.get(reverse("orgs:group_edit", args=[baiguo_group.pk])).status_code == 404
    response = client.post(reverse("orgs:group_edit", args=[baiguo_group.pk]), {"name": "改名", "version": 1})
    assert response.status_code == 404
    assert LeadingGroup.objects.get(pk=baiguo_group.pk).name == "白果乡防汛领导小组"


@pytest.mark.parametrize("who", ["bajiao_liaison", "leader"])
def test_readers_cannot_create_or_edit_groups(cast, login, who, city_group):
    client = login(getattr(cast, who))
    assert client.get(reverse("orgs:group_create")).status_code == 403
    assert client.post(reverse("orgs:group_edit", args=[city_group.pk]), edit_data(city_group, name="x")).status_code == 403
    assert LeadingGroup.objects.get(pk=city_group.pk).name == "乡村振兴领导小组"

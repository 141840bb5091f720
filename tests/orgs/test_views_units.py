"""The unit tree and unit pages: who sees what, and every change through the web forms."""

import pytest
from django.urls import reverse

from duban.core.models import AuditEntry
from duban.orgs import services as org
from duban.orgs.models import Unit, UnitAlias, UnitKind

from orgs_helpers import DIRECTORY_ROLES, entries, page

pytestmark = pytest.mark.django_db


# --- the tree -------------------------------------------------------------------------------
@pytest.mark.parametrize("who", DIRECTORY_ROLES)
def test_the_unit_tree_renders_for_every_role_that_may_see_the_directory(cast, login, who):
    user = getattr(cast, who)
    response = login(user).get(reverse("orgs:unit_tree"))
    assert response.status_code == 200
    html = page(response)
    assert "<h1" in html and "单位" in html
    assert user.unit is None or user.unit.name in html


def test_a_city_wide_role_sees_the_root_and_its_first_level(cast, login):
    html = page(login(cast.supervisor).get(reverse("orgs:unit_tree")))
    for name in ("中共恩施市委员会", "市委办公室", "芭蕉侗族乡", "白果乡"):
        assert name in html
    # The third level is loaded on demand.
    assert "肖家坪村" not in html
    assert reverse("orgs:unit_children", args=[cast.bajiao.pk]) in html


def test_a_township_liaisons_tree_starts_at_their_own_township(cast, login):
    html = page(login(cast.bajiao_liaison).get(reverse("orgs:unit_tree")))
    assert "芭蕉侗族乡" in html and "肖家坪村" in html
    assert "中共恩施市委员会" not in html and "白果乡" not in html


def test_the_tree_shows_each_units_kind_and_counts(cast, login):
    html = page(login(cast.bajiao_liaison).get(reverse("orgs:unit_tree")))
    assert "乡镇/办事处" in html
    assert "人员 3 · 岗位 1 · 下级 1" in html


def test_expanding_a_node_loads_its_children_in_one_query_per_level(cast, login, django_assert_max_num_queries):
    client = login(cast.supervisor)
    for i in range(15):
        org.unit_create(name=f"芭蕉村{i}", parent=cast.bajiao, kind=UnitKind.VILLAGE)
    url = reverse("orgs:unit_children", args=[cast.bajiao.pk])
    with django_assert_max_num_queries(8):
        response = client.get(url, HTTP_HX_REQUEST="true")
    html = page(response)
    assert response.status_code == 200
    assert "肖家坪村" in html and "芭蕉村14" in html and "<html" not in html


def test_a_liaison_cannot_expand_a_unit_outside_their_township(cast, login):
    client = login(cast.bajiao_liaison)
    assert client.get(reverse("orgs:unit_children", args=[cast.baiguo.pk])).status_code == 404
    assert client.get(reverse("orgs:unit_children", args=[cast.city.pk])).status_code == 404


def test_the_tree_page_does_not_grow_queries_with_the_number_of_units(cast, login, django_assert_max_num_queries):
    client = login(cast.supervisor)
    for i in range(25):
        org.unit_create(name=f"市直单位{i}", parent=cast.city, kind=UnitKind.GOVERNMENT)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("orgs:unit_tree"))
    assert "市直单位24" in page(response)


def test_searching_finds_units_by_name_or_alias_with_their_ancestors(cast, login):
    client = login(cast.supervisor)
    html = page(client.get(reverse("orgs:unit_tree"), {"q": "芭蕉乡"}, HTTP_HX_REQUEST="true",
                           HTTP_HX_TARGET="unit-tree-body"))
    assert "芭蕉侗族乡" in html and "中共恩施市委员会 /" in html and "<html" not in html
    html = page(client.get(reverse("orgs:unit_tree"), {"q": "肖家"}))
    assert "肖家坪村" in html and "<html" in html


def test_searching_never_reveals_units_outside_the_users_subtree(cast, login):
    html = page(login(cast.bajiao_liaison).get(reverse("orgs:unit_tree"), {"q": "白果"}))
    assert "白果乡" not in html and "没有符合条件的单位" in html
    # Ancestors outside the subtree are not shown as the trail either.
    html = page(login(cast.bajiao_liaison).get(reverse("orgs:unit_tree"), {"q": "肖家坪"}))
    assert "肖家坪村" in html and "中共恩施市委员会" not in html


# --- detail ---------------------------------------------------------------------------------
def test_the_unit_page_shows_its_details_people_and_acting_post_holders(cast, login):
    html = page(login(cast.supervisor).get(reverse("orgs:unit_detail", args=[cast.bajiao.pk])))
    assert "BJ" in html and "芭蕉、芭蕉乡" in html
    for text in ("中共恩施市委员会", "肖家坪村", "张三", "李四", "王五", "督办联络员", "A角在岗"):
        assert text in html
    assert 'aria-current="page">芭蕉侗族乡</li>' in html


def test_breadcrumbs_only_show_ancestors_inside_the_users_subtree(cast, login):
    html = page(login(cast.bajiao_liaison).get(reverse("orgs:unit_detail", args=[cast.xiaojiaping.pk])))
    assert reverse("orgs:unit_detail", args=[cast.bajiao.pk]) in html
    assert "中共恩施市委员会" not in html


@pytest.mark.parametrize("who, target", [("bajiao_liaison", "baiguo"), ("bajiao_liaison", "city"),
                                         ("village_liaison", "bajiao"), ("bajiao_admin", "banzhuyuan"),
                                         ("baiguo_liaison", "xiaojiaping")])
def test_units_outside_the_users_subtree_do_not_exist_for_them(cast, login, who, target):
    client = login(getattr(cast, who))
    unit = getattr(cast, target)
    denied = entries("authz_denied")
    assert client.get(reverse("orgs:unit_detail", args=[unit.pk])).status_code == 404
    assert entries("authz_denied") == denied + 1


@pytest.mark.parametrize("name", ["unit_detail", "unit_create", "unit_edit", "unit_move", "unit_delete"])
def test_the_edit_pages_of_an_out_of_scope_unit_are_404_for_a_unit_admin(cast, login, name):
    client = login(cast.bajiao_admin)
    assert client.get(reverse(f"orgs:{name}", args=[cast.baiguo.pk])).status_code == 404
    if name != "unit_detail":
        assert client.post(reverse(f"orgs:{name}", args=[cast.baiguo.pk]), {"name": "x"}).status_code == 404
    assert Unit.objects.filter(pk=cast.baiguo.pk, name="白果乡").exists()


def test_a_missing_unit_is_404(cast, login):
    assert login(cast.supervisor).get(reverse("orgs:unit_detail", args=[999999])).status_code == 404


# --- create ---------------------------------------------------------------------------------
def new_unit(**overrides):
    data = {"name": "芭蕉新区", "short_name": "新区", "kind": UnitKind.VILLAGE, "code": "bjxq", "sort_order": "3",
            "aliases": "芭蕉新区管委会、新区,芭蕉园区"}
    data.update(overrides)
    return data


def test_a_supervisor_creates_a_child_unit_with_aliases(cast, login):
    client = login(cast.supervisor)
    before = entries("unit_created")
    response = client.post(reverse("orgs:unit_create", args=[cast.bajiao.pk]), new_unit(), follow=True)
    assert response.status_code == 200
    unit = Unit.objects.get(name="芭蕉新区")
    assert Unit.objects.get_parent(unit) == cast.bajiao and unit.code == "BJXQ" and unit.kind == UnitKind.VILLAGE
    assert sorted(unit.aliases.values_list("name", flat=True)) == ["新区", "芭蕉园区", "芭蕉新区管委会"]
    assert entries("unit_created") == before + 1
    assert "已新建单位“芭蕉新区”" in page(response)
    assert response.redirect_chain[-1][0] == reverse("orgs:unit_detail", args=[unit.pk])


def test_a_unit_admin_creates_units_in_their_own_subtree(cast, login):
    client = login(cast.bajiao_admin)
    response = client.post(reverse("orgs:unit_create", args=[cast.xiaojiaping.pk]), new_unit(code=""))
    assert response.status_code == 302
    assert Unit.objects.get(name="芭蕉新区").get_parent() == cast.xiaojiaping


@pytest.mark.parametrize("overrides, field_error", [
    ({"name": ""}, "这个字段是必填项。"),
    ({"name": "白果乡"}, "单位名称“白果乡”已被使用。"),
    ({"name": "芭蕉乡"}, "单位名称“芭蕉乡”已被使用。"),  # another unit's alias
    ({"code": "BG"}, "编码“BG”已被使用。"),
    ({"code": "B G!"}, "编码只能包含字母、数字、下划线或短横线。"),
    ({"aliases": "白果"}, "别名“白果”已被其他单位使用。"),
    ({"kind": "planet"}, "选择一个有效的选项"),
    ({"sort_order": "abc"}, "输入整数。"),
])
def test_creating_a_unit_with_bad_input_changes_nothing(cast, login, overrides, field_error):
    client = login(cast.supervisor)
    count, ledger = Unit.objects.count(), AuditEntry.objects.count()
    response = client.post(reverse("orgs:unit_create", args=[cast.bajiao.pk]), new_unit(**overrides))
    assert response.status_code == 400
    assert field_error in page(response)
    assert Unit.objects.count() == count and AuditEntry.objects.count() == ledger
    assert not UnitAlias.objects.filter(name="芭蕉新区管委会").exists()


@pytest.mark.parametrize("who", ["bajiao_liaison", "leader", "discipline"])
def test_roles_without_edit_rights_cannot_create_units(cast, login, who):
    client = login(getattr(cast, who))
    response = client.post(reverse("orgs:unit_create", args=[cast.bajiao.pk]), new_unit())
    assert response.status_code == 403
    assert not Unit.objects.filter(name="芭蕉新区").exists()
    assert "新建下级单位" not in page(client.get(reverse("orgs:unit_detail", args=[cast.bajiao.pk])))


# --- edit -----------------------------------------------------------------------------------
def edit_data(unit, **overrides):
    data = {"name": unit.name, "short_name": unit.short_name, "kind": unit.kind, "code": unit.code or "",
            "sort_order": unit.sort_order, "is_active": "on", "version": unit.version,
            "aliases": "、".join(unit.aliases.values_list("name", flat=True))}
    data.update(overrides)
    return data


def test_editing_a_unit_saves_fields_and_aliases_with_one_ledger_entry(cast, login):
    client = login(cast.supervisor)
    form = page(client.get(reverse("orgs:unit_edit", args=[cast.bajiao.pk])))
    assert 'name="version" value="1"' in form and "芭蕉" in form
    before = entries("unit_updated")
    response = client.post(reverse("orgs:unit_edit", args=[cast.bajiao.pk]),
                           edit_data(cast.bajiao, name="芭蕉侗族乡人民政府", aliases="芭蕉乡,芭蕉政府"))
    assert response.status_code == 302
    cast.bajiao.refresh_from_db()
    assert cast.bajiao.name == "芭蕉侗族乡人民政府" and cast.bajiao.version == 2
    assert sorted(cast.bajiao.aliases.values_list("name", flat=True)) == ["芭蕉乡", "芭蕉政府"]
    assert entries("unit_updated") == before + 1
    entry = AuditEntry.objects.filter(event="unit_updated").latest("seq")
    assert entry.data["changes"]["name"] == ["芭蕉侗族乡", "芭蕉侗族乡人民政府"]


def test_a_stale_unit_edit_is_refused_and_keeps_the_other_save(cast, login):
    client = login(cast.supervisor)
    stale = edit_data(cast.bajiao, name="第一次保存")
    org.unit_update(unit=Unit.objects.get(pk=cast.bajiao.pk), name="别人先保存", expected_version=1)
    ledger = AuditEntry.objects.count()
    response = client.post(reverse("orgs:unit_edit", args=[cast.bajiao.pk]), {**stale, "aliases": "新别名"})
    assert response.status_code == 400
    assert "该记录已被他人修改,请刷新后重试。" in page(response)
    unit = Unit.objects.get(pk=cast.bajiao.pk)
    assert unit.name == "别人先保存" and unit.version == 2
    assert not UnitAlias.objects.filter(name="新别名").exists()
    assert AuditEntry.objects.count() == ledger


@pytest.mark.parametrize("overrides, message", [
    ({"name": "白果乡"}, "单位名称“白果乡”已被使用。"),
    ({"name": "  "}, "这个字段是必填项。"),
    ({"aliases": "市委办"}, "别名“市委办”已被其他单位使用。"),
    ({"version": ""}, "表单已过期,请刷新页面后重试。"),
])
def test_editing_a_unit_with_bad_input_changes_nothing(cast, login, overrides, message):
    client = login(cast.supervisor)
    ledger = AuditEntry.objects.count()
    response = client.post(reverse("orgs:unit_edit", args=[cast.bajiao.pk]), edit_data(cast.bajiao, **overrides))
    assert response.status_code == 400
    assert message in page(response)
    unit = Unit.objects.get(pk=cast.bajiao.pk)
    assert unit.name == "芭蕉侗族乡" and unit.version == 1
    assert sorted(unit.aliases.values_list("name", flat=True)) == ["芭蕉", "芭蕉乡"]
    assert AuditEntry.objects.count() == ledger


# --- move -----------------------------------------------------------------------------------
def test_moving_a_unit_under_another_parent(cast, login):
    client = login(cast.supervisor)
    before = entries("unit_moved")
    response = client.post(reverse("orgs:unit_move", args=[cast.xiaojiaping.pk]), {"parent": cast.baiguo.pk})
    assert response.status_code == 302
    unit = Unit.objects.get(pk=cast.xiaojiaping.pk)
    assert Unit.objects.get_parent(unit).pk == cast.baiguo.pk
    assert entries("unit_moved") == before + 1


@pytest.mark.parametrize("target", ["bajiao", "xiaojiaping"])
def test_moving_a_unit_under_itself_or_its_descendant_is_refused_inline(cast, login, target):
    client = login(cast.supervisor)
    ledger, path = AuditEntry.objects.count(), Unit.objects.get(pk=cast.bajiao.pk).path
    response = client.post(reverse("orgs:unit_move", args=[cast.bajiao.pk]), {"parent": getattr(cast, target).pk})
    assert response.status_code == 400
    assert "不能把单位移到它自己或它的下级单位之下。" in page(response)
    assert Unit.objects.get(pk=cast.bajiao.pk).path == path
    assert AuditEntry.objects.count() == ledger


def test_a_unit_admin_can_only_choose_parents_inside_their_subtree(cast, login):
    client = login(cast.bajiao_admin)
    path = Unit.objects.get(pk=cast.xiaojiaping.pk).path
    form = page(client.get(reverse("orgs:unit_move", args=[cast.xiaojiaping.pk])))
    assert "白果乡" not in form and "芭蕉侗族乡" in form
    response = client.post(reverse("orgs:unit_move", args=[cast.xiaojiaping.pk]), {"parent": cast.baiguo.pk})
    assert response.status_code == 400
    assert "选择一个有效的选项" in page(response)
    # Nor can they lift a unit out to the top of the tree.
    response = client.post(reverse("orgs:unit_move", args=[cast.xiaojiaping.pk]), {"parent": ""})
    assert response.status_code == 400
    assert Unit.objects.get(pk=cast.xiaojiaping.pk).path == path


# --- delete ---------------------------------------------------------------------------------
def test_deleting_an_empty_unit(cast, login):
    empty = org.unit_create(name="临时专班", parent=cast.bajiao, kind=UnitKind.OTHER, aliases=["专班"])
    client = login(cast.bajiao_admin)
    assert "确认删除" in page(client.get(reverse("orgs:unit_delete", args=[empty.pk])))
    before = entries("unit_deleted")
    response = client.post(reverse("orgs:unit_delete", args=[empty.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("orgs:unit_detail", args=[cast.bajiao.pk])
    assert "已删除单位“临时专班”" in page(response)
    assert not Unit.objects.filter(pk=empty.pk).exists() and not UnitAlias.objects.filter(name="专班").exists()
    assert entries("unit_deleted") == before + 1


@pytest.mark.parametrize("target", ["bajiao", "xiaojiaping", "office"])
def test_a_unit_that_is_not_empty_cannot_be_deleted(cast, login, target):
    unit = getattr(cast, target)
    client = login(cast.supervisor)
    ledger = AuditEntry.objects.count()
    response = client.post(reverse("orgs:unit_delete", args=[unit.pk]))
    assert response.status_code == 400
    assert "该单位下还有下级单位、人员、岗位或账户,不能删除。" in page(response)
    assert Unit.objects.filter(pk=unit.pk).exists()
    assert AuditEntry.objects.count() == ledger


def test_a_city_wide_editor_can_make_a_unit_top_level(cast, login):
    client = login(cast.supervisor)
    assert "(无,作为顶级单位)" in page(client.get(reverse("orgs:unit_move", args=[cast.xiaojiaping.pk])))
    response = client.post(reverse("orgs:unit_move", args=[cast.xiaojiaping.pk]), {"parent": ""})
    assert response.status_code == 302
    assert Unit.objects.get(pk=cast.xiaojiaping.pk).depth == 1
    assert AuditEntry.objects.filter(event="unit_moved").latest("seq").data["to"] is None


def test_a_broad_search_says_that_it_shows_only_the_first_results(cast, login):
    for i in range(55):
        org.unit_create(name=f"芭蕉组{i:02d}", parent=cast.xiaojiaping, kind=UnitKind.OTHER)
    html = page(login(cast.supervisor).get(reverse("orgs:unit_tree"), {"q": "芭蕉组"}))
    assert "只显示前 50 个结果" in html and "芭蕉组49" in html and "芭蕉组50" not in html

"""`duban demo`: the 恩施市 directory, its A/B/C posts and leading groups, one account per role."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management.base import CommandError
from django.utils import timezone

from duban.accounts.models import User
from duban.core import ledger
from duban.core.models import AuditEntry
from duban.core.roles import Role
from duban.demo.accounts import ACCOUNTS, DEMO_PASSWORD
from duban.demo.data import units as unit_data
from duban.orgs import selectors
from duban.orgs.models import LeadingGroup, Person, Post, Unit, UnitAlias, UnitKind

from .conftest import run_demo

DOCS = Path(__file__).resolve().parents[2] / "docs" / "demo.md"

TOWNSHIPS = [
    "舞阳坝街道办事处", "六角亭街道办事处", "小渡船街道办事处", "龙凤镇", "崔家坝镇", "板桥镇", "白杨坪镇", "三岔镇",
    "新塘乡", "红土乡", "沙地乡", "太阳河乡", "屯堡乡", "白果乡", "芭蕉侗族乡", "盛家坝乡", "沐抚办事处",
]

# The organs as the speech names them.
SPEECH_ORGANS = [
    "市纪委", "组织部", "宣传部", "统战部", "政法委", "市委党校", "人武部", "工会", "团市委", "妇联", "残联", "科协",
    "市委办", "巡察办", "人社局", "卫计局", "市委巡察办", "市委办公室",
]


def resolve(name: str) -> Unit:
    """The unit a text means by ``name``: its own name, or one of its aliases."""
    unit = Unit.objects.filter(name=name).first()
    if unit is None:
        unit = UnitAlias.objects.select_related("unit").get(name=name).unit
    return unit



def test_the_demo_has_all_seventeen_townships_and_offices_under_the_city(demo):
    city = Unit.objects.get(code="ES")
    townships = Unit.objects.filter(kind=UnitKind.TOWNSHIP)
    assert sorted(townships.values_list("name", flat=True)) == sorted(TOWNSHIPS)
    assert all(Unit.objects.get_parent(t) == city for t in townships)
    assert "74 units" in demo and "10 accounts" in demo


def test_the_organs_the_speech_names_resolve_to_units(demo):
    for name in SPEECH_ORGANS:
        assert resolve(name).kind in (UnitKind.PARTY, UnitKind.GOVERNMENT, UnitKind.MASS_ORG, UnitKind.OTHER), name
    assert resolve("市纪委") == resolve("市纪委监委") == resolve("纪委")
    assert resolve("巡察办") == resolve("市委巡察办")
    assert resolve("市委办") == resolve("市委办公室")
    assert resolve("卫计局").name == "市卫生和计划生育局"
    assert resolve("组织部").name == "市委组织部"
    assert resolve("芭蕉") == resolve("芭蕉乡") == Unit.objects.get(name="芭蕉侗族乡")
    assert resolve("沐抚").name == "沐抚办事处"


def test_the_supervision_office_sits_inside_the_party_committees_office(demo):
    supervision = Unit.objects.get(name="市委督查室")
    assert Unit.objects.get_parent(supervision).name == "市委办公室"
    assert Unit.objects.get_parent(Unit.objects.get_parent(supervision)).name == "中共恩施市委员会"
    assert resolve("督查室") == supervision


def test_every_alias_in_the_data_resolves_to_its_own_unit(demo):
    aliases = [(alias, spec["code"]) for spec in unit_data.UNITS for alias in spec["aliases"]]
    assert len(aliases) > 60
    for alias, code in aliases:
        assert resolve(alias).code == code, alias
    assert UnitAlias.objects.count() == len({a for a, _code in aliases})


def test_unit_codes_are_ascii_and_unique(demo):
    codes = list(Unit.objects.values_list("code", flat=True))
    assert None not in codes
    assert len(codes) == len(set(codes)) == 74
    assert all(re.fullmatch(r"[A-Z0-9]+", code) for code in codes)


def test_villages_hang_under_their_townships_as_the_speech_places_them(demo):
    assert Unit.objects.get_parent(resolve("肖家坪村")).name == "白果乡"
    assert Unit.objects.get_parent(resolve("斑竹园村")).name == "崔家坝镇"
    with_villages = [t for t in Unit.objects.filter(kind=UnitKind.TOWNSHIP)
                     if Unit.objects.get_children(t).filter(kind=UnitKind.VILLAGE).exists()]
    assert len(with_villages) >= 6
    for township in with_villages:
        assert 3 <= Unit.objects.get_children(township).count() <= 4, township.name
    # The speech's 芭蕉 and 白果 each have a 社区.
    assert Unit.objects.filter(name__in=["芭蕉社区", "白果社区"], kind=UnitKind.VILLAGE).count() == 2


def test_units_have_people_in_plausible_numbers(demo):
    for unit in Unit.objects.exclude(code="ES"):
        count = unit.people.count()
        if unit.kind == UnitKind.VILLAGE:
            assert 1 <= count <= 2, unit.name
        else:
            assert 2 <= count <= 5, unit.name
    names = list(Person.objects.values_list("name", flat=True))
    assert len(names) == len(set(names)), "generated names are unique across the city"
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", name) for name in names)
    assert Person.objects.get(name="向前进").title == "市委书记"
    assert Person.objects.get(name="苏勇").unit.name == "恩施市人民政府"


def test_every_township_and_organ_has_a_liaison_post_with_three_different_holders(demo):
    liaison_units = Unit.objects.filter(posts__title="督办联络员")
    assert set(Unit.objects.filter(kind=UnitKind.TOWNSHIP)) <= set(liaison_units)
    for name in ["市纪委监委", "市委组织部", "市委办公室", "市人力资源和社会保障局", "市卫生和计划生育局", "市总工会"]:
        assert Unit.objects.get(name=name) in liaison_units, name
    for post in Post.objects.filter(title__in=["督办联络员", "信访维稳联络员"]):
        holders = [post.a_holder_id, post.b_holder_id, post.c_holder_id]
        assert None not in holders and len(set(holders)) == 3, str(post)
        assert post.duties
    assert Post.objects.filter(title="信访维稳联络员", unit__kind=UnitKind.TOWNSHIP).count() == 17


def test_exactly_one_a_holder_is_away_today_and_b_acts_with_a_reason(demo):
    acting = selectors.acting_holders(Post.objects.select_related("a_holder", "b_holder", "c_holder"))
    backups = [a for a in acting.values() if a.is_backup]
    assert len(backups) == 1
    [act] = backups
    assert (act.post.unit.name, act.post.title, act.letter) == ("芭蕉侗族乡", "督办联络员", "B")
    assert act.person == act.post.b_holder
    assert act.post.a_holder.name in act.reason and "请假" in act.reason and "B角代行" in act.reason
    assert act.post in selectors.posts_acted_by(act.post.b_holder)
    assert act.post not in selectors.posts_acted_by(act.post.a_holder)


def test_another_a_holder_travels_next_week_and_is_in_post_today(demo):
    post = Post.objects.get(unit__name="龙凤镇", title="督办联络员")
    today = timezone.localdate()
    next_monday = today + timedelta(days=7 - today.weekday())
    assert selectors.acting_holder(post, today).letter == "A"
    away = selectors.acting_holder(post, next_monday)
    assert away.letter == "B" and "出差" in away.reason


def test_the_twelve_leading_groups_have_a_leader_an_office_members_and_duties(demo):
    groups = LeadingGroup.objects.select_related("leader", "office_unit")
    assert groups.count() == 12
    for group in groups:
        assert group.name.endswith("领导小组")
        assert group.leader is not None and group.office_unit is not None and group.duties
        assert group.established is not None
        assert group.deputies.exists()
        assert group.members.filter(person__isnull=False).exists()
        assert group.members.filter(unit__isnull=False).count() >= 3
        assert group.leader not in group.deputies.all()
    inspection = groups.get(name="市委巡察工作领导小组")
    assert inspection.office_unit.name == "市委巡察办"
    assert groups.get(name="市督查考评工作领导小组").office_unit.name == "市委督查室"
    assert groups.filter(leader__name="向前进").count() >= 6


def test_there_is_a_demo_account_for_every_role(demo):
    # Later demo builders may add accounts of their own; the documented ones are these.
    documented = User.objects.filter(username__in=[spec.username for spec in ACCOUNTS])
    assert documented.count() == len(ACCOUNTS)
    assert set(documented.values_list("role", flat=True)) == set(Role.values)
    assert {(u.username, u.role) for u in documented} == {(spec.username, spec.role) for spec in ACCOUNTS}
    assert not User.objects.filter(username__in=["admin", "root", "sa", "test"]).exists()
    assert not User.objects.filter(must_change_password=True).exists()
    assert not User.objects.filter(is_superuser=True).exists()


def test_the_liaison_accounts_follow_bajiaos_liaison_post(demo):
    post = Post.objects.get(unit__name="芭蕉侗族乡", title="督办联络员")
    assert User.objects.get(username="bajiao").person == post.a_holder
    assert User.objects.get(username="bajiao_b").person == post.b_holder
    assert User.objects.get(username="baiguo").person == Post.objects.get(unit__name="白果乡", title="督办联络员").a_holder
    assert User.objects.get(username="shuji").person.name == "向前进"
    assert User.objects.get(username="duchashi").unit.name == "市委督查室"
    assert User.objects.get(username="jiwei").unit.name == "市纪委监委"


def test_unit_accounts_see_only_their_own_township(demo):
    bajiao = Unit.objects.get(name="芭蕉侗族乡")
    bajiao_units = set(selectors.units_for_user(User.objects.get(username="bajiao_guanli")))
    assert bajiao_units == set(Unit.objects.get_tree(bajiao)) and len(bajiao_units) == 5
    baiguo_units = selectors.units_for_user(User.objects.get(username="baiguo"))
    assert not baiguo_units.filter(name="芭蕉侗族乡").exists()
    assert selectors.units_for_user(User.objects.get(username="duchashi")).count() == 74


@pytest.mark.parametrize("spec", ACCOUNTS, ids=lambda spec: spec.username)
def test_each_demo_account_signs_in_through_the_login_form(demo, client, spec):
    response = client.post("/accounts/login/", {"username": spec.username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(username=spec.username).pk)


def test_the_documentation_lists_every_account_and_the_password():
    text = DOCS.read_text(encoding="utf-8")
    assert "## Demo accounts" in text
    assert f"`{DEMO_PASSWORD}`" in text
    for spec in ACCOUNTS:
        assert re.search(rf"^\| `{spec.username}` \| {spec.role} \|", text, re.M), spec.username


def test_if_empty_is_a_no_op_on_a_second_run(demo):
    before = (Unit.objects.count(), Person.objects.count(), User.objects.count(), AuditEntry.objects.count())
    assert "nothing loaded" in run_demo("--if-empty")
    assert (Unit.objects.count(), Person.objects.count(), User.objects.count(),
            AuditEntry.objects.count()) == before


def test_a_second_run_without_if_empty_is_refused(demo):
    with pytest.raises(CommandError, match="empty database"):
        run_demo()
    assert Unit.objects.count() == 74


def test_the_ledger_records_every_object_and_verifies(demo):
    result = ledger.verify()
    assert result.ok, result.reason
    entries = AuditEntry.objects
    assert entries.filter(event="unit_created").count() == Unit.objects.count()
    assert entries.filter(event="person_created").count() == Person.objects.count()
    assert entries.filter(event="post_created").count() == Post.objects.count()
    assert entries.filter(event="group_created").count() == 12
    assert entries.filter(event="absence_created").count() == 2
    # 三员分立: the administrators are bootstrapped, the system administrator creates the other
    # accounts and the security administrator grants their roles.
    admins = {spec.username for spec in ACCOUNTS if spec.role in (Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR)}
    assert set(entries.filter(event="admin_created").values_list("object_repr", flat=True)) == {
        str(user) for user in User.objects.filter(username__in=admins)}
    business = [str(pk) for pk in User.objects.filter(
        username__in=[spec.username for spec in ACCOUNTS if spec.username not in admins]).values_list("pk", flat=True)]
    assert len(business) == len(ACCOUNTS) - 3
    for event in ("user_created", "role_granted"):
        assert entries.filter(event=event, object_id__in=business).count() == len(business), event
    assert set(entries.filter(event="user_created").values_list("actor__username", flat=True)) == {"sysadmin"}
    assert set(entries.filter(event="role_granted").values_list("actor__username", flat=True)) == {"secadmin"}
    assert len(set(entries.values_list("request_id", flat=True))) == 1



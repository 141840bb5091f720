"""The fixed cast (see conftest.py), as a plain function so module-scoped fixtures can build it
once too (tests/test_authz_matrix.py)."""

PASSWORD = "Cast-Password-2026!"


def build_cast():
    from duban.accounts import services as acc
    from duban.core.roles import Role
    from duban.orgs import services as org
    from duban.orgs.models import UnitKind

    class Cast:
        pass

    c = Cast()
    c.city = org.unit_create(name="中共恩施市委员会", kind=UnitKind.PARTY, short_name="市委", code="SW",
                             aliases=["市委"])
    c.office = org.unit_create(name="市委办公室", parent=c.city, kind=UnitKind.PARTY, code="SWB",
                               aliases=["市委办"])
    c.bajiao = org.unit_create(name="芭蕉侗族乡", parent=c.city, kind=UnitKind.TOWNSHIP, code="BJ",
                               aliases=["芭蕉乡", "芭蕉"])
    c.xiaojiaping = org.unit_create(name="肖家坪村", parent=c.bajiao, kind=UnitKind.VILLAGE, code="XJP")
    c.baiguo = org.unit_create(name="白果乡", parent=c.city, kind=UnitKind.TOWNSHIP, code="BG", aliases=["白果"])
    c.banzhuyuan = org.unit_create(name="斑竹园村", parent=c.baiguo, kind=UnitKind.VILLAGE, code="BZY")

    c.p_bajiao_a = org.person_create(name="张三", unit=c.bajiao, title="党委委员")
    c.p_bajiao_b = org.person_create(name="李四", unit=c.bajiao, title="党政办主任")
    c.p_bajiao_c = org.person_create(name="王五", unit=c.bajiao, title="党政办干事")
    c.p_baiguo = org.person_create(name="赵六", unit=c.baiguo, title="党政办主任")
    c.p_village = org.person_create(name="孙七", unit=c.xiaojiaping, title="村支书")
    c.post_bajiao = org.post_create(unit=c.bajiao, title="督办联络员", a_holder=c.p_bajiao_a,
                                    b_holder=c.p_bajiao_b, c_holder=c.p_bajiao_c)

    def make(username, role, unit=None, person=None):
        user = acc.user_create(actor=None, username=username, password=PASSWORD, full_name=username,
                               unit=unit, person=person, must_change_password=False)
        # The role as a grant would write it (without the grant's checks and ledger row), so the
        # row MAC covers it (DP-03); a bare UPDATE would leave the account flagged as tampered.
        user.role = role
        user.save(update_fields=["role"])
        user.refresh_from_db()
        return user

    c.supervisor = make("supervisor", Role.SUPERVISOR, c.office)
    c.leader = make("leader", Role.LEADER, c.city)
    c.discipline = make("discipline", Role.DISCIPLINE, c.city)
    c.bajiao_liaison = make("bajiao", Role.LIAISON, c.bajiao, c.p_bajiao_a)
    c.bajiao_b = make("bajiao_b", Role.LIAISON, c.bajiao, c.p_bajiao_b)
    c.baiguo_liaison = make("baiguo", Role.LIAISON, c.baiguo, c.p_baiguo)
    c.village_liaison = make("village", Role.LIAISON, c.xiaojiaping, c.p_village)
    c.bajiao_admin = make("bajiao_admin", Role.UNIT_ADMIN, c.bajiao)
    c.sysadmin = make("sysadmin1", Role.SYSADMIN)
    c.secadmin = make("secadmin1", Role.SECADMIN)
    c.auditor = make("auditor1", Role.AUDITOR)
    c.password = PASSWORD
    return c

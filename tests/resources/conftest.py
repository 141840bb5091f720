import pytest

from castlib import PASSWORD


@pytest.fixture
def tree(cast):
    """A three-level route: 乡村振兴领导小组办公室 → 农业农村局 → 红土乡, with an account at each level
    (the office's is the 督查室's role: it may turn a grant into a task)."""
    from duban.accounts import services as acc
    from duban.accounts.models import User
    from duban.core.roles import Role
    from duban.orgs import services as org
    from duban.orgs.models import UnitKind

    class Tree:
        pass

    t = Tree()
    t.office = org.unit_create(name="乡村振兴领导小组办公室", parent=cast.city, kind=UnitKind.PARTY, code="LGO")
    t.dept = org.unit_create(name="农业农村局", parent=t.office, kind=UnitKind.GOVERNMENT, code="NYJ")
    t.town = org.unit_create(name="红土乡", parent=t.dept, kind=UnitKind.TOWNSHIP, code="HT")
    t.other_town = org.unit_create(name="沙地乡", parent=t.dept, kind=UnitKind.TOWNSHIP, code="SD")

    def make(username, role, unit):
        user = acc.user_create(actor=None, username=username, password=PASSWORD, full_name=username, unit=unit,
                               must_change_password=False)
        User.objects.filter(pk=user.pk).update(role=role)
        user.refresh_from_db()
        return user

    t.town_user = make("hongtu", Role.LIAISON, t.town)
    t.other_user = make("shadi", Role.LIAISON, t.other_town)
    t.dept_user = make("nyj_admin", Role.UNIT_ADMIN, t.dept)
    t.office_user = make("lgo", Role.SUPERVISOR, t.office)
    return t

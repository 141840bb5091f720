"""One demo account per role, all with the same local-only password (docs/demo.md).

The accounts are made the way a real deployment makes them (三员分立): the three administrators
come from admin_bootstrap (what `duban createadmin` uses), the system administrator creates the
business accounts, and the security administrator grants their roles. So the demo's ledger shows
who did what, and user_create checks the demo password against the real policy.
"""

from __future__ import annotations

from dataclasses import dataclass

from duban.accounts import services
from duban.accounts.models import User
from duban.core.roles import ADMIN_ROLES, Role
from duban.demo.directory import ON_LEAVE_TODAY

# For local demonstration only. It satisfies the password policy (length, three character
# classes, no user, unit or city words), which user_create checks; `duban demo` refuses to run
# under production settings, so this password never exists on a production server.
DEMO_PASSWORD = "Xidu-Kaiju-2017"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    unit: str | None  # unit code in duban.demo.data.units
    person: tuple[str, str] | None  # (unit code, staff slot)
    full_name: str = ""  # for accounts without a person
    try_this: str = ""  # what docs/demo.md suggests trying with it


_BJ_CODE = ON_LEAVE_TODAY[0]

ACCOUNTS = [
    DemoAccount("duchashi", Role.SUPERVISOR, "DCS", ("DCS", "head"),
                try_this="立项、分解、交办任务;催办、督办单;查看全市单位、人员、岗位与领导小组"),
    DemoAccount("shuji", Role.LEADER, "SW", ("SW", "secretary"),
                try_this="只读查看全市情况,对任务作批示"),
    DemoAccount("jiwei", Role.DISCIPLINE, "SJW", ("SJW", "deputy"),
                try_this="全市范围只读查看任务与单位,为巡察、问责做准备"),
    DemoAccount("bajiao_guanli", Role.UNIT_ADMIN, _BJ_CODE, None, full_name="芭蕉侗族乡单位管理员",
                try_this="维护芭蕉侗族乡及所辖村、社区的人员和岗位;看不到其他乡镇"),
    DemoAccount("bajiao", Role.LIAISON, _BJ_CODE, (_BJ_CODE, "office"),
                try_this="芭蕉督办联络员A角,今天请假:岗位页显示由B角代行"),
    DemoAccount("bajiao_b", Role.LIAISON, _BJ_CODE, (_BJ_CODE, "clerk"),
                try_this="芭蕉督办联络员B角,A角请假期间代行,待办随岗位转来"),
    DemoAccount("baiguo", Role.LIAISON, "BG", ("BG", "office"),
                try_this="白果乡督办联络员A角;看不到芭蕉的数据(404)"),
    DemoAccount("sysadmin", Role.SYSADMIN, None, None, full_name="系统管理员",
                try_this="创建、停用账户,维护单位目录"),
    DemoAccount("secadmin", Role.SECADMIN, None, None, full_name="安全管理员",
                try_this="授予、撤销角色"),
    DemoAccount("auditor", Role.AUDITOR, None, None, full_name="安全审计员",
                try_this="查看审计日志,校验台账哈希链"),
]


def build_accounts(directory: dict) -> dict[str, User]:
    """Create ACCOUNTS with their roles; returns username -> User."""
    users: dict[str, User] = {}
    for spec in ACCOUNTS:
        if spec.role in ADMIN_ROLES:
            users[spec.username] = services.admin_bootstrap(
                username=spec.username, password=DEMO_PASSWORD, role=spec.role, full_name=spec.full_name)
    sysadmin, secadmin = _only(users, Role.SYSADMIN), _only(users, Role.SECADMIN)
    for spec in ACCOUNTS:
        if spec.role in ADMIN_ROLES:
            continue
        person = directory["people"][spec.person] if spec.person else None
        user = services.user_create(
            actor=sysadmin, username=spec.username, password=DEMO_PASSWORD,
            full_name=person.name if person else spec.full_name,
            unit=directory["units"][spec.unit] if spec.unit else None, person=person,
            must_change_password=False,
        )
        users[spec.username] = services.role_grant(actor=secadmin, user=user, role=spec.role)
    return users


def _only(users: dict[str, User], role: str) -> User:
    [user] = [u for u in users.values() if u.role == role]
    return user

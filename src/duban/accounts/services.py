"""Accounts: sign-in with lockout and throttling, passwords, roles, API tokens.

Lockout is written here rather than with django-axes because IA-05/IA-06 need behaviour axes
does not give as a whole: one identical answer for unknown, wrong, locked and disabled accounts;
the hasher run for unknown names; counters on the user row (shared by every app server,
surviving restarts); and every event in duban's own hash-chained ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.accounts.models import ApiToken, User
from duban.accounts.roles import Role
from duban.core import context, ledger
from duban.core.models import Outcome

# A fixed hash checked for unknown usernames, so they cost the same time as known ones.
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = make_password("duban-timing-equaliser-not-a-password")
    return _DUMMY_HASH


class LoginFailed(Exception):
    """Raised with one generic message whatever the cause (IA-06)."""

    message = _("用户名或密码错误,或账户暂不可用。")


class LoginThrottled(Exception):
    pass


@dataclass
class _Outcome:
    user: User | None
    reason: str


def _ip_key(ip: str | None) -> str:
    return f"duban:loginfail:ip:{ip or 'unknown'}"


def _ip_failure(ip: str | None) -> None:
    key = _ip_key(ip)
    timeout = int(settings.DUBAN_LOCKOUT_WINDOW.total_seconds())
    if cache.add(key, 1, timeout):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout)


def ip_is_throttled(ip: str | None) -> bool:
    return (cache.get(_ip_key(ip)) or 0) >= settings.DUBAN_IP_FAILURE_LIMIT


def _fail(username: str, reason: str, user: User | None = None, event: str = "login_failed") -> None:
    ledger.append(event=event, outcome=Outcome.FAILURE, actor=user,
                  object_type="accounts.user", object_id=str(user.pk) if user else "",
                  data={"username": username[:150], "reason": reason})
    raise LoginFailed()


def authenticate_password(username: str, password: str) -> User:
    """Check a username and password for sign-in (web and API alike).

    Raises LoginThrottled when this address failed too often, LoginFailed (generic) on any
    other failure; every attempt is in the ledger."""
    ip = context.current().ip
    username = (username or "").strip()
    if ip_is_throttled(ip):
        ledger.append(event="login_throttled", outcome=Outcome.DENIED, data={"username": username[:150]})
        raise LoginThrottled()
    if not username or not password:
        _ip_failure(ip)
        _fail(username, "empty")
    user = User.objects.select_related("unit").filter(username__iexact=username).first()
    if user is None:
        User().set_password(password)  # hash anyway: same cost as a real check (IA-06)
        _ip_failure(ip)
        _fail(username, "unknown_user")
    now = timezone.now()
    password_ok = user.check_password(password)
    if user.is_locked:
        _ip_failure(ip)
        _fail(username, "locked", user, event="login_blocked")
    if not user.is_active or (user.valid_until and user.valid_until < timezone.localdate()):
        _ip_failure(ip)
        _fail(username, "inactive", user)
    if not password_ok:
        _ip_failure(ip)
        _register_failure(user, now)
        _fail(username, "bad_password", user)
    if user.failed_login_count or user.locked_until:
        User.objects.filter(pk=user.pk).update(failed_login_count=0, first_failed_login_at=None, locked_until=None)
        user.failed_login_count, user.first_failed_login_at, user.locked_until = 0, None, None
    return user


def _register_failure(user: User, now) -> None:
    window_start = now - settings.DUBAN_LOCKOUT_WINDOW
    with transaction.atomic():
        # Counting in the database (F()) keeps several app servers from losing increments.
        restarted = User.objects.filter(pk=user.pk).exclude(first_failed_login_at__gte=window_start).update(
            failed_login_count=1, first_failed_login_at=now)
        if not restarted:
            User.objects.filter(pk=user.pk).update(failed_login_count=F("failed_login_count") + 1)
        user.refresh_from_db(fields=["failed_login_count", "first_failed_login_at", "locked_until"])
        if user.failed_login_count >= settings.DUBAN_LOCKOUT_THRESHOLD:
            until = now + settings.DUBAN_LOCKOUT_DURATION
            User.objects.filter(pk=user.pk).update(locked_until=until, failed_login_count=0, first_failed_login_at=None)
            ledger.append(event="account_locked", outcome=Outcome.FAILURE, obj=user, actor=user,
                          data={"until": until.isoformat(), "threshold": settings.DUBAN_LOCKOUT_THRESHOLD})


# --- passwords --------------------------------------------------------------------------------
def _set_password(user: User, password: str, *, must_change: bool) -> None:
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.must_change_password = must_change
    user.save(update_fields=["password", "password_changed_at", "must_change_password"])
    # Changing a credential ends every API token (IA-09); sessions end through the auth hash.
    ApiToken.objects.filter(user=user).delete()


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        ledger.append(event="password_change_failed", outcome=Outcome.FAILURE, obj=user, actor=user,
                      data={"reason": "wrong_old_password"})
        raise ValidationError({"old_password": _("原密码不正确。")})
    if old_password == new_password:
        raise ValidationError({"new_password1": _("新密码不能与原密码相同。")})
    _set_password(user, new_password, must_change=False)
    ledger.append(event="password_changed", obj=user, actor=user)


@transaction.atomic
def password_set_by_admin(*, admin: User, user: User, new_password: str) -> None:
    _set_password(user, new_password, must_change=True)
    ledger.append(event="password_reset", obj=user, actor=admin)


# --- accounts and roles -----------------------------------------------------------------------
@transaction.atomic
def user_create(*, actor: User | None, username: str, password: str, full_name: str = "", unit=None,
                person=None, email: str = "", must_change_password: bool = True) -> User:
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": _("请填写用户名。")})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("用户名“%(name)s”已存在(不区分大小写)。") % {"name": username}})
    user = User(username=username, last_name=full_name, unit=unit, person=person, email=email)
    user.full_clean(exclude=["password"], validate_constraints=False)
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.must_change_password = must_change_password
    user.save()
    ledger.append(event="user_created", obj=user, actor=actor,
                  data={"unit": unit.pk if unit else None, "person": person.pk if person else None})
    return user


@transaction.atomic
def user_set_active(*, actor: User, user: User, active: bool) -> None:
    if user.pk == actor.pk:
        raise ValidationError(_("不能停用自己的账户。"))
    User.objects.filter(pk=user.pk).update(is_active=active)
    user.is_active = active
    if not active:
        ApiToken.objects.filter(user=user).delete()
    ledger.append(event="user_enabled" if active else "user_disabled", obj=user, actor=actor)


@transaction.atomic
def role_grant(*, actor: User, user: User, role: str, unit=None) -> User:
    """Give an account its role. One account holds one role (三员分立, AC-03): an account that
    already holds a different role must have it revoked first, and nobody grants themselves."""
    if role not in Role.values:
        raise ValidationError({"role": _("未知角色。")})
    problem = None
    if user.pk == actor.pk:
        problem = _("不能给自己授予角色。")
    elif user.role and user.role != role:
        problem = _("该账户已有角色“%(role)s”,一个账户只能担任一个角色;请先撤销。") % {
            "role": Role(user.role).label}
    elif role in (Role.UNIT_ADMIN, Role.LIAISON) and (unit or user.unit) is None:
        problem = _("单位管理员和联络员必须指定所属单位。")
    if problem:
        ledger.append(event="role_grant_refused", outcome=Outcome.DENIED, obj=user, actor=actor,
                      data={"role": role, "reason": problem})
        raise ValidationError({"role": problem})
    before = {"role": user.role, "unit": user.unit_id}
    user.role = role
    if unit is not None:
        user.unit = unit
    user.save(update_fields=["role", "unit"])
    ApiToken.objects.filter(user=user).delete()
    ledger.append(event="role_granted", obj=user, actor=actor,
                  data={"changes": ledger.diff(before, {"role": user.role, "unit": user.unit_id})})
    return user


@transaction.atomic
def role_revoke(*, actor: User, user: User) -> User:
    if user.pk == actor.pk:
        raise ValidationError(_("不能撤销自己的角色。"))
    old = user.role
    user.role = ""
    user.save(update_fields=["role"])
    ApiToken.objects.filter(user=user).delete()
    ledger.append(event="role_revoked", obj=user, actor=actor, data={"role": old})
    return user


@transaction.atomic
def user_unlock(*, actor: User, user: User) -> None:
    User.objects.filter(pk=user.pk).update(locked_until=None, failed_login_count=0, first_failed_login_at=None)
    ledger.append(event="account_unlocked", obj=user, actor=actor)


# --- API tokens -------------------------------------------------------------------------------
@transaction.atomic
def token_issue(*, user: User, name: str = "") -> str:
    key = ApiToken.new_key()
    now = timezone.now()
    ApiToken.objects.create(user=user, key_hash=ApiToken.hash_key(key), name=name[:100],
                            created_at=now, last_used_at=now, expires_at=now + settings.DUBAN_SESSION_ABSOLUTE)
    ledger.append(event="api_token_issued", obj=user, actor=user)
    return key


def token_user(key: str) -> User | None:
    """The user a bearer token stands for, if it is alive; a token idle for longer than the
    session idle timeout, or past its absolute lifetime, is deleted (IA-07)."""
    token = ApiToken.objects.select_related("user", "user__unit").filter(key_hash=ApiToken.hash_key(key)).first()
    if token is None:
        return None
    now = timezone.now()
    if token.expires_at <= now or token.last_used_at + settings.DUBAN_SESSION_IDLE <= now or not token.user.is_active:
        token.delete()
        ledger.append(event="session_timeout", outcome=Outcome.FAILURE, obj=token.user, actor=token.user,
                      data={"kind": "api_token"})
        return None
    if now - token.last_used_at > timedelta(seconds=30):  # don't write on every call
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user

"""Accounts: sign-in with lockout and throttling, passwords, roles, API tokens.

Lockout is written here rather than with django-axes because IA-05/IA-06 need behaviour axes
does not give as a whole: one identical answer for unknown, wrong, locked and disabled accounts;
the hasher run for unknown names; counters on the user row (shared by every app server,
surviving restarts); and every event in duban's own hash-chained ledger.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.accounts.models import ApiToken, EncryptedTOTPDevice, PasswordHistory, RecoveryCode, User
from duban.core import context, ledger, permissions
from duban.core.middleware import BAD_CHARACTERS
from duban.core.models import Outcome
from duban.core.roles import ADMIN_ROLES, Role

UNIT_ROLES = frozenset({Role.UNIT_ADMIN, Role.LIAISON})

class LoginFailed(Exception):
    """Raised with one generic message whatever the cause (IA-06)."""

    message = _("用户名或密码错误,或账户暂不可用。")


class LoginThrottled(Exception):
    pass


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
    if BAD_CHARACTERS.search(username) or "\x00" in password:
        # A NUL or control character (PostgreSQL cannot even look it up): a failed attempt like
        # any other, counted and recorded (the ledger shows the NUL as U+2400).
        User().set_password(password.replace("\x00", ""))  # the same cost as a real check (IA-06)
        _ip_failure(ip)
        _fail(username, "bad_characters")
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
    if user.must_change_password and user.one_time_password_until and user.one_time_password_until <= now:
        # An initial or reset password not used in time (IA-04): refused like any failure, the
        # system administrator sets a new one.
        _fail(username, "one_time_password_expired", user)
    if user.must_change_password and user.one_time_password_until:
        # A one-time password works once (IA-04): this sign-in uses it up. The session it opens
        # can only change the password (the old one is still checked there); signing in again
        # with it is refused as expired, and the sysadmin sets a new one.
        User.objects.filter(pk=user.pk).update(one_time_password_until=now)
        user.one_time_password_until = now
    if user.failed_login_count or user.locked_until:
        User.objects.filter(pk=user.pk).update(failed_login_count=0, first_failed_login_at=None, locked_until=None)
        user.failed_login_count, user.first_failed_login_at, user.locked_until = 0, None, None
    if user.password_expired and not user.must_change_password:
        # Past the maximum age (IA-03): the account may sign in, but only to change it.
        User.objects.filter(pk=user.pk).update(must_change_password=True)
        user.must_change_password = True
        ledger.append(event="password_expired", outcome=Outcome.FAILURE, obj=user, actor=user,
                      data={"changed_at": user.password_changed_at.isoformat(),
                            "max_age_days": getattr(settings, "DUBAN_PASSWORD_MAX_AGE_DAYS", 90)})
    return user


def login_record(*, actor: User, second_factor: str = "") -> None:
    """The sign-in that ``authenticate_password`` admitted (and, for an account with two factors,
    ``second_factor_check``) has started a session: one ``login`` entry naming the second factor
    used, if any. Called by the login views right after Django's ``login()``; nothing else signs in."""
    ledger.append(event="login", obj=actor, actor=actor, data={"second_factor": second_factor} if second_factor else None)


def logout_record(*, actor: User) -> None:
    """``actor`` signed out: one ``logout`` entry (the view then ends the session)."""
    ledger.append(event="logout", obj=actor, actor=actor)


def session_timeout_record(*, actor: User, kind: str) -> None:
    """``actor``'s session ran past the idle or absolute limit (``kind``): one entry; the
    middleware then ends the session."""
    ledger.append(event="session_timeout", outcome=Outcome.FAILURE, obj=actor, actor=actor, data={"kind": kind})


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
            # Conditional, so two app servers crossing the threshold together lock (and log) once.
            locked = User.objects.filter(pk=user.pk, failed_login_count__gte=settings.DUBAN_LOCKOUT_THRESHOLD).update(
                locked_until=until, failed_login_count=0, first_failed_login_at=None)
            if not locked:
                return
            ledger.append(event="account_locked", outcome=Outcome.FAILURE, obj=user, actor=user,
                          data={"until": until.isoformat(), "threshold": settings.DUBAN_LOCKOUT_THRESHOLD})


# --- refusals ---------------------------------------------------------------------------------
def _refuse(*, event: str, actor: User | None, user: User | None, exc: ValidationError, data: dict | None = None,
            outcome: str = Outcome.FAILURE) -> None:
    """Record a refused administrative or credential action, then re-raise its error.

    Called after the action's own transaction has rolled back, so the refusal row survives
    (the change itself left nothing behind). Only error codes go into the ledger, never the
    submitted password."""
    codes = sorted({e.code or "invalid" for e in exc.error_list}) if hasattr(exc, "error_list") else []
    if hasattr(exc, "error_dict"):
        codes = sorted({f"{field}:{e.code or 'invalid'}" for field, errs in exc.error_dict.items() for e in errs})
    ledger.append(event=event, outcome=outcome, obj=user, actor=actor,
                  object_type="" if user is not None else "accounts.user",
                  object_repr="" if user is not None else str((data or {}).get("username", "")),
                  data={**(data or {}), "reasons": codes})
    raise exc


def _require(actor: User | None, perm: str) -> None:
    # Services are also called by commands (actor None, run by whoever holds the server);
    # anyone acting through the web or API must hold the function permission.
    if actor is not None:
        permissions.require(actor, perm)


def _validate_password(password: str, user: User) -> None:
    password_validation.validate_password(password, user)


# --- passwords --------------------------------------------------------------------------------
def _history_size() -> int:
    return max(0, int(getattr(settings, "DUBAN_PASSWORD_HISTORY", 5)))


def _check_history(user: User, password: str) -> None:
    """Refuse the current password and the ones before it (IA-03, last 5 by default)."""
    size = _history_size()
    if not size or user.pk is None:
        return
    hashes = list(PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[:size])
    if user.password and user.password not in hashes:  # accounts from before the history existed
        hashes = [user.password, *hashes[: size - 1]]
    if any(check_password(password, encoded) for encoded in hashes if encoded):
        raise ValidationError(_("不能使用最近 %(n)d 次用过的密码。") % {"n": size}, code="password_reused")


def _remember_password(user: User) -> None:
    size = _history_size()
    if not size:
        return
    PasswordHistory.objects.create(user=user, password=user.password, created_at=user.password_changed_at)
    stale = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[size:]
    PasswordHistory.objects.filter(pk__in=list(stale)).delete()


def _one_time_until(now, *, reset: bool = False):
    """When an initial password (DUBAN_ONE_TIME_PASSWORD_HOURS, 24 h: a new colleague may start
    tomorrow) or a reset password (DUBAN_RESET_PASSWORD_MINUTES, 30 min: the sysadmin hands it to
    someone waiting for it; it is duban's reset token, IA-04) stops signing in."""
    if reset:
        return now + timedelta(minutes=int(getattr(settings, "DUBAN_RESET_PASSWORD_MINUTES", 30)))
    return now + timedelta(hours=int(getattr(settings, "DUBAN_ONE_TIME_PASSWORD_HOURS", 24)))


def _set_password(user: User, password: str, *, must_change: bool, reset: bool = False) -> None:
    _validate_password(password, user)
    _check_history(user, password)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.must_change_password = must_change
    user.one_time_password_until = (_one_time_until(user.password_changed_at, reset=reset) if must_change
                                    else None)
    user.save(update_fields=["password", "password_changed_at", "must_change_password",
                             "one_time_password_until"])
    _remember_password(user)
    # Changing a credential ends every API token (IA-09); sessions end through the auth hash.
    ApiToken.objects.filter(user=user).delete()


def password_change(*, actor: User, old_password: str, new_password: str) -> None:
    """The user changes their own password. A wrong old password or a password the policy
    rejects is one ``password_change_failed`` row; success is one ``password_changed`` row.
    ``actor`` is both who acts and the account acted upon."""
    user = actor
    try:
        with transaction.atomic():
            if not user.check_password(old_password):
                raise ValidationError({"old_password": ValidationError(_("原密码不正确。"), code="wrong_old_password")})
            if old_password == new_password:
                raise ValidationError({"new_password1": ValidationError(_("新密码不能与原密码相同。"),
                                                                        code="password_unchanged")})
            _set_password(user, new_password, must_change=False)
            ledger.append(event="password_changed", obj=user, actor=user)
    except ValidationError as exc:
        user.refresh_from_db(fields=["password", "password_changed_at", "must_change_password",
                                     "one_time_password_until"])
        _refuse(event="password_change_failed", actor=user, user=user, exc=exc)


def _guard_admin_target(actor: User | None, user: User) -> None:
    """三员分立: the system administrator runs ordinary accounts. Resetting the password of, or
    disabling, the security administrator or the auditor would let one administrator take
    over another's duties, so that is refused here (server-side recovery: docs/security.md)."""
    if actor is not None and user.pk != actor.pk and user.role in (Role.SECADMIN, Role.AUDITOR):
        raise ValidationError(_("系统管理员不能操作安全管理员或审计管理员的账户。"), code="separation_of_duties")


def password_set_by_admin(*, actor: User, user: User, new_password: str) -> None:
    """The system administrator sets a one-time password: the user must change it at the next
    sign-in (IA-04), and the user's sessions and tokens end."""
    _require(actor, permissions.ACCOUNTS_MANAGE)
    try:
        with transaction.atomic():
            if user.pk == actor.pk:
                raise ValidationError(_("请通过“修改密码”修改自己的密码。"), code="own_account")
            _guard_admin_target(actor, user)
            _set_password(user, new_password, must_change=True, reset=True)
            ledger.append(event="password_reset", obj=user, actor=actor)
    except ValidationError as exc:
        user.refresh_from_db(fields=["password", "password_changed_at", "must_change_password",
                                     "one_time_password_until"])
        _refuse(event="password_reset_refused", actor=actor, user=user, exc=exc)


# --- accounts ---------------------------------------------------------------------------------
# Names an installer or an attacker would try first (AC-01); never given to an account.
RESERVED_USERNAMES = frozenset({"admin", "administrator", "root", "sa", "test", "guest", "system", "系统管理员",
                                "管理员", "超级管理员"})


def _check_username(username: str) -> str:
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": ValidationError(_("请填写用户名。"), code="required")})
    if username.lower() in RESERVED_USERNAMES:
        raise ValidationError({"username": ValidationError(
            _("“%(name)s”是默认或保留的账户名,不能使用。") % {"name": username}, code="reserved")})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": ValidationError(
            _("用户名“%(name)s”已存在(不区分大小写)。") % {"name": username}, code="taken")})
    return username


def _check_person(person, unit):
    if person is None:
        return unit
    if User.objects.filter(person=person).exists():
        raise ValidationError({"person": ValidationError(_("该人员已关联其他账户。"), code="person_taken")})
    if unit is None:
        return person.unit
    if person.unit_id != unit.pk:
        raise ValidationError({"person": ValidationError(_("所选人员不属于所选单位。"), code="person_unit")})
    return unit


def _new_user(*, username: str, password: str, full_name: str, unit, person, email: str, must_change: bool,
              role: str = "") -> User:
    username = _check_username(username)
    unit = _check_person(person, unit)
    user = User(username=username, last_name=(full_name or "").strip(), unit=unit, person=person, email=email,
                role=role)
    user.full_clean(exclude=["password"], validate_constraints=False)
    _validate_password(password, user)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.must_change_password = must_change
    user.one_time_password_until = _one_time_until(user.password_changed_at) if must_change else None
    try:
        with transaction.atomic():
            user.save()
            _remember_password(user)
    except IntegrityError as exc:  # another request took the name between the check and the insert
        raise ValidationError({"username": ValidationError(
            _("用户名“%(name)s”已存在(不区分大小写)。") % {"name": username}, code="taken")}) from exc
    return user


def user_create(*, actor: User | None, username: str, password: str, full_name: str = "", unit=None,
                person=None, email: str = "", must_change_password: bool = True) -> User:
    """Create an account without a role (the security administrator grants roles). The initial
    password passes the policy and, by default, must be changed at first sign-in (IA-04)."""
    _require(actor, permissions.ACCOUNTS_MANAGE)
    try:
        with transaction.atomic():
            user = _new_user(username=username, password=password, full_name=full_name, unit=unit, person=person,
                             email=email, must_change=must_change_password)
            ledger.append(event="user_created", obj=user, actor=actor,
                          data={"unit": user.unit_id, "person": person.pk if person else None,
                                "must_change_password": must_change_password})
    except ValidationError as exc:
        if actor is None:
            raise
        _refuse(event="user_create_refused", actor=actor, user=None, exc=exc,
                data={"username": (username or "")[:150]})
    return user


def admin_bootstrap(*, username: str, password: str, role: str, unit=None, full_name: str = "") -> User:
    """Create an administrator from the server's command line (``duban createadmin``): the only
    way to make the first 三员 accounts, so production never ships a default account (AC-01)."""
    if role not in ADMIN_ROLES:
        raise ValidationError({"role": ValidationError(_("只能创建系统管理员、安全管理员或审计管理员。"), code="role")})
    with transaction.atomic():
        user = _new_user(username=username, password=password, full_name=full_name, unit=unit, person=None,
                         email="", must_change=False, role=role)
        ledger.append(event="admin_created", obj=user, actor=None,
                      data={"role": role, "unit": user.unit_id, "via": "createadmin"})
    return user


def user_set_active(*, actor: User, user: User, active: bool) -> None:
    """Enable or disable an account. Disabling ends its sessions at their next request (the
    backend refuses inactive users) and deletes its API tokens."""
    _require(actor, permissions.ACCOUNTS_MANAGE)
    event = "user_enabled" if active else "user_disabled"
    try:
        with transaction.atomic():
            if user.pk == actor.pk:
                raise ValidationError(_("不能停用或启用自己的账户。"), code="own_account")
            _guard_admin_target(actor, user)
            if user.is_active == active:
                raise ValidationError(_("该账户已是启用状态。") if active else _("该账户已是停用状态。"),
                                      code="unchanged")
            User.objects.filter(pk=user.pk).update(is_active=active)
            if not active:
                ApiToken.objects.filter(user=user).delete()
            ledger.append(event=event, obj=user, actor=actor,
                          data={"changes": ledger.diff({"is_active": user.is_active}, {"is_active": active})})
            user.is_active = active
    except ValidationError as exc:
        _refuse(event=f"{event}_refused", actor=actor, user=user, exc=exc)


def accounts_disable_stale(*, now=None) -> list[User]:
    """Disable accounts nobody has used for DUBAN_ACCOUNT_IDLE_DAYS (default 90) and accounts
    past their ``valid_until`` date (AC-02). Idempotent: a second run finds nothing to do.

    The three administrators are left alone: disabling the only security administrator by
    a timer would leave nobody able to grant roles, and they are few and watched by each other.
    Each account disabled is one ``user_disabled`` entry with the reason."""
    now = now or timezone.now()
    days = int(getattr(settings, "DUBAN_ACCOUNT_IDLE_DAYS", 90))
    candidates = User.objects.filter(is_active=True).exclude(role__in=ADMIN_ROLES)
    stale = models.Q(valid_until__lt=timezone.localdate(now))
    if days:
        cutoff = now - timedelta(days=days)
        stale |= models.Q(last_login__lt=cutoff) | models.Q(last_login__isnull=True, date_joined__lt=cutoff)
    disabled = []
    for user in candidates.filter(stale).order_by("pk"):
        expired = bool(user.valid_until and user.valid_until < timezone.localdate(now))
        with transaction.atomic():
            # Conditional, so two workers never disable (and log) the same account twice.
            if not User.objects.filter(pk=user.pk, is_active=True).update(is_active=False):
                continue
            ApiToken.objects.filter(user=user).delete()
            ledger.append(event="user_disabled", obj=user, actor=None,
                          data={"changes": {"is_active": [True, False]},
                                "reason": "expired" if expired else "idle",
                                "last_login": user.last_login.isoformat() if user.last_login else None,
                                "idle_days": days})
        user.is_active = False
        disabled.append(user)
    return disabled


# --- roles and locks (security administrator) -------------------------------------------------
def role_grant(*, actor: User, user: User, role: str, unit=None) -> User:
    """Give an account its role. One account holds one role (三员分立, AC-03): an account that
    already holds a different role must have it revoked first, and nobody grants themselves."""
    _require(actor, permissions.ROLES_GRANT)
    before = {"role": user.role, "unit": user.unit_id}
    try:
        with transaction.atomic():
            if role not in Role.values:
                raise ValidationError({"role": ValidationError(_("未知角色。"), code="unknown_role")})
            if user.pk == actor.pk:
                raise ValidationError({"role": ValidationError(_("不能给自己授予角色。"), code="own_account")})
            if user.role and user.role != role:
                raise ValidationError({"role": ValidationError(
                    _("该账户已有角色“%(role)s”,一个账户只能担任一个角色;请先撤销。") % {"role": Role(user.role).label},
                    code="one_role_per_account")})
            if user.role == role and (unit is None or unit.pk == user.unit_id):
                raise ValidationError({"role": ValidationError(_("该账户已是此角色。"), code="unchanged")})
            if role in UNIT_ROLES and (unit or user.unit) is None:
                raise ValidationError({"unit": ValidationError(_("单位管理员和联络员必须指定所属单位。"),
                                                               code="unit_required")})
            user.role = role
            if unit is not None:
                user.unit = unit
            user.save(update_fields=["role", "unit"])
            # A new role means new permissions: tokens issued under the old role end.
            ApiToken.objects.filter(user=user).delete()
            ledger.append(event="role_granted", obj=user, actor=actor,
                          data={"changes": ledger.diff(before, {"role": user.role, "unit": user.unit_id})})
    except ValidationError as exc:
        user.role, user.unit_id = before["role"], before["unit"]
        _refuse(event="role_grant_refused", actor=actor, user=user, exc=exc, data={"role": str(role)[:32]},
                outcome=Outcome.DENIED)
    return user


def role_revoke(*, actor: User, user: User) -> User:
    _require(actor, permissions.ROLES_GRANT)
    old = user.role
    try:
        with transaction.atomic():
            if user.pk == actor.pk:
                raise ValidationError(_("不能撤销自己的角色。"), code="own_account")
            if not old:
                raise ValidationError(_("该账户没有角色。"), code="no_role")
            user.role = ""
            user.save(update_fields=["role"])
            ApiToken.objects.filter(user=user).delete()
            ledger.append(event="role_revoked", obj=user, actor=actor,
                          data={"changes": ledger.diff({"role": old}, {"role": ""})})
    except ValidationError as exc:
        user.role = old
        _refuse(event="role_revoke_refused", actor=actor, user=user, exc=exc, outcome=Outcome.DENIED)
    return user


def user_unlock(*, actor: User, user: User) -> None:
    """Lift a lockout before it runs out (the security administrator's decision, audited)."""
    _require(actor, permissions.ROLES_GRANT)
    try:
        with transaction.atomic():
            user.refresh_from_db(fields=["locked_until", "failed_login_count", "first_failed_login_at"])
            if not user.is_locked:
                raise ValidationError(_("该账户未被锁定。"), code="not_locked")
            until = user.locked_until
            User.objects.filter(pk=user.pk).update(locked_until=None, failed_login_count=0, first_failed_login_at=None)
            user.locked_until, user.failed_login_count, user.first_failed_login_at = None, 0, None
            ledger.append(event="account_unlocked", obj=user, actor=actor, data={"was_locked_until": until.isoformat()})
    except ValidationError as exc:
        _refuse(event="account_unlock_refused", actor=actor, user=user, exc=exc)


# --- API tokens -------------------------------------------------------------------------------
@transaction.atomic
def token_issue(*, actor: User, name: str = "") -> str:
    """A bearer token for ``actor`` themself (POST /api/auth/token after the password check)."""
    key = ApiToken.new_key()
    now = timezone.now()
    ApiToken.objects.create(user=actor, key_hash=ApiToken.hash_key(key), name=name[:100],
                            created_at=now, last_used_at=now, expires_at=now + settings.DUBAN_SESSION_ABSOLUTE)
    ledger.append(event="api_token_issued", obj=actor, actor=actor)
    return key


@transaction.atomic
def api_tokens_purge_expired(*, now=None) -> int:
    """Delete the bearer tokens past their absolute lifetime (the worker, hourly); one
    ``api_tokens_purged`` entry with the count when there were any."""
    now = now or timezone.now()
    count, _ = ApiToken.objects.filter(expires_at__lt=now).delete()
    if count:
        ledger.append(event="api_tokens_purged", actor=None, data={"count": count})
    return count


def token_user(key: str) -> User | None:
    """The user a bearer token stands for, if it is alive; a token idle for longer than the
    session idle timeout, or past its absolute lifetime, is deleted (IA-07)."""
    from duban.accounts.selectors import api_token_with_user

    # ApiToken.objects.select_related("user", "user__unit", "user__person").filter(key_hash=…),
    # compiled once per thread (every API request runs it).
    token = api_token_with_user(ApiToken.hash_key(key))
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


# --- the second factor (IA-10) ----------------------------------------------------------------
# TOTP through django-otp (RFC 6238, 30 s steps, one step of tolerance either way; a verified
# step never verifies again, django-otp's ``last_t``; failed codes slow the next try down,
# django-otp's throttling) plus ten one-time recovery codes. Failed codes count towards the
# account's lockout exactly like failed passwords.
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


class SecondFactorRequired(Exception):
    """The account signs in with two factors and no code was given."""


class SecondFactorNotEnrolled(Exception):
    """The account must have two factors but has not enrolled an authenticator yet."""


class SecondFactorFailed(Exception):
    message = _("验证码错误或已使用,请输入认证器上的新验证码。")


def second_factor_mandatory(user: User) -> bool:
    return bool(user.role) and user.role in settings.DUBAN_2FA_ROLES


def totp_device(user: User, *, confirmed: bool = True):
    return EncryptedTOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("pk").first()


def second_factor_required(user: User) -> bool:
    """Whether signing in needs a code: every account of a mandatory role, and every account
    that enrolled an authenticator of its own accord."""
    return second_factor_mandatory(user) or totp_device(user) is not None


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def _new_recovery_codes(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _i in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _j in range(12))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, code_hash=RecoveryCode.hash_code(user.pk, code))
                                      for code in codes])
    return codes


def _otp_failure(user: User, reason: str, *, during: str) -> None:
    """A wrong, replayed or throttled code: counted like a wrong password (address throttle and
    account lockout, IA-05) and one ``otp_failed`` entry; the code itself is never recorded."""
    _ip_failure(context.current().ip)
    ledger.append(event="otp_failed", outcome=Outcome.FAILURE, obj=user, actor=user,
                  data={"reason": reason, "during": during})
    _register_failure(user, timezone.now())
    raise SecondFactorFailed()


def _check_totp(device, code: str) -> tuple[bool, str]:
    from django_otp import verify_token

    allowed, _info = device.verify_is_allowed()
    if not allowed:
        return False, "throttled"
    if not (code.isdigit() and len(code) == device.digits):
        device.throttle_increment(commit=True)
        return False, "malformed"
    return (verify_token(device.user, device.persistent_id, code) is not None), "wrong_or_replayed"


def second_factor_check(*, user: User, code: str) -> str:
    """The second step of a sign-in (web or API) for ``user``, whose password was right.

    Returns the factor used (``totp`` or ``recovery``). A recovery code works once: it is
    marked used in the same transaction and an ``otp_recovery_used`` entry says how many are
    left. Raises SecondFactorNotEnrolled, SecondFactorRequired, SecondFactorFailed (counted
    towards the lockout) or LoginFailed (locked or disabled meanwhile)."""
    user.refresh_from_db(fields=["is_active", "locked_until", "failed_login_count", "first_failed_login_at"])
    if user.is_locked or not user.is_active:
        _ip_failure(context.current().ip)
        _fail(user.username, "locked" if user.is_locked else "inactive", user, event="login_blocked")
    device = totp_device(user)
    if device is None:
        raise SecondFactorNotEnrolled()
    code = "".join((code or "").split())
    if not code:
        raise SecondFactorRequired()
    if code.isdigit():
        ok, reason = _check_totp(device, code)
        if ok:
            return "totp"
        _otp_failure(user, reason, during="sign_in")
    code_hash = RecoveryCode.hash_code(user.pk, code)
    with transaction.atomic():
        # Conditional, so two requests racing with one code let only one of them in.
        used = RecoveryCode.objects.filter(user=user, code_hash=code_hash, used_at__isnull=True).update(
            used_at=timezone.now())
        if used:
            ledger.append(event="otp_recovery_used", outcome=Outcome.SUCCESS, obj=user, actor=user,
                          data={"left": recovery_codes_left(user)})
            return "recovery"
    _otp_failure(user, "bad_recovery_code", during="sign_in")
    return ""  # not reached


def otp_enrol_start(*, actor: User):
    """The authenticator ``actor`` is about to enrol: an unconfirmed TOTP device (the same one
    until it is confirmed, so reloading the page keeps the QR code). Nothing is in force yet, so
    nothing is recorded."""
    if totp_device(actor) is not None:
        raise ValidationError(_("已启用两步验证。如需更换认证器,请联系安全管理员重置。"), code="already_enrolled")
    device = totp_device(actor, confirmed=False)
    if device is None:
        device = EncryptedTOTPDevice.objects.create(user=actor, name="TOTP", confirmed=False)
    return device


def otp_enrol_confirm(*, actor: User, code: str) -> list[str]:
    """``actor`` typed the first code of the new authenticator: the device is confirmed, ten
    recovery codes are made (returned once, kept only as hashes) and one ``otp_enrolled`` entry
    is written. A wrong code is counted like a wrong password (SecondFactorFailed)."""
    device = otp_enrol_start(actor=actor)
    code = "".join((code or "").split())
    ok, reason = _check_totp(device, code)
    if not ok:
        _otp_failure(actor, reason, during="enrolment")
    with transaction.atomic():
        type(device).objects.filter(user=actor).exclude(pk=device.pk).delete()
        type(device).objects.filter(pk=device.pk).update(confirmed=True)
        codes = _new_recovery_codes(actor)
        ApiToken.objects.filter(user=actor).delete()  # tokens issued on the password alone end
        ledger.append(event="otp_enrolled", obj=actor, actor=actor,
                      data={"method": "totp", "recovery_codes": len(codes), "mandatory": second_factor_mandatory(actor)})
    return codes


def recovery_codes_regenerate(*, actor: User, code: str) -> list[str]:
    """New recovery codes for ``actor`` (the old ones stop working), after a current code."""
    device = totp_device(actor)
    if device is None:
        raise ValidationError(_("尚未启用两步验证。"), code="not_enrolled")
    ok, reason = _check_totp(device, "".join((code or "").split()))
    if not ok:
        _otp_failure(actor, reason, during="recovery_regenerate")
    with transaction.atomic():
        codes = _new_recovery_codes(actor)
        ledger.append(event="otp_recovery_regenerated", obj=actor, actor=actor, data={"recovery_codes": len(codes)})
    return codes


def otp_reset(*, actor: User, user: User) -> None:
    """The security administrator removes ``user``'s authenticator and recovery codes (a lost
    phone): the user's API tokens end, their sessions end at the next request, and a mandatory
    role enrols again at the next sign-in. Nobody else can, and nobody resets their own."""
    _require(actor, permissions.ROLES_GRANT)
    try:
        with transaction.atomic():
            if user.pk == actor.pk:
                raise ValidationError(_("不能重置自己的两步验证。"), code="own_account")
            devices, _n = EncryptedTOTPDevice.objects.filter(user=user).delete()
            codes, _n = RecoveryCode.objects.filter(user=user).delete()
            if not devices and not codes:
                raise ValidationError(_("该账户未启用两步验证。"), code="not_enrolled")
            ApiToken.objects.filter(user=user).delete()
            ledger.append(event="otp_reset", obj=user, actor=actor,
                          data={"devices": devices, "recovery_codes": codes})
    except ValidationError as exc:
        _refuse(event="otp_reset_refused", actor=actor, user=user, exc=exc, outcome=Outcome.DENIED)


def session_second_factor_valid(user: User, device_id) -> bool:
    """For the middleware: a session of an account with two factors must have been verified
    with a device that still exists (a reset ends the session)."""
    if not device_id:
        return False
    return EncryptedTOTPDevice.objects.filter(pk=device_id, user=user, confirmed=True).exists()



def admin_network_refused_record(*, user, path: str) -> None:
    """An administrators' page was asked for from outside the management networks (AC-10): one
    ``authz_denied`` row (rate-limited like every denial, and counted for the denial alert)."""
    permissions.record_denial(user if getattr(user, "is_authenticated", False) else None,
                              object_type="route", object_id=path[:200], data={"reason": "admin_network"})


def clearance_set(*, actor: User, user: User, clearance: str) -> None:
    """AC-11: the security administrator sets the highest security label an account may read
    (一般/敏感/核心). One ``clearance_set`` entry; a refusal is one ``clearance_set_refused``."""
    from duban.accounts.models import SecurityLabel

    _require(actor, permissions.ROLES_GRANT)
    before = user.clearance
    try:
        with transaction.atomic():
            if clearance not in SecurityLabel.values:
                raise ValidationError({"clearance": ValidationError(_("请选择密级权限。"), code="invalid")})
            if user.pk == actor.pk:
                raise ValidationError(_("不能修改自己的密级权限。"), code="own_account")
            if clearance == before:
                raise ValidationError({"clearance": ValidationError(_("密级权限未改变。"), code="unchanged")})
            User.objects.filter(pk=user.pk).update(clearance=clearance)
            user.clearance = clearance
            ledger.append(event="clearance_set", obj=user, actor=actor,
                          data={"changes": ledger.diff({"clearance": before}, {"clearance": clearance})})
    except ValidationError as exc:
        user.clearance = before
        _refuse(event="clearance_set_refused", actor=actor, user=user, exc=exc, outcome=Outcome.DENIED)

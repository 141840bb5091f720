from base64 import b32encode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from duban.accounts import selectors, services
from duban.accounts.forms import (
    LoginForm,
    OtpForm,
    PasswordChangeForm,
    RoleGrantForm,
    SetPasswordForm,
    UserCreateForm,
    UserFilterForm,
)
from duban.accounts.middleware import SECOND_FACTOR_SESSION_KEY
from duban.accounts.models import SecurityLabel, User
from duban.core import integrity, permissions
from duban.core.decorators import require_perm
from duban.core.forms import apply_validation_error


def _safe_next(request, target):
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return settings.LOGIN_REDIRECT_URL
    return target


def _complete_login(request, user, *, second_factor: str = "", device=None):
    login(request, user, backend="duban.accounts.backends.RoleBackend")  # cycles the session key (IA-08)
    now = timezone.now().timestamp()
    request.session["duban_auth_at"] = request.session["duban_seen_at"] = now
    if device is not None:
        request.session[SECOND_FACTOR_SESSION_KEY] = device.pk
    services.login_record(actor=user, second_factor=second_factor)


@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = LoginForm(request.POST or None)
    status = 200
    error = None
    if request.method == "POST":
        try:
            user = services.authenticate_password(request.POST.get("username", ""), request.POST.get("password", ""))
        except services.LoginThrottled:
            error, status = _("尝试次数过多,请稍后再试。"), 429
        except services.LoginFailed:
            # One message and status for every cause: unknown, wrong, locked, disabled (IA-06).
            error, status = services.LoginFailed.message, 400
        else:
            target = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
            if services.second_factor_required(user):
                # Password right; the account is NOT signed in until the second factor (IA-10).
                request.session.cycle_key()
                request.session[PENDING_KEY] = {"uid": user.pk, "at": timezone.now().timestamp(), "next": target}
                if services.totp_device(user) is None:
                    return redirect("accounts:otp_setup")
                return redirect("accounts:otp_verify")
            _complete_login(request, user)
            return redirect(target)
    return render(request, "accounts/login.html", {"form": form, "error": error,
                                                   "next": request.GET.get("next", "")}, status=status)


# --- the second factor (IA-10) -------------------------------------------------------------------
PENDING_KEY = "duban_2fa_pending"


def _pending_user(request):
    """The account whose password was right a moment ago and whose second factor is due, or None
    (nothing pending, or pending for longer than DUBAN_2FA_PENDING_SECONDS)."""
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return None
    if timezone.now().timestamp() - pending.get("at", 0) > getattr(settings, "DUBAN_2FA_PENDING_SECONDS", 300):
        del request.session[PENDING_KEY]
        return None
    return User.objects.select_related("unit").filter(pk=pending.get("uid"), is_active=True).first()


def _back_to_login(request, message=None):
    request.session.pop(PENDING_KEY, None)
    if message:
        messages.error(request, message)
    return redirect(settings.LOGIN_URL_PATH)


@require_http_methods(["GET", "POST"])
def otp_verify_view(request):
    """Sign-in, step two: the code from the authenticator, or a recovery code."""
    user = _pending_user(request)
    if user is None or request.user.is_authenticated:
        return _back_to_login(request)
    form = OtpForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            factor = services.second_factor_check(user=user, code=form.cleaned_data["code"])
        except services.LoginFailed:
            return _back_to_login(request, services.LoginFailed.message)
        except services.SecondFactorNotEnrolled:
            return redirect("accounts:otp_setup")
        except (services.SecondFactorRequired, services.SecondFactorFailed):
            form.add_error("code", services.SecondFactorFailed.message)
        else:
            target = request.session[PENDING_KEY].get("next") or settings.LOGIN_REDIRECT_URL
            del request.session[PENDING_KEY]
            _complete_login(request, user, second_factor=factor, device=services.totp_device(user))
            if factor == "recovery":
                left = services.recovery_codes_left(user)
                messages.warning(request, _("已使用一个恢复码,还剩 %(n)d 个。请尽快在“两步验证”页面重新生成。") % {"n": left})
            return redirect(target)
    if request.method == "POST":
        status = 400
    return render(request, "accounts/otp_verify.html", {"form": form, "account": user}, status=status)


def _qr_svg(device) -> str:
    import segno

    return segno.make(device.config_url, error="m").svg_inline(scale=4, light="#fff", title=_("两步验证二维码"))


def _secret_text(device) -> str:
    raw = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i:i + 4] for i in range(0, len(raw), 4))


@require_http_methods(["GET", "POST"])
def otp_setup_view(request):
    """Enrol an authenticator: the pending sign-in of a role that must have two factors, or any
    signed-in account that opts in. Shows the QR code and the secret, takes the first code, then
    shows the ten recovery codes once."""
    pending = None
    if request.user.is_authenticated:
        user = request.user
    else:
        pending = user = _pending_user(request)
        if user is None:
            return _back_to_login(request)
    if services.totp_device(user) is not None:
        return redirect("accounts:otp_verify" if pending else "accounts:otp_manage")
    device = services.otp_enrol_start(actor=user)
    form = OtpForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.otp_enrol_confirm(actor=user, code=form.cleaned_data["code"])
        except services.SecondFactorFailed:
            user.refresh_from_db(fields=["locked_until"])
            if user.is_locked and pending:
                return _back_to_login(request, services.LoginFailed.message)
            form.add_error("code", services.SecondFactorFailed.message)
        else:
            device = services.totp_device(user)
            if pending:
                target = request.session[PENDING_KEY].get("next") or settings.LOGIN_REDIRECT_URL
                del request.session[PENDING_KEY]
                _complete_login(request, user, second_factor="totp", device=device)
            else:
                request.session[SECOND_FACTOR_SESSION_KEY] = device.pk
                target = reverse("accounts:otp_manage")
            # Shown on this one response and never again: only hashes are kept.
            response = render(request, "accounts/otp_recovery_codes.html", {"codes": codes, "next": target})
            response["Cache-Control"] = "no-store"
            return response
    if request.method == "POST":
        status = 400
    response = render(request, "accounts/otp_setup.html", {
        "form": form, "account": user, "qr_svg": mark_safe(_qr_svg(device)), "secret": _secret_text(device),
        "mandatory": services.second_factor_mandatory(user), "pending": pending is not None}, status=status)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def otp_manage_view(request):
    """The account's own 两步验证 page: status, enrol, new recovery codes (after a current code)."""
    user = request.user
    device = services.totp_device(user)
    form = OtpForm(request.POST or None)
    if request.method == "POST" and device is not None and form.is_valid():
        try:
            codes = services.recovery_codes_regenerate(actor=user, code=form.cleaned_data["code"])
        except services.SecondFactorFailed:
            form.add_error("code", services.SecondFactorFailed.message)
        else:
            response = render(request, "accounts/otp_recovery_codes.html",
                              {"codes": codes, "next": reverse("accounts:otp_manage")})
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "accounts/otp_manage.html", {
        "form": form, "device": device, "left": services.recovery_codes_left(user) if device else 0,
        "mandatory": services.second_factor_mandatory(user)}, status=400 if request.method == "POST" else 200)


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        services.logout_record(actor=request.user)
    logout(request)  # deletes the session row (IA-08)
    response = redirect(settings.LOGOUT_REDIRECT_URL)
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def password_change_view(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(actor=request.user, old_password=form.cleaned_data["old_password"],
                                     new_password=form.cleaned_data["new_password1"])
        except ValidationError as exc:
            apply_validation_error(form, exc, default_field="new_password1")
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("密码已修改。"))
            return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/password_change.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


# --- account administration (system administrator) ---------------------------------------------
def _page(request, qs, per_page=50):
    return Paginator(qs, per_page).get_page(request.GET.get("page"))


@require_perm(permissions.ACCOUNTS_MANAGE)
@require_GET
def user_list(request):
    form = UserFilterForm(request.GET or None)
    users = selectors.users_for_admin(form)
    return render(request, "accounts/user_list.html", {"filter_form": form, "page": _page(request, users)},
                  status=400 if form.is_bound and not form.is_valid() else 200)


@require_perm(permissions.ACCOUNTS_MANAGE)
@require_http_methods(["GET", "POST"])
def user_create_view(request):
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(actor=request.user, username=data["username"], password=data["new_password1"],
                                        full_name=data["full_name"], unit=data["unit"], person=data["person"],
                                        email=data["email"], must_change_password=True)
        except ValidationError as exc:
            apply_validation_error(form, exc, default_field="new_password1")
        else:
            messages.success(request, _("账户“%(name)s”已创建;用户首次登录时须修改初始密码。角色由安全管理员授予。")
                             % {"name": user.username})
            return redirect("accounts:user_detail", pk=user.pk)
    return render(request, "accounts/user_create.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


@require_perm(permissions.ACCOUNTS_MANAGE)
@require_GET
def user_detail(request, pk):
    user = selectors.user_for_admin(pk)
    return render(request, "accounts/user_detail.html", {"account": user})


@require_perm(permissions.ACCOUNTS_MANAGE)
@require_POST
def user_set_active_view(request, pk):
    user = selectors.user_for_admin(pk)
    active = request.POST.get("active")
    if active not in ("0", "1"):
        messages.error(request, _("请求无效。"))
        return redirect("accounts:user_detail", pk=user.pk)
    try:
        services.user_set_active(actor=request.user, user=user, active=active == "1")
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("账户已启用。") if active == "1" else _("账户已停用,其会话和接口令牌随即失效。"))
    return redirect("accounts:user_detail", pk=user.pk)


@require_perm(permissions.ACCOUNTS_MANAGE)
@require_http_methods(["GET", "POST"])
def user_password_reset_view(request, pk):
    user = selectors.user_for_admin(pk)
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_set_by_admin(actor=request.user, user=user, new_password=form.cleaned_data["new_password1"])
        except ValidationError as exc:
            apply_validation_error(form, exc, default_field="new_password1")
        else:
            messages.success(request, _("已设置临时密码;用户下次登录时须修改。"))
            return redirect("accounts:user_detail", pk=user.pk)
    return render(request, "accounts/user_password_reset.html", {"form": form, "account": user},
                  status=400 if request.method == "POST" else 200)


# --- roles and locks (security administrator) ----------------------------------------------------
@require_perm(permissions.ROLES_GRANT)
@require_GET
def role_list(request):
    form = UserFilterForm(request.GET or None)
    users = selectors.users_for_admin(form)
    page = _page(request, users)
    # A role grant whose row MAC fails shows the integrity error instead of the role (DP-03).
    page.object_list = integrity.check_rows(page.object_list, actor=request.user, where="accounts:role_list")
    return render(request, "accounts/role_list.html", {"filter_form": form, "page": page},
                  status=400 if form.is_bound and not form.is_valid() else 200)


@require_perm(permissions.ROLES_GRANT)
@require_http_methods(["GET", "POST"])
def role_detail(request, pk):
    user = integrity.check(selectors.user_for_admin(pk), actor=request.user, where="accounts:role_detail")
    form = RoleGrantForm(request.POST or None, initial={"role": user.role or None, "unit": user.unit_id})
    if request.method == "POST" and form.is_valid():
        try:
            services.role_grant(actor=request.user, user=user, role=form.cleaned_data["role"],
                                unit=form.cleaned_data["unit"])
        except ValidationError as exc:
            apply_validation_error(form, exc, default_field="role")
        else:
            messages.success(request, _("已授予角色“%(role)s”。") % {"role": user.get_role_display()})
            return redirect("accounts:role_detail", pk=user.pk)
    return render(request, "accounts/role_detail.html", {
        "form": form, "account": user, "otp_enrolled": services.totp_device(user) is not None,
        "clearances": SecurityLabel.choices,
        "otp_mandatory": services.second_factor_mandatory(user)}, status=400 if request.method == "POST" else 200)


def _role_action(request, pk, action, done_message):
    """Run a security-administrator action on an account and go back to its role page, with the
    service's refusal (if any) as the message."""
    user = selectors.user_for_admin(pk)
    try:
        action(actor=request.user, user=user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done_message)
    return redirect("accounts:role_detail", pk=user.pk)


@require_perm(permissions.ROLES_GRANT)
@require_POST
def role_revoke_view(request, pk):
    return _role_action(request, pk, services.role_revoke, _("已撤销角色。"))


@require_perm(permissions.ROLES_GRANT)
@require_POST
def user_unlock_view(request, pk):
    return _role_action(request, pk, services.user_unlock, _("账户已解锁。"))


@require_perm(permissions.ROLES_GRANT)
@require_POST
def clearance_view(request, pk):
    """AC-11: the security administrator sets the account's 密级权限 (audited by the service)."""
    clearance = request.POST.get("clearance", "")
    return _role_action(request, pk, lambda *, actor, user: services.clearance_set(
        actor=actor, user=user, clearance=clearance), _("已设置密级权限。"))


@require_perm(permissions.ROLES_GRANT)
@require_POST
def otp_reset_view(request, pk):
    return _role_action(request, pk, services.otp_reset,
                        _("已重置两步验证:该账户的会话和接口令牌随即失效,下次登录时须重新绑定认证器。"))

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from duban.accounts import services
from duban.accounts.forms import LoginForm, PasswordChangeForm
from duban.core import ledger
from duban.core.forms import apply_validation_error


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
            error, status = services.LoginFailed.message, 400 if not request.POST.get("password") else 200
        else:
            login(request, user, backend="duban.accounts.backends.RoleBackend")  # cycles the session key (IA-08)
            target = request.POST.get("next") or request.GET.get("next")
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
                target = settings.LOGIN_REDIRECT_URL
            return redirect(target)
    return render(request, "accounts/login.html", {"form": form, "error": error,
                                                   "next": request.GET.get("next", "")}, status=status)


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        ledger.append(event="logout", obj=request.user, actor=request.user)
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
            services.password_change(user=request.user, old_password=form.cleaned_data["old_password"],
                                     new_password=form.cleaned_data["new_password1"])
        except ValidationError as exc:
            apply_validation_error(form, exc, default_field="new_password1")
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("密码已修改。"))
            return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/password_change.html", {"form": form},
                  status=400 if request.method == "POST" else 200)



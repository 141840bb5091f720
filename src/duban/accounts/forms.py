from django import forms
from django.contrib.auth import password_validation
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from duban.accounts.models import User
from duban.core.roles import Role
from duban.orgs.models import Person, Unit


class LoginForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))
    password = forms.CharField(label=_("密码"), strip=False, max_length=256,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class OtpForm(forms.Form):
    code = forms.CharField(label=_("验证码"), max_length=32, strip=True,
                           help_text=_("认证器上的 6 位数字;丢失手机时可输入一个恢复码。"),
                           widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "one-time-code",
                                                         "inputmode": "text", "spellcheck": "false"}))


class _NewPasswordMixin:
    """Two entries of a new password that must match; the policy itself is checked by the
    service, with the account in hand (IA-02)."""

    def clean(self):
        data = super().clean()
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", _("两次输入的新密码不一致。"))
        return data


def _new_password_fields(label1, label2):
    return (
        forms.CharField(label=label1, strip=False, max_length=256,
                        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                        help_text=password_validation.password_validators_help_text_html),
        forms.CharField(label=label2, strip=False, max_length=256,
                        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})),
    )


class PasswordChangeForm(_NewPasswordMixin, forms.Form):
    old_password = forms.CharField(label=_("原密码"), strip=False, max_length=256,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password1, new_password2 = _new_password_fields(_("新密码"), _("确认新密码"))


class UserCreateForm(_NewPasswordMixin, forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150,
                               help_text=_("登录用,不区分大小写;可用字母、数字、汉字及 @ . + - _。"))
    full_name = forms.CharField(label=_("姓名"), max_length=150)
    unit = forms.ModelChoiceField(label=_("所属单位"), queryset=Unit.objects.filter(is_active=True), required=False,
                                  help_text=_("单位账户必填;三员账户可不填。"))
    person = forms.ModelChoiceField(label=_("对应人员"), queryset=Person.objects.select_related("unit"),
                                    required=False, help_text=_("可选:关联人员名录中的人员。"))
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    new_password1, new_password2 = _new_password_fields(_("初始密码"), _("确认初始密码"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = _("用户首次登录后须修改。")
        self.fields["person"].queryset = Person.objects.select_related("unit").filter(user__isnull=True)


class SetPasswordForm(_NewPasswordMixin, forms.Form):
    new_password1, new_password2 = _new_password_fields(_("临时密码"), _("确认临时密码"))


class RoleGrantForm(forms.Form):
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    unit = forms.ModelChoiceField(label=_("所属单位"), queryset=Unit.objects.filter(is_active=True), required=False,
                                  help_text=_("单位管理员和联络员必须有所属单位;留空则保持账户现有单位。"))


ACTIVE_CHOICES = [("", _("全部")), ("1", _("启用")), ("0", _("停用"))]


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"placeholder": _("用户名或姓名")}))
    role = forms.ChoiceField(label=_("角色"), required=False,
                             choices=[("", _("全部")), ("none", _("未授予角色"))] + list(Role.choices))
    unit = forms.ModelChoiceField(label=_("所属单位"), queryset=Unit.objects.all(), required=False,
                                  empty_label=_("全部"))
    active = forms.ChoiceField(label=_("状态"), required=False, choices=ACTIVE_CHOICES)
    locked = forms.BooleanField(label=_("仅看已锁定"), required=False)

    def filter(self, qs, *, now=None):
        """Apply the valid filters; an invalid value (say, a unit id that does not exist) is
        shown as a form error and filters nothing out."""
        if not self.is_valid():
            return qs
        data = self.cleaned_data
        if data["q"]:
            term = data["q"].strip()
            qs = qs.filter(Q(username__icontains=term) | Q(last_name__icontains=term) | Q(first_name__icontains=term))
        if data["role"] == "none":
            qs = qs.filter(role="")
        elif data["role"]:
            qs = qs.filter(role=data["role"])
        if data["unit"] is not None:
            qs = qs.filter(unit__path__startswith=data["unit"].path)
        if data["active"] in ("0", "1"):
            qs = qs.filter(is_active=data["active"] == "1")
        if data.get("locked") and now is not None:
            qs = qs.filter(locked_until__gt=now)
        return qs


__all__ = ["LoginForm", "OtpForm", "PasswordChangeForm", "UserCreateForm", "SetPasswordForm", "RoleGrantForm",
           "UserFilterForm", "User"]

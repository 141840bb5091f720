from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from duban.accounts.models import User
from duban.accounts.roles import Role
from duban.orgs.models import Person, Unit


class LoginForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))
    password = forms.CharField(label=_("密码"), strip=False, max_length=256,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("原密码"), strip=False, widget=forms.PasswordInput)
    new_password1 = forms.CharField(label=_("新密码"), strip=False, widget=forms.PasswordInput,
                                    help_text=password_validation.password_validators_help_text_html)
    new_password2 = forms.CharField(label=_("确认新密码"), strip=False, widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", _("两次输入的新密码不一致。"))
        return data


class UserCreateForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    full_name = forms.CharField(label=_("姓名"), max_length=150, required=False)
    unit = forms.ModelChoiceField(label=_("所属单位"), queryset=Unit.objects.all(), required=False)
    person = forms.ModelChoiceField(label=_("对应人员"), queryset=Person.objects.select_related("unit"), required=False)
    password = forms.CharField(label=_("初始密码"), strip=False, widget=forms.PasswordInput,
                               help_text=_("用户首次登录后须修改。"))


class SetPasswordForm(forms.Form):
    password = forms.CharField(label=_("新密码"), strip=False, widget=forms.PasswordInput)


class RoleGrantForm(forms.Form):
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    unit = forms.ModelChoiceField(label=_("所属单位"), queryset=Unit.objects.all(), required=False)


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False)
    role = forms.ChoiceField(label=_("角色"), required=False, choices=[("", _("全部"))] + list(Role.choices))

    def filter(self, qs):
        if not self.is_valid():
            return qs
        if self.cleaned_data["q"]:
            qs = qs.filter(username__icontains=self.cleaned_data["q"]) | qs.filter(
                last_name__icontains=self.cleaned_data["q"])
        if self.cleaned_data["role"]:
            qs = qs.filter(role=self.cleaned_data["role"])
        return qs


__all__ = ["LoginForm", "PasswordChangeForm", "UserCreateForm", "SetPasswordForm", "RoleGrantForm", "User"]

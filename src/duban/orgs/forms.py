"""Forms of the directory pages. They validate shape only; the services decide the rules
(duplicates, tree moves, A/B/C holders) and their errors are put back on these forms."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from duban.core import permissions
from duban.orgs import selectors
from duban.orgs.models import AbsenceKind, Person, Unit, UnitKind
from duban.orgs.queries import unit_label

ALIAS_SEPARATORS = re.compile(r"[、,,;;\s]+")


def split_aliases(text: str) -> list[str]:
    return [part for part in ALIAS_SEPARATORS.split(text or "") if part]


class ScopedChoiceField(forms.ModelChoiceField):
    """A choice among the (scoped) objects the view offers, resolved through the one scoped
    lookup, permissions.resolve_scoped: an id outside the choices gets the form's usual "not one
    of the available choices" error, and one that exists outside the user's scope is recorded as
    ``authz_denied``. ``user`` is set by ScopedFormMixin."""

    user = None
    # When the choices are narrower than the user's scope (a post's holder candidates), the scope
    # the id is resolved in: an id that is merely not a candidate is no probe to record.
    scope_queryset = None

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            if self.scope_queryset is None:
                return permissions.resolve_scoped(self.user, self.queryset, None, value, field="value")
            found = permissions.resolve_scoped(self.user, self.scope_queryset, None, value, field="value")
            if self.queryset.filter(pk=found.pk).exists():
                return found
        except ValidationError:
            pass
        raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")


class ScopedMultipleChoiceField(forms.ModelMultipleChoiceField):
    """The multiple-choice twin of ScopedChoiceField: each id through permissions.resolve_scoped."""

    user = None

    def _check_values(self, value):
        try:
            values = list(dict.fromkeys(value))
        except TypeError:
            raise ValidationError(self.error_messages["invalid_list"], code="invalid_list") from None
        chosen = []
        for pk in values:
            try:
                chosen.append(permissions.resolve_scoped(self.user, self.queryset, None, pk, field="value"))
            except ValidationError:
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice",
                                      params={"value": pk}) from None
        return [obj for obj in chosen if obj is not None]


class ScopedFormMixin:
    """Hands the requesting user to the form's scoped choice fields."""

    def bind_user(self, user) -> None:
        for field in self.fields.values():
            if isinstance(field, (ScopedChoiceField, ScopedMultipleChoiceField)):
                field.user = user


class UnitChoiceField(ScopedChoiceField):
    def __init__(self, *args, base_depth: int = 1, **kwargs):
        self.base_depth = base_depth
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj):
        return unit_label(obj, self.base_depth)


class UnitMultipleChoiceField(ScopedMultipleChoiceField):
    base_depth = 1

    def label_from_instance(self, obj):
        return unit_label(obj, self.base_depth)


class PersonChoiceField(ScopedChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}({obj.unit.name}{' · ' + obj.title if obj.title else ''})"


class PersonMultipleChoiceField(ScopedMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}({obj.unit.name}{' · ' + obj.title if obj.title else ''})"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


code_validator = RegexValidator(r"^[A-Za-z0-9_-]+$", _("编码只能包含字母、数字、下划线或短横线。"))
phone_validator = RegexValidator(r"^\+?[0-9][0-9 -]{4,18}[0-9]$", _("请输入有效的电话号码(数字,可含空格或短横线)。"))


def _base_depth(queryset) -> int:
    return getattr(queryset, "base_depth", 1)


class VersionedForm(ScopedFormMixin, forms.Form):
    """Carries the version the user loaded, so a save after someone else's is refused (RL-01)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def clean(self):
        cleaned = super().clean()
        # A hidden field's own error would be invisible; say it at the top of the form instead.
        if "version" in self.fields and (self._errors.pop("version", None) or cleaned.get("version") is None):
            raise forms.ValidationError(_("表单已过期,请刷新页面后重试。"), code="stale_form")
        return cleaned


class UnitForm(VersionedForm):
    name = forms.CharField(label=_("名称"), max_length=100)
    short_name = forms.CharField(label=_("简称"), max_length=50, required=False)
    kind = forms.ChoiceField(label=_("类型"), choices=UnitKind.choices)
    code = forms.CharField(label=_("编码"), max_length=32, required=False, validators=[code_validator],
                           help_text=_("字母或数字,如 SJW"))
    sort_order = forms.IntegerField(label=_("排序"), initial=0, min_value=-100000, max_value=100000)
    aliases = forms.CharField(label=_("别名"), required=False, max_length=1000,
                              help_text=_("多个别名用顿号“、”或逗号分隔,如:市委办、市委办公室"))
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not editing:
            del self.fields["is_active"]
            del self.fields["version"]

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper() or None

    def clean_aliases(self):
        aliases = split_aliases(self.cleaned_data["aliases"])
        too_long = [a for a in aliases if len(a) > 100]
        if too_long:
            raise forms.ValidationError(_("别名不能超过100个字符。"))
        return aliases

    @staticmethod
    def initial_for(unit: Unit) -> dict:
        return {"name": unit.name, "short_name": unit.short_name, "kind": unit.kind, "code": unit.code or "",
                "sort_order": unit.sort_order, "is_active": unit.is_active, "version": unit.version,
                "aliases": "、".join(a.name for a in unit.aliases.all())}


class UnitMoveForm(ScopedFormMixin, forms.Form):
    parent = UnitChoiceField(label=_("新的上级单位"), queryset=Unit.objects.none())

    def __init__(self, *args, units, user=None, allow_root: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.bind_user(user)
        field = self.fields["parent"]
        field.queryset = units
        field.base_depth = _base_depth(units)
        field.required = not allow_root
        field.empty_label = _("(无,作为顶级单位)") if allow_root else "---------"


class PersonForm(VersionedForm):
    name = forms.CharField(label=_("姓名"), max_length=50)
    unit = UnitChoiceField(label=_("单位"), queryset=Unit.objects.none())
    title = forms.CharField(label=_("职务"), max_length=100, required=False)
    phone = forms.CharField(label=_("手机"), max_length=20, required=False, validators=[phone_validator])
    is_active = forms.BooleanField(label=_("在职"), required=False, initial=True)

    def __init__(self, *args, units, user=None, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.bind_user(user)
        self.fields["unit"].queryset = units
        self.fields["unit"].base_depth = _base_depth(units)
        if not editing:
            del self.fields["is_active"]
            del self.fields["version"]

    def clean_phone(self):
        return self.cleaned_data["phone"].strip()

    @staticmethod
    def initial_for(person: Person) -> dict:
        return {"name": person.name, "unit": person.unit_id, "title": person.title, "phone": person.phone,
                "is_active": person.is_active, "version": person.version}


class AbsenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=AbsenceKind.choices)
    start = forms.DateField(label=_("开始日期"), widget=DateInput())
    end = forms.DateField(label=_("结束日期"), widget=DateInput())
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class ActingDateForm(forms.Form):
    on = forms.DateField(label=_("查询日期"), widget=DateInput())


class PostForm(VersionedForm):
    unit = UnitChoiceField(label=_("单位"), queryset=Unit.objects.none())
    title = forms.CharField(label=_("岗位名称"), max_length=100)
    a_holder = PersonChoiceField(label=_("A角"), queryset=Person.objects.none(),
                                 help_text=_("可从本单位、上级单位和直属下级单位的人员中选择"))
    b_holder = PersonChoiceField(label=_("B角"), queryset=Person.objects.none(), required=False)
    c_holder = PersonChoiceField(label=_("C角"), queryset=Person.objects.none(), required=False)
    duties = forms.CharField(label=_("岗位职责"), widget=forms.Textarea(attrs={"rows": 4}), required=False)

    HOLDERS = ("a_holder", "b_holder", "c_holder")

    def __init__(self, *args, units, candidates, user=None, editing: bool = False, refresh_url: str = "",
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.bind_user(user)
        self.fields["unit"].queryset = units
        if refresh_url:
            # The holder choices depend on the unit: reload the fields when it changes (htmx).
            self.fields["unit"].widget.attrs.update({
                "hx-get": refresh_url, "hx-trigger": "change", "hx-target": "#post-form-fields",
                "hx-swap": "outerHTML", "hx-include": "#id_title, #id_duties, #id_a_holder, #id_b_holder, #id_c_holder",
            })
        self.fields["unit"].base_depth = _base_depth(units)
        for name in self.HOLDERS:
            self.fields[name].queryset = candidates
            # The current holders are kept even from outside the scope (queries.holder_candidates).
            self.fields[name].scope_queryset = (
                None if user is None else selectors.people_for_user(user) | candidates)
        if not editing:
            del self.fields["version"]


class GroupForm(VersionedForm):
    name = forms.CharField(label=_("名称"), max_length=100)
    leader = PersonChoiceField(label=_("组长"), queryset=Person.objects.none(), required=False)
    deputies = PersonMultipleChoiceField(label=_("副组长"), queryset=Person.objects.none(), required=False,
                                         widget=forms.SelectMultiple(attrs={"size": 6}))
    office_unit = UnitChoiceField(label=_("办公室设在"), queryset=Unit.objects.none(), required=False)
    member_people = PersonMultipleChoiceField(label=_("成员(人员)"), queryset=Person.objects.none(),
                                              required=False, widget=forms.SelectMultiple(attrs={"size": 8}))
    member_units = UnitMultipleChoiceField(label=_("成员单位"), queryset=Unit.objects.none(), required=False,
                                           widget=forms.SelectMultiple(attrs={"size": 8}))
    duties = forms.CharField(label=_("职责"), widget=forms.Textarea(attrs={"rows": 5}), required=False)
    established = forms.DateField(label=_("成立日期"), required=False, widget=DateInput())

    def __init__(self, *args, people, units, user=None, editing: bool = False, fixed: tuple = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.bind_user(user)
        for name in ("leader", "deputies", "member_people"):
            self.fields[name].queryset = people
        for name in ("office_unit", "member_units"):
            self.fields[name].queryset = units
        self.fields["office_unit"].base_depth = self.fields["member_units"].base_depth = _base_depth(units)
        # A leader or office outside the editor's scope cannot be shown as a choice; the view
        # keeps it as it is instead of letting the form blank it.
        for name in fixed:
            del self.fields[name]
        if not editing:
            del self.fields["version"]

"""Filter-and-sort forms of the list pages (GET forms).

A checkbox that is on by default cannot be read from an unchecked GET form, so each filter form
carries a hidden ``filtered`` marker: without it the defaults apply, with it what was ticked.
"""

from __future__ import annotations

from typing import ClassVar

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from duban.orgs.forms import ScopedFormMixin, UnitChoiceField, _base_depth
from duban.orgs.models import Unit
from duban.orgs.queries import ActingFilter, filter_posts_by_acting


class UnitScopeFilterForm(ScopedFormMixin, forms.Form):
    filtered = forms.CharField(widget=forms.HiddenInput, required=False)
    unit = UnitChoiceField(label=_("单位"), queryset=Unit.objects.none(), required=False, empty_label=_("全部单位"))
    subunits = forms.BooleanField(label=_("包含下级单位"), required=False)

    def __init__(self, data, *, units, user=None, **kwargs):
        data = data.copy()
        if not data.get("filtered"):
            data["subunits"] = "on"
        data["filtered"] = "1"
        super().__init__(data, **kwargs)
        self.bind_user(user)
        self.fields["unit"].queryset = units
        self.fields["unit"].base_depth = _base_depth(units)

    def values(self) -> dict:
        """The cleaned values, with the defaults for anything invalid (a stale bookmark must
        still show a list, not an error page)."""
        self.is_valid()
        return {name: self.cleaned_data.get(name, field.initial) for name, field in self.fields.items()}

    def apply_unit(self, qs: QuerySet, unit_field: str) -> QuerySet:
        values = self.values()
        unit = values.get("unit")
        if unit is None:
            return qs
        if values.get("subunits"):
            return qs.filter(**{f"{unit_field}__path__startswith": unit.path})
        return qs.filter(**{unit_field: unit})


class PersonFilterForm(UnitScopeFilterForm):
    SORTS: ClassVar[dict[str, tuple[str, ...]]] = {"name": ("name", "unit__path"), "unit": ("unit__path", "name"), "title": ("title", "name")}

    q = forms.CharField(label=_("姓名或职务"), required=False, max_length=50)
    active = forms.ChoiceField(label=_("状态"), required=False, initial="1",
                               choices=[("1", _("在职")), ("0", _("不在职")), ("all", _("全部"))])
    sort = forms.CharField(widget=forms.HiddenInput, required=False)

    field_order = ("q", "unit", "subunits", "active")

    def apply(self, qs: QuerySet) -> QuerySet:
        values = self.values()
        qs = self.apply_unit(qs, "unit")
        text = (values.get("q") or "").strip()
        if text:
            qs = qs.filter(Q(name__icontains=text) | Q(title__icontains=text))
        active = values.get("active") or "1"
        if active in ("0", "1"):
            qs = qs.filter(is_active=active == "1")
        return qs.order_by(*self.ordering())

    def ordering(self) -> tuple:
        key = self.values().get("sort") or "unit"
        descending = key.startswith("-")
        fields = self.SORTS.get(key.lstrip("-"), self.SORTS["unit"])
        return tuple(("-" + f) if descending else f for f in fields) + ("pk",)

    @property
    def sort_key(self) -> str:
        key = self.values().get("sort") or "unit"
        return key if key.lstrip("-") in self.SORTS else "unit"


class PostFilterForm(UnitScopeFilterForm):
    q = forms.CharField(label=_("岗位名称"), required=False, max_length=100)
    acting = forms.ChoiceField(label=_("在岗情况"), required=False, choices=[
        ("", _("全部岗位")),
        (ActingFilter.BACKUP, _("仅显示由B角或C角代行的岗位")),
        (ActingFilter.NOBODY, _("仅显示A、B、C角均不在岗的岗位")),
    ])

    field_order = ("q", "unit", "subunits", "acting")

    def apply(self, qs: QuerySet, on) -> QuerySet:
        values = self.values()
        qs = self.apply_unit(qs, "unit")
        text = (values.get("q") or "").strip()
        if text:
            qs = qs.filter(title__icontains=text)
        return filter_posts_by_acting(qs, values.get("acting") or "", on).order_by("unit__path", "title", "pk")

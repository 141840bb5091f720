from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from duban.inspections.models import STAGE_FIELDS, FindingCategory, FollowUpResult, Severity, Stage
from duban.orgs.models import Person, Unit
from duban.tasks.forms import (
    DateInput,
    EvidenceField,
    PersonChoiceField,
    ScopedModelMultipleChoiceField,
    UnitChoiceField,
    UnitMultipleChoiceField,
)


class PersonMultipleChoiceField(ScopedModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}({obj.unit.name})"


class TermForm(forms.Form):
    name = forms.CharField(label=_("任期名称"), max_length=100)
    start_date = forms.DateField(label=_("任期开始"), widget=DateInput())
    years = forms.IntegerField(label=_("任期年数"), initial=5, min_value=1, max_value=20)
    conflict_years = forms.IntegerField(label=_("回避年限"), initial=5, min_value=1, max_value=20)
    followup_months = forms.IntegerField(label=_("回头看间隔(月)"), initial=6, min_value=1, max_value=20)


class DatesForm(forms.Form):
    name = forms.CharField(label=_("轮次名称"), max_length=200)
    start_date = forms.DateField(label=_("开始日期"), widget=DateInput())
    end_date = forms.DateField(label=_("结束日期"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for stage, field in STAGE_FIELDS:
            self.fields[field] = forms.DateField(label=Stage(stage).label, widget=DateInput())

    def stages(self) -> dict:
        return {field: self.cleaned_data[field] for _s, field in STAGE_FIELDS}


class RoundForm(DatesForm):
    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"] = UnitMultipleChoiceField(label=_("被巡察单位"), queryset=units,
                                                       widget=forms.SelectMultiple(attrs={"size": 8}))


class PlanRoundForm(DatesForm):
    proposal = forms.CharField(widget=forms.HiddenInput)

    def clean_proposal(self):
        try:
            return json.loads(self.cleaned_data["proposal"])
        except ValueError:
            raise forms.ValidationError(_("规划方案格式不正确,请重新生成。")) from None


class TeamForm(forms.Form):
    name = forms.CharField(label=_("巡察组"), max_length=50, initial=_("第一巡察组"))
    leader = PersonChoiceField(label=_("组长"), queryset=Person.objects.none())
    deputy = PersonChoiceField(label=_("副组长"), queryset=Person.objects.none(), required=False)
    members = PersonMultipleChoiceField(label=_("成员"), queryset=Person.objects.none(), required=False,
                                        widget=forms.SelectMultiple(attrs={"size": 6}))
    units = UnitMultipleChoiceField(label=_("巡察单位"), queryset=Unit.objects.none(),
                                    widget=forms.SelectMultiple(attrs={"size": 6}))

    def __init__(self, *args, people, units, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("leader", "deputy", "members"):
            self.fields[name].queryset = people
        self.fields["units"].queryset = units


class FindingForm(forms.Form):
    unit = UnitChoiceField(label=_("责任单位"), queryset=Unit.objects.none())
    category = forms.ChoiceField(label=_("问题类别"), choices=FindingCategory.choices)
    severity = forms.ChoiceField(label=_("严重程度"), choices=Severity.choices, initial=Severity.GENERAL)
    description = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 3}))
    evidence = forms.CharField(label=_("事实依据"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    responsible_person = forms.CharField(label=_("责任人"), required=False, max_length=50)
    transferred = forms.BooleanField(label=_("作为问题线索移交纪委"), required=False)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class RectificationForm(forms.Form):
    due_date = forms.DateField(label=_("整改时限"), widget=DateInput())
    requirement = forms.CharField(label=_("整改要求"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PlanForm(forms.Form):
    measures = forms.CharField(label=_("整改措施"), widget=forms.Textarea(attrs={"rows": 4}))


class EvidenceForm(forms.Form):
    narrative = forms.CharField(label=_("整改情况"), widget=forms.Textarea(attrs={"rows": 3}))
    files = EvidenceField(label=_("佐证材料"))


class FollowUpForm(forms.Form):
    result = forms.ChoiceField(label=_("回头看结果"),
                               choices=[(FollowUpResult.HELD, FollowUpResult.HELD.label),
                                        (FollowUpResult.REGRESSED, FollowUpResult.REGRESSED.label)])
    note = forms.CharField(label=_("情况"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CapacityForm(forms.Form):
    units_per_team = forms.IntegerField(label=_("每组巡察单位数"), initial=3)
    teams_per_round = forms.IntegerField(label=_("每轮巡察组数"), initial=3)
    rounds_per_year = forms.IntegerField(label=_("每年轮次数"), initial=2)
    members_per_team = forms.IntegerField(label=_("每组人数"), initial=3)


class PoolForm(forms.Form):
    person = PersonChoiceField(label=_("人员"), queryset=Person.objects.none())
    note = forms.CharField(label=_("备注"), required=False, max_length=200)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people


class HistoryForm(forms.Form):
    person = PersonChoiceField(label=_("人员"), queryset=Person.objects.none())
    unit = UnitChoiceField(label=_("单位"), queryset=Unit.objects.none())
    start_year = forms.IntegerField(label=_("起始年份"))
    end_year = forms.IntegerField(label=_("截止年份"), required=False)

    def __init__(self, *args, people, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people
        self.fields["unit"].queryset = units


class RelativeForm(forms.Form):
    person = PersonChoiceField(label=_("人员"), queryset=Person.objects.none())
    name = forms.CharField(label=_("亲属姓名"), max_length=50)
    relation = forms.CharField(label=_("关系"), max_length=20)
    unit = UnitChoiceField(label=_("工作单位"), queryset=Unit.objects.none())

    def __init__(self, *args, people, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people
        self.fields["unit"].queryset = units

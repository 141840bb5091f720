from django import forms
from django.utils.translation import gettext_lazy as _

from duban.resources.models import Kind


class RequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("类别"), choices=Kind.choices)
    title = forms.CharField(label=_("事项"), max_length=200)
    amount = forms.CharField(label=_("申请数量"))
    measure = forms.CharField(label=_("单位(万元、亩、人…)"), max_length=10, required=False)
    justification = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}))
    task = forms.ModelChoiceField(label=_("服务的任务"), queryset=None, required=False)
    to_unit = forms.ModelChoiceField(label=_("报送单位"), queryset=None)

    def __init__(self, *args, tasks, upper_units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task"].queryset = tasks
        self.fields["to_unit"].queryset = upper_units


class CeilingForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("下级单位"), queryset=None)
    kind = forms.ChoiceField(label=_("类别"), choices=Kind.choices)
    amount = forms.CharField(label=_("单笔上限"))

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class ForwardForm(forms.Form):
    to_unit = forms.ModelChoiceField(label=_("上报至"), queryset=None)
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, upper_units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_unit"].queryset = upper_units


class PriorityForm(forms.Form):
    priority = forms.IntegerField(label=_("优先序(1 为最优先)"), min_value=1)
    reason = forms.CharField(label=_("排序理由"), max_length=300)


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("决定"), choices=(("full", _("全额批准")), ("part", _("部分批准")),
                                                         ("refused", _("不予批准"))))
    granted_amount = forms.CharField(label=_("批准数量(部分批准时填写)"), required=False)
    reason = forms.CharField(label=_("决定理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    make_task = forms.BooleanField(label=_("批准后转为本单位的落实任务"), required=False)


class AllocationForm(forms.Form):
    amount = forms.CharField(label=_("落实数量"))
    on = forms.DateField(label=_("落实日期"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("说明"), max_length=300, required=False)

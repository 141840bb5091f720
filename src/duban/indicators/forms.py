from django import forms
from django.utils.translation import gettext_lazy as _

from duban.indicators.models import BehindAction, Direction, Frequency


class IndicatorForm(forms.Form):
    code = forms.CharField(label=_("编码"), max_length=40)
    name = forms.CharField(label=_("指标名称"), max_length=100)
    measure = forms.CharField(label=_("计量单位"), max_length=20, required=False)
    direction = forms.ChoiceField(label=_("方向"), choices=Direction.choices)
    frequency = forms.ChoiceField(label=_("频度"), choices=Frequency.choices)
    formula = forms.CharField(label=_("计算公式"), max_length=300, required=False,
                              help_text=_("派生指标填写,如 GDP / POP * 10000;只允许 + - * / 和括号。"))
    source_office = forms.ModelChoiceField(label=_("数据来源单位"), queryset=None, required=False)
    responsible_units = forms.ModelMultipleChoiceField(label=_("责任单位"), queryset=None, required=False)
    start_year = forms.IntegerField(label=_("起始年度"))
    end_year = forms.IntegerField(label=_("目标年度"))
    goal_value = forms.CharField(label=_("规划目标值"), required=False)
    behind_margin = forms.CharField(label=_("落后容差(%)"), initial="5")
    behind_action = forms.ChoiceField(label=_("落后时"), choices=BehindAction.choices)

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source_office"].queryset = units
        self.fields["responsible_units"].queryset = units


class TargetForm(forms.Form):
    year = forms.IntegerField(label=_("年度"))
    value = forms.CharField(label=_("目标值"))


class ActualForm(forms.Form):
    period = forms.CharField(label=_("期间"), max_length=10)
    value = forms.CharField(label=_("实际值"))


class PeerValueForm(forms.Form):
    member = forms.ModelChoiceField(label=_("成员"), queryset=None)
    indicator = forms.ModelChoiceField(label=_("指标"), queryset=None)
    period = forms.CharField(label=_("期间"), max_length=10)
    value = forms.CharField(label=_("数值"))

    def __init__(self, *args, members, indicators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members
        self.fields["indicator"].queryset = indicators


class PeerGroupForm(forms.Form):
    name = forms.CharField(label=_("对标组名称"), max_length=100)
    description = forms.CharField(label=_("说明"), max_length=300, required=False)
    members = forms.CharField(label=_("成员(每行一个)"), widget=forms.Textarea(attrs={"rows": 6}))
    self_name = forms.CharField(label=_("本县在组内的名称"), max_length=60)


class ImportForm(forms.Form):
    file = forms.FileField(label=_(".xlsx 文件"))

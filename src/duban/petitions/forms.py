from django import forms
from django.utils.translation import gettext_lazy as _

from duban.petitions.models import Channel, Level

DATE = {"type": "date"}


class PetitionForm(forms.Form):
    received_on = forms.DateField(label=_("登记日期"), widget=forms.DateInput(attrs=DATE))
    channel = forms.ChoiceField(label=_("渠道"), choices=Channel.choices)
    place = forms.CharField(label=_("地点"), max_length=100)
    matter_type = forms.CharField(label=_("事项类别"), max_length=40, help_text=_("如 征地拆迁、劳资纠纷"))
    matter = forms.CharField(label=_("信访事项"), widget=forms.Textarea(attrs={"rows": 3}))
    people_count = forms.IntegerField(label=_("人数"), min_value=1, initial=1)
    responsible_unit = forms.ModelChoiceField(label=_("责任单位"), queryset=None)
    accept_deadline = forms.DateField(label=_("受理期限(默认登记后 15 日)"), required=False,
                                      widget=forms.DateInput(attrs=DATE))
    is_stability_risk = forms.BooleanField(label=_("维稳风险"), required=False)
    petitioners = forms.CharField(label=_("信访人(每行:姓名,身份证号,电话)"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_unit"].queryset = units

    def petitioner_rows(self):
        rows = []
        for line in self.cleaned_data["petitioners"].splitlines():
            parts = [p.strip() for p in line.replace(",", ",").split(",")]
            if not any(parts):
                continue
            rows.append({"name": parts[0], "id_number": parts[1] if len(parts) > 1 else "",
                         "phone": parts[2] if len(parts) > 2 else ""})
        return rows


class DateActionForm(forms.Form):
    on = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs=DATE))
    outcome = forms.CharField(label=_("处理意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RuleForm(forms.Form):
    enabled = forms.BooleanField(label=_("启用"), required=False)
    level = forms.ChoiceField(label=_("预警等级"), choices=Level.choices)
    threshold = forms.IntegerField(label=_("阈值"), min_value=0)
    window_days = forms.IntegerField(label=_("期间(天)"), min_value=0)


class SensitivePeriodForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=60)
    start = forms.DateField(label=_("开始"), widget=forms.DateInput(attrs=DATE))
    end = forms.DateField(label=_("结束"), widget=forms.DateInput(attrs=DATE))

from django import forms
from django.utils.translation import gettext_lazy as _

from duban.dashboard.models import Horizon


class CommitmentForm(forms.Form):
    title = forms.CharField(label=_("交账事项"), max_length=200)
    horizon = forms.ChoiceField(label=_("期限"), choices=Horizon.choices)
    due_date = forms.DateField(label=_("交账时间"), widget=forms.DateInput(attrs={"type": "date"}))
    term = forms.CharField(label=_("任务检索词"), max_length=50, help_text=_("责任清单中以该词检索到的任务计入本事项"))

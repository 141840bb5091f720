"""Forms of the supervision pages. They only shape input; the services validate the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from duban.supervision.models import RULE_FIELDS, Rule
from duban.tasks.forms import MultipleFileInput


class RuleForm(forms.Form):
    """Every rule field as text, so the service's messages (not the browser's) explain bad input."""

    yellow_days = forms.CharField(label=_("临期预警天数(自然日)"), max_length=6,
                                  help_text=_("距完成时限不超过该天数时亮黄灯"))
    report_todo_days = forms.CharField(label=_("报送提醒天数(自然日)"), max_length=6,
                                       help_text=_("距报送截止不超过该天数时列入待填报"))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in RULE_FIELDS:
            model_field = Rule._meta.get_field(name)
            self.fields[name] = forms.CharField(label=model_field.verbose_name, max_length=6,
                                                required=not model_field.null,
                                                help_text=_("留空表示不启用此步骤") if model_field.null else "")
        self.order_fields([*RULE_FIELDS, "yellow_days", "report_todo_days", "version"])


class RemindForm(forms.Form):
    message = forms.CharField(label=_("催办内容"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class OrderForm(forms.Form):
    matter = forms.CharField(label=_("督办事项"), max_length=2000, required=False,
                             widget=forms.Textarea(attrs={"rows": 3}), help_text=_("留空则按逾期情况自动生成"))
    requirements = forms.CharField(label=_("督办要求"), max_length=2000, required=False,
                                   widget=forms.Textarea(attrs={"rows": 3}))


class ListForm(forms.Form):
    reason = forms.CharField(label=_("挂牌理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class UnlistForm(forms.Form):
    unlist_reason = forms.CharField(label=_("摘牌理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ReplyForm(forms.Form):
    order = forms.IntegerField(widget=forms.HiddenInput)
    text = forms.CharField(label=_("回复内容"), max_length=10000, widget=forms.Textarea(attrs={"rows": 4}))
    # The files themselves are read with request.FILES.getlist and checked by the service
    # (tasks' evidence checks), so a bad file is refused with its name and nothing is stored.
    files = forms.FileField(label=_("附件"), required=False, widget=MultipleFileInput,
                            help_text=_("可选多个文件:PDF、图片、Word、Excel、OFD"))

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from duban.checks.models import CheckMode, CheckScope, CheckStage
from duban.orgs.models import Person, Post, Unit
from duban.tasks import evidence as evidence_files
from duban.tasks.forms import MultipleFileInput
from duban.tasks.models import Category


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class UnitMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return "\u3000" * max(obj.depth - 1, 0) + obj.name


class PersonMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}({obj.unit.name})"


class FilesField(forms.FileField):
    """Several photos/files in one input, checked by content and size here already (the service
    repeats the check), so a bad file is named next to the input and nothing is stored."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        items = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        items = [item for item in items if item]
        if not items:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        files = [super(FilesField, self).clean(item, initial) for item in items]
        evidence_files.check_uploads(files)
        for f in files:
            f.seek(0)
        return files


class CheckForm(forms.Form):
    title = forms.CharField(label=_("督查名称"), max_length=200)
    mode = forms.ChoiceField(label=_("方式"), choices=CheckMode.choices, initial=CheckMode.OPEN,
                             help_text=_("暗访在督查室通报前,被督查单位看不到。"))
    scope = forms.ChoiceField(label=_("范围"), choices=CheckScope.choices, initial=CheckScope.SPECIAL)
    stage = forms.ChoiceField(label=_("阶段"), choices=CheckStage.choices, initial=CheckStage.PROCESS)
    start_date = forms.DateField(label=_("开始日期"), widget=DateInput())
    end_date = forms.DateField(label=_("结束日期"), widget=DateInput())
    units = UnitMultipleChoiceField(label=_("被督查单位"), queryset=Unit.objects.none(),
                                    widget=forms.SelectMultiple(attrs={"size": 8}))
    team = PersonMultipleChoiceField(label=_("督查组成员"), queryset=Person.objects.none(), required=False,
                                     widget=forms.SelectMultiple(attrs={"size": 6}))
    task_ids = forms.CharField(label=_("督查任务编号"), required=False,
                               help_text=_("任务详情页地址中的编号,多个用逗号或空格分隔。"))
    summary = forms.CharField(label=_("督查情况"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, units, people, tasks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = units
        self.fields["team"].queryset = people
        self._tasks = tasks

    def clean_task_ids(self):
        raw = self.cleaned_data.get("task_ids") or ""
        ids = [p for p in re.split(r"[\s,,、]+", raw) if p]
        if not all(p.isdigit() for p in ids):
            raise ValidationError(_("任务编号只能是数字。"))
        ids = sorted({int(p) for p in ids})
        found = list(self._tasks.filter(pk__in=ids)) if ids else []
        missing = set(ids) - {t.pk for t in found}
        if missing:
            raise ValidationError(_("找不到任务:%(ids)s。") % {"ids": "、".join(str(i) for i in sorted(missing))})
        return found

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("结束日期不能早于开始日期。"))
        return cleaned


class FindingForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("责任单位"), queryset=Unit.objects.none())
    description = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 4}))
    requirement = forms.CharField(label=_("整改要求"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    rectify_due = forms.DateField(label=_("整改时限"), required=False, widget=DateInput())
    files = FilesField(label=_("照片/材料"), required=False,
                       help_text=_("可多选;jpg、png、pdf、Word、Excel、PowerPoint、OFD。"))

    def __init__(self, *args, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units


class FindingTaskForm(forms.Form):
    due_date = forms.DateField(label=_("整改时限"), widget=DateInput())
    category = forms.ModelChoiceField(label=_("类别"), queryset=Category.objects.none(), required=False)
    responsible_post = forms.ModelChoiceField(label=_("责任岗位"), queryset=Post.objects.none(), required=False,
                                              help_text=_("通知发给该岗位当天在岗的A/B/C角。"))

    def __init__(self, *args, finding, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(is_active=True)
        self.fields["responsible_post"].queryset = Post.objects.filter(unit=finding.unit).order_by("title")
        self.fields["responsible_post"].label_from_instance = lambda post: post.title


class ProposeForm(forms.Form):
    reason = forms.CharField(label=_("问责理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class MonthInput(forms.TextInput):
    input_type = "month"


class BulletinForm(forms.Form):
    month = forms.CharField(label=_("月份"), widget=MonthInput())

    def clean_month(self):
        raw = (self.cleaned_data.get("month") or "").strip()
        m = re.fullmatch(r"(\d{4})-(\d{1,2})", raw)
        if not m or not 1 <= int(m.group(2)) <= 12 or not 2000 <= int(m.group(1)) <= 2100:
            raise ValidationError(_("请按“年-月”选择月份,如 2026-11。"))
        return date(int(m.group(1)), int(m.group(2)), 1)

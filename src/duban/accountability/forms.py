from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from duban.accountability.models import (
    AppealOutcome,
    Measure,
    Responsibility,
    SourceKind,
    SubjectKind,
    ToleranceApplication,
    ToleranceOutcome,
    Verdict,
)
from duban.orgs.models import Person, Post, Unit
from duban.tasks import lights


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return "\u3000" * max(obj.depth - 1, 0) + obj.name


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}({obj.unit.name} {obj.title})"


def _people():
    return Person.objects.filter(is_active=True).select_related("unit").order_by("unit__path", "name")


def _units():
    return Unit.objects.filter(is_active=True).order_by("path")


class Textarea(forms.Textarea):
    def __init__(self, rows=3):
        super().__init__(attrs={"rows": rows})


class CaseForm(forms.Form):
    title = forms.CharField(label=_("事项名称"), max_length=200)
    source_kind = forms.ChoiceField(label=_("线索来源"),
                                    choices=[c for c in SourceKind.choices if c[0] not in (SourceKind.DUAL,
                                                                                          SourceKind.PROPOSAL)])
    source_label = forms.CharField(label=_("来源说明"), max_length=300, required=False,
                                   help_text=_("信访件编号、反映人、线索编号、巡察报告等。"))
    source_ref = forms.IntegerField(label=_("来源编号"), required=False, min_value=1,
                                    help_text=_("任务逾期/亮红灯填任务编号,督查发现填督查发现编号,信访举报可填信访事项编号。"))
    subject_kind = forms.ChoiceField(label=_("问责对象类型"), choices=SubjectKind.choices)
    person = PersonChoiceField(label=_("个人"), queryset=Person.objects.none(), required=False)
    unit = UnitChoiceField(label=_("单位"), queryset=Unit.objects.none(), required=False)
    post = forms.ModelChoiceField(label=_("岗位"), queryset=Post.objects.none(), required=False,
                                  help_text=_("对岗位问责时,同时关联业务责任人和党建责任人(一岗双责)。"))
    supervising_leader = PersonChoiceField(label=_("分管领导"), queryset=Person.objects.none(), required=False,
                                           help_text=_("一案双查的对象;不填则取单位一岗双责登记的分管领导。"))
    facts = forms.CharField(label=_("问题事实"), widget=Textarea(5))
    evidence = forms.CharField(label=_("证据材料"), widget=Textarea(3), required=False)
    opened_on = forms.DateField(label=_("受理日期"), widget=DateInput(), initial=lights.today)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _people()
        self.fields["supervising_leader"].queryset = _people()
        self.fields["unit"].queryset = _units()
        self.fields["post"].queryset = Post.objects.select_related("unit").order_by("unit__path", "title")


class FileForm(forms.Form):
    file = forms.TypedChoiceField(label=_("初核结论"), coerce=lambda v: v == "1",
                                  choices=[("1", _("立案")), ("0", _("不予立案"))])
    on = forms.DateField(label=_("日期"), widget=DateInput(), initial=lights.today)
    supervising_leader = PersonChoiceField(label=_("分管领导(一案双查)"), queryset=Person.objects.none(),
                                           required=False)
    note = forms.CharField(label=_("说明"), widget=Textarea(2), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supervising_leader"].queryset = _people()


class AdvanceForm(forms.Form):
    on = forms.DateField(label=_("日期"), widget=DateInput(), initial=lights.today)
    note = forms.CharField(label=_("说明"), widget=Textarea(2), required=False)


class DecideForm(forms.Form):
    measure = forms.ChoiceField(label=_("问责方式"), required=False)
    decision_text = forms.CharField(label=_("决定内容"), widget=Textarea(4), required=False)
    basis = forms.CharField(label=_("依据"), widget=Textarea(2), required=False,
                            help_text=_("如《中国共产党问责条例》第七条。"))
    on = forms.DateField(label=_("决定日期"), widget=DateInput(), initial=lights.today)
    appeal_days = forms.IntegerField(label=_("申诉期限(日)"), initial=30, min_value=1, max_value=90)

    def __init__(self, *args, measures=None, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = measures or Measure.values
        self.fields["measure"].choices = [("", "—")] + [c for c in Measure.choices if c[0] in allowed]


class ClearForm(forms.Form):
    text = forms.CharField(label=_("澄清正名说明"), widget=Textarea(3))
    on = forms.DateField(label=_("澄清日期"), widget=DateInput(), initial=lights.today)


class GrantForm(forms.Form):
    user = forms.ModelChoiceField(label=_("授权用户"), queryset=get_user_model().objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")


class ToleranceApplyForm(forms.Form):
    reason = forms.CharField(label=_("申请理由"), widget=Textarea(4))
    evidence = forms.CharField(label=_("证明材料"), widget=Textarea(3),
                               help_text=_("集体决策记录、请示批复、挽回损失的情况等。"))


VERDICTS = [("", "—")] + list(Verdict.choices)


class ToleranceReviewForm(forms.Form):
    """The three tests of 三个区分开来, each with its note, the three conditions, the outcome."""

    outcome = forms.ChoiceField(label=_("容错结果"), choices=[("", "—")] + list(ToleranceOutcome.choices),
                                required=False)
    outcome_reasons = forms.CharField(label=_("认定理由"), widget=Textarea(3), required=False)
    reviewed_on = forms.DateField(label=_("审核日期"), widget=DateInput(), initial=lights.today)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fields = {}
        for name in ToleranceApplication.TESTS:
            label = ToleranceApplication._meta.get_field(name).verbose_name
            fields[name] = forms.ChoiceField(label=label, choices=VERDICTS, required=False)
            fields[f"{name}_note"] = forms.CharField(label=_("认定依据"), widget=Textarea(2), required=False)
        for name in ToleranceApplication.CONDITIONS:
            fields[name] = forms.ChoiceField(label=ToleranceApplication._meta.get_field(name).verbose_name,
                                             choices=VERDICTS, required=False)
        self.fields = {**fields, **self.fields}

    def verdicts(self):
        d = self.cleaned_data
        return {f: d.get(f, "") for f in ToleranceApplication.TESTS + ToleranceApplication.CONDITIONS}

    def notes(self):
        return {f: self.cleaned_data.get(f"{f}_note", "") for f in ToleranceApplication.TESTS}


class AppealForm(forms.Form):
    reason = forms.CharField(label=_("申诉理由"), widget=Textarea(4))


class AppealReviewForm(forms.Form):
    outcome = forms.ChoiceField(label=_("复查结论"), choices=[("", "—")] + list(AppealOutcome.choices),
                                required=False)
    measure = forms.ChoiceField(label=_("变更后的问责方式"), required=False,
                                choices=[("", "—")] + list(Measure.choices))
    note = forms.CharField(label=_("复查意见"), widget=Textarea(3), required=False)
    on = forms.DateField(label=_("复查日期"), widget=DateInput(), initial=lights.today)


class DutyLinkForm(forms.Form):
    unit = UnitChoiceField(label=_("单位"), queryset=Unit.objects.none())
    party_person = PersonChoiceField(label=_("党建责任人"), queryset=Person.objects.none(), required=False)
    supervising_leader = PersonChoiceField(label=_("分管领导"), queryset=Person.objects.none(), required=False)
    responsibility = forms.ChoiceField(label=_("分管领导责任类型"), choices=Responsibility.choices,
                                       initial=Responsibility.SUPERVISORY)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _units()
        self.fields["party_person"].queryset = _people()
        self.fields["supervising_leader"].queryset = _people()


class StatsFilterForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)
    start = forms.DateField(label=_("起始日期"), widget=DateInput(), required=False)
    end = forms.DateField(label=_("截止日期"), widget=DateInput(), required=False)
    unit = UnitChoiceField(label=_("单位"), queryset=Unit.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _units()

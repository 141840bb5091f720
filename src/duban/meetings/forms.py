from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from duban.orgs.models import Person, Unit


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return "\u3000" * max(obj.depth - 1, 0) + obj.name


PRESENT, ABSENT = "1", "0"


class MeetingForm(forms.Form):
    """The meeting, its agenda (one item a line) and one present/absent + reason pair per member."""

    title = forms.CharField(label=_("会议名称"), max_length=200)
    date = forms.DateField(label=_("会议日期"), widget=DateInput())
    place = forms.CharField(label=_("会议地点"), max_length=100, required=False)
    chair = forms.ModelChoiceField(label=_("主持人"), queryset=Person.objects.none(), required=False)
    agenda = forms.CharField(label=_("议题"), widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("每行一个议题。"))
    minutes = forms.CharField(label=_("会议纪要"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
                              help_text=_("会议情况和主要精神,每段一行;议定事项在保存后逐条录入。"))

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = members
        self.fields["chair"].queryset = Person.objects.filter(pk__in=[p.pk for p, _role in members])
        self.fields["chair"].label_from_instance = lambda p: p.name
        self.attendance_fields = []
        for person, role in members:
            present = f"present_{person.pk}"
            reason = f"reason_{person.pk}"
            self.fields[present] = forms.ChoiceField(
                label=f"{person.name}({role})", choices=[(PRESENT, _("出席")), (ABSENT, _("缺席"))], initial=PRESENT)
            self.fields[reason] = forms.CharField(label=_("%(name)s的缺席原因") % {"name": person.name},
                                                  max_length=200, required=False)
            self.attendance_fields.append((person, present, reason))

    def visible_main_fields(self):
        names = {n for _p, a, b in self.attendance_fields for n in (a, b)}
        return [self[n] for n in self.fields if n not in names]

    def attendance_rows(self):
        return [(person, self[a], self[b]) for person, a, b in self.attendance_fields]

    def clean(self):
        cleaned = super().clean()
        for person, present, reason in self.attendance_fields:
            if cleaned.get(present) == ABSENT and not (cleaned.get(reason) or "").strip():
                self.add_error(reason, _("请填写缺席原因。"))
        return cleaned

    def agenda_items(self) -> list[str]:
        return [line.strip() for line in (self.cleaned_data.get("agenda") or "").splitlines() if line.strip()]

    def attendance(self) -> list[dict]:
        return [{"person": person, "present": self.cleaned_data.get(a) == PRESENT,
                 "reason": self.cleaned_data.get(b, "")} for person, a, b in self.attendance_fields]


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("议定事项"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    lead_unit = UnitChoiceField(label=_("牵头单位"), queryset=Unit.objects.none(), required=False)
    due_date = forms.DateField(label=_("完成时限"), widget=DateInput(), required=False)

    def __init__(self, *args, units, meeting=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_unit"].queryset = units
        self.meeting = meeting

    def clean_due_date(self):
        due = self.cleaned_data.get("due_date")
        if due and self.meeting is not None and due < self.meeting.date:
            raise ValidationError(_("完成时限不能早于会议日期。"))
        return due


class MinutesForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    minutes = forms.CharField(label=_("会议纪要"), required=False, max_length=20000,
                              widget=forms.Textarea(attrs={"rows": 6}))

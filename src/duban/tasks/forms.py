"""Forms of the task pages. They check the shape of the input (types, required fields, files by
content) so errors appear inline next to the field; the services decide the rules and their
errors are put back on these forms (duban.core.forms.apply_validation_error).

Every form that changes a task carries the version the user loaded; the service compares it and
refuses a stale submission (RL-01) instead of overwriting someone else's change.
"""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from duban.core import permissions
from duban.orgs.models import Person, Post, Unit
from duban.tasks import evidence as evidence_files
from duban.tasks.models import (
    Category,
    Light,
    ProgressReport,
    ReportCycle,
    Source,
    SourceKind,
    Task,
    TaskStatus,
)

PAGE_SIZES = (25, 50, 100)  # 25 as Redmine's and most trackers' default page


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _resolve(queryset, value, error):
    """A chosen id through the one scoped lookup (duban.core.permissions.resolve_scoped): outside
    the field's scoped queryset is an invalid choice exactly like a missing id, and an existing
    object is recorded as ``authz_denied`` (the request's user is the ledger's actor)."""
    try:
        return permissions.resolve_scoped(None, queryset, None, value, field="value")
    except ValidationError:
        raise error from None


class ScopedModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField whose chosen id is resolved by permissions.resolve_scoped."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return _resolve(self.queryset, value, ValidationError(self.error_messages["invalid_choice"],
                                                              code="invalid_choice", params={"value": value}))


class ScopedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A ModelMultipleChoiceField whose chosen ids are each resolved by permissions.resolve_scoped."""

    def _check_values(self, value):
        try:
            values = list(dict.fromkeys(value))
        except TypeError:
            raise ValidationError(self.error_messages["invalid_list"], code="invalid_list") from None
        found = [_resolve(self.queryset, pk, ValidationError(self.error_messages["invalid_choice"],
                                                             code="invalid_choice", params={"value": pk}))
                 for pk in values]
        return self.queryset.filter(pk__in=[obj.pk for obj in found if obj is not None])


class UnitChoiceField(ScopedModelChoiceField):
    """Units in tree order, indented by depth (full-width spaces survive HTML)."""

    def label_from_instance(self, obj):
        return "\u3000" * max(obj.depth - 1, 0) + obj.name


class UnitMultipleChoiceField(ScopedModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return "\u3000" * max(obj.depth - 1, 0) + obj.name


class PersonChoiceField(ScopedModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}({obj.unit.name}{' · ' + obj.title if obj.title else ''})"


class PostChoiceField(ScopedModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.unit.name} · {obj.title}"


class MultipleFileInput(forms.FileInput):
    """Several evidence files in one input, offering the phone's camera and photo library."""

    allow_multiple_selected = True

    def __init__(self, attrs=None):
        super().__init__({"accept": evidence_files.ACCEPT, **(attrs or {})})


class EvidenceField(forms.FileField):
    """Several files in one input. Each is checked by content here already (the same check the
    service repeats), so a bad file is reported next to the input and nothing is stored."""

    widget = MultipleFileInput

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
        files = [super(EvidenceField, self).clean(item, initial) for item in items]
        evidence_files.check_uploads(files)
        for f in files:
            f.seek(0)
        return files


class VersionedForm(forms.Form):
    """Carries the version of the task the user loaded (RL-01)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def clean(self):
        cleaned = super().clean()
        # A hidden field's error would be invisible: say it at the top of the form instead.
        if self._errors.pop("version", None) or cleaned.get("version") is None:
            raise ValidationError(_("表单已过期,请刷新页面后重试。"), code="stale_form")
        return cleaned


# --- the responsibility list -----------------------------------------------------------------
# The filter selects list at most this many options. A province has 20,000 units and as many
# people: listing them all made the list page a 10 MB, 2-second render. Below the cap the select
# is complete (small deployments keep the plain drop-down); above it the unit select keeps the
# levels that fit (city, county, …) and anything deeper is found by typing (unit_options /
# person_options); the chosen id is checked against the user's scope on the server either way.
FILTER_OPTIONS_MAX = 300
SEARCH_RESULTS_MAX = 30


class FastSelect(forms.Select):
    """A Select that writes its options in Python. Django renders every <option> through two
    templates (select_option.html and attrs.html): ~0.1 ms each, and the list's filter form has
    ~180 options on every request. The markup is Django's (name, attrs, selected, optgroups)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{escape(widget["name"])}"{flatatt(widget["attrs"])}>']
        for group, options, _index in widget["optgroups"]:
            if group:
                parts.append(f'<optgroup label="{escape(group)}">')
            parts.extend(f'<option value="{escape(option["value"])}"{flatatt(option["attrs"])}>'
                         f'{escape(option["label"])}</option>' for option in options)
            if group:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("\n".join(parts))  # every value above is escaped


def unit_label(unit, base_depth: int = 1) -> str:
    return "\u3000" * max(unit.depth - base_depth, 0) + unit.name


def person_label(person) -> str:
    return f"{person.name}({person.unit.name}{' · ' + person.title if person.title else ''})"


class ScopedChoiceField(forms.Field):
    """One object chosen by id from a scoped queryset. Validation is one indexed lookup inside
    the scope (an id outside it is an invalid choice, never a wider list); the options shown are
    set separately and may be only a part of the scope."""

    widget = forms.Select
    default_error_messages = {"invalid_choice": _("所选项不在可选范围内。")}

    def __init__(self, *, empty_label, **kwargs):
        super().__init__(**kwargs)
        self.empty_label = empty_label
        self.queryset = None
        self.label_for = str
        self.widget.choices = [("", empty_label)]

    def set_options(self, options, label_for):
        """options: (id, label) pairs; label_for labels an object added later (add_option)."""
        self.label_for = label_for
        self.widget.choices = [("", self.empty_label), *options]

    def add_option(self, obj):
        if obj is not None and all(str(value) != str(obj.pk) for value, _label in self.widget.choices):
            self.widget.choices = [*self.widget.choices, (obj.pk, self.label_for(obj))]

    def to_python(self, value):
        if value in self.empty_values:
            return None
        error = ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        if self.queryset is None:
            raise error
        return _resolve(self.queryset, value, error)


def compact_units(units, base_depth: int, limit: int | None = None) -> tuple[list, bool]:
    """The (id, label) options a filter select lists and whether that is all of the scope: the
    whole scope when it fits, otherwise the top levels of it that fit (a province's cities and
    counties). Read as tuples: 300 Unit objects were a tenth of the list page's time."""
    limit = FILTER_OPTIONS_MAX if limit is None else limit
    columns = ("pk", "name", "depth")
    rows = list(units.order_by("path").values_list(*columns)[:limit + 1])
    complete = len(rows) <= limit
    if not complete:
        for depth in range(base_depth + 2, base_depth - 1, -1):
            rows = list(units.filter(depth__lte=depth).order_by("path").values_list(*columns)[:limit + 1])
            if len(rows) <= limit:
                break
    return [(pk, "\u3000" * max(depth - base_depth, 0) + name) for pk, name, depth in rows[:limit]], complete


def compact_people(people, limit: int | None = None) -> tuple[list, bool]:
    """Everyone in scope as (id, label) when they fit in a select; otherwise nobody is listed
    (typed search). The labels are person_label's."""
    limit = FILTER_OPTIONS_MAX if limit is None else limit
    rows = list(people.order_by("unit__path", "name").values_list("pk", "name", "unit__name", "title")[:limit + 1])
    if len(rows) > limit:
        return [], False
    return [(pk, f"{name}({unit}{' · ' + title if title else ''})") for pk, name, unit, title in rows], True


class TaskFilterForm(forms.Form):
    """一级一清单 (``unit``: a unit and its subtree) / 一人一清单 (``person``)."""

    SEARCH_RESULTS_MAX = SEARCH_RESULTS_MAX

    # Every ordering the selector knows (the column headers link to the descending ones too).
    SORTS = (("number", _("编号")), ("due", _("完成时限")), ("-due", _("完成时限(倒序)")),
             ("light", _("亮灯(最紧急在前)")), ("-light", _("亮灯(最平稳在前)")),
             ("title", _("任务名称")), ("-title", _("任务名称(倒序)")),
             ("unit", _("牵头单位")), ("-unit", _("牵头单位(倒序)")),
             ("-percent", _("进度(最高在前)")), ("percent", _("进度(最低在前)")))

    unit = ScopedChoiceField(label=_("单位(含下级)"), required=False, empty_label=_("全部单位"), widget=FastSelect)
    person = ScopedChoiceField(label=_("责任人"), required=False, empty_label=_("请选择人员"), widget=FastSelect)
    category = ScopedModelChoiceField(label=_("类别"), queryset=Category.objects.none(), required=False,
                                      empty_label=_("全部类别"), widget=FastSelect)
    status = forms.ChoiceField(label=_("状态"), required=False, widget=FastSelect,
                               choices=[("", _("全部状态")), ("open", _("未办结")), *TaskStatus.choices])
    light = forms.ChoiceField(label=_("亮灯"), required=False, widget=FastSelect,
                              choices=[("", _("全部")), (Light.RED, _("红灯")), (Light.YELLOW, _("黄灯")),
                                       (Light.GREEN, _("绿灯")), (Light.GREY, _("灰灯"))])
    due_from = forms.DateField(label=_("时限自"), required=False, widget=DateInput())
    due_to = forms.DateField(label=_("时限至"), required=False, widget=DateInput())
    source = ScopedModelChoiceField(label=_("来源"), queryset=Source.objects.none(), required=False,
                                    empty_label=_("全部来源"), widget=FastSelect)
    q = forms.CharField(label=_("搜索"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("任务名称或内容")}))
    sort = forms.ChoiceField(label=_("排序"), choices=SORTS, required=False, widget=FastSelect)

    def __init__(self, data=None, *, units, people, categories, sources, base_depth: int = 1):
        super().__init__(data)
        self.fields["unit"].queryset = units
        unit_options, complete = compact_units(units, base_depth)
        self.fields["unit"].set_options(unit_options, lambda u: unit_label(u, base_depth))
        # Which selects list only part of the scope: the page offers a search next to them.
        self.partial = {"unit": not complete}
        self.fields["person"].queryset = people
        person_options, complete = compact_people(people)
        self.fields["person"].set_options(person_options, person_label)
        self.partial["person"] = not complete
        # The options from one plain query each: a ModelChoiceField iterates its queryset with
        # .iterator(), a server-side cursor on PostgreSQL (three round trips a select).
        for name, queryset in (("category", categories), ("source", sources)):
            field = self.fields[name]
            field.queryset = queryset
            field.widget.choices = [("", field.empty_label),
                                    *((obj.pk, field.label_from_instance(obj)) for obj in queryset)]

    def full_clean(self):
        super().full_clean()
        # A unit or person found by search is not among the listed options: add it, so the
        # select shows what the list is filtered by.
        for name in ("unit", "person"):
            self.fields[name].add_option(self.cleaned_data.get(name))

    @property
    def mode(self) -> str:
        """Which list: carried in the query string by the pills and a hidden input, not a field."""
        value = self.data.get("mode") if self.data else None
        return value if value in ("unit", "person") else "unit"

    def filters(self) -> dict:
        """The selector's TaskFilters as a dict (invalid fields are dropped, never guessed)."""
        data = self.cleaned_data if self.is_valid() else {
            k: v for k, v in getattr(self, "cleaned_data", {}).items() if k not in self.errors}
        status = data.get("status")
        statuses = None
        if status == "open":
            statuses = [TaskStatus.ASSIGNED, TaskStatus.ACKNOWLEDGED, TaskStatus.IN_PROGRESS,
                        TaskStatus.COMPLETION_REQUESTED]
        elif status:
            statuses = [status]
        result = {
            "category": data.get("category"), "status": statuses, "light": data.get("light"),
            "due_from": data.get("due_from"), "due_to": data.get("due_to"), "source": data.get("source"),
            "q": data.get("q") or "", "sort": data.get("sort") or "number",
        }
        if self.mode == "person":
            # 一人一清单 without a person lists nobody's tasks, not everybody's.
            result["person"] = data.get("person")
        else:
            result["unit"] = data.get("unit")
        return result


# --- create / edit -----------------------------------------------------------------------------
MILESTONE_LINE = re.compile(r"^\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?\s+(.+?)\s*$")


def parse_milestones(text: str) -> list[dict]:
    """One milestone a line: ``2026-12-31 完成选址`` (a leading ✓ marks it done)."""
    result, errors = [], []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        done = line.lstrip().startswith("✓")
        m = MILESTONE_LINE.match(line.lstrip().lstrip("✓"))
        if not m:
            errors.append(_("第 %(n)s 行应为“日期 名称”,例如“2026-12-31 完成选址”。") % {"n": number})
            continue
        try:
            when = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            errors.append(_("第 %(n)s 行的日期无效。") % {"n": number})
            continue
        result.append({"name": m[4][:200], "date": when, "done": done})
    if errors:
        raise ValidationError(errors)
    return result


def milestones_text(milestones) -> str:
    return "\n".join(f"{'✓' if m.done else ''}{m.date:%Y-%m-%d} {m.name}" for m in milestones)


class TaskForm(forms.Form):
    title = forms.CharField(label=_("任务名称"), max_length=300)
    detail = forms.CharField(label=_("任务内容"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    category = ScopedModelChoiceField(label=_("类别"), queryset=Category.objects.none(), required=False)
    source = ScopedModelChoiceField(label=_("来源"), queryset=Source.objects.none(), required=False)
    lead_unit = UnitChoiceField(label=_("牵头单位"), queryset=Unit.objects.none(), required=False)
    co_units = UnitMultipleChoiceField(label=_("配合单位"), queryset=Unit.objects.none(), required=False,
                                       widget=forms.SelectMultiple(attrs={"size": 6}),
                                       help_text=_("可按住 Ctrl 多选"))
    responsible_leader = PersonChoiceField(label=_("责任领导"), queryset=Person.objects.none(), required=False)
    responsible_post = PostChoiceField(label=_("责任岗位"), queryset=Post.objects.none(), required=False,
                                       help_text=_("由岗位的 A 角办理,A 角不在岗时依次由 B、C 角代办"))
    start_date = forms.DateField(label=_("开始日期"), required=False, widget=DateInput())
    due_date = forms.DateField(label=_("完成时限"), required=False, widget=DateInput())
    reporting_cycle = forms.ChoiceField(label=_("报送周期"), choices=ReportCycle.choices, initial=ReportCycle.MONTHLY)
    target_number = forms.DecimalField(label=_("目标数量"), required=False, min_value=0, max_digits=14,
                                       decimal_places=2)
    target_measure = forms.CharField(label=_("量词"), required=False, max_length=10,
                                     widget=forms.TextInput(attrs={"placeholder": _("如:个、公里")}))
    target_object = forms.CharField(label=_("目标对象"), required=False, max_length=50,
                                    widget=forms.TextInput(attrs={"placeholder": _("如:示范点")}))
    milestones = forms.CharField(label=_("节点"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text=_("每行一个:日期 名称,例如“2026-12-31 完成选址”"))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    FIELDS = ("title", "detail", "category", "source", "lead_unit", "responsible_leader", "responsible_post",
              "start_date", "due_date", "reporting_cycle", "target_number", "target_measure", "target_object")

    def __init__(self, data=None, *, units, people, posts, categories, sources, initial=None, editing=False):
        super().__init__(data, initial=initial)
        self.editing = editing
        self.fields["lead_unit"].queryset = units
        self.fields["co_units"].queryset = units
        self.fields["responsible_leader"].queryset = people
        self.fields["responsible_post"].queryset = posts
        self.fields["category"].queryset = categories
        self.fields["source"].queryset = sources

    @classmethod
    def initial_for(cls, task: Task) -> dict:
        initial = {name: getattr(task, name) for name in cls.FIELDS}
        initial["co_units"] = list(task.co_units.all())
        initial["milestones"] = milestones_text(task.milestones.all())
        initial["version"] = task.version
        return initial

    def clean_milestones(self):
        return parse_milestones(self.cleaned_data.get("milestones", ""))

    def clean(self):
        cleaned = super().clean()
        if self.editing and (self._errors.pop("version", None) or cleaned.get("version") is None):
            raise ValidationError(_("表单已过期,请刷新页面后重试。"), code="stale_form")
        return cleaned

    def values(self) -> dict:
        data = self.cleaned_data
        values = {name: data.get(name) for name in self.FIELDS}
        for text_field in ("detail", "target_measure", "target_object"):
            values[text_field] = values[text_field] or ""
        return values


class DecomposeRowForm(forms.Form):
    title = forms.CharField(label=_("下级任务名称"), max_length=300, required=False)
    lead_unit = UnitChoiceField(label=_("牵头单位"), queryset=Unit.objects.none(), required=False)
    due_date = forms.DateField(label=_("完成时限"), required=False, widget=DateInput())
    target_number = forms.DecimalField(label=_("目标数量"), required=False, min_value=0, max_digits=14,
                                       decimal_places=2)
    target_measure = forms.CharField(label=_("量词"), required=False, max_length=10)
    target_object = forms.CharField(label=_("目标对象"), required=False, max_length=50)

    def __init__(self, *args, units=None, parent: Task | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.parent = parent
        if units is not None:
            self.fields["lead_unit"].queryset = units

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(k) not in (None, "") for k in self.fields)

    def clean(self):
        cleaned = super().clean()
        if self.is_blank():
            return cleaned
        if not cleaned.get("title"):
            self.add_error("title", _("请填写下级任务名称。"))
        due = cleaned.get("due_date")
        if due and self.parent is not None and self.parent.due_date and due > self.parent.due_date:
            self.add_error("due_date", _("不能晚于上级任务的完成时限(%(due)s)。") % {"due": self.parent.due_date})
        return cleaned

    def child(self) -> dict:
        data = self.cleaned_data
        child = {"title": data["title"], "lead_unit": data.get("lead_unit"), "due_date": data.get("due_date"),
                 "target_number": data.get("target_number"), "target_measure": data.get("target_measure") or "",
                 "target_object": data.get("target_object") or ""}
        if self.parent is not None:
            # Children inherit what the 督查室 would otherwise retype on every row.
            child["category"] = self.parent.category
            child["source"] = self.parent.source
            child["reporting_cycle"] = self.parent.reporting_cycle
        return child


class BaseDecomposeFormSet(forms.BaseFormSet):
    def __init__(self, *args, units=None, parent=None, **kwargs):
        self.units = units
        self.parent = parent
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {"units": self.units, "parent": self.parent}

    def clean(self):
        if any(self.errors):
            return
        if not [f for f in self.forms if not f.is_blank()]:
            raise ValidationError(_("请至少填写一个下级任务。"))

    def children(self) -> list[dict]:
        return [f.child() for f in self.forms if not f.is_blank()]


def decompose_formset(extra: int = 5):
    """A formset class with ``extra`` blank rows (a class per request: ``extra`` is class state)."""
    return forms.formset_factory(DecomposeRowForm, formset=BaseDecomposeFormSet, extra=extra, max_num=200,
                                 absolute_max=200, validate_max=True)


# --- transitions and reports -------------------------------------------------------------------
REASON_LABELS = {"return": _("退回理由"), "cancel": _("中止理由"), "reopen": _("重新打开理由"), "approve": _("审核意见")}

# Transitions that cannot be undone: set apart on the task page (危险操作), a reason required and a
# confirmation step on the server (the first POST answers with what will happen and a checkbox).
DESTRUCTIVE = {"cancel": _("我已确认中止该任务。中止后任务不再办理,且不能恢复。")}

def form_token_field():
    """The double-submit guard's hidden field (tasks/views/once.py); empty from clients that do
    not send it (the API, scripts): those are not deduplicated."""
    return forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)


class TransitionForm(VersionedForm):
    """A transition from statemachine.TRANSITIONS. Fields follow the transition: a reason when it
    needs one, a narrative with evidence for 申请办结, an optional opinion for 审核办结."""

    def __init__(self, *args, transition, **kwargs):
        super().__init__(*args, **kwargs)
        self.transition = transition
        name = transition.name
        if transition.needs_reason or name == "approve":
            self.fields["reason"] = forms.CharField(
                label=REASON_LABELS.get(name, _("理由")), required=transition.needs_reason, max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}))
        if transition.needs_evidence:
            self.fields["narrative"] = forms.CharField(label=_("办结情况"), max_length=10000,
                                                       widget=forms.Textarea(attrs={"rows": 3}))
            self.fields["percent"] = forms.IntegerField(label=_("完成进度(%)"), min_value=0, max_value=100,
                                                        initial=100)
            self.fields["quantity"] = forms.DecimalField(label=_("完成数量"), required=False, min_value=0,
                                                         max_digits=14, decimal_places=2)
            self.fields["files"] = EvidenceField(label=_("佐证材料"), required=True,
                                                 help_text=_("可选多个文件:pdf、Word、Excel、PowerPoint、jpg、png、OFD"))
        if name in DESTRUCTIVE:
            self.fields["confirm"] = forms.BooleanField(label=DESTRUCTIVE[name], required=False,
                                                        widget=forms.HiddenInput)

    @property
    def destructive(self) -> bool:
        return "confirm" in self.fields

    def ask_confirmation(self) -> None:
        """Show the confirm checkbox (the server's answer to a first POST without it)."""
        self.fields["confirm"].widget = forms.CheckboxInput()

    @property
    def has_inputs(self) -> bool:
        return len(self.fields) > 1


class ReportForm(forms.Form):
    """报送进展. Reports do not carry the version: they are appended, never edited, so a report
    never conflicts with a colleague's change (the service locks the row and checks the state)."""

    narrative = forms.CharField(label=_("进展情况"), max_length=10000, widget=forms.Textarea(attrs={"rows": 3}))
    quantity = forms.DecimalField(label=_("已完成数量"), required=False, min_value=0, max_digits=14, decimal_places=2)
    percent = forms.IntegerField(label=_("完成进度(%)"), min_value=0, max_value=100, initial=0)
    files = EvidenceField(label=_("附件"), required=False,
                          help_text=_("可选多个文件:pdf、Word、Excel、PowerPoint、jpg、png、OFD"))
    corrects = ScopedModelChoiceField(label=_("更正以前的报告"), queryset=ProgressReport.objects.none(),
                                      required=False, empty_label=_("(不是更正)"),
                                      help_text=_("已报送的报告不能修改;如有错误,报送一份新报告并选择它更正的那一份"))
    # Shown only when the server answers a drop in percent (services.report_submit, percent_drop).
    confirm_drop = forms.BooleanField(label=_("我确认完成进度比上次报送的低"), required=False, widget=forms.HiddenInput)
    drop_reason = forms.CharField(label=_("进度下调原因"), required=False, max_length=2000, widget=forms.HiddenInput)
    form_token = form_token_field()

    def __init__(self, *args, reports=None, **kwargs):
        super().__init__(*args, **kwargs)
        if reports is not None and reports.exists():
            self.fields["corrects"].queryset = reports
            self.fields["corrects"].label_from_instance = lambda r: (
                f"{timezone.localtime(r.submitted_at):%Y-%m-%d %H:%M} · {r.percent}% · {r.narrative[:20]}")
        else:
            del self.fields["corrects"]

    def ask_drop_reason(self) -> None:
        """Show the confirm checkbox and the reason (a drop in percent was refused without them)."""
        self.fields["confirm_drop"].widget = forms.CheckboxInput()
        self.fields["drop_reason"].widget = forms.Textarea(attrs={"rows": 2})
        self.fields["drop_reason"].required = True  # the asterisk; the service decides

    def hide_drop_fields(self) -> None:
        self.fields["confirm_drop"].widget = forms.HiddenInput()
        self.fields["drop_reason"].widget = forms.HiddenInput()


class HandoverForm(VersionedForm):
    """交办: the receiving units and post, the remarks (交办意见), the draft children to hand over
    with it, and the confirmation step (``confirm`` is set by the confirm page)."""

    lead_unit = UnitChoiceField(label=_("牵头单位"), queryset=Unit.objects.none(), required=False)
    co_units = UnitMultipleChoiceField(label=_("配合单位"), queryset=Unit.objects.none(), required=False,
                                       widget=forms.SelectMultiple(attrs={"size": 5}),
                                       help_text=_("可按住 Ctrl 多选"))
    responsible_post = PostChoiceField(label=_("责任岗位"), queryset=Post.objects.none(), required=False,
                                       help_text=_("由岗位的 A 角办理,A 角不在岗时依次由 B、C 角代办"))
    remarks = forms.CharField(label=_("交办意见"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}),
                              help_text=_("随交办通知发给承办单位,并记入办理记录"))
    children = ScopedModelMultipleChoiceField(label=_("一并交办的下级任务"), queryset=Task.objects.none(),
                                              required=False,
                                              widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}))
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
    form_token = form_token_field()

    def __init__(self, *args, units, posts, drafts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_unit"].queryset = units
        self.fields["co_units"].queryset = units
        self.fields["responsible_post"].queryset = posts
        self.fields["children"].queryset = drafts
        self.fields["children"].label_from_instance = lambda t: (
            f"{t.tree_number} {t.title}({t.lead_unit.name if t.lead_unit_id else _('未指定牵头单位')})")
        if not drafts.exists():
            del self.fields["children"]

    @classmethod
    def initial_for(cls, task: Task, drafts) -> dict:
        return {"lead_unit": task.lead_unit, "co_units": list(task.co_units.all()),
                "responsible_post": task.responsible_post, "version": task.version,
                "children": list(drafts)}

    def clean(self):
        cleaned = super().clean()
        lead, co = cleaned.get("lead_unit"), cleaned.get("co_units") or []
        if lead is not None and any(u.pk == lead.pk for u in co):
            self.add_error("co_units", _("牵头单位不能同时是配合单位。"))
        return cleaned


class ExtensionRequestForm(forms.Form):
    requested_due = forms.DateField(label=_("申请延至"), widget=DateInput())
    reason = forms.CharField(label=_("延期理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ExtensionDecisionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    decision = forms.ChoiceField(label=_("审批结果"), choices=(("approve", _("同意延期")), ("refuse", _("不同意"))),
                                 initial="approve", widget=forms.RadioSelect)
    reason = forms.CharField(label=_("审批意见"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}), help_text=_("不同意时必须填写"))

    def clean(self):
        cleaned = super().clean()
        if self._errors.pop("version", None) or cleaned.get("version") is None:
            raise ValidationError(_("表单已过期,请刷新页面后重试。"), code="stale_form")
        if cleaned.get("decision") == "refuse" and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("不同意延期时请填写审批意见。"))
        return cleaned


class InstructionForm(forms.Form):
    text = forms.CharField(label=_("批示内容"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    reply_days = forms.IntegerField(label=_("回复时限(工作日)"), min_value=1, max_value=30, initial=3, required=False,
                                    help_text=_("按国家法定节假日和调休安排计算工作日"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reply_days"].initial = getattr(settings, "DUBAN_INSTRUCTION_REPLY_DAYS", 3)


class InstructionReplyForm(forms.Form):
    reply_text = forms.CharField(label=_("回复内容"), max_length=10000, widget=forms.Textarea(attrs={"rows": 3}))
    files = EvidenceField(label=_("附件"), required=False,
                          help_text=_("可选多个文件:pdf、Word、Excel、PowerPoint、jpg、png、OFD"))


# --- sources, import ---------------------------------------------------------------------------
class SourceForm(forms.Form):
    kind = forms.ChoiceField(label=_("来源类型"), choices=SourceKind.choices, initial=SourceKind.DOCUMENT)
    title = forms.CharField(label=_("标题"), max_length=200)
    date = forms.DateField(label=_("日期"), required=False, widget=DateInput())
    issuer = forms.CharField(label=_("发文/讲话单位或人"), max_length=100, required=False)
    doc_number = forms.CharField(label=_("文号"), max_length=100, required=False)
    text = forms.CharField(label=_("全文"), required=False, widget=forms.Textarea(attrs={"rows": 8}))
    file = forms.FileField(label=_("原件"), required=False,
                           help_text=_("pdf、Word、OFD 等;同一文件或全文不能重复录入"))

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload:
            evidence_files.check_upload(upload)
            upload.seek(0)
        return upload


class ImportForm(forms.Form):
    file = forms.FileField(label=_("任务清单(.xlsx)"))
    source = ScopedModelChoiceField(label=_("来源"), queryset=Source.objects.none(), required=False,
                                    empty_label=_("(不关联来源)"))

    def __init__(self, *args, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = sources


class PolicyForm(forms.Form):
    """The 督查室's task policy (督办参数): yellow-light days and the report lead time."""

    yellow_days = forms.IntegerField(label=_("临期预警天数"), min_value=0, max_value=365,
                                     help_text=_("距完成时限不超过该天数时亮黄灯"))
    report_todo_days = forms.IntegerField(label=_("报送提醒天数"), min_value=0, max_value=60,
                                          help_text=_("距报送截止不超过该天数时列入待填报"))
    version = forms.IntegerField(widget=forms.HiddenInput)


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("类别名称"), max_length=50)
    sort_order = forms.IntegerField(label=_("排序"), min_value=0, max_value=32767, initial=0, required=False)

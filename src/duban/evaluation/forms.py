from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from duban.evaluation.models import GradeMethod, UnitCategory
from duban.evaluation.sources import SOURCES

DateInput = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def items_help() -> str:
    codes = "、".join(f"{key}({source.label})" for key, source in SOURCES.items())
    return str(_("每行一项:计分来源 项目名称 分值 [参数]。计分项目分值合计 100;加分、问责扣分项的分值为其上限,"
                 "不计入 100。来源:")) + codes


def parse_items(text: str) -> list[dict]:
    """``completion 任务完成率 30`` → {"source", "name", "weight", "param"}; checking is the service's."""
    items = []
    for line in (text or "").splitlines():
        parts = line.split()
        if not parts:
            continue
        source = parts[0]
        rest = parts[1:]
        param = None
        numbers = []
        while rest and _number(rest[-1]) and len(numbers) < 2:
            numbers.insert(0, rest.pop())
        name = " ".join(rest)
        weight = numbers[0] if numbers else ""
        if len(numbers) == 2:
            param = numbers[1]
        items.append({"source": source, "name": name, "weight": weight, "param": param})
    return items


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def items_text(scheme) -> str:
    lines = []
    for item in scheme.items.order_by("position"):
        line = f"{item.source} {item.name} {item.weight.normalize():f}"
        if item.param is not None:
            line += f" {item.param.normalize():f}"
        lines.append(line)
    return "\n".join(lines)


class SchemeForm(forms.Form):
    name = forms.CharField(label=_("方案名称"), max_length=100)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    category = forms.ChoiceField(label=_("单位类别"), choices=UnitCategory.choices)
    grade_method = forms.ChoiceField(label=_("等次划分"), choices=GradeMethod.choices)
    excellent = forms.DecimalField(label=_("优秀(比例%或分数线)"), max_digits=6, decimal_places=2, initial=20)
    good = forms.DecimalField(label=_("良好(比例%或分数线)"), max_digits=6, decimal_places=2, initial=40)
    fair = forms.DecimalField(label=_("一般(比例%或分数线)"), max_digits=6, decimal_places=2, initial=30)
    items = forms.CharField(label=_("考评项目"), widget=forms.Textarea(attrs={"rows": 10}))

    def __init__(self, *args, fixed_year=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].help_text = items_help()
        if fixed_year:
            del self.fields["year"]
            del self.fields["category"]


class PublishForm(forms.Form):
    start = forms.DateField(label=_("公示开始"), widget=DateInput)
    end = forms.DateField(label=_("公示截止"), widget=DateInput)


class ObjectionForm(forms.Form):
    item = forms.TypedChoiceField(label=_("考评项目"), coerce=int)
    reason = forms.CharField(label=_("申诉理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    evidence = forms.CharField(label=_("证据说明"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                               required=False, help_text=_("所依据的记录(任务编号、报告、文件),或上传证据材料"))
    file = forms.FileField(label=_("证据材料"), required=False)

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [(i.pk, i.name) for i in items]


class AnswerForm(forms.Form):
    decision = forms.ChoiceField(label=_("答复"), choices=[("accept", _("采纳")), ("reject", _("不采纳"))])
    answer = forms.CharField(label=_("答复意见"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    adjustment = forms.DecimalField(label=_("调整分值"), max_digits=6, decimal_places=2, required=False,
                                    help_text=_("采纳时对该项目得分的调整(可为负数);记录已更正时填 0"))


class BonusForm(forms.Form):
    item = forms.TypedChoiceField(label=_("加分项目"), coerce=int)
    unit = forms.TypedChoiceField(label=_("单位"), coerce=int)
    points = forms.DecimalField(label=_("加分"), max_digits=6, decimal_places=2)
    reason = forms.CharField(label=_("加分事由"), max_length=300)
    evidence = forms.CharField(label=_("证据说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False,
                               max_length=2000)
    file = forms.FileField(label=_("证据材料"), required=False)

    def __init__(self, *args, items=(), units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [(i.pk, i.name) for i in items]
        self.fields["unit"].choices = [(u.pk, u.name) for u in units]


class RoundForm(forms.Form):
    title = forms.CharField(label=_("评选名称"), max_length=100)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    evaluation = forms.TypedChoiceField(label=_("依据的考评"), coerce=int, required=False, empty_value=None)
    min_grade = forms.ChoiceField(label=_("单位等次不低于"), required=False)
    exclude_accountability = forms.BooleanField(label=_("期内有问责的不得推荐"), required=False, initial=True)
    quota = forms.IntegerField(label=_("名额"), min_value=1, max_value=100, initial=3)
    panel = forms.TypedMultipleChoiceField(label=_("评审组成员"), coerce=int,
                                           widget=forms.SelectMultiple(attrs={"size": 6}))

    def __init__(self, *args, evaluations=(), users=(), grades=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evaluation"].choices = [("", "—"), *[(e.pk, str(e)) for e in evaluations]]
        self.fields["min_grade"].choices = [("", _("不限")), *grades]
        self.fields["panel"].choices = [(u.pk, u.get_full_name() or u.username) for u in users]


class NominationForm(forms.Form):
    kind = forms.ChoiceField(label=_("推荐对象"), choices=[("unit", _("单位")), ("person", _("个人"))])
    unit = forms.TypedChoiceField(label=_("单位"), coerce=int, required=False, empty_value=None)
    person = forms.TypedChoiceField(label=_("个人"), coerce=int, required=False, empty_value=None)
    reason = forms.CharField(label=_("推荐理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    tasks = forms.CharField(label=_("事迹(已办结任务编号,逗号分隔)"), required=False, max_length=500)
    file = forms.FileField(label=_("证据材料"), required=False)

    def __init__(self, *args, units=(), people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", "—"), *[(u.pk, u.name) for u in units]]
        self.fields["person"].choices = [("", "—"), *[(p.pk, f"{p.name}({p.unit.name})") for p in people]]

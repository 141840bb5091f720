"""Forms of the intake pages. They check shape only; duban.intake.services decides the rules and
its ValidationErrors are put back on these forms."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from duban.intake import selectors
from duban.intake.services import SOURCE_KINDS
from duban.orgs.models import UnitKind

# Unit fields whose chosen ids go through the one scoped lookup (permissions.resolve_scoped): a
# unit outside the user's units is the same invalid choice as a missing id, recorded as authz_denied.
from duban.tasks.forms import UnitChoiceField, UnitMultipleChoiceField
from duban.tasks.models import Category

NAME_SEPARATORS = re.compile(r"[、,,;;\s]+")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("讲话或文件"), help_text=_("纯文本(.txt,UTF-8 或 GBK 编码)、Word(.docx)、Excel(.xlsx)、带文字的 PDF 或保存的网页(.html)。"),
                           error_messages={"required": _("请选择要导入的文件。"),
                                           "empty": _("文件是空的,没有可导入的内容。")})
    speech_date = forms.DateField(label=_("讲话日期"), required=False, widget=DateInput(),
                                  help_text=_("不填则从文中识别;“三年内”等相对期限从该日期起算。"))
    term_end = forms.DateField(label=_("本届任期届满日期"), required=False, widget=DateInput(),
                               help_text=_("“一届任期内”等期限按此日期计算;不填按讲话日期推算。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".txt,.docx,.xlsx,.pdf,.html,.htm"


class MetaForm(forms.Form):
    kind = forms.ChoiceField(label=_("来源类型"), choices=[(k.value, k.label) for k in SOURCE_KINDS])
    title = forms.CharField(label=_("标题"), max_length=200)
    speaker = forms.CharField(label=_("讲话人"), max_length=50, required=False)
    post = forms.CharField(label=_("职务"), max_length=50, required=False)
    speech_date = forms.DateField(label=_("讲话日期"), required=False, widget=DateInput())


class BulkForm(forms.Form):
    """The review's bulk bar: the checked items (and, if asked, their subtrees) get what is filled in."""

    nodes = forms.MultipleChoiceField(label=_("已选条目"), choices=[], required=False)
    with_subtree = forms.BooleanField(label=_("含下级条目"), required=False)
    lead_unit = UnitChoiceField(label=_("牵头单位"), queryset=None, required=False, empty_label=_("(不修改)"))
    co_units = UnitMultipleChoiceField(label=_("配合单位"), queryset=None, required=False,
                                       help_text=_("不选则不修改。"))
    due_date = forms.DateField(label=_("完成时限"), required=False, widget=DateInput())
    category = forms.ModelChoiceField(label=_("任务类别"), queryset=None, required=False, empty_label=_("(不修改)"))

    def __init__(self, *args, user, node_ids, **kwargs):
        super().__init__(*args, **kwargs)
        units = selectors.units_for_user(user)
        self.fields["lead_unit"].queryset = units
        self.fields["co_units"].queryset = units
        self.fields["category"].queryset = Category.objects.order_by("sort_order", "name")
        self.fields["nodes"].choices = [(i, i) for i in node_ids]


class RebaseForm(forms.Form):
    years = forms.IntegerField(label=_("顺延年数"), min_value=1, max_value=50)


class UnitResolveForm(forms.Form):
    """A name the text gives that the directory lacks: map it to a unit, or add it as a new unit."""

    name = forms.CharField(max_length=100)
    unit = UnitChoiceField(label=_("对应到已有单位"), queryset=None, required=False, empty_label=_("(选择单位)"))
    new_kind = forms.ChoiceField(label=_("或作为新单位添加,类别"), required=False,
                                 choices=[("", _("(不添加)")), *UnitKind.choices])
    new_parent = UnitChoiceField(label=_("上级单位"), queryset=None, required=False, empty_label=_("(最上层)"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        units = selectors.units_for_user(user)
        self.fields["unit"].queryset = units
        self.fields["new_parent"].queryset = units


class NodeForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=300)
    include = forms.BooleanField(label=_("生成任务"), required=False)
    lead_unit = UnitChoiceField(label=_("牵头单位"), queryset=None, required=False, empty_label=_("(未指定)"))
    co_units = UnitMultipleChoiceField(label=_("配合单位"), queryset=None, required=False,
                                       help_text=_("按住 Ctrl 可多选。"))
    due_date = forms.DateField(label=_("完成时限"), required=False, widget=DateInput())
    target_number = forms.DecimalField(label=_("目标数量"), required=False, min_value=0, max_digits=14,
                                       decimal_places=2)
    target_measure = forms.CharField(label=_("量词"), max_length=10, required=False)
    target_object = forms.CharField(label=_("目标对象"), max_length=50, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        units = selectors.units_for_user(user)  # an id outside the user's scope is "not one of the choices"
        self.fields["lead_unit"].queryset = units
        self.fields["co_units"].queryset = units

    @classmethod
    def initial_for(cls, node: dict) -> dict:
        return {"title": node.get("title", ""), "include": bool(node.get("include")),
                "lead_unit": node.get("lead_unit"), "co_units": node.get("co_units", []),
                "due_date": node.get("due_date"), "target_number": node.get("target_number"),
                "target_measure": node.get("target_measure", ""), "target_object": node.get("target_object", "")}


class SplitForm(forms.Form):
    split_at = forms.CharField(label=_("从这段文字起拆为第二项"), max_length=200, required=False,
                               help_text=_("粘贴第二项开头的几个字(在左侧原文中选中文字可自动填入)。"))
    title_1 = forms.CharField(label=_("或:拆分后第一项的名称"), max_length=300, required=False)
    title_2 = forms.CharField(label=_("拆分后第二项的名称"), max_length=300, required=False)

    def clean(self):
        data = super().clean()
        at = (data.get("split_at") or "").strip()
        t1, t2 = (data.get("title_1") or "").strip(), (data.get("title_2") or "").strip()
        if at and (t1 or t2):
            raise forms.ValidationError(_("请选择一种拆分方式:按原文位置,或填写两个标题。"))
        if not at and not (t1 or t2):
            raise forms.ValidationError(_("请填写拆分位置的文字,或拆分后的两个标题。"))
        if not at and not (t1 and t2):
            raise forms.ValidationError(_("请填写拆分后的两个标题。"))
        data["split_at"], data["title_1"], data["title_2"] = at, t1, t2
        return data


class ParentForm(forms.Form):
    parent = forms.ChoiceField(label=_("移到"), required=False)

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", _("(最上层)")), *choices]


class TopicForm(forms.Form):
    keyword = forms.CharField(label=_("关键词"), max_length=50,
                              help_text=_("条目或工作领域中出现该词时,建议以下单位为责任单位。"))
    units = UnitMultipleChoiceField(label=_("责任单位"), queryset=None, required=False,
                                    help_text=_("按住 Ctrl 可多选。"))
    unit_names = forms.CharField(label=_("单位目录中没有的单位名称"), required=False, max_length=500,
                                 help_text=_("多个名称用顿号或逗号分隔;导入时按名称和别名匹配单位目录。"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = selectors.units_for_user(user)

    def clean_unit_names(self):
        return [part for part in NAME_SEPARATORS.split(self.cleaned_data.get("unit_names") or "") if part]

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from duban.datacheck import escalation, rules, schema
from duban.datacheck.models import LeadStatus


class UploadForm(forms.Form):
    name = forms.CharField(label=_("数据集名称"), max_length=100,
                           help_text=_("同名数据集再次上传即为新版本。"))
    kind = forms.ChoiceField(label=_("数据类型"), choices=schema.Kind.choices)
    file = forms.FileField(label=_("文件(CSV、XLSX 或 Parquet)"))
    quarantine = forms.TypedChoiceField(label=_("有错误行时"), coerce=lambda v: v == "1", initial="1", choices=[
        ("1", _("隔离错误行,其余入库")), ("0", _("整个文件拒收"))])


class MappingForm(forms.Form):
    def __init__(self, *args, kind, headers, initial_mapping, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("(不导入)"))] + [(h, h) for h in headers]
        for f in schema.fields(kind):
            label = f"{f.label}({schema.TYPE_LABELS[f.type]}{'' if f.required else _(',选填')})"
            self.fields[f"col_{f.name}"] = forms.ChoiceField(label=label, choices=choices, required=False,
                                                             initial=initial_mapping.get(f.name, ""))
        self.kind = kind

    def mapping(self) -> dict:
        return {f.name: self.cleaned_data.get(f"col_{f.name}") or "" for f in schema.fields(self.kind)}


class TemplateRuleForm(forms.Form):
    template = forms.ChoiceField(label=_("规则模板"), choices=[(k, t["name"]) for k, t in rules.TEMPLATES.items()])
    name = forms.CharField(label=_("规则名称"), max_length=100)


def param_fields(form, definition, values=None):
    for pname, spec in (definition.get("params") or {}).items():
        initial = (values or {}).get(pname, spec.get("default"))
        if spec["type"] == "period":
            form.fields[f"param_{pname}"] = forms.ChoiceField(
                label=spec.get("label") or pname, initial=initial,
                choices=[("month", _("月")), ("quarter", _("季度")), ("year", _("年"))])
        else:
            form.fields[f"param_{pname}"] = forms.CharField(label=spec.get("label") or pname, initial=initial)


def param_values(form, definition) -> dict:
    return {p: form.cleaned_data.get(f"param_{p}") for p in (definition.get("params") or {})}


class ParamsForm(forms.Form):
    def __init__(self, *args, definition, **kwargs):
        super().__init__(*args, **kwargs)
        param_fields(self, definition)
        self.definition = definition


class RunForm(forms.Form):
    def __init__(self, *args, definition, choices_for, **kwargs):
        super().__init__(*args, **kwargs)
        for s in definition["sources"]:
            kind = schema.Kind(s["kind"])
            self.fields[f"ds_{s['alias']}"] = forms.ChoiceField(
                label=f"{s['alias']}:{kind.label}", choices=[("", "—")] + choices_for(s["kind"]))
        if "sql" not in definition:
            param_fields(self, definition)
        self.definition = definition


OP_CHOICES = [("eq", "="), ("ne", "≠"), ("lt", "<"), ("le", "≤"), ("gt", ">"), ("ge", "≥"), ("present", _("不为空"))]
ALIASES = ["a", "b", "c", "d"]


class BuilderKindsForm(forms.Form):
    kind_a = forms.ChoiceField(label=_("数据集 a"), choices=schema.Kind.choices)
    kind_b = forms.ChoiceField(label=_("数据集 b"), choices=[("", "—"), *schema.Kind.choices], required=False)
    kind_c = forms.ChoiceField(label=_("数据集 c"), choices=[("", "—"), *schema.Kind.choices], required=False)


class BuilderForm(forms.Form):
    """Step two of the builder: join keys, up to three conditions, the subject. Every choice is a
    field of the chosen kinds; a comparison value is a typed parameter, never SQL."""

    name = forms.CharField(label=_("规则名称"), max_length=100)
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, kinds: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = kinds
        self.sources = [{"alias": a, "kind": k} for a, k in zip(ALIASES, kinds, strict=False)]
        refs = [(f"{s['alias']}.{f.name}", f"{s['alias']}.{f.label}({schema.TYPE_LABELS[f.type]})")
                for s in self.sources for f in schema.fields(s["kind"])]
        opt = [("", "—"), *refs]
        for i, s in enumerate(self.sources[1:], start=1):
            self.fields[f"join{i}_left"] = forms.ChoiceField(label=_("关联 %(n)s:左") % {"n": i}, choices=refs)
            self.fields[f"join{i}_right"] = forms.ChoiceField(label=_("关联 %(n)s:右(%(a)s)") % {"n": i, "a": s["alias"]},
                                                              choices=refs)
        for i in range(1, 4):
            self.fields[f"cond{i}_left"] = forms.ChoiceField(label=_("条件 %(n)s") % {"n": i}, choices=opt, required=False)
            self.fields[f"cond{i}_op"] = forms.ChoiceField(label=_("运算"), choices=OP_CHOICES, required=False)
            self.fields[f"cond{i}_field"] = forms.ChoiceField(label=_("比较字段"), choices=opt, required=False)
            self.fields[f"cond{i}_value"] = forms.CharField(label=_("或比较值"), required=False, max_length=100)
        self.fields["key"] = forms.ChoiceField(label=_("线索主体(如身份证号)"), choices=refs)

    def definition(self) -> dict:
        d = self.cleaned_data
        defn = {"sources": self.sources, "joins": [], "conditions": [], "params": {}, "key": [d["key"]]}
        for i in range(1, len(self.sources)):
            defn["joins"].append({"left": d[f"join{i}_left"], "right": d[f"join{i}_right"]})
        types = {f"{s['alias']}.{f.name}": f.type for s in self.sources for f in schema.fields(s["kind"])}
        for i in range(1, 4):
            left, op = d.get(f"cond{i}_left"), d.get(f"cond{i}_op")
            if not left:
                continue
            cond = {"left": left, "op": op}
            if op != "present":
                if d.get(f"cond{i}_field"):
                    cond["right"] = {"field": d[f"cond{i}_field"]}
                else:
                    t = types.get(left, "text")
                    ptype = {"amount": "amount", "date": "date"}.get(t, "text")
                    defn["params"][f"v{i}"] = {"type": ptype, "label": str(_("条件 %(n)s 的值") % {"n": i}),
                                               "default": d.get(f"cond{i}_value") or ""}
                    cond["right"] = {"param": f"v{i}"}
            defn["conditions"].append(cond)
        return defn


class RawRuleForm(forms.Form):
    name = forms.CharField(label=_("规则名称"), max_length=100)
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    sources = forms.CharField(label=_("数据集(别名=类型,逗号分隔)"), initial="p=payments, d=deaths")
    sql = forms.CharField(label=_("SQL(只读SELECT,表名即别名)"), widget=forms.Textarea(attrs={"rows": 8}))
    key = forms.CharField(label=_("线索主体列(逗号分隔)"))

    def clean_sources(self):
        out = []
        for part in self.cleaned_data["sources"].split(","):
            alias, _eq, kind = part.strip().partition("=")
            if not alias or not kind:
                raise forms.ValidationError(_("应写成“别名=类型”,如 p=payments。"))
            out.append({"alias": alias.strip(), "kind": kind.strip()})
        return out


class DecideForm(forms.Form):
    note = forms.CharField(label=_("审批意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("核实人"))

    def __init__(self, *args, users, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [(u.pk, u.get_full_name() or u.username) for u in users]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("核实情况/理由"), widget=forms.Textarea(attrs={"rows": 3}))


class EscalateForm(forms.Form):
    target = forms.ChoiceField(label=_("移送去向"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = escalation.choices()
        for t in escalation.TARGETS.values():
            for name, label in t.fields:
                if name not in self.fields:
                    self.fields[name] = forms.CharField(label=label, required=False)

    def data_for_target(self):
        t = escalation.TARGETS.get(self.cleaned_data["target"])
        return {name: self.cleaned_data.get(name) for name, _label in (t.fields if t else [])}


class LeadFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部")), *LeadStatus.choices])
    mine = forms.BooleanField(label=_("只看我核实的"), required=False)

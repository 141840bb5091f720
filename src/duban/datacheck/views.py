"""Pages of 大数据监督 (the discipline role; the security administrator's SQL approvals). Every
page that shows data, and every export, writes an audit row (services.record_access)."""

from __future__ import annotations

import csv
import io
import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from duban.core import permissions, pii, uploads
from duban.core.decorators import require_perm
from duban.core.forms import apply_validation_error
from duban.datacheck import masking, rules, schema, selectors, services
from duban.datacheck.forms import (
    AssignForm,
    BuilderForm,
    BuilderKindsForm,
    DecideForm,
    EscalateForm,
    LeadFilterForm,
    MappingForm,
    ParamsForm,
    RawRuleForm,
    ReasonForm,
    RunForm,
    TemplateRuleForm,
    UploadForm,
    param_values,
)
from duban.datacheck.models import LeadStatus, RuleMode, VersionStatus

USE = permissions.DATACHECK_USE
APPROVE = permissions.DATACHECK_APPROVE_SQL


def _status(request, form=None):
    if request.method != "POST":
        return 200
    return uploads.status_for(form) if form is not None else 400


# --- datasets ------------------------------------------------------------------------------
@require_perm(USE)
@require_GET
def datasets(request):
    versions = selectors.versions_for_user(request.user).order_by("dataset__kind", "dataset__name", "-number")
    return render(request, "datacheck/datasets.html", {"versions": versions})


@uploads.limited_uploads()
@require_perm(USE)
@require_http_methods(["GET", "POST"])
def upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    refused = request.method == "POST" and uploads.apply_refusal(request, form, "file")
    if request.method == "POST" and not refused and form.is_valid():
        d = form.cleaned_data
        try:
            version = services.dataset_upload(actor=request.user, name=d["name"], kind=d["kind"],
                                              file_name=d["file"].name, raw=d["file"].read(),
                                              quarantine=d["quarantine"])
        except ValidationError as exc:
            apply_validation_error(form, exc, default_field="file")
        else:
            messages.success(request, _("文件已接收,请核对列对应关系后入库。"))
            return redirect("datacheck:version", pk=version.pk)
    return render(request, "datacheck/upload.html", {"form": form}, status=_status(request, form))


@require_perm(USE)
@require_http_methods(["GET", "POST"])
def version_detail(request, pk):
    version = selectors.version_get_for_user(request.user, pk)
    form = None
    status = 200
    if version.status == VersionStatus.PENDING:
        form = MappingForm(request.POST or None, kind=version.dataset.kind, headers=version.headers,
                           initial_mapping=services.suggested_mapping(version))
        if request.method == "POST" and form.is_valid():
            try:
                version = services.dataset_load(actor=request.user, version=version, mapping=form.mapping())
            except ValidationError as exc:
                apply_validation_error(form, exc)
                status = 400
            else:
                (messages.success if version.status == VersionStatus.LOADED else messages.error)(request, version.message)
                return redirect("datacheck:version", pk=version.pk)
        elif request.method == "POST":
            status = 400
    elif request.method == "POST":
        raise Http404
    services.record_access(actor=request.user, obj=version, event="datacheck_dataset_viewed")
    fields = [(f, (version.mapping or {}).get(f.name, "")) for f in schema.fields(version.dataset.kind)]
    return render(request, "datacheck/version.html", {"version": version, "form": form, "fields": fields},
                  status=status)


@require_perm(USE)
@require_GET
def report_download(request, pk):
    version = selectors.version_get_for_user(request.user, pk)
    try:
        data = services.report_export(actor=request.user, version=version)
    except ValidationError:
        raise Http404 from None
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="datacheck-report-{version.pk}.csv"'
    return response


# --- rules ---------------------------------------------------------------------------------
@require_perm(USE)
@require_http_methods(["GET", "POST"])
def rule_list(request):
    form = TemplateRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.rule_create(actor=request.user, name=form.cleaned_data["name"],
                                        template=form.cleaned_data["template"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已建立规则“%(name)s”。") % {"name": rule.name})
            return redirect("datacheck:rule", pk=rule.pk)
    return render(request, "datacheck/rules.html", {
        "rules": selectors.rules_for_user(request.user), "form": form, "templates": rules.TEMPLATES,
    }, status=_status(request))


@require_perm(USE)
@require_http_methods(["GET", "POST"])
def builder(request):
    kinds_form = BuilderKindsForm(request.GET or None)
    form = None
    if kinds_form.is_bound and kinds_form.is_valid():
        kinds = [k for k in (kinds_form.cleaned_data[f] for f in ("kind_a", "kind_b", "kind_c")) if k]
        form = BuilderForm(request.POST or None, kinds=kinds)
        if request.method == "POST" and form.is_valid():
            try:
                rule = services.rule_create(actor=request.user, name=form.cleaned_data["name"],
                                            description=form.cleaned_data["description"],
                                            definition=form.definition())
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, _("已建立规则“%(name)s”。") % {"name": rule.name})
                return redirect("datacheck:rule", pk=rule.pk)
    return render(request, "datacheck/builder.html", {"kinds_form": kinds_form, "form": form},
                  status=_status(request))


@require_perm(USE)
@require_http_methods(["GET", "POST"])
def raw_rule_create(request):
    form = RawRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            rule = services.rule_create_raw(actor=request.user, name=d["name"], description=d["description"],
                                            sources=d["sources"], sql=d["sql"], key=d["key"].split(","))
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("SQL规则已提交,安全管理员批准后才能运行。"))
            return redirect("datacheck:rule", pk=rule.pk)
    return render(request, "datacheck/raw_rule.html", {"form": form}, status=_status(request))


def _version_choices(kind):
    return [(v.pk, f"{v.dataset.name} v{v.number}({v.row_count})") for v in selectors.loaded_versions(kind)]


def _sql_preview(version):
    params = {}
    if version.mode == RuleMode.BUILDER:
        try:
            params = rules.resolve_params(version.definition, {})
        except ValidationError:
            return None, None
    tables = {s["alias"]: f"src_{s['alias']}" for s in version.definition["sources"]}
    return (services.compile_version(version, params, "duckdb", tables).sql,
            services.compile_version(version, params, "postgres", tables).sql)


@require_perm(USE)
@require_http_methods(["GET", "POST"])
def rule_detail(request, pk):
    rule = selectors.rule_get_for_user(request.user, pk)
    version = rule.current
    run_form = RunForm(request.POST if request.POST.get("action") == "run" else None,
                       definition=version.definition, choices_for=_version_choices)
    params_form = None
    if version.mode == RuleMode.BUILDER and version.definition.get("params"):
        params_form = ParamsForm(request.POST if request.POST.get("action") == "revise" else None,
                                 definition=version.definition)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        form = run_form if action == "run" else params_form
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                if action == "run":
                    chosen = {s["alias"]: selectors.version_get_for_user(request.user,
                                                                         form.cleaned_data[f"ds_{s['alias']}"])
                              for s in version.definition["sources"]}
                    run = services.rule_run(actor=request.user, rule=rule, datasets=chosen,
                                            params=param_values(form, version.definition))
                    messages.success(request, _("运行完成:%(hits)s 条命中,新线索 %(new)s 条,关联已有线索 %(dup)s 条。")
                                     % {"hits": run.hit_count, "new": run.lead_count, "dup": run.duplicate_count})
                    return redirect("datacheck:run", pk=run.pk)
                v = services.rule_revise(actor=request.user, rule=rule, params=param_values(form, version.definition))
                messages.success(request, _("已保存为第 %(n)s 版。") % {"n": v.number})
                return redirect("datacheck:rule", pk=rule.pk)
            except ValidationError as exc:
                apply_validation_error(form, exc)
        status = 400
    duck_sql, pg_sql = _sql_preview(version)
    return render(request, "datacheck/rule.html", {
        "rule": rule, "version": version, "versions": rule.versions.order_by("-number"),
        "run_form": run_form, "params_form": params_form, "runs": selectors.runs_for_rule(rule)[:20],
        "stats": selectors.rule_stats(rule) if rule.author_id == request.user.pk else None,
        "definition": json.dumps(version.definition, ensure_ascii=False, indent=2),
        "duck_sql": duck_sql, "pg_sql": pg_sql,
    }, status=status)


@require_perm(USE)
@require_GET
def run_detail(request, pk):
    run = selectors.run_get_for_user(request.user, pk)
    services.record_access(actor=request.user, obj=run, event="datacheck_run_viewed")
    hits = run.hits.select_related("lead")
    return render(request, "datacheck/run.html", {"run": run, "hits": hits})


# --- SQL approvals (security administrator) ------------------------------------------------
@require_perm(APPROVE)
@require_GET
def approvals(request):
    return render(request, "datacheck/approvals.html", {"versions": selectors.pending_raw_rules(request.user)})


@require_perm(APPROVE)
@require_http_methods(["GET", "POST"])
def approval(request, pk):
    version = selectors.raw_version_get_for_approver(request.user, pk)
    form = DecideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.rule_version_decide(actor=request.user, version=version,
                                         approve=request.POST.get("decision") == "approve",
                                         note=form.cleaned_data["note"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("审批意见已记录。"))
            return redirect("datacheck:approvals")
    return render(request, "datacheck/approval.html", {"version": version, "form": form}, status=_status(request))


# --- leads ---------------------------------------------------------------------------------
def _lead_rows(request):
    f = LeadFilterForm(request.GET or None)
    f.is_valid()
    d = getattr(f, "cleaned_data", {})
    return f, selectors.leads_for_user(request.user, status=d.get("status") or "", mine=bool(d.get("mine")))


def _masked_subject(lead):
    return " / ".join(masking.mask(v, t) for v, t in zip(lead.subject_key, lead.subject_types or [], strict=False))


@require_perm(USE)
@require_GET
def lead_list(request):
    form, leads = _lead_rows(request)
    leads = list(leads[:500])
    for lead in leads:
        lead.masked_subject = _masked_subject(lead)
    services.record_access(actor=request.user, obj=None, event="datacheck_leads_listed",
                           data={"count": len(leads), "filter": request.GET.urlencode()[:200]})
    return render(request, "datacheck/leads.html", {"leads": leads, "form": form})


@require_perm(USE)
@require_GET
def lead_export(request):
    _form, leads = _lead_rows(request)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([_("编号"), _("规则"), _("主体(已脱敏)"), _("状态"), _("核实人"), _("命中次数"), _("发现时间")])
    n = 0
    for lead in leads:
        w.writerow([lead.pk, lead.rule.name, _masked_subject(lead), lead.get_status_display(),
                    lead.assignee.username if lead.assignee else "", lead.hit_count,
                    lead.created_at.strftime("%Y-%m-%d %H:%M")])
        n += 1
    services.record_access(actor=request.user, obj=None, event="datacheck_leads_exported", data={"rows": n})
    response = HttpResponse(buf.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="datacheck-leads.csv"'
    return response


def _lead_page(request, lead, *, forms=None, status=200):
    full = selectors.can_see_full(request.user, lead)
    services.record_access(actor=request.user, obj=lead, event="datacheck_lead_viewed", data={"full_values": full})
    if full:  # DP-05: every showing of full personal data is one pii_viewed row
        pii.record_view(obj=lead, fields=["subject_key", "rows"], page="datacheck:lead_detail", actor=request.user)
    types = services.field_types(lead.rule.current) if lead.rule.current else {}
    hits = []
    for hit in selectors.lead_hits(lead):
        hits.append({"hit": hit, "tables": selectors.masked_rows(hit.rows, services.field_types(hit.run.rule_version)
                                                                 or types, full)})
    forms = forms or {}
    mine = full
    ctx = {
        "lead": lead, "full": full, "hits": hits,
        "subject": " / ".join(str(v) for v in lead.subject_key) if full else _masked_subject(lead),
        "related": selectors.related_leads(lead),
        "assign_form": forms.get("assign") or (AssignForm(users=selectors.discipline_users(),
                                                          initial={"assignee": request.user.pk})
                                               if lead.status in (LeadStatus.OPEN, LeadStatus.ASSIGNED) else None),
        "verify_form": forms.get("verify") or (ReasonForm() if mine and lead.status == LeadStatus.ASSIGNED else None),
        "dismiss_form": forms.get("dismiss") or (ReasonForm(prefix="d") if mine and lead.status in (
            LeadStatus.ASSIGNED, LeadStatus.VERIFIED) else None),
        "escalate_form": forms.get("escalate") or (EscalateForm() if mine and lead.status == LeadStatus.VERIFIED
                                                   else None),
    }
    return render(request, "datacheck/lead.html", ctx, status=status)


@require_perm(USE)
@require_GET
def lead_detail(request, pk):
    return _lead_page(request, selectors.lead_get_for_user(request.user, pk))


@require_perm(USE)
@require_POST
def lead_action(request, pk, action):
    lead = selectors.lead_get_for_user(request.user, pk)
    if action == "assign":
        form = AssignForm(request.POST, users=selectors.discipline_users())
    elif action == "verify":
        form = ReasonForm(request.POST)
    elif action == "dismiss":
        form = ReasonForm(request.POST, prefix="d")
    elif action == "escalate":
        form = EscalateForm(request.POST)
    else:
        raise Http404
    if form.is_valid():
        d = form.cleaned_data
        try:
            if action == "assign":
                assignee = selectors.discipline_users().filter(pk=d["assignee"]).first()
                services.lead_assign(actor=request.user, lead=lead, assignee=assignee)
                messages.success(request, _("已分派。"))
            elif action == "verify":
                services.lead_verify(actor=request.user, lead=lead, reason=d["reason"])
                messages.success(request, _("线索已核实。"))
            elif action == "dismiss":
                services.lead_dismiss(actor=request.user, lead=lead, reason=d["reason"])
                messages.success(request, _("线索已排除。"))
            else:
                services.lead_escalate(actor=request.user, lead=lead, target=d["target"], data=form.data_for_target())
                messages.success(request, _("线索已移送。"))
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            return redirect("datacheck:lead", pk=lead.pk)
    lead.refresh_from_db()
    return _lead_page(request, lead, forms={action: form}, status=400)

"""Pages of 问责: the case list and a case with its stages, decision, 容错 and appeal; the subject's
own decisions; the 一岗双责 links; statistics with the 四种形态 shares; who looked at which case.

A case page answers 404 to anyone but the discipline role and the users it granted the case to
(``authz_denied`` recorded); every page showing a case records ``case_viewed``."""

from __future__ import annotations

import json
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from duban.accountability import documents, selectors, services
from duban.accountability.forms import (
    AdvanceForm,
    AppealForm,
    AppealReviewForm,
    CaseForm,
    ClearForm,
    DecideForm,
    DutyLinkForm,
    FileForm,
    GrantForm,
    StatsFilterForm,
    ToleranceApplyForm,
    ToleranceReviewForm,
)
from duban.accountability.models import (
    PERSON_MEASURES,
    UNIT_MEASURES,
    CaseGrant,
    DutyLink,
    Form,
    SourceKind,
    Stage,
    SubjectKind,
    ToleranceApplication,
)
from duban.accounts.models import SecurityLabel
from duban.checks import selectors as check_selectors
from duban.checks.models import Finding
from duban.core import integrity, permissions
from duban.core.decorators import require_perm
from duban.core.forms import apply_validation_error
from duban.tasks import selectors as task_selectors

try:  # duban.petitions is optional: a petition source is then described in words only
    from duban.petitions import selectors as petition_selectors
except ImportError:  # pragma: no cover - depends on the tree
    petition_selectors = None

VIEW = permissions.CASES_VIEW
MANAGE = permissions.CASES_MANAGE


def _attachment(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


# --- the list and opening a case -------------------------------------------------------------------
@require_perm(VIEW)
@require_GET
def case_list(request):
    qs = selectors.cases_for_user(request.user)
    stage, form = request.GET.get("stage", ""), request.GET.get("form", "")
    if stage in Stage.values:
        qs = qs.filter(stage=stage)
    if form in Form.values:
        qs = qs.filter(form=form)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    # A case whose row MAC fails shows the integrity error instead of its values (DP-03).
    page.object_list = integrity.check_rows(page.object_list, actor=request.user, where="accountability:list")
    return render(request, "accountability/list.html", {
        "page": page, "stages": Stage.choices, "forms": Form.choices, "stage": stage, "form": form,
        "can_manage": selectors.can_manage(request.user),
        "open_proposals": selectors.proposals_open(request.user).count() if selectors.can_manage(request.user)
        else 0,
    })


def _source(user, kind: str, ref):
    """The object a case comes from, found through its own app's scoped selector: a task, a
    finding of a published check, or (optionally) a petition; None for the other sources."""
    if kind == SourceKind.TASK:
        if not ref:
            raise ValidationError({"source_ref": _("来源为任务时请填写任务编号。")})
        return permissions.resolve_scoped(user, task_selectors.tasks_for_user(user), None, ref, field="source_ref",
                                          label=_("任务"))
    if kind == SourceKind.CHECK:
        if not ref:
            raise ValidationError({"source_ref": _("来源为督查发现时请填写督查发现编号。")})
        findings = Finding.objects.filter(check_run__in=check_selectors.checks_for_user(user))
        return permissions.resolve_scoped(user, findings, None, ref, field="source_ref", label=_("督查发现"))
    if kind == SourceKind.PETITION and ref and petition_selectors is not None:
        return permissions.resolve_scoped(user, petition_selectors.petitions_for_user(user), None, ref,
                                          field="source_ref", label=_("信访事项"))
    return None


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
def case_create(request):
    form = CaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            source = _source(request.user, d["source_kind"], d.get("source_ref"))
            case = services.case_open(
                actor=request.user, title=d["title"], source_kind=d["source_kind"], source=source,
                source_label=d["source_label"], subject_kind=d["subject_kind"], person=d["person"],
                unit=d["unit"], post=d["post"], facts=d["facts"], evidence=d["evidence"],
                supervising_leader=d["supervising_leader"], opened_on=d["opened_on"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已受理问责事项 %(n)s,进入初核。") % {"n": case.number})
            return redirect("accountability:detail", pk=case.pk)
    return render(request, "accountability/form.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


@require_perm(MANAGE)
@require_GET
def proposals(request):
    page = Paginator(selectors.proposals_open(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "accountability/proposals.html", {"page": page})


@require_perm(MANAGE)
@require_POST
def proposal_open(request, pk):
    proposal = permissions.resolve_scoped(request.user, selectors.proposals_open(request.user), None, pk)
    try:
        case = services.case_open_from_proposal(actor=request.user, proposal=proposal)
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
        return redirect("accountability:proposals")
    messages.success(request, _("已将问责建议受理为问责事项 %(n)s。") % {"n": case.number})
    return redirect("accountability:detail", pk=case.pk)


# --- one case --------------------------------------------------------------------------------------
def _integrity_refused(request, case, where: str):
    """The integrity error page instead of a case whose row MAC, or one of whose subjects' MACs,
    fails (DP-03): nothing of the record is shown, the failure is recorded (alerting the security
    administrators). None when the record verifies."""
    rows = integrity.check_rows([case, *selectors.case_subjects(case)], actor=request.user, where=where)
    if all(row.integrity_ok for row in rows):
        return None
    return render(request, "accountability/integrity_error.html", {"case": case})


def _detail(request, case, *, status=200, **forms):
    refused = _integrity_refused(request, case, "accountability:detail")
    if refused is not None:
        return refused
    manage = selectors.can_manage(request.user)
    measures = UNIT_MEASURES if case.subject_kind == SubjectKind.UNIT else PERSON_MEASURES
    ctx = {
        "case": case, "subjects": selectors.case_subjects(case), "entries": case.stage_entries.select_related(
            "decided_by"), "twin": case.twins.first(), "applications": selectors.case_applications(case),
        "appeal": getattr(case, "appeal", None), "can_manage": manage,
        "deadline": services.appeal_deadline(case),
        "grants": CaseGrant.objects.filter(case=case).select_related("user") if manage else [],
        "views": selectors.case_views(case, limit=50) if manage else [],
        # a refused action's form-level errors, shown on top (its form may not be on the page at this stage)
        "action_errors": [e for f in forms.values() if hasattr(f, "non_field_errors") for e in f.non_field_errors()],
    }
    if manage:
        ctx.update({
            "file_form": forms.get("file_form") or FileForm(initial={"supervising_leader": case.supervising_leader}),
            "advance_form": forms.get("advance_form") or AdvanceForm(),
            "decide_form": forms.get("decide_form") or DecideForm(measures=measures),
            "clear_form": forms.get("clear_form") or ClearForm(),
            "grant_form": forms.get("grant_form") or GrantForm(),
            "apply_form": forms.get("apply_form") or ToleranceApplyForm(),
            "review_form": forms.get("review_form") or ToleranceReviewForm(),
            "review_for": forms.get("review_for"),
            "appeal_review_form": forms.get("appeal_review_form") or AppealReviewForm(),
            "can_record_tolerance": case.stage in services.TOLERANCE_STAGES and not case.tolerance
        and not case.tolerance_applications.filter(outcome="").exists(),
        "advance_to": [s for s in case.next_stages if s in (Stage.INVESTIGATION, Stage.TRIAL, Stage.EXECUTED)],
        })
    return render(request, "accountability/detail.html", ctx, status=status)


@login_required
@require_GET
def case_detail(request, pk):
    case = selectors.case_get_for_user(request.user, pk)
    services.case_record_view(actor=request.user, case=case)
    return _detail(request, case)


def _managed(request, pk):
    return selectors.case_get_for_user(request.user, pk)


def _done(request, text, case):
    messages.success(request, text)
    return redirect("accountability:detail", pk=case.pk)


def _case_action(request, case, form, form_name: str, action, done: str):
    """One case-page form: valid input goes to the service (``action(cleaned_data)``); its refusal
    or the form's own errors re-render the case page with the form under ``form_name`` (400)."""
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            return _done(request, done, case)
    return _detail(request, case, status=400, **{form_name: form})


@require_perm(MANAGE)
@require_POST
def case_file(request, pk):
    case = _managed(request, pk)
    return _case_action(request, case, FileForm(request.POST), "file_form", lambda d: services.case_file(
        actor=request.user, case=case, file=d["file"], on=d["on"], note=d["note"],
        supervising_leader=d["supervising_leader"]), _("已记录初核结论。"))


@require_perm(MANAGE)
@require_POST
def case_advance(request, pk, stage):
    case = _managed(request, pk)
    return _case_action(request, case, AdvanceForm(request.POST), "advance_form", lambda d: services.case_advance(
        actor=request.user, case=case, stage=stage, on=d["on"], note=d["note"]), _("已进入下一阶段。"))


@require_perm(MANAGE)
@require_POST
def case_decide(request, pk):
    case = _managed(request, pk)
    measures = UNIT_MEASURES if case.subject_kind == SubjectKind.UNIT else PERSON_MEASURES
    form = DecideForm(request.POST, measures=None)  # the service names a measure not allowed here
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.case_decide(actor=request.user, case=case, measure=d["measure"],
                                 decision_text=d["decision_text"], basis=d["basis"], on=d["on"],
                                 appeal_days=d["appeal_days"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            return _done(request, _("已作出问责决定。"), case)
    form.fields["measure"].choices = DecideForm(measures=measures).fields["measure"].choices
    return _detail(request, case, status=400, decide_form=form)


@require_perm(MANAGE)
@require_POST
def case_clear(request, pk):
    case = _managed(request, pk)
    return _case_action(request, case, ClearForm(request.POST), "clear_form", lambda d: services.case_clear(
        actor=request.user, case=case, text=d["text"], on=d["on"]), _("已澄清正名。"))


@require_perm(MANAGE)
@require_POST
def grant_add(request, pk):
    case = _managed(request, pk)
    return _case_action(request, case, GrantForm(request.POST), "grant_form", lambda d: services.grant_add(
        actor=request.user, case=case, user=d["user"]), _("已授权。"))


@require_perm(MANAGE)
@require_POST
def grant_remove(request, pk):
    grant = permissions.resolve_scoped(request.user, CaseGrant.objects.select_related("case"), None, pk)
    services.grant_remove(actor=request.user, grant=grant)
    return _done(request, _("已撤销授权。"), grant.case)


@require_perm(MANAGE)
@require_POST
def tolerance_record(request, pk):
    """The discipline role records an application for the subject."""
    case = _managed(request, pk)
    return _case_action(request, case, ToleranceApplyForm(request.POST), "apply_form", lambda d: services.tolerance_apply(
        actor=request.user, case=case, reason=d["reason"], evidence=d["evidence"]), _("已登记容错申请。"))


@require_perm(MANAGE)
@require_POST
def tolerance_review(request, pk):
    application = permissions.resolve_scoped(
        request.user, ToleranceApplication.objects.select_related("case"), None, pk)
    case = selectors.case_get_for_user(request.user, application.case_id)
    form = ToleranceReviewForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.tolerance_review(actor=request.user, application=application, verdicts=form.verdicts(),
                                      notes=form.notes(), outcome=d["outcome"], reasons=d["outcome_reasons"],
                                      on=d["reviewed_on"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            return _done(request, _("已作出容错认定。"), case)
    return _detail(request, case, status=400, review_form=form, review_for=application.pk)


@require_perm(MANAGE)
@require_POST
def appeal_review(request, pk):
    case = _managed(request, pk)
    return _case_action(request, case, AppealReviewForm(request.POST), "appeal_review_form", lambda d: services.appeal_review(
        actor=request.user, case=case, outcome=d["outcome"], note=d["note"], on=d["on"], measure=d["measure"]),
        _("已作出复查结论。"))


@login_required
@require_GET
def decision_docx(request, pk):
    """The decision document: the discipline role and grantees, or the subject for their own."""
    try:
        case = selectors.case_get_for_user(request.user, pk)
        as_subject = False
    except Http404:
        case = selectors.subject_case_get(request.user, pk)
        as_subject = True
    if not case.is_decided:
        raise Http404
    refused = _integrity_refused(request, case, "accountability:decision_docx")
    if refused is not None:
        return refused
    data = documents.decision_docx(case)
    services.case_record_view(actor=request.user, case=case, as_subject=as_subject)
    return _attachment(data, f"问责决定书-{case.number}.docx",
                       "application/vnd.openxmlformats-officedocument.wordprocessingml.document")


# --- the subject's side ----------------------------------------------------------------------------
@login_required
@require_GET
def mine(request):
    granted = integrity.check_rows(selectors.granted_cases(request.user), actor=request.user,
                                   where="accountability:mine")
    cases = integrity.check_rows(selectors.subject_cases(request.user), actor=request.user,
                                 where="accountability:mine")
    return render(request, "accountability/mine.html", {"cases": cases, "granted": granted})


def _mine_page(request, case, *, status=200, appeal_form=None, apply_form=None):
    refused = _integrity_refused(request, case, "accountability:mine_detail")
    if refused is not None:
        return refused
    deadline = services.appeal_deadline(case)
    from duban.tasks import lights

    return render(request, "accountability/subject.html", {
        "case": case, "subjects": selectors.case_subjects(case), "deadline": deadline,
        "can_appeal": Stage.APPEAL in case.next_stages and deadline is not None and lights.today() <= deadline,
        "appeal": getattr(case, "appeal", None), "applications": selectors.case_applications(case),
        "can_apply": not case.tolerance and not case.tolerance_applications.filter(outcome="").exists()
        and case.stage in services.TOLERANCE_STAGES,
        "appeal_form": appeal_form or AppealForm(), "apply_form": apply_form or ToleranceApplyForm(),
        "action_errors": [e for f in (appeal_form, apply_form) if f is not None for e in f.non_field_errors()],
    }, status=status)


@login_required
@require_GET
def mine_detail(request, pk):
    case = selectors.subject_case_get(request.user, pk)
    services.case_record_view(actor=request.user, case=case, as_subject=True)
    return _mine_page(request, case)


@login_required
@require_POST
def mine_appeal(request, pk):
    case = selectors.subject_case_get(request.user, pk)
    form = AppealForm(request.POST)
    if form.is_valid():
        try:
            services.appeal_file(actor=request.user, case=case, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("已提出申诉。"))
            return redirect("accountability:mine_detail", pk=case.pk)
    return _mine_page(request, case, status=400, appeal_form=form)


@login_required
@require_POST
def mine_tolerance(request, pk):
    case = selectors.subject_case_get(request.user, pk)
    form = ToleranceApplyForm(request.POST)
    if form.is_valid():
        try:
            services.tolerance_apply(actor=request.user, case=case, reason=form.cleaned_data["reason"],
                                     evidence=form.cleaned_data["evidence"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("已提出容错申请。"))
            return redirect("accountability:mine_detail", pk=case.pk)
    return _mine_page(request, case, status=400, apply_form=form)


# --- 一岗双责 links ---------------------------------------------------------------------------------
@require_perm(VIEW)
@require_http_methods(["GET", "POST"])
def duty_links(request):
    form = DutyLinkForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not selectors.can_manage(request.user):
            raise PermissionDenied
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.duty_link_save(actor=request.user, unit=d["unit"], party_person=d["party_person"],
                                        supervising_leader=d["supervising_leader"],
                                        responsibility=d["responsibility"])
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, _("已保存一岗双责。"))
                return redirect("accountability:duty")
        status = 400
    links = DutyLink.objects.select_related("unit", "party_person", "supervising_leader").order_by("unit__path")
    return render(request, "accountability/duty.html", {"form": form, "links": links}, status=status)


# --- statistics ------------------------------------------------------------------------------------
def _stats(request):
    form = StatsFilterForm(request.GET or None)
    d = form.cleaned_data if form.is_valid() else {}
    year = d.get("year")
    if not form.is_bound:
        from duban.tasks import lights

        year = lights.today().year
        form = StatsFilterForm(initial={"year": year})
    stats = selectors.statistics(year=year, unit=d.get("unit"), start=d.get("start"), end=d.get("end"))
    return form, stats, year, d


@require_perm(VIEW)
@require_GET
def statistics(request):
    form, stats, _year, _d = _stats(request)
    chart = json.dumps({"title": _("四种形态占比"),
                        "data": [{"name": s["label"], "value": s["count"]} for s in stats["shares"]]},
                       ensure_ascii=False)
    return render(request, "accountability/stats.html", {
        "form": form, "stats": stats, "chart": chart, "query": request.GET.urlencode(),
    }, status=200 if form.is_valid() or not form.is_bound else 400)


@require_perm(VIEW)
@require_GET
def statistics_xlsx(request):
    form, stats, year, d = _stats(request)
    if form.is_bound and not form.is_valid():
        return HttpResponse(status=400)
    data = documents.statistics_xlsx(stats, year=year, start=d.get("start"), end=d.get("end"), unit=d.get("unit"))
    return _attachment(data, f"问责统计-{year or '全部'}.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# --- the auditor's list ----------------------------------------------------------------------------
@require_perm(permissions.AUDIT_VIEW)
@require_GET
def view_log(request):
    page = Paginator(selectors.case_views(limit=5000, denied=True), 50).get_page(request.GET.get("page"))
    return render(request, "accountability/view_log.html", {"page": page})


# --- security labels (AC-11): the security administrator only ------------------------------------
def _labels_page(request, *, status=200):
    page = Paginator(selectors.cases_for_relabelling(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "accountability/labels.html", {"page": page, "labels": SecurityLabel.choices},
                  status=status)


@require_perm(permissions.ROLES_GRANT)
@require_GET
def labels(request):
    """Every case by its number and label, nothing of its content; a select per case to relabel."""
    return _labels_page(request)


@require_perm(permissions.ROLES_GRANT)
@require_POST
def relabel(request, pk):
    case = permissions.resolve_scoped(request.user, selectors.cases_for_relabelling(request.user), None, pk)
    try:
        services.case_relabel(actor=request.user, case=case, label=request.POST.get("label", ""))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return _labels_page(request, status=400)
    messages.success(request, _("已将 %(number)s 的密级设为“%(label)s”。") % {
        "number": case.number, "label": SecurityLabel(request.POST["label"]).label})
    return redirect("accountability:labels")

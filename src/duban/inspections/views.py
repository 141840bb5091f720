"""Pages of 巡察: rounds and their stages, teams, findings, 反馈, rectification (the unit's plan
and evidence, 销号, 回头看), the coverage page with its chart, the planner, the inspector pool and
the documents. Thin: guard, call a selector or a service, render."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from duban.core import permissions
from duban.core.decorators import require_perm
from duban.core.forms import apply_validation_error
from duban.inspections import forms as f
from duban.inspections import planner as planning
from duban.inspections import selectors, services
from duban.inspections.models import Target, Term
from duban.orgs import selectors as org_selectors
from duban.orgs.models import Person, Unit
from duban.tasks import lights, statemachine

VIEW = permissions.INSPECTIONS_VIEW
MANAGE = permissions.INSPECTIONS_MANAGE
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _status(request) -> int:
    return 400 if request.method == "POST" else 200


def _attachment(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote(filename, safe="")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def _units(user):
    return org_selectors.units_for_user(user).filter(is_active=True).order_by("path")


# --- rounds -----------------------------------------------------------------------------------
@require_perm(VIEW)
@require_GET
def round_list(request):
    page = Paginator(selectors.rounds_for_user(request.user), 20).get_page(request.GET.get("page"))
    today = lights.today()
    for r in page:
        r.stage_now = r.stage_on(today)
    return render(request, "inspections/round_list.html", {
        "page": page, "can_manage": permissions.can(request.user, MANAGE), "terms": Term.objects.all()})


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
def term_create(request):
    form = f.TermForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.term_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已创建任期。"))
            return redirect("inspections:coverage")
    return render(request, "inspections/form.html", {"form": form, "title": _("新建任期")}, status=_status(request))


def _term(request):
    term = selectors.current_term()
    if term is None:
        messages.error(request, _("请先新建任期。"))
    return term


def _round_initial():
    start = lights.today()
    end = start + timedelta(days=120)
    return {"start_date": start, "end_date": end, **services.default_stages(start, end)}


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
def round_create(request):
    term = _term(request)
    if term is None:
        return redirect("inspections:term_create")
    form = f.RoundForm(request.POST or None, units=_units(request.user), initial=_round_initial())
    if request.method == "POST" and form.is_valid():
        try:
            round_ = services.round_create(actor=request.user, term=term, name=form.cleaned_data["name"],
                                           start_date=form.cleaned_data["start_date"],
                                           end_date=form.cleaned_data["end_date"], stages=form.stages(),
                                           units=list(form.cleaned_data["units"]))
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已创建巡察轮次。"))
            return redirect("inspections:round", pk=round_.pk)
    return render(request, "inspections/form.html", {"form": form, "title": _("新建巡察轮次")},
                  status=_status(request))


def _round_page(request, round_, *, status=200, finding_forms=None):
    user = request.user
    today = lights.today()
    findings = list(selectors.findings_for_user(user).filter(round=round_))
    services.findings_viewed(actor=user, findings=findings, where=f"round {round_.pk}")
    can_manage = permissions.can(user, MANAGE)
    finding_forms = finding_forms or {}
    rows = [{"finding": x, "form": finding_forms.get(x.pk) or f.RectificationForm(prefix=f"r{x.pk}")}
            for x in findings]
    stage_now = round_.stage_on(today)
    stages = [{"label": label, "date": day, "done": day <= today, "current": stage == stage_now}
              for stage, label, day in round_.stage_dates()]
    teams = []
    if selectors.sees_confidential(user):
        teams = [{"team": t, "members": list(t.members.select_related("person")),
                  "units": [x.unit for x in t.targets.select_related("unit")]}
                 for t in round_.teams.all()]
    targets = round_.targets.select_related("unit", "team")
    if not selectors.sees_confidential(user):
        targets = permissions.scope(user, targets, "unit")
    return render(request, "inspections/round_detail.html", {
        "round": round_, "rows": rows, "stages": stages, "teams": teams, "targets": targets,
        "can_manage": can_manage, "stats": selectors.round_statistics(round_) if can_manage else None,
        "confidential": selectors.sees_confidential(user)}, status=status)


@require_perm(VIEW)
@require_GET
def round_detail(request, pk):
    return _round_page(request, selectors.round_get_for_user(request.user, pk))


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
def team_set(request, pk):
    round_ = selectors.round_get_for_user(request.user, pk)
    units = Unit.objects.filter(inspection_targets__round=round_).order_by("path")
    form = f.TeamForm(request.POST or None, people=selectors.pool_people(), units=units)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.team_set(actor=request.user, round_=round_, name=d["name"], leader=d["leader"],
                              deputy=d["deputy"], members=list(d["members"]), units=list(d["units"]))
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已组建巡察组。"))
            return redirect("inspections:round", pk=round_.pk)
    return render(request, "inspections/form.html", {"form": form, "title": _("组建巡察组"), "round": round_},
                  status=_status(request))


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
def finding_create(request, pk):
    round_ = selectors.round_get_for_user(request.user, pk)
    units = Unit.objects.filter(inspection_targets__round=round_).order_by("path")
    form = f.FindingForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.finding_add(actor=request.user, round_=round_, **d)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已记录问题。"))
            return redirect("inspections:round", pk=round_.pk)
    return render(request, "inspections/form.html", {"form": form, "title": _("记录巡察问题"), "round": round_},
                  status=_status(request))


@require_perm(MANAGE)
@require_POST
def round_feedback(request, pk):
    round_ = selectors.round_get_for_user(request.user, pk)
    try:
        services.round_feedback(actor=request.user, round_=round_)
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
    else:
        messages.success(request, _("已反馈,被巡察单位现在可以看到本单位的问题清单。"))
    return redirect("inspections:round", pk=round_.pk)


@require_perm(MANAGE)
@require_POST
def rectification_create(request, pk):
    finding = selectors.finding_get_for_user(request.user, pk)
    form = f.RectificationForm(request.POST, prefix=f"r{finding.pk}")
    if form.is_valid():
        try:
            rect = services.rectification_create(actor=request.user, finding=finding, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已交办整改任务。"))
            return redirect("inspections:rectification", pk=rect.pk)
    return _round_page(request, finding.round, status=400, finding_forms={finding.pk: form})


# --- the unit's side --------------------------------------------------------------------------
@require_perm(VIEW)
@require_GET
def my_findings(request):
    findings = list(selectors.findings_for_user(request.user).order_by("-round__fed_back_on", "id")[:200])
    services.findings_viewed(actor=request.user, findings=findings, where="my findings")
    return render(request, "inspections/my_findings.html", {"findings": findings})


def _rect_page(request, rect, *, status=200, plan_form=None, evidence_form=None, followup_form=None):
    user = request.user
    services.findings_viewed(actor=user, findings=[rect.finding], where=f"rectification {rect.pk}")
    is_lead = statemachine.acts_for_lead(user, rect.task)
    return render(request, "inspections/rectification.html", {
        "rect": rect, "finding": rect.finding, "task": rect.task, "is_lead": is_lead,
        "can_manage": permissions.can(user, MANAGE),
        "plan_form": plan_form or f.PlanForm(initial={"measures": rect.measures}),
        "evidence_form": evidence_form or f.EvidenceForm(),
        "followup_form": followup_form or f.FollowUpForm(),
        "followups": list(rect.followups.all())}, status=status)


@require_perm(VIEW)
@require_GET
def rectification_detail(request, pk):
    return _rect_page(request, selectors.rectification_get_for_user(request.user, pk))


def _rect_action(request, pk, form, call, done: str, form_key: str):
    rect = selectors.rectification_get_for_user(request.user, pk)
    if form is None or form.is_valid():
        try:
            call(rect, form.cleaned_data if form is not None else {})
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("您没有执行此操作的权限。"))
            return redirect("inspections:rectification", pk=rect.pk)
        except ValidationError as exc:
            if form is None:
                messages.error(request, ";".join(exc.messages))
                return redirect("inspections:rectification", pk=rect.pk)
            apply_validation_error(form, exc)
        else:
            messages.success(request, done)
            return redirect("inspections:rectification", pk=rect.pk)
    rect.refresh_from_db()
    return _rect_page(request, rect, status=400, **{form_key: form})


@require_perm(VIEW)
@require_POST
def plan_submit(request, pk):
    return _rect_action(request, pk, f.PlanForm(request.POST),
                        lambda rect, d: services.rectification_plan_submit(actor=request.user, rectification=rect,
                                                                            measures=d["measures"]),
                        _("已提交整改方案。"), "plan_form")


@require_perm(VIEW)
@require_POST
def evidence_submit(request, pk):
    return _rect_action(request, pk, f.EvidenceForm(request.POST, request.FILES),
                        lambda rect, d: services.rectification_evidence_submit(
                            actor=request.user, rectification=rect, narrative=d["narrative"], files=d["files"]),
                        _("已提交整改佐证材料,等待巡察办销号。"), "evidence_form")


@require_perm(MANAGE)
@require_POST
def rectification_close(request, pk):
    return _rect_action(request, pk, None,
                        lambda rect, d: services.rectification_close(actor=request.user, rectification=rect),
                        _("已销号,回头看已排期。"), "")


@require_perm(MANAGE)
@require_POST
def followup_record(request, pk):
    return _rect_action(request, pk, f.FollowUpForm(request.POST),
                        lambda rect, d: services.followup_record(actor=request.user, rectification=rect,
                                                                 result=d["result"], note=d["note"]),
                        _("已记录回头看结果。"), "followup_form")


# --- coverage and the planner -----------------------------------------------------------------
@require_perm(VIEW)
@require_GET
def coverage(request):
    term = selectors.current_term()
    confidential = selectors.sees_confidential(request.user)
    rows, summary = [], {}
    if term is not None:
        rows = selectors.coverage_matrix(term)
        if not confidential:  # rounds before 反馈 stay with the inspection office and the discipline role
            for row in rows:
                row["rounds"] = [r for r in row["rounds"] if r.fed_back_on and r.fed_back_on <= lights.today()]
                if row["state"] == "planned":
                    row["state"] = "uncovered"
        summary = selectors.coverage_summary(term)
        if not confidential:
            summary["uncovered"] += summary["planned"]
            summary["planned"] = 0
    chart = {"years": [str(y["year"]) for y in summary.get("by_year", [])],
             "cumulative": [y["cumulative"] for y in summary.get("by_year", [])],
             "total": summary.get("total", 0),
             "labels": {"covered": _("已巡察"), "planned": _("已安排"), "uncovered": _("未巡察"),
                        "cumulative": _("累计覆盖单位")},
             "parts": [summary.get("covered", 0), summary.get("planned", 0), summary.get("uncovered", 0)]}
    return render(request, "inspections/coverage.html", {
        "term": term, "rows": rows, "summary": summary, "chart": json.dumps(chart, ensure_ascii=False),
        "can_manage": permissions.can(request.user, MANAGE), "confidential": confidential,
        "rates": selectors.unit_rectification_rates(term) if confidential else []})


def _capacity(form) -> planning.Capacity:
    d = form.cleaned_data
    return planning.Capacity(units_per_team=d["units_per_team"], teams_per_round=d["teams_per_round"],
                             rounds_per_year=d["rounds_per_year"], members_per_team=d["members_per_team"])


def _proposal_rows(result):
    units = Unit.objects.in_bulk([u for r in result.rounds for u in r.units])
    people = Person.objects.in_bulk([p for r in result.rounds for t in r.teams for p in t.members])
    out = []
    for r in result.rounds:
        out.append({"index": r.index, "teams": [
            {"members": [people[p] for p in t.members], "units": [units[u] for u in t.units]} for t in r.teams],
            "json": json.dumps([{"members": t.members, "units": t.units} for t in r.teams])})
    return out


@require_perm(MANAGE)
@require_GET
def planner(request):
    term = _term(request)
    if term is None:
        return redirect("inspections:term_create")
    form = f.CapacityForm(request.GET or None)
    result = rows = create_form = None
    status = 200
    if request.GET and form.is_valid():
        try:
            result = services.plan_for_term(term=term, capacity=_capacity(form))
        except ValidationError as exc:
            apply_validation_error(form, exc)
            status = 400
        else:
            rows = _proposal_rows(result)
            if rows:
                create_form = f.PlanRoundForm(initial={**_round_initial(), "proposal": rows[0]["json"],
                                                       "name": _("%(term)s第%(n)s轮巡察") % {
                                                           "term": term.name,
                                                           "n": term.rounds.count() + 1}})
    elif request.GET:
        status = 400
    return render(request, "inspections/planner.html", {"form": form, "term": term, "result": result,
                                                        "rows": rows, "create_form": create_form}, status=status)


@require_perm(MANAGE)
@require_POST
def plan_create(request):
    term = _term(request)
    if term is None:
        return redirect("inspections:term_create")
    form = f.PlanRoundForm(request.POST)
    if form.is_valid():
        try:
            round_ = services.round_create_from_plan(
                actor=request.user, term=term, name=form.cleaned_data["name"],
                start_date=form.cleaned_data["start_date"], end_date=form.cleaned_data["end_date"],
                stages=form.stages(), proposal=form.cleaned_data["proposal"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已按规划方案创建巡察轮次。"))
            return redirect("inspections:round", pk=round_.pk)
    return render(request, "inspections/planner.html", {"form": f.CapacityForm(), "term": term, "result": None,
                                                        "rows": None, "create_form": form}, status=400)


# --- the pool and people's history ------------------------------------------------------------
def _pool_page(request, *, status=200, **forms):
    people = org_selectors.people_for_user(request.user).filter(is_active=True).select_related("unit")
    units = _units(request.user)
    ctx = {"entries": selectors.pool_for_user(request.user),
           "pool_form": forms.get("pool_form") or f.PoolForm(people=people),
           "history_form": forms.get("history_form") or f.HistoryForm(people=people, units=units),
           "relative_form": forms.get("relative_form") or f.RelativeForm(people=people, units=units)}
    return render(request, "inspections/pool.html", ctx, status=status)


@require_perm(MANAGE)
@require_GET
def pool(request):
    return _pool_page(request)


def _pool_action(request, form, key, call, done):
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, done)
            return redirect("inspections:pool")
    return _pool_page(request, status=400, **{key: form})


@require_perm(MANAGE)
@require_POST
def pool_add(request):
    people = org_selectors.people_for_user(request.user).filter(is_active=True)
    return _pool_action(request, f.PoolForm(request.POST, people=people), "pool_form",
                        lambda d: services.pool_add(actor=request.user, **d), _("已加入巡察干部库。"))


@require_perm(MANAGE)
@require_POST
def history_add(request):
    people = org_selectors.people_for_user(request.user).filter(is_active=True)
    return _pool_action(request, f.HistoryForm(request.POST, people=people, units=_units(request.user)),
                        "history_form", lambda d: services.history_add(actor=request.user, **d), _("已记录工作经历。"))


@require_perm(MANAGE)
@require_POST
def relative_add(request):
    people = org_selectors.people_for_user(request.user).filter(is_active=True)
    return _pool_action(request, f.RelativeForm(request.POST, people=people, units=_units(request.user)),
                        "relative_form", lambda d: services.relative_add(actor=request.user, **d),
                        _("已记录近亲属。"))


# --- documents --------------------------------------------------------------------------------
@require_perm(MANAGE)
@require_GET
def feedback_doc(request, pk, unit_pk):
    round_ = selectors.round_get_for_user(request.user, pk)
    target = Target.objects.filter(round=round_, unit_id=unit_pk).select_related("unit").first() \
        if str(unit_pk).isdigit() else None
    if target is None:
        raise Http404
    name, content = services.feedback_export(actor=request.user, round_=round_, unit=target.unit)
    return _attachment(content, name, DOCX)


@require_perm(MANAGE)
@require_GET
def ledger_xlsx(request, pk):
    round_ = selectors.round_get_for_user(request.user, pk)
    name, content = services.ledger_export(actor=request.user, round_=round_)
    return _attachment(content, name, XLSX)

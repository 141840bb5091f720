"""Pages of the evaluation: schemes, computing, the ranking, a unit's sheet and the records behind
every point, 公示/定稿, objections, ratings, bonus points, reports and the 硒都楷模 rounds."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from duban.accounts.models import User
from duban.core import integrity, permissions
from duban.core.decorators import require_perm
from duban.core.forms import apply_validation_error
from duban.core.roles import Role
from duban.evaluation import reports, selectors, services
from duban.evaluation.forms import (
    AnswerForm,
    BonusForm,
    NominationForm,
    ObjectionForm,
    PublishForm,
    RoundForm,
    SchemeForm,
    items_text,
    parse_items,
)
from duban.evaluation.models import (
    EvalStatus,
    Grade,
    RoundStatus,
    Scheme,
)
from duban.evaluation.sources import SOURCES, Context
from duban.orgs.models import Person, Unit
from duban.tasks import evidence as evidence_files
from duban.tasks.models import Task, TaskStatus

VIEW = permissions.EVALUATION_VIEW
MANAGE = permissions.EVALUATION_MANAGE


def _attachment(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote(filename, safe="")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@require_perm(VIEW)
@require_GET
def index(request):
    user = request.user
    context = {"evaluations": selectors.evaluations_for_user(user),
               "can_manage": permissions.can(user, MANAGE),
               "schemes": selectors.schemes_for_user(user) if permissions.can(user, MANAGE) else [],
               "rounds": selectors.rounds_for_user(user)[:10]}
    return render(request, "evaluation/index.html", context)


# --- schemes ------------------------------------------------------------------------------------
def _scheme_values(form):
    d = form.cleaned_data
    return {"name": d["name"], "grade_method": d["grade_method"], "excellent": d["excellent"], "good": d["good"],
            "fair": d["fair"], "items": parse_items(d["items"])}


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
def scheme_create(request):
    form = SchemeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            scheme = services.scheme_create(actor=request.user, year=form.cleaned_data["year"],
                                            category=form.cleaned_data["category"], **_scheme_values(form))
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("考评方案已保存。"))
            return redirect("evaluation:scheme_detail", scheme.pk)
    return render(request, "evaluation/scheme_form.html", {"form": form, "title": _("新建考评方案")},
                  status=400 if request.method == "POST" else 200)


def _scheme(request, pk) -> Scheme:
    return permissions.resolve_scoped(request.user, selectors.schemes_for_user(request.user), None, pk)


@require_perm(MANAGE)
@require_GET
def scheme_detail(request, pk):
    scheme = _scheme(request, pk)
    items = list(scheme.items.order_by("position"))
    for item in items:
        item.source_label = SOURCES[item.source].label if item.source in SOURCES else item.source
        item.adjust = SOURCES[item.source].adjust if item.source in SOURCES else False
    versions = Scheme.objects.filter(year=scheme.year, category=scheme.category).order_by("version")
    return render(request, "evaluation/scheme_detail.html", {"scheme": scheme, "items": items, "versions": versions,
                                                             "evaluation": getattr(scheme, "evaluation", None)})


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
def scheme_edit(request, pk, new_version=False):
    scheme = _scheme(request, pk)
    initial = {"name": scheme.name, "grade_method": scheme.grade_method, "excellent": scheme.excellent,
               "good": scheme.good, "fair": scheme.fair, "items": items_text(scheme)}
    form = SchemeForm(request.POST or None, initial=initial, fixed_year=True)
    if request.method == "POST" and form.is_valid():
        service = services.scheme_new_version if new_version else services.scheme_update
        try:
            result = service(actor=request.user, scheme=scheme, **_scheme_values(form))
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已保存为第 %(v)s 版。") % {"v": result.version} if new_version
                             else _("考评方案已保存。"))
            return redirect("evaluation:scheme_detail", result.pk)
    title = _("制定新版本") if new_version else _("修改考评方案")
    return render(request, "evaluation/scheme_form.html", {"form": form, "title": title, "scheme": scheme},
                  status=400 if request.method == "POST" else 200)


def scheme_version(request, pk):
    return scheme_edit(request, pk, new_version=True)


scheme_version = require_perm(MANAGE)(require_http_methods(["GET", "POST"])(scheme_version))


@require_perm(MANAGE)
@require_POST
def compute(request, pk):
    scheme = _scheme(request, pk)
    try:
        evaluation = services.evaluation_compute(actor=request.user, scheme=scheme)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("evaluation:scheme_detail", scheme.pk)
    messages.success(request, _("已计算:第 %(rev)s 版,摘要 %(sha)s。") % {"rev": evaluation.revision,
                                                                         "sha": evaluation.sha256[:16]})
    return redirect("evaluation:detail", evaluation.pk)


# --- an evaluation ------------------------------------------------------------------------------
@require_perm(VIEW)
@require_GET
def detail(request, pk):
    user = request.user
    evaluation = selectors.evaluation_get_for_user(user, pk)
    # A line whose row MAC fails shows the integrity error instead of its values (DP-03).
    scores = integrity.check_rows(selectors.ranking(evaluation), actor=user, where="evaluation:detail")
    prefix = permissions.scope_path(user)  # "" for the whole organisation, None for nothing
    for s in scores:
        s.mine = prefix is not None and s.unit.path.startswith(prefix)
    grade_counts = {g.label: sum(1 for s in scores if s.grade == g) for g in Grade}
    context = {"evaluation": evaluation, "scores": scores, "can_manage": permissions.can(user, MANAGE),
               "own": selectors.own_score(user, evaluation), "grade_counts": grade_counts,
               "objections": selectors.objections_for_user(user, evaluation),
               "bonuses": selectors.bonuses_for_user(user, evaluation),
               "publish_form": PublishForm(), "answer_form": AnswerForm(),
               "rating_items": evaluation.scheme.items.filter(source="rating"),
               "can_rate": permissions.can(user, permissions.EVALUATION_RATE) and evaluation.status == EvalStatus.DRAFT,
               "revisions": evaluation.revisions.order_by("-revision")}
    return render(request, "evaluation/detail.html", context)


@require_perm(MANAGE)
@require_POST
def publish(request, pk):
    evaluation = selectors.evaluation_get_for_user(request.user, pk)
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写公示起止日期。"))
        return redirect("evaluation:detail", evaluation.pk)
    try:
        services.evaluation_publish(actor=request.user, evaluation=evaluation, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("考评结果已公示。"))
    return redirect("evaluation:detail", evaluation.pk)


@require_perm(MANAGE)
@require_POST
def finalize(request, pk):
    evaluation = selectors.evaluation_get_for_user(request.user, pk)
    try:
        services.evaluation_finalize(actor=request.user, evaluation=evaluation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("考评结果已定稿。"))
    return redirect("evaluation:detail", evaluation.pk)


def _items_with_scores(evaluation, score):
    items = []
    for item in evaluation.scheme.items.order_by("position"):
        cell = score.items.get(str(item.pk), {})
        items.append({"item": item, "score": cell.get("score", "0.00"), "note": cell.get("note", ""),
                      "raw": cell.get("raw", {}), "adjusted_by": cell.get("adjusted_by", []),
                      "adjust": SOURCES[item.source].adjust})
    return items


@require_perm(VIEW)
@require_GET
def sheet(request, pk, unit_pk):
    user = request.user
    evaluation = selectors.evaluation_get_for_user(user, pk)
    unit = selectors.sheet_unit_for_user(user, evaluation, unit_pk)
    score = integrity.check(selectors.score_for(evaluation, unit), actor=user, where="evaluation:sheet")
    can_object = (permissions.can(user, permissions.EVALUATION_OBJECT) and user.unit_id == unit.pk
                  and evaluation.status == EvalStatus.PUBLISHED)
    return render(request, "evaluation/sheet.html", {
        "evaluation": evaluation, "unit": unit, "score": score, "items": _items_with_scores(evaluation, score),
        "count": selectors.ranking(evaluation).count(), "can_object": can_object,
        "objections": selectors.objections_for_user(user, evaluation).filter(unit=unit)})


@require_perm(VIEW)
@require_GET
def trace(request, pk, unit_pk, item_pk):
    """The records behind one item of one unit's sheet (the same filters the measure used)."""
    user = request.user
    evaluation = selectors.evaluation_get_for_user(user, pk)
    unit = selectors.sheet_unit_for_user(user, evaluation, unit_pk)
    item = evaluation.scheme.items.filter(pk=item_pk).first()
    if item is None:
        raise Http404
    score = selectors.score_for(evaluation, unit)
    source = SOURCES[item.source]
    ctx = Context(year=evaluation.year, as_of=evaluation.as_of, units=[(unit.pk, unit.path)],
                  evaluation_id=evaluation.pk)
    records = list(source.records(ctx, unit)[:500])
    cell = score.items.get(str(item.pk), {})
    list_query = ""
    if source.record_kind == "task":
        list_query = f"?unit={unit.pk}&due_from={ctx.start:%Y-%m-%d}&due_to={ctx.end:%Y-%m-%d}"
    return render(request, "evaluation/trace.html", {
        "evaluation": evaluation, "unit": unit, "item": item, "source": source, "records": records,
        "cell": cell, "kind": source.record_kind, "list_query": list_query,
        "accountability_note": item.source == "accountability"})


# --- objections ---------------------------------------------------------------------------------
@require_perm(permissions.EVALUATION_OBJECT)
@require_http_methods(["GET", "POST"])
def objection_create(request, pk):
    user = request.user
    evaluation = selectors.evaluation_get_for_user(user, pk)
    if user.unit_id is None:
        raise Http404
    unit = selectors.sheet_unit_for_user(user, evaluation, user.unit_id)
    items = list(evaluation.scheme.items.order_by("position"))
    initial = {"item": request.GET.get("item")}
    form = ObjectionForm(request.POST or None, request.FILES or None, items=items, initial=initial)
    if request.method == "POST" and form.is_valid():
        item = next(i for i in items if i.pk == form.cleaned_data["item"])
        try:
            services.objection_file(actor=user, evaluation=evaluation, unit=unit, item=item,
                                    reason=form.cleaned_data["reason"], evidence=form.cleaned_data["evidence"],
                                    upload=form.cleaned_data.get("file"))
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("申诉已提交,等待督查室答复。"))
            return redirect("evaluation:sheet", evaluation.pk, unit.pk)
    return render(request, "evaluation/objection_form.html", {"form": form, "evaluation": evaluation, "unit": unit},
                  status=400 if request.method == "POST" else 200)


@require_perm(MANAGE)
@require_POST
def objection_answer(request, pk):
    objection = selectors.objection_get_for_user(request.user, pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("evaluation:detail", objection.evaluation_id)
    try:
        services.objection_answer(actor=request.user, objection=objection,
                                  accept=form.cleaned_data["decision"] == "accept",
                                  answer=form.cleaned_data["answer"], adjustment=form.cleaned_data["adjustment"] or 0)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已答复申诉。"))
    return redirect("evaluation:detail", objection.evaluation_id)


# --- ratings and bonus points -------------------------------------------------------------------
@require_perm(permissions.EVALUATION_RATE)
@require_http_methods(["GET", "POST"])
def rate(request, pk, item_pk):
    user = request.user
    evaluation = selectors.evaluation_get_for_user(user, pk)
    item = evaluation.scheme.items.filter(pk=item_pk, source="rating").first()
    if item is None:
        raise Http404
    scores = list(selectors.ranking(evaluation).order_by("unit__path"))
    done = set(evaluation.ratings.filter(item=item, rater=user).values_list("unit_id", flat=True))
    errors = {}
    status = 200
    if request.method == "POST":
        for s in scores:
            value = (request.POST.get(f"unit_{s.unit_id}") or "").strip()
            if not value or s.unit_id in done:
                continue
            try:
                services.rating_submit(actor=user, evaluation=evaluation, item=item, unit=s.unit, score=value)
            except ValidationError as exc:
                errors[s.unit_id] = " ".join(exc.messages)
        if not errors:
            messages.success(request, _("评分已保存。"))
            return redirect("evaluation:detail", evaluation.pk)
        status = 400
        done = set(evaluation.ratings.filter(item=item, rater=user).values_list("unit_id", flat=True))
    rows = [{"score": s, "done": s.unit_id in done, "error": errors.get(s.unit_id, ""),
             "value": request.POST.get(f"unit_{s.unit_id}", "")} for s in scores]
    return render(request, "evaluation/rate.html", {"evaluation": evaluation, "item": item, "rows": rows,
                                                    "top": SOURCES["rating"].param(item)}, status=status)


@require_perm(VIEW)
@require_http_methods(["GET", "POST"])
def bonus_create(request, pk):
    user = request.user
    if not (permissions.can(user, permissions.EVALUATION_OBJECT) or permissions.can(user, MANAGE)):
        raise Http404
    evaluation = selectors.evaluation_get_for_user(user, pk)
    items = list(evaluation.scheme.items.filter(source="bonus"))
    units = [s.unit for s in selectors.ranking(evaluation).order_by("unit__path")
             if permissions.can(user, MANAGE) or s.unit_id == user.unit_id]
    form = BonusForm(request.POST or None, request.FILES or None, items=items, units=units)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.bonus_submit(actor=user, evaluation=evaluation,
                                  item=next(i for i in items if i.pk == d["item"]),
                                  unit=next(u for u in units if u.pk == d["unit"]), points=d["points"],
                                  reason=d["reason"], evidence=d["evidence"], upload=d.get("file"))
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("加分申报已提交,等待审核。"))
            return redirect("evaluation:detail", evaluation.pk)
    return render(request, "evaluation/bonus_form.html", {"form": form, "evaluation": evaluation},
                  status=400 if request.method == "POST" else 200)


@require_perm(MANAGE)
@require_POST
def bonus_decide(request, pk):
    claim = selectors.bonus_get_for_user(request.user, pk)
    try:
        services.bonus_decide(actor=request.user, claim=claim, approve=request.POST.get("decision") == "approve",
                              note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已审核加分申报。"))
    return redirect("evaluation:detail", claim.evaluation_id)


@require_perm(VIEW)
@require_GET
def file_download(request, pk):
    f = selectors.file_get_for_user(request.user, pk)
    from django.core.files.storage import default_storage

    try:
        with default_storage.open(f.storage_name, "rb") as handle:
            data = handle.read()
    except OSError:
        raise Http404 from None
    import hashlib

    if hashlib.sha256(data).hexdigest() != f.sha256:
        raise Http404
    return _attachment(data, f.original_name, evidence_files.CONTENT_TYPES.get(f.file_type, "application/octet-stream"))


# --- reports ------------------------------------------------------------------------------------
@require_perm(VIEW)
@require_GET
def report_docx(request, pk):
    evaluation = selectors.evaluation_get_for_user(request.user, pk)
    return _attachment(reports.report_docx(evaluation), f"{evaluation.year}年度考评报告.docx",
                       "application/vnd.openxmlformats-officedocument.wordprocessingml.document")


@require_perm(VIEW)
@require_GET
def report_xlsx(request, pk):
    evaluation = selectors.evaluation_get_for_user(request.user, pk)
    return _attachment(reports.report_xlsx(evaluation), f"{evaluation.year}年度考评计分表.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@require_perm(VIEW)
@require_GET
def bulletin(request, pk):
    evaluation = selectors.evaluation_get_for_user(request.user, pk)
    return _attachment(reports.bulletin_docx(evaluation), f"{evaluation.year}年度考评结果通报.docx",
                       "application/vnd.openxmlformats-officedocument.wordprocessingml.document")


@require_perm(VIEW)
@require_GET
def chart_png(request, pk):
    evaluation = selectors.evaluation_get_for_user(request.user, pk)
    response = HttpResponse(reports.ranking_png(evaluation), content_type="image/png")
    response["Cache-Control"] = "no-store"
    return response


# --- 硒都楷模 ------------------------------------------------------------------------------------
@require_perm(VIEW)
@require_GET
def rounds(request):
    return render(request, "evaluation/rounds.html", {"rounds": selectors.rounds_for_user(request.user),
                                                      "can_manage": permissions.can(request.user, MANAGE)})


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
def round_create(request):
    user = request.user
    evaluations = list(selectors.evaluations_for_user(user).filter(status=EvalStatus.FINAL))
    users = list(User.objects.filter(is_active=True, role__in=[Role.LEADER, Role.SUPERVISOR, Role.DISCIPLINE])
                 .order_by("username"))
    form = RoundForm(request.POST or None, evaluations=evaluations, users=users, grades=Grade.choices)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            rnd = services.round_create(actor=user, title=d["title"], year=d["year"],
                                        evaluation=next((e for e in evaluations if e.pk == d["evaluation"]), None),
                                        min_grade=d["min_grade"], exclude_accountability=d["exclude_accountability"],
                                        quota=d["quota"], panel=[u for u in users if u.pk in d["panel"]])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            return redirect("evaluation:round_detail", rnd.pk)
    return render(request, "evaluation/round_form.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


@require_perm(VIEW)
@require_http_methods(["GET", "POST"])
def round_detail(request, pk):
    user = request.user
    rnd = selectors.round_get_for_user(user, pk)
    can_manage = permissions.can(user, MANAGE)
    nominations = list(rnd.nominations.select_related("unit", "person__unit").prefetch_related("tasks"))
    on_panel = rnd.panel.filter(pk=user.pk).exists()
    voted = rnd.ballots.filter(voter=user).exists()
    show_votes = rnd.status in (RoundStatus.CLOSED, RoundStatus.PUBLICIZED, RoundStatus.ANNOUNCED)
    if not can_manage and rnd.status not in (RoundStatus.PUBLICIZED, RoundStatus.ANNOUNCED) and not on_panel:
        nominations = []
    form = None
    if can_manage and rnd.status == RoundStatus.NOMINATING:
        units = Unit.objects.filter(is_active=True, depth__gt=1).order_by("path")
        people = Person.objects.filter(is_active=True).select_related("unit").order_by("unit__path", "name")[:500]
        form = NominationForm(request.POST or None, request.FILES or None, units=units, people=people)
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            try:
                unit = Unit.objects.filter(pk=d["unit"]).first() if d["kind"] == "unit" else None
                person = Person.objects.filter(pk=d["person"]).first() if d["kind"] == "person" else None
                ids = [int(x) for x in d["tasks"].replace(",", ",").split(",") if x.strip().isdigit()]
                tasks = list(Task.objects.filter(pk__in=ids).select_related("lead_unit"))
                if len(tasks) != len(set(ids)):
                    raise ValidationError({"tasks": _("任务编号不存在。")})
                services.nomination_add(actor=user, rnd=rnd, unit=unit, person=person, reason=d["reason"],
                                        tasks=tasks, upload=d.get("file"))
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, _("已推荐。"))
                return redirect("evaluation:round_detail", rnd.pk)
    elif request.method == "POST":
        raise Http404
    completed = {}
    if form is not None:
        completed = Task.objects.filter(status=TaskStatus.COMPLETED).order_by("-completed_at")[:20]
    return render(request, "evaluation/round_detail.html", {
        "round": rnd, "nominations": nominations, "can_manage": can_manage, "on_panel": on_panel, "voted": voted,
        "show_votes": show_votes, "form": form, "selected": services.selected(rnd) if show_votes else [],
        "completed": completed}, status=400 if request.method == "POST" else 200)


@require_perm(MANAGE)
@require_POST
def round_advance(request, pk, step):
    rnd = selectors.round_get_for_user(request.user, pk)
    try:
        services.round_advance(actor=request.user, rnd=rnd, step=step)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("evaluation:round_detail", rnd.pk)


@require_perm(VIEW)
@require_POST
def ballot(request, pk):
    rnd = selectors.round_get_for_user(request.user, pk)
    try:
        services.ballot_cast(actor=request.user, rnd=rnd, choices=request.POST.getlist("choice"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except services.PermissionDenied:
        raise Http404 from None
    else:
        messages.success(request, _("已投票。"))
    return redirect("evaluation:round_detail", rnd.pk)


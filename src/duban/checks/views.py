"""Pages of the supervision checks: list, record, detail with findings, publish, a finding's
rectification task and accountability proposal, files, and the monthly bulletin."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from duban.checks import selectors, services
from duban.checks.forms import BulletinForm, CheckForm, FindingForm, FindingTaskForm, ProposeForm
from duban.checks.models import CheckMode
from duban.core import permissions
from duban.core.decorators import require_perm
from duban.core.forms import apply_validation_error
from duban.orgs import selectors as org_selectors
from duban.orgs.models import Person
from duban.tasks import evidence as evidence_files
from duban.tasks import lights
from duban.tasks import selectors as task_selectors

VIEW = permissions.CHECKS_VIEW
MANAGE = permissions.CHECKS_MANAGE
PAGE_SIZE = 20


def _attachment(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote(filename, safe="")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@require_perm(VIEW)
@require_GET
def check_list(request):
    qs = selectors.checks_for_user(request.user)
    show = request.GET.get("show", "")
    if show == "unpublished":
        qs = qs.filter(published_at__isnull=True)
    elif show in CheckMode.values:
        qs = qs.filter(mode=show)
    else:
        show = ""
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "checks/list.html", {"page": page, "show": show,
                                                "can_manage": permissions.can(request.user, MANAGE)})


def _check_form(request, data=None):
    user = request.user
    people = Person.objects.none()
    if user.unit_id is not None:
        people = (org_selectors.people_for_user(user).filter(is_active=True, unit__path__startswith=user.unit.path)
                  .order_by("unit__path", "name"))
    return CheckForm(data, units=org_selectors.units_for_user(user).filter(is_active=True).order_by("path"),
                     people=people, tasks=task_selectors.tasks_for_user(user))


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
def check_create(request):
    form = _check_form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            check = services.check_create(actor=request.user, title=d["title"], mode=d["mode"], scope=d["scope"],
                                          stage=d["stage"], start_date=d["start_date"], end_date=d["end_date"],
                                          units=list(d["units"]), tasks=d["task_ids"], team=list(d["team"]),
                                          summary=d["summary"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已录入督查“%(title)s”。") % {"title": check.title})
            return redirect("checks:detail", pk=check.pk)
    return render(request, "checks/form.html", {"form": form}, status=400 if request.method == "POST" else 200)


def _detail(request, check, *, status=200, task_forms=None, propose_forms=None):
    user = request.user
    can_manage = permissions.can(user, MANAGE)
    findings = list(selectors.findings_for_check(user, check))
    today = lights.today()
    task_forms = task_forms or {}
    propose_forms = propose_forms or {}
    rows = []
    for f in findings:
        rows.append({
            "finding": f,
            "light": lights.light_for(f.task, today) if f.task_id else None,
            "task_form": task_forms.get(f.pk) or FindingTaskForm(initial={"due_date": f.rectify_due},
                                                                  prefix=f"f{f.pk}", finding=f),
            "propose_form": propose_forms.get(f.pk) or ProposeForm(prefix=f"p{f.pk}"),
        })
    tasks = task_selectors.tasks_for_user(user).filter(pk__in=[t.pk for t in check.tasks.all()]).order_by("path")
    return render(request, "checks/detail.html", {
        "check": check, "rows": rows, "can_manage": can_manage, "tasks": tasks,
        "accountability": services.accountability_available(), "covert": check.mode == CheckMode.COVERT,
    }, status=status)


@require_perm(VIEW)
@require_GET
def check_detail(request, pk):
    return _detail(request, selectors.check_get_for_user(request.user, pk))


@require_perm(MANAGE)
@require_POST
def check_publish(request, pk):
    check = selectors.check_get_for_user(request.user, pk)
    try:
        services.check_publish(actor=request.user, check=check)
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
    else:
        messages.success(request, _("已通报,被督查单位现在可以看到本次督查。"))
    return redirect("checks:detail", pk=check.pk)


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
def finding_create(request, pk):
    check = selectors.check_get_for_user(request.user, pk)
    form = FindingForm(request.POST or None, request.FILES or None, units=check.units.order_by("path"))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.finding_add(actor=request.user, check=check, unit=d["unit"], description=d["description"],
                                 requirement=d["requirement"], rectify_due=d["rectify_due"], files=d["files"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已记录督查发现。"))
            return redirect("checks:detail", pk=check.pk)
    return render(request, "checks/finding_form.html", {"form": form, "check": check},
                  status=400 if request.method == "POST" else 200)


@require_perm(MANAGE)
@require_POST
def finding_task(request, pk):
    finding = selectors.finding_get_for_manager(request.user, pk)
    form = FindingTaskForm(request.POST, prefix=f"f{finding.pk}", finding=finding)
    if form.is_valid():
        try:
            task = services.finding_make_task(actor=request.user, finding=finding,
                                              due_date=form.cleaned_data["due_date"],
                                              category=form.cleaned_data["category"],
                                              responsible_post=form.cleaned_data["responsible_post"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已生成整改任务并交办给%(unit)s。") % {"unit": finding.unit.name})
            return redirect("tasks:detail", pk=task.pk)
    check = selectors.check_get_for_user(request.user, finding.check_run_id)
    return _detail(request, check, status=400, task_forms={finding.pk: form})


@require_perm(MANAGE)
@require_POST
def finding_propose(request, pk):
    finding = selectors.finding_get_for_manager(request.user, pk)
    form = ProposeForm(request.POST, prefix=f"p{finding.pk}")
    if form.is_valid():
        try:
            services.finding_propose_accountability(actor=request.user, finding=finding,
                                                    reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已提出问责建议。"))
            return redirect("checks:detail", pk=finding.check_run_id)
    check = selectors.check_get_for_user(request.user, finding.check_run_id)
    return _detail(request, check, status=400, propose_forms={finding.pk: form})


@require_perm(VIEW)
@require_GET
def finding_file(request, pk):
    file = selectors.finding_file_get_for_user(request.user, pk)
    try:
        content = services.finding_file_open(user=request.user, file=file)
    except services.FindingFileIntegrityError:
        return render(request, "checks/file_unavailable.html", status=500)
    response = _attachment(content, file.original_name,
                           evidence_files.CONTENT_TYPES.get(file.file_type, "application/octet-stream"))
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_perm(MANAGE)
@require_GET
def bulletin(request):
    """Pick a month; with ``download`` the .docx, otherwise the month's figures on the page."""
    form = BulletinForm(request.GET or None)
    data = None
    if request.GET and form.is_valid():
        month = form.cleaned_data["month"]
        if "download" in request.GET:
            name, content = services.bulletin_export(actor=request.user, year=month.year, month=month.month)
            return _attachment(content, name,
                               "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        data = selectors.bulletin_data(month.year, month.month)
    elif not request.GET:
        today = lights.today()
        form = BulletinForm(initial={"month": f"{today.year}-{today.month:02d}"})
    return render(request, "checks/bulletin.html", {"form": form, "data": data},
                  status=400 if request.GET and not form.is_valid() else 200)

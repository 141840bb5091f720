"""Pages of resource requests: my unit's requests, the ranked list of requests my unit holds, the
subtree totals; filing a request; one request with its route, decision and allocations."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from duban.core import permissions
from duban.core.decorators import require_perm
from duban.core.forms import apply_validation_error
from duban.orgs.models import Unit
from duban.resources import selectors, services
from duban.resources.forms import (
    AllocationForm,
    CeilingForm,
    DecisionForm,
    ForwardForm,
    PriorityForm,
    RequestForm,
)
from duban.resources.models import Kind, Status
from duban.tasks import selectors as task_selectors

VIEW, REQUEST, DECIDE = permissions.RESOURCES_VIEW, permissions.RESOURCES_REQUEST, permissions.RESOURCES_DECIDE


def _upper(unit):
    ids = [u.pk for u in selectors.ancestors(unit)]
    return Unit.objects.filter(pk__in=ids).order_by("-depth")


def _lower(user):
    unit = getattr(user, "unit", None)
    if unit is None:
        return Unit.objects.none()
    return Unit.objects.filter(path__startswith=unit.path, is_active=True).exclude(pk=unit.pk).order_by("path")


@require_perm(VIEW)
@require_GET
def request_list(request):
    return _list(request)


def _list(request, ceiling_form=None, status=200):
    user = request.user
    totals = selectors.subtree_totals(user)
    kinds, statuses = dict(Kind.choices), dict(Status.choices)
    for row in totals:
        row["kind_label"], row["status_label"] = kinds.get(row["kind"]), statuses.get(row["status"])
    return render(request, "resources/list.html", {
        "own": selectors.own_requests(user)[:100], "held": selectors.held_ranked(user), "totals": totals,
        "can_request": permissions.can(user, REQUEST) and user.unit_id is not None,
        "can_decide": permissions.can(user, DECIDE),
        "ceiling_form": ceiling_form or (CeilingForm(units=_lower(user)) if permissions.can(user, DECIDE) else None),
        "ceilings": selectors.ceilings_below(user),
    }, status=status)


@require_perm(DECIDE)
@require_POST
def ceiling_set(request):
    form = CeilingForm(request.POST, units=_lower(request.user))
    if form.is_valid():
        try:
            services.ceiling_set(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("申请上限已保存。"))
            return redirect("resources:list")
    return _list(request, ceiling_form=form, status=400)


@require_perm(REQUEST)
@require_http_methods(["GET", "POST"])
def request_create(request):
    unit = request.user.unit
    if unit is None:
        raise PermissionDenied
    tasks = task_selectors.tasks_for_user(request.user).filter(lead_unit=unit).order_by("-id")
    form = RequestForm(request.POST or None, tasks=tasks, upper_units=_upper(unit),
                       initial={"task": request.GET.get("task")})
    if request.method == "POST" and form.is_valid():
        try:
            req = services.request_file(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("申请已报送%(unit)s。") % {"unit": req.current_unit.name})
            return redirect("resources:detail", pk=req.pk)
    return render(request, "resources/form.html", {"form": form}, status=400 if request.method == "POST" else 200)


def _detail(request, req, *, forms=None, status=200):
    user = request.user
    holder = permissions.can(user, DECIDE) and user.unit_id == req.current_unit_id and req.status == Status.PENDING
    forms = forms or {}
    ctx = {"req": req, "steps": req.steps.select_related("from_unit", "to_unit", "actor"),
           "allocations": req.allocations.all(), "holder": holder,
           "can_allocate": permissions.can(user, DECIDE) and user.unit_id == req.decided_unit_id
           and req.status in (Status.GRANTED, Status.PARTIAL),
           "can_make_task": permissions.can(user, permissions.TASKS_MANAGE) and req.created_task_id is None
           and req.status in (Status.GRANTED, Status.PARTIAL, Status.DELIVERED)}
    if holder:
        ctx["forward_form"] = forms.get("forward") or ForwardForm(upper_units=_upper(req.current_unit), auto_id="fwd_%s")
        ctx["priority_form"] = forms.get("priority") or PriorityForm(initial={"priority": req.priority, "reason": req.priority_reason},
                                                                auto_id="prio_%s")
        ctx["decision_form"] = forms.get("decide") or DecisionForm(auto_id="dec_%s")
        ctx["can_task_on_grant"] = permissions.can(user, permissions.TASKS_MANAGE)
    if ctx["can_allocate"]:
        ctx["allocation_form"] = forms.get("allocate") or AllocationForm()
    return render(request, "resources/detail.html", ctx, status=status)


@require_perm(VIEW)
@require_GET
def request_detail(request, pk):
    return _detail(request, selectors.request_get_for_user(request.user, pk))


def _act(request, pk, key, form, call, done):
    req = selectors.request_get_for_user(request.user, pk)
    if form.is_valid():
        try:
            call(req, form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, done)
            return redirect("resources:detail", pk=req.pk)
    return _detail(request, req, forms={key: form}, status=400)


@require_perm(DECIDE)
@require_POST
def request_forward(request, pk):
    req = selectors.request_get_for_user(request.user, pk)
    form = ForwardForm(request.POST, upper_units=_upper(req.current_unit), auto_id="fwd_%s")
    return _act(request, pk, "forward", form,
                lambda r, d: services.request_forward(actor=request.user, request=r, **d), _("已上报。"))


@require_perm(DECIDE)
@require_POST
def request_prioritise(request, pk):
    return _act(request, pk, "priority", PriorityForm(request.POST, auto_id="prio_%s"),
                lambda r, d: services.request_prioritise(actor=request.user, request=r, **d), _("优先序已保存。"))


@require_perm(DECIDE)
@require_POST
def request_decide(request, pk):
    def call(r, d):
        make_task = d.pop("make_task")
        with transaction.atomic():  # the decision and its task stand or fall together
            services.request_decide(actor=request.user, request=r, **d)
            if make_task and r.status != Status.REFUSED:
                services.request_make_task(actor=request.user, request=r)

    return _act(request, pk, "decide", DecisionForm(request.POST, auto_id="dec_%s"), call, _("决定已保存。"))


@require_perm(DECIDE)
@require_POST
def allocation_record(request, pk):
    return _act(request, pk, "allocate", AllocationForm(request.POST),
                lambda r, d: services.allocation_record(actor=request.user, request=r, **d), _("落实情况已登记。"))


@require_perm(permissions.TASKS_MANAGE)
@require_POST
def request_make_task(request, pk):
    req = selectors.request_get_for_user(request.user, pk)
    try:
        task = services.request_make_task(actor=request.user, request=req)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("resources:detail", pk=req.pk)
    messages.success(request, _("已转为任务。"))
    return redirect("tasks:detail", pk=task.pk)

"""Pages of petition early warning: the list (ID numbers masked), registering a petition, one
petition with its warnings and handling, the office's rules and sensitive-period calendar. Every
page showing petition records is audited (services.petitions_viewed)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from duban.core import permissions, pii
from duban.core.decorators import require_perm
from duban.core.forms import apply_validation_error
from duban.orgs import selectors as org_selectors
from duban.petitions import selectors, services
from duban.petitions.forms import DateActionForm, PetitionForm, RuleForm, SensitivePeriodForm
from duban.petitions.models import Level, WarningRule

VIEW, MANAGE, HANDLE = permissions.PETITIONS_VIEW, permissions.PETITIONS_MANAGE, permissions.PETITIONS_HANDLE


@require_perm(VIEW)
@require_GET
def petition_list(request):
    qs = selectors.petitions_for_user(request.user)
    level = request.GET.get("level", "")
    if level in Level.values:
        qs = qs.filter(warnings__level=level).distinct()
    rows = selectors.list_rows(request.user, qs[:200])
    services.petitions_viewed(actor=request.user, petitions=[r["petition"] for r in rows], page="list")
    return render(request, "petitions/list.html", {
        "rows": rows, "counts": selectors.warning_counts(request.user), "levels": Level.choices, "level": level,
        "can_manage": permissions.can(request.user, MANAGE)})


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
def petition_create(request):
    units = org_selectors.units_for_user(request.user).filter(is_active=True).order_by("path")
    form = PetitionForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("petitioners")
        try:
            petition = services.petition_register(actor=request.user, petitioners=form.petitioner_rows(), **data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("信访事项已登记。"))
            return redirect("petitions:detail", pk=petition.pk)
    return render(request, "petitions/form.html", {"form": form}, status=400 if request.method == "POST" else 200)


def _may_handle(user, petition) -> bool:
    if permissions.can(user, MANAGE):
        return True
    unit = getattr(user, "unit", None)
    return permissions.can(user, HANDLE) and unit is not None and petition.responsible_unit.path.startswith(unit.path)


def _detail(request, petition, *, form=None, status=200):
    services.petitions_viewed(actor=request.user, petitions=[petition], page="detail")
    if selectors.may_see_full_id(request.user):  # DP-05: the full ID and phone numbers, one pii_viewed row
        pii.record_view(obj=petition, fields=["petitioner.id_number", "petitioner.phone"], page="petitions:detail",
                        actor=request.user)
    return render(request, "petitions/detail.html", {
        "petition": petition, "people": selectors.petitioners(request.user, petition, listing=False),
        "warnings": petition.warnings.all(), "may_handle": _may_handle(request.user, petition),
        "can_manage": permissions.can(request.user, MANAGE), "form": form or DateActionForm(),
        "full_id": selectors.may_see_full_id(request.user)}, status=status)


@require_perm(VIEW)
@require_GET
def petition_detail(request, pk):
    return _detail(request, selectors.petition_get_for_user(request.user, pk))


def _action(request, pk, call, done):
    petition = selectors.petition_get_for_user(request.user, pk)
    form = DateActionForm(request.POST)
    if form.is_valid():
        try:
            call(petition, form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, done)
            return redirect("petitions:detail", pk=petition.pk)
    return _detail(request, petition, form=form, status=400)


@require_perm(HANDLE)
@require_POST
def petition_accept(request, pk):
    return _action(request, pk, lambda p, d: services.petition_accept(actor=request.user, petition=p, on=d["on"]),
                   _("已受理。"))


@require_perm(HANDLE)
@require_POST
def petition_close(request, pk):
    return _action(request, pk, lambda p, d: services.petition_close(actor=request.user, petition=p, on=d["on"],
                                                                     outcome=d["outcome"]), _("已办结。"))


@require_perm(MANAGE)
@require_POST
def petition_review(request, pk):
    return _action(request, pk, lambda p, d: services.petition_request_review(actor=request.user, petition=p,
                                                                              on=d["on"]), _("已登记复查申请。"))


@require_perm(MANAGE)
@require_GET
def rule_list(request):
    return render(request, "petitions/rules.html", {
        "rules": [(r, RuleForm(prefix=f"r{r.pk}", initial={"enabled": r.enabled, "level": r.level,
                                                           "threshold": r.threshold, "window_days": r.window_days}))
                  for r in selectors.rules()],
        "periods": selectors.sensitive_periods(), "period_form": SensitivePeriodForm()})


@require_perm(MANAGE)
@require_POST
def rule_edit(request, pk):
    rule = WarningRule.objects.filter(pk=pk).first()
    if rule is None:
        raise PermissionDenied
    form = RuleForm(request.POST, prefix=f"r{rule.pk}")
    if form.is_valid():
        try:
            services.rule_update(actor=request.user, rule=rule, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("预警规则已保存。"))
    else:
        messages.error(request, _("请检查填写的数值。"))
    return redirect("petitions:rules")


@require_perm(MANAGE)
@require_POST
def period_add(request):
    form = SensitivePeriodForm(request.POST)
    if form.is_valid():
        try:
            services.sensitive_period_add(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("敏感期已添加。"))
    else:
        messages.error(request, _("请填写名称和起止日期。"))
    return redirect("petitions:rules")

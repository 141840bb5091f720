"""Pages of the "316" indicators: the list, one indicator (trend, targets, values, peer ranks and
their charts), definitions, peer groups with the peers' values, the .xlsx import, 落后督办."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from duban.core import permissions
from duban.core.decorators import require_perm
from duban.core.forms import apply_validation_error
from duban.indicators import selectors, services
from duban.indicators.forms import (
    ActualForm,
    ImportForm,
    IndicatorForm,
    PeerGroupForm,
    PeerValueForm,
    TargetForm,
)
from duban.indicators.models import PeerMember
from duban.orgs import selectors as org_selectors

VIEW, MANAGE, ENTER = permissions.INDICATORS_VIEW, permissions.INDICATORS_MANAGE, permissions.INDICATORS_ENTER


def _units(request):
    return org_selectors.units_for_user(request.user).filter(is_active=True).order_by("path")


@require_perm(VIEW)
@require_GET
def indicator_list(request):
    tiles = {t["indicator"].pk: t for t in selectors.dashboard_tiles(request.user)}
    rows = [{"indicator": i, "tile": tiles.get(i.pk)} for i in selectors.indicators_for_user(request.user)]
    return render(request, "indicators/list.html", {"rows": rows, "can_manage": permissions.can(request.user, MANAGE),
                                                    "can_enter": permissions.can(request.user, ENTER)})


def _detail(request, indicator, *, target_form=None, actual_form=None, status=200):
    groups = list(selectors.groups_with_values(indicator))
    group = None
    if request.GET.get("group"):
        group = selectors.peer_group_get_for_user(request.user, request.GET["group"])
    elif groups:
        group = groups[0]
    trend = selectors.trend(indicator)
    period = (request.GET.get("period") or "").strip().upper()
    history = selectors.rank_history(indicator, group) if group else []
    if not period and history:
        period = history[-1]["period"]
    ranking = selectors.peer_ranking(indicator, group, period) if group and period else []
    chart = {
        "measure": indicator.measure,
        "trend": {"periods": [r["period"] for r in trend["rows"]],
                  "actual": [float(r["actual"]) if r["actual"] is not None else None for r in trend["rows"]],
                  "target": [float(r["target"]) if r["target"] is not None else None for r in trend["rows"]],
                  "labels": {"actual": _("实际值"), "target": _("目标值")}},
        "rank": {"periods": [h["period"] for h in history], "rank": [h["rank"] for h in history],
                 "of": [h["of"] for h in history], "label": _("位次")},
    }
    return render(request, "indicators/detail.html", {
        "indicator": indicator, "trend": trend, "groups": groups, "group": group, "period": period,
        "ranking": ranking, "history": history, "chart_json": json.dumps(chart, ensure_ascii=False), "alerts": selectors.alerts_for(indicator),
        "can_manage": permissions.can(request.user, MANAGE), "may_enter": services.may_enter(request.user, indicator),
        "target_form": target_form or TargetForm(), "actual_form": actual_form or ActualForm(),
    }, status=status)


@require_perm(VIEW)
@require_GET
def indicator_detail(request, pk):
    return _detail(request, selectors.indicator_get_for_user(request.user, pk))


def _save_indicator(request, indicator=None):
    initial = {}
    if indicator is not None:
        initial = {f: getattr(indicator, f) for f in ("code", "name", "measure", "direction", "frequency", "formula",
                                                     "source_office", "start_year", "end_year", "goal_value",
                                                     "behind_margin", "behind_action")}
        initial["responsible_units"] = list(indicator.responsible_units.all())
    form = IndicatorForm(request.POST or None, initial=initial, units=_units(request))
    if request.method == "POST" and form.is_valid():
        try:
            indicator = services.indicator_save(actor=request.user, indicator=indicator, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("指标已保存。"))
            return redirect("indicators:detail", pk=indicator.pk)
    return render(request, "indicators/form.html", {"form": form, "indicator": indicator},
                  status=400 if request.method == "POST" else 200)


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
def indicator_create(request):
    return _save_indicator(request)


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
def indicator_edit(request, pk):
    return _save_indicator(request, selectors.indicator_get_for_user(request.user, pk))


@require_perm(MANAGE)
@require_POST
def target_set(request, pk):
    indicator = selectors.indicator_get_for_user(request.user, pk)
    form = TargetForm(request.POST)
    if form.is_valid():
        try:
            services.target_set(actor=request.user, indicator=indicator, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("年度目标已保存。"))
            return redirect("indicators:detail", pk=indicator.pk)
    return _detail(request, indicator, target_form=form, status=400)


@require_perm(ENTER)
@require_POST
def actual_save(request, pk):
    indicator = selectors.indicator_get_for_user(request.user, pk)
    if not services.may_enter(request.user, indicator):
        raise PermissionDenied
    form = ActualForm(request.POST)
    if form.is_valid():
        try:
            services.actual_save(actor=request.user, indicator=indicator, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("实际值已保存。"))
            return redirect("indicators:detail", pk=indicator.pk)
    return _detail(request, indicator, actual_form=form, status=400)


@require_perm(ENTER)
@require_http_methods(["GET", "POST"])
def import_values(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.actuals_import(actor=request.user, file=form.cleaned_data["file"])
        except services.ImportRefused as exc:
            report = exc.rows
            form.add_error(None, exc.messages[0])
        except ValidationError as exc:
            apply_validation_error(form, exc, "file")
        else:
            messages.success(request, _("已导入 %(own)d 个本县数值、%(peers)d 个对标数值。") % result)
            return redirect("indicators:list")
    return render(request, "indicators/import.html", {"form": form, "report": report,
                                                      "headers": services.IMPORT_HEADERS},
                  status=400 if request.method == "POST" else 200)


@require_perm(MANAGE)
@require_POST
def flag_behind(request):
    alerts = services.indicators_flag_behind(actor=request.user)
    if alerts:
        messages.warning(request, _("%(n)d 个指标落后目标超过容差,已生成督办。") % {"n": len(alerts)})
    else:
        messages.success(request, _("没有新的落后指标。"))
    return redirect("indicators:list")


@require_perm(VIEW)
@require_http_methods(["GET", "POST"])
def group_list(request):
    form = PeerGroupForm(request.POST or None)
    if request.method == "POST":
        if not permissions.can(request.user, MANAGE):
            raise PermissionDenied
        if form.is_valid():
            d = form.cleaned_data
            try:
                group = services.peer_group_create(actor=request.user, name=d["name"], description=d["description"],
                                                   members=d["members"].splitlines(), self_name=d["self_name"])
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, _("对标组已创建。"))
                return redirect("indicators:group", pk=group.pk)
    return render(request, "indicators/groups.html", {
        "groups": selectors.peer_groups_for_user(request.user), "form": form,
        "can_manage": permissions.can(request.user, MANAGE)}, status=400 if request.method == "POST" else 200)


@require_perm(VIEW)
@require_http_methods(["GET", "POST"])
def group_detail(request, pk):
    group = selectors.peer_group_get_for_user(request.user, pk)
    form = PeerValueForm(request.POST or None, members=PeerMember.objects.filter(group=group, is_self=False),
                         indicators=selectors.indicators_for_user(request.user).filter(formula=""))
    if request.method == "POST":
        if not permissions.can(request.user, MANAGE):
            raise PermissionDenied
        if form.is_valid():
            try:
                services.peer_value_save(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, _("对标值已保存。"))
                return redirect("indicators:group", pk=group.pk)
    return render(request, "indicators/group.html", {
        "group": group, "members": group.members.all(), "form": form,
        "can_manage": permissions.can(request.user, MANAGE)}, status=400 if request.method == "POST" else 200)

"""The settings the 督查室 owns (督办设置): the task policy, the categories, and a link to the
topic→unit map of the intake app. Only TASKS_MANAGE may change them; every change is a service
call and so a ledger row."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from duban.core import permissions
from duban.core.decorators import require_perm
from duban.core.forms import apply_validation_error
from duban.core.services import ConflictError
from duban.tasks import services
from duban.tasks.forms import CategoryForm, PolicyForm
from duban.tasks.models import Category, TaskPolicy
from duban.tasks.views._common import MANAGE


def _page(request, policy_form, category_form, status=200):
    return render(request, "tasks/settings.html", {
        "policy_form": policy_form, "category_form": category_form,
        "categories": Category.objects.order_by("sort_order", "name"),
        "can_topics": permissions.can(request.user, permissions.INTAKE_USE),
    }, status=status)


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
def settings_page(request):
    policy, _created = TaskPolicy.objects.get_or_create(pk=1)
    initial = {"yellow_days": policy.yellow_days, "report_todo_days": policy.report_todo_days,
               "version": policy.version}
    policy_form = PolicyForm(initial=initial)
    category_form = CategoryForm()
    if request.method == "POST":
        if request.POST.get("form") == "category":
            category_form = CategoryForm(request.POST)
            if category_form.is_valid():
                data = category_form.cleaned_data
                try:
                    category = services.category_create(actor=request.user, name=data["name"],
                                                        sort_order=data["sort_order"] or 0)
                except ValidationError as exc:
                    apply_validation_error(category_form, exc)
                else:
                    messages.success(request, _("已添加类别“%(name)s”。") % {"name": category.name})
                    return redirect("tasks:settings")
        else:
            policy_form = PolicyForm(request.POST)
            if policy_form.is_valid():
                data = policy_form.cleaned_data
                try:
                    services.policy_update(actor=request.user, yellow_days=data["yellow_days"],
                                           report_todo_days=data["report_todo_days"],
                                           expected_version=data["version"])
                except ValidationError as exc:
                    apply_validation_error(policy_form, exc)
                    if isinstance(exc, ConflictError):  # someone else saved first: show theirs, 409
                        messages.warning(request, _("督办参数已被他人修改,请刷新页面后重新提交。"), extra_tags="stale")
                        return _page(request, policy_form, category_form, status=409)
                else:
                    messages.success(request, _("督办参数已保存。"))
                    return redirect("tasks:settings")
        return _page(request, policy_form, category_form, status=400)
    return _page(request, policy_form, category_form)

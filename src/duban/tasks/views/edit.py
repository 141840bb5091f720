"""Create, edit and decompose tasks (督查室)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from duban.core.decorators import require_perm
from duban.core.forms import apply_validation_error
from duban.orgs import selectors as org_selectors
from duban.tasks import selectors, services
from duban.tasks.forms import (
    TaskForm,
    decompose_formset,
)
from duban.tasks.views._common import (
    MANAGE,
    _int,
    _task,
)


# --- create, edit, decompose -------------------------------------------------------------------
def _task_form(request, *, data=None, initial=None, editing=False):
    user = request.user
    return TaskForm(
        data, initial=initial, editing=editing,
        units=org_selectors.units_for_user(user).filter(is_active=True).order_by("path"),
        people=org_selectors.people_for_user(user).filter(is_active=True).order_by("unit__path", "name"),
        posts=org_selectors.posts_for_user(user).order_by("unit__path", "title"),
        categories=selectors.categories(), sources=selectors.sources_for_user(user),
    )


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
def task_create(request):
    parent_id = request.GET.get("parent") or request.POST.get("parent")
    parent = _task(request, parent_id) if parent_id else None
    initial = {}
    if parent is not None:
        initial = {"category": parent.category, "source": parent.source, "due_date": parent.due_date,
                   "reporting_cycle": parent.reporting_cycle}
    elif request.GET.get("source"):
        initial["source"] = selectors.source_get_for_user(request.user, request.GET["source"])
    form = _task_form(request, data=request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            task = services.task_create(actor=request.user, parent=parent, co_units=form.cleaned_data["co_units"],
                                        milestones=form.cleaned_data["milestones"], **form.values())
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已新建任务“%(title)s”(草稿),核对后可交办。") % {"title": task.title})
            return redirect("tasks:detail", task.pk)
    ancestors = list(selectors.task_ancestors(parent)) + [parent] if parent else []
    return render(request, "tasks/task_form.html", {"form": form, "parent": parent, "ancestors": ancestors},
                  status=400 if request.method == "POST" else 200)


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
def task_edit(request, pk):
    task = _task(request, pk)
    form = _task_form(request, data=request.POST or None, initial=TaskForm.initial_for(task), editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.task_update(actor=request.user, task=task, expected_version=form.cleaned_data["version"],
                                 co_units=form.cleaned_data["co_units"], milestones=form.cleaned_data["milestones"],
                                 **form.values())
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已保存任务“%(title)s”。") % {"title": task.title})
            return redirect("tasks:detail", task.pk)
    return render(request, "tasks/task_form.html", {"form": form, "task": task,
                                                    "ancestors": list(selectors.task_ancestors(task)) + [task]},
                  status=400 if request.method == "POST" else 200)


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
def task_decompose(request, pk):
    """分解: several subtasks in one submission, all or nothing."""
    parent = _task(request, pk)
    units = org_selectors.units_for_user(request.user).filter(is_active=True).order_by("path")
    extra = min(max(_int(request.GET.get("rows"), 5), 1), 50)
    formset = decompose_formset(extra)(request.POST or None, prefix="rows", units=units, parent=parent)
    if request.method == "POST" and formset.is_valid():
        try:
            created = services.task_decompose(actor=request.user, parent=parent, children=formset.children())
        except ValidationError as exc:
            formset._non_form_errors = formset.error_class(exc.messages, renderer=formset.renderer)
        else:
            messages.success(request, _("已分解出 %(n)s 项下级任务。") % {"n": len(created)})
            return redirect("tasks:detail", parent.pk)
    return render(request, "tasks/decompose.html", {
        "task": parent, "formset": formset, "ancestors": list(selectors.task_ancestors(parent)) + [parent],
        "more_rows": extra + 5,
    }, status=400 if request.method == "POST" else 200)

"""交办 on the task page, as an office does it (issue 9): the receiving units and post, the 交办意见,
the draft children to hand over with it, then a confirmation page that shows what will be sent to
whom before anything is sent. One service call (services.task_assign) does the rest."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from duban.core.decorators import require_perm
from duban.orgs import selectors as org_selectors
from duban.tasks import selectors, services, statemachine
from duban.tasks.forms import HandoverForm
from duban.tasks.models import Task, TaskStatus
from duban.tasks.views import once
from duban.tasks.views._common import VIEW, _task


def _drafts(user, task):
    """The task's draft descendants the user may see, in tree order (the cascade's choices)."""
    return (selectors.tasks_for_user(user).filter(path__startswith=task.path, depth__gt=task.depth,
                                                  status=TaskStatus.DRAFT)
            .select_related("lead_unit").order_by("path"))


def handover_form(user, task, data=None) -> HandoverForm:
    drafts = _drafts(user, task)
    kwargs = {
        "prefix": "assign", "drafts": drafts,
        "units": org_selectors.units_for_user(user).filter(is_active=True).order_by("path"),
        "posts": org_selectors.posts_for_user(user).order_by("unit__path", "title"),
    }
    if data is not None:
        return HandoverForm(data, **kwargs)
    initial = HandoverForm.initial_for(task, drafts)
    initial["form_token"] = once.new_token()
    return HandoverForm(initial=initial, **kwargs)


def _recipients(lead, co_units, post) -> dict:
    """Who the notice reaches: the acting holder of the post (A, or B/C while A is away), else
    the lead unit's liaison post; the co-units' liaison posts."""
    acting = org_selectors.acting_holder(post) if post is not None else None
    return {"lead": lead, "post": post, "acting": acting, "co_units": list(co_units)}


def _summary(user, task, data) -> dict:
    children = []
    for child in data.get("children") or []:
        children.append({"task": child, "co_units": list(child.co_units.all()),
                         "post": child.responsible_post,
                         "acting": org_selectors.acting_holder(child.responsible_post)
                         if child.responsible_post_id else None,
                         "category": child.category or task.category, "source": child.source or task.source})
    parent = Task.objects.get_parent(task)
    return {
        "to": _recipients(data.get("lead_unit"), data.get("co_units") or [], data.get("responsible_post")),
        "remarks": data.get("remarks", ""), "children": children,
        "left": [t for t in _drafts(user, task) if t not in (data.get("children") or [])],
        "parent_follows": parent is not None and parent.status == TaskStatus.DRAFT,
    }


@require_perm(VIEW)
@require_POST
def task_handover(request, pk):
    from duban.tasks.views.detail import _render_task, _service_call

    task = _task(request, pk)
    statemachine.check_actor(request.user, statemachine.MANAGE, task, _("交办"))
    form = handover_form(request.user, task, data=request.POST)
    token = request.POST.get("assign-form_token")
    confirmed = request.POST.get("assign-confirm") == "1" and not request.POST.get("edit")
    first = once.claim(request, token) if confirmed else None
    if first is not None:  # the confirmation sent twice (a double tap): answer with the first result
        messages.info(request, _("该任务已经交办,没有重复交办。") if first.get("assigned")
                      else _("交办正在处理或未能完成,请刷新页面查看结果。"))
        return redirect("tasks:detail", task.pk)
    valid = form.is_valid()
    # Shown again on the task page, the form asks for the confirmation again.
    form.data = form.data.copy()
    form.data["assign-confirm"] = ""
    if not valid:
        if confirmed:
            once.release(request, token)
        return _render_task(request, task, failed=("assign", form), status=400)
    data = form.cleaned_data
    if request.POST.get("edit"):  # 返回修改 from the confirmation page: the form as it was filled in
        return _render_task(request, task, failed=("assign", form), status=200)
    if not data.get("confirm"):
        if data["version"] != task.version:
            from duban.tasks.views.detail import _stale

            return _service_call(request, task, "assign", form, _stale, "")
        return render(request, "tasks/handover_confirm.html", {
            "task": task, "form": form, "summary": _summary(request.user, task, data),
            "ancestors": [],
        })
    children = list(data.get("children") or [])

    def call():
        services.task_assign(actor=request.user, task=task, expected_version=data["version"],
                             remarks=data.get("remarks", ""), lead_unit=data.get("lead_unit"),
                             co_units=list(data.get("co_units") or []),
                             responsible_post=data.get("responsible_post"), children=children)

    if children:
        success = _("已交办:%(title)s,并一并交办 %(n)s 项下级任务。") % {"title": task.title, "n": len(children)}
    else:
        success = _("已交办:%(title)s") % {"title": task.title}
    response = _service_call(request, task, "assign", form, call, success)
    if response.status_code == 302:
        once.record(request, token, {"assigned": [task.pk, *[c.pk for c in children]]})
    else:
        once.release(request, token)
    return response

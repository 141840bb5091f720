"""Pages of the leading-group meetings: the groups, a group's meetings and decisions with their
tasks' lights, record a meeting, add decisions, turn a decision into a task, the minutes."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from duban.core import permissions
from duban.core.decorators import require_perm
from duban.core.forms import apply_validation_error
from duban.core.services import ConcurrentEditError
from duban.meetings import selectors, services
from duban.meetings.forms import DecisionForm, MeetingForm, MinutesForm
from duban.orgs import selectors as org_selectors

VIEW = permissions.MEETINGS_VIEW
MANAGE = permissions.MEETINGS_MANAGE


@require_perm(VIEW)
@require_GET
def group_list(request):
    return render(request, "meetings/groups.html", {"groups": selectors.groups_for_user(request.user)})


@require_perm(VIEW)
@require_GET
def group_meetings(request, pk):
    group = selectors.group_get_for_user(request.user, pk)
    return render(request, "meetings/group.html", {
        "group": group, "meetings": selectors.meetings_for_group(group),
        "decisions": selectors.decisions_for_group(request.user, group),
        "can_manage": selectors.can_manage_group(request.user, group),
    })


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
def meeting_create(request, pk):
    group = selectors.group_get_for_user(request.user, pk)
    if not selectors.can_manage_group(request.user, group):
        raise PermissionDenied
    form = MeetingForm(request.POST or None, members=selectors.group_members(group))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            meeting = services.meeting_create(actor=request.user, group=group, title=d["title"], date=d["date"],
                                              place=d["place"], chair=d["chair"], agenda=form.agenda_items(),
                                              attendance=form.attendance(), minutes=d["minutes"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已录入会议,请逐条录入议定事项。"))
            return redirect("meetings:detail", pk=meeting.pk)
    return render(request, "meetings/form.html", {"form": form, "group": group},
                  status=400 if request.method == "POST" else 200)


def _decision_form(request, meeting, data=None):
    units = org_selectors.units_for_user(request.user).filter(is_active=True).order_by("path")
    return DecisionForm(data, units=units, meeting=meeting)


def _detail(request, meeting, *, form=None, minutes_form=None, task_errors=None, status=200):
    can_manage = selectors.can_manage_group(request.user, meeting.group)
    return render(request, "meetings/detail.html", {
        "meeting": meeting, "agenda": meeting.agenda.all(),
        "attendance": meeting.attendance.select_related("person__unit"),
        "decisions": selectors.decisions_with_lights(request.user, meeting.decisions.order_by("order")),
        "can_manage": can_manage,
        "can_make_tasks": can_manage and permissions.can(request.user, permissions.TASKS_MANAGE),
        "form": form if form is not None else (_decision_form(request, meeting) if can_manage else None),
        "minutes_form": minutes_form if minutes_form is not None else (
            MinutesForm(initial={"minutes": meeting.minutes, "version": meeting.version}) if can_manage else None),
        "task_errors": task_errors or {},
    }, status=status)


@require_perm(VIEW)
@require_GET
def meeting_detail(request, pk):
    return _detail(request, selectors.meeting_get_for_user(request.user, pk))


@require_perm(MANAGE)
@require_POST
def decision_add(request, pk):
    meeting = selectors.meeting_get_for_user(request.user, pk)
    if not selectors.can_manage_group(request.user, meeting.group):
        raise PermissionDenied
    form = _decision_form(request, meeting, request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.decision_add(actor=request.user, meeting=meeting, text=d["text"], lead_unit=d["lead_unit"],
                                  due_date=d["due_date"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已添加议定事项。"))
            return redirect("meetings:detail", pk=meeting.pk)
    return _detail(request, meeting, form=form, status=400)


@require_perm(MANAGE)
@require_POST
def minutes_edit(request, pk):
    meeting = selectors.meeting_get_for_user(request.user, pk)
    if not selectors.can_manage_group(request.user, meeting.group):
        raise PermissionDenied
    form = MinutesForm(request.POST)
    if form.is_valid():
        try:
            services.meeting_update_minutes(actor=request.user, meeting=meeting, minutes=form.cleaned_data["minutes"],
                                            expected_version=form.cleaned_data["version"])
        except ConcurrentEditError as exc:
            apply_validation_error(form, exc)
            return _detail(request, meeting, minutes_form=form, status=409)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已保存会议纪要。"))
            return redirect("meetings:detail", pk=meeting.pk)
    return _detail(request, meeting, minutes_form=form, status=400)


@require_perm(MANAGE)
@require_POST
def decision_task(request, pk):
    decision = selectors.decision_get_for_user(request.user, pk)
    if not selectors.can_manage_group(request.user, decision.meeting.group) \
            or not permissions.can(request.user, permissions.TASKS_MANAGE):
        raise PermissionDenied
    try:
        services.decision_make_task(actor=request.user, decision=decision)
    except ValidationError as exc:
        meeting = selectors.meeting_get_for_user(request.user, decision.meeting_id)
        return _detail(request, meeting, task_errors={decision.pk: exc.messages}, status=400)
    messages.success(request, _("已生成任务并交办给%(unit)s。") % {"unit": decision.lead_unit.name})
    return redirect("meetings:detail", pk=decision.meeting_id)


@require_perm(VIEW)
@require_GET
def minutes_download(request, pk):
    meeting = selectors.meeting_get_for_user(request.user, pk)
    name, content = services.minutes_export(actor=request.user, meeting=meeting)
    response = HttpResponse(content,
                            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    response["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote(name, safe="")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response

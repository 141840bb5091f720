"""The task page with every action the user may take now (the evidence download: views/evidence.py)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from duban.core import permissions, uploads
from duban.core.decorators import require_perm
from duban.core.forms import apply_validation_error
from duban.core.services import ConcurrentEditError, ConflictError
from duban.orgs import selectors as org_selectors
from duban.tasks import evidence as evidence_files
from duban.tasks import lights, selectors, services, statemachine
from duban.tasks.forms import (
    DESTRUCTIVE,
    ExtensionDecisionForm,
    ExtensionRequestForm,
    InstructionForm,
    InstructionReplyForm,
    ReportForm,
    TransitionForm,
)
from duban.tasks.models import CLOSED_STATUSES, ExtensionStatus, Light, ReportKind, TaskStatus
from duban.tasks.timeline import timeline_rows
from duban.tasks.views import handover, once
from duban.tasks.views._common import (
    MANAGE,
    STATUS_BADGES,
    VIEW,
    _task,
)


# --- the task page -----------------------------------------------------------------------------
def _timeline(task, user) -> list[dict]:
    return timeline_rows(task, user)  # the 办理记录: duban.tasks.timeline


def _correctable(task):
    """The task's own progress reports, which a new report may correct (completion requests are
    corrected by a new request, not by a report)."""
    return selectors.reports_for_task(task).filter(kind=ReportKind.PROGRESS)


def _action(key, title, url, form, button, *, icon="", style="primary", enctype=False, confirm="", danger=False):
    return {"key": key, "title": title, "url": url, "form": form, "button": button, "icon": icon,
            "style": style, "enctype": enctype, "confirm": confirm, "danger": danger}


def _report_unit_id(user, task, co_units):
    """The unit the user reports for (as services.reports._acting_unit decides; display only)."""
    if statemachine.acts_for_lead(user, task):
        return task.lead_unit_id
    own = getattr(user, "unit", None)
    if own is None:
        return None
    co = sorted((u for u in co_units if u.path.startswith(own.path)), key=lambda u: u.depth)
    return co[0].pk if co else own.pk


def report_form(user, task, reports=None, data=None, files=None) -> ReportForm:
    """报送进展, its percent starting from the last report of the user's unit and a fresh
    one-time token (the double-submit guard, views/once.py)."""
    if data is not None:
        return ReportForm(data, files, prefix="report", reports=_correctable(task))
    reports = list(selectors.reports_for_task(task)) if reports is None else reports
    unit_id = _report_unit_id(user, task, list(task.co_units.all()))
    last = next((r for r in reports if r.unit_id == unit_id), None)
    initial = {"form_token": once.new_token()}
    if last is not None:
        initial["percent"] = last.percent
    return ReportForm(prefix="report", reports=_correctable(task), initial=initial)


# The liaison's panel leads with the everyday actions: 报送进展 first, 申请办结 second, the rest
# in the table's order; the destructive ones go last, in their own 危险操作 section.
FIRST = {"report": 0, "request_completion": 1}


# Titles of the actions that are not state transitions (for a form re-shown after a refusal).
ACTION_TITLES = {"report": gettext_lazy("报送进展"), "extension": gettext_lazy("申请延期"),
                 "decide": gettext_lazy("审批延期申请"), "instruct": gettext_lazy("领导批示")}

TRANSITION_STYLE = {"approve": ("success", "check2-circle"), "return": ("warning", "arrow-return-left"),
                    "cancel": ("outline-danger", "x-octagon"), "reopen": ("outline-secondary", "arrow-repeat"),
                    "assign": ("primary", "send"), "acknowledge": ("primary", "inbox"),
                    "start": ("primary", "play"), "request_completion": ("success", "flag")}


def _actions(user, task, pending, reports=None) -> list[dict]:
    """Everything this user may do to this task now, as forms (empty, or bound on a re-render)."""
    actions = []
    for transition in statemachine.available(user, task):
        style, icon = TRANSITION_STYLE.get(transition.name, ("primary", ""))
        if transition.name == "assign":
            actions.append(_action("assign", transition.label, reverse("tasks:handover", args=[task.pk]),
                                   handover.handover_form(user, task), _("下一步:确认交办"), icon=icon))
            continue
        form = TransitionForm(prefix=transition.name, transition=transition, initial={"version": task.version})
        destructive = transition.name in DESTRUCTIVE
        actions.append(_action(transition.name, transition.label, reverse("tasks:transition", args=[task.pk,
                               transition.name]), form, transition.label, icon=icon, style=style,
                               enctype=transition.needs_evidence, danger=destructive))
    if task.status in statemachine.REPORTABLE and statemachine.may(user, statemachine.PARTICIPANT, task):
        actions.append(_action("report", _("报送进展"), reverse("tasks:report", args=[task.pk]),
                               report_form(user, task, reports), _("报送进展"),
                               icon="journal-plus", enctype=True))
    if (task.status in statemachine.EXTENDABLE and task.due_date and pending is None
            and statemachine.may(user, statemachine.LEAD, task)):
        actions.append(_action("extension", _("申请延期"), reverse("tasks:extension_request", args=[task.pk]),
                               ExtensionRequestForm(prefix="extension"), _("提交延期申请"), icon="calendar-plus",
                               style="outline-primary"))
    if (pending is not None and permissions.can(user, MANAGE) and pending.requested_by_id != user.pk
            and task.status not in CLOSED_STATUSES):
        actions.append(_action("decide", _("审批延期申请"), reverse("tasks:extension_decide", args=[pending.pk]),
                               ExtensionDecisionForm(prefix="decide", initial={"version": pending.version}),
                               "", icon="calendar-check"))
    if task.status in statemachine.INSTRUCTABLE and statemachine.may(user, statemachine.INSTRUCT, task):
        actions.append(_action("instruct", _("领导批示"), reverse("tasks:instruct", args=[task.pk]),
                               InstructionForm(prefix="instruct"), _("提交批示"), icon="pen"))
    order = {a["key"]: i for i, a in enumerate(actions)}
    return sorted(actions, key=lambda a: (a["danger"], FIRST.get(a["key"], 2), order[a["key"]]))


def _instruction_rows(user, task, failed=None) -> list[dict]:
    """The task's instructions, each with its reply (or the reply form for the lead unit)."""
    may_reply = task.status not in CLOSED_STATUSES and statemachine.may(user, statemachine.LEAD, task)
    today = lights.today()
    rows = []
    for instruction in selectors.instructions_for_task(task):
        form = None
        if may_reply and instruction.awaiting_reply:
            key = f"reply-{instruction.pk}"
            form = failed[1] if failed is not None and failed[0] == key else InstructionReplyForm(prefix=key)
        rows.append({"i": instruction, "form": form,
                     "overdue": instruction.awaiting_reply and instruction.reply_due < today,
                     "files": list(instruction.reply_files.all())})
    return rows


def _supervision_panel(user, task) -> dict | None:
    """The 督查室's manual actions on the task (duban.supervision's pages and services; the
    tasks app only links and posts to them by URL name, it never imports supervision)."""
    if not permissions.can(user, permissions.SUPERVISION_MANAGE) or task.status in CLOSED_STATUSES \
            or task.status == TaskStatus.DRAFT:
        return None
    return {
        "panel": reverse("supervision:task_panel", args=[task.pk]),
        "remind": reverse("supervision:remind", args=[task.pk]),
        "order": reverse("supervision:order_issue", args=[task.pk]),
        "list": reverse("supervision:list_add", args=[task.pk]),
        "unlist": reverse("supervision:list_remove", args=[task.pk]),
        "print": reverse("supervision:order_print", args=[task.pk]),
    }


def _render_task(request, task, *, failed=None, status=200):
    """The task page. ``failed`` = (action key, bound form) re-renders that form with its errors
    in place (and adds it if the action is no longer on offer, so the reason is still shown)."""
    user = request.user
    today = lights.today()
    # Read once per request: the policy (the lights of the task and its subtree), the ancestors
    # with their visibility (one query), the reports with their evidence (two).
    warn_days = lights.yellow_days()
    ancestors = selectors.task_ancestors_for_user(user, task)
    subtree = list(selectors.task_list(user, {"parent": task, "sort": "number"}, today=today,
                                       warn_days=warn_days)[:300])
    for row in subtree:
        row.rel_depth = row.depth - task.depth
    extensions = list(selectors.extensions_for_task(task))
    pending = next((e for e in extensions if e.status == ExtensionStatus.PENDING), None)
    reports = list(selectors.reports_for_task(task))
    latest, unit_progress = selectors.progress_of(task, reports)
    acting = org_selectors.acting_holder(task.responsible_post) if task.responsible_post_id else None
    actions = _actions(user, task, pending, reports)
    timeline = _timeline(task, user)
    if failed is not None and failed[0].startswith("reply-"):
        pass  # shown in place, under its instruction
    elif failed is not None:
        key, form = failed
        for action in actions:
            if action["key"] == key:
                action["form"] = form
                action["failed"] = True
                break
        else:
            title = (statemachine.TRANSITIONS[key].label if key in statemachine.TRANSITIONS
                     else ACTION_TITLES.get(key, key))
            actions.insert(0, {**_action(key, title, request.path, form, title), "failed": True})
    context = {
        "task": task, "today": today,
        "light": lights.light_for(task, today, warn_days=warn_days), "light_labels": dict(Light.choices),
        "status_badge": STATUS_BADGES.get(task.status, ""), "status_badges": STATUS_BADGES,
        "ancestors": [{"task": a, "visible": a.visible} for a in ancestors],
        "subtree": subtree, "base_depth": task.depth,
        "co_units": list(task.co_units.all()),
        "milestones": list(task.milestones.all()),
        "reports": reports, "latest": latest, "unit_progress": unit_progress,
        "extensions": extensions, "pending": pending,
        "instructions": _instruction_rows(user, task, failed),
        "supervision": _supervision_panel(user, task),
        "has_orders": any(e["code"] == "supervision_order_issue" for e in timeline),
        "acting": acting, "timeline": timeline, "actions": actions,
        "failed": failed is not None and status >= 400,
        "danger": [a for a in actions if a["danger"]],
        "can_manage": permissions.can(user, MANAGE) and task.status not in CLOSED_STATUSES,
        "evidence_editable": services.evidence_may_change(user, task), "evidence_accept": evidence_files.ACCEPT,
        "can_toggle_milestones": task.status in (TaskStatus.ACKNOWLEDGED, TaskStatus.IN_PROGRESS)
        and statemachine.may(user, statemachine.LEAD, task),
    }
    return render(request, "tasks/detail.html", context, status=status)


@require_perm(VIEW)
@require_GET
def task_detail(request, pk):
    return _render_task(request, _task(request, pk))


def _service_call(request, task, key, form, call, success, on_error=None):
    """Run a service for a form; on refusal re-render the task page with the form's errors
    (``on_error(exc)`` may adjust the form first)."""
    try:
        call()
    except PermissionDenied:
        raise
    except ValidationError as exc:
        apply_validation_error(form, exc)
        if on_error is not None:
            on_error(exc)
        task.refresh_from_db()
        status = 413 if uploads.is_too_large(exc) else 400
        if isinstance(exc, ConflictError):  # stale page: 409, and a link to the current page (messages.html)
            status = 409
            messages.warning(request, _("该任务已被他人修改,您看到的是最新内容;请刷新页面后重新提交。"), extra_tags="stale")
        return _render_task(request, task, failed=(key, form), status=status)
    messages.success(request, success)
    return redirect("tasks:detail", task.pk)


@require_perm(VIEW)
@require_POST
@uploads.limited_uploads("DUBAN_MAX_UPLOAD_BYTES")
def task_transition(request, pk, name):
    task = _task(request, pk)
    transition = statemachine.TRANSITIONS.get(name)
    if transition is None:
        raise Http404
    statemachine.check_actor(request.user, transition.who, task, transition.label)
    form = TransitionForm(request.POST, request.FILES, prefix=name, transition=transition)
    if uploads.apply_refusal(request, form, "files") or not form.is_valid():
        return _render_task(request, task, failed=(name, form), status=uploads.status_for(form))
    data = form.cleaned_data
    if form.destructive and not data.get("confirm"):
        # The confirmation step: the server answers with what will happen and the checkbox;
        # a stale page is refused now rather than after the confirmation.
        if data["version"] != task.version:
            return _service_call(request, task, name, form, _stale, "")
        if transition.needs_reason and not (data.get("reason") or "").strip():
            return _service_call(request, task, name, form, lambda: services.task_transition(
                actor=request.user, task=task, name=name, reason="", expected_version=data["version"]), "")
        form.ask_confirmation()
        form.confirming = True
        return _render_task(request, task, failed=(name, form), status=200)

    def call():
        services.task_transition(actor=request.user, task=task, name=name, reason=data.get("reason", ""),
                                 expected_version=data["version"], narrative=data.get("narrative", ""),
                                 files=data.get("files") or [], percent=data.get("percent", 100),
                                 quantity=data.get("quantity"))

    return _service_call(request, task, name, form, call,
                         _("已%(action)s:%(title)s") % {"action": transition.label, "title": task.title})


@require_perm(VIEW)
@require_POST
@uploads.limited_uploads("DUBAN_MAX_UPLOAD_BYTES")
def report_submit(request, pk):
    task = _task(request, pk)
    statemachine.check_actor(request.user, statemachine.PARTICIPANT, task, _("报送进展"))
    form = report_form(request.user, task, data=request.POST, files=request.FILES)
    token = request.POST.get("report-form_token")
    first = once.claim(request, token)
    if first is not None:  # the same form again (a double tap, a resend): answer with the first result
        messages.info(request, _("这份进展已经报送过,没有重复报送。") if first.get("report")
                      else _("这份进展正在报送或未能报送,请刷新页面查看结果。"))
        return redirect(reverse("tasks:detail", args=[task.pk]) + (f"#report-{first['report']}" if first.get("report")
                                                                    else ""))
    if uploads.apply_refusal(request, form, "files") or not form.is_valid():
        once.release(request, token)
        _drop_fields(form)
        return _render_task(request, task, failed=("report", form), status=uploads.status_for(form))
    data = form.cleaned_data
    created = []

    def call():
        created.append(services.report_submit(
            actor=request.user, task=task, narrative=data["narrative"], percent=data["percent"],
            quantity=data.get("quantity"), files=data.get("files") or [], corrects=data.get("corrects"),
            drop_reason=data.get("drop_reason", "") if data.get("confirm_drop") else ""))

    def refused(_exc):
        once.release(request, token)
        _drop_fields(form)

    response = _service_call(request, task, "report", form, call, _("进展已报送。"), on_error=refused)
    if created:
        once.record(request, token, {"report": created[0].pk})
    return response


def _drop_fields(form) -> None:
    """A refused report: show the drop confirmation when the service asked for it (or the user
    had begun it), and tell a filled-in reason without the tick what is missing."""
    errors = form.errors.get("drop_reason")
    started = form.data.get("report-confirm_drop") or form.data.get("report-drop_reason")
    if not errors and not started:
        form.hide_drop_fields()
        return
    form.ask_drop_reason()
    if errors and (form.data.get("report-drop_reason") or "").strip() and not form.data.get("report-confirm_drop"):
        form.errors.pop("drop_reason", None)
        form.add_error("confirm_drop", _("请勾选确认,再提交进度下调。"))


def _stale():
    raise ConcurrentEditError()


@require_perm(VIEW)
@require_POST
def extension_request(request, pk):
    task = _task(request, pk)
    statemachine.check_actor(request.user, statemachine.LEAD, task, _("申请延期"))
    form = ExtensionRequestForm(request.POST, prefix="extension")
    if not form.is_valid():
        return _render_task(request, task, failed=("extension", form), status=400)

    def call():
        services.extension_request(actor=request.user, task=task, requested_due=form.cleaned_data["requested_due"],
                                   reason=form.cleaned_data["reason"])

    return _service_call(request, task, "extension", form, call, _("延期申请已提交,等待督查室审批。"))


@require_perm(MANAGE)
@require_POST
def extension_decide(request, pk):
    extension = selectors.extension_get_for_user(request.user, pk)
    task = _task(request, extension.task_id)
    form = ExtensionDecisionForm(request.POST, prefix="decide")
    if not form.is_valid():
        return _render_task(request, task, failed=("decide", form), status=400)
    approve = form.cleaned_data["decision"] == "approve"

    def call():
        services.extension_decide(actor=request.user, extension=extension, approve=approve,
                                  reason=form.cleaned_data["reason"], expected_version=form.cleaned_data["version"])

    return _service_call(request, task, "decide", form, call,
                         _("已同意延期。") if approve else _("已不同意延期申请。"))


@require_perm(VIEW)
@require_POST
def instruct(request, pk):
    task = _task(request, pk)
    statemachine.check_actor(request.user, statemachine.INSTRUCT, task, _("批示"))
    form = InstructionForm(request.POST, prefix="instruct")
    if not form.is_valid():
        return _render_task(request, task, failed=("instruct", form), status=400)

    def call():
        services.instruction_add(actor=request.user, task=task, text=form.cleaned_data["text"],
                                 reply_days=form.cleaned_data["reply_days"])

    return _service_call(request, task, "instruct", form, call, _("批示已送达牵头单位。"))


@require_perm(VIEW)
@require_POST
@uploads.limited_uploads("DUBAN_MAX_UPLOAD_BYTES")
def instruction_reply(request, pk, instruction_pk):
    task = _task(request, pk)
    instruction = selectors.instructions_for_task(task).filter(pk=instruction_pk).first()
    if instruction is None:
        raise Http404
    statemachine.check_actor(request.user, statemachine.LEAD, task, _("回复批示"))
    key = f"reply-{instruction.pk}"
    form = InstructionReplyForm(request.POST, request.FILES, prefix=key)
    if uploads.apply_refusal(request, form, "files") or not form.is_valid():
        return _render_task(request, task, failed=(key, form), status=uploads.status_for(form))

    def call():
        services.instruction_reply(actor=request.user, instruction=instruction, text=form.cleaned_data["reply_text"],
                                   files=form.cleaned_data.get("files") or [])

    return _service_call(request, task, key, form, call, _("批示回复已提交。"))


@require_perm(VIEW)
@require_POST
def milestone_toggle(request, pk, milestone_pk):
    task = _task(request, pk)
    milestone = next((m for m in task.milestones.all() if m.pk == milestone_pk), None)
    if milestone is None:
        raise Http404
    try:
        services.milestone_set_done(actor=request.user, milestone=milestone, done=request.POST.get("done") == "1")
    except ValidationError as exc:
        messages.error(request, ";".join(exc.messages))
        return _render_task(request, task, status=400)
    messages.success(request, _("节点“%(name)s”已更新。") % {"name": milestone.name})
    return redirect("tasks:detail", task.pk)

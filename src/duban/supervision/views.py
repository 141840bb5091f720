"""The supervision pages: rules (督查室), a task's supervision panel with the manual actions, the
督办单 as a printable page and .docx, the units' 督办单 list with the reply form, the 挂牌督办
list for leaders and the 问责建议 list for the discipline role.

Views only read through selectors and write through services (PRG on success; a refused POST
re-renders with the service's message and status 400).
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from duban.core import permissions
from duban.core.decorators import require_perm
from duban.core.forms import apply_validation_error
from duban.supervision import selectors, services, workdays
from duban.supervision.documents import gongwen_for, order_docx_bytes
from duban.supervision.forms import ListForm, OrderForm, RemindForm, ReplyForm, RuleForm, UnlistForm
from duban.supervision.models import RULE_FIELDS, Rule
from duban.tasks import lights
from duban.tasks import selectors as task_selectors
from duban.tasks.models import Category, TaskPolicy

MANAGE = permissions.SUPERVISION_MANAGE


# --- rules ---------------------------------------------------------------------------------------
def _category(request):
    raw = request.POST.get("category") if request.method == "POST" else request.GET.get("category")
    if not raw:
        return None
    try:
        return Category.objects.get(pk=int(raw))
    except (Category.DoesNotExist, ValueError):
        raise Http404 from None


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
def rules(request):
    category = _category(request)
    rule = services.rule_for(category)
    own = rule.pk is not None and rule.key == services.rule_key(category)
    policy = TaskPolicy.current()
    status = 200
    if request.method == "POST":
        form = RuleForm(request.POST)
        if form.is_valid():
            values = {name: form.cleaned_data.get(name) for name in RULE_FIELDS}
            try:
                services.rule_save(actor=request.user, category=category, values=values,
                                   expected_version=form.cleaned_data.get("version") if own else None,
                                   policy={"yellow_days": form.cleaned_data["yellow_days"],
                                           "report_todo_days": form.cleaned_data["report_todo_days"]})
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, _("规则已保存。"))
                url = reverse("supervision:rules")
                return redirect(f"{url}?category={category.pk}" if category else url)
        status = 400
    else:
        initial = {name: getattr(rule, name) for name in RULE_FIELDS}
        initial.update(yellow_days=policy.yellow_days, report_todo_days=policy.report_todo_days, version=rule.version)
        form = RuleForm(initial=initial)
    today = lights.today()
    context = {
        "form": form, "category": category, "categories": Category.objects.filter(is_active=True),
        "own": own, "rule": rule, "custom": set(Rule.objects.exclude(category=None).values_list("category_id", flat=True)),
        "history": selectors.rule_history(),
        "uncovered": workdays.uncovered_years(today, today + timedelta(days=366)),
        "ladder_fields": [form[name] for name in ("remind_after", "order_after", "list_after", "propose_after")],
        "deadline_fields": [form[name] for name in ("ack_days", "remind_report_days", "remind_due_days",
                                                    "order_reply_days")],
        "policy_fields": [form["yellow_days"], form["report_todo_days"]],
    }
    return render(request, "supervision/rules.html", context, status=status)


@require_perm(MANAGE)
@require_POST
def rule_reset(request):
    category = _category(request)
    if category is None:
        messages.error(request, _("默认规则不能恢复,请直接修改。"))
        return redirect("supervision:rules")
    try:
        services.rule_delete(actor=request.user, category=category)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("“%(name)s”已恢复使用默认规则。") % {"name": category.name})
    return redirect(f"{reverse('supervision:rules')}?category={category.pk}")


# --- a task's supervision panel ----------------------------------------------------------------------
def _panel(request, task, *, forms=None, status=200):
    forms = forms or {}
    today = lights.today()
    miss_kind, miss_date = services.current_miss(task, today)
    context = {
        "task": task, "today": today, "miss_text": services.miss_text(miss_kind, miss_date),
        "miss_kind": miss_kind, "orders": selectors.task_orders(task), "reminders": selectors.task_reminders(task)[:20],
        "listing": selectors.task_listing(task), "rule": services.rule_for(task.category),
        "remind_form": forms.get("remind") or RemindForm(),
        "order_form": forms.get("order") or OrderForm(),
        "list_form": forms.get("list") or ListForm(),
        "unlist_form": forms.get("unlist") or UnlistForm(),
        "closed": task.is_closed,
    }
    return render(request, "supervision/panel.html", context, status=status)


@require_perm(MANAGE)
@require_GET
def task_panel(request, task_id):
    return _panel(request, task_selectors.task_get_for_user(request.user, task_id))


def _act(request, task_id, key, form_class, do, done_message):
    task = task_selectors.task_get_for_user(request.user, task_id)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            result = do(task, form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, done_message(result))
            return redirect("supervision:task_panel", task_id=task.pk)
    return _panel(request, task, forms={key: form}, status=400)


@require_perm(MANAGE)
@require_POST
def remind(request, task_id):
    return _act(request, task_id, "remind", RemindForm,
                lambda task, data: services.reminder_send(actor=request.user, task=task, message=data["message"]),
                lambda r: _("已催办。"))


@require_perm(MANAGE)
@require_POST
def order_issue(request, task_id):
    return _act(request, task_id, "order", OrderForm,
                lambda task, data: services.order_issue(actor=request.user, task=task, matter=data["matter"],
                                                        requirements=data["requirements"]),
                lambda order: _("督办单 %(number)s 已下发,回复时限 %(due)s。") % {"number": order.number,
                                                                           "due": order.reply_due})


@require_perm(MANAGE)
@require_POST
def list_add(request, task_id):
    return _act(request, task_id, "list", ListForm,
                lambda task, data: services.listing_add(actor=request.user, task=task, reason=data["reason"]),
                lambda r: _("已挂牌督办。"))


@require_perm(MANAGE)
@require_POST
def list_remove(request, task_id):
    return _act(request, task_id, "unlist", UnlistForm,
                lambda task, data: services.listing_remove(actor=request.user, task=task,
                                                           reason=data["unlist_reason"]),
                lambda r: _("已摘牌。"))


# --- the 督办单 as a document -------------------------------------------------------------------------
def _order(request, task_id):
    task = task_selectors.task_get_for_user(request.user, task_id)
    pk = request.GET.get("n")
    try:
        pk = int(pk) if pk else None
    except ValueError:
        raise Http404 from None
    return task, selectors.order_for_task(request.user, task, pk)


@require_perm(permissions.TASKS_VIEW)
@require_GET
def order_print(request, task_id):
    task, order = _order(request, task_id)
    return render(request, "supervision/order_print.html", {
        "task": task, "order": order, "doc": gongwen_for(order) if order else None,
        "orders": selectors.task_orders(task),
        "can_reply": order is not None and order.replied_at is None and services.may_reply(request.user, order),
    })


@require_perm(permissions.TASKS_VIEW)
@require_GET
def order_docx(request, task_id):
    task, order = _order(request, task_id)
    if order is None:
        messages.info(request, _("该任务还没有督办单。"))
        return redirect("supervision:order_print", task_id=task.pk)
    response = HttpResponse(order_docx_bytes(order),
                            content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    name = f"督办单-{order.year}-{order.seq}.docx"
    from urllib.parse import quote

    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


# --- the unit's side -------------------------------------------------------------------------------------
def _orders_page(request, *, form=None, status=200):
    qs = selectors.orders_for_user(request.user)
    show = request.GET.get("show", "open")
    if show == "open":
        qs = qs.filter(replied_at__isnull=True)
    page = Paginator(qs.order_by("reply_due", "-id"), 20).get_page(request.GET.get("page"))
    return render(request, "supervision/orders.html", {
        "page": page, "show": show, "today": lights.today(), "form": form,
        "failed_order": form["order"].value() if form is not None else None,
        "can_reply": permissions.can(request.user, permissions.SUPERVISION_REPLY),
    }, status=status)


@require_perm(permissions.TASKS_VIEW)
@require_GET
def orders(request):
    if not (permissions.can(request.user, permissions.SUPERVISION_REPLY)
            or permissions.can(request.user, MANAGE)):
        raise PermissionDenied
    return _orders_page(request)


@require_perm(permissions.SUPERVISION_REPLY)
@require_POST
def order_reply(request, task_id):
    task = task_selectors.task_get_for_user(request.user, task_id)
    form = ReplyForm(request.POST)
    if form.is_valid():
        order = selectors.orders_for_user(request.user).filter(task=task, pk=form.cleaned_data["order"]).first()
        if order is None:
            form.add_error(None, _("没有找到该督办单。"))
        else:
            try:
                reply = services.order_reply(actor=request.user, order=order, text=form.cleaned_data["text"],
                                             files=request.FILES.getlist("files"))
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("已回复督办单 %(number)s。%(late)s") % {
                    "number": order.number, "late": _("已超过回复时限,按规定挂牌督办。") if reply.late else ""})
                return redirect("supervision:orders")
    return _orders_page(request, form=form, status=400)


# --- lists for leaders and the discipline role ------------------------------------------------------------
@require_perm(permissions.SUPERVISION_LISTED)
@require_GET
def listed(request):
    page = Paginator(selectors.listings_for_user(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "supervision/listed.html", {"page": page})


@require_perm(permissions.SUPERVISION_PROPOSALS)
@require_GET
def proposals(request):
    page = Paginator(selectors.proposals_for_user(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "supervision/proposals.html", {"page": page})

"""The inbox (every signed-in user), notice settings, and the operator's outbox page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from duban.core import ledger, permissions
from duban.core.decorators import require_perm
from duban.core.models import Outcome
from duban.notices import selectors, services
from duban.notices.forms import InboxFilter, PreferenceForm, UnitChannelForm, UnitLeaderForm
from duban.notices.models import Delivery, NoticeKind, UnitChannel, UnitSetting, UserPreference
from duban.orgs.models import Person
from duban.orgs.selectors import units_for_user

PAGE_SIZE = 20


def can_operate(user) -> bool:
    """The outbox's dead letters: the 督查室 (who sends) and the system administrator (who runs it)."""
    return permissions.can(user, permissions.TASKS_MANAGE) or permissions.can(user, permissions.ACCOUNTS_MANAGE)


def _require_operator(request) -> None:
    if not can_operate(request.user):
        ledger.append(event="authz_denied", outcome=Outcome.DENIED, actor=request.user, object_type="route",
                      object_id=request.path[:64], data={"perm": "notices.operate"})
        raise PermissionDenied


def _back(request, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


@login_required
def inbox(request):
    form = InboxFilter(request.GET or None)
    kind = show = ""
    if form.is_valid():
        kind, show = form.cleaned_data["kind"], form.cleaned_data["show"]
    qs = selectors.inbox(request.user, kind=kind, unread_only=show == "unread")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notices/inbox.html", {
        "form": form, "page": page, "kind": kind, "show": show or "all",
        "kinds": NoticeKind.choices, "can_operate": can_operate(request.user),
        "can_configure": permissions.can(request.user, permissions.DIRECTORY_EDIT),
        "is_supervisor": permissions.can(request.user, permissions.TASKS_MANAGE),
    })


def _own_notice(request):
    try:
        pk = int(request.POST.get("id", ""))
    except ValueError:
        return None
    return selectors.inbox(request.user).filter(pk=pk).first()


@login_required
@require_POST
def open_notice(request):
    """Mark the notice read and go to what it is about."""
    notice = _own_notice(request)
    if notice is None:
        messages.error(request, _("通知不存在或不在您的收件箱中。"))
        return redirect("notices:inbox")
    services.notice_mark_read(actor=request.user, notice=notice)
    if notice.url and url_has_allowed_host_and_scheme(notice.url, allowed_hosts={request.get_host()}):
        return redirect(notice.url)
    return redirect("notices:inbox")


@login_required
@require_POST
def mark_read(request):
    notice = _own_notice(request)
    if notice is None:
        messages.error(request, _("通知不存在或不在您的收件箱中。"))
    else:
        services.notice_mark_read(actor=request.user, notice=notice)
    return redirect(_back(request, reverse("notices:inbox")))


@login_required
@require_POST
def mark_all_read(request):
    n = services.notices_mark_all_read(actor=request.user, queryset=selectors.inbox(request.user))
    messages.success(request, _("已将 %(n)d 条通知标为已读。") % {"n": n})
    return redirect(_back(request, reverse("notices:inbox")))


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    pref = UserPreference.objects.filter(user=request.user).first()
    initial = {"email": pref.email, "sms": pref.sms} if pref else {}
    form = PreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.preference_save(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for e in errors:
                    form.add_error(field if field in form.fields else None, e)
        else:
            messages.success(request, _("通知设置已保存。"))
            return redirect("notices:preferences")
    person = request.user.person if request.user.person_id else None
    return render(request, "notices/preferences.html", {"form": form, "email": request.user.email,
                                                        "phone": person.phone if person else ""})


def _apply_errors(form, exc):
    for field, errors in exc.message_dict.items():
        for e in errors:
            form.add_error(field if field in form.fields else None, e)


@require_perm(permissions.DIRECTORY_EDIT)
@require_http_methods(["GET", "POST"])
def unit_channels(request):
    """A unit's group robots and principal leader (the unit admin for their units, the 督查室 for all)."""
    units = units_for_user(request.user).order_by("path")
    unit_id = request.GET.get("unit") or (request.user.unit_id and str(request.user.unit_id)) or ""
    unit = units.filter(pk=unit_id).first() if unit_id.isdigit() else None
    if unit is None:
        unit = units.first()
    if unit is None:
        raise Http404
    robots = list(UnitChannel.objects.filter(unit=unit).order_by("channel"))
    setting = UnitSetting.objects.filter(unit=unit).first()
    people = Person.objects.filter(unit=unit, is_active=True).order_by("name")
    channel_form = UnitChannelForm(request.POST if request.POST.get("action") == "channel" else None)
    leader_form = UnitLeaderForm(request.POST if request.POST.get("action") == "leader" else None, people=people,
                                 initial={"principal_leader": setting.principal_leader_id if setting else None})
    here = f"{reverse('notices:unit_channels')}?unit={unit.pk}"
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "channel" and channel_form.is_valid():
                data = channel_form.cleaned_data
                secret = "" if data["clear_secret"] else (data["secret"] or None)
                services.unit_channel_save(actor=request.user, unit=unit, channel=data["channel"],
                                           webhook_url=data["webhook_url"], secret=secret, enabled=data["enabled"])
                messages.success(request, _("群机器人已保存。"))
                return redirect(here)
            if action == "leader" and leader_form.is_valid():
                services.unit_leader_set(actor=request.user, unit=unit,
                                         principal_leader=leader_form.cleaned_data["principal_leader"])
                messages.success(request, _("主要负责人已保存。"))
                return redirect(here)
            if action == "delete":
                robot = get_object_or_404(UnitChannel, pk=request.POST.get("robot") or 0, unit=unit)
                services.unit_channel_delete(actor=request.user, robot=robot)
                messages.success(request, _("群机器人已删除。"))
                return redirect(here)
            if action not in ("channel", "leader", "delete"):
                messages.error(request, _("未知的操作。"))
                return redirect(here)
        except ValidationError as exc:
            _apply_errors(channel_form if action == "channel" else leader_form, exc)
    return render(request, "notices/unit_channels.html", {
        "unit": unit, "units": units, "robots": robots, "channel_form": channel_form, "leader_form": leader_form,
    })


@login_required
def outbox(request):
    _require_operator(request)
    dead = selectors.dead_letters().prefetch_related("log")
    page = Paginator(dead, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notices/outbox.html", {"page": page, "counts": selectors.outbox_counts()})


@login_required
@require_POST
def retry(request):
    _require_operator(request)
    ids = request.POST.getlist("id")
    done = 0
    for row in Delivery.objects.filter(pk__in=[i for i in ids if i.isdigit()]):
        try:
            services.delivery_retry(actor=request.user, delivery=row)
            done += 1
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
    if not ids:
        messages.error(request, _("请选择要重试的消息。"))
    elif done:
        messages.success(request, _("已重新放入发送队列:%(n)d 条。") % {"n": done})
    return redirect("notices:outbox")


@require_perm(permissions.TASKS_MANAGE)
def problems(request):
    page = Paginator(selectors.flagged_problems(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notices/problems.html", {"page": page})

"""Sources (来源): list, page, create."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from duban.core import permissions, uploads
from duban.core.decorators import require_perm
from duban.core.forms import apply_validation_error
from duban.tasks import selectors, services
from duban.tasks.forms import (
    SourceForm,
)
from duban.tasks.models import Light
from duban.tasks.views._common import (
    MANAGE,
    STATUS_BADGES,
    VIEW,
)


# --- sources ---------------------------------------------------------------------------------
@require_perm(VIEW)
@require_GET
def source_list(request):
    qs = selectors.sources_for_user(request.user)
    text = request.GET.get("q", "").strip()[:100]
    if text:
        qs = qs.filter(title__icontains=text)
    page = Paginator(qs.order_by("-date", "-id"), 50).get_page(request.GET.get("page"))
    return render(request, "tasks/source_list.html", {"page": page, "q": text,
                                                      "can_manage": permissions.can(request.user, MANAGE)})


@require_perm(VIEW)
@require_GET
def source_detail(request, pk):
    source = selectors.source_get_for_user(request.user, pk)
    tasks = list(selectors.task_list(request.user, {"source": source, "sort": "number"})[:500])
    return render(request, "tasks/source_detail.html", {
        "source": source, "tasks": tasks, "light_labels": dict(Light.choices), "status_badges": STATUS_BADGES,
        "can_manage": permissions.can(request.user, MANAGE)})


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
@uploads.limited_uploads("DUBAN_MAX_UPLOAD_BYTES")
def source_create(request):
    form = SourceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and not uploads.apply_refusal(request, form, "file") and form.is_valid():
        data = form.cleaned_data
        try:
            source = services.source_create(actor=request.user, kind=data["kind"], title=data["title"],
                                            date=data["date"], issuer=data["issuer"], doc_number=data["doc_number"],
                                            text=data["text"], file=data["file"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已录入来源“%(title)s”。") % {"title": source.title})
            return redirect("tasks:source_detail", source.pk)
    status = 200 if request.method == "GET" else uploads.status_for(form)
    return render(request, "tasks/source_form.html", {"form": form}, status=status)

"""The task list import (.xlsx) and its template."""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from duban.core import uploads
from duban.core.decorators import require_perm
from duban.tasks import excel, selectors, services
from duban.tasks.forms import (
    ImportForm,
)
from duban.tasks.views._common import (
    MANAGE,
    XLSX,
    _attachment,
)


@require_perm(MANAGE)
@require_GET
def import_template(request):
    content = excel.import_template(title=_("任务导入模板"))
    return _attachment(content, excel.filename(_("任务导入模板")), XLSX)


ROW_ERROR = re.compile(r"^第\s*(\d+)\s*行[::](.*)$")


@require_perm(MANAGE)
@require_http_methods(["GET", "POST"])
@uploads.limited_uploads("DUBAN_MAX_IMPORT_BYTES")
def task_import(request):
    sources = selectors.sources_for_user(request.user)
    form = ImportForm(request.POST or None, request.FILES or None, sources=sources)
    rows, problems, status = [], [], 200
    if request.method == "POST":
        status = 400
        if uploads.apply_refusal(request, form, "file"):
            status = 413
        elif form.is_valid():
            try:
                created = services.tasks_import(actor=request.user, file=form.cleaned_data["file"],
                                                source=form.cleaned_data["source"])
            except ValidationError as exc:
                for message in exc.messages:
                    m = ROW_ERROR.match(message)
                    if m:
                        rows.append({"row": int(m[1]), "reason": m[2].strip()})
                    else:
                        problems.append(message)
                if uploads.is_too_large(exc):
                    status = 413
            else:
                messages.success(request, _("已导入 %(n)s 项任务(草稿),请核对后交办。") % {"n": len(created)})
                return redirect(reverse("tasks:list") + "?status=draft")
        elif uploads.status_for(form) == 413:
            status = 413
    return render(request, "tasks/import.html", {"form": form, "rows": rows, "problems": problems,
                                                 "columns": excel.HEADER_ALIASES}, status=status)

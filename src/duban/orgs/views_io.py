"""Directory import/export pages. The work is in the services (duban.orgs.services.directory_import,
directory_export); these views only guard, size-limit the upload and render."""

from __future__ import annotations

from functools import wraps

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from duban.core import permissions, uploads
from duban.core.decorators import require_perm
from duban.orgs import excel, services

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Multipart framing and the CSRF field around the file; anything beyond this is the file itself.
MULTIPART_SLACK = 64 * 1024


class DirectoryImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Excel 文件(.xlsx)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + XLSX}))


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def _page(request, *, form=None, result=None, rejected=None, status=200):
    can_edit = permissions.can(request.user, permissions.DIRECTORY_EDIT)
    context = {
        "can_edit": can_edit,
        "form": form if form is not None else (DirectoryImportForm() if can_edit else None),
        "result": result,
        "issues_by_sheet": excel.issues_by_sheet(result.issues) if result is not None else {},
        "rejected": rejected,
        "max_mb": f"{excel.max_import_bytes() / (1024 * 1024):g}",
        "max_rows": excel.max_import_rows(),
        "sheets": excel.DATA_SHEETS,
    }
    return render(request, "orgs_io/directory_io.html", context, status=status)


@require_GET
@require_perm(permissions.DIRECTORY_VIEW)
def directory_io(request):
    return _page(request)


@require_GET
@require_perm(permissions.DIRECTORY_EDIT)
def directory_template(request):
    return _xlsx_response(excel.build_template(), _("通讯录导入模板") + ".xlsx")


@require_GET
@require_perm(permissions.DIRECTORY_VIEW)
def directory_export(request):
    content, _counts = services.directory_export(actor=request.user)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _xlsx_response(content, _("通讯录") + f"-{stamp}.xlsx")


def _refused_unread(view):
    """A request whose declared length is far past the limit is refused before its body is read
    at all (the size-limit handler below would drop the file, but only while streaming it)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if request.method == "POST" and declared > excel.max_import_bytes() + MULTIPART_SLACK:
            services.directory_import_refuse(actor=request.user, reason="too_large")
            return _page(request, rejected=excel.too_large_message(), status=413)
        return view(request, *args, **kwargs)

    return wrapper


@require_POST
@require_perm(permissions.DIRECTORY_EDIT)
@_refused_unread
@uploads.limited_uploads("DUBAN_MAX_IMPORT_BYTES")
def directory_import(request):
    form = DirectoryImportForm(request.POST, request.FILES)
    if uploads.refusal(request) is not None:
        services.directory_import_refuse(actor=request.user, reason="too_large")
        return _page(request, rejected=excel.too_large_message(), status=413)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    upload = form.cleaned_data["file"]
    try:
        result = services.directory_import(actor=request.user, file=upload, filename=upload.name)
    except excel.ImportRejected as exc:
        return _page(request, form=DirectoryImportForm(), rejected=exc.message, status=exc.status)
    finally:
        upload.close()
    return _page(request, form=DirectoryImportForm(), result=result, status=200 if result.ok else 400)

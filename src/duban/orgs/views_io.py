"""Directory import/export pages. The work is in duban.orgs.excel; these views only guard,
size-limit the upload and render."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from duban.core import permissions
from duban.core.decorators import require_perm
from duban.orgs import excel

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Multipart framing and the CSRF field around the file; anything beyond this is the file itself.
MULTIPART_SLACK = 64 * 1024


class DirectoryImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Excel 文件(.xlsx)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx," + XLSX}))


class _SizeLimitHandler(FileUploadHandler):
    """Drops an uploaded file as soon as it passes the import limit, so an oversized file never
    lands on disk in full (FU-02). The view answers 413 when ``exceeded`` is set."""

    def __init__(self, request=None, limit: int = 0):
        super().__init__(request)
        self.limit = limit
        self.exceeded = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size):
        return None


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
    content, _counts = excel.export_directory(user=request.user)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _xlsx_response(content, _("通讯录") + f"-{stamp}.xlsx")


# The upload handler must be in place before anything reads request.POST, and the CSRF check
# reads it; so CSRF is checked inside, after the handler is installed (Django's documented way).
@csrf_exempt
@require_POST
@require_perm(permissions.DIRECTORY_EDIT)
def directory_import(request):
    limit = excel.max_import_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit + MULTIPART_SLACK:
        # Refused without reading the body at all.
        excel.record_rejection("", reason="too_large")
        return _page(request, rejected=excel.too_large_message(), status=413)
    handler = _SizeLimitHandler(request, limit)
    request.upload_handlers.insert(0, handler)
    return _import(request, handler)


@csrf_protect
def _import(request, handler: _SizeLimitHandler):
    form = DirectoryImportForm(request.POST, request.FILES)
    if handler.exceeded:
        excel.record_rejection("", reason="too_large")
        return _page(request, rejected=excel.too_large_message(), status=413)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    upload = form.cleaned_data["file"]
    try:
        result = excel.import_directory(user=request.user, upload=upload, filename=upload.name)
    except excel.ImportRejected as exc:
        return _page(request, form=DirectoryImportForm(), rejected=exc.message, status=exc.status)
    finally:
        upload.close()
    return _page(request, form=DirectoryImportForm(), result=result, status=200 if result.ok else 400)

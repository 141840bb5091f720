"""The evidence download: the only way to an evidence file (AC-09), for the task pages."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from duban.core.decorators import require_perm
from duban.tasks import evidence as evidence_files
from duban.tasks import selectors, services
from duban.tasks.services.verify import evidence_verify as evidence_verify_service
from duban.tasks.views._common import VIEW, _attachment


@require_perm(VIEW)
@require_GET
def evidence_download(request, pk):
    """Visible task or 404, digest re-checked (FU-04), a download whatever the file contains
    (FU-03), one ``evidence_downloaded`` ledger entry (services.evidence_open)."""
    evidence = selectors.evidence_get_for_user(request.user, pk)
    try:
        content = services.evidence_open(user=request.user, evidence=evidence)
    except evidence_files.EvidenceIntegrityError:
        # Generic on purpose: the ledger has the details, the user only needs to report it.
        return render(request, "tasks/file_unavailable.html", status=500)
    content_type = evidence_files.CONTENT_TYPES.get(evidence.file_type, "application/octet-stream")
    response = _attachment(content, evidence.original_name, content_type)
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_perm(VIEW)
@require_POST
def evidence_verify(request, pk):
    """立即校验: re-hash the stored file now (services.verify.evidence_verify, one ledger entry)
    and say 一致 or 不一致 on the task page, next to the file."""
    evidence = selectors.evidence_get_for_user(request.user, pk)
    check = evidence_verify_service(actor=request.user, evidence=evidence)
    name = evidence.original_name
    if check.ok:
        messages.success(request, _("校验一致:“%(name)s”与上传时的 SHA-256 相同。") % {"name": name})
    elif check.missing:
        messages.error(request, _("校验不一致:“%(name)s”的存储文件已缺失,已记录并通知督查室。") % {"name": name})
    else:
        messages.error(request, _("校验不一致:“%(name)s”的内容已被改动(SHA-256 不同),已记录并通知督查室。")
                       % {"name": name})
    return redirect(reverse("tasks:detail", args=[evidence.task_id]) + f"#evidence-{evidence.pk}")

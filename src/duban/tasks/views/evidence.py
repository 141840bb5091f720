"""The evidence download: the only way to an evidence file (AC-09), for the task pages."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from duban.core.decorators import require_perm
from duban.tasks import evidence as evidence_files
from duban.tasks import selectors, services
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

"""The evidence download: the only way to an evidence file (AC-09), for the task pages; and
withdrawing or replacing a file (FU-05, services.evidence_withdraw / evidence_replace)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from duban.core import uploads
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


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("撤回理由"), max_length=2000)


class ReplaceForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("新文件"))
    reason = forms.CharField(label=gettext_lazy("替换理由"), max_length=2000)


def _back(evidence_pk, task_pk):
    return redirect(reverse("tasks:detail", args=[task_pk]) + f"#evidence-{evidence_pk}")


def _may_not_change(request, evidence):
    """Who and when first (PermissionDenied: 403), before the form is read; an already withdrawn
    file is a message on the task page."""
    try:
        services.evidence_check_change(actor=request.user, evidence=evidence)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return _back(evidence.pk, evidence.task_id)
    return None


def _refused(request, form, evidence):
    """A refused withdrawal or replacement: the reasons as messages, nothing changed, back to the file."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return _back(evidence.pk, evidence.task_id)


@require_perm(VIEW)
@require_POST
def evidence_withdraw(request, pk):
    """撤回: soft (the row, the file and its SHA-256 stay), with a reason, audited; 403 once the
    task is submitted for completion or closed (outside the 退回/重新打开 flow)."""
    evidence = selectors.evidence_get_for_user(request.user, pk)
    if (refused := _may_not_change(request, evidence)) is not None:
        return refused
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.evidence_withdraw(actor=request.user, evidence=evidence, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc)
    if not form.is_valid():
        return _refused(request, form, evidence)
    messages.success(request, _("已撤回“%(name)s”;文件及其 SHA-256 仍保留。") % {"name": evidence.original_name})
    return _back(evidence.pk, evidence.task_id)


@require_perm(VIEW)
@require_POST
def evidence_replace(request, pk):
    """替换: the new file is a new version naming the old one, which is kept and marked withdrawn."""
    evidence = selectors.evidence_get_for_user(request.user, pk)
    if (refused := _may_not_change(request, evidence)) is not None:
        return refused
    form = ReplaceForm(request.POST, request.FILES)
    if uploads.apply_refusal(request, form, "file"):
        return _refused(request, form, evidence)
    new = None
    if form.is_valid():
        try:
            new = services.evidence_replace(actor=request.user, evidence=evidence, file=form.cleaned_data["file"],
                                            reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc)
    if new is None:
        return _refused(request, form, evidence)
    messages.success(request, _("已用“%(new)s”替换“%(old)s”;原文件作为历史版本保留。")
                     % {"new": new.original_name, "old": evidence.original_name})
    return _back(new.pk, evidence.task_id)

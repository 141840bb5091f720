"""Withdrawing and replacing evidence (FU-05: submitted evidence is append-only).

Nothing here deletes or rewrites an evidence row: a withdrawal marks the row (who, when, why) and
keeps the row, the stored file and its SHA-256, which stay downloadable and verifiable; a
replacement stores the new file as a new row naming the one it replaces (``replaces``: the
version history) and marks the old one withdrawn with the same reason. Both are allowed only
while the unit is still working on the task (签收后、办理中, which is also where 退回 and 重新打开
bring a task back to: the re-open flow); once completion is requested, or the task is closed,
they are refused with PermissionDenied (403). One ledger entry on the task each, so the change
shows in the task's 办理记录.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.core import permissions
from duban.tasks import evidence as evidence_files
from duban.tasks import statemachine
from duban.tasks.models import Evidence, Task, TaskStatus
from duban.tasks.services._common import _clean_text, _ledger_task, _lock

# The statuses in which evidence may still change: the unit's own working states. A returned
# (退回) or re-opened (重新打开) task is back in IN_PROGRESS, so the re-open flow is covered.
CHANGEABLE = (TaskStatus.ACKNOWLEDGED, TaskStatus.IN_PROGRESS)


def evidence_may_change(user, task: Task) -> bool:
    """Whether the task page offers 撤回/替换 to ``user`` (the service decides per file)."""
    return task.status in CHANGEABLE and statemachine.acts_for_participant(user, task)


def _check(actor, task: Task, evidence: Evidence) -> None:
    if task.status not in CHANGEABLE:
        raise PermissionDenied(
            _("任务当前状态为“%(status)s”,已报送的佐证材料不能撤回或替换;如需更改,请由督查室退回或重新打开任务。")
            % {"status": task.get_status_display()})
    unit = evidence.report.unit if evidence.report_id else None
    if unit is None:
        same_unit = False
    elif unit.pk == task.lead_unit_id:
        same_unit = statemachine.acts_for_lead(actor, task)
    else:  # a co-unit's file: that co-unit's side only
        same_unit = permissions.can(actor, permissions.TASKS_HANDLE) and statemachine._in_subtree(actor, unit)
    if actor.pk != evidence.uploaded_by_id and not same_unit:
        raise PermissionDenied(_("只有上传人或报送单位可以撤回或替换这份佐证材料。"))
    if evidence.withdrawn_at is not None:
        raise ValidationError(_("这份佐证材料已撤回,不能再次撤回或替换。"), code="withdrawn")


def evidence_check_change(*, actor, evidence: Evidence) -> None:
    """Raise PermissionDenied (or ValidationError for a file already withdrawn) unless ``actor``
    may withdraw or replace ``evidence`` now. The views ask this before reading the form, so the
    refusal depends on who and when, never on what was typed; the services check again under the lock."""
    evidence = Evidence.objects.select_related("task__lead_unit", "report__unit").get(pk=evidence.pk)
    _check(actor, evidence.task, evidence)


def _mark_withdrawn(evidence: Evidence, actor, reason: str, now) -> None:
    # The model refuses save() and update() on evidence (append-only); these four columns are the
    # only ones ever set after insert, and only once (the filter makes a second withdrawal a no-op).
    done = models.QuerySet.update(Evidence.objects.filter(pk=evidence.pk, withdrawn_at__isnull=True),
                                  withdrawn_at=now, withdrawn_by=actor, withdraw_reason=reason)
    if done != 1:
        raise ValidationError(_("这份佐证材料已撤回,不能再次撤回或替换。"), code="withdrawn")
    evidence.withdrawn_at, evidence.withdrawn_by, evidence.withdraw_reason = now, actor, reason


def _reason(reason) -> str:
    return _clean_text(reason, "reason", required=True, max_length=2000, label=_("理由"))


@transaction.atomic
def evidence_withdraw(*, actor, evidence: Evidence, reason: str) -> Evidence:
    """Withdraw one evidence file (soft: the row, the file and its hash are kept)."""
    task = _lock(evidence.task)
    evidence = Evidence.objects.select_related("report__unit").get(pk=evidence.pk)
    _check(actor, task, evidence)
    reason = _reason(reason)
    _mark_withdrawn(evidence, actor, reason, timezone.now())
    _ledger_task("task_evidence_withdraw", task, {
        "evidence": evidence.pk, "report": evidence.report_id, "reason": reason,
        "files": [{"name": evidence.original_name, "sha256": evidence.sha256, "size": evidence.size}]},
        actor=actor)
    return evidence


def evidence_replace(*, actor, evidence: Evidence, file, reason: str) -> Evidence:
    """Store ``file`` as a new version of ``evidence`` (a new row naming the old one) and withdraw
    the old one with ``reason``. The file is checked like any upload before anything is written;
    if the database part fails, the new file is deleted again (evidence.stored)."""
    checked = evidence_files.check_uploads([file] if file else [])
    if not checked:
        raise ValidationError({"file": _("请选择替换用的文件。")})
    with evidence_files.stored(checked) as names, transaction.atomic():
        task = _lock(evidence.task)
        old = Evidence.objects.select_related("report__unit").get(pk=evidence.pk)
        _check(actor, task, old)
        reason = _reason(reason)
        f = checked[0]
        new = Evidence.objects.create(task=task, report=old.report, original_name=f.original_name,
                                      storage_name=names[0], file_type=f.file_type, content_type=f.content_type,
                                      size=f.size, sha256=f.sha256, uploaded_by=actor, replaces=old)
        _mark_withdrawn(old, actor, reason, new.uploaded_at)
        _ledger_task("task_evidence_replace", task, {
            "evidence": old.pk, "replacement": new.pk, "report": old.report_id, "reason": reason,
            "replaced_sha256": old.sha256,
            "files": [{"name": f.original_name, "sha256": f.sha256, "size": f.size}]}, actor=actor)
    return new

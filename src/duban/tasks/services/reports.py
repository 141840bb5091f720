"""Progress reports and evidence."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from duban.accounts.models import User
from duban.core import ledger
from duban.core.models import Outcome
from duban.core.roles import Role
from duban.core.services import save_versioned
from duban.orgs.models import Unit
from duban.tasks import evidence as evidence_files
from duban.tasks import lights, statemachine
from duban.tasks.models import (
    Evidence,
    NotificationKind,
    ProgressReport,
    ReportKind,
    Task,
)
from duban.tasks.services._common import (
    S,
    _clean_text,
    _decimal,
    _ledger_task,
    _lock,
    _lock_visible,
    _notify,
    _sync,
)


# --- reports and evidence ---------------------------------------------------------------------
def _percent(value) -> int:
    if isinstance(value, bool):
        value = None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or not 0 <= value <= 100:
        raise ValidationError({"percent": _("完成进度应为 0 到 100 之间的整数。")})
    return value


def _acting_unit(user, task: Task) -> Unit:
    """The unit a report is filed for: the lead unit if the user acts for it, else their co-unit."""
    if statemachine.acts_for_lead(user, task):
        return task.lead_unit
    own = user.unit
    co = task.co_units.filter(path__startswith=own.path).order_by("depth").first()
    return co or own


def _evidence_rows(task, report, actor, checked, names) -> list[Evidence]:
    return [Evidence.objects.create(task=task, report=report, original_name=f.original_name, storage_name=name,
                                    file_type=f.file_type, content_type=f.content_type, size=f.size,
                                    sha256=f.sha256, uploaded_by=actor)
            for f, name in zip(checked, names, strict=True)]


def _last_percent(task: Task, unit: Unit) -> int | None:
    """The percent of the unit's latest report on the task (progress or completion request). The
    lead unit's is a column of the (locked) task row, kept by the report services: no query."""
    if unit.pk == task.lead_unit_id:
        return task.latest_percent
    return (ProgressReport.objects.filter(task=task, unit=unit).order_by("-submitted_at", "-id")
            .values_list("percent", flat=True).first())


def _progress_columns(task: Task, report: ProgressReport) -> dict:
    """The task's progress columns after ``report``: only the lead unit's reports move them (a
    co-unit's report is its own progress, shown under its unit, and never the task's)."""
    if report.unit_id != task.lead_unit_id:
        return {}
    return {"latest_report": report, "latest_percent": report.percent, "latest_report_at": report.submitted_at}


def progress_follows(task: Task, report: ProgressReport) -> None:
    """Set the progress columns for a report written outside report_submit (the completion
    request): one UPDATE, inside the caller's transaction, on the row it holds locked."""
    columns = _progress_columns(task, report)
    if columns:
        for field, value in columns.items():
            setattr(task, field, value)
        Task.objects.filter(pk=task.pk).update(**columns)


def _check_correction(actor, task: Task, corrects: ProgressReport) -> None:
    """A correction replaces one of the unit's OWN reports: a co-unit cannot "correct" the lead
    unit's progress (issue 11), nor the lead unit a co-unit's."""
    if corrects.unit_id == _acting_unit(actor, task).pk:
        return
    if corrects.unit_id == task.lead_unit_id:
        raise ValidationError({"corrects": ValidationError(
            _("配合单位不能更正牵头单位报送的进展;请报送本单位的进展。"), code="not_own_report")})
    raise ValidationError({"corrects": ValidationError(_("只能更正本单位报送的报告。"), code="not_own_report")})


class TaskHidden(Http404):
    """report_submit was given a task id the actor may not see (or that does not exist). Nothing
    was written and no denial recorded: the caller asks the scoped getter for the answer."""


@transaction.atomic
def report_submit(*, actor, task: Task | int, narrative: str, percent=0, quantity=None, files=(),
                  corrects: ProgressReport | None = None, drop_reason: str = "") -> ProgressReport:
    """A progress report (进展) by the lead unit or a co-unit. A report on an acknowledged task
    starts it. Reports are appended, never edited: a correction names the report it corrects.

    ``task`` is a task the caller got from a scoped getter, or the id a request names: then the
    row is read once, locked, and its visibility decided on it (``_lock_visible``); an id the
    actor may not see raises TaskHidden (the API answers it through the getter: 404 + AU-03).

    A percent below the unit's own last report on the task is a mistake more often than news:
    it is refused (``drop_reason`` field error, code ``percent_drop``, nothing written) unless a
    ``drop_reason`` says why; the reason and the previous percent go into the ledger entry. A
    correction (``corrects``) names what it fixes and needs no separate reason.

    Reports do not bump the task's version: they are appends, not edits, so a report never makes
    a colleague's open edit form stale. The row is locked so a report cannot slip in after a
    completion review."""
    if isinstance(task, Task):
        current = _lock(task)
    else:
        current = _lock_visible(actor, task)
        if current is None:
            raise TaskHidden
        task = current
    statemachine.check_actor(actor, statemachine.PARTICIPANT, current, _("报送进展"))
    if current.status not in statemachine.REPORTABLE:
        raise ValidationError(_("任务当前状态为“%(status)s”,不能报送进展。") % {"status": current.get_status_display()},
                              code="bad_state")
    narrative = _clean_text(narrative, "narrative", required=True, max_length=10000, label=_("进展情况"))
    percent = _percent(percent)
    quantity = _decimal(quantity, "quantity", _("完成数量"))
    unit = _acting_unit(actor, current)
    previous = _last_percent(current, unit)
    drop = corrects is None and previous is not None and percent < previous
    if drop:
        drop_reason = drop_reason.strip() if isinstance(drop_reason, str) else ""
        if not drop_reason:
            raise ValidationError({"drop_reason": ValidationError(
                _("完成进度(%(percent)s%%)低于本单位上次报送的 %(previous)s%%:请确认并说明下调原因。")
                % {"percent": percent, "previous": previous}, code="percent_drop")})
        drop_reason = _clean_text(drop_reason, "drop_reason", required=True, max_length=2000,
                                  label=_("进度下调原因"))
    if corrects is not None:
        if corrects.task_id != current.pk:
            raise ValidationError({"corrects": _("只能更正本任务的报告。")})
        if corrects.kind != ReportKind.PROGRESS:
            raise ValidationError({"corrects": _("办结申请不能通过进展报告更正。")})
        _check_correction(actor, current, corrects)
    checked = evidence_files.check_uploads(files)
    today = lights.today()
    data = {"percent": percent, "quantity": str(quantity) if quantity is not None else None,
            "corrects": corrects.pk if corrects else None,
            "files": [{"name": f.original_name, "sha256": f.sha256, "size": f.size} for f in checked]}
    if drop:
        data["previous_percent"] = previous
        data["reason"] = drop_reason  # shown as 理由/说明 in the task's 办理记录
    updates: dict = {}
    if current.status == S.ACKNOWLEDGED:
        updates["status"] = S.IN_PROGRESS
        data["from"], data["to"] = S.ACKNOWLEDGED, S.IN_PROGRESS
    if current.status != S.COMPLETION_REQUESTED:
        updates["next_report_due"] = lights.next_report_date(current.reporting_cycle, today)
    with evidence_files.stored(checked) as names:
        report = ProgressReport.objects.create(task=current, kind=ReportKind.PROGRESS,
                                               unit=unit, author=actor,
                                               narrative=narrative, percent=percent, quantity=quantity,
                                               corrects=corrects)
        report.evidence_rows = _evidence_rows(current, report, actor, checked, names)  # for the caller's answer
        updates.update(_progress_columns(current, report))
        for field, value in updates.items():
            setattr(current, field, value)
        if "status" in updates:  # a state change: concurrent editors must reload
            save_versioned(current, expected_version=current.version, fields=list(updates))
        elif updates:
            Task.objects.filter(pk=current.pk).update(**updates)
        data["report"] = report.pk
        _ledger_task("task_report", current, data, actor=actor)
    _sync(task, current)
    return report


def evidence_open(*, user, evidence: Evidence) -> bytes:
    """The bytes of an evidence file the user may see (fetch it with
    selectors.evidence_get_for_user first). A digest mismatch raises EvidenceIntegrityError after
    recording it (evidence_integrity_failure, committed although the caller gets an error); the
    download view answers with a generic error. Every download the UI or the API hands out is
    one ``evidence_downloaded`` ledger entry (AU-01), written before the bytes leave."""
    try:
        data = evidence_files.read_verified(evidence)
    except evidence_files.EvidenceIntegrityError as exc:
        evidence_integrity_failure(actor=user, evidence=evidence, actual=exc.actual, missing=exc.missing)
        raise
    ledger.append(event="evidence_downloaded", obj=evidence, object_type="tasks.evidence", actor=user,
                  data={"task": evidence.task_id, "sha256": evidence.sha256, "size": evidence.size})
    return data


@transaction.atomic
def evidence_integrity_failure(*, actor, evidence: Evidence, actual: str | None, missing: bool) -> None:
    """FU-04: a stored file no longer matches its digest. The 督查室's units get an in-app alert
    (one per file and day, so a user retrying a download does not flood them) and the ledger an
    ``integrity_failure`` entry."""
    supervisors = list(User.objects.filter(role=Role.SUPERVISOR, is_active=True).order_by("id"))
    units = Unit.objects.filter(pk__in=[u.unit_id for u in supervisors if u.unit_id is not None])
    message = _("佐证材料“%(name)s”(编号 %(id)s)与上传时的摘要不一致,已拒绝下载,请从备份恢复。") % {
        "name": evidence.original_name, "id": evidence.pk}
    _notify(actor=actor, task=evidence.task, kind=NotificationKind.INTEGRITY_FAILURE, units=list(units),
            message=message, dedupe_key=f"evidence-{evidence.pk}-{lights.today().isoformat()}",
            title=_("佐证材料完整性校验失败:%(name)s") % {"name": evidence.original_name}, users=supervisors,
            to_units=False)
    ledger.append(event="integrity_failure", outcome=Outcome.FAILURE, obj=evidence, object_type="tasks.evidence",
                  data={"task": evidence.task_id, "expected": evidence.sha256, "actual": actual, "missing": missing},
                  actor=actor)

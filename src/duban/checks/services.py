"""Every change to checks and findings: validated, atomic, one ledger entry per change.

A finding's rectification task is made by duban.tasks.services (task_create + task_assign), so
it lives the ordinary lifecycle: the unit acknowledges, reports, asks to close; the 督查室
reviews. Notices go through duban.notices when that app is installed.
"""

from __future__ import annotations

import hashlib
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.checks.models import Check, CheckMode, CheckScope, CheckStage, Finding, FindingFile
from duban.core import ledger, permissions
from duban.orgs.models import Person, Unit
from duban.tasks import evidence as evidence_files
from duban.tasks import lights
from duban.tasks import services as task_services
from duban.tasks.models import Category, SourceKind, Task

try:  # duban.notices arrives with issue 8 item 1; until then publishing sends no notice
    from duban.notices import services as notice_services
except ImportError:  # pragma: no cover - depends on the tree
    notice_services = None

try:  # the 问责建议 record lives in duban.supervision
    from duban.supervision import services as supervision_services
except ImportError:  # pragma: no cover - depends on the tree
    supervision_services = None


def _text(value, field: str, *, label: str, required: bool, max_length: int | None = None) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: _("请填写%(label)s。") % {"label": label}})
    if max_length and len(text) > max_length:
        raise ValidationError({field: _("%(label)s不能超过 %(n)s 个字。") % {"label": label, "n": max_length}})
    return text


def _in_scope(actor, units, field: str) -> None:
    allowed = set(permissions.scope(actor, Unit.objects.filter(pk__in=[u.pk for u in units]), "")
                  .values_list("pk", flat=True))
    for unit in units:
        if not isinstance(unit, Unit):
            raise ValidationError({field: _("单位不正确。")})
        if unit.pk not in allowed:
            raise ValidationError({field: _("单位“%(name)s”不在您的管理范围内。") % {"name": unit.name}})
        if not unit.is_active:
            raise ValidationError({field: _("单位“%(name)s”已停用。") % {"name": unit.name}})


def _notify(*, actor, kind: str, subject, url: str, title: str, body: str, unit: Unit, dedupe_key: str) -> None:
    if notice_services is None or not hasattr(notice_services, "notice_send"):
        return
    notice_services.notice_send(actor=actor, kind=kind, subject=subject, url=url, title=title, body=body,
                                to_unit=unit, copy_unit_leader=True, dedupe_key=dedupe_key)


# --- checks -----------------------------------------------------------------------------------
@transaction.atomic
def check_create(*, actor, title: str, mode: str, scope: str, stage: str, start_date: date, end_date: date,
                 units, tasks=(), team=(), summary: str = "") -> Check:
    """Record a check. A 明察 is published at once; a 暗访 stays hidden from the checked units
    until ``check_publish``."""
    permissions.require(actor, permissions.CHECKS_MANAGE)
    title = _text(title, "title", label=_("督查名称"), required=True, max_length=200)
    summary = _text(summary, "summary", label=_("督查情况"), required=False, max_length=10000)
    if mode not in CheckMode.values:
        raise ValidationError({"mode": _("督查方式不正确。")})
    if scope not in CheckScope.values:
        raise ValidationError({"scope": _("督查范围不正确。")})
    if stage not in CheckStage.values:
        raise ValidationError({"stage": _("督查阶段不正确。")})
    if not isinstance(start_date, date):
        raise ValidationError({"start_date": _("请填写开始日期。")})
    if not isinstance(end_date, date):
        raise ValidationError({"end_date": _("请填写结束日期。")})
    if end_date < start_date:
        raise ValidationError({"end_date": _("结束日期不能早于开始日期。")})
    units = list(units or [])
    if not units:
        raise ValidationError({"units": _("请至少选择一个被督查单位。")})
    _in_scope(actor, units, "units")
    tasks = list(tasks or [])
    for task in tasks:
        if not isinstance(task, Task):
            raise ValidationError({"tasks": _("督查任务不正确。")})
    team = list(team or [])
    for person in team:
        if not isinstance(person, Person) or not person.is_active:
            raise ValidationError({"team": _("督查组成员不正确。")})
    now = timezone.now()
    check = Check.objects.create(
        title=title, mode=mode, scope=scope, stage=stage, start_date=start_date, end_date=end_date,
        summary=summary, created_by=actor,
        published_at=now if mode == CheckMode.OPEN else None, published_by=actor if mode == CheckMode.OPEN else None)
    check.units.set(units)
    check.tasks.set(tasks)
    check.team.set(team)
    ledger.append(event="check_create", obj=check, actor=actor,
                  data={"title": title, "mode": mode, "scope": scope, "stage": stage,
                        "start_date": str(start_date), "end_date": str(end_date),
                        "units": [u.pk for u in units], "tasks": [t.pk for t in tasks], "team": [p.pk for p in team]})
    return check


def _lock(model, obj):
    return model.objects.select_for_update().get(pk=obj.pk)


@transaction.atomic
def check_publish(*, actor, check: Check) -> Check:
    """Publish a check to the checked units (暗访 → visible); each unit gets a notice."""
    permissions.require(actor, permissions.CHECKS_MANAGE)
    current = _lock(Check, check)
    if current.published_at is not None:
        raise ValidationError(_("该督查已通报,无需重复通报。"), code="published")
    current.published_at = timezone.now()
    current.published_by = actor
    current.version += 1
    current.save(update_fields=["published_at", "published_by", "version"])
    url = reverse("checks:detail", args=[current.pk])
    units = list(current.units.all())
    for unit in units:
        _notify(actor=actor, kind="check_published", subject=current, url=url,
                title=_("督查通报:%(title)s") % {"title": current.title},
                body=_("%(mode)s“%(title)s”(%(start)s 至 %(end)s)已通报,请查看督查发现并按要求整改。") % {
                    "mode": current.get_mode_display(), "title": current.title,
                    "start": current.start_date, "end": current.end_date},
                unit=unit, dedupe_key=f"check-{current.pk}-unit-{unit.pk}")
    ledger.append(event="check_publish", obj=current, actor=actor,
                  data={"mode": current.mode, "units": [u.pk for u in units]})
    check.published_at, check.published_by, check.version = current.published_at, actor, current.version
    return current


# --- findings ---------------------------------------------------------------------------------
@transaction.atomic
def finding_add(*, actor, check: Check, unit: Unit, description: str, requirement: str = "",
                rectify_due: date | None = None, files=()) -> Finding:
    """A problem found at one of the checked units, with photos/files (checked by content and
    size; one bad file refuses the whole finding, nothing stored)."""
    permissions.require(actor, permissions.CHECKS_MANAGE)
    description = _text(description, "description", label=_("问题描述"), required=True, max_length=5000)
    requirement = _text(requirement, "requirement", label=_("整改要求"), required=False, max_length=5000)
    if not isinstance(unit, Unit):
        raise ValidationError({"unit": _("请选择责任单位。")})
    if not check.units.filter(pk=unit.pk).exists():
        raise ValidationError({"unit": _("单位“%(name)s”不是本次督查的被督查单位。") % {"name": unit.name}})
    if rectify_due is not None:
        if not isinstance(rectify_due, date):
            raise ValidationError({"rectify_due": _("日期格式不正确。")})
        if rectify_due < check.start_date:
            raise ValidationError({"rectify_due": _("整改时限不能早于督查开始日期。")})
    try:
        checked = evidence_files.check_uploads(files)
    except ValidationError as exc:
        raise ValidationError({"files": exc.messages}) from None
    with evidence_files.stored(checked) as names:
        finding = Finding.objects.create(check_run=check, unit=unit, description=description,
                                         requirement=requirement, rectify_due=rectify_due, created_by=actor)
        FindingFile.objects.bulk_create([
            FindingFile(finding=finding, original_name=f.original_name, file_type=f.file_type, storage_name=name,
                        sha256=f.sha256, size=f.size, uploaded_by=actor)
            for f, name in zip(checked, names, strict=True)])
        ledger.append(event="finding_add", obj=finding, actor=actor,
                      data={"check": check.pk, "unit": unit.pk, "description": description,
                            "rectify_due": str(rectify_due) if rectify_due else None,
                            "files": [{"name": f.original_name, "sha256": f.sha256, "size": f.size} for f in checked]})
    return finding


def _source_for(actor, check: Check):
    if check.source_id is not None:
        return check.source
    source = task_services.source_create(actor=actor, kind=SourceKind.INSPECTION, title=check.title[:200],
                                         date=check.start_date, issuer=_("督查室"))
    Check.objects.filter(pk=check.pk).update(source=source)
    check.source = source
    return source


@transaction.atomic
def finding_make_task(*, actor, finding: Finding, due_date: date | None = None, category: Category | None = None,
                      responsible_post=None) -> Task:
    """The finding's rectification task (整改任务), assigned to the finding's unit at once: lead
    unit = the finding's unit, source = the check (督查巡察发现), due = the rectification deadline."""
    permissions.require(actor, permissions.CHECKS_MANAGE)
    current = _lock(Finding, finding)
    if current.task_id is not None:
        raise ValidationError(_("该问题已生成整改任务。"), code="has_task")
    due_date = due_date or current.rectify_due
    if due_date is None:
        raise ValidationError({"due_date": _("请填写整改时限。")})
    if not isinstance(due_date, date):
        raise ValidationError({"due_date": _("日期格式不正确。")})
    today = lights.today()
    if due_date < today:
        raise ValidationError({"due_date": _("整改时限不能早于今天。")})
    check = current.check_run
    source = _source_for(actor, check)
    detail = current.description
    if current.requirement:
        detail += "\n" + _("整改要求:") + current.requirement
    title = _("整改:%(text)s") % {"text": " ".join(current.description.split())[:60]}
    try:
        task = task_services.task_create(actor=actor, title=title, detail=detail, lead_unit=current.unit,
                                         source=source, category=category, start_date=today, due_date=due_date,
                                         responsible_post=responsible_post)
        task = task_services.task_assign(actor=actor, task=task)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise ValidationError({("due_date" if k == "due_date" else "__all__"): v
                                   for k, v in exc.error_dict.items()}) from None
        raise
    current.task = task
    current.rectify_due = due_date
    current.version += 1
    current.save(update_fields=["task", "rectify_due", "version"])
    finding.task, finding.rectify_due, finding.version = task, due_date, current.version
    ledger.append(event="finding_make_task", obj=current, actor=actor,
                  data={"check": check.pk, "task": task.pk, "unit": current.unit_id, "due_date": str(due_date)})
    return task


def accountability_available() -> bool:
    return supervision_services is not None


def _proposal_create(*, actor, task: Task, unit: Unit, reason: str, miss_date: date | None):
    """The 问责建议 record of duban.supervision (the discipline role's list shows it), through its
    service when it has one; otherwise the record is written here the way its scan writes
    one, with a notice to the discipline role."""
    if hasattr(supervision_services, "proposal_create"):
        return supervision_services.proposal_create(actor=actor, task=task, unit=unit, reason=reason)
    from duban.supervision.models import MissKind, Proposal

    proposal = Proposal.objects.create(task=task, unit=unit, miss_kind=MissKind.MANUAL, miss_date=miss_date,
                                       reason=reason, created_on=lights.today(),
                                       dedupe_key=f"check-finding-{task.pk}")
    readers = supervision_services.discipline_users()
    if readers and notice_services is not None:
        notice_services.notice_send(actor=actor, kind="proposal", subject=task,
                                    url=reverse("tasks:detail", args=[task.pk]),
                                    title=_("问责建议:%(title)s") % {"title": task.title}, body=reason,
                                    copy_leaders=readers, dedupe_key=proposal.dedupe_key)
    return proposal


@transaction.atomic
def finding_propose_accountability(*, actor, finding: Finding, reason: str):
    """A 问责建议 for this finding's rectification task (the discipline role sees it)."""
    permissions.require(actor, permissions.CHECKS_MANAGE)
    reason = _text(reason, "reason", label=_("问责理由"), required=True, max_length=2000)
    if not accountability_available():
        raise ValidationError(_("问责建议功能尚未启用。"), code="unavailable")
    current = _lock(Finding, finding)
    if current.accountability_id is not None:
        raise ValidationError(_("该问题已提出问责建议。"), code="proposed")
    if current.task_id is None:
        raise ValidationError({"reason": _("请先生成整改任务,再提出问责建议。")}, code="no_task")
    proposal = _proposal_create(
        actor=actor, task=current.task, unit=current.unit, miss_date=current.rectify_due,
        reason=_("督查“%(check)s”发现:%(text)s。%(reason)s") % {
            "check": current.check_run.title, "text": current.description, "reason": reason})
    current.accountability_id = proposal.pk
    current.version += 1
    current.save(update_fields=["accountability_id", "version"])
    finding.accountability_id, finding.version = proposal.pk, current.version
    ledger.append(event="finding_propose_accountability", obj=current, actor=actor,
                  data={"proposal": proposal.pk, "task": current.task_id, "reason": reason})
    return proposal


class FindingFileIntegrityError(Exception):
    """The stored file no longer matches the digest taken at upload."""


def finding_file_open(*, user, file: FindingFile) -> bytes:
    """The file's bytes if its SHA-256 still matches; a mismatch is recorded and refused."""
    from django.core.files.storage import default_storage

    from duban.core.models import Outcome

    try:
        with default_storage.open(file.storage_name, "rb") as handle:
            data = handle.read()
    except OSError:
        data = None
    if data is not None and hashlib.sha256(data).hexdigest() == file.sha256:
        return data
    with transaction.atomic():
        ledger.append(event="integrity_failure", outcome=Outcome.FAILURE, obj=file, actor=user,
                      data={"finding": file.finding_id, "expected": file.sha256, "missing": data is None})
    raise FindingFileIntegrityError(file.pk)


@transaction.atomic
def bulletin_export(*, actor, year: int, month: int) -> tuple[str, bytes]:
    """The monthly 督查通报 as .docx (file name, bytes); the export is a ledger entry."""
    from duban.checks import bulletin, selectors

    permissions.require(actor, permissions.CHECKS_MANAGE)
    data = selectors.bulletin_data(year, month)
    name, content = bulletin.render(data)
    ledger.append(event="bulletin_export", object_type="checks.bulletin", object_id=f"{year}-{month:02d}",
                  object_repr=name, actor=actor,
                  data={"year": year, "month": month, "completed": data.completed, "overdue": data.overdue,
                        "checks": data.check_count, "findings": data.finding_count})
    return name, content

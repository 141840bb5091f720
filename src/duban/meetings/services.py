"""Every change to meetings and decisions: validated, atomic, one ledger entry per change.

A decision becomes a task through duban.tasks.services (task_create + task_assign) with the
meeting as its source (会议) and the group's leader as the responsible leader; the decision keeps
the link. Creating tasks needs the 督查室's TASKS_MANAGE: a group office records the meeting and
its decisions, the 督查室 turns them into tasks.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils.translation import gettext as _

from duban.core import ledger, permissions
from duban.core.services import ConcurrentEditError, save_versioned
from duban.meetings import selectors
from duban.meetings.models import AgendaItem, Attendance, Decision, Meeting
from duban.orgs.models import LeadingGroup, Person, Unit
from duban.tasks import lights
from duban.tasks import services as task_services
from duban.tasks.models import SourceKind, Task

try:  # duban.notices arrives with issue 8 item 1; until then no notice is sent
    from duban.notices import services as notice_services
except ImportError:  # pragma: no cover - depends on the tree
    notice_services = None


def _text(value, field: str, *, label: str, required: bool, max_length: int | None = None) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: _("请填写%(label)s。") % {"label": label}})
    if max_length and len(text) > max_length:
        raise ValidationError({field: _("%(label)s不能超过 %(n)s 个字。") % {"label": label, "n": max_length}})
    return text


def _require_group(actor, group: LeadingGroup) -> None:
    permissions.require(actor, permissions.MEETINGS_MANAGE)
    if not selectors.can_manage_group(actor, group):
        raise PermissionDenied(_("您不能管理该领导小组的会议。"))


def _lead_unit_in_scope(actor, unit: Unit | None) -> None:
    if unit is None:
        return
    if not isinstance(unit, Unit):
        raise ValidationError({"lead_unit": _("牵头单位不正确。")})
    if not permissions.scope(actor, Unit.objects.filter(pk=unit.pk), "").exists():
        raise ValidationError({"lead_unit": _("单位“%(name)s”不在您的管理范围内。") % {"name": unit.name}})
    if not unit.is_active:
        raise ValidationError({"lead_unit": _("单位“%(name)s”已停用。") % {"name": unit.name}})


@transaction.atomic
def meeting_create(*, actor, group: LeadingGroup, title: str, date: date, place: str = "", chair: Person | None = None,
                   agenda=(), attendance=(), minutes: str = "") -> Meeting:
    """A meeting with its agenda (list of titles) and attendance (dicts person/present/reason:
    every absent member needs a reason; only the group's leader, deputies and members)."""
    _require_group(actor, group)
    title = _text(title, "title", label=_("会议名称"), required=True, max_length=200)
    place = _text(place, "place", label=_("会议地点"), required=False, max_length=100)
    minutes = _text(minutes, "minutes", label=_("会议纪要"), required=False, max_length=20000)
    if not isinstance(date, type(lights.today())):
        raise ValidationError({"date": _("请填写会议日期。")})
    agenda = [a.strip() for a in agenda or [] if a and a.strip()]
    if not agenda:
        raise ValidationError({"agenda": _("请至少填写一个议题。")})
    for item in agenda:
        if len(item) > 300:
            raise ValidationError({"agenda": _("议题不能超过 300 个字。")})
    members = {p.pk: role for p, role in selectors.group_members(group)}
    if chair is not None and chair.pk not in members:
        raise ValidationError({"chair": _("主持人应是领导小组的组长、副组长或成员。")})
    rows, seen = [], set()
    for row in attendance or []:
        person = row["person"]
        if person.pk not in members:
            raise ValidationError({"attendance": _("“%(name)s”不是该领导小组的成员。") % {"name": person.name}})
        if person.pk in seen:
            raise ValidationError({"attendance": _("“%(name)s”重复。") % {"name": person.name}})
        seen.add(person.pk)
        present = bool(row.get("present"))
        reason = (row.get("reason") or "").strip()[:200]
        if not present and not reason:
            raise ValidationError({"attendance": _("请填写“%(name)s”的缺席原因。") % {"name": person.name}})
        rows.append(Attendance(person=person, role=members[person.pk], present=present,
                               reason="" if present else reason))
    number = (Meeting.objects.filter(group=group, date__year=date.year).aggregate(n=Max("number"))["n"] or 0) + 1
    meeting = Meeting.objects.create(group=group, title=title, date=date, place=place, chair=chair, minutes=minutes,
                                     number=number, created_by=actor)
    AgendaItem.objects.bulk_create([AgendaItem(meeting=meeting, order=i, title=t) for i, t in enumerate(agenda, 1)])
    for r in rows:
        r.meeting = meeting
    Attendance.objects.bulk_create(rows)
    ledger.append(event="meeting_create", obj=meeting, actor=actor,
                  data={"group": group.pk, "title": title, "date": str(date), "place": place, "number": number,
                        "agenda": agenda,
                        "attendance": [{"person": r.person_id, "present": r.present, "reason": r.reason}
                                       for r in rows]})
    return meeting


@transaction.atomic
def meeting_update_minutes(*, actor, meeting: Meeting, minutes: str, expected_version: int | None = None) -> Meeting:
    """The minutes' text, often written after the meeting (optimistic locking, before/after in the ledger)."""
    _require_group(actor, meeting.group)
    minutes = _text(minutes, "minutes", label=_("会议纪要"), required=False, max_length=20000)
    current = Meeting.objects.select_for_update().get(pk=meeting.pk)
    expected_version = meeting.version if expected_version is None else expected_version
    if current.version != expected_version:
        raise ConcurrentEditError()
    before = current.minutes
    current.minutes = minutes
    save_versioned(current, expected_version=expected_version, fields=["minutes"])
    ledger.append(event="meeting_update", obj=current, actor=actor,
                  data={"changes": ledger.diff({"minutes": before}, {"minutes": minutes})})
    meeting.minutes, meeting.version = current.minutes, current.version
    return current


@transaction.atomic
def decision_add(*, actor, meeting: Meeting, text: str, lead_unit: Unit | None = None,
                 due_date: date | None = None) -> Decision:
    """A decision (议定事项). Lead unit and due date may come later, but a task needs both."""
    _require_group(actor, meeting.group)
    text = _text(text, "text", label=_("议定事项"), required=True, max_length=2000)
    _lead_unit_in_scope(actor, lead_unit)
    if due_date is not None and due_date < meeting.date:
        raise ValidationError({"due_date": _("完成时限不能早于会议日期。")})
    Meeting.objects.select_for_update().filter(pk=meeting.pk).first()  # one number at a time
    order = (meeting.decisions.aggregate(n=Max("order"))["n"] or 0) + 1
    decision = Decision.objects.create(meeting=meeting, order=order, text=text, lead_unit=lead_unit,
                                       due_date=due_date, created_by=actor)
    ledger.append(event="decision_add", obj=decision, actor=actor,
                  data={"meeting": meeting.pk, "order": order, "text": text,
                        "lead_unit": lead_unit.pk if lead_unit else None,
                        "due_date": str(due_date) if due_date else None})
    return decision


def _source_for(actor, meeting: Meeting):
    if meeting.source_id is not None:
        return meeting.source
    source = task_services.source_create(actor=actor, kind=SourceKind.MEETING, title=meeting.title[:200],
                                         date=meeting.date, issuer=meeting.group.name[:100])
    Meeting.objects.filter(pk=meeting.pk).update(source=source)
    meeting.source = source
    return source


@transaction.atomic
def decision_make_task(*, actor, decision: Decision) -> Task:
    """The decision as an assigned task: lead unit and due date from the decision, the meeting
    as source, the group's leader as responsible leader."""
    _require_group(actor, decision.meeting.group)
    permissions.require(actor, permissions.TASKS_MANAGE)
    current = Decision.objects.select_for_update().select_related("meeting__group").get(pk=decision.pk)
    if current.task_id is not None:
        raise ValidationError(_("该议定事项已生成任务。"), code="has_task")
    if current.lead_unit_id is None:
        raise ValidationError({"lead_unit": _("议定事项未指定牵头单位,不能生成任务。")})
    if current.due_date is None:
        raise ValidationError({"due_date": _("议定事项未填写完成时限,不能生成任务。")})
    if current.due_date < lights.today():
        raise ValidationError({"due_date": _("完成时限已过,不能生成任务。")})
    meeting = current.meeting
    source = _source_for(actor, meeting)
    title = " ".join(current.text.split())
    title = title if len(title) <= 300 else title[:299] + "…"
    leader = meeting.group.leader if meeting.group.leader_id and meeting.group.leader.is_active else None
    task = task_services.task_create(actor=actor, title=title, detail=current.text, lead_unit=current.lead_unit,
                                     source=source, start_date=lights.today(), due_date=current.due_date,
                                     responsible_leader=leader)
    task = task_services.task_assign(actor=actor, task=task)
    current.task = task
    current.version += 1
    current.save(update_fields=["task", "version"])
    decision.task, decision.version = task, current.version
    if notice_services is not None and hasattr(notice_services, "notice_send"):
        notice_services.notice_send(
            actor=actor, kind="meeting_decision", subject=task, url=reverse("tasks:detail", args=[task.pk]),
            title=_("%(group)s议定事项:%(text)s") % {"group": meeting.group.name, "text": title[:60]},
            body=_("%(date)s %(meeting)s议定,由贵单位牵头,请于%(due)s前完成。") % {
                "date": meeting.date, "meeting": meeting.title, "due": current.due_date},
            to_unit=current.lead_unit, copy_unit_leader=True, dedupe_key=f"decision-{current.pk}")
    ledger.append(event="decision_make_task", obj=current, actor=actor,
                  data={"meeting": meeting.pk, "task": task.pk, "lead_unit": current.lead_unit_id,
                        "due_date": str(current.due_date)})
    return task


@transaction.atomic
def minutes_export(*, actor, meeting: Meeting) -> tuple[str, bytes]:
    """The 会议纪要 as .docx (file name, bytes); the export is a ledger entry."""
    from duban.meetings import minutes

    permissions.require(actor, permissions.MEETINGS_VIEW)
    name, content = minutes.render(meeting)
    ledger.append(event="minutes_export", obj=meeting, actor=actor, data={"file": name})
    return name, content

"""Every change to 巡察: validated, atomic, one ledger entry per change as the last statement.

Rectification tasks are made and moved through duban.tasks.services, so they live the ordinary
lifecycle (the unit acknowledges, reports, asks to close; 销号 is the lifecycle's approval) and the
supervision scan escalates them when overdue like every open task (category 巡察整改, source kind
督查巡察发现). Notices go through duban.notices.
"""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.core import ledger, permissions
from duban.inspections import planner as planning
from duban.inspections import selectors
from duban.inspections.models import (
    STAGE_FIELDS,
    Finding,
    FindingCategory,
    FollowUp,
    FollowUpResult,
    InspectorPool,
    MemberRole,
    Rectification,
    Relative,
    Round,
    Severity,
    Stage,
    Target,
    Team,
    TeamMember,
    Term,
    WorkHistory,
)
from duban.notices import services as notice_services
from duban.orgs.models import Person, Unit
from duban.supervision import services as supervision_services
from duban.tasks import lights, statemachine
from duban.tasks import services as task_services
from duban.tasks.models import Category, Evidence, SourceKind, TaskStatus

RECTIFICATION_CATEGORY = "巡察整改"
MANAGE = permissions.INSPECTIONS_MANAGE


def _text(value, field: str, *, label: str, required: bool, max_length: int) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise ValidationError({field: _("%(label)s格式不正确。") % {"label": label}})
    if required and not text:
        raise ValidationError({field: _("请填写%(label)s。") % {"label": label}})
    if len(text) > max_length:
        raise ValidationError({field: _("%(label)s不能超过 %(n)s 个字。") % {"label": label, "n": max_length}})
    return text


def _date(value, field: str, label: str) -> date:
    if not isinstance(value, date):
        raise ValidationError({field: _("请填写%(label)s。") % {"label": label}})
    return value


def _lock(model, obj):
    return model.objects.select_for_update().get(pk=obj.pk)


def _bump(obj, fields: list[str]) -> None:
    obj.version += 1
    obj.save(update_fields=[*fields, "version"])


# --- terms, the pool, people's history --------------------------------------------------------
@transaction.atomic
def term_create(*, actor, name: str, start_date: date, years: int = 5, conflict_years: int = 5,
                followup_months: int = 6) -> Term:
    permissions.require(actor, MANAGE)
    name = _text(name, "name", label=_("任期名称"), required=True, max_length=100)
    start_date = _date(start_date, "start_date", _("任期开始"))
    for field, value, label in (("years", years, _("任期年数")), ("conflict_years", conflict_years, _("回避年限")),
                                ("followup_months", followup_months, _("回头看间隔(月)"))):
        if not isinstance(value, int) or not 1 <= value <= 20:
            raise ValidationError({field: _("%(label)s应为 1 到 20 之间的整数。") % {"label": label}})
    if Term.objects.filter(name=name).exists():
        raise ValidationError({"name": _("任期“%(name)s”已存在。") % {"name": name}})
    term = Term.objects.create(name=name, start_date=start_date, years=years, conflict_years=conflict_years,
                               followup_months=followup_months)
    ledger.append(event="inspection_term_create", obj=term, actor=actor,
                  data={"name": name, "start_date": str(start_date), "years": years,
                        "conflict_years": conflict_years, "followup_months": followup_months})
    return term


@transaction.atomic
def pool_add(*, actor, person: Person, note: str = "") -> InspectorPool:
    permissions.require(actor, MANAGE)
    if not isinstance(person, Person) or not person.is_active:
        raise ValidationError({"person": _("请选择在职人员。")})
    note = _text(note, "note", label=_("备注"), required=False, max_length=200)
    entry, created = InspectorPool.objects.get_or_create(person=person, defaults={"note": note})
    if not created and entry.is_active:
        raise ValidationError({"person": _("%(name)s已在巡察干部库中。") % {"name": person.name}})
    if not created:
        entry.is_active, entry.note = True, note
        entry.save(update_fields=["is_active", "note"])
    ledger.append(event="inspection_pool_add", obj=entry, actor=actor, data={"person": person.pk, "note": note})
    return entry


@transaction.atomic
def history_add(*, actor, person: Person, unit: Unit, start_year: int, end_year: int | None = None) -> WorkHistory:
    """A unit the person worked in, with the years (for the 回避 rule)."""
    permissions.require(actor, MANAGE)
    if not isinstance(unit, Unit):
        raise ValidationError({"unit": _("请选择单位。")})
    this_year = lights.today().year
    if not isinstance(start_year, int) or not 1950 <= start_year <= this_year:
        raise ValidationError({"start_year": _("起始年份不正确。")})
    if end_year is not None and (not isinstance(end_year, int) or end_year < start_year or end_year > this_year):
        raise ValidationError({"end_year": _("截止年份不能早于起始年份,也不能晚于今年。")})
    row = WorkHistory.objects.create(person=person, unit=unit, start_year=start_year, end_year=end_year)
    ledger.append(event="inspection_history_add", obj=row, object_repr=f"{person.name} {unit.name}", actor=actor,
                  data={"person": person.pk, "unit": unit.pk, "start_year": start_year, "end_year": end_year})
    return row


@transaction.atomic
def relative_add(*, actor, person: Person, name: str, relation: str, unit: Unit) -> Relative:
    permissions.require(actor, MANAGE)
    name = _text(name, "name", label=_("亲属姓名"), required=True, max_length=50)
    relation = _text(relation, "relation", label=_("关系"), required=True, max_length=20)
    if not isinstance(unit, Unit):
        raise ValidationError({"unit": _("请选择单位。")})
    row = Relative.objects.create(person=person, name=name, relation=relation, unit=unit)
    ledger.append(event="inspection_relative_add", obj=row, object_repr=f"{person.name} {relation}", actor=actor,
                  data={"person": person.pk, "relation": relation, "unit": unit.pk})
    return row


# --- rounds -----------------------------------------------------------------------------------
def _validate_dates(start_date, end_date, stages: dict) -> dict:
    start_date = _date(start_date, "start_date", _("开始日期"))
    end_date = _date(end_date, "end_date", _("结束日期"))
    if end_date < start_date:
        raise ValidationError({"end_date": _("结束日期不能早于开始日期。")})
    values = {}
    previous = None
    for stage, field in STAGE_FIELDS:
        label = Stage(stage).label
        value = _date(stages.get(field), field, label)
        if value < start_date or value > end_date:
            raise ValidationError({field: _("“%(stage)s”的日期应在本轮起止日期之内。") % {"stage": label}})
        if previous is not None and value < previous[1]:
            raise ValidationError({field: _("“%(stage)s”不能早于“%(prev)s”。") % {
                "stage": label, "prev": Stage(previous[0]).label}})
        values[field] = value
        previous = (stage, value)
    return values


def default_stages(start: date, end: date) -> dict:
    """Stage dates spread over the period (a starting point for the form)."""
    span = max((end - start).days, 0)
    shares = (0, 0.05, 0.1, 0.4, 0.45, 0.5, 1.0)
    return {field: start + relativedelta(days=int(span * share)) for (_s, field), share in zip(STAGE_FIELDS, shares,
                                                                                            strict=True)}


@transaction.atomic
def round_create(*, actor, term: Term, name: str, start_date: date, end_date: date, stages: dict, units) -> Round:
    """A round with its period, the seven stage dates in order, and its target units (each once)."""
    permissions.require(actor, MANAGE)
    if not isinstance(term, Term):
        raise ValidationError({"term": _("请选择任期。")})
    name = _text(name, "name", label=_("轮次名称"), required=True, max_length=200)
    dates = _validate_dates(start_date, end_date, stages)
    if dates["mobilize_on"] < term.start_date or end_date > term.end_date + relativedelta(years=1):
        raise ValidationError({"start_date": _("本轮应在任期“%(term)s”之内开始。") % {"term": term.name}})
    units = list(units or [])
    if not units:
        raise ValidationError({"units": _("请至少选择一个被巡察单位。")})
    seen = set()
    for unit in units:
        if not isinstance(unit, Unit) or not unit.is_active:
            raise ValidationError({"units": _("被巡察单位不正确。")})
        if unit.pk in seen:
            raise ValidationError({"units": _("“%(name)s”在本轮中重复,同一轮次一个单位只巡察一次。") % {"name": unit.name}})
        seen.add(unit.pk)
    round_ = Round.objects.create(term=term, name=name, start_date=start_date, end_date=end_date, created_by=actor,
                                  **dates)
    Target.objects.bulk_create([Target(round=round_, unit=u) for u in units])
    ledger.append(event="inspection_round_create", obj=round_, actor=actor,
                  data={"term": term.pk, "name": name, "start_date": str(start_date), "end_date": str(end_date),
                        "stages": {k: str(v) for k, v in dates.items()}, "units": [u.pk for u in units]})
    return round_


@transaction.atomic
def team_set(*, actor, round_: Round, name: str, leader: Person, deputy: Person | None = None, members=(),
             units=()) -> Team:
    """Form (or re-form) a team: 组长, 副组长, members, all from the inspector pool, and the units
    of this round it inspects. A member in conflict with one of the units (回避) is refused, with why."""
    permissions.require(actor, MANAGE)
    name = _text(name, "name", label=_("巡察组"), required=True, max_length=50)
    if not isinstance(leader, Person):
        raise ValidationError({"leader": _("请选择组长。")})
    people = [(leader, MemberRole.LEADER)]
    if deputy is not None:
        people.append((deputy, MemberRole.DEPUTY))
    people += [(p, MemberRole.MEMBER) for p in members or () if p not in (leader, deputy)]
    ids = [p.pk for p, _r in people]
    if len(set(ids)) != len(ids):
        raise ValidationError({"members": _("同一人不能在组内担任两个职务。")})
    in_pool = set(selectors.pool_people().filter(pk__in=ids).values_list("pk", flat=True))
    for person, role in people:
        if person.pk not in in_pool:
            field = {MemberRole.LEADER: "leader", MemberRole.DEPUTY: "deputy"}.get(role, "members")
            raise ValidationError({field: _("%(name)s不在巡察干部库中。") % {"name": person.name}})
    units = list(units or [])
    if not units:
        raise ValidationError({"units": _("请选择本组巡察的单位。")})
    targets = {t.unit_id: t for t in Target.objects.filter(round=round_, unit__in=units).select_related("unit")}
    for unit in units:
        if unit.pk not in targets:
            raise ValidationError({"units": _("“%(name)s”不是本轮的被巡察单位。") % {"name": unit.name}})
    existing = Team.objects.filter(round=round_, name=name).first()
    other_members = (TeamMember.objects.filter(team__round=round_, person_id__in=ids)
                     .exclude(team=existing).select_related("person", "team").first())
    if other_members is not None:
        raise ValidationError({"members": _("%(name)s已在本轮的%(team)s中。") % {
            "name": other_members.person.name, "team": other_members.team.name}})
    taken = [t for t in targets.values() if t.team_id is not None and (existing is None or t.team_id != existing.pk)]
    if taken:
        raise ValidationError({"units": _("“%(name)s”已由本轮另一个巡察组负责。") % {"name": taken[0].unit.name}})
    conflicts = selectors.conflict_reasons([p for p, _r in people], units, on=round_.start_date,
                                           years=round_.term.conflict_years)
    if conflicts:
        reason = next(iter(conflicts.values()))
        person_id = next(iter(conflicts))[0]
        role = {p.pk: r for p, r in people}[person_id]
        field = {MemberRole.LEADER: "leader", MemberRole.DEPUTY: "deputy"}.get(role, "members")
        raise ValidationError({field: _("须回避:%(reason)s。") % {"reason": reason}}, code="conflict")
    team = existing or Team.objects.create(round=round_, name=name)
    TeamMember.objects.filter(team=team).delete()
    TeamMember.objects.bulk_create([TeamMember(team=team, person=p, role=r) for p, r in people])
    Target.objects.filter(team=team).update(team=None)
    Target.objects.filter(round=round_, unit__in=units).update(team=team)
    ledger.append(event="inspection_team_set", obj=team, actor=actor,
                  data={"round": round_.pk, "members": [{"person": p.pk, "role": r} for p, r in people],
                        "units": [u.pk for u in units]})
    return team


@transaction.atomic
def round_create_from_plan(*, actor, term: Term, name: str, start_date: date, end_date: date, stages: dict,
                           proposal: list[dict]) -> Round:
    """The planner's proposed round as a real round: its units, and one team per proposed team
    (``proposal``: [{"members": [person ids, 组长 first], "units": [unit ids]}]), every rule rechecked."""
    permissions.require(actor, MANAGE)
    if not proposal or not isinstance(proposal, list):
        raise ValidationError(_("没有可用的规划方案,请重新生成。"))
    try:
        unit_ids = [int(u) for t in proposal for u in t["units"]]
        member_ids = [[int(p) for p in t["members"]] for t in proposal]
    except (KeyError, TypeError, ValueError):
        raise ValidationError(_("规划方案格式不正确,请重新生成。")) from None
    units_by_id = Unit.objects.in_bulk(unit_ids)
    people_by_id = Person.objects.in_bulk([p for ms in member_ids for p in ms])
    if len(units_by_id) != len(set(unit_ids)) or any(not ms or any(p not in people_by_id for p in ms)
                                                      for ms in member_ids):
        raise ValidationError(_("规划方案中的单位或人员已不存在,请重新生成。"))
    round_ = round_create(actor=actor, term=term, name=name, start_date=start_date, end_date=end_date,
                          stages=stages, units=[units_by_id[u] for u in unit_ids])
    for index, (team, ms) in enumerate(zip(proposal, member_ids, strict=True), start=1):
        people = [people_by_id[p] for p in ms]
        team_set(actor=actor, round_=round_, name=_("第%(n)s巡察组") % {"n": index}, leader=people[0],
                 deputy=people[1] if len(people) > 1 else None, members=people[2:],
                 units=[units_by_id[int(u)] for u in team["units"]])
    ledger.append(event="inspection_round_from_plan", obj=round_, actor=actor,
                  data={"teams": len(proposal), "units": unit_ids})
    return round_


def plan_for_term(*, term: Term, capacity: planning.Capacity, today: date | None = None,
                  method: str = "auto") -> planning.Plan:
    """The planner on the term's units still neither covered nor planned, with the pool and its
    回避 pairs. Reads only; raises ValidationError on a capacity of zero."""
    try:
        planning.validate_capacity(capacity)
    except planning.CapacityError as exc:
        raise ValidationError({exc.field: exc.message}) from None
    today = today or lights.today()
    open_units = [row["unit"] for row in selectors.coverage_matrix(term, today) if row["state"] == "uncovered"]
    people = list(selectors.pool_people())
    conflicts = selectors.conflict_reasons(people, open_units, on=today, years=term.conflict_years)
    return planning.plan(units={u.pk: u.name for u in open_units}, inspectors={p.pk: p.name for p in people},
                         conflicts=set(conflicts), rounds_available=selectors.rounds_left(term, capacity.rounds_per_year,
                                                                                          today),
                         capacity=capacity, method=method)


def _notify_units(*, actor, round_: Round, units, kind: str, title: str, body: str, key: str) -> None:
    items = [{"kind": kind, "subject": round_, "url": reverse("inspections:my_findings"), "title": title,
              "body": body, "to_unit": unit, "copy_unit_leader": True, "dedupe_key": f"{key}-{unit.pk}"}
             for unit in units]
    if items:
        notice_services.notices_send_bulk(actor=actor, items=items)


@transaction.atomic
def round_feedback(*, actor, round_: Round, on: date | None = None) -> Round:
    """反馈: from this day the inspected units see their findings (and get a notice)."""
    permissions.require(actor, MANAGE)
    current = _lock(Round, round_)
    if current.fed_back_on is not None:
        raise ValidationError(_("本轮已于 %(day)s 反馈。") % {"day": current.fed_back_on}, code="fed_back")
    on = on or lights.today()
    if on < current.start_date:
        raise ValidationError(_("本轮尚未开始,不能反馈。"), code="too_early")
    current.fed_back_on = on
    _bump(current, ["fed_back_on"])
    units = [t.unit for t in current.targets.select_related("unit")]
    _notify_units(actor=actor, round_=current, units=units, kind="check_published",
                  title=_("巡察反馈:%(name)s") % {"name": current.name},
                  body=_("“%(name)s”已向你单位反馈巡察意见,请查看问题清单并制定整改方案。") % {"name": current.name},
                  key=f"inspection-feedback-{current.pk}")
    ledger.append(event="inspection_round_feedback", obj=current, actor=actor,
                  data={"on": str(on), "units": [u.pk for u in units]})
    round_.fed_back_on, round_.version = current.fed_back_on, current.version
    return current


# --- findings ---------------------------------------------------------------------------------
@transaction.atomic
def finding_add(*, actor, round_: Round, unit: Unit, category: str, description: str, evidence: str = "",
                severity: str = Severity.GENERAL, responsible_person: str = "", transferred: bool = False) -> Finding:
    permissions.require(actor, MANAGE)
    if not isinstance(unit, Unit) or not Target.objects.filter(round=round_, unit=unit).exists():
        raise ValidationError({"unit": _("请选择本轮的被巡察单位。")})
    if category not in FindingCategory.values:
        raise ValidationError({"category": _("问题类别不正确。")})
    if severity not in Severity.values:
        raise ValidationError({"severity": _("严重程度不正确。")})
    description = _text(description, "description", label=_("问题描述"), required=True, max_length=5000)
    evidence = _text(evidence, "evidence", label=_("事实依据"), required=False, max_length=10000)
    responsible_person = _text(responsible_person, "responsible_person", label=_("责任人"), required=False,
                               max_length=50)
    finding = Finding.objects.create(round=round_, unit=unit, category=category, description=description,
                                     evidence=evidence, severity=severity, responsible_person=responsible_person,
                                     transferred=bool(transferred), created_by=actor)
    if transferred:
        _notify_discipline(actor=actor, finding=finding)
    ledger.append(event="inspection_finding_add", obj=finding, actor=actor,
                  data={"round": round_.pk, "unit": unit.pk, "category": category, "severity": severity,
                        "transferred": bool(transferred)})
    return finding


def _notify_discipline(*, actor, finding: Finding) -> None:
    items = [{"kind": "proposal", "subject": finding.round,
              "url": reverse("inspections:round", args=[finding.round_id]),
              "title": _("巡察移交问题线索:%(unit)s") % {"unit": finding.unit.name},
              "body": finding.description[:400], "to_user": user,
              "dedupe_key": f"inspection-transfer-{finding.pk}"}
             for user in supervision_services.discipline_users()]
    if items:
        notice_services.notices_send_bulk(actor=actor, items=items)


@transaction.atomic
def findings_viewed(*, actor, findings, where: str) -> None:
    """Every view of findings is audited: one entry naming the findings shown."""
    ids = [f.pk for f in findings]
    if not ids:
        return
    ledger.append(event="inspection_finding_view", object_type="inspections.finding",
                  object_id=str(ids[0]) if len(ids) == 1 else "", object_repr=where[:255], actor=actor,
                  data={"findings": ids, "where": where})


# --- rectification ----------------------------------------------------------------------------
def _category(actor) -> Category:
    found = Category.objects.filter(name=RECTIFICATION_CATEGORY).first()
    return found or task_services.category_create(actor=actor, name=RECTIFICATION_CATEGORY)


def _source(actor, round_: Round):
    if round_.source_id is not None:
        return round_.source
    source = task_services.source_create(actor=actor, kind=SourceKind.INSPECTION, title=round_.name[:200],
                                         date=round_.start_date, issuer=_("巡察办"))
    Round.objects.filter(pk=round_.pk).update(source=source)
    round_.source = source
    return source


@transaction.atomic
def rectification_create(*, actor, finding: Finding, due_date: date, requirement: str = "",
                         lead_unit: Unit | None = None) -> Rectification:
    """One rectification task of the finding, assigned at once to the lead unit (default: the
    finding's unit); only after 反馈, so the task does not reveal the finding earlier."""
    permissions.require(actor, MANAGE)
    permissions.require(actor, permissions.TASKS_MANAGE)
    round_ = finding.round
    if round_.fed_back_on is None:
        raise ValidationError(_("本轮尚未反馈,反馈后才能交办整改任务。"), code="not_fed_back")
    due_date = _date(due_date, "due_date", _("整改时限"))
    if due_date < lights.today():
        raise ValidationError({"due_date": _("整改时限不能早于今天。")})
    requirement = _text(requirement, "requirement", label=_("整改要求"), required=False, max_length=5000)
    lead_unit = lead_unit or finding.unit
    detail = finding.description + ("\n" + _("整改要求:") + requirement if requirement else "")
    try:
        task = task_services.task_create(
            actor=actor, title=_("巡察整改:%(text)s") % {"text": " ".join(finding.description.split())[:60]},
            detail=detail, lead_unit=lead_unit, source=_source(actor, round_), category=_category(actor),
            start_date=lights.today(), due_date=due_date)
        task = task_services.task_assign(actor=actor, task=task)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise ValidationError({("due_date" if k == "due_date" else "__all__"): v
                                   for k, v in exc.error_dict.items()}) from None
        raise
    rect = Rectification.objects.create(finding=finding, task=task)
    ledger.append(event="inspection_rectification_create", obj=rect, object_repr=task.title, actor=actor,
                  data={"finding": finding.pk, "task": task.pk, "unit": lead_unit.pk, "due_date": str(due_date)})
    return rect


def _require_lead(actor, rect: Rectification) -> None:
    if not statemachine.acts_for_lead(actor, rect.task):
        raise PermissionDenied(_("只有整改责任单位可以提交整改方案和佐证材料。"))


@transaction.atomic
def rectification_plan_submit(*, actor, rectification: Rectification, measures: str) -> Rectification:
    """The unit's rectification plan (整改方案 with its measures); signs the task if not yet signed."""
    _require_lead(actor, rectification)
    measures = _text(measures, "measures", label=_("整改措施"), required=True, max_length=10000)
    current = _lock(Rectification, rectification)
    if current.closed_on is not None:
        raise ValidationError(_("该整改已销号。"), code="closed")
    task = current.task
    if task.status == TaskStatus.ASSIGNED:
        task = task_services.task_acknowledge(actor=actor, task=task)
    if task.status == TaskStatus.ACKNOWLEDGED:
        task_services.task_start(actor=actor, task=task)
    current.measures = measures
    current.plan_submitted_at = timezone.now()
    _bump(current, ["measures", "plan_submitted_at"])
    ledger.append(event="inspection_plan_submit", obj=current, actor=actor,
                  data={"task": current.task_id, "measures": measures[:2000]})
    rectification.measures, rectification.version = measures, current.version
    return current


@transaction.atomic
def rectification_evidence_submit(*, actor, rectification: Rectification, narrative: str, files=()) -> Rectification:
    """The unit reports the rectification done with evidence: the task's completion request."""
    _require_lead(actor, rectification)
    current = _lock(Rectification, rectification)
    if current.plan_submitted_at is None:
        raise ValidationError(_("请先提交整改方案。"), code="no_plan")
    if not files:
        raise ValidationError({"files": _("请上传整改佐证材料。")})
    task_services.task_request_completion(actor=actor, task=current.task, narrative=narrative, files=files)
    ledger.append(event="inspection_evidence_submit", obj=current, actor=actor,
                  data={"task": current.task_id, "files": len(files)})
    return current


@transaction.atomic
def rectification_close(*, actor, rectification: Rectification) -> Rectification:
    """整改销号 by the inspection office: needs the unit's evidence (a completion request with
    files); closes the task and schedules the 回头看 N months later (the term's setting)."""
    permissions.require(actor, MANAGE)
    current = _lock(Rectification, rectification)
    if current.closed_on is not None:
        raise ValidationError(_("该整改已销号。"), code="closed")
    task = current.task
    has_evidence = Evidence.objects.filter(task=task, report__isnull=False).exists()
    if task.status != TaskStatus.COMPLETION_REQUESTED or not has_evidence:
        raise ValidationError(_("责任单位尚未提交整改佐证材料,不能销号。"), code="no_evidence")
    task_services.task_approve(actor=actor, task=task, reason=_("巡察整改销号"))
    today = lights.today()
    current.closed_on = today
    current.followup_due = today + relativedelta(months=current.finding.round.term.followup_months)
    _bump(current, ["closed_on", "followup_due"])
    ledger.append(event="inspection_rectification_close", obj=current, actor=actor,
                  data={"task": task.pk, "closed_on": str(today), "followup_due": str(current.followup_due)})
    rectification.closed_on, rectification.followup_due = current.closed_on, current.followup_due
    rectification.version = current.version
    return current


@transaction.atomic
def followups_schedule(*, actor=None, today: date | None = None) -> int:
    """The periodic job: a 回头看 for each closed rectification whose date has come, with a
    notice to the unit and to the inspection office. Idempotent (one per rectification and date)."""
    today = today or lights.today()
    due = list(selectors.followups_due(today))
    if not due:
        return 0
    FollowUp.objects.bulk_create([FollowUp(rectification=r, due_on=r.followup_due) for r in due],
                                 ignore_conflicts=True)
    items = []
    for r in due:
        title = _("巡察整改回头看:%(text)s") % {"text": r.task.title[:60]}
        body = _("“%(unit)s”的巡察整改已于 %(closed)s 销号,现开展回头看,请准备整改成效材料。") % {
            "unit": r.finding.unit.name, "closed": r.closed_on}
        url = reverse("inspections:rectification", args=[r.pk])
        items.append({"kind": "reminder", "subject": r.task, "url": url, "title": title, "body": body,
                      "to_unit": r.finding.unit, "dedupe_key": f"inspection-followup-{r.pk}-{r.followup_due}"})
        for user in supervision_services.supervisors():
            items.append({"kind": "reminder", "subject": r.task, "url": url, "title": title, "body": body,
                          "to_user": user, "dedupe_key": f"inspection-followup-{r.pk}-{r.followup_due}"})
    notice_services.notices_send_bulk(actor=actor, items=items, returning=False)
    ledger.append(event="inspection_followups_schedule", object_type="inspections.followup", actor=actor,
                  data={"today": str(today), "rectifications": [r.pk for r in due]})
    return len(due)


@transaction.atomic
def followup_record(*, actor, rectification: Rectification, result: str, note: str = "") -> FollowUp:
    """回头看 result. ``regressed`` reopens the rectification task (the unit rectifies again; the
    reopening counts against the unit). Refused before 销号."""
    permissions.require(actor, MANAGE)
    if result not in (FollowUpResult.HELD, FollowUpResult.REGRESSED):
        raise ValidationError({"result": _("请选择回头看结果。")})
    note = _text(note, "note", label=_("情况"), required=result == FollowUpResult.REGRESSED, max_length=5000)
    current = _lock(Rectification, rectification)
    if current.closed_on is None:
        raise ValidationError(_("尚未销号,不能开展回头看。"), code="not_closed")
    today = lights.today()
    followup = (FollowUp.objects.filter(rectification=current, result=FollowUpResult.PENDING).order_by("due_on").first()
                or FollowUp(rectification=current, due_on=today))
    followup.result, followup.note, followup.done_on, followup.done_by = result, note, today, actor
    followup.save()
    if result == FollowUpResult.REGRESSED:
        task_services.task_reopen(actor=actor, task=current.task, reason=_("巡察回头看:问题反弹。") + note)
        current.closed_on = None
        current.followup_due = None
        _bump(current, ["closed_on", "followup_due"])
    ledger.append(event="inspection_followup_record", obj=followup, object_repr=current.task.title[:255], actor=actor,
                  data={"rectification": current.pk, "result": result, "note": note[:2000]})
    rectification.closed_on, rectification.followup_due = current.closed_on, current.followup_due
    return followup


# --- documents --------------------------------------------------------------------------------
@transaction.atomic
def feedback_export(*, actor, round_: Round, unit: Unit) -> tuple[str, bytes]:
    """巡察反馈意见 (.docx) for one inspected unit."""
    from duban.inspections import documents

    permissions.require(actor, MANAGE)
    if not Target.objects.filter(round=round_, unit=unit).exists():
        raise ValidationError({"unit": _("请选择本轮的被巡察单位。")})
    name, content = documents.feedback_docx(round_, unit)
    ledger.append(event="inspection_feedback_export", obj=round_, actor=actor, data={"unit": unit.pk, "file": name})
    return name, content


@transaction.atomic
def ledger_export(*, actor, round_: Round) -> tuple[str, bytes]:
    """整改台账 (.xlsx) with the round's statistics on a second sheet."""
    from duban.inspections import documents

    permissions.require(actor, MANAGE)
    name, content = documents.ledger_xlsx(round_)
    ledger.append(event="inspection_ledger_export", obj=round_, actor=actor, data={"file": name})
    return name, content

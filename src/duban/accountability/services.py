"""Every change to accountability cases: validated, atomic, one ledger entry per change.

Only the discipline role (CASES_MANAGE) runs a case. A case moves through its stages in order
(models.NEXT_STAGES); a stage out of order is refused. Filing (立案) a case against a person or a
post opens its 一案双查 twin — the check of the supervising leader's responsibility — exactly once.
The subject of a decided case may appeal inside the window and apply for 容错; the discipline role
reviews the application test by test (三个区分开来) and the outcome flows into the case.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from duban.accountability.models import (
    FORM_OF_MEASURE,
    PERSON_MEASURES,
    UNIT_MEASURES,
    Appeal,
    AppealOutcome,
    Case,
    CaseGrant,
    CaseKind,
    CaseSubject,
    DutyLink,
    Form,
    Measure,
    Responsibility,
    SourceKind,
    Stage,
    StageEntry,
    SubjectKind,
    SubjectRole,
    ToleranceApplication,
    ToleranceOutcome,
    Verdict,
)
from duban.core import integrity, ledger, permissions
from duban.orgs.models import Person, Post, Unit
from duban.tasks import lights

try:  # duban.notices is an optional layer; without it nobody is notified
    from duban.notices import services as notice_services
except ImportError:  # pragma: no cover - depends on the tree
    notice_services = None


def _err(field: str, message: str, code: str) -> ValidationError:
    """A field-keyed error whose code survives (tests and the API read it)."""
    return ValidationError({field: ValidationError(message, code=code)})


def _today() -> date:
    return lights.today()


def _text(value, field: str, *, label: str, required: bool, max_length: int | None = None) -> str:
    text = (value or "").strip()
    if required and not text:
        raise _err(field, _("请填写%(label)s。") % {"label": label}, "required")
    if max_length and len(text) > max_length:
        raise _err(field, _("%(label)s不能超过 %(n)s 个字。") % {"label": label, "n": max_length}, "too_long")
    return text


def _date(value, field: str, *, label: str, not_before: date | None = None) -> date:
    if not isinstance(value, date):
        raise _err(field, _("请填写%(label)s。") % {"label": label}, "required")
    if value > _today():
        raise _err(field, _("%(label)s不能晚于今天。") % {"label": label}, "future")
    if not_before is not None and value < not_before:
        raise _err(field, _("%(label)s不能早于上一阶段的日期(%(d)s)。") % {
            "label": label, "d": not_before.isoformat()}, "before_previous")
    return value


def _notify_subjects(*, actor, case: Case, title: str, key: str) -> None:
    """Tell the people (or the unit) a decided case names that there is something on their page.
    The notice carries only the case number and a link: the case stays confidential."""
    if notice_services is None:
        return
    url = reverse("accountability:mine_detail", args=[case.pk])
    items = []
    for s in case.subjects.all():
        target = {"to_person": s.person} if s.person_id else {"to_unit": s.unit}
        items.append({"kind": "system", "subject": case, "url": url, "title": title, **target,
                      "dedupe_key": f"accountability-{key}-{case.pk}-{s.pk}"})
    if items:
        notice_services.notices_send_bulk(actor=actor, items=items, returning=False)


def _manage(actor) -> None:
    permissions.require(actor, permissions.CASES_MANAGE)


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update(of=("self",)).select_related("unit", "post").get(pk=case.pk)


def _last_date(case: Case) -> date:
    entry = case.stage_entries.order_by("-on", "-id").first()
    return entry.on if entry else case.opened_on


def _enter(case: Case, stage: str, *, actor, on: date, note: str) -> None:
    if stage not in case.next_stages:
        raise _err("stage", _("“%(stage)s”阶段之后不能进入“%(to)s”阶段。") % {
            "stage": case.get_stage_display(), "to": Stage(stage).label}, "stage_order")
    case.stage = stage
    case.version += 1
    StageEntry.objects.create(case=case, stage=stage, on=on, decided_by=actor, note=note)


def _number(year: int) -> str:
    n = Case.objects.filter(opened_on__year=year).count() + 1
    while Case.objects.filter(number=f"问责〔{year}〕{n}号").exists():
        n += 1
    return f"问责〔{year}〕{n}号"


def _case_unit(subject_kind: str, person, unit, post) -> Unit:
    if subject_kind == SubjectKind.PERSON:
        if not isinstance(person, Person):
            raise _err("person", _("请选择问责对象(个人)。"), "required")
        return person.unit
    if subject_kind == SubjectKind.UNIT:
        if not isinstance(unit, Unit):
            raise _err("unit", _("请选择问责对象(单位)。"), "required")
        return unit
    if subject_kind == SubjectKind.POST:
        if not isinstance(post, Post):
            raise _err("post", _("请选择问责对象(岗位)。"), "required")
        return post.unit
    raise _err("subject_kind", _("请选择问责对象类型。"), "required")


def dual_duty_people(post: Post) -> list[tuple[str, Person]]:
    """一岗双责 of a post: the business responsible person (the post's A holder) and the
    party-building responsible person of the same unit (its duty link), if different."""
    people = [(SubjectRole.BUSINESS, post.a_holder)]
    link = DutyLink.objects.filter(unit=post.unit_id).select_related("party_person").first()
    if link and link.party_person_id and link.party_person_id != post.a_holder_id:
        people.append((SubjectRole.PARTY, link.party_person))
    return people


def _default_leader(unit: Unit) -> Person | None:
    """The supervising leader recorded for the unit, else for its nearest ancestor that has one."""
    prefixes = [unit.path[:i] for i in range(Unit.steplen, len(unit.path) + 1, Unit.steplen)]
    link = (DutyLink.objects.filter(unit__path__in=prefixes, supervising_leader__isnull=False)
            .select_related("supervising_leader").order_by("-unit__depth").first())
    return link.supervising_leader if link else None


@transaction.atomic
def duty_link_save(*, actor, unit: Unit, party_person: Person | None, supervising_leader: Person | None,
                   responsibility: str = Responsibility.SUPERVISORY) -> DutyLink:
    """Record who carries a unit's party-building responsibility and which leader supervises it."""
    _manage(actor)
    if not isinstance(unit, Unit):
        raise _err("unit", _("请选择单位。"), "required")
    if party_person is not None and party_person.unit_id != unit.pk:
        raise _err("party_person", _("党建责任人应是本单位人员。"), "other_unit")
    if responsibility not in Responsibility.values:
        raise _err("responsibility", _("责任类型不正确。"), "invalid")
    if party_person is None and supervising_leader is None:
        raise _err("party_person", _("请至少填写党建责任人或分管领导。"), "required")
    link, created = DutyLink.objects.select_for_update().get_or_create(unit=unit)
    before = {"party_person": link.party_person_id, "supervising_leader": link.supervising_leader_id,
              "responsibility": link.responsibility}
    link.party_person, link.supervising_leader, link.responsibility = party_person, supervising_leader, responsibility
    link.version = 1 if created else link.version + 1
    link.save()
    ledger.append(event="duty_link_save", obj=link, actor=actor,
                  data={"unit": unit.pk, "before": None if created else before,
                        "after": {"party_person": link.party_person_id,
                                  "supervising_leader": link.supervising_leader_id,
                                  "responsibility": responsibility}})
    return link


@transaction.atomic
def case_open(*, actor, title: str, source_kind: str, subject_kind: str, facts: str, evidence: str = "",
              person: Person | None = None, unit: Unit | None = None, post: Post | None = None,
              source=None, source_label: str = "", supervising_leader: Person | None = None,
              opened_on: date | None = None) -> Case:
    """A new case at 初核. ``source`` is the object it came from (a task, a 问责建议, a finding…),
    referenced by content type and id; ``source_label`` describes any other source."""
    _manage(actor)
    title = _text(title, "title", label=_("事项名称"), required=True, max_length=200)
    if source_kind not in SourceKind.values or source_kind == SourceKind.DUAL:
        raise _err("source_kind", _("请选择线索来源。"), "required")
    facts = _text(facts, "facts", label=_("问题事实"), required=True, max_length=20000)
    evidence = _text(evidence, "evidence", label=_("证据材料"), required=False, max_length=20000)
    source_label = _text(source_label, "source_label", label=_("来源说明"), required=False, max_length=300)
    if source is None and source_kind in (SourceKind.PETITION, SourceKind.REPORT, SourceKind.BIGDATA,
                                          SourceKind.INSPECTION) and not source_label:
        raise _err("source_label", _("请填写来源说明(如信访件编号、反映人、线索编号)。"), "required")
    case_unit = _case_unit(subject_kind, person, unit, post)
    opened_on = _date(opened_on or _today(), "opened_on", label=_("受理日期"))
    ct, sid = (ContentType.objects.get_for_model(source), source.pk) if source is not None else (None, None)
    if ct is not None:
        existing = Case.objects.filter(kind=CaseKind.MAIN, source_type=ct, source_id=sid).first()
        if existing:
            raise ValidationError(_("该线索已受理为问责事项 %(n)s。") % {"n": existing.number}, code="duplicate")
    try:
        with transaction.atomic():
            case = Case.objects.create(
                number=_number(opened_on.year), kind=CaseKind.MAIN, title=title, source_kind=source_kind,
                source_type=ct, source_id=sid, source_label=source_label, subject_kind=subject_kind,
                unit=case_unit, post=post if subject_kind == SubjectKind.POST else None, facts=facts,
                evidence=evidence, opened_on=opened_on, opened_by=actor,
                supervising_leader=supervising_leader or _default_leader(case_unit))
    except IntegrityError:
        raise ValidationError(_("该线索已受理为问责事项。"), code="duplicate") from None
    subjects = []
    if subject_kind == SubjectKind.PERSON:
        subjects.append(CaseSubject(case=case, role=SubjectRole.PRINCIPAL, person=person))
    elif subject_kind == SubjectKind.UNIT:
        subjects.append(CaseSubject(case=case, role=SubjectRole.PRINCIPAL, unit=unit))
    else:  # 一岗双责: the post's business and party-building responsible people
        subjects += [CaseSubject(case=case, role=role, person=p) for role, p in dual_duty_people(post)]
    for subject in subjects:
        integrity.seal(subject)  # bulk_create bypasses save(): the row MAC is set here (DP-03)
    CaseSubject.objects.bulk_create(subjects)
    StageEntry.objects.create(case=case, stage=Stage.INITIAL, on=opened_on, decided_by=actor, note="")
    ledger.append(event="case_open", obj=case, actor=actor,
                  data={"number": case.number, "source_kind": source_kind,
                        "source": f"{ct.app_label}.{ct.model}:{sid}" if ct else source_label,
                        "subject_kind": subject_kind, "unit": case_unit.pk,
                        "subjects": [{"role": s.role, "person": s.person_id, "unit": s.unit_id} for s in subjects]})
    return case


def case_open_from_proposal(*, actor, proposal) -> Case:
    """One click: a 问责建议 of the 督办 rules becomes a case at 初核. The subject is the task's
    responsible post (一岗双责) when it has one, otherwise the responsible unit; the task's
    responsible leader is the supervising leader of 一案双查."""
    task = proposal.task
    post = task.responsible_post if task.responsible_post_id else None
    unit = proposal.unit or task.lead_unit
    kind = SubjectKind.POST if post is not None else SubjectKind.UNIT
    if post is None and unit is None:
        raise ValidationError(_("该问责建议没有责任单位,请手工受理。"), code="no_subject")
    facts = _("任务“%(task)s”%(miss)s(时限 %(date)s)。%(reason)s") % {
        "task": task.title, "miss": proposal.get_miss_kind_display(),
        "date": proposal.miss_date.isoformat() if proposal.miss_date else "—", "reason": proposal.reason}
    return case_open(actor=actor, title=_("“%(task)s”落实不力") % {"task": task.title[:150]},
                     source_kind=SourceKind.PROPOSAL, source=proposal, subject_kind=kind, post=post, unit=unit,
                     facts=facts, supervising_leader=task.responsible_leader)


@transaction.atomic
def case_file(*, actor, case: Case, file: bool, on: date, note: str = "",
              supervising_leader: Person | None = None) -> Case:
    """立案 or 不予立案 after the 初核. Filing a case against a person or a post opens its 一案双查
    twin for the supervising leader (exactly once)."""
    _manage(actor)
    current = _lock(case)
    note = _text(note, "note", label=_("说明"), required=not file, max_length=5000)
    on = _date(on, "on", label=_("日期"), not_before=_last_date(current))
    leader = supervising_leader or current.supervising_leader
    twin_needed = file and current.kind == CaseKind.MAIN and current.subject_kind != SubjectKind.UNIT
    if twin_needed and leader is None:
        raise _err("supervising_leader", _("一案双查:请填写分管领导。"), "required")
    _enter(current, Stage.FILED if file else Stage.NOT_FILED, actor=actor, on=on, note=note)
    current.supervising_leader = leader
    current.save(update_fields=["stage", "version", "supervising_leader"])
    twin = None
    if twin_needed and not Case.objects.filter(parent=current, kind=CaseKind.DUAL).exists():
        link = DutyLink.objects.filter(unit=current.unit).first()
        responsibility = link.responsibility if link else Responsibility.SUPERVISORY
        twin = Case.objects.create(
            number=f"{current.number}-双查", kind=CaseKind.DUAL, parent=current, responsibility=responsibility,
            title=_("一案双查:%(title)s") % {"title": current.title[:180]}, source_kind=SourceKind.DUAL,
            source_label=current.number, subject_kind=SubjectKind.PERSON, unit=leader.unit,
            facts=_("查明%(leader)s对“%(title)s”所涉问题是否履行%(resp)s。") % {
                "leader": leader.name, "title": current.title, "resp": Responsibility(responsibility).label},
            stage=Stage.FILED, opened_on=on, opened_by=actor, supervising_leader=None)
        CaseSubject.objects.create(case=twin, role=SubjectRole.SUPERVISOR, person=leader)
        StageEntry.objects.create(case=twin, stage=Stage.FILED, on=on, decided_by=actor,
                                  note=_("由 %(n)s 立案自动生成。") % {"n": current.number})
    case.stage, case.version = current.stage, current.version
    ledger.append(event="case_file" if file else "case_not_file", obj=current, actor=actor,
                  data={"on": on.isoformat(), "note": note, "twin": twin.pk if twin else None,
                        "supervising_leader": leader.pk if leader else None})
    return current


@transaction.atomic
def case_advance(*, actor, case: Case, stage: str, on: date, note: str = "") -> Case:
    """调查, 审理 or 执行: the next stage, in order."""
    _manage(actor)
    current = _lock(case)
    if stage not in (Stage.INVESTIGATION, Stage.TRIAL, Stage.EXECUTED):
        raise _err("stage", _("该阶段不能用此操作进入。"), "stage_order")
    note = _text(note, "note", label=_("说明"), required=False, max_length=5000)
    on = _date(on, "on", label=_("日期"), not_before=_last_date(current))
    before = current.stage
    _enter(current, stage, actor=actor, on=on, note=note)
    current.save(update_fields=["stage", "version"])
    ledger.append(event="case_advance", obj=current, actor=actor,
                  data={"from": before, "to": stage, "on": on.isoformat(), "note": note})
    return current


def _allowed_measures(case: Case) -> frozenset[str]:
    return UNIT_MEASURES if case.subject_kind == SubjectKind.UNIT else PERSON_MEASURES


@transaction.atomic
def case_decide(*, actor, case: Case, measure: str, decision_text: str, basis: str, on: date,
                appeal_days: int = 30) -> Case:
    """The decision after 审理: one measure of the four forms (or 组织问责 for a unit, or 不予问责),
    the decision text and its basis. A 免责 outcome of 容错 leaves only 不予问责."""
    _manage(actor)
    current = _lock(case)
    if Stage.DECIDED not in current.next_stages:
        raise _err("stage", _("只有审理阶段的事项才能作出决定(当前阶段:%(s)s)。") % {
            "s": current.get_stage_display()}, "stage_order")
    if not measure:
        raise _err("measure", _("请选择问责方式。"), "required")
    if measure not in Measure.values:
        raise _err("measure", _("问责方式不正确。"), "invalid")
    if measure not in _allowed_measures(current):
        if current.subject_kind == SubjectKind.UNIT:
            msg = _("对单位只能采取组织问责(通报、责令整改)或不予问责。")
        else:
            msg = _("通报、责令整改是对单位的组织问责,不能用于个人。")
        raise _err("measure", msg, "form_not_allowed")
    decision_text = _text(decision_text, "decision_text", label=_("决定内容"), required=True, max_length=20000)
    basis = _text(basis, "basis", label=_("依据"), required=measure != Measure.NONE, max_length=5000)
    on = _date(on, "on", label=_("决定日期"), not_before=_last_date(current))
    if not isinstance(appeal_days, int) or not 1 <= appeal_days <= 90:
        raise _err("appeal_days", _("申诉期限应为 1 至 90 日。"), "invalid")
    if current.tolerance == ToleranceOutcome.EXEMPT and measure != Measure.NONE:
        raise _err("measure", _("该事项已认定免责,只能决定不予问责。"), "exempt")
    _enter(current, Stage.DECIDED, actor=actor, on=on, note=decision_text[:200])
    current.measure, current.form = measure, FORM_OF_MEASURE[measure]
    current.decision_text, current.basis, current.decided_on, current.decided_by = decision_text, basis, on, actor
    current.appeal_days = appeal_days
    current.save(update_fields=["stage", "version", "measure", "form", "decision_text", "basis", "decided_on",
                                "decided_by", "appeal_days"])
    _notify_subjects(actor=actor, case=current, key="decided",
                     title=_("问责决定 %(n)s 已作出,请查看。") % {"n": current.number})
    ledger.append(event="case_decide", obj=current, actor=actor,
                  data={"measure": measure, "form": current.form, "on": on.isoformat(), "basis": basis,
                        "tolerance": current.tolerance, "appeal_days": appeal_days})
    return current


@transaction.atomic
def case_clear(*, actor, case: Case, text: str, on: date | None = None) -> Case:
    """澄清正名: the record says the person or unit was cleared (the evaluation reads it)."""
    _manage(actor)
    current = _lock(case)
    text = _text(text, "text", label=_("澄清正名说明"), required=True, max_length=5000)
    on = _date(on or _today(), "on", label=_("澄清日期"))
    if current.cleared:
        raise ValidationError(_("该事项已澄清正名。"), code="already")
    ok = (current.stage == Stage.NOT_FILED or current.measure == Measure.NONE
          or current.tolerance == ToleranceOutcome.EXEMPT
          or (hasattr(current, "appeal") and current.appeal.outcome == AppealOutcome.REVOKED))
    if not ok:
        raise ValidationError(_("只有不予立案、不予问责、免责或决定已撤销的事项才能澄清正名。"), code="not_clearable")
    current.cleared, current.cleared_text, current.cleared_on = True, text, on
    current.version += 1
    current.save(update_fields=["cleared", "cleared_text", "cleared_on", "version"])
    ledger.append(event="case_clear", obj=current, actor=actor, data={"on": on.isoformat(), "text": text})
    return current


@transaction.atomic
def grant_add(*, actor, case: Case, user) -> CaseGrant:
    """Let one more user read this case (the grant is listed on the case and audited)."""
    _manage(actor)
    if user is None or not getattr(user, "is_active", False):
        raise _err("user", _("请选择在用的账户。"), "required")
    if permissions.can(user, permissions.CASES_VIEW):
        raise _err("user", _("纪委账户本来就能查看问责事项。"), "needless")
    grant, created = CaseGrant.objects.get_or_create(case=case, user=user, defaults={"granted_by": actor})
    if not created:
        raise _err("user", _("该账户已获授权。"), "duplicate")
    ledger.append(event="case_grant", obj=case, actor=actor, data={"user": user.pk, "username": user.username})
    return grant


@transaction.atomic
def case_relabel(*, actor, case: Case, label: str) -> Case:
    """AC-11: set a case's security label (一般/敏感/核心), and its 一案双查 twin's (whose title
    repeats the case's). Only the 安全管理员 (ROLES_GRANT); one ``security_label_changed`` ledger
    entry with the old and the new label and the twins relabelled with it."""
    from duban.accounts.models import SecurityLabel

    permissions.require(actor, permissions.ROLES_GRANT)
    if label not in SecurityLabel.values:
        raise _err("label", _("请选择密级。"), "invalid")
    current = Case.objects.select_for_update().get(pk=case.pk)
    if current.security_label == label:
        raise _err("label", _("密级未改变。"), "unchanged")
    before = current.security_label
    twins = list(Case.objects.filter(parent=current, kind=CaseKind.DUAL).values_list("pk", flat=True))
    Case.objects.filter(pk__in=[current.pk, *twins]).update(security_label=label)
    current.security_label = label
    ledger.append(event="security_label_changed", obj=current, actor=actor,
                  data={"changes": ledger.diff({"security_label": before}, {"security_label": label}),
                        "twins": twins})
    return current


@transaction.atomic
def grant_remove(*, actor, grant: CaseGrant) -> None:
    _manage(actor)
    case, user_id = grant.case, grant.user_id
    grant.delete()
    ledger.append(event="case_grant_revoke", obj=case, actor=actor, data={"user": user_id})


def case_record_view(*, actor, case: Case, as_subject: bool = False) -> None:
    """Every view of a case leaves a ``case_viewed`` row: who looked at which case, as what."""
    with transaction.atomic():
        ledger.append(event="case_viewed", obj=case, actor=actor,
                      data={"number": case.number, "as": "subject" if as_subject else "case"})


def is_subject(user, case: Case) -> bool:
    if user is None or not user.is_authenticated:
        return False
    person_id = getattr(user, "person_id", None)
    if person_id and case.subjects.filter(person_id=person_id).exists():
        return True
    return bool(case.subject_kind == SubjectKind.UNIT and user.unit_id
                and case.subjects.filter(unit_id=user.unit_id).exists())


def appeal_deadline(case: Case) -> date | None:
    return case.decided_on + timedelta(days=case.appeal_days) if case.decided_on else None


@transaction.atomic
def appeal_file(*, actor, case: Case, reason: str) -> Appeal:
    """申诉: the subject of a decided case, inside the appeal window."""
    current = _lock(case)
    if not is_subject(actor, current):
        raise PermissionDenied(_("只有问责对象本人(单位)可以申诉。"))
    reason = _text(reason, "reason", label=_("申诉理由"), required=True, max_length=5000)
    if Stage.APPEAL not in current.next_stages:
        raise ValidationError(_("该事项当前不能申诉(阶段:%(s)s)。") % {"s": current.get_stage_display()},
                              code="stage_order")
    deadline = appeal_deadline(current)
    today = _today()
    if deadline is None or today > deadline:
        raise ValidationError(_("申诉期限已过(截至 %(d)s)。") % {"d": deadline.isoformat() if deadline else "—"},
                              code="window_closed")
    _enter(current, Stage.APPEAL, actor=actor, on=today, note=reason[:200])
    current.save(update_fields=["stage", "version"])
    appeal = Appeal.objects.create(case=current, appellant=actor, reason=reason, filed_on=today)
    ledger.append(event="case_appeal", obj=current, actor=actor, data={"reason": reason, "on": today.isoformat()})
    return appeal


@transaction.atomic
def appeal_review(*, actor, case: Case, outcome: str, note: str, on: date, measure: str = "") -> Case:
    """复查: uphold, change (a new measure) or revoke the decision."""
    _manage(actor)
    current = _lock(case)
    if current.stage != Stage.APPEAL:
        raise _err("stage", _("只有申诉中的事项才能复查。"), "stage_order")
    if outcome not in AppealOutcome.values:
        raise _err("outcome", _("请选择复查结论。"), "required")
    note = _text(note, "note", label=_("复查意见"), required=True, max_length=5000)
    on = _date(on, "on", label=_("复查日期"), not_before=_last_date(current))
    before = current.measure
    if outcome == AppealOutcome.CHANGED:
        if measure not in _allowed_measures(current) or measure == current.measure:
            raise _err("measure", _("变更决定请选择另一种允许的问责方式。"), "invalid")
        current.measure, current.form = measure, FORM_OF_MEASURE[measure]
    elif outcome == AppealOutcome.REVOKED:
        current.measure, current.form = Measure.NONE, Form.NONE
    _enter(current, Stage.REVIEWED, actor=actor, on=on, note=note[:200])
    current.save(update_fields=["stage", "version", "measure", "form"])
    Appeal.objects.filter(case=current).update(outcome=outcome, outcome_note=note, reviewed_by=actor, reviewed_on=on)
    ledger.append(event="case_appeal_review", obj=current, actor=actor,
                  data={"outcome": outcome, "before": before, "after": current.measure, "on": on.isoformat()})
    return current


# --- 容错纠错 ----------------------------------------------------------------------------------------
TOLERANCE_STAGES = (Stage.INVESTIGATION, Stage.TRIAL, Stage.DECIDED, Stage.EXECUTED)


@transaction.atomic
def tolerance_apply(*, actor, case: Case, reason: str, evidence: str) -> ToleranceApplication:
    """A person or unit (the case's subject, or the discipline role for them) applies for 容错."""
    current = _lock(case)
    if not (is_subject(actor, current) or permissions.can(actor, permissions.CASES_MANAGE)):
        raise PermissionDenied(_("只有问责对象或纪委可以提出容错申请。"))
    reason = _text(reason, "reason", label=_("申请理由"), required=True, max_length=5000)
    evidence = _text(evidence, "evidence", label=_("证明材料"), required=True, max_length=10000)
    if current.stage not in TOLERANCE_STAGES:
        raise ValidationError(_("该事项尚未进入调查或已办结,没有可容错的问责决定或拟处理意见。"),
                              code="no_decision_context")
    if current.tolerance in (ToleranceOutcome.EXEMPT, ToleranceOutcome.MITIGATE):
        raise ValidationError(_("该事项已作出容错认定。"), code="already")
    if current.tolerance_applications.filter(outcome="").exists():
        raise ValidationError(_("已有待审核的容错申请。"), code="pending")
    application = ToleranceApplication.objects.create(case=current, applicant=actor, reason=reason,
                                                      evidence=evidence)
    ledger.append(event="tolerance_apply", obj=current, actor=actor,
                  data={"application": application.pk, "reason": reason})
    return application


@transaction.atomic
def tolerance_review(*, actor, application: ToleranceApplication, verdicts: dict, notes: dict, outcome: str,
                     reasons: str, on: date | None = None) -> ToleranceApplication:
    """The review answers each of the three tests of 三个区分开来 and the three conditions (every
    one, with a note for each test), then 免责 / 从轻减轻 / 不予容错 with reasons. 免责 needs every
    test and condition met; 从轻减轻 needs no private gain. The outcome goes onto the case."""
    _manage(actor)
    current = ToleranceApplication.objects.select_for_update().get(pk=application.pk)
    if current.outcome:
        raise ValidationError(_("该容错申请已审核。"), code="already")
    errors = {}
    for field in ToleranceApplication.TESTS + ToleranceApplication.CONDITIONS:
        if verdicts.get(field) not in Verdict.values:
            errors[field] = _("请逐项认定:%(t)s。") % {"t": ToleranceApplication._meta.get_field(field).verbose_name}
    for field in ToleranceApplication.TESTS:
        if not (notes.get(field) or "").strip():
            errors.setdefault(f"{field}_note", _("请写明该项认定的事实依据。"))
    if errors:
        raise ValidationError(errors, code="incomplete")
    if outcome not in ToleranceOutcome.values:
        raise _err("outcome", _("请选择容错结果。"), "required")
    reasons = _text(reasons, "outcome_reasons", label=_("认定理由"), required=True, max_length=5000)
    on = _date(on or _today(), "reviewed_on", label=_("审核日期"))
    all_met = all(verdicts[f] == Verdict.YES for f in ToleranceApplication.TESTS + ToleranceApplication.CONDITIONS)
    if outcome == ToleranceOutcome.EXEMPT and not all_met:
        raise _err("outcome", _("三个区分开来和容错条件须全部符合才能免责。"), "not_all_met")
    if outcome == ToleranceOutcome.MITIGATE and (verdicts["cond_no_gain"] != Verdict.YES
                                                 or verdicts["test_public"] != Verdict.YES):
        raise _err("outcome", _("谋取私利的不能从轻减轻。"), "private_gain")
    for field in ToleranceApplication.TESTS + ToleranceApplication.CONDITIONS:
        setattr(current, field, verdicts[field])
    for field in ToleranceApplication.TESTS:
        setattr(current, f"{field}_note", notes[field].strip()[:5000])
    current.outcome, current.outcome_reasons, current.reviewed_by, current.reviewed_on = outcome, reasons, actor, on
    current.save()
    case = Case.objects.select_for_update().get(pk=current.case_id)
    if outcome != ToleranceOutcome.REFUSE:
        case.tolerance = outcome
        case.version += 1
        case.save(update_fields=["tolerance", "version"])
    if case.is_decided:
        _notify_subjects(actor=actor, case=case, key=f"tolerance-{current.pk}",
                         title=_("问责事项 %(n)s 的容错申请已审核:%(o)s。") % {
                             "n": case.number, "o": ToleranceOutcome(outcome).label})
    ledger.append(event="tolerance_review", obj=case, actor=actor,
                  data={"application": current.pk, "outcome": outcome, "reasons": reasons,
                        "verdicts": {f: verdicts[f] for f in ToleranceApplication.TESTS
                                     + ToleranceApplication.CONDITIONS}})
    return current


def case_from_lead(*, actor, lead, data: dict) -> Case:
    """立案审查 from a verified 大数据 lead (duban.datacheck's "case" escalation target): the case
    opens at 初核 against the person or unit the officer names, the lead as its source."""
    person_id, unit_id = (data or {}).get("person"), (data or {}).get("unit")
    if not person_id and not unit_id:
        raise _err("person", _("请填写问责人员编号或问责单位编号。"), "required")
    if person_id:
        person = permissions.resolve_scoped(actor, Person.objects.filter(is_active=True), None, person_id,
                                            field="person", label=_("人员"))
        kind, unit = SubjectKind.PERSON, None
    else:
        unit = permissions.resolve_scoped(actor, Unit.objects.filter(is_active=True), None, unit_id, field="unit",
                                          label=_("单位"))
        kind, person = SubjectKind.UNIT, None
    rule = getattr(getattr(lead, "rule", None), "name", "")
    return case_open(actor=actor, title=(lead.summary or _("大数据监督线索 %(pk)s") % {"pk": lead.pk})[:200],
                     source_kind=SourceKind.BIGDATA, source=lead,
                     source_label=_("大数据监督线索 %(pk)s(%(rule)s)") % {"pk": lead.pk, "rule": rule},
                     subject_kind=kind, person=person, unit=unit, facts=lead.reason or lead.summary)

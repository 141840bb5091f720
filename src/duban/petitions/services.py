"""Every write of petitions: registration (with the regulations' deadlines), 受理, 办结, 复查,
the office's rules and sensitive periods, the warning evaluation, and the audit of every view.

Deadlines (《信访工作条例》): a registered petition is decided for acceptance within 15 days
(受理期限 = 登记 + 15); an accepted one is handled within 60 days (办理期限 = 受理 + 60); a review
(复查) is decided within 30 days of the request (复查期限 = 申请 + 30).

Warnings: ``evaluate`` applies every enabled rule to a petition and raises at most one warning per
(petition, rule, stage); each new warning notifies the responsible unit's liaison post (its
acting A/B/C holder that day, duban.notices) and escalates by level: yellow copies the unit's
principal leader, orange also the petitions office (督查室 accounts), red also every leader.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.core import ledger, permissions, pii
from duban.core.roles import Role
from duban.notices.models import NoticeKind
from duban.notices.services import notices_send_bulk
from duban.orgs.models import Unit
from duban.petitions.models import (
    LEVEL_ORDER,
    OPEN_STATES,
    Channel,
    Level,
    Petition,
    Petitioner,
    RuleKey,
    SensitivePeriod,
    Status,
    Warning,
    WarningRule,
)

ACCEPT_DAYS, HANDLE_DAYS, REVIEW_DAYS = 15, 60, 30
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
DEFAULT_RULES = {
    RuleKey.GROUP: (Level.ORANGE, 5, 0),
    RuleKey.REPEAT_PERSON: (Level.YELLOW, 1, 90),
    RuleKey.REPEAT_MATTER: (Level.YELLOW, 2, 30),
    RuleKey.SENSITIVE: (Level.YELLOW, 0, 0),
    RuleKey.DEADLINE_SOON: (Level.BLUE, 0, 3),
    RuleKey.OVERDUE: (Level.RED, 0, 0),
}


def _require(actor, perm):
    if not permissions.can(actor, perm):
        raise PermissionDenied(_("您没有执行此操作的权限。"))


def _text(value, field, label, *, required=True, max_length=2000) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: _("请填写%(label)s。") % {"label": label}})
    if len(text) > max_length:
        raise ValidationError({field: _("%(label)s不能超过 %(n)s 个字。") % {"label": label, "n": max_length}})
    return text


# --- ID numbers ------------------------------------------------------------------------------------
def id_number_valid(value: str) -> bool:
    """GB 11643-1999: 17 digits, a valid birth date, and the ISO 7064 MOD 11-2 check character."""
    value = (value or "").strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return False
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == value[17]


def mask_id(value: str) -> str:
    return pii.mask(value, pii.ID_NUMBER)


def _clean_petitioners(rows) -> list[dict]:
    cleaned, seen = [], set()
    for i, row in enumerate(rows or [], start=1):
        name = (row.get("name") or "").strip()
        number = (row.get("id_number") or "").strip().upper()
        if not name and not number:
            continue
        if not name or len(name) > 40:
            raise ValidationError({"petitioners": _("第 %(i)d 位信访人的姓名不正确。") % {"i": i}})
        if not id_number_valid(number):
            raise ValidationError({"petitioners": _("第 %(i)d 位信访人的身份证号不正确(校验位或出生日期有误)。")
                                   % {"i": i}})
        if number in seen:
            raise ValidationError({"petitioners": _("身份证号重复:第 %(i)d 位信访人。") % {"i": i}})
        seen.add(number)
        cleaned.append({"name": name, "id_number": number, "phone": (row.get("phone") or "").strip()[:20]})
    if not cleaned:
        raise ValidationError({"petitioners": _("请至少登记一位信访人。")})
    return cleaned


# --- registration and handling -----------------------------------------------------------------------
@transaction.atomic
def petition_register(*, actor, received_on: date, channel: str, place: str, matter_type: str, matter: str,
                      people_count: int, responsible_unit: Unit, petitioners, accept_deadline: date | None = None,
                      is_stability_risk: bool = False, today: date | None = None) -> Petition:
    _require(actor, permissions.PETITIONS_MANAGE)
    today = today or timezone.localdate()
    if not isinstance(received_on, date):
        raise ValidationError({"received_on": _("请填写登记日期。")})
    if received_on > today:
        raise ValidationError({"received_on": _("登记日期不能晚于今天。")})
    if channel not in Channel.values:
        raise ValidationError({"channel": _("渠道不正确。")})
    place = _text(place, "place", _("地点"), max_length=100)
    matter_type = _text(matter_type, "matter_type", _("事项类别"), max_length=40)
    matter = _text(matter, "matter", _("信访事项"))
    try:
        people_count = int(people_count)
    except (TypeError, ValueError):
        raise ValidationError({"people_count": _("人数应为正整数。")}) from None
    if not 1 <= people_count <= 100000:
        raise ValidationError({"people_count": _("人数应为正整数。")})
    if not isinstance(responsible_unit, Unit) or not responsible_unit.is_active:
        raise ValidationError({"responsible_unit": _("请选择在用的责任单位。")})
    regulatory = received_on + timedelta(days=ACCEPT_DAYS)
    if accept_deadline is None:
        accept_deadline = regulatory
    elif accept_deadline < received_on:
        raise ValidationError({"accept_deadline": _("受理期限不能早于登记日期。")})
    elif accept_deadline > regulatory:
        raise ValidationError({"accept_deadline": _("受理期限不能超过登记后 %(n)d 日(%(d)s)。")
                               % {"n": ACCEPT_DAYS, "d": regulatory.isoformat()}})
    people = _clean_petitioners(petitioners)
    if len(people) > people_count:
        raise ValidationError({"people_count": _("人数少于登记的信访人数。")})
    petition = Petition.objects.create(received_on=received_on, channel=channel, place=place, matter_type=matter_type,
                                       matter=matter, people_count=people_count, responsible_unit=responsible_unit,
                                       accept_deadline=accept_deadline, is_stability_risk=bool(is_stability_risk),
                                       created_by=actor)
    Petitioner.objects.bulk_create([Petitioner(petition=petition, **p) for p in people])
    ledger.append(event="petition.register", obj=petition, actor=actor,
                  data={"unit": responsible_unit.pk, "people": people_count, "petitioners": len(people),
                        "channel": channel, "accept_deadline": accept_deadline.isoformat()})
    evaluate(petition=petition, today=today, actor=actor)
    return petition


def _handler(actor, petition: Petition) -> Petition:
    _require(actor, permissions.PETITIONS_HANDLE)
    current = Petition.objects.select_for_update().get(pk=petition.pk)
    if not permissions.can(actor, permissions.PETITIONS_MANAGE):
        unit = getattr(actor, "unit", None)
        if unit is None or not current.responsible_unit.path.startswith(unit.path):
            raise PermissionDenied(_("该信访事项不由本单位办理。"))
    return current


def _sync(target, source):
    for f in source._meta.concrete_fields:
        setattr(target, f.attname, getattr(source, f.attname))


@transaction.atomic
def petition_accept(*, actor, petition: Petition, on: date) -> Petition:
    current = _handler(actor, petition)
    if current.status != Status.REGISTERED:
        raise ValidationError(_("只有待受理的事项可以受理。"))
    if not isinstance(on, date) or on < current.received_on or on > timezone.localdate():
        raise ValidationError({"on": _("受理日期应在登记日期与今天之间。")})
    current.status, current.accepted_on = Status.ACCEPTED, on
    current.handle_deadline = on + timedelta(days=HANDLE_DAYS)
    current.version += 1
    current.save(update_fields=["status", "accepted_on", "handle_deadline", "version"])
    _sync(petition, current)
    ledger.append(event="petition.accept", obj=current, actor=actor,
                  data={"on": on.isoformat(), "handle_deadline": current.handle_deadline.isoformat()})
    return petition


@transaction.atomic
def petition_close(*, actor, petition: Petition, on: date, outcome: str) -> Petition:
    current = _handler(actor, petition)
    if current.status not in (Status.ACCEPTED, Status.REVIEW):
        raise ValidationError(_("只有办理中或复查中的事项可以办结。"))
    base = current.accepted_on if current.status == Status.ACCEPTED else current.review_requested_on
    if not isinstance(on, date) or on < base or on > timezone.localdate():
        raise ValidationError({"on": _("办结日期应在受理日期与今天之间。")})
    outcome = _text(outcome, "outcome", _("处理意见"))
    finished = current.status == Status.REVIEW
    current.status = Status.FINISHED if finished else Status.CLOSED
    current.closed_on, current.outcome = on, outcome
    current.version += 1
    current.save(update_fields=["status", "closed_on", "outcome", "version"])
    _sync(petition, current)
    ledger.append(event="petition.close", obj=current, actor=actor, data={"on": on.isoformat(), "review": finished})
    return petition


@transaction.atomic
def petition_request_review(*, actor, petition: Petition, on: date) -> Petition:
    _require(actor, permissions.PETITIONS_MANAGE)
    current = Petition.objects.select_for_update().get(pk=petition.pk)
    if current.status != Status.CLOSED:
        raise ValidationError(_("只有已办结的事项可以申请复查。"))
    if not isinstance(on, date) or on < current.closed_on or on > timezone.localdate():
        raise ValidationError({"on": _("申请日期应在办结日期与今天之间。")})
    if on > current.closed_on + timedelta(days=30):
        raise ValidationError({"on": _("已超过收到处理意见后 30 日的复查申请期限。")})
    current.status, current.review_requested_on = Status.REVIEW, on
    current.review_deadline = on + timedelta(days=REVIEW_DAYS)
    current.version += 1
    current.save(update_fields=["status", "review_requested_on", "review_deadline", "version"])
    _sync(petition, current)
    ledger.append(event="petition.review_request", obj=current, actor=actor,
                  data={"on": on.isoformat(), "review_deadline": current.review_deadline.isoformat()})
    return petition


# --- the office's calendar and rules ---------------------------------------------------------------
@transaction.atomic
def sensitive_period_add(*, actor, name: str, start: date, end: date) -> SensitivePeriod:
    _require(actor, permissions.PETITIONS_MANAGE)
    name = _text(name, "name", _("名称"), max_length=60)
    if not isinstance(start, date) or not isinstance(end, date):
        raise ValidationError({"start": _("请填写开始和结束日期。")})
    if end < start:
        raise ValidationError({"end": _("结束日期不能早于开始日期。")})
    period = SensitivePeriod.objects.create(name=name, start=start, end=end)
    ledger.append(event="petition.sensitive_period_add", obj=period, actor=actor,
                  data={"start": start.isoformat(), "end": end.isoformat()})
    return period


@transaction.atomic
def rule_update(*, actor, rule: WarningRule, enabled: bool, level: str, threshold, window_days) -> WarningRule:
    _require(actor, permissions.PETITIONS_MANAGE)
    if level not in Level.values:
        raise ValidationError({"level": _("预警等级不正确。")})
    try:
        threshold, window_days = int(threshold), int(window_days)
    except (TypeError, ValueError):
        raise ValidationError({"threshold": _("阈值和期间应为整数。")}) from None
    if threshold < 0 or window_days < 0 or threshold > 100000 or window_days > 3660:
        raise ValidationError({"threshold": _("阈值和期间应为非负整数。")})
    if rule.key == RuleKey.GROUP and threshold < 2:
        raise ValidationError({"threshold": _("集体访人数阈值至少为 2。")})
    if rule.key in (RuleKey.REPEAT_PERSON, RuleKey.REPEAT_MATTER) and (threshold < 1 or window_days < 1):
        raise ValidationError({"window_days": _("重复信访规则的次数和期间至少为 1。")})
    current = WarningRule.objects.select_for_update().get(pk=rule.pk)
    before = {"enabled": current.enabled, "level": current.level, "threshold": current.threshold,
              "window_days": current.window_days}
    current.enabled, current.level, current.threshold, current.window_days = bool(enabled), level, threshold, window_days
    current.version += 1
    current.save()
    _sync(rule, current)
    ledger.append(event="petition.rule_update", obj=current, object_repr=current.get_key_display(), actor=actor,
                  data={"before": before, "after": {"enabled": current.enabled, "level": level,
                                                    "threshold": threshold, "window_days": window_days}})
    return rule


def _rules() -> dict[str, WarningRule]:
    rules = {r.key: r for r in WarningRule.objects.all()}
    for key, (level, threshold, window) in DEFAULT_RULES.items():
        rules.setdefault(key, WarningRule(key=key, level=level, threshold=threshold, window_days=window))
    return {k: r for k, r in rules.items() if r.enabled}


# --- warning evaluation ----------------------------------------------------------------------------
def hits(petition: Petition, today: date) -> list[tuple[str, str, str, str]]:
    """(rule, stage, level, reason) of every enabled rule the petition meets today."""
    rules, out = _rules(), []
    rule = rules.get(RuleKey.GROUP)
    if rule and petition.people_count >= rule.threshold:
        out.append((rule.key, "", rule.level, _("集体访 %(n)d 人(阈值 %(t)d 人)")
                    % {"n": petition.people_count, "t": rule.threshold}))
    rule = rules.get(RuleKey.REPEAT_PERSON)
    if rule:
        since = petition.received_on - timedelta(days=rule.window_days)
        people = list(petition.petitioners.all())
        for person in people:
            number = person.id_number
            prior = (Petitioner.objects.filter(id_number_index=person.id_number_index,
                                               petition__received_on__gte=since,
                                               petition__received_on__lte=petition.received_on)
                     .exclude(petition=petition).values("petition").distinct().count())
            if prior >= rule.threshold:
                out.append((rule.key, "", rule.level, _("信访人 %(id)s 在 %(d)d 日内已信访 %(n)d 次")
                            % {"id": mask_id(number), "d": rule.window_days, "n": prior}))
                break
    rule = rules.get(RuleKey.REPEAT_MATTER)
    if rule:
        since = petition.received_on - timedelta(days=rule.window_days)
        prior = (Petition.objects.filter(place=petition.place, matter_type=petition.matter_type,
                                         received_on__gte=since, received_on__lte=petition.received_on)
                 .exclude(pk=petition.pk).count())
        if prior >= rule.threshold:
            out.append((rule.key, "", rule.level, _("%(place)s“%(matter)s”在 %(d)d 日内已有 %(n)d 件")
                        % {"place": petition.place, "matter": petition.matter_type, "d": rule.window_days, "n": prior}))
    rule = rules.get(RuleKey.SENSITIVE)
    if rule:
        period = SensitivePeriod.objects.filter(start__lte=petition.received_on, end__gte=petition.received_on).first()
        if period is not None:
            out.append((rule.key, "", rule.level, _("敏感期“%(name)s”内信访") % {"name": period.name}))
    stage, deadline = petition.next_deadline()
    if deadline is not None:
        labels = {"accept": _("受理"), "handle": _("办理"), "review": _("复查")}
        overdue, soon = rules.get(RuleKey.OVERDUE), rules.get(RuleKey.DEADLINE_SOON)
        if overdue and today > deadline:
            out.append((overdue.key, stage, overdue.level, _("%(stage)s期限 %(d)s 已超期 %(n)d 日")
                        % {"stage": labels[stage], "d": deadline.isoformat(), "n": (today - deadline).days}))
        elif soon and today <= deadline and (deadline - today).days <= soon.window_days:
            out.append((soon.key, stage, soon.level, _("%(stage)s期限 %(d)s 还剩 %(n)d 日")
                        % {"stage": labels[stage], "d": deadline.isoformat(), "n": (deadline - today).days}))
    return out


def _recipients(petition: Petition, level: str, title: str, body: str, dedupe: str) -> list[dict]:
    url = reverse("petitions:detail", args=[petition.pk])
    base = {"kind": NoticeKind.REMINDER, "subject": petition, "url": url, "title": title, "body": body,
            "dedupe_key": dedupe}
    items = [{**base, "to_unit": petition.responsible_unit,
              "copy_unit_leader": LEVEL_ORDER[level] >= LEVEL_ORDER[Level.YELLOW]}]
    users = get_user_model().objects.filter(is_active=True)
    if LEVEL_ORDER[level] >= LEVEL_ORDER[Level.ORANGE]:
        items += [{**base, "to_user": u} for u in users.filter(role=Role.SUPERVISOR).order_by("id")]
    if LEVEL_ORDER[level] >= LEVEL_ORDER[Level.RED]:
        items += [{**base, "to_user": u} for u in users.filter(role=Role.LEADER).order_by("id")]
    return items


@transaction.atomic
def evaluate(*, petition: Petition, today: date | None = None, actor=None) -> list[Warning]:
    """Raise (and notify) the warnings the petition newly meets; a closed petition raises only the
    rules about who petitioned, not deadlines."""
    today = today or timezone.localdate()
    existing = set(Warning.objects.filter(petition=petition).values_list("rule", "stage"))
    raised = []
    for rule, stage, level, reason in hits(petition, today):
        if (rule, stage) in existing:
            continue
        warning = Warning.objects.create(petition=petition, rule=rule, stage=stage, level=level, reason=reason[:300],
                                         raised_on=today)
        title = _("%(level)s预警:%(place)s %(matter)s(%(unit)s)") % {
            "level": warning.get_level_display(), "place": petition.place, "matter": petition.matter_type,
            "unit": petition.responsible_unit.name}
        sent = notices_send_bulk(actor=actor, returning=False,
                                 items=_recipients(petition, level, title[:200], reason,
                                                   f"petition-warning:{warning.pk}"))
        Warning.objects.filter(pk=warning.pk).update(notices=sent)
        warning.notices = sent
        ledger.append(event="petition.warning_raised", obj=petition, actor=actor,
                      data={"rule": rule, "stage": stage, "level": level, "reason": reason, "notices": sent})
        raised.append(warning)
    return raised


def warnings_scan(*, today: date | None = None) -> int:
    """The daily pass over open petitions (deadline rules change with the date)."""
    today = today or timezone.localdate()
    count = 0
    for petition in Petition.objects.filter(status__in=OPEN_STATES).select_related("responsible_unit"):
        count += len(evaluate(petition=petition, today=today))
    return count


@transaction.atomic
def petitions_viewed(*, actor, petitions, page: str) -> None:
    """Every page showing petition records leaves one audit row naming the records shown."""
    ids = [p.pk for p in petitions]
    if not ids:
        return
    ledger.append(event="petition.viewed", object_type="petitions.petition",
                  object_id=str(ids[0]) if len(ids) == 1 else "", actor=actor,
                  object_repr=_("信访事项 %(n)d 件") % {"n": len(ids)}, data={"page": page, "petitions": ids[:500]})


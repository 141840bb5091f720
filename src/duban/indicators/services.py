"""Every write of the indicators app: validated, atomic, one ledger entry per change.

Derived indicators (a formula over other indicators' codes) get their actual value computed by
``actual_save`` whenever one of their inputs changes in a period where every input is known.
``indicators_flag_behind`` compares the latest actual with the year's target and, when it is
behind by more than the indicator's margin, creates a task for the responsible unit (through
duban.tasks) or sends it a 督办 notice (duban.notices, which reaches the acting A/B/C holder).
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.core import ledger, permissions
from duban.indicators import formula as formulas
from duban.indicators import periods
from duban.indicators.models import (
    Actual,
    BehindAction,
    BehindAlert,
    Direction,
    Frequency,
    Indicator,
    PeerGroup,
    PeerMember,
    PeerValue,
    Target,
)
from duban.notices.models import NoticeKind
from duban.notices.services import notice_send
from duban.orgs.models import Unit
from duban.tasks import services as task_services

CODE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
LIMIT = Decimal("1e13")


def _require(actor, perm):
    if not permissions.can(actor, perm):
        raise PermissionDenied(_("您没有执行此操作的权限。"))


def _number(value, field: str, label: str, *, required: bool = True) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError({field: _("请填写%(label)s。") % {"label": label}})
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("%(label)s应为数字。") % {"label": label}}) from None
    if not number.is_finite() or abs(number) >= LIMIT:
        raise ValidationError({field: _("%(label)s超出范围。") % {"label": label}})
    return number.quantize(Decimal("0.0001"))


def _text(value, field, label, *, required=True, max_length=100) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: _("请填写%(label)s。") % {"label": label}})
    if len(text) > max_length:
        raise ValidationError({field: _("%(label)s不能超过 %(n)s 个字。") % {"label": label, "n": max_length}})
    return text


# --- definitions ---------------------------------------------------------------------------------
def _check_formula(text: str, *, code: str, frequency: str) -> str:
    text = (text or "").strip()
    if not text:
        return ""
    try:
        refs = formulas.names(text)
    except formulas.FormulaError:
        raise ValidationError({"formula": _("公式只能包含指标编码、数字、+ - * / 和括号。")}) from None
    if not refs:
        raise ValidationError({"formula": _("公式至少要引用一个指标。")})
    if code in refs:
        raise ValidationError({"formula": _("公式不能引用指标本身。")})
    found = {i.code: i for i in Indicator.objects.filter(code__in=refs)}
    missing = sorted(refs - set(found))
    if missing:
        raise ValidationError({"formula": _("公式引用了不存在的指标:%(codes)s。") % {"codes": "、".join(missing)}})
    for ref in found.values():
        if ref.frequency != frequency:
            raise ValidationError({"formula": _("被引用的指标“%(name)s”频度不同。") % {"name": ref.name}})
    # A cycle: some input (transitively) refers back to this code.
    seen, stack = set(), [i for i in found.values() if i.formula]
    while stack:
        ind = stack.pop()
        if ind.code in seen:
            continue
        seen.add(ind.code)
        inner = formulas.names(ind.formula)
        if code in inner:
            raise ValidationError({"formula": _("公式形成循环引用。")})
        stack.extend(i for i in Indicator.objects.filter(code__in=inner) if i.formula)
    return text


@transaction.atomic
def indicator_save(*, actor, indicator: Indicator | None = None, code: str, name: str, measure: str = "",
                   direction: str = Direction.HIGHER, frequency: str = Frequency.YEAR, source_office=None,
                   formula: str = "", responsible_units=(), start_year: int, end_year: int, goal_value=None,
                   behind_margin=5, behind_action: str = BehindAction.NOTICE, is_demo: bool = False) -> Indicator:
    """Create (indicator=None) or change a definition."""
    _require(actor, permissions.INDICATORS_MANAGE)
    code = (code or "").strip()
    if not CODE_RE.match(code):
        raise ValidationError({"code": _("编码须以字母开头,只含字母、数字和下划线(最多 40 位)。")})
    clash = Indicator.objects.filter(code=code)
    if indicator is not None:
        clash = clash.exclude(pk=indicator.pk)
    if clash.exists():
        raise ValidationError({"code": _("编码“%(code)s”已被使用。") % {"code": code}})
    name = _text(name, "name", _("指标名称"))
    measure = _text(measure, "measure", _("计量单位"), required=False, max_length=20)
    if direction not in Direction.values:
        raise ValidationError({"direction": _("方向不正确。")})
    if frequency not in Frequency.values:
        raise ValidationError({"frequency": _("频度不正确。")})
    if behind_action not in BehindAction.values:
        raise ValidationError({"behind_action": _("处置方式不正确。")})
    try:
        start_year, end_year = int(start_year), int(end_year)
    except (TypeError, ValueError):
        raise ValidationError({"start_year": _("年度应为整数。")}) from None
    if not (2000 <= start_year <= 2100 and 2000 <= end_year <= 2100):
        raise ValidationError({"start_year": _("年度应在 2000–2100 之间。")})
    if end_year < start_year:
        raise ValidationError({"end_year": _("目标年度不能早于起始年度。")})
    margin = _number(behind_margin, "behind_margin", _("落后容差"))
    if margin < 0 or margin > 100:
        raise ValidationError({"behind_margin": _("落后容差应在 0–100 之间。")})
    goal = _number(goal_value, "goal_value", _("规划目标值"), required=False)
    formula = _check_formula(formula, code=code, frequency=frequency)
    if indicator is not None and indicator.code != code:
        users = [i.name for i in Indicator.objects.exclude(formula="").exclude(pk=indicator.pk)
                 if indicator.code in formulas.names(i.formula)]
        if users:
            raise ValidationError({"code": _("编码被公式引用,不能修改:%(names)s。") % {"names": "、".join(users)}})
    units = list(responsible_units or [])
    for unit in units + ([source_office] if source_office else []):
        if not isinstance(unit, Unit) or not unit.is_active:
            raise ValidationError({"responsible_units": _("单位不正确或已停用。")})
    created = indicator is None
    if created:
        indicator = Indicator()
    else:
        indicator = Indicator.objects.select_for_update().get(pk=indicator.pk)
        indicator.version += 1
    for key, value in {"code": code, "name": name, "measure": measure, "direction": direction,
                       "frequency": frequency, "source_office": source_office, "formula": formula,
                       "start_year": start_year, "end_year": end_year, "goal_value": goal,
                       "behind_margin": margin, "behind_action": behind_action, "is_demo": is_demo}.items():
        setattr(indicator, key, value)
    indicator.save()
    indicator.responsible_units.set(units)
    ledger.append(event="indicator.create" if created else "indicator.update", obj=indicator, actor=actor,
                  data={"code": code, "formula": formula, "direction": direction, "frequency": frequency,
                        "span": [start_year, end_year], "goal": str(goal) if goal is not None else None,
                        "responsible_units": [u.pk for u in units], "demo": is_demo})
    return indicator


@transaction.atomic
def target_set(*, actor, indicator: Indicator, year, value) -> Target:
    _require(actor, permissions.INDICATORS_MANAGE)
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ValidationError({"year": _("年度应为整数。")}) from None
    if not indicator.start_year <= year <= indicator.end_year:
        raise ValidationError({"year": _("年度 %(year)s 不在指标的期限 %(a)s–%(b)s 内。")
                               % {"year": year, "a": indicator.start_year, "b": indicator.end_year}})
    value = _number(value, "value", _("目标值"))
    target, created = Target.objects.update_or_create(indicator=indicator, year=year, defaults={"value": value})
    ledger.append(event="indicator.target_set", obj=indicator, actor=actor,
                  data={"year": year, "value": str(value), "new": created})
    return target


# --- actual values -------------------------------------------------------------------------------
def may_enter(user, indicator: Indicator) -> bool:
    if not permissions.can(user, permissions.INDICATORS_ENTER) or indicator.is_derived:
        return False
    if permissions.can(user, permissions.INDICATORS_MANAGE):
        return True
    unit = getattr(user, "unit", None)
    if unit is None:
        return False
    return indicator.responsible_units.filter(pk=unit.pk).exists() or (
        indicator.source_office_id == unit.pk)


def _clean_actual(indicator: Indicator, period, value, *, field_prefix: str = "") -> tuple[str, Decimal]:
    key = periods.normalise(period)
    if not periods.is_defined(indicator, key):
        raise ValidationError({f"{field_prefix}period": _(
            "期间“%(period)s”未定义:%(name)s为%(freq)s指标(格式如 %(example)s),期限 %(a)s–%(b)s 年。")
            % {"period": period, "name": indicator.name, "freq": indicator.get_frequency_display(),
               "example": periods.example(indicator.frequency), "a": indicator.start_year, "b": indicator.end_year}})
    return key, _number(value, f"{field_prefix}value", _("实际值"))


def _recompute_derived(indicator: Indicator, period: str, actor) -> list[dict]:
    """Derived indicators that use ``indicator``: recompute their value for ``period``."""
    changes = []
    for derived in Indicator.objects.exclude(formula="").filter(frequency=indicator.frequency):
        refs = formulas.names(derived.formula)
        if indicator.code not in refs:
            continue
        values = dict(Actual.objects.filter(indicator__code__in=refs, period=period)
                      .values_list("indicator__code", "value"))
        result = formulas.evaluate(derived.formula, values)
        if result is None:
            Actual.objects.filter(indicator=derived, period=period, is_derived=True).delete()
            continue
        result = result.quantize(Decimal("0.0001"))
        Actual.objects.update_or_create(indicator=derived, period=period,
                                        defaults={"value": result, "is_derived": True, "entered_by": None,
                                                  "entered_at": timezone.now()})
        changes.append({"indicator": derived.code, "value": str(result)})
        changes.extend(_recompute_derived(derived, period, actor))
    return changes


def _store_actual(actor, indicator, key, value, is_demo=False) -> tuple[Actual, list[dict]]:
    actual, _created = Actual.objects.update_or_create(
        indicator=indicator, period=key,
        defaults={"value": value, "is_derived": False, "entered_by": actor if getattr(actor, "pk", None) else None,
                  "entered_at": timezone.now(), "is_demo": is_demo})
    return actual, _recompute_derived(indicator, key, actor)


@transaction.atomic
def actual_save(*, actor, indicator: Indicator, period, value, is_demo: bool = False) -> Actual:
    """Our county's value in a defined period (entered by a responsible unit or the 督查室)."""
    if not may_enter(actor, indicator):
        raise PermissionDenied(_("您不能填报该指标。"))
    key, number = _clean_actual(indicator, period, value)
    old = Actual.objects.filter(indicator=indicator, period=key).values_list("value", flat=True).first()
    actual, derived = _store_actual(actor, indicator, key, number, is_demo)
    ledger.append(event="indicator.actual_save", obj=indicator, actor=actor,
                  data={"period": key, "value": str(number), "before": str(old) if old is not None else None,
                        "derived": derived})
    return actual


@transaction.atomic
def peer_value_save(*, actor, indicator: Indicator, member: PeerMember, period, value) -> PeerValue:
    _require(actor, permissions.INDICATORS_MANAGE)
    if member.is_self:
        raise ValidationError({"member": _("本县的数值即指标实际值,请在实际值中填报。")})
    key, number = _clean_actual(indicator, period, value)
    pv, _created = PeerValue.objects.update_or_create(member=member, indicator=indicator, period=key,
                                                      defaults={"value": number})
    ledger.append(event="indicator.peer_value_save", obj=indicator, actor=actor,
                  data={"member": member.name, "group": member.group.name, "period": key, "value": str(number)})
    return pv


# --- peer groups ---------------------------------------------------------------------------------
@transaction.atomic
def peer_group_create(*, actor, name: str, members: list[str], self_name: str, description: str = "",
                      is_demo: bool = False) -> PeerGroup:
    """A peer group with its members (one per line); ``self_name`` names our county among them."""
    _require(actor, permissions.INDICATORS_MANAGE)
    name = _text(name, "name", _("对标组名称"))
    if PeerGroup.objects.filter(name=name).exists():
        raise ValidationError({"name": _("对标组“%(name)s”已存在。") % {"name": name}})
    cleaned, seen, dups = [], set(), []
    for raw in members:
        member = (raw or "").strip()
        if not member:
            continue
        if len(member) > 60:
            raise ValidationError({"members": _("成员名称不能超过 60 个字:%(m)s") % {"m": member[:20]}})
        if member in seen:
            dups.append(member)
        seen.add(member)
        cleaned.append(member)
    if dups:
        raise ValidationError({"members": _("成员重复:%(names)s。") % {"names": "、".join(sorted(set(dups)))}})
    if len(cleaned) < 2:
        raise ValidationError({"members": _("对标组至少要有两个成员。")})
    self_name = (self_name or "").strip()
    if self_name not in seen:
        raise ValidationError({"self_name": _("本县“%(name)s”不在成员中。") % {"name": self_name}})
    group = PeerGroup.objects.create(name=name, description=(description or "").strip()[:300], is_demo=is_demo)
    PeerMember.objects.bulk_create([PeerMember(group=group, name=m, is_self=(m == self_name)) for m in cleaned])
    ledger.append(event="indicator.peer_group_create", obj=group, actor=actor,
                  data={"members": len(cleaned), "self": self_name, "demo": is_demo})
    return group


# --- .xlsx import ----------------------------------------------------------------------------------
IMPORT_HEADERS = ("指标编码", "期间", "数值", "对标组", "成员")


class ImportRefused(ValidationError):
    """The workbook was refused; ``rows`` lists (row number, message) for the report."""

    def __init__(self, rows):
        self.rows = rows
        super().__init__(_("导入未执行:%(n)d 行有错误,全部数据未保存。") % {"n": len(rows)}, code="import_refused")


@transaction.atomic
def actuals_import(*, actor, file) -> dict:
    """Import values from an .xlsx: columns 指标编码 | 期间 | 数值 | 对标组 | 成员 (the last two empty for
    our own county's values). All or nothing: any bad row refuses the whole file with a report."""
    _require(actor, permissions.INDICATORS_ENTER)
    from openpyxl import load_workbook

    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - whatever openpyxl raises on a file that is not a workbook
        raise ValidationError({"file": _("无法读取文件:请上传 .xlsx 工作簿。")}) from None
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    if not rows or [str(c or "").strip() for c in rows[0][:3]] != list(IMPORT_HEADERS[:3]):
        raise ValidationError({"file": _("第一行应为表头:%(h)s。") % {"h": " | ".join(IMPORT_HEADERS)}})
    indicators = {i.code: i for i in Indicator.objects.all()}
    members = {(m.group.name, m.name): m for m in PeerMember.objects.select_related("group")}
    errors, own, peers, seen = [], [], [], {}
    for number, row in enumerate(rows[1:], start=2):
        cells = list(row) + [None] * 5
        if all(c is None or str(c).strip() == "" for c in cells[:5]):
            continue
        code = str(cells[0] or "").strip()
        indicator = indicators.get(code)
        if indicator is None:
            errors.append((number, _("指标编码“%(code)s”不存在。") % {"code": code}))
            continue
        try:
            key, value = _clean_actual(indicator, cells[1], cells[2])
        except ValidationError as exc:
            errors.append((number, "; ".join(exc.messages)))
            continue
        group, member_name = str(cells[3] or "").strip(), str(cells[4] or "").strip()
        if group or member_name:
            member = members.get((group, member_name))
            if member is None:
                errors.append((number, _("对标组“%(g)s”中没有成员“%(m)s”。") % {"g": group, "m": member_name}))
                continue
            target = ("peer", member.pk, indicator.pk, key)
            if not member.is_self:
                if not permissions.can(actor, permissions.INDICATORS_MANAGE):
                    errors.append((number, _("只有督查室可以导入对标单位的数值。")))
                    continue
                if target in seen:
                    errors.append((number, _("与第 %(n)d 行重复。") % {"n": seen[target]}))
                    continue
                seen[target] = number
                peers.append((member, indicator, key, value))
                continue
        if indicator.is_derived:
            errors.append((number, _("“%(name)s”是公式计算的指标,不能导入。") % {"name": indicator.name}))
            continue
        if not may_enter(actor, indicator):
            errors.append((number, _("您不能填报指标“%(name)s”。") % {"name": indicator.name}))
            continue
        target = ("own", indicator.pk, key)
        if target in seen:
            errors.append((number, _("与第 %(n)d 行重复。") % {"n": seen[target]}))
            continue
        seen[target] = number
        own.append((indicator, key, value))
    if errors:
        raise ImportRefused(errors)
    if not own and not peers:
        raise ValidationError({"file": _("文件中没有数据行。")})
    for indicator, key, value in own:
        _store_actual(actor, indicator, key, value)
    for member, indicator, key, value in peers:
        PeerValue.objects.update_or_create(member=member, indicator=indicator, period=key, defaults={"value": value})
    ledger.append(event="indicator.actuals_import", object_type="indicators.import", object_id="xlsx",
                  object_repr=_("指标数据导入"), actor=actor,
                  data={"own": len(own), "peers": len(peers),
                        "indicators": sorted({i.code for i, _k, _v in own} | {i.code for _m, i, _k, _v in peers})})
    return {"own": len(own), "peers": len(peers)}


# --- behind target → task or 督办 notice --------------------------------------------------------------
def shortfall(indicator: Indicator, actual: Decimal, target: Decimal) -> Decimal:
    """How far (in % of the target) the actual is behind; negative when ahead."""
    if target == 0:
        return Decimal(0)
    gap = (target - actual) if indicator.direction == Direction.HIGHER else (actual - target)
    return (gap / abs(target) * 100).quantize(Decimal("0.01"))


@transaction.atomic
def indicators_flag_behind(*, actor) -> list[BehindAlert]:
    """Compare each indicator's latest actual with its year's target; one alert per indicator and
    period beyond the margin, acted on once (a task for the first responsible unit, or a 督办
    notice to every responsible unit's liaison post).

    ``actor=None`` is the worker's hourly pass: it sends the notices but leaves indicators whose
    action is a task to the 督查室's button (creating tasks needs TASKS_MANAGE)."""
    worker = actor is None
    if not worker:
        _require(actor, permissions.INDICATORS_MANAGE)
    alerts = []
    indicators = Indicator.objects.prefetch_related("responsible_units", "targets")
    if worker:
        indicators = indicators.filter(behind_action=BehindAction.NOTICE)
    for indicator in indicators:
        latest = indicator.actuals.order_by("-period").first()
        if latest is None:
            continue
        year = periods.year_of(indicator.frequency, latest.period)
        target = next((t.value for t in indicator.targets.all() if t.year == year), None)
        if target is None:
            continue
        short = shortfall(indicator, latest.value, target)
        if short <= indicator.behind_margin:
            continue
        if BehindAlert.objects.filter(indicator=indicator, period=latest.period).exists():
            continue
        units = list(indicator.responsible_units.order_by("path"))
        if not units:
            continue
        alert = BehindAlert(indicator=indicator, period=latest.period, actual=latest.value, target=target,
                            shortfall=short, action=indicator.behind_action)
        title = _("指标督办:%(name)s %(period)s 实际 %(actual)s,目标 %(target)s,落后 %(short)s%%") % {
            "name": indicator.name, "period": latest.period, "actual": _fmt(latest.value),
            "target": _fmt(target), "short": short}
        url = reverse("indicators:detail", args=[indicator.pk])
        if indicator.behind_action == BehindAction.TASK:
            task = task_services.task_create(
                actor=actor, title=title[:300], lead_unit=units[0], co_units=units[1:],
                detail=_("指标落后目标超过容差 %(m)s%%,请分析原因、制定追赶措施并按期报送进展。") % {"m": indicator.behind_margin},
                start_date=timezone.localdate(), due_date=timezone.localdate() + timedelta(days=30))
            alert.task = task_services.task_assign(actor=actor, task=task)
        else:
            for unit in units:
                notice_send(actor=actor, kind=NoticeKind.REMINDER, subject=indicator, url=url, title=title[:200],
                            body=_("请分析原因、制定追赶措施。"), to_unit=unit, copy_unit_leader=True,
                            dedupe_key=f"indicator-behind:{indicator.pk}:{latest.period}")
        alert.save()
        alerts.append(alert)
        ledger.append(event="indicator.behind_flagged", obj=indicator, actor=actor,
                      data={"period": latest.period, "shortfall": str(short), "action": alert.action,
                            "task": alert.task_id, "units": [u.pk for u in units]})
    return alerts


def _fmt(value: Decimal) -> str:
    text = f"{value:,.4f}".rstrip("0").rstrip(".")
    return text

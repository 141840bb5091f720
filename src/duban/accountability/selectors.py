"""Reads of accountability cases. Only the discipline role (CASES_VIEW) lists cases; another user
reads one case only through a grant; a subject reads their own decided cases. Anyone else gets
404 for a case that exists (and an ``authz_denied`` row), the same as for one that does not.

For the evaluation (duban.evaluation):
* ``deductions_by_unit(year)`` — per unit, the decided cases of the year that count, by form
  (cleared and 免责 cases excluded; 从轻减轻 counted apart), and the cleared/exempted counts.
* ``evaluation_provider(ctx)`` — ready for ``register_accountability_provider``: points per unit
  subtree by the default schedule FORM_POINTS (从轻减轻 half, 免责/cleared nothing).
* ``has_case(person_or_unit, period)`` — whether a counting decision names that person or unit
  in the period (a year or a (start, end) pair of dates), for eligibility (期内有问责的不得推荐).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from duban.accountability.models import (
    DECIDED_STAGES,
    Case,
    CaseGrant,
    CaseSubject,
    Form,
    Measure,
    SubjectKind,
    ToleranceApplication,
    ToleranceOutcome,
)
from duban.accounts.models import labels_within
from duban.core import permissions
from duban.core.models import AuditEntry
from duban.orgs.models import Person, Unit
from duban.supervision import selectors as sup_selectors
from duban.supervision.models import Proposal

COUNTED_FORMS = (Form.FIRST, Form.SECOND, Form.THIRD, Form.FOURTH, Form.ORG)


def base_queryset() -> QuerySet[Case]:
    return Case.objects.select_related("unit", "post", "parent", "opened_by", "decided_by", "supervising_leader")


def _cleared(user, qs: QuerySet[Case]) -> QuerySet[Case]:
    """AC-11: only the cases labelled within the user's clearance (a 敏感 or 核心 case is, for a
    user of lower clearance, a case that does not exist: 404, even for the discipline role)."""
    return qs.filter(security_label__in=labels_within(getattr(user, "clearance", "")))


def cases_for_user(user) -> QuerySet[Case]:
    if not permissions.can(user, permissions.CASES_VIEW):
        return Case.objects.none()
    return _cleared(user, base_queryset())


def granted_cases(user) -> QuerySet[Case]:
    return _cleared(user, base_queryset().filter(grants__user=user))


def _readable_q(user) -> Q | None:
    """None: everything (the discipline role); otherwise the cases granted to the user."""
    if permissions.can(user, permissions.CASES_VIEW):
        return None
    return Q(pk__in=CaseGrant.objects.filter(user=user).values("case_id"))


def case_get_for_user(user, pk) -> Case:
    """One case for the discipline role or a grantee; 404 (and ``authz_denied``) otherwise."""
    if not (user and user.is_authenticated):
        raise Http404
    q = _readable_q(user)
    qs = _cleared(user, base_queryset() if q is None else base_queryset().filter(q))
    return permissions.resolve_scoped(user, qs, None, pk)


def cases_for_relabelling(user) -> QuerySet[Case]:
    """The 安全管理员's view for setting labels: every case, of which the page shows only the
    number and the label (三员分立: the security administrator does not read cases)."""
    if not permissions.can(user, permissions.ROLES_GRANT):
        return Case.objects.none()
    return Case.objects.only("pk", "number", "security_label", "row_mac").order_by("-pk")


def subject_cases(user) -> QuerySet[Case]:
    """The decided cases naming the user (their person, or their unit for a unit's case)."""
    if not (user and user.is_authenticated):
        return Case.objects.none()
    q = Q(pk__in=[])
    if getattr(user, "person_id", None):
        q |= Q(subjects__person_id=user.person_id)
    if user.unit_id:
        q |= Q(subject_kind=SubjectKind.UNIT, subjects__unit_id=user.unit_id)
    return _cleared(user, base_queryset().filter(q, stage__in=DECIDED_STAGES)).distinct()


def subject_case_get(user, pk) -> Case:
    return permissions.resolve_scoped(user, subject_cases(user), None, pk)


def can_manage(user) -> bool:
    return permissions.can(user, permissions.CASES_MANAGE)


def case_subjects(case: Case):
    return case.subjects.select_related("person__unit", "unit")


def case_applications(case: Case) -> QuerySet[ToleranceApplication]:
    return case.tolerance_applications.select_related("applicant", "reviewed_by")


def case_views(case: Case | None = None, *, limit: int = 200, denied: bool = False) -> QuerySet[AuditEntry]:
    """Who looked at which case (the auditor's list; the case page shows its own)."""
    qs = AuditEntry.objects.filter(event="case_viewed")
    if denied:  # the auditor also sees who was refused a case (404 for them, a row here)
        qs = AuditEntry.objects.filter(Q(event="case_viewed") | Q(event="authz_denied",
                                                                  object_type="accountability.case"))
    if case is not None:
        qs = qs.filter(object_type="accountability.case", object_id=str(case.pk))
    return qs.order_by("-seq")[:limit]


# --- statistics ------------------------------------------------------------------------------------
def _period(year: int | None, start: date | None = None, end: date | None = None) -> Q:
    q = Q(stage__in=DECIDED_STAGES, decided_on__isnull=False)
    if year:
        q &= Q(decided_on__year=year)
    if start:
        q &= Q(decided_on__gte=start)
    if end:
        q &= Q(decided_on__lte=end)
    return q


def statistics(*, year: int | None = None, unit: Unit | None = None, start: date | None = None,
               end: date | None = None) -> dict:
    """Decided cases by form and by unit in a period, with the 四种形态 shares (persons' forms)."""
    qs = Case.objects.filter(_period(year, start, end))
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    by_form = {row["form"]: row["n"] for row in qs.values("form").annotate(n=Count("id"))}
    forms = [{"form": f.value, "label": str(f.label), "count": by_form.get(f.value, 0)} for f in Form]
    four_total = sum(by_form.get(f, 0) for f in (Form.FIRST, Form.SECOND, Form.THIRD, Form.FOURTH))
    shares = [{"label": str(f.label), "count": by_form.get(f.value, 0),
               "share": round(100 * by_form.get(f.value, 0) / four_total, 1) if four_total else 0.0}
              for f in (Form.FIRST, Form.SECOND, Form.THIRD, Form.FOURTH)]
    units: dict[int, dict] = {}
    for row in qs.values("unit_id", "unit__name", "form").annotate(n=Count("id")).order_by("unit__path"):
        entry = units.setdefault(row["unit_id"], {"unit": row["unit__name"], "total": 0,
                                                  **{f.value: 0 for f in Form}})
        entry[row["form"]] += row["n"]
        entry["total"] += row["n"]
    extra = qs.aggregate(exempt=Count("id", filter=Q(tolerance=ToleranceOutcome.EXEMPT)),
                         mitigate=Count("id", filter=Q(tolerance=ToleranceOutcome.MITIGATE)),
                         cleared=Count("id", filter=Q(cleared=True)), total=Count("id"))
    return {"forms": forms, "shares": shares, "units": list(units.values()), "four_total": four_total, **extra}


@dataclass
class UnitDeductions:
    unit_id: int
    by_form: dict[str, int] = field(default_factory=dict)  # "1".."4", "org": counting cases at full weight
    mitigated_by_form: dict[str, int] = field(default_factory=dict)  # 从轻减轻 cases, by form
    exempted: int = 0  # 免责 after 容错 (not counted)
    cleared: int = 0  # 澄清正名 (not counted)

    @property
    def counted(self) -> int:
        return sum(self.by_form.values()) + sum(self.mitigated_by_form.values())


def deductions_by_unit(year: int) -> dict[int, UnitDeductions]:
    """Per unit id, the deduction inputs of the year's decisions (by decision date)."""
    out: dict[int, UnitDeductions] = {}

    def get(unit_id):
        return out.setdefault(unit_id, UnitDeductions(unit_id=unit_id, by_form=defaultdict(int),
                                                      mitigated_by_form=defaultdict(int)))

    rows = (Case.objects.filter(_period(year)).exclude(measure__in=["", Measure.NONE])
            .values_list("unit_id", "form", "tolerance", "cleared"))
    for unit_id, form, tolerance, cleared in rows:
        d = get(unit_id)
        if cleared:
            d.cleared += 1
        elif tolerance == ToleranceOutcome.EXEMPT:
            d.exempted += 1
        elif tolerance == ToleranceOutcome.MITIGATE:
            d.mitigated_by_form[form] += 1
        else:
            d.by_form[form] += 1
    for d in out.values():
        d.by_form, d.mitigated_by_form = dict(d.by_form), dict(d.mitigated_by_form)
    return out


# Default deduction schedule (points per counting case; 从轻减轻 counts half).
FORM_POINTS: dict[str, Decimal] = {Form.FIRST: Decimal(1), Form.SECOND: Decimal(2), Form.THIRD: Decimal(3),
                                   Form.FOURTH: Decimal(5), Form.ORG: Decimal(2)}
MITIGATED_FACTOR = Decimal("0.5")


def evaluation_provider(ctx) -> dict[int, dict]:
    """For duban.evaluation's ``register_accountability_provider``: ``ctx`` has ``year`` and
    ``units`` [(unit id, path)]; returns {unit id: {"points": Decimal, "count": int}} over each
    unit's subtree (a case of a village counts for its township), by FORM_POINTS; 免责 and cleared
    cases count nothing, 从轻减轻 half."""
    by_length: dict[int, dict[str, int]] = {}
    for pk, path in ctx.units:
        by_length.setdefault(len(path), {})[path] = pk
    result: dict[int, dict] = {}
    rows = (Case.objects.filter(_period(ctx.year)).exclude(measure__in=["", Measure.NONE])
            .filter(cleared=False).exclude(tolerance=ToleranceOutcome.EXEMPT)
            .values_list("unit__path", "form", "tolerance"))
    for path, form, tolerance in rows:
        points = FORM_POINTS.get(form, Decimal(0))
        if tolerance == ToleranceOutcome.MITIGATE:
            points *= MITIGATED_FACTOR
        for length, paths in by_length.items():
            pk = paths.get(path[:length])
            if pk is not None:
                entry = result.setdefault(pk, {"points": Decimal(0), "count": 0})
                entry["points"] += points
                entry["count"] += 1
    return result


def has_case(person_or_unit: Person | Unit, period) -> bool:
    """Whether a counting decision (not 不予问责, not 免责, not cleared) names this person or unit in
    the period: a year (int) or a (start, end) pair of dates. A unit "has a case" when the case is
    against the unit or against one of its people (the case's unit)."""
    if isinstance(period, int):
        q = _period(period)
    else:
        start, end = period
        q = _period(None, start, end)
    qs = (Case.objects.filter(q).exclude(measure__in=["", Measure.NONE]).filter(cleared=False)
          .exclude(tolerance=ToleranceOutcome.EXEMPT))
    if isinstance(person_or_unit, Person):
        return qs.filter(pk__in=CaseSubject.objects.filter(person=person_or_unit).values("case_id")).exists()
    if isinstance(person_or_unit, Unit):
        return qs.filter(Q(unit=person_or_unit) | Q(
            pk__in=CaseSubject.objects.filter(unit=person_or_unit).values("case_id"))).exists()
    raise TypeError("has_case takes a Person or a Unit")


def proposals_open(user):
    """The supervision 问责建议 not yet opened as a case (for the one-click 受理)."""
    ct = ContentType.objects.get_for_model(Proposal)
    taken = Case.objects.filter(source_type=ct, kind="main").values("source_id")
    return sup_selectors.proposals_for_user(user).exclude(pk__in=taken)

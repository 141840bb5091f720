"""Reads of 巡察, scoped; the 回避 rule; coverage over a term; the figures other apps read.

Who sees a round: the inspection office and the discipline role (INSPECTIONS_CONFIDENTIAL) every
round; anyone else with INSPECTIONS_VIEW only a round whose 反馈 was given (``fed_back_on`` on or
before today) — leaders every such round, a unit user such a round that inspected a unit of their
subtree, and of it only the findings on their subtree. Before 反馈 the unit gets 404.

For other apps: ``coverage_summary(term)`` (the dashboard's percent covered) and
``reopenings_by_unit(year)`` (the evaluation's count of findings reopened by a 回头看).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from duban.core import permissions
from duban.inspections.models import (
    Finding,
    FollowUp,
    FollowUpResult,
    InspectorPool,
    Rectification,
    Relative,
    Round,
    Target,
    Term,
    WorkHistory,
)
from duban.orgs.models import Person, Unit, UnitKind
from duban.tasks import lights



# --- visibility -------------------------------------------------------------------------------
def sees_confidential(user) -> bool:
    return permissions.can(user, permissions.INSPECTIONS_CONFIDENTIAL)


def _fed_back_q(today: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}fed_back_on__isnull": False, f"{prefix}fed_back_on__lte": today})


def rounds_for_user(user) -> QuerySet[Round]:
    qs = Round.objects.select_related("term").annotate(
        target_count=Count("targets", distinct=True), finding_count=Count("findings", distinct=True)).order_by(
        "-start_date", "-id")
    if not permissions.can(user, permissions.INSPECTIONS_VIEW):
        return qs.none()
    if sees_confidential(user):
        return qs
    prefix = permissions.scope_path(user)
    if prefix is None:
        return qs.none()
    qs = qs.filter(_fed_back_q(lights.today()))
    if prefix == "":
        return qs
    mine = Target.objects.filter(round_id=OuterRef("pk"), unit__path__startswith=prefix)
    return qs.filter(Exists(mine))


def round_get_for_user(user, pk) -> Round:
    found = permissions.resolve_scoped(user, rounds_for_user(user), None, pk) if _is_id(pk) else None
    if found is None:
        raise Http404
    return found


def _is_id(pk) -> bool:
    try:
        int(str(pk))
    except (TypeError, ValueError):
        return False
    return True


def findings_for_user(user) -> QuerySet[Finding]:
    qs = Finding.objects.select_related("round", "unit").prefetch_related("rectifications__task")
    if not permissions.can(user, permissions.INSPECTIONS_VIEW):
        return qs.none()
    if sees_confidential(user):
        return qs
    qs = qs.filter(_fed_back_q(lights.today(), "round__"))
    return permissions.scope(user, qs, "unit")


def finding_get_for_user(user, pk) -> Finding:
    return permissions.resolve_scoped(user, findings_for_user(user), None, pk)


def rectification_get_for_user(user, pk) -> Rectification:
    qs = Rectification.objects.select_related("finding__round__term", "finding__unit", "task")
    qs = qs.filter(finding__in=findings_for_user(user))
    return permissions.resolve_scoped(user, qs, None, pk)


# --- 回避 -------------------------------------------------------------------------------------
def _prefixes(path: str) -> list[str]:
    step = Unit.steplen
    return [path[:i] for i in range(step, len(path) + 1, step)]


def conflict_reasons(people, units, *, on: date, years: int) -> dict[tuple[int, int], str]:
    """{(person id, unit id): why} for every pair where the person may not inspect the unit:
    they work in it now, worked in it during the last ``years`` years (counted from ``on``), or a
    close relative works there (a unit's subtree counts as the unit)."""
    people = list(people)
    units = list(units)
    by_path = {u.path: u for u in units}
    person_ids = [p.pk for p in people]
    since = on.year - years
    out: dict[tuple[int, int], str] = {}

    def mark(person_id, path, reason):
        for prefix in _prefixes(path):
            unit = by_path.get(prefix)
            if unit is not None:
                out.setdefault((person_id, unit.pk), reason % {"unit": unit.name})

    for person in Person.objects.filter(pk__in=person_ids).select_related("unit"):
        mark(person.pk, person.unit.path, _("%(name)s现在就在“%%(unit)s”工作") % {"name": person.name})
    for row in (WorkHistory.objects.filter(person_id__in=person_ids)
                .filter(Q(end_year__isnull=True) | Q(end_year__gte=since))
                .select_related("person", "unit")):
        mark(row.person_id, row.unit.path, _("%(name)s%(start)s–%(end)s年在“%%(unit)s”工作,未满 %(years)s 年") % {
            "name": row.person.name, "start": row.start_year, "end": row.end_year or _("至今"), "years": years})
    for row in Relative.objects.filter(person_id__in=person_ids).select_related("person", "unit"):
        mark(row.person_id, row.unit.path, _("%(name)s的%(relation)s%(relative)s在“%%(unit)s”工作") % {
            "name": row.person.name, "relation": row.relation, "relative": row.name})
    return out


def pool_people() -> QuerySet[Person]:
    return Person.objects.filter(inspector__is_active=True, is_active=True).select_related("unit").order_by("name")


def pool_for_user(user) -> QuerySet[InspectorPool]:
    if not sees_confidential(user):
        return InspectorPool.objects.none()
    return InspectorPool.objects.select_related("person__unit").prefetch_related(
        "person__work_history__unit", "person__relatives__unit")


# --- terms and coverage -----------------------------------------------------------------------
def current_term(today: date | None = None) -> Term | None:
    today = today or lights.today()
    for term in Term.objects.filter(start_date__lte=today).order_by("-start_date"):
        if term.end_date >= today:
            return term
    return Term.objects.order_by("-start_date").first()


def coverage_units() -> list[Unit]:
    """The units the term must cover (乡镇/办事处 and 市直单位): every active township, and every
    active party, government or mass-organisation unit one or two levels below the root that is
    not inside a township — except a body that only groups such units (the 市委 or the 市政府
    with their departments below): its departments are covered instead."""
    city_kinds = (UnitKind.PARTY, UnitKind.GOVERNMENT, UnitKind.MASS_ORG)
    rows = list(Unit.objects.filter(is_active=True).filter(
        Q(kind=UnitKind.TOWNSHIP) | Q(kind__in=city_kinds, depth__in=(2, 3))).order_by("path"))
    townships = [u.path for u in rows if u.kind == UnitKind.TOWNSHIP]
    city = [u for u in rows if u.kind != UnitKind.TOWNSHIP and not any(u.path.startswith(t) for t in townships)]
    parents = {u.path[:-Unit.steplen] for u in city if u.depth == 3}
    keep = {u.pk for u in city if not (u.depth == 2 and u.path in parents)}
    return [u for u in rows if u.kind == UnitKind.TOWNSHIP or u.pk in keep]


def coverage_matrix(term: Term, today: date | None = None) -> list[dict]:
    """One row per unit: the rounds of the term that targeted it, and whether it is covered
    (a round that inspected it has given its 反馈), planned, or still uncovered."""
    today = today or lights.today()
    targets = defaultdict(list)
    for t in (Target.objects.filter(round__term=term).select_related("round").order_by("round__start_date")):
        targets[t.unit_id].append(t.round)
    rows = []
    for unit in coverage_units():
        rounds = targets.get(unit.pk, [])
        covered = [r for r in rounds if r.fed_back_on is not None and r.fed_back_on <= today]
        state = "covered" if covered else ("planned" if rounds else "uncovered")
        rows.append({"unit": unit, "rounds": rounds, "state": state,
                     "covered_on": covered[0].fed_back_on if covered else None})
    return rows


def coverage_summary(term: Term | None = None, today: date | None = None) -> dict:
    """The percent of the term's units covered, for the leaders' dashboard: ``{"term", "total",
    "covered", "planned", "uncovered", "percent", "by_year": [{"year", "covered"}]}`` (``percent``
    is 0–100 with one decimal; an empty dict when no term exists)."""
    today = today or lights.today()
    term = term or current_term(today)
    if term is None:
        return {}
    rows = coverage_matrix(term, today)
    total = len(rows)
    covered = sum(1 for r in rows if r["state"] == "covered")
    planned = sum(1 for r in rows if r["state"] == "planned")
    years = defaultdict(int)
    for r in rows:
        if r["covered_on"]:
            years[r["covered_on"].year] += 1
    by_year = []
    running = 0
    for year in range(term.start_date.year, term.end_date.year + 1):
        running += years.get(year, 0)
        by_year.append({"year": year, "covered": years.get(year, 0), "cumulative": running})
    return {"term": term.name, "term_id": term.pk, "total": total, "covered": covered, "planned": planned,
            "uncovered": total - covered - planned,
            "percent": round(100.0 * covered / total, 1) if total else 0.0, "by_year": by_year}


def rounds_left(term: Term, rounds_per_year: int, today: date | None = None) -> int:
    """Round slots from now to the term's end: whole months left × rounds per year / 12."""
    today = today or lights.today()
    if today > term.end_date:
        return 0
    start = max(today, term.start_date)
    delta = relativedelta(term.end_date, start)
    months = delta.years * 12 + delta.months
    return (months * rounds_per_year) // 12


# --- figures ----------------------------------------------------------------------------------
def rectification_rate(findings: QuerySet[Finding]) -> dict:
    qs = Rectification.objects.filter(finding__in=findings)
    total = qs.count()
    closed = qs.filter(closed_on__isnull=False).count()
    return {"total": total, "closed": closed, "percent": round(100.0 * closed / total, 1) if total else 0.0}


def round_statistics(round_: Round) -> dict:
    findings = Finding.objects.filter(round=round_)
    by_category = list(findings.values("category").annotate(n=Count("id")).order_by("category"))
    by_severity = list(findings.values("severity").annotate(n=Count("id")).order_by("severity"))
    from duban.inspections.models import FindingCategory, Severity

    return {
        "targets": round_.targets.count(), "teams": round_.teams.count(), "findings": findings.count(),
        "transferred": findings.filter(transferred=True).count(),
        "by_category": [(FindingCategory(r["category"]).label, r["n"]) for r in by_category],
        "by_severity": [(Severity(r["severity"]).label, r["n"]) for r in by_severity],
        "rectification": rectification_rate(findings),
        "reopened": FollowUp.objects.filter(rectification__finding__round=round_,
                                            result=FollowUpResult.REGRESSED).count(),
    }


def unit_rectification_rates(term: Term | None = None) -> list[dict]:
    """Per unit: rectification tasks, how many 销号, the rate."""
    qs = Rectification.objects.all()
    if term is not None:
        qs = qs.filter(finding__round__term=term)
    rows = (qs.values("finding__unit_id", "finding__unit__name")
            .annotate(total=Count("id"), closed=Count("id", filter=Q(closed_on__isnull=False)))
            .order_by("finding__unit__path"))
    return [{"unit_id": r["finding__unit_id"], "unit": r["finding__unit__name"], "total": r["total"],
             "closed": r["closed"], "percent": round(100.0 * r["closed"] / r["total"], 1) if r["total"] else 0.0}
            for r in rows]


def reopenings_by_unit(year: int) -> dict[int, int]:
    """{unit id: number of findings reopened by a 回头看 done in ``year``} (the unit responsible
    for the finding); units without a reopening are absent."""
    rows = (FollowUp.objects.filter(result=FollowUpResult.REGRESSED, done_on__year=year)
            .values("rectification__finding__unit_id").annotate(n=Count("rectification__finding", distinct=True)))
    return {r["rectification__finding__unit_id"]: r["n"] for r in rows}


def followups_due(today: date | None = None) -> QuerySet[Rectification]:
    """Closed rectifications whose 回头看 date has come and which have no 回头看 for that date yet."""
    today = today or lights.today()
    scheduled = FollowUp.objects.filter(rectification_id=OuterRef("pk"), due_on=OuterRef("followup_due"))
    return (Rectification.objects.filter(closed_on__isnull=False, followup_due__lte=today)
            .exclude(Exists(scheduled)).select_related("finding__unit", "finding__round", "task"))

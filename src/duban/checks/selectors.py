"""Reads of checks and findings, scoped; the monthly bulletin's figures, aggregated in the database.

Who sees a check: the 督查室 (CHECKS_MANAGE) every check; leaders and the discipline role
(global scope) every *published* check; a unit user a published check on a unit of their
subtree. An unpublished 暗访 therefore answers 404 to the checked unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.http import Http404

from duban.checks.models import Check, CheckMode, Finding, FindingFile
from duban.core import permissions
from duban.orgs.models import Unit
from duban.supervision.models import Listing
from duban.tasks import lights
from duban.tasks.models import Task, TaskStatus


def _visible_q(user) -> Q:
    if not permissions.can(user, permissions.CHECKS_VIEW):
        return Q(pk__in=[])
    if permissions.can(user, permissions.CHECKS_MANAGE):
        return Q()
    prefix = permissions.scope_path(user)
    if prefix is None:
        return Q(pk__in=[])
    published = Q(published_at__isnull=False)
    if prefix == "":
        return published
    mine = Check.units.through.objects.filter(check_id=OuterRef("pk"), unit__path__startswith=prefix)
    return published & Q(Exists(mine))


def checks_for_user(user) -> QuerySet[Check]:
    return (Check.objects.filter(_visible_q(user))
            .annotate(finding_count=Count("findings", distinct=True))
            .prefetch_related("units").order_by("-start_date", "-id"))


def check_get_for_user(user, pk) -> Check:
    try:
        return Check.objects.filter(_visible_q(user)).prefetch_related("units", "team", "tasks").get(pk=pk)
    except (Check.DoesNotExist, ValueError, TypeError):
        pass
    # 404 and the ``authz_denied`` row when it exists, as every scoped getter answers.
    return permissions.get_or_404(user, Check.objects.none(), "units", pk=pk)


def findings_for_check(user, check: Check) -> QuerySet[Finding]:
    """A unit user sees the findings on their own subtree; the 督查室 and leaders all of them."""
    qs = Finding.objects.filter(check_run=check).select_related("unit", "task").prefetch_related("files")
    if permissions.can(user, permissions.CHECKS_MANAGE):
        return qs
    return permissions.scope(user, qs, "unit")


def finding_get_for_manager(user, pk) -> Finding:
    if not permissions.can(user, permissions.CHECKS_MANAGE):
        raise Http404
    return permissions.get_or_404(user, Finding.objects.select_related("check_run", "unit"), "unit", pk=pk)


def finding_file_get_for_user(user, pk) -> FindingFile:
    try:
        file = FindingFile.objects.select_related("finding__check_run", "finding__unit").get(pk=pk)
    except (FindingFile.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    check_get_for_user(user, file.finding.check_run_id)  # 404 when the check is hidden
    if not findings_for_check(user, file.finding.check_run).filter(pk=file.finding_id).exists():
        permissions.get_or_404(user, FindingFile.objects.none(), "finding__unit", pk=pk)
    return file


# --- the monthly bulletin ---------------------------------------------------------------------
@dataclass
class NamedUnit:
    name: str
    overdue: int


@dataclass
class CheckLine:
    title: str
    mode: str
    start_date: date
    end_date: date
    findings: int
    tasks: int
    done: int


@dataclass
class Bulletin:
    year: int
    month: int
    as_of: date
    issuer: str
    assigned: int = 0
    completed: int = 0
    completed_late: int = 0
    overdue: int = 0
    named: list[NamedUnit] = field(default_factory=list)
    listed: list[str] = field(default_factory=list)
    check_count: int = 0
    covert_count: int = 0
    finding_count: int = 0
    finding_tasks: int = 0
    finding_done: int = 0
    checks: list[CheckLine] = field(default_factory=list)


NAMED_UNITS = 10
LISTED_ITEMS = 50


def _listed_titles(first: date, end: date) -> list[str]:
    """挂牌督办 items listed during the month (duban.supervision), in task order."""
    return list(Listing.objects.filter(listed_on__gte=first, listed_on__lt=end)
                .order_by("task__path", "id").values_list("task__title", flat=True)[:LISTED_ITEMS])


def bulletin_data(year: int, month: int, *, today: date | None = None) -> Bulletin:
    """The month's figures, each one query: tasks assigned and completed in the month, tasks
    overdue at the month's end (or today, for the current month), the units with most overdue
    tasks, the month's published checks and their findings."""
    today = today or lights.today()
    first = date(year, month, 1)
    end = first + relativedelta(months=1)
    as_of = min(end, today + timedelta(days=1)) - timedelta(days=1)
    tz = lights.BEIJING
    start_dt = datetime.combine(first, time.min, tzinfo=tz)
    end_dt = datetime.combine(end, time.min, tzinfo=tz)
    cut_dt = datetime.combine(as_of + timedelta(days=1), time.min, tzinfo=tz)
    root = Unit.objects.get_first_root_node()
    data = Bulletin(year=year, month=month, as_of=as_of, issuer=_issuer(root))

    issued = Task.objects.exclude(status=TaskStatus.DRAFT)
    data.assigned = issued.filter(assigned_at__gte=start_dt, assigned_at__lt=end_dt).count()
    done = issued.filter(status=TaskStatus.COMPLETED, completed_at__gte=start_dt, completed_at__lt=end_dt)
    # A due date D ends at the end of day D, Beijing (TIME_ZONE): later than that is late.
    counts = done.aggregate(total=Count("id"), late=Count("id", filter=Q(completed_at__date__gt=F("due_date"))))
    data.completed, data.completed_late = counts["total"], counts["late"]
    # Overdue at as_of: due before as_of, not cancelled, and not completed by then.
    overdue = issued.exclude(status=TaskStatus.CANCELLED).filter(due_date__lt=as_of).filter(
        Q(completed_at__isnull=True) | Q(completed_at__gte=cut_dt))
    data.overdue = overdue.count()
    data.named = [NamedUnit(name, n) for name, n in (
        overdue.filter(lead_unit__isnull=False).values("lead_unit__name").annotate(n=Count("id"))
        .order_by("-n", "lead_unit__name").values_list("lead_unit__name", "n")[:NAMED_UNITS])]
    data.listed = _listed_titles(first, end)

    checks = (Check.objects.filter(published_at__isnull=False, start_date__lt=end, end_date__gte=first)
              .annotate(n_findings=Count("findings", distinct=True),
                        n_tasks=Count("findings", filter=Q(findings__task__isnull=False), distinct=True),
                        n_done=Count("findings", filter=Q(findings__task__status=TaskStatus.COMPLETED), distinct=True))
              .order_by("start_date", "id"))
    data.checks = [CheckLine(c.title, c.get_mode_display(), c.start_date, c.end_date, c.n_findings, c.n_tasks,
                             c.n_done) for c in checks]
    data.check_count = len(data.checks)
    data.covert_count = sum(1 for c in checks if c.mode == CheckMode.COVERT)
    data.finding_count = sum(c.findings for c in data.checks)
    data.finding_tasks = sum(c.tasks for c in data.checks)
    data.finding_done = sum(c.done for c in data.checks)
    return data


def _issuer(root: Unit | None) -> str:
    if root is None:
        return "督查室"
    return f"{root.short_name or root.name}督查室"

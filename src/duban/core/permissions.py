"""Who may do what, and which objects they may see: the one place permissions are decided.

Two questions, answered here and nowhere else:

* ``can(user, perm)``: may this user use this function at all? Deny by default: a role has
  exactly the permissions listed in ROLE_PERMISSIONS. ``is_superuser`` and ``is_staff`` are
  ignored (AC-04): Django's superuser bypass is never consulted.
* ``scope(user, queryset, unit_field)``: which rows may this user see? Roles in GLOBAL_SCOPE see
  the whole organisation; everyone else sees the subtree of their own unit. Objects outside it
  do not exist for them: ``get_or_404`` answers 404 (and records ``authz_denied``).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from duban.core.roles import Role

# Functions. Names are "<area>.<verb>".
DIRECTORY_VIEW = "directory.view"
DIRECTORY_EDIT = "directory.edit"
ACCOUNTS_MANAGE = "accounts.manage"
ROLES_GRANT = "roles.grant"
AUDIT_VIEW = "audit.view"
TASKS_VIEW = "tasks.view"
TASKS_MANAGE = "tasks.manage"  # create, decompose, assign, review, approve extensions (督查室)
TASKS_HANDLE = "tasks.handle"  # acknowledge, report, request completion/extension (units)
TASKS_INSTRUCT = "tasks.instruct"  # leaders' instructions (批示)
INTAKE_USE = "intake.use"
API_USE = "api.use"
CHECKS_VIEW = "checks.view"  # published checks on one's own units (everything for the 督查室)
CHECKS_MANAGE = "checks.manage"  # record checks and findings, publish 暗访, the monthly 督查通报 (督查室)
MEETINGS_VIEW = "meetings.view"  # leading-group meetings and decisions
MEETINGS_MANAGE = "meetings.manage"  # record meetings (督查室; a unit admin for groups whose office is in the unit)
SUPERVISION_MANAGE = "supervision.manage"  # rules, 催办, 督办单, 挂牌督办/摘牌 (督查室)
SUPERVISION_REPLY = "supervision.reply"  # reply to a 督办单 addressed to one's unit (units)
SUPERVISION_LISTED = "supervision.listed"  # see the 挂牌督办 list (leaders, 督查室, 纪委)
SUPERVISION_PROPOSALS = "supervision.proposals"  # see 问责建议 (纪委, 督查室)
EVALUATION_VIEW = "evaluation.view"  # score sheets and rankings (one's own units; everything for global roles)
EVALUATION_MANAGE = "evaluation.manage"  # schemes, computing, 公示/定稿, answering objections, 硒都楷模 (督查室)
EVALUATION_OBJECT = "evaluation.object"  # file objections and bonus claims for one's own unit (units)
EVALUATION_RATE = "evaluation.rate"  # manual ratings (领导评价, 民主测评)
DASHBOARD_VIEW = "dashboard.view"  # the leaders' dashboard (驾驶舱), scoped like the lists

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.SUPERVISOR: frozenset({DIRECTORY_VIEW, DIRECTORY_EDIT, TASKS_VIEW, TASKS_MANAGE, TASKS_HANDLE,
                                INTAKE_USE, API_USE, SUPERVISION_MANAGE, SUPERVISION_LISTED,
                                SUPERVISION_PROPOSALS}),
    Role.UNIT_ADMIN: frozenset({DIRECTORY_VIEW, DIRECTORY_EDIT, TASKS_VIEW, TASKS_HANDLE, API_USE, SUPERVISION_REPLY}),
    Role.LIAISON: frozenset({DIRECTORY_VIEW, TASKS_VIEW, TASKS_HANDLE, API_USE, SUPERVISION_REPLY}),
    Role.LEADER: frozenset({DIRECTORY_VIEW, TASKS_VIEW, TASKS_INSTRUCT, API_USE, SUPERVISION_LISTED}),
    Role.DISCIPLINE: frozenset({DIRECTORY_VIEW, TASKS_VIEW, API_USE, SUPERVISION_LISTED, SUPERVISION_PROPOSALS}),
    # 三员分立: the system administrator runs accounts (and sees the directory to place them),
    # the security administrator grants roles and sets policy, the auditor reads the audit log.
    Role.SYSADMIN: frozenset({ACCOUNTS_MANAGE, DIRECTORY_VIEW, DIRECTORY_EDIT}),
    Role.SECADMIN: frozenset({ROLES_GRANT}),
    Role.AUDITOR: frozenset({AUDIT_VIEW}),
}

# Supervision checks and leading-group meetings (duban.checks, duban.meetings), kept as one block
# so the table above stays untouched by the apps that came later.
for _role, _perms in {
    Role.SUPERVISOR: {CHECKS_VIEW, CHECKS_MANAGE, MEETINGS_VIEW, MEETINGS_MANAGE},
    Role.UNIT_ADMIN: {CHECKS_VIEW, MEETINGS_VIEW, MEETINGS_MANAGE},
    Role.LIAISON: {CHECKS_VIEW, MEETINGS_VIEW},
    Role.LEADER: {CHECKS_VIEW, MEETINGS_VIEW},
    Role.DISCIPLINE: {CHECKS_VIEW, MEETINGS_VIEW},
}.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | frozenset(_perms)
del _role, _perms

# Evaluation and the dashboard (duban.evaluation, duban.dashboard), one block like the one above.
for _role, _perms in {
    Role.SUPERVISOR: {EVALUATION_VIEW, EVALUATION_MANAGE, EVALUATION_RATE, DASHBOARD_VIEW},
    Role.UNIT_ADMIN: {EVALUATION_VIEW, EVALUATION_OBJECT, DASHBOARD_VIEW},
    Role.LIAISON: {EVALUATION_VIEW, EVALUATION_OBJECT, DASHBOARD_VIEW},
    Role.LEADER: {EVALUATION_VIEW, EVALUATION_RATE, DASHBOARD_VIEW},
    Role.DISCIPLINE: {EVALUATION_VIEW, DASHBOARD_VIEW},
}.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | frozenset(_perms)
del _role, _perms

# Accountability cases (duban.accountability): only the discipline role; others read a case only
# through a per-case grant recorded in that app (accountability.models.CaseGrant).
CASES_VIEW = "cases.view"  # the case list, statistics and documents (纪委)
CASES_MANAGE = "cases.manage"  # open cases, run their stages, decide, review 容错 and appeals (纪委)
ROLE_PERMISSIONS[Role.DISCIPLINE] = ROLE_PERMISSIONS[Role.DISCIPLINE] | frozenset({CASES_VIEW, CASES_MANAGE})

# 巡察 (duban.inspections). The inspection office (巡察办) is the 督查室's role here: 整改销号 is the
# task lifecycle's approval, which only TASKS_MANAGE may give; the discipline role also reads every
# round before 反馈 (and the clues handed over to it).
INSPECTIONS_VIEW = "inspections.view"  # own unit's findings after 反馈, the coverage page
INSPECTIONS_CONFIDENTIAL = "inspections.confidential"  # rounds and findings before 反馈 (巡察办, 纪委)
INSPECTIONS_MANAGE = "inspections.manage"  # rounds, teams, findings, planner, 整改销号, 回头看 (巡察办)
for _role, _perms in {
    Role.SUPERVISOR: {INSPECTIONS_VIEW, INSPECTIONS_CONFIDENTIAL, INSPECTIONS_MANAGE},
    Role.DISCIPLINE: {INSPECTIONS_VIEW, INSPECTIONS_CONFIDENTIAL},
    Role.LEADER: {INSPECTIONS_VIEW},
    Role.UNIT_ADMIN: {INSPECTIONS_VIEW},
    Role.LIAISON: {INSPECTIONS_VIEW},
}.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | frozenset(_perms)
del _role, _perms

# 大数据监督 (duban.datacheck): the discipline office only; raw-SQL rules need the security
# administrator's approval (who sees the SQL, never the data).
DATACHECK_USE = "datacheck.use"
DATACHECK_APPROVE_SQL = "datacheck.approve_sql"
ROLE_PERMISSIONS[Role.DISCIPLINE] = ROLE_PERMISSIONS[Role.DISCIPLINE] | frozenset({DATACHECK_USE})
ROLE_PERMISSIONS[Role.SECADMIN] = ROLE_PERMISSIONS[Role.SECADMIN] | frozenset({DATACHECK_APPROVE_SQL})

# "316" indicators, resource requests (要素配置) and petition warnings (信访维稳预警): duban.indicators,
# duban.resources, duban.petitions (docs/indicators.md says why each role gets what). The petitions
# office (信访办) is the 督查室's role here, like the 巡察办 above; petitioners' personal data is
# read only through audited views.
INDICATORS_VIEW = "indicators.view"  # indicators, targets, actuals, peer ranks and charts
INDICATORS_MANAGE = "indicators.manage"  # definitions, targets, peer groups, peers' values, 落后督办 (督查室)
INDICATORS_ENTER = "indicators.enter"  # enter/import actual values of indicators one's unit is responsible for
RESOURCES_VIEW = "resources.view"  # requests of one's subtree (everything for global roles)
RESOURCES_REQUEST = "resources.request"  # file a request for one's own unit (units)
RESOURCES_DECIDE = "resources.decide"  # forward, prioritise, decide and track requests held by one's unit
PETITIONS_VIEW = "petitions.view"  # petitions of one's subtree and their warnings (audited, ID numbers masked)
PETITIONS_MANAGE = "petitions.manage"  # register petitions, warning rules, sensitive periods (信访办 = 督查室)
PETITIONS_HANDLE = "petitions.handle"  # record 受理/办结 on petitions one's unit is responsible for
for _role, _perms in {
    Role.SUPERVISOR: {INDICATORS_VIEW, INDICATORS_MANAGE, INDICATORS_ENTER, RESOURCES_VIEW, RESOURCES_REQUEST,
                      RESOURCES_DECIDE, PETITIONS_VIEW, PETITIONS_MANAGE, PETITIONS_HANDLE},
    Role.UNIT_ADMIN: {INDICATORS_VIEW, INDICATORS_ENTER, RESOURCES_VIEW, RESOURCES_REQUEST, RESOURCES_DECIDE,
                      PETITIONS_VIEW, PETITIONS_HANDLE},
    Role.LIAISON: {INDICATORS_VIEW, INDICATORS_ENTER, RESOURCES_VIEW, RESOURCES_REQUEST, RESOURCES_DECIDE,
                   PETITIONS_VIEW, PETITIONS_HANDLE},
    Role.LEADER: {INDICATORS_VIEW, RESOURCES_VIEW, PETITIONS_VIEW},
    Role.DISCIPLINE: {INDICATORS_VIEW, PETITIONS_VIEW},
}.items():
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | frozenset(_perms)
del _role, _perms

GLOBAL_SCOPE = frozenset({Role.SUPERVISOR, Role.LEADER, Role.DISCIPLINE, Role.SYSADMIN})


def can(user, perm: str) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return perm in ROLE_PERMISSIONS.get(user.role or "", frozenset())


def has_global_scope(user) -> bool:
    return bool(user and user.is_authenticated and user.role in GLOBAL_SCOPE)


def scope_path(user) -> str | None:
    """The tree path prefix of the user's subtree; "" for the whole tree, None for nothing."""
    if not (user and user.is_authenticated and user.is_active):
        return None
    if has_global_scope(user):
        return ""
    unit = getattr(user, "unit", None)
    return unit.path if unit is not None else None


def scope_q(user, unit_field: str | list[str]) -> Q | None:
    """A Q restricting rows to the user's subtree through one or more unit relations (OR-ed);
    None means "no restriction"; Q(pk__in=[]) means "nothing"."""
    prefix = scope_path(user)
    if prefix is None:
        return Q(pk__in=[])
    if prefix == "":
        return None
    fields = [unit_field] if isinstance(unit_field, str) else unit_field
    q = Q()
    for field in fields:
        lookup = "path__startswith" if field == "" else f"{field}__path__startswith"
        q |= Q(**{lookup: prefix})
    return q


def scope(user, queryset: QuerySet, unit_field: str | list[str] = "unit") -> QuerySet:
    q = scope_q(user, unit_field)
    if q is None:
        return queryset
    # OR-ing through to-many relations can repeat rows; one relation cannot.
    return queryset.filter(q) if isinstance(unit_field, str) else queryset.filter(q).distinct()


def get_or_404(user, queryset: QuerySet, unit_field: str | list[str] = "unit", **lookup):
    """The object, if it exists and is inside the user's scope; 404 otherwise (AC-06). An
    out-of-scope hit on an existing object is recorded as ``authz_denied`` (AU-03)."""
    try:
        return scope(user, queryset, unit_field).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        pass
    except queryset.model.MultipleObjectsReturned:  # pragma: no cover - lookups are unique
        raise Http404
    _record_denial(user, queryset, lookup)
    raise Http404


def resolve_scoped(user, queryset: QuerySet, unit_field: str | list[str] | None, pk, *, field: str | None = None,
                   label: str = ""):
    """The one lookup for every id a request names: an id in the path, a filter, a body field or a
    form field. ``queryset`` is what the caller's selector offers; ``unit_field`` narrows it to the
    user's subtree like :func:`scope` (None: the queryset is already scoped). Returns the object, or
    None for an empty ``pk``.

    "Exists outside your scope" and "does not exist" get the same answer, so nobody can probe
    which ids exist elsewhere: ``Http404`` when ``field`` is None, otherwise a ValidationError keyed
    by ``field`` ("<label> <pk> 不存在。", a 400 naming the field). A miss on an object that exists
    is recorded as ``authz_denied`` (AU-03) in both cases."""
    if pk is None or pk == "":
        return None
    try:
        value = int(str(pk).strip())
        if not -2**63 <= value < 2**63:
            raise ValueError
    except (TypeError, ValueError):
        value = None
    if value is not None:
        scoped = queryset if unit_field is None else scope(user, queryset, unit_field)
        found = scoped.filter(pk=value).first()
        if found is not None:
            return found
        _record_denial(user, queryset, {"pk": value})
    if field is None:
        raise Http404
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    label = label or str(queryset.model._meta.verbose_name)
    raise ValidationError({field: ValidationError(_("%(label)s %(pk)s 不存在。") % {"label": label, "pk": pk},
                                                  code="not_found")})


def _record_denial(user, queryset, lookup) -> None:
    try:
        exists = queryset.model._base_manager.filter(**lookup).exists()
    except (ValueError, TypeError, OverflowError):
        exists = False
    if exists:
        record_denial(user, object_type=queryset.model._meta.label_lower,
                      object_id=str(next(iter(lookup.values()), "")),
                      data={"lookup": {k: str(v) for k, v in lookup.items()}})


def _bump(key: str, timeout: int) -> int:
    """Increment a shared counter (the cache every app server uses) and return its new value."""
    from django.core.cache import cache

    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout)
        return 1


def record_denial(user, *, object_type: str, object_id: str, data: dict | None = None) -> None:
    """An ``authz_denied`` ledger row for a refused look-up or route (AU-03), without letting a
    prober flood the ledger: within ``DUBAN_DENIAL_WINDOW_SECONDS`` one actor gets one row per
    object (repeats only at 10, 100, 1000, … with the running ``count``), and at most
    ``DUBAN_DENIAL_ROWS_PER_WINDOW`` rows in all (past that, rows only when the actor's own total
    reaches 10×, 100×, … the cap). The rows keep the target for the audit administrator; task
    timelines do not show them (``tasks.selectors.task_timeline``)."""
    from django.conf import settings

    from duban.core import alerts, context, ledger
    from duban.core.models import Outcome

    window = int(getattr(settings, "DUBAN_DENIAL_WINDOW_SECONDS", 900))
    cap = int(getattr(settings, "DUBAN_DENIAL_ROWS_PER_WINDOW", 50))
    who = str(user.pk) if getattr(user, "pk", None) is not None else f"ip:{context.current().ip}"
    alerts.observe_denial(who)
    path = context.current().path
    object_count = _bump(f"duban:denied:{who}:{object_type}:{object_id}:{path}", window)
    actor_count = _bump(f"duban:denied:{who}", window)
    if object_count > 1 and not _is_power_of_ten(object_count):
        return
    if actor_count > cap and not (actor_count % cap == 0 and _is_power_of_ten(actor_count // cap)):
        return
    data = dict(data or {})
    if object_count > 1:
        data["count"] = object_count
    if actor_count > cap:
        data["actor_count"] = actor_count
    ledger.append(event="authz_denied", outcome=Outcome.DENIED, actor=user, object_type=object_type,
                  object_id=object_id, data=data)


def _is_power_of_ten(n: int) -> bool:
    while n >= 10 and n % 10 == 0:
        n //= 10
    return n == 1


def require(user, perm: str) -> None:
    """Raise PermissionDenied unless ``can(user, perm)``."""
    from django.core.exceptions import PermissionDenied

    if not can(user, perm):
        raise PermissionDenied(perm)

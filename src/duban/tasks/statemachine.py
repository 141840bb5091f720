"""The task lifecycle: every state transition, who may make it and what it needs, in ONE table.

Why a plain table and not django-fsm-2: a transition here is more than a status change. It is
scoped by the org tree (a unit user acts only on tasks led inside their subtree, co-units may
report but not acknowledge), it honours the ABC rota (the acting holder of the responsible post
may act), it must be refused without touching the row, run under optimistic locking
(``version``) and end with exactly one ledger entry in the same transaction. django-fsm's
``@transition`` decorators mutate the instance in place and spread the rules over model methods;
a data table is one place to read, to render in docs/tasks.md, and to test exhaustively, and the
services apply it with ``save_versioned`` so a concurrent transition is refused, not lost.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from duban.core import permissions
from duban.tasks.models import Task, TaskStatus

S = TaskStatus

# Who may act. Each maps to a predicate below.
MANAGE = "manage"  # 督查室: permissions.TASKS_MANAGE, any task
LEAD = "lead"  # the lead unit's side: TASKS_HANDLE and lead unit in the user's subtree, or acting holder
PARTICIPANT = "participant"  # lead or co-unit side (reports)
INSTRUCT = "instruct"  # leaders: permissions.TASKS_INSTRUCT


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str
    who: str
    label: object
    needs_reason: bool = False
    needs_evidence: bool = False  # a narrative and at least one file
    separation_of_duties: bool = False  # the one who asked may not decide


OPEN = (S.DRAFT, S.ASSIGNED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.COMPLETION_REQUESTED)

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("assign", (S.DRAFT,), S.ASSIGNED, MANAGE, gettext_lazy("交办")),
        Transition("acknowledge", (S.ASSIGNED,), S.ACKNOWLEDGED, LEAD, gettext_lazy("签收")),
        Transition("start", (S.ACKNOWLEDGED,), S.IN_PROGRESS, LEAD, gettext_lazy("开始办理")),
        Transition("request_completion", (S.IN_PROGRESS,), S.COMPLETION_REQUESTED, LEAD,
                   gettext_lazy("申请办结"), needs_evidence=True),
        Transition("approve", (S.COMPLETION_REQUESTED,), S.COMPLETED, MANAGE, gettext_lazy("审核办结"),
                   separation_of_duties=True),
        Transition("return", (S.COMPLETION_REQUESTED,), S.IN_PROGRESS, MANAGE, gettext_lazy("退回"),
                   needs_reason=True, separation_of_duties=True),
        Transition("cancel", OPEN, S.CANCELLED, MANAGE, gettext_lazy("中止"), needs_reason=True),
        Transition("reopen", (S.COMPLETED,), S.IN_PROGRESS, MANAGE, gettext_lazy("重新打开"), needs_reason=True),
    )
}

# Statuses in which a progress report may be submitted; a report on an acknowledged task starts it.
REPORTABLE = (S.ACKNOWLEDGED, S.IN_PROGRESS, S.COMPLETION_REQUESTED)
# Statuses in which an extension may be requested.
EXTENDABLE = (S.ASSIGNED, S.ACKNOWLEDGED, S.IN_PROGRESS)
# Statuses in which a leader's instruction may be written.
INSTRUCTABLE = (S.ASSIGNED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.COMPLETION_REQUESTED)


def get(name: str) -> Transition:
    try:
        return TRANSITIONS[name]
    except KeyError:
        raise ValidationError(_("没有名为“%(name)s”的操作。") % {"name": name}, code="unknown_transition") from None


def _in_subtree(user, unit) -> bool:
    own = getattr(user, "unit", None)
    return bool(own is not None and unit is not None and unit.path.startswith(own.path))


def _acting_holder(user, task: Task, on=None) -> bool:
    if task.responsible_post_id is None or getattr(user, "person_id", None) is None:
        return False
    from duban.orgs.selectors import acting_holder

    acting = acting_holder(task.responsible_post, on)
    return acting.person is not None and acting.person.pk == user.person_id


def acts_for_lead(user, task: Task, on=None) -> bool:
    """The lead unit's side: a unit user (TASKS_HANDLE) whose subtree holds the lead unit, or the
    acting holder of the task's responsible post (ABC: B acts while A is away)."""
    if not permissions.can(user, permissions.TASKS_HANDLE):
        return False
    return _in_subtree(user, task.lead_unit) or _acting_holder(user, task, on)


def acts_for_participant(user, task: Task, on=None) -> bool:
    if acts_for_lead(user, task, on):
        return True
    if not permissions.can(user, permissions.TASKS_HANDLE):
        return False
    own = getattr(user, "unit", None)
    return own is not None and task.co_units.filter(path__startswith=own.path).exists()


def may(user, who: str, task: Task) -> bool:
    if who == MANAGE:
        return permissions.can(user, permissions.TASKS_MANAGE)
    if who == LEAD:
        return acts_for_lead(user, task)
    if who == PARTICIPANT:
        return acts_for_participant(user, task)
    if who == INSTRUCT:
        return permissions.can(user, permissions.TASKS_INSTRUCT)
    return False  # pragma: no cover - the table names only the roles above


DENIED_MESSAGES = {
    MANAGE: gettext_lazy("只有督查室可以执行“%(action)s”。"),
    LEAD: gettext_lazy("只有牵头单位(或责任岗位的在岗人员)可以执行“%(action)s”。"),
    PARTICIPANT: gettext_lazy("只有牵头单位或配合单位可以执行“%(action)s”。"),
    INSTRUCT: gettext_lazy("只有领导可以作出批示。"),
}


def check_actor(user, who: str, task: Task, action) -> None:
    if not may(user, who, task):
        raise PermissionDenied(str(DENIED_MESSAGES[who]) % {"action": action})


def check(user, transition: Transition, task: Task) -> None:
    """Raise unless ``user`` may apply ``transition`` to ``task`` now. Nothing is changed."""
    check_actor(user, transition.who, task, transition.label)
    if task.status not in transition.sources:
        raise ValidationError(
            _("任务当前状态为“%(status)s”,不能执行“%(action)s”。")
            % {"status": task.get_status_display(), "action": transition.label},
            code="bad_state",
        )


def available(user, task: Task) -> list[Transition]:
    """The transitions this user may apply to this task now (for buttons)."""
    result = []
    for transition in TRANSITIONS.values():
        if task.status in transition.sources and may(user, transition.who, task):
            if transition.separation_of_duties and task.completion_requested_by_id == getattr(user, "pk", None):
                continue
            result.append(transition)
    return result

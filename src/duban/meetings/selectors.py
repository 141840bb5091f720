"""Reads of leading-group meetings, scoped through the groups a user may see
(duban.orgs.selectors.groups_for_user: the group's office or a member in the user's subtree)."""

from __future__ import annotations

from django.db.models import Count, Max, QuerySet
from django.http import Http404

from duban.core import permissions
from duban.meetings.models import Decision, Meeting
from duban.orgs import selectors as org_selectors
from duban.orgs.models import LeadingGroup, Person
from duban.tasks import selectors as task_selectors
from duban.tasks.models import Task


def _can_view(user) -> bool:
    return permissions.can(user, permissions.MEETINGS_VIEW)


def groups_for_user(user) -> QuerySet[LeadingGroup]:
    if not _can_view(user):
        return LeadingGroup.objects.none()
    return (org_selectors.groups_for_user(user)
            .annotate(meeting_count=Count("meetings", distinct=True), last_meeting=Max("meetings__date"))
            .order_by("name"))


def group_get_for_user(user, pk) -> LeadingGroup:
    if not _can_view(user):
        raise Http404
    return _group_or_404(user, pk)


def _group_or_404(user, pk) -> LeadingGroup:
    try:
        return org_selectors.groups_for_user(user).get(pk=pk)
    except (LeadingGroup.DoesNotExist, ValueError, TypeError):
        pass
    return permissions.get_or_404(user, LeadingGroup.objects.none(), "office_unit", pk=pk)


def can_manage_group(user, group: LeadingGroup) -> bool:
    """The 督查室 manages every group's meetings; a unit admin those of groups whose office is
    in their subtree (the leading group's office, 领导小组办公室)."""
    if not permissions.can(user, permissions.MEETINGS_MANAGE):
        return False
    prefix = permissions.scope_path(user)
    if prefix == "":
        return True
    return bool(prefix) and group.office_unit is not None and group.office_unit.path.startswith(prefix)


def meetings_for_group(group: LeadingGroup) -> QuerySet[Meeting]:
    return (Meeting.objects.filter(group=group).select_related("chair")
            .annotate(decision_count=Count("decisions", distinct=True)).order_by("-date", "-id"))


def meeting_get_for_user(user, pk) -> Meeting:
    if not _can_view(user):
        raise Http404
    try:
        meeting = Meeting.objects.select_related("group__office_unit", "group__leader", "chair").get(pk=pk)
    except (Meeting.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not org_selectors.groups_for_user(user).filter(pk=meeting.group_id).exists():
        permissions.get_or_404(user, Meeting.objects.none(), "group__office_unit", pk=pk)
    return meeting


def group_members(group: LeadingGroup) -> list[tuple[Person, str]]:
    """(person, role in the group): the leader, the deputies, then the member people."""
    from django.utils.translation import gettext as _

    seen, out = set(), []
    if group.leader_id:
        out.append((group.leader, _("组长")))
        seen.add(group.leader_id)
    for p in group.deputies.select_related("unit").order_by("name"):
        if p.pk not in seen:
            out.append((p, _("副组长")))
            seen.add(p.pk)
    for m in group.members.filter(person__isnull=False).select_related("person__unit").order_by("person__name"):
        if m.person_id not in seen:
            out.append((m.person, _("成员")))
            seen.add(m.person_id)
    return out


def decisions_with_lights(user, decisions: QuerySet[Decision]) -> list[tuple[Decision, Task | None]]:
    """Each decision with its task (carrying ``light`` from the tasks' light annotation), when
    the user may see the task."""
    decisions = list(decisions.select_related("lead_unit", "meeting"))
    ids = [d.task_id for d in decisions if d.task_id]
    tasks = {t.pk: t for t in task_selectors.with_light(task_selectors.tasks_for_user(user).filter(pk__in=ids))} \
        if ids else {}
    return [(d, tasks.get(d.task_id)) for d in decisions]


def decisions_for_group(user, group: LeadingGroup):
    return decisions_with_lights(user, Decision.objects.filter(meeting__group=group)
                                 .order_by("-meeting__date", "meeting_id", "order"))


def decision_get_for_user(user, pk) -> Decision:
    try:
        decision = Decision.objects.select_related("meeting__group__office_unit", "lead_unit").get(pk=pk)
    except (Decision.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    meeting_get_for_user(user, decision.meeting_id)
    return decision

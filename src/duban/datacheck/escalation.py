"""Where a verified lead can be handed on. A target is registered by key; the accountability app
(which sits above this one) registers its own "case" target from its ``ready()``::

    from duban.datacheck import escalation
    escalation.register("case", _("立案审查"), handler, fields=[...])

A handler is ``handler(*, actor, lead, data) -> model instance`` (called inside the lead
service's transaction); the lead keeps a generic reference ("app_label.model", pk) to what it
returned. ``fields`` lists (name, label) of the extra inputs the target needs (for the form).
Built in: "proposal" — a 问责建议 of duban.supervision on a task the officer names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    handler: object
    fields: list = field(default_factory=list)


TARGETS: dict[str, Target] = {}


def register(key: str, label, handler, fields=None) -> None:
    TARGETS[key] = Target(key, label, handler, list(fields or []))


def choices():
    return [(t.key, t.label) for t in TARGETS.values()]


def _proposal(*, actor, lead, data):
    """问责建议 on a task (supervision's Proposal needs one): the task the lead concerns."""
    from django.utils import timezone

    from duban.supervision.models import MissKind, Proposal
    from duban.tasks import selectors as task_selectors

    task_id = (data or {}).get("task")
    if not task_id:
        raise ValidationError({"task": ValidationError(_("请填写关联任务的编号。"), code="required")})
    try:
        task = task_selectors.task_get_for_user(actor, task_id)
    except Http404:  # the same answer for "missing" and "not yours"
        raise ValidationError({"task": ValidationError(_("任务 %(pk)s 不存在。") % {"pk": task_id},
                                                       code="invalid")}) from None
    return Proposal.objects.create(
        task=task, unit=getattr(task, "lead_unit", None), miss_kind=MissKind.MANUAL, miss_date=None,
        reason=_("大数据监督线索 %(pk)s(%(rule)s):%(reason)s") % {"pk": lead.pk, "rule": lead.rule.name,
                                                                "reason": lead.reason},
        created_on=timezone.localdate(), dedupe_key=f"datacheck-lead-{lead.pk}")


register("proposal", gettext_lazy("问责建议"), _proposal, fields=[("task", gettext_lazy("关联任务编号"))])

"""Categories and the task policy (督查室 settings)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from duban.core import ledger, permissions
from duban.core.services import save_versioned
from duban.tasks.models import (
    Category,
    TaskPolicy,
)
from duban.tasks.services._common import (
    _clean_text,
    _require,
)


# --- categories, policy -----------------------------------------------------------------------
@transaction.atomic
def category_create(*, actor, name: str, sort_order: int = 0) -> Category:
    _require(actor, permissions.TASKS_MANAGE)
    name = _clean_text(name, "name", required=True, max_length=50, label=_("类别名称"))
    if Category.objects.filter(name=name).exists():
        raise ValidationError({"name": _("类别“%(name)s”已存在。") % {"name": name}})
    category = Category.objects.create(name=name, sort_order=sort_order)
    ledger.append(event="category_create", obj=category, data={"name": name, "sort_order": sort_order}, actor=actor)
    return category


@transaction.atomic
def policy_update(*, actor, yellow_days: int, report_todo_days: int, expected_version: int | None = None) -> TaskPolicy:
    _require(actor, permissions.TASKS_MANAGE)
    policy, _created = TaskPolicy.objects.get_or_create(pk=1)
    for field, value, top in (("yellow_days", yellow_days, 365), ("report_todo_days", report_todo_days, 60)):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= top:
            raise ValidationError({field: _("请填写 0 到 %(n)s 之间的整数。") % {"n": top}})
    before = {"yellow_days": policy.yellow_days, "report_todo_days": policy.report_todo_days}
    policy.yellow_days, policy.report_todo_days = yellow_days, report_todo_days
    save_versioned(policy, expected_version=expected_version, fields=["yellow_days", "report_todo_days"])
    ledger.append(event="task_policy_update", obj=policy,
                  data={"changes": ledger.diff(before, {"yellow_days": yellow_days,
                                                        "report_todo_days": report_todo_days})}, actor=actor)
    return policy



from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from duban.core import ledger, permissions
from duban.dashboard.models import Commitment, Horizon


@transaction.atomic
def commitment_create(*, actor, title: str, horizon: str, due_date, term: str) -> Commitment:
    """A 交账 commitment on the dashboard timeline (the 督查室)."""
    if actor is not None and not permissions.can(actor, permissions.EVALUATION_MANAGE):
        raise PermissionDenied(permissions.EVALUATION_MANAGE)
    title, term = (title or "").strip(), (term or "").strip()
    if not title:
        raise ValidationError({"title": _("请填写交账事项。")})
    if horizon not in Horizon.values:
        raise ValidationError({"horizon": _("期限无效。")})
    if not isinstance(due_date, date):
        raise ValidationError({"due_date": _("日期格式不正确。")})
    if not term:
        raise ValidationError({"term": _("请填写任务检索词。")})
    commitment = Commitment.objects.create(title=title[:200], horizon=horizon, due_date=due_date, term=term[:50],
                                           created_by=actor)
    ledger.append(event="commitment_create", obj=commitment, actor=actor,
                  data={"title": title, "horizon": horizon, "due_date": due_date.isoformat(), "term": term})
    return commitment

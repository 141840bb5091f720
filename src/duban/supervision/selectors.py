"""Reads of the supervision app, scoped through duban.core.permissions."""

from __future__ import annotations

from django.db.models import QuerySet

from duban.core import permissions
from duban.core.models import AuditEntry
from duban.supervision.models import Listing, Order, Proposal, Reminder


def orders_for_user(user) -> QuerySet[Order]:
    """督办单 addressed to the user's units (all of them for global roles)."""
    return permissions.scope(user, Order.objects.select_related("task", "unit", "reply"), "unit")


def order_for_task(user, task, pk=None) -> Order | None:
    qs = Order.objects.filter(task=task).select_related("task", "unit", "issued_by", "reply", "reply__author")
    if pk is not None:
        return qs.filter(pk=pk).first()
    return qs.order_by("-issued_at", "-id").first()


def task_orders(task) -> QuerySet[Order]:
    return Order.objects.filter(task=task).select_related("reply").order_by("-issued_at", "-id")


def task_reminders(task) -> QuerySet[Reminder]:
    return Reminder.objects.filter(task=task).select_related("created_by")


def task_listing(task) -> Listing | None:
    return Listing.objects.filter(task=task, is_active=True).first()


def listings_for_user(user) -> QuerySet[Listing]:
    qs = Listing.objects.filter(is_active=True).select_related("task", "task__lead_unit", "listed_by")
    return permissions.scope(user, qs, "task__lead_unit")


def proposals_for_user(user) -> QuerySet[Proposal]:
    return permissions.scope(user, Proposal.objects.select_related("task", "unit"), "unit")


def rule_history(limit: int = 30) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(event__in=["supervision_rule_save", "supervision_rule_delete"]).order_by("-seq")[:limit]

"""Reads of 大数据监督. Only the discipline role sees anything (the security administrator sees
the raw-SQL rules waiting for approval, never data); there is no unit scope — the office sees
all of it, and every read of data is audited by the views."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from duban.core import permissions
from duban.datacheck import masking
from duban.datacheck.models import (
    Approval,
    Dataset,
    DatasetVersion,
    Hit,
    Lead,
    LeadStatus,
    Rule,
    RuleVersion,
    Run,
    VersionStatus,
)

USE = permissions.DATACHECK_USE


def _get(user, qs, pk, perm=USE):
    if not permissions.can(user, perm):
        raise Http404
    return permissions.resolve_scoped(user, qs, None, pk)


def datasets_for_user(user) -> QuerySet[Dataset]:
    if not permissions.can(user, USE):
        return Dataset.objects.none()
    return Dataset.objects.annotate(version_count=Count("versions"))


def versions_for_user(user) -> QuerySet[DatasetVersion]:
    if not permissions.can(user, USE):
        return DatasetVersion.objects.none()
    return DatasetVersion.objects.select_related("dataset", "created_by")


def version_get_for_user(user, pk) -> DatasetVersion:
    return _get(user, versions_for_user(user), pk)


def loaded_versions(kind: str) -> QuerySet[DatasetVersion]:
    return DatasetVersion.objects.filter(dataset__kind=kind, status=VersionStatus.LOADED).select_related("dataset")


def rules_for_user(user) -> QuerySet[Rule]:
    if not permissions.can(user, USE):
        return Rule.objects.none()
    return Rule.objects.select_related("current", "author")


def rule_get_for_user(user, pk) -> Rule:
    return _get(user, rules_for_user(user), pk)


def pending_raw_rules(user) -> QuerySet[RuleVersion]:
    if not permissions.can(user, permissions.DATACHECK_APPROVE_SQL):
        return RuleVersion.objects.none()
    return RuleVersion.objects.filter(approval=Approval.PENDING).select_related("rule", "created_by")


def raw_version_get_for_approver(user, pk) -> RuleVersion:
    return _get(user, RuleVersion.objects.exclude(approval=Approval.NOT_NEEDED).select_related("rule", "created_by"),
                pk, permissions.DATACHECK_APPROVE_SQL)


def runs_for_rule(rule) -> QuerySet[Run]:
    return Run.objects.filter(rule_version__rule=rule).select_related("rule_version", "actor")


def run_get_for_user(user, pk) -> Run:
    return _get(user, Run.objects.select_related("rule_version__rule", "actor"), pk)


def rule_stats(rule) -> dict:
    """Hits, confirmed and dismissed leads, and the precision: confirmed / (confirmed + dismissed)."""
    leads = Lead.objects.filter(rule=rule).aggregate(
        leads=Count("id"),
        confirmed=Count("id", filter=Q(status__in=[LeadStatus.VERIFIED, LeadStatus.ESCALATED])),
        dismissed=Count("id", filter=Q(status=LeadStatus.DISMISSED)))
    leads["hits"] = Hit.objects.filter(run__rule_version__rule=rule).count()
    decided = leads["confirmed"] + leads["dismissed"]
    leads["precision"] = round(100 * leads["confirmed"] / decided) if decided else None
    return leads


def leads_for_user(user, *, status: str = "", rule=None, mine: bool = False) -> QuerySet[Lead]:
    if not permissions.can(user, USE):
        return Lead.objects.none()
    qs = Lead.objects.select_related("rule", "assignee").annotate(hit_count=Count("hits"))
    if status:
        qs = qs.filter(status=status)
    if rule is not None:
        qs = qs.filter(rule=rule)
    if mine:
        qs = qs.filter(assignee=user)
    return qs


def lead_get_for_user(user, pk) -> Lead:
    return _get(user, Lead.objects.select_related("rule__current", "assignee"), pk)


def lead_hits(lead) -> QuerySet[Hit]:
    return lead.hits.select_related("run__rule_version").order_by("-run__created_at", "id")


def related_leads(lead) -> QuerySet[Lead]:
    """Other leads about the same subject (the same key values under any rule)."""
    return Lead.objects.filter(subject_key=lead.subject_key).exclude(pk=lead.pk).select_related("rule")


def can_see_full(user, lead) -> bool:
    return lead.assignee_id is not None and lead.assignee_id == getattr(user, "pk", None)


def masked_rows(rows: dict, types: dict[str, str], full: bool) -> list[dict]:
    """The hit's source rows for display: [{alias, columns, rows}] with sensitive values masked
    unless ``full``."""
    out = []
    for alias, items in rows.items():
        columns = [c for c in (items[0].keys() if items else []) if c != "_row"]
        shown = []
        for r in items:
            shown.append({"line": r.get("_row"), "cells": [
                r.get(c) if full else masking.mask(r.get(c), types.get(f"{alias}.{c}", "text")) for c in columns]})
        out.append({"alias": alias, "columns": columns, "rows": shown})
    return out


def discipline_users():
    from django.contrib.auth import get_user_model

    from duban.core.roles import Role

    return get_user_model().objects.filter(role=Role.DISCIPLINE, is_active=True).order_by("username")

"""Reads of the evaluation, scoped: the 督查室 and leaders see every sheet; a unit sees the
published ranking and the sheets of its own subtree; drafts only the 督查室."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from duban.core import permissions
from duban.evaluation.models import (
    BonusClaim,
    EvalFile,
    EvalStatus,
    Evaluation,
    Objection,
    Round,
    Scheme,
    UnitScore,
)
from duban.orgs.models import Unit


def _manager(user) -> bool:
    return permissions.can(user, permissions.EVALUATION_MANAGE)


def schemes_for_user(user) -> QuerySet[Scheme]:
    if not permissions.can(user, permissions.EVALUATION_VIEW):
        return Scheme.objects.none()
    return Scheme.objects.prefetch_related("items").select_related("evaluation")


def evaluations_for_user(user) -> QuerySet[Evaluation]:
    if not permissions.can(user, permissions.EVALUATION_VIEW):
        return Evaluation.objects.none()
    qs = Evaluation.objects.select_related("scheme")
    return qs if _manager(user) else qs.exclude(status=EvalStatus.DRAFT)


def evaluation_get_for_user(user, pk) -> Evaluation:
    return permissions.resolve_scoped(user, evaluations_for_user(user), None, pk)


def ranking(evaluation: Evaluation) -> QuerySet[UnitScore]:
    return UnitScore.objects.filter(evaluation=evaluation).select_related("unit").order_by("rank", "unit__path")


def sheet_unit_for_user(user, evaluation: Evaluation, unit_pk) -> Unit:
    """The unit whose sheet is asked for, if it is in the user's subtree and on the sheet."""
    units = Unit.objects.filter(pk__in=UnitScore.objects.filter(evaluation=evaluation).values("unit_id"))
    return permissions.resolve_scoped(user, units, "", unit_pk)


def score_for(evaluation: Evaluation, unit: Unit) -> UnitScore:
    score = UnitScore.objects.filter(evaluation=evaluation, unit=unit).first()
    if score is None:
        raise Http404
    return score


def own_score(user, evaluation: Evaluation) -> UnitScore | None:
    if user.unit_id is None:
        return None
    return UnitScore.objects.filter(evaluation=evaluation, unit_id=user.unit_id).first()


def objections_for_user(user, evaluation: Evaluation) -> QuerySet[Objection]:
    qs = Objection.objects.filter(evaluation=evaluation).select_related("unit", "item", "filed_by", "file")
    return qs if _manager(user) else permissions.scope(user, qs, "unit")


def objection_get_for_user(user, pk) -> Objection:
    qs = Objection.objects.select_related("evaluation", "unit", "item")
    return permissions.resolve_scoped(user, qs if _manager(user) else permissions.scope(user, qs, "unit"), None, pk)


def bonuses_for_user(user, evaluation: Evaluation) -> QuerySet[BonusClaim]:
    qs = BonusClaim.objects.filter(evaluation=evaluation).select_related("unit", "item", "file")
    return qs if _manager(user) else permissions.scope(user, qs, "unit")


def bonus_get_for_user(user, pk) -> BonusClaim:
    if not _manager(user):
        raise Http404
    return permissions.resolve_scoped(user, BonusClaim.objects.all(), None, pk)


def file_get_for_user(user, pk) -> EvalFile:
    """A file of an objection, bonus claim or nomination the user may see."""
    if not permissions.can(user, permissions.EVALUATION_VIEW):
        raise Http404
    qs = EvalFile.objects.all()
    if not _manager(user):
        prefix = permissions.scope_path(user)
        prefix = "\0" if prefix is None else prefix
        objection_files = Objection.objects.filter(unit__path__startswith=prefix).values("file_id")
        bonus_files = BonusClaim.objects.filter(unit__path__startswith=prefix).values("file_id")
        qs = qs.filter(pk__in=objection_files) | qs.filter(pk__in=bonus_files)
    return permissions.resolve_scoped(user, qs, None, pk)


def rounds_for_user(user) -> QuerySet[Round]:
    if not permissions.can(user, permissions.EVALUATION_VIEW):
        return Round.objects.none()
    return Round.objects.all()


def round_get_for_user(user, pk) -> Round:
    return permissions.resolve_scoped(user, rounds_for_user(user), None, pk)


def latest_final_or_published(user, category: str | None = None) -> Evaluation | None:
    qs = evaluations_for_user(user).order_by("-year", "-scheme__version")
    if category:
        qs = qs.filter(category=category)
    return qs.first()

"""Every write of the evaluation: schemes and versions, computing sheets, 公示 and finalising,
objections, manual ratings, bonus points and the 硒都楷模 rounds.

Each service checks permission and scope, validates (ValidationError, Chinese, field-keyed), and
appends exactly one ledger entry as its last statement.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.core import integrity, ledger, permissions
from duban.evaluation import compute as calc
from duban.evaluation.models import (
    GRADE_ORDER,
    Ballot,
    BonusClaim,
    BonusStatus,
    EvalFile,
    EvalStatus,
    Evaluation,
    GradeMethod,
    ManualRating,
    Nomination,
    Objection,
    ObjectionStatus,
    Round,
    RoundStatus,
    Scheme,
    SchemeItem,
    SchemeStatus,
    SheetRevision,
    UnitCategory,
    UnitScore,
)
from duban.evaluation.sources import SOURCES, accountability_available
from duban.notices.models import NoticeKind
from duban.notices.services import notice_send
from duban.tasks import evidence as evidence_files
from duban.tasks import lights
from duban.tasks.models import TaskStatus

HUNDRED = Decimal(100)


def _require(actor, perm: str) -> None:
    if not permissions.can(actor, perm):
        raise PermissionDenied(perm)


def _decimal(value, field: str, label: str) -> Decimal:
    try:
        result = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field: _("%(label)s“%(value)s”不是数字。") % {"label": label, "value": value}}) from None
    if not result.is_finite():
        raise ValidationError({field: _("%(label)s“%(value)s”不是数字。") % {"label": label, "value": value}})
    return result


def _plain(value: Decimal) -> str:
    """100.00 → "100", 2.50 → "2.5"."""
    text = f"{Decimal(value).normalize():f}"
    return text


# --- schemes ----------------------------------------------------------------------------------
def _validate_items(items: list[dict]) -> list[dict]:
    if not items:
        raise ValidationError({"items": _("方案至少需要一个考评项目。")})
    clean, errors, total = [], [], Decimal(0)
    for n, item in enumerate(items, start=1):
        source = SOURCES.get(item.get("source") or "")
        if source is None:
            errors.append(_("第 %(n)s 项的计分来源“%(source)s”未知。") % {"n": n, "source": item.get("source")})
            continue
        name = (item.get("name") or "").strip()[:100] or str(source.label)
        try:
            weight = _decimal(item.get("weight"), "items", _("分值"))
            param = None if item.get("param") in (None, "") else _decimal(item.get("param"), "items", _("参数"))
        except ValidationError as exc:
            errors.append(_("第 %(n)s 项:%(msg)s") % {"n": n, "msg": exc.message_dict["items"][0]})
            continue
        if weight < 0 or weight > HUNDRED:
            errors.append(_("第 %(n)s 项的分值应在 0 到 100 之间。") % {"n": n})
            continue
        if param is not None and param <= 0:
            errors.append(_("第 %(n)s 项的参数应大于 0。") % {"n": n})
            continue
        if not source.adjust:
            total += weight
        clean.append({"source": source.key, "name": name, "weight": weight, "param": param})
    if errors:
        raise ValidationError({"items": errors})
    if total != HUNDRED:
        raise ValidationError({"items": _("计分项目的分值合计为 %(total)s,应为 100(加分、问责扣分项不计入)。")
                                        % {"total": _plain(total)}})
    return clean


def _validate_grades(method, excellent, good, fair) -> tuple[Decimal, Decimal, Decimal]:
    if method not in GradeMethod.values:
        raise ValidationError({"grade_method": _("等次划分方式无效。")})
    values = [_decimal(v, name, label) for v, name, label in
              ((excellent, "excellent", _("优秀")), (good, "good", _("良好")), (fair, "fair", _("一般")))]
    if any(v < 0 or v > HUNDRED for v in values):
        raise ValidationError({"excellent": _("等次界限应在 0 到 100 之间。")})
    if method == GradeMethod.SHARES and sum(values) > HUNDRED:
        raise ValidationError({"excellent": _("优秀、良好、一般的比例合计不能超过 100%。")})
    if method == GradeMethod.THRESHOLDS and not values[0] > values[1] > values[2]:
        raise ValidationError({"excellent": _("分数线应为 优秀 > 良好 > 一般。")})
    return tuple(values)


def _save_scheme(*, actor, name, year, category, grade_method, excellent, good, fair, items, previous=None):
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写方案名称。")})
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ValidationError({"year": _("年度无效。")}) from None
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": _("年度无效。")})
    if category not in UnitCategory.values:
        raise ValidationError({"category": _("单位类别无效。")})
    excellent, good, fair = _validate_grades(grade_method, excellent, good, fair)
    clean = _validate_items(items)
    version = 1
    if previous is not None:
        version = (Scheme.objects.filter(year=year, category=category).order_by("-version")
                   .values_list("version", flat=True).first() or 0) + 1
    elif Scheme.objects.filter(year=year, category=category).exists():
        raise ValidationError({"year": _("该年度、该类别已有考评方案,请在原方案上制定新版本。")})
    scheme = Scheme.objects.create(name=name[:100], year=year, category=category, version=version,
                                   grade_method=grade_method, excellent=excellent, good=good, fair=fair,
                                   previous=previous, created_by=actor)
    SchemeItem.objects.bulk_create([SchemeItem(scheme=scheme, position=n, **item) for n, item in enumerate(clean, 1)])
    return scheme, clean


@transaction.atomic
def scheme_create(*, actor, name, year, category, grade_method=GradeMethod.SHARES, excellent=20, good=40, fair=30,
                  items) -> Scheme:
    _require(actor, permissions.EVALUATION_MANAGE)
    scheme, clean = _save_scheme(actor=actor, name=name, year=year, category=category, grade_method=grade_method,
                                 excellent=excellent, good=good, fair=fair, items=items)
    ledger.append(event="scheme_create", obj=scheme, actor=actor, data=_scheme_data(scheme, clean))
    return scheme


@transaction.atomic
def scheme_new_version(*, actor, scheme: Scheme, name, grade_method, excellent, good, fair, items) -> Scheme:
    """A change to a scheme is a new version (the old one stays as it was)."""
    _require(actor, permissions.EVALUATION_MANAGE)
    new, clean = _save_scheme(actor=actor, name=name, year=scheme.year, category=scheme.category,
                              grade_method=grade_method, excellent=excellent, good=good, fair=fair, items=items,
                              previous=scheme)
    ledger.append(event="scheme_new_version", obj=new, actor=actor,
                  data={**_scheme_data(new, clean), "previous": scheme.pk})
    return new


@transaction.atomic
def scheme_update(*, actor, scheme: Scheme, name, grade_method, excellent, good, fair, items) -> Scheme:
    """Edit a scheme no evaluation has used yet; one in use is refused (make a new version)."""
    _require(actor, permissions.EVALUATION_MANAGE)
    locked = Scheme.objects.select_for_update().get(pk=scheme.pk)
    if locked.status == SchemeStatus.IN_USE or Evaluation.objects.filter(scheme=locked).exists():
        raise ValidationError({"__all__": _("方案已被考评使用,不能修改;请制定新版本。")}, code="scheme_in_use")
    excellent, good, fair = _validate_grades(grade_method, excellent, good, fair)
    clean = _validate_items(items)
    if not (name or "").strip():
        raise ValidationError({"name": _("请填写方案名称。")})
    Scheme.objects.filter(pk=locked.pk).update(name=name.strip()[:100], grade_method=grade_method,
                                               excellent=excellent, good=good, fair=fair)
    locked.items.all().delete()
    SchemeItem.objects.bulk_create([SchemeItem(scheme=locked, position=n, **item) for n, item in enumerate(clean, 1)])
    locked.refresh_from_db()
    ledger.append(event="scheme_update", obj=locked, actor=actor, data=_scheme_data(locked, clean))
    return locked


def _scheme_data(scheme, clean):
    return {"year": scheme.year, "category": scheme.category, "version": scheme.version,
            "grades": [scheme.grade_method, str(scheme.excellent), str(scheme.good), str(scheme.fair)],
            "items": [{**i, "weight": str(i["weight"]), "param": None if i["param"] is None else str(i["param"])}
                      for i in clean]}


# --- computing ----------------------------------------------------------------------------------
def _compact(items: dict) -> dict:
    """A unit's line keeps each item's score, its arithmetic and the objections that adjusted it;
    the measures themselves stay in the revision's sheet (and the trace page reads the records)."""
    return {key: {k: v for k, v in cell.items() if k != "raw"} for key, cell in items.items()}


def _store(evaluation: Evaluation, lines, data: bytes, sha: str, reason: str) -> int:
    revision = evaluation.revision + 1
    SheetRevision.objects.create(evaluation=evaluation, revision=revision, sha256=sha, sheet=data.decode(),
                                 reason=reason[:200])
    UnitScore.objects.filter(evaluation=evaluation).delete()
    scores = [UnitScore(evaluation=evaluation, unit_id=line.unit_id, total=line.total, rank=line.rank,
                        tied=line.tied, grade=line.grade, previous_rank=line.previous_rank,
                        items=_compact(line.items)) for line in lines]
    for score in scores:
        integrity.seal(score)  # bulk_create bypasses save(): the row MAC is set here (DP-03)
    UnitScore.objects.bulk_create(scores, batch_size=1000)
    Evaluation.objects.filter(pk=evaluation.pk).update(revision=revision, sha256=sha, computed_at=timezone.now(),
                                                       version=F("version") + 1)
    evaluation.refresh_from_db()
    return revision


@transaction.atomic
def evaluation_compute(*, actor, scheme: Scheme, as_of: date | None = None) -> Evaluation:
    """Compute (or, while still a draft, recompute) the sheet of a scheme. The scheme is locked
    from now on. The sheet's SHA-256 goes in the ledger."""
    _require(actor, permissions.EVALUATION_MANAGE) if actor is not None else None
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    if as_of is None:
        as_of = min(lights.today(), date(scheme.year, 12, 31))
    evaluation = Evaluation.objects.filter(scheme=scheme).first()
    if evaluation is None:
        evaluation = Evaluation.objects.create(scheme=scheme, year=scheme.year, category=scheme.category,
                                               as_of=as_of, created_by=actor)
        Scheme.objects.filter(pk=scheme.pk).update(status=SchemeStatus.IN_USE)
    else:
        evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        if evaluation.status != EvalStatus.DRAFT:
            raise ValidationError({"__all__": _("考评结果已公示或定稿,不能重新计算;只有采纳的申诉会重算。")},
                                  code="not_draft")
        Evaluation.objects.filter(pk=evaluation.pk).update(as_of=as_of)
        evaluation.as_of = as_of
    lines, data, sha = calc.compute(evaluation)
    revision = _store(evaluation, lines, data, sha, _("计算"))
    ledger.append(event="evaluation_compute", obj=evaluation, actor=actor,
                  data={"scheme": scheme.pk, "version": scheme.version, "as_of": as_of.isoformat(),
                        "revision": revision, "sha256": sha, "units": len(lines)})
    return evaluation


def _parse_date(value, field):
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise ValidationError({field: _("日期格式不正确。")}) from None


@transaction.atomic
def evaluation_publish(*, actor, evaluation: Evaluation, start, end) -> Evaluation:
    """Draft → 公示 for objections between ``start`` and ``end`` (inclusive, Beijing days)."""
    _require(actor, permissions.EVALUATION_MANAGE)
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    start, end = _parse_date(start, "start"), _parse_date(end, "end")
    if evaluation.status != EvalStatus.DRAFT:
        raise ValidationError({"__all__": _("只有草稿可以公示。")})
    if end < start:
        raise ValidationError({"end": _("公示截止日期不能早于开始日期。")})
    if end < lights.today():
        raise ValidationError({"end": _("公示截止日期不能早于今天。")})
    Evaluation.objects.filter(pk=evaluation.pk).update(status=EvalStatus.PUBLISHED, objection_start=start,
                                                       objection_end=end, published_at=timezone.now())
    evaluation.refresh_from_db()
    ledger.append(event="evaluation_publish", obj=evaluation, actor=actor,
                  data={"start": start.isoformat(), "end": end.isoformat(), "sha256": evaluation.sha256})
    return evaluation


@transaction.atomic
def evaluation_finalize(*, actor, evaluation: Evaluation) -> Evaluation:
    _require(actor, permissions.EVALUATION_MANAGE)
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if evaluation.status != EvalStatus.PUBLISHED:
        raise ValidationError({"__all__": _("只有公示中的结果可以定稿。")})
    if Objection.objects.filter(evaluation=evaluation, status=ObjectionStatus.PENDING).exists():
        raise ValidationError({"__all__": _("尚有未答复的申诉,不能定稿。")})
    if lights.today() <= evaluation.objection_end:
        raise ValidationError({"__all__": _("公示期尚未结束,不能定稿。")})
    Evaluation.objects.filter(pk=evaluation.pk).update(status=EvalStatus.FINAL, finalized_at=timezone.now())
    evaluation.refresh_from_db()
    ledger.append(event="evaluation_finalize", obj=evaluation, actor=actor,
                  data={"revision": evaluation.revision, "sha256": evaluation.sha256})
    return evaluation


# --- files ------------------------------------------------------------------------------------
def _store_file(actor, upload, stack) -> EvalFile | None:
    if upload is None:
        return None
    try:
        checked = evidence_files.check_uploads([upload])
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    names = stack.enter_context(evidence_files.stored(checked))
    f = checked[0]
    return EvalFile.objects.create(original_name=f.original_name, file_type=f.file_type, storage_name=names[0],
                                   sha256=f.sha256, size=f.size, uploaded_by=actor)


def _file_data(file):
    return None if file is None else {"name": file.original_name, "sha256": file.sha256, "size": file.size}


# --- objections -------------------------------------------------------------------------------
def objection_file(*, actor, evaluation: Evaluation, unit, item: SchemeItem, reason: str, evidence: str,
                   upload=None) -> Objection:
    """A unit objects to one item of its own sheet during the 公示 window, with evidence."""
    from contextlib import ExitStack

    _require(actor, permissions.EVALUATION_OBJECT)
    with ExitStack() as stack, transaction.atomic():
        evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        if unit is None or actor.unit_id != unit.pk:
            raise ValidationError({"__all__": _("只能对本单位的计分表提出申诉。")}, code="other_unit")
        if not UnitScore.objects.filter(evaluation=evaluation, unit=unit).exists():
            raise ValidationError({"__all__": _("本单位不在该考评的计分表中。")}, code="other_unit")
        if item.scheme_id != evaluation.scheme_id:
            raise ValidationError({"item": _("该项目不属于本次考评方案。")})
        today = lights.today()
        if (evaluation.status != EvalStatus.PUBLISHED or evaluation.objection_start is None
                or not evaluation.objection_start <= today <= evaluation.objection_end):
            raise ValidationError({"__all__": _("不在公示申诉期内,不能提出申诉。")}, code="window")
        reason, evidence = (reason or "").strip(), (evidence or "").strip()
        if not reason:
            raise ValidationError({"reason": _("请填写申诉理由。")})
        if not evidence and upload is None:
            raise ValidationError({"evidence": _("请提供证据:说明所依据的记录或上传证据材料。")})
        file = _store_file(actor, upload, stack)
        objection = Objection.objects.create(evaluation=evaluation, unit=unit, item=item, reason=reason,
                                             evidence=evidence, file=file, filed_by=actor)
        ledger.append(event="objection_file", obj=objection, actor=actor,
                      data={"evaluation": evaluation.pk, "unit": unit.pk, "item": item.pk, "reason": reason,
                            "evidence": evidence, "file": _file_data(file)})
    return objection


@transaction.atomic
def objection_answer(*, actor, objection: Objection, accept: bool, answer: str, adjustment=0) -> Objection:
    """The 督查室 answers. An accepted objection recomputes the sheet (a new revision; the old one
    stays), the unit is notified either way."""
    _require(actor, permissions.EVALUATION_MANAGE)
    objection = Objection.objects.select_for_update().select_related("evaluation", "item", "unit").get(pk=objection.pk)
    evaluation = Evaluation.objects.select_for_update().get(pk=objection.evaluation_id)
    if objection.status != ObjectionStatus.PENDING:
        raise ValidationError({"__all__": _("该申诉已答复。")})
    if evaluation.status != EvalStatus.PUBLISHED:
        raise ValidationError({"__all__": _("考评结果不在公示期,不能答复申诉。")})
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": _("请填写答复意见。")})
    adjustment = _decimal(adjustment or 0, "adjustment", _("调整分值")) if accept else Decimal(0)
    if abs(adjustment) > objection.item.weight:
        raise ValidationError({"adjustment": _("调整分值不能超过该项目的分值。")})
    before = evaluation.sha256
    Objection.objects.filter(pk=objection.pk).update(
        status=ObjectionStatus.ACCEPTED if accept else ObjectionStatus.REJECTED, answer=answer,
        adjustment=adjustment, answered_by=actor, answered_at=timezone.now())
    revision, after = evaluation.revision, before
    if accept:
        lines, data, after = calc.compute(evaluation)
        revision = _store(evaluation, lines, data, after, _("采纳申诉 #%(pk)s") % {"pk": objection.pk})
    objection.refresh_from_db()
    score = UnitScore.objects.filter(evaluation=evaluation, unit=objection.unit).first()
    url = reverse("evaluation:sheet", args=[evaluation.pk, objection.unit_id])
    verdict = _("已采纳") if accept else _("未采纳")
    notice_send(actor=actor, kind=NoticeKind.SYSTEM, subject=objection, url=url, to_unit=objection.unit,
                title=_("考评申诉答复:%(verdict)s") % {"verdict": verdict},
                body=_("“%(item)s”的申诉%(verdict)s。答复:%(answer)s。现总分 %(total)s。")
                % {"item": objection.item.name, "verdict": verdict, "answer": answer,
                   "total": score.total if score else "-"})
    ledger.append(event="objection_answer", obj=objection, actor=actor,
                  data={"accepted": accept, "answer": answer, "adjustment": str(adjustment),
                        "sha256_before": before, "sha256_after": after, "revision": revision})
    return objection


# --- manual ratings ---------------------------------------------------------------------------
@transaction.atomic
def rating_submit(*, actor, evaluation: Evaluation, item: SchemeItem, unit, score) -> ManualRating:
    """One rater scores one unit once, within 0 … the item's range."""
    _require(actor, permissions.EVALUATION_RATE)
    if item.scheme_id != evaluation.scheme_id or item.source != "rating":
        raise ValidationError({"item": _("该项目不是本次考评的人工评分项目。")})
    if evaluation.status != EvalStatus.DRAFT:
        raise ValidationError({"__all__": _("考评结果已公示,不能再评分。")})
    if not UnitScore.objects.filter(evaluation=evaluation, unit=unit).exists():
        raise ValidationError({"unit": _("该单位不在本次考评范围内。")})
    value = _decimal(score, "score", _("评分"))
    top = SOURCES["rating"].param(item)
    if not Decimal(0) <= value <= top:
        raise ValidationError({"score": _("评分应在 0 到 %(top)s 之间。") % {"top": _plain(top)}})
    if ManualRating.objects.filter(evaluation=evaluation, item=item, unit=unit, rater=actor).exists():
        raise ValidationError({"score": _("您已对该单位的此项目评过分,不能重复评分。")}, code="twice")
    rating = ManualRating.objects.create(evaluation=evaluation, item=item, unit=unit, rater=actor, score=value)
    ledger.append(event="rating_submit", obj=rating, actor=actor,
                  data={"evaluation": evaluation.pk, "item": item.pk, "unit": unit.pk, "score": str(value)})
    return rating


# --- bonus points -----------------------------------------------------------------------------
def bonus_submit(*, actor, evaluation: Evaluation, item: SchemeItem, unit, points, reason: str, evidence: str,
                 upload=None) -> BonusClaim:
    from contextlib import ExitStack

    _require(actor, permissions.EVALUATION_OBJECT) if not permissions.can(
        actor, permissions.EVALUATION_MANAGE) else None
    with ExitStack() as stack, transaction.atomic():
        if item.scheme_id != evaluation.scheme_id or item.source != "bonus":
            raise ValidationError({"item": _("该项目不是本次考评的加分项目。")})
        if evaluation.status != EvalStatus.DRAFT:
            raise ValidationError({"__all__": _("考评结果已公示,不能再申报加分。")})
        if unit is None or (not permissions.can(actor, permissions.EVALUATION_MANAGE) and actor.unit_id != unit.pk):
            raise ValidationError({"unit": _("只能为本单位申报加分。")})
        value = _decimal(points, "points", _("加分"))
        if not Decimal(0) < value <= item.weight:
            raise ValidationError({"points": _("加分应大于 0 且不超过 %(cap)s 分。") % {"cap": _plain(item.weight)}})
        reason, evidence = (reason or "").strip(), (evidence or "").strip()
        if not reason:
            raise ValidationError({"reason": _("请填写加分事由。")})
        if not evidence and upload is None:
            raise ValidationError({"evidence": _("请提供证据:表彰文件、经验推广的文号或上传材料。")})
        file = _store_file(actor, upload, stack)
        claim = BonusClaim.objects.create(evaluation=evaluation, item=item, unit=unit, points=value, reason=reason,
                                          evidence=evidence, file=file, submitted_by=actor)
        ledger.append(event="bonus_submit", obj=claim, actor=actor,
                      data={"unit": unit.pk, "item": item.pk, "points": str(value), "reason": reason,
                            "evidence": evidence, "file": _file_data(file)})
    return claim


@transaction.atomic
def bonus_decide(*, actor, claim: BonusClaim, approve: bool, note: str = "") -> BonusClaim:
    _require(actor, permissions.EVALUATION_MANAGE)
    claim = BonusClaim.objects.select_for_update().get(pk=claim.pk)
    if claim.status != BonusStatus.PENDING:
        raise ValidationError({"__all__": _("该加分申报已审核。")})
    if claim.submitted_by_id == actor.pk:
        raise ValidationError({"__all__": _("申报人不能审核自己的加分申报。")})
    BonusClaim.objects.filter(pk=claim.pk).update(status=BonusStatus.APPROVED if approve else BonusStatus.REFUSED,
                                                  decided_by=actor, decided_at=timezone.now(),
                                                  decision_note=(note or "")[:300])
    claim.refresh_from_db()
    ledger.append(event="bonus_decide", obj=claim, actor=actor, data={"approved": approve, "note": note})
    return claim


# --- 硒都楷模 ------------------------------------------------------------------------------------
@transaction.atomic
def round_create(*, actor, title, year, evaluation=None, min_grade="", exclude_accountability=True, quota=3,
                 panel=()) -> Round:
    _require(actor, permissions.EVALUATION_MANAGE)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("请填写评选名称。")})
    if min_grade and evaluation is None:
        raise ValidationError({"evaluation": _("设置了等次条件,请选择依据的考评。")})
    if evaluation is not None and evaluation.status != EvalStatus.FINAL:
        raise ValidationError({"evaluation": _("依据的考评尚未定稿。")})
    panel = list(panel)
    if not panel:
        raise ValidationError({"panel": _("请选择评审组成员。")})
    try:
        quota = int(quota)
    except (TypeError, ValueError):
        raise ValidationError({"quota": _("名额无效。")}) from None
    if quota < 1:
        raise ValidationError({"quota": _("名额至少为 1。")})
    rnd = Round.objects.create(title=title[:100], year=int(year), evaluation=evaluation, min_grade=min_grade or "",
                               exclude_accountability=exclude_accountability, quota=quota, created_by=actor)
    rnd.panel.set(panel)
    ledger.append(event="round_create", obj=rnd, actor=actor,
                  data={"year": rnd.year, "min_grade": rnd.min_grade, "quota": quota,
                        "exclude_accountability": exclude_accountability, "panel": sorted(u.pk for u in panel)})
    return rnd


def eligibility_problems(rnd: Round, unit, person=None) -> list[str]:
    """Why a unit (or a person and their unit) may not be nominated; [] when eligible."""
    problems = []
    if rnd.min_grade:
        score = UnitScore.objects.filter(evaluation=rnd.evaluation, unit=unit).first()
        limit = GRADE_ORDER.index(rnd.min_grade)
        if score is None or GRADE_ORDER.index(score.grade) > limit:
            problems.append(_("单位“%(unit)s”考评等次未达到%(grade)s。")
                            % {"unit": unit.name, "grade": dict(rnd._meta.get_field("min_grade").choices)[rnd.min_grade]})
    if rnd.exclude_accountability and accountability_available():
        from duban.evaluation.sources import SOURCES, Context

        ctx = Context(year=rnd.year, as_of=date(rnd.year, 12, 31), units=[(unit.pk, unit.path)])
        if SOURCES["accountability"].measure(ctx).get(unit.pk, {}).get("count"):
            problems.append(_("单位“%(unit)s”在评选期内有问责记录。") % {"unit": unit.name})
    if rnd.exclude_accountability and person is not None and apps.is_installed("duban.accountability"):
        from duban.accountability.selectors import has_case

        if has_case(person, rnd.year):
            problems.append(_("“%(person)s”在评选期内受到问责。") % {"person": person.name})
    return problems


def nomination_add(*, actor, rnd: Round, unit=None, person=None, reason: str, tasks=(), upload=None) -> Nomination:
    from contextlib import ExitStack

    _require(actor, permissions.EVALUATION_MANAGE)
    with ExitStack() as stack, transaction.atomic():
        rnd = Round.objects.select_for_update().get(pk=rnd.pk)
        if rnd.status != RoundStatus.NOMINATING:
            raise ValidationError({"__all__": _("推荐阶段已结束。")})
        if (unit is None) == (person is None):
            raise ValidationError({"unit": _("请推荐一个单位或一名个人(二选一)。")})
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError({"reason": _("请填写推荐理由。")})
        home = unit if unit is not None else person.unit
        problems = eligibility_problems(rnd, home, person)
        if problems:
            raise ValidationError({"__all__": problems}, code="ineligible")
        tasks = list(tasks)
        for task in tasks:
            if task.status != TaskStatus.COMPLETED or not task.lead_unit or not task.lead_unit.path.startswith(home.path):
                raise ValidationError({"tasks": _("事迹“%(task)s”不是被推荐单位已办结的任务。") % {"task": task.title}})
        if Nomination.objects.filter(round=rnd, unit=unit, person=person).exists():
            raise ValidationError({"__all__": _("已经推荐过。")})
        file = _store_file(actor, upload, stack)
        nomination = Nomination.objects.create(round=rnd, unit=unit, person=person, reason=reason, file=file,
                                               nominated_by=actor)
        nomination.tasks.set(tasks)
        ledger.append(event="nomination_add", obj=nomination, actor=actor,
                      data={"round": rnd.pk, "unit": unit.pk if unit else None,
                            "person": person.pk if person else None, "reason": reason,
                            "tasks": sorted(t.pk for t in tasks), "file": _file_data(file)})
    return nomination


TRANSITIONS = {
    "open_voting": (RoundStatus.NOMINATING, RoundStatus.VOTING),
    "close": (RoundStatus.VOTING, RoundStatus.CLOSED),
    "publicize": (RoundStatus.CLOSED, RoundStatus.PUBLICIZED),
    "announce": (RoundStatus.PUBLICIZED, RoundStatus.ANNOUNCED),
}


@transaction.atomic
def round_advance(*, actor, rnd: Round, step: str) -> Round:
    _require(actor, permissions.EVALUATION_MANAGE)
    rnd = Round.objects.select_for_update().get(pk=rnd.pk)
    if step not in TRANSITIONS or TRANSITIONS[step][0] != rnd.status:
        raise ValidationError({"__all__": _("当前阶段不能执行该操作。")})
    if step == "open_voting" and not rnd.nominations.exists():
        raise ValidationError({"__all__": _("尚无推荐对象,不能开始投票。")})
    Round.objects.filter(pk=rnd.pk).update(status=TRANSITIONS[step][1])
    rnd.refresh_from_db()
    data = {"status": rnd.status}
    if step == "close":
        data["tally"] = {str(n.pk): n.votes for n in rnd.nominations.all()}
        data["ballots"] = rnd.ballots.count()
    if step == "announce":
        data["selected"] = [n.pk for n in selected(rnd)]
    ledger.append(event=f"round_{step}", obj=rnd, actor=actor, data=data)
    return rnd


@transaction.atomic
def ballot_cast(*, actor, rnd: Round, choices) -> Ballot:
    """A panel member votes once, for up to the quota of nominations. Only the tally is kept with
    the nominations; the ballot records that the member voted, not for whom."""
    rnd = Round.objects.select_for_update().get(pk=rnd.pk)
    if rnd.status != RoundStatus.VOTING:
        raise ValidationError({"__all__": _("不在投票阶段。")})
    if not rnd.panel.filter(pk=actor.pk).exists():
        raise PermissionDenied("not on the panel")
    if Ballot.objects.filter(round=rnd, voter=actor).exists():
        raise ValidationError({"__all__": _("您已投过票,每位评审只能投票一次。")}, code="twice")
    ids = sorted({int(getattr(c, "pk", c)) for c in choices})
    if not ids:
        raise ValidationError({"choices": _("请至少选择一个推荐对象。")})
    if len(ids) > rnd.quota:
        raise ValidationError({"choices": _("最多选择 %(n)s 个推荐对象。") % {"n": rnd.quota}})
    if Nomination.objects.filter(round=rnd, pk__in=ids).count() != len(ids):
        raise ValidationError({"choices": _("所选推荐对象不属于本次评选。")})
    Nomination.objects.filter(round=rnd, pk__in=ids).update(votes=F("votes") + 1)
    ballot = Ballot.objects.create(round=rnd, voter=actor)
    ledger.append(event="ballot_cast", obj=rnd, actor=actor, data={"round": rnd.pk})
    return ballot


def selected(rnd: Round) -> list[Nomination]:
    """The quota of most-voted nominations; a tie at the last place takes all tied (shown)."""
    ranked = sorted(rnd.nominations.all(), key=lambda n: (-n.votes, n.pk))
    if len(ranked) <= rnd.quota:
        return [n for n in ranked if n.votes > 0]
    cutoff = ranked[rnd.quota - 1].votes
    return [n for n in ranked if n.votes >= cutoff and n.votes > 0]

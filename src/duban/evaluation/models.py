"""Year-end evaluation (考评): schemes, computed score sheets, rankings, 公示与申诉, manual ratings,
bonus points and the 硒都楷模 selection.

A scheme (考评方案) is per year and unit category, versioned: once an evaluation uses it, it is
locked and a change is a new version. An evaluation computes one sheet for the scheme: every
unit's items are measured by database aggregation from the records (duban.evaluation.sources),
the sheet is canonical JSON whose SHA-256 is kept with every revision and in the ledger, so the
same data and scheme version give a byte-identical sheet. Every revision's sheet is kept.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from duban.core import integrity


class UnitCategory(models.TextChoices):
    TOWNSHIP = "township", _("乡镇/办事处")
    DEPARTMENT = "department", _("市直部门")
    VILLAGE = "village", _("村/社区")


# Which unit kinds (orgs.UnitKind values) each category evaluates.
CATEGORY_KINDS = {
    UnitCategory.TOWNSHIP: ("township",),
    UnitCategory.DEPARTMENT: ("party", "government", "mass_org", "enterprise", "other"),
    UnitCategory.VILLAGE: ("village",),
}


class SchemeStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IN_USE = "in_use", _("已使用")


class GradeMethod(models.TextChoices):
    SHARES = "shares", _("按比例")
    THRESHOLDS = "thresholds", _("按分数线")


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    GOOD = "good", _("良好")
    FAIR = "fair", _("一般")
    POOR = "poor", _("较差")


GRADE_ORDER = [Grade.EXCELLENT, Grade.GOOD, Grade.FAIR, Grade.POOR]


class Scheme(models.Model):
    name = models.CharField(_("方案名称"), max_length=100)
    year = models.PositiveSmallIntegerField(_("年度"))
    category = models.CharField(_("单位类别"), max_length=16, choices=UnitCategory.choices)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    status = models.CharField(_("状态"), max_length=8, choices=SchemeStatus.choices, default=SchemeStatus.DRAFT)
    grade_method = models.CharField(_("等次划分"), max_length=12, choices=GradeMethod.choices,
                                    default=GradeMethod.SHARES)
    # Shares: percent of units rated 优秀 / 良好 / 一般 (the rest 较差). Thresholds: minimum totals.
    excellent = models.DecimalField(_("优秀"), max_digits=6, decimal_places=2, default=20)
    good = models.DecimalField(_("良好"), max_digits=6, decimal_places=2, default=40)
    fair = models.DecimalField(_("一般"), max_digits=6, decimal_places=2, default=30)
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("上一版本"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("考评方案")
        verbose_name_plural = _("考评方案")
        ordering = ["-year", "category", "-version"]
        constraints = [models.UniqueConstraint(fields=["year", "category", "version"],
                                               name="evaluation_scheme_version")]

    def __str__(self) -> str:
        return f"{self.name}(v{self.version})"


class SchemeItem(models.Model):
    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="items", verbose_name=_("方案"))
    position = models.PositiveSmallIntegerField(_("序号"))
    source = models.CharField(_("计分来源"), max_length=32)
    name = models.CharField(_("考评项目"), max_length=100)
    weight = models.DecimalField(_("分值"), max_digits=6, decimal_places=2, validators=[MinValueValidator(0)])
    param = models.DecimalField(_("参数"), max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("考评项目")
        verbose_name_plural = _("考评项目")
        ordering = ["scheme", "position"]
        constraints = [models.UniqueConstraint(fields=["scheme", "position"], name="evaluation_item_position")]

    def __str__(self) -> str:
        return self.name


class EvalStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("公示中")
    FINAL = "final", _("已定稿")


class Evaluation(models.Model):
    scheme = models.OneToOneField(Scheme, on_delete=models.PROTECT, related_name="evaluation",
                                  verbose_name=_("考评方案"))
    year = models.PositiveSmallIntegerField(_("年度"))
    category = models.CharField(_("单位类别"), max_length=16, choices=UnitCategory.choices)
    status = models.CharField(_("状态"), max_length=12, choices=EvalStatus.choices, default=EvalStatus.DRAFT)
    as_of = models.DateField(_("统计截止日"))
    revision = models.PositiveIntegerField(_("版次"), default=0)
    sha256 = models.CharField(_("摘要"), max_length=64, blank=True)
    objection_start = models.DateField(_("公示开始"), null=True, blank=True)
    objection_end = models.DateField(_("公示截止"), null=True, blank=True)
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("公示时间"), null=True, blank=True)
    finalized_at = models.DateTimeField(_("定稿时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("创建人"))
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("考评")
        verbose_name_plural = _("考评")
        ordering = ["-year", "category"]

    def __str__(self) -> str:
        return f"{self.year} {self.get_category_display()} · {self.scheme.name}"


class SheetRevision(models.Model):
    """One computed sheet, kept for ever (an accepted objection adds a revision; both stay)."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="revisions",
                                   verbose_name=_("考评"))
    revision = models.PositiveIntegerField(_("版次"))
    sha256 = models.CharField(_("摘要"), max_length=64)
    sheet = models.TextField(_("计分表"))
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        ordering = ["evaluation", "revision"]
        constraints = [models.UniqueConstraint(fields=["evaluation", "revision"], name="evaluation_revision_unique")]


class UnitScore(integrity.Sealed, models.Model):
    """A unit's line of the current sheet (``items``: item id → score, measures and note). The
    score, rank and grade carry a row MAC (DP-03, duban.core.integrity)."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="scores",
                                   verbose_name=_("考评"))
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("单位"))
    total = models.DecimalField(_("总分"), max_digits=8, decimal_places=2)
    rank = models.PositiveIntegerField(_("名次"))
    tied = models.BooleanField(_("并列"), default=False)
    grade = models.CharField(_("等次"), max_length=12, choices=Grade.choices)
    previous_rank = models.PositiveIntegerField(_("上期名次"), null=True, blank=True)
    items = models.JSONField(default=dict)
    row_mac = integrity.mac_field()

    integrity_fields = ("evaluation", "unit", "total", "rank", "tied", "grade", "previous_rank", "items")

    class Meta:
        verbose_name = _("单位得分")
        verbose_name_plural = _("单位得分")
        ordering = ["evaluation", "rank", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["evaluation", "unit"], name="evaluation_score_unit")]

    @property
    def movement(self) -> int | None:
        return None if self.previous_rank is None else self.previous_rank - self.rank


class EvalFile(models.Model):
    """Evidence attached to an objection, a bonus claim or a nomination (checked like task evidence)."""

    original_name = models.CharField(_("文件名"), max_length=255)
    file_type = models.CharField(_("类型"), max_length=8)
    storage_name = models.CharField(max_length=255, unique=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.original_name


class ObjectionStatus(models.TextChoices):
    PENDING = "pending", _("待答复")
    ACCEPTED = "accepted", _("已采纳")
    REJECTED = "rejected", _("未采纳")


class Objection(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="objections",
                                   verbose_name=_("考评"))
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("申诉单位"))
    item = models.ForeignKey(SchemeItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("考评项目"))
    reason = models.TextField(_("申诉理由"))
    evidence = models.TextField(_("证据说明"))
    file = models.ForeignKey(EvalFile, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("证据材料"))
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("申诉人"))
    filed_at = models.DateTimeField(_("申诉时间"), default=timezone.now)
    status = models.CharField(_("状态"), max_length=10, choices=ObjectionStatus.choices,
                              default=ObjectionStatus.PENDING)
    answer = models.TextField(_("答复意见"), blank=True)
    adjustment = models.DecimalField(_("调整分值"), max_digits=6, decimal_places=2, default=0)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("答复人"))
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("申诉")
        verbose_name_plural = _("申诉")
        ordering = ["-filed_at", "-id"]


class ManualRating(models.Model):
    """One rater's score of one unit on a rating item (领导评价, 民主测评)."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="ratings")
    item = models.ForeignKey(SchemeItem, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("评分"), max_digits=6, decimal_places=2)
    rated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["evaluation", "item", "unit", "rater"],
                                               name="evaluation_rating_once")]


class BonusStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("未批准")


class BonusClaim(models.Model):
    """A bonus (上级表彰, 典型经验) entered with evidence; it counts once approved."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="bonuses")
    item = models.ForeignKey(SchemeItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("考评项目"))
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("单位"))
    points = models.DecimalField(_("加分"), max_digits=6, decimal_places=2)
    reason = models.CharField(_("加分事由"), max_length=300)
    evidence = models.TextField(_("证据说明"))
    file = models.ForeignKey(EvalFile, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("证据材料"))
    status = models.CharField(_("状态"), max_length=10, choices=BonusStatus.choices, default=BonusStatus.PENDING)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("审核意见"), max_length=300, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]


# --- 硒都楷模 ------------------------------------------------------------------------------------
class RoundStatus(models.TextChoices):
    NOMINATING = "nominating", _("推荐中")
    VOTING = "voting", _("评审投票中")
    CLOSED = "closed", _("投票结束")
    PUBLICIZED = "publicized", _("公示中")
    ANNOUNCED = "announced", _("已公布")


class Round(models.Model):
    title = models.CharField(_("评选名称"), max_length=100)
    year = models.PositiveSmallIntegerField(_("年度"))
    evaluation = models.ForeignKey(Evaluation, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("依据的考评"))
    min_grade = models.CharField(_("单位等次不低于"), max_length=12, choices=Grade.choices, blank=True)
    exclude_accountability = models.BooleanField(_("期内有问责的不得推荐"), default=True)
    quota = models.PositiveSmallIntegerField(_("名额"), default=3, validators=[MinValueValidator(1)])
    status = models.CharField(_("状态"), max_length=12, choices=RoundStatus.choices,
                              default=RoundStatus.NOMINATING)
    panel = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("评审组成员"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("硒都楷模评选")
        verbose_name_plural = _("硒都楷模评选")
        ordering = ["-year", "-id"]

    def __str__(self) -> str:
        return self.title


class Nomination(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="nominations")
    unit = models.ForeignKey("orgs.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("推荐单位"))
    person = models.ForeignKey("orgs.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("推荐个人"))
    reason = models.TextField(_("推荐理由"))
    tasks = models.ManyToManyField("tasks.Task", blank=True, related_name="+", verbose_name=_("事迹(已办结任务)"))
    file = models.ForeignKey(EvalFile, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    nominated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    nominated_at = models.DateTimeField(default=timezone.now)
    # The tally: incremented by the vote service, never linked to who voted (secret ballot).
    votes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["round", "id"]

    @property
    def nominee(self):
        return self.person or self.unit


class Ballot(models.Model):
    """That a panel member has voted (not for whom): one ballot per member and round."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="ballots")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    cast_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "voter"], name="evaluation_ballot_once")]

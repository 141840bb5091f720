"""巡察 (inspection rounds) over a term (一届任期): rounds with their stages and teams, the
inspector pool with the people's history for the 回避 rule, findings (问题清单), rectification
(整改, one task each in the ordinary lifecycle) and 回头看 (the follow-up check after 销号).

Confidentiality: a round's findings exist for the inspected unit only from the day the round's
feedback (反馈) was given (``Round.fed_back_on``); the selectors decide it (duban.inspections.selectors).
"""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Term(models.Model):
    """一届任期: five years from a configurable start; the coverage promise is made over it."""

    name = models.CharField(_("任期名称"), max_length=100, unique=True)
    start_date = models.DateField(_("任期开始"))
    years = models.PositiveSmallIntegerField(_("任期年数"), default=5)
    conflict_years = models.PositiveSmallIntegerField(
        _("回避年限"), default=5, help_text=_("巡察组成员近几年内工作过的单位须回避。"))
    followup_months = models.PositiveSmallIntegerField(_("回头看间隔(月)"), default=6)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("任期")
        verbose_name_plural = _("任期")
        ordering = ["-start_date"]

    def __str__(self) -> str:
        return self.name

    @property
    def end_date(self) -> date:
        """The last day of the term."""
        return self.start_date + relativedelta(years=self.years) - relativedelta(days=1)


class Stage(models.TextChoices):
    MOBILIZE = "mobilize", _("动员")
    ENTER = "enter", _("进驻")
    SURVEY = "survey", _("了解")
    FEEDBACK = "feedback", _("反馈")
    TRANSFER = "transfer", _("移交")
    RECTIFY = "rectify", _("整改")
    FOLLOWUP = "followup", _("回头看")


# The stage fields of a round, in order.
STAGE_FIELDS = (
    (Stage.MOBILIZE, "mobilize_on"),
    (Stage.ENTER, "enter_on"),
    (Stage.SURVEY, "survey_on"),
    (Stage.FEEDBACK, "feedback_on"),
    (Stage.TRANSFER, "transfer_on"),
    (Stage.RECTIFY, "rectify_on"),
    (Stage.FOLLOWUP, "followup_on"),
)


class Round(models.Model):
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="rounds", verbose_name=_("任期"))
    name = models.CharField(_("轮次名称"), max_length=200)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    mobilize_on = models.DateField(_("动员"))
    enter_on = models.DateField(_("进驻"))
    survey_on = models.DateField(_("了解"))
    feedback_on = models.DateField(_("反馈"))
    transfer_on = models.DateField(_("移交"))
    rectify_on = models.DateField(_("整改"))
    followup_on = models.DateField(_("回头看"))
    fed_back_on = models.DateField(_("反馈日期"), null=True, blank=True)
    source = models.ForeignKey("tasks.Source", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="inspection_rounds", verbose_name=_("整改任务来源"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("录入人"))
    created_at = models.DateTimeField(_("录入时间"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("巡察轮次")
        verbose_name_plural = _("巡察轮次")
        ordering = ["-start_date", "-id"]
        constraints = [models.CheckConstraint(condition=Q(end_date__gte=F("start_date")),
                                              name="inspections_round_end_after_start")]

    def __str__(self) -> str:
        return self.name

    def stage_dates(self) -> list[tuple[str, str, date]]:
        return [(stage, Stage(stage).label, getattr(self, field)) for stage, field in STAGE_FIELDS]

    def stage_on(self, day: date) -> str | None:
        """The stage the round is in on ``day`` (None before 动员)."""
        current = None
        for stage, field in STAGE_FIELDS:
            if getattr(self, field) <= day:
                current = stage
        return current


class InspectorPool(models.Model):
    """巡察干部库: the people teams are drawn from."""

    person = models.OneToOneField("orgs.Person", on_delete=models.CASCADE, related_name="inspector",
                                  verbose_name=_("人员"))
    is_active = models.BooleanField(_("在库"), default=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("巡察干部")
        verbose_name_plural = _("巡察干部库")
        ordering = ["person__name"]

    def __str__(self) -> str:
        return str(self.person)


class WorkHistory(models.Model):
    """A unit a person worked in, with the years (end_year empty: still there)."""

    person = models.ForeignKey("orgs.Person", on_delete=models.CASCADE, related_name="work_history",
                               verbose_name=_("人员"))
    unit = models.ForeignKey("orgs.Unit", on_delete=models.CASCADE, related_name="+", verbose_name=_("单位"))
    start_year = models.PositiveSmallIntegerField(_("起始年份"))
    end_year = models.PositiveSmallIntegerField(_("截止年份"), null=True, blank=True)

    class Meta:
        verbose_name = _("工作经历")
        verbose_name_plural = _("工作经历")
        ordering = ["person", "-start_year"]


class Relative(models.Model):
    """A close relative (近亲属) of a person and the unit they work in."""

    person = models.ForeignKey("orgs.Person", on_delete=models.CASCADE, related_name="relatives",
                               verbose_name=_("人员"))
    name = models.CharField(_("亲属姓名"), max_length=50)
    relation = models.CharField(_("关系"), max_length=20)
    unit = models.ForeignKey("orgs.Unit", on_delete=models.CASCADE, related_name="+", verbose_name=_("工作单位"))

    class Meta:
        verbose_name = _("近亲属")
        verbose_name_plural = _("近亲属")
        ordering = ["person", "id"]


class Team(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="teams", verbose_name=_("巡察轮次"))
    name = models.CharField(_("巡察组"), max_length=50)

    class Meta:
        verbose_name = _("巡察组")
        verbose_name_plural = _("巡察组")
        ordering = ["round", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "name"], name="inspections_team_name_unique")]

    def __str__(self) -> str:
        return self.name


class MemberRole(models.TextChoices):
    LEADER = "leader", _("组长")
    DEPUTY = "deputy", _("副组长")
    MEMBER = "member", _("成员")


class TeamMember(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members", verbose_name=_("巡察组"))
    person = models.ForeignKey("orgs.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("人员"))
    role = models.CharField(_("职务"), max_length=8, choices=MemberRole.choices, default=MemberRole.MEMBER)

    class Meta:
        verbose_name = _("巡察组成员")
        verbose_name_plural = _("巡察组成员")
        ordering = ["team", "role", "id"]
        constraints = [models.UniqueConstraint(fields=["team", "person"], name="inspections_member_unique")]


class Target(models.Model):
    """A unit inspected in a round (by one team)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="targets", verbose_name=_("巡察轮次"))
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="inspection_targets",
                             verbose_name=_("被巡察单位"))
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="targets",
                             verbose_name=_("巡察组"))

    class Meta:
        verbose_name = _("被巡察单位")
        verbose_name_plural = _("被巡察单位")
        ordering = ["round", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["round", "unit"], name="inspections_target_unique")]


class FindingCategory(models.TextChoices):
    POLITICAL = "political", _("政治建设")
    LEADERSHIP = "leadership", _("党的领导")
    DISCIPLINE = "discipline", _("全面从严治党")
    PERSONNEL = "personnel", _("选人用人")
    RECTIFICATION = "rectification", _("巡察整改")
    OTHER = "other", _("其他")


class Severity(models.TextChoices):
    GENERAL = "general", _("一般")
    SERIOUS = "serious", _("较重")
    GRAVE = "grave", _("严重")


class Finding(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="findings", verbose_name=_("巡察轮次"))
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="inspection_findings",
                             verbose_name=_("责任单位"))
    category = models.CharField(_("问题类别"), max_length=16, choices=FindingCategory.choices)
    description = models.TextField(_("问题描述"))
    evidence = models.TextField(_("事实依据"), blank=True)
    severity = models.CharField(_("严重程度"), max_length=8, choices=Severity.choices, default=Severity.GENERAL)
    responsible_person = models.CharField(_("责任人"), max_length=50, blank=True)
    transferred = models.BooleanField(_("移交纪委"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("录入人"))
    created_at = models.DateTimeField(_("录入时间"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("巡察问题")
        verbose_name_plural = _("巡察问题清单")
        ordering = ["round", "unit__path", "id"]

    def __str__(self) -> str:
        return self.description[:40]


class Rectification(models.Model):
    """One rectification task of a finding (a finding may have several): the task in the ordinary
    lifecycle, the unit's plan with its measures, and 销号 by the inspection office."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="rectifications",
                                verbose_name=_("巡察问题"))
    task = models.OneToOneField("tasks.Task", on_delete=models.PROTECT, related_name="inspection_rectification",
                                verbose_name=_("整改任务"))
    measures = models.TextField(_("整改措施"), blank=True)
    plan_submitted_at = models.DateTimeField(_("方案提交时间"), null=True, blank=True)
    closed_on = models.DateField(_("销号日期"), null=True, blank=True)
    followup_due = models.DateField(_("回头看日期"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("整改")
        verbose_name_plural = _("整改")
        ordering = ["finding", "id"]


class FollowUpResult(models.TextChoices):
    PENDING = "pending", _("待回头看")
    HELD = "held", _("整改到位")
    REGRESSED = "regressed", _("问题反弹")


class FollowUp(models.Model):
    """回头看 of one closed rectification. ``result = regressed`` reopened it (a reopening: the
    evaluation counts them per unit, duban.inspections.selectors.reopenings_by_unit)."""

    rectification = models.ForeignKey(Rectification, on_delete=models.CASCADE, related_name="followups",
                                      verbose_name=_("整改"))
    due_on = models.DateField(_("回头看日期"))
    result = models.CharField(_("结果"), max_length=12, choices=FollowUpResult.choices,
                              default=FollowUpResult.PENDING)
    note = models.TextField(_("情况"), blank=True)
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("检查人"))
    created_at = models.DateTimeField(_("安排时间"), default=timezone.now)

    class Meta:
        verbose_name = _("回头看")
        verbose_name_plural = _("回头看")
        ordering = ["due_on", "id"]
        constraints = [models.UniqueConstraint(fields=["rectification", "due_on"],
                                               name="inspections_followup_once")]

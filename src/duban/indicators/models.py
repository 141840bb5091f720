"""The "316" indicators: definitions, yearly targets and the multi-year goal, actual values per
period, and peer groups (e.g. the province's 31 key eco-function counties) with the peers' values.

Periods are keys in the indicator's frequency: "2025" (yearly), "2025Q1" (quarterly), "2025-03"
(monthly); a period is *defined* when it parses for the frequency and its year lies inside the
indicator's span [start_year, end_year]. Keys of one frequency sort as text in time order.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    HIGHER = "higher", _("越高越好")
    LOWER = "lower", _("越低越好")


class Frequency(models.TextChoices):
    YEAR = "year", _("年度")
    QUARTER = "quarter", _("季度")
    MONTH = "month", _("月度")


class BehindAction(models.TextChoices):
    TASK = "task", _("生成督办任务")
    NOTICE = "notice", _("发送督办通知")


class Indicator(models.Model):
    code = models.CharField(_("编码"), max_length=40, unique=True,
                            help_text=_("字母开头,可含字母、数字和下划线;公式中用编码引用指标。"))
    name = models.CharField(_("指标名称"), max_length=100)
    measure = models.CharField(_("计量单位"), max_length=20, blank=True)
    direction = models.CharField(_("方向"), max_length=8, choices=Direction.choices, default=Direction.HIGHER)
    frequency = models.CharField(_("频度"), max_length=8, choices=Frequency.choices, default=Frequency.YEAR)
    source_office = models.ForeignKey("orgs.Unit", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+", verbose_name=_("数据来源单位"))
    formula = models.CharField(_("计算公式"), max_length=300, blank=True,
                               help_text=_("派生指标填写,如 GDP / POP * 10000;只允许 + - * / 和括号。"))
    responsible_units = models.ManyToManyField("orgs.Unit", blank=True, related_name="indicators",
                                               verbose_name=_("责任单位"))
    start_year = models.PositiveIntegerField(_("起始年度"))
    end_year = models.PositiveIntegerField(_("目标年度"))
    goal_value = models.DecimalField(_("规划目标值"), max_digits=18, decimal_places=4, null=True, blank=True)
    behind_margin = models.DecimalField(_("落后容差(%)"), max_digits=6, decimal_places=2, default=5)
    behind_action = models.CharField(_("落后时"), max_length=8, choices=BehindAction.choices,
                                     default=BehindAction.NOTICE)
    is_demo = models.BooleanField(_("演示数据"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("指标")
        verbose_name_plural = _("指标")
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=Q(end_year__gte=models.F("start_year")),
                                              name="indicators_span_ordered")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_derived(self) -> bool:
        return bool(self.formula)


class Target(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveIntegerField(_("年度"))
    value = models.DecimalField(_("目标值"), max_digits=18, decimal_places=4)

    class Meta:
        verbose_name = _("年度目标")
        ordering = ["indicator", "year"]
        constraints = [models.UniqueConstraint(fields=["indicator", "year"], name="indicators_target_once")]


class Actual(models.Model):
    """Our own county's value of an indicator in a period."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="actuals")
    period = models.CharField(_("期间"), max_length=10)
    value = models.DecimalField(_("实际值"), max_digits=18, decimal_places=4)
    is_derived = models.BooleanField(_("公式计算"), default=False)
    is_demo = models.BooleanField(_("演示数据"), default=False)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("实际值")
        ordering = ["indicator", "period"]
        constraints = [models.UniqueConstraint(fields=["indicator", "period"], name="indicators_actual_once")]


class PeerGroup(models.Model):
    name = models.CharField(_("对标组名称"), max_length=100, unique=True)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    is_demo = models.BooleanField(_("演示数据"), default=False)

    class Meta:
        verbose_name = _("对标组")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PeerMember(models.Model):
    """A member of a peer group; the one ``is_self`` member is our county (its values are the Actuals)."""

    group = models.ForeignKey(PeerGroup, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(_("成员"), max_length=60)
    is_self = models.BooleanField(_("本县"), default=False)

    class Meta:
        verbose_name = _("对标组成员")
        ordering = ["group", "name"]
        constraints = [
            models.UniqueConstraint(fields=["group", "name"], name="indicators_member_once"),
            models.UniqueConstraint(fields=["group"], condition=Q(is_self=True), name="indicators_one_self"),
        ]

    def __str__(self) -> str:
        return self.name


class PeerValue(models.Model):
    member = models.ForeignKey(PeerMember, on_delete=models.CASCADE, related_name="values")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="peer_values")
    period = models.CharField(_("期间"), max_length=10)
    value = models.DecimalField(_("数值"), max_digits=18, decimal_places=4)

    class Meta:
        verbose_name = _("对标值")
        constraints = [models.UniqueConstraint(fields=["member", "indicator", "period"],
                                               name="indicators_peer_value_once")]


class BehindAlert(models.Model):
    """An indicator found behind its target by more than its margin, and what was done about it
    (once per indicator and period)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="alerts")
    period = models.CharField(_("期间"), max_length=10)
    actual = models.DecimalField(_("实际值"), max_digits=18, decimal_places=4)
    target = models.DecimalField(_("目标值"), max_digits=18, decimal_places=4)
    shortfall = models.DecimalField(_("落后幅度(%)"), max_digits=10, decimal_places=2)
    action = models.CharField(_("处置"), max_length=8, choices=BehindAction.choices)
    task = models.ForeignKey("tasks.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("落后预警")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["indicator", "period"], name="indicators_alert_once")]

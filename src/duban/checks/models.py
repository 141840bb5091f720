"""Supervision checks (督查): a check of some units (and tasks) by a team on some dates, and
what it found. A finding becomes a rectification task (整改任务) in the ordinary task lifecycle.

A 暗访 (unannounced check) does not exist for the checked units until the 督查室 publishes it;
a 明察 is published when it is recorded. Visibility is decided by ``published_at`` alone
(duban.checks.selectors).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CheckMode(models.TextChoices):
    OPEN = "open", _("明察")
    COVERT = "covert", _("暗访")


class CheckScope(models.TextChoices):
    SPECIAL = "special", _("专项督查")
    COMPREHENSIVE = "comprehensive", _("全面督查")


class CheckStage(models.TextChoices):
    PROCESS = "process", _("过程督查")
    YEAR_END = "year_end", _("年终问效")


class Check(models.Model):
    title = models.CharField(_("督查名称"), max_length=200)
    mode = models.CharField(_("方式"), max_length=8, choices=CheckMode.choices, default=CheckMode.OPEN)
    scope = models.CharField(_("范围"), max_length=16, choices=CheckScope.choices, default=CheckScope.SPECIAL)
    stage = models.CharField(_("阶段"), max_length=16, choices=CheckStage.choices, default=CheckStage.PROCESS)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    summary = models.TextField(_("督查情况"), blank=True)
    units = models.ManyToManyField("orgs.Unit", related_name="checks", verbose_name=_("被督查单位"))
    tasks = models.ManyToManyField("tasks.Task", blank=True, related_name="checks", verbose_name=_("督查任务"))
    team = models.ManyToManyField("orgs.Person", blank=True, related_name="checks_joined",
                                  verbose_name=_("督查组成员"))
    source = models.ForeignKey("tasks.Source", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="checks", verbose_name=_("整改任务来源"))
    published_at = models.DateTimeField(_("通报时间"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("通报人"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("录入人"))
    created_at = models.DateTimeField(_("录入时间"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("督查")
        verbose_name_plural = _("督查")
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["start_date"], name="checks_check_start_idx")]
        constraints = [models.CheckConstraint(condition=Q(end_date__gte=F("start_date")),
                                              name="checks_check_end_after_start")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class Finding(models.Model):
    """A problem found at one unit (发现问题), with its rectification task once made."""

    check_run = models.ForeignKey(Check, on_delete=models.CASCADE, related_name="findings", verbose_name=_("督查"))
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="check_findings",
                             verbose_name=_("责任单位"))
    description = models.TextField(_("问题描述"))
    requirement = models.TextField(_("整改要求"), blank=True)
    rectify_due = models.DateField(_("整改时限"), null=True, blank=True)
    task = models.OneToOneField("tasks.Task", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="check_finding", verbose_name=_("整改任务"))
    # The 问责建议 record in duban.supervision, when one was proposed for this finding.
    accountability_id = models.PositiveIntegerField(_("问责建议"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("录入人"))
    created_at = models.DateTimeField(_("录入时间"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("督查发现")
        verbose_name_plural = _("督查发现")
        ordering = ["check_run", "id"]

    def __str__(self) -> str:
        return self.description[:40]


class FindingFile(models.Model):
    """A photo or file attached to a finding: checked by content, stored under a generated name,
    its SHA-256 re-checked on download (the same rules as task evidence)."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="files", verbose_name=_("督查发现"))
    original_name = models.CharField(_("文件名"), max_length=255)
    file_type = models.CharField(_("类型"), max_length=8)
    storage_name = models.CharField(max_length=255, unique=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("上传人"))
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("督查材料")
        verbose_name_plural = _("督查材料")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.file_type in ("jpg", "png")

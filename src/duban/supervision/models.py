"""Supervision rules, the escalation ladder's records and the 督办单 with its replies.

Every record the scan creates carries a ``dedupe_key`` under a unique constraint: the key names
what was done (task, which miss, which step), so a second run, a second worker or a rerun after
a crash creates nothing twice. A "miss" is identified by its kind and the deadline date that was
missed (due:2026-10-01, report:2026-10-15, ack:2026-09-30), so a moved deadline is a new miss.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MissKind(models.TextChoices):
    ACK = "ack", _("逾期未签收")
    REPORT = "report", _("进展报送逾期")
    DUE = "due", _("任务逾期")
    REPLY = "reply", _("督办单逾期未回复")
    MANUAL = "manual", _("督查室督办")


class Rule(models.Model):
    """Supervision rule for one category (or the default rule, ``category`` empty). Days are
    working days. A ladder step left empty is not used; the used steps must come in order."""

    key = models.CharField(max_length=32, unique=True)  # "default" or "category:<id>"
    category = models.OneToOneField("tasks.Category", null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="supervision_rule", verbose_name=_("类别"))
    ack_days = models.PositiveSmallIntegerField(_("签收时限(工作日)"), default=2,
                                                validators=[MinValueValidator(1), MaxValueValidator(30)])
    remind_report_days = models.PositiveSmallIntegerField(_("报送前提醒(工作日)"), default=2,
                                                          validators=[MaxValueValidator(30)])
    remind_due_days = models.PositiveSmallIntegerField(_("到期前提醒(工作日)"), default=3,
                                                       validators=[MaxValueValidator(30)])
    remind_after = models.PositiveSmallIntegerField(_("催办(逾期后工作日)"), null=True, blank=True, default=0,
                                                    validators=[MaxValueValidator(60)])
    order_after = models.PositiveSmallIntegerField(_("督办单(逾期后工作日)"), null=True, blank=True, default=3,
                                                   validators=[MaxValueValidator(60)])
    order_reply_days = models.PositiveSmallIntegerField(_("督办单回复时限(工作日)"), default=3,
                                                        validators=[MinValueValidator(1), MaxValueValidator(30)])
    list_after = models.PositiveSmallIntegerField(_("挂牌督办(逾期后工作日)"), null=True, blank=True, default=10,
                                                  validators=[MaxValueValidator(120)])
    propose_after = models.PositiveSmallIntegerField(_("问责建议(逾期后工作日)"), null=True, blank=True,
                                                     default=20, validators=[MaxValueValidator(250)])
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)

    class Meta:
        verbose_name = _("督办规则")
        verbose_name_plural = _("督办规则")
        ordering = ["key"]

    def __str__(self) -> str:
        return str(self.category) if self.category_id else str(_("默认规则"))


LADDER = ("remind_after", "order_after", "list_after", "propose_after")
RULE_FIELDS = ("ack_days", "remind_report_days", "remind_due_days", *LADDER, "order_reply_days")


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", _("到期提醒")
    REPORT_SOON = "report_soon", _("报送提醒")
    LADDER = "ladder", _("催办")
    LISTED_WEEKLY = "listed_weekly", _("挂牌督办周报提醒")
    MANUAL = "manual", _("督查室催办")


class Reminder(models.Model):
    """A reminder or a 催办 sent about a task."""

    task = models.ForeignKey("tasks.Task", on_delete=models.CASCADE, related_name="supervision_reminders",
                             verbose_name=_("任务"))
    kind = models.CharField(_("类型"), max_length=16, choices=ReminderKind.choices)
    miss_kind = models.CharField(_("事由"), max_length=8, choices=MissKind.choices, blank=True)
    miss_date = models.DateField(_("时限"), null=True, blank=True)
    message = models.CharField(_("内容"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("催办人"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    dedupe_key = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        verbose_name = _("催办")
        verbose_name_plural = _("催办")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["task", "-created_at"], name="supervision_reminder_task_idx"),
                   models.Index(fields=["task", "kind", "miss_kind", "miss_date"], name="supervision_reminder_miss_idx")]
        constraints = [models.UniqueConstraint(fields=["dedupe_key"], condition=~Q(dedupe_key=""),
                                               name="supervision_reminder_dedupe")]


class OrderCounter(models.Model):
    """The last number given to a 督办单 in a year (督〔2026〕12号)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)


class Order(models.Model):
    """A 督办单: a formal supervision notice to the lead unit's principal leader, with a written
    reply due by a date."""

    task = models.ForeignKey("tasks.Task", on_delete=models.PROTECT, related_name="supervision_orders",
                             verbose_name=_("任务"))
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="supervision_orders",
                             verbose_name=_("主送单位"))
    year = models.PositiveSmallIntegerField(_("年度"))
    seq = models.PositiveIntegerField(_("序号"))
    miss_kind = models.CharField(_("事由"), max_length=8, choices=MissKind.choices)
    miss_date = models.DateField(_("时限"))
    matter = models.TextField(_("督办事项"))
    requirements = models.TextField(_("督办要求"), blank=True)
    reply_due = models.DateField(_("回复时限"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("签发人"))
    issued_at = models.DateTimeField(_("签发时间"), default=timezone.now)
    issued_on = models.DateField(_("成文日期"))
    replied_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    dedupe_key = models.CharField(max_length=100)

    class Meta:
        verbose_name = _("督办单")
        verbose_name_plural = _("督办单")
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["unit", "-issued_at"], name="supervision_order_unit_idx"),
                   models.Index(fields=["reply_due"], name="supervision_order_reply_idx"),
                   models.Index(fields=["task", "miss_kind", "miss_date"], name="supervision_order_miss_idx")]
        constraints = [
            models.UniqueConstraint(fields=["year", "seq"], name="supervision_order_number"),
            # One 督办单 per miss: a second issue for the same miss is refused.
            models.UniqueConstraint(fields=["dedupe_key"], name="supervision_order_dedupe"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"督〔{self.year}〕{self.seq}号"


class OrderReply(models.Model):
    """The unit's written reply (反馈) to a 督办单, with its files (stored as task evidence)."""

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="reply", verbose_name=_("督办单"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("回复人"))
    text = models.TextField(_("回复内容"))
    files = models.ManyToManyField("tasks.Evidence", blank=True, related_name="+", verbose_name=_("附件"))
    submitted_at = models.DateTimeField(_("回复时间"), default=timezone.now)
    late = models.BooleanField(_("逾期回复"), default=False)

    class Meta:
        verbose_name = _("督办单回复")
        verbose_name_plural = _("督办单回复")


class Listing(models.Model):
    """挂牌督办: visible to leaders, weekly reports required, removed only by the 督查室 with a reason."""

    task = models.ForeignKey("tasks.Task", on_delete=models.PROTECT, related_name="supervision_listings",
                             verbose_name=_("任务"))
    reason = models.CharField(_("挂牌理由"), max_length=500)
    miss_kind = models.CharField(_("事由"), max_length=8, choices=MissKind.choices)
    miss_date = models.DateField(_("时限"), null=True, blank=True)
    listed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("挂牌人"))
    listed_at = models.DateTimeField(_("挂牌时间"), default=timezone.now)
    listed_on = models.DateField(_("挂牌日期"))
    is_active = models.BooleanField(_("挂牌中"), default=True)
    unlisted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("摘牌人"))
    unlisted_at = models.DateTimeField(_("摘牌时间"), null=True, blank=True)
    unlist_reason = models.CharField(_("摘牌理由"), max_length=500, blank=True)
    dedupe_key = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        verbose_name = _("挂牌督办")
        verbose_name_plural = _("挂牌督办")
        ordering = ["-listed_at", "-id"]
        indexes = [models.Index(fields=["task", "miss_kind", "miss_date"], name="supervision_listing_miss_idx")]
        constraints = [
            models.UniqueConstraint(fields=["task"], condition=Q(is_active=True), name="supervision_listing_active"),
            models.UniqueConstraint(fields=["dedupe_key"], condition=~Q(dedupe_key=""),
                                    name="supervision_listing_dedupe"),
        ]


class Proposal(models.Model):
    """问责建议: a proposed-accountability record the discipline role sees on its own page (the
    cases themselves are another app's)."""

    task = models.ForeignKey("tasks.Task", on_delete=models.PROTECT, related_name="supervision_proposals",
                             verbose_name=_("任务"))
    unit = models.ForeignKey("orgs.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("责任单位"))
    miss_kind = models.CharField(_("事由"), max_length=8, choices=MissKind.choices)
    miss_date = models.DateField(_("时限"), null=True, blank=True)
    reason = models.TextField(_("建议理由"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    created_on = models.DateField(_("日期"))
    dedupe_key = models.CharField(max_length=100)

    class Meta:
        verbose_name = _("问责建议")
        verbose_name_plural = _("问责建议")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["task", "miss_kind", "miss_date"], name="supervision_proposal_miss_idx")]
        constraints = [models.UniqueConstraint(fields=["dedupe_key"], name="supervision_proposal_dedupe")]

"""Notices (通知) to people and posts, and the outbox that carries them to external channels.

A notice is addressed to exactly one recipient: a post (it then follows whoever acts for the post
today, A or B/C), a person, a user account, or a role (the 督查室 for flagged problems). What a
notice is about is generic (content type + object id) with a stored url and label, so this app
never imports the apps that send notices.

The outbox (Delivery) holds one row per external message. The send service only inserts rows; the
worker job (duban.notices.jobs) claims them with a compare-and-swap on state + lease and delivers
them after commit, with retries, exponential backoff, a log per attempt and a dead-letter state.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NoticeKind(models.TextChoices):
    ASSIGNED = "assigned", _("任务交办")
    RETURNED = "returned", _("退回")
    APPROVED = "approved", _("审核通过")
    EXTENSION_DECIDED = "extension_decided", _("延期审批结果")
    INSTRUCTION = "instruction", _("领导批示")
    INSTRUCTION_REPLY = "instruction_reply", _("批示回复")
    REPORT_DUE = "report_due", _("进展报送临期")
    REPORT_OVERDUE = "report_overdue", _("进展报送逾期")
    TASK_DUE = "task_due", _("任务临期")
    TASK_OVERDUE = "task_overdue", _("任务逾期")
    REMINDER = "reminder", _("催办")
    NOTICE_ISSUED = "notice_issued", _("督办单")
    NOTICE_REPLY = "notice_reply", _("督办单回复")
    LISTED = "listed", _("挂牌督办")
    UNLISTED = "unlisted", _("摘牌")
    PROPOSAL = "proposal", _("问责建议")
    CHECK_PUBLISHED = "check_published", _("督查结果公布")
    MEETING_DECISION = "meeting_decision", _("议定事项")
    INTEGRITY_FAILURE = "integrity_failure", _("台账校验失败")
    SYSTEM = "system", _("系统提示")


class Notice(models.Model):
    kind = models.CharField(_("类型"), max_length=32, choices=NoticeKind.choices, db_index=True)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=500, blank=True)
    # What the notice is about (generic: this app never imports tasks or supervision).
    subject_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("对象类型"))
    subject_id = models.CharField(_("对象编号"), max_length=64, blank=True, default="")
    subject_label = models.CharField(_("对象"), max_length=200, blank=True)
    subject_key = models.CharField(max_length=80, blank=True, default="")  # "<ct id>:<id>", for the dedupe key
    # The recipient: exactly one of post / person / user / role (recipient_key says which).
    recipient_key = models.CharField(max_length=40)
    post = models.ForeignKey("orgs.Post", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="notices", verbose_name=_("岗位"))
    person = models.ForeignKey("orgs.Person", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="notices", verbose_name=_("人员"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="notices", verbose_name=_("账户"))
    role = models.CharField(_("角色"), max_length=32, blank=True)
    unit = models.ForeignKey("orgs.Unit", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="notices", verbose_name=_("单位"))
    # Who the notice reached when it was sent (for a post: the acting holder that day) and why.
    reached = models.ForeignKey("orgs.Person", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("送达人"))
    note = models.CharField(_("送达说明"), max_length=300, blank=True)
    is_copy = models.BooleanField(_("抄送"), default=False)
    flagged = models.BooleanField(_("需督查室处理"), default=False)
    dedupe_key = models.CharField(max_length=200, blank=True, default="")
    batch = models.CharField(max_length=32, db_index=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("发送人"))
    on = models.DateField(_("日期"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient_key", "kind", "subject_key", "dedupe_key"],
                                    condition=~Q(dedupe_key=""), name="notices_notice_dedupe"),
        ]
        indexes = [
            models.Index(fields=["post", "-created_at"], name="notices_post_created_idx"),
            models.Index(fields=["person", "-created_at"], name="notices_person_created_idx"),
            models.Index(fields=["user", "-created_at"], name="notices_user_created_idx"),
            models.Index(fields=["role", "-created_at"], name="notices_role_created_idx"),
            models.Index(fields=["subject_type", "subject_id"], name="notices_subject_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class NoticeRead(models.Model):
    """Read state is per user: when B reads a post's notice, A still sees it unread."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice", "user"], name="notices_read_once")]


class Channel(models.TextChoices):
    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")
    DINGTALK = "dingtalk", _("钉钉群机器人")
    WECOM = "wecom", _("企业微信群机器人")


class UserPreference(models.Model):
    """Which external channels a user wants besides the in-app inbox (always on)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preference")
    email = models.BooleanField(_("电子邮件"), default=False)
    sms = models.BooleanField(_("短信"), default=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("个人通知设置")


class UnitChannel(models.Model):
    """A unit's group robot (钉钉/企业微信). The secret is stored, never shown back."""

    unit = models.ForeignKey("orgs.Unit", on_delete=models.CASCADE, related_name="notice_channels",
                             verbose_name=_("单位"))
    channel = models.CharField(_("渠道"), max_length=16, choices=[(Channel.DINGTALK, Channel.DINGTALK.label),
                                                                  (Channel.WECOM, Channel.WECOM.label)])
    webhook_url = models.CharField(_("Webhook 地址"), max_length=500)
    secret = models.CharField(_("加签密钥"), max_length=200, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("单位通知渠道")
        constraints = [models.UniqueConstraint(fields=["unit", "channel"], name="notices_unit_channel_once")]


class UnitSetting(models.Model):
    """Who the unit's principal leader is (主要负责人, copied on 督办单 and escalations)."""

    unit = models.OneToOneField("orgs.Unit", on_delete=models.CASCADE, related_name="notice_setting")
    principal_leader = models.ForeignKey("orgs.Person", null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="+", verbose_name=_("主要负责人"))
    version = models.PositiveIntegerField(default=1)


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    DEAD = "dead", _("发送失败(死信)")


class Delivery(models.Model):
    """One external message in the outbox."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    target = models.CharField(_("目标"), max_length=300)  # address, phone, or "unitchannel:<id>"
    state = models.CharField(_("状态"), max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("发送记录")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="notices_delivery_due_idx")]


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField()
    detail = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at", "id"]

"""Speech/document intake: the stored draft decomposition and the topic → units map.

A draft is not a task: it is the engine's Draft JSON plus the 督查室's edits (include flag, lead
and co-units, due date, target per node), kept here until someone confirms it. Confirming hands
the edited tree to duban.tasks.services, which is the only writer of sources and tasks.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DraftStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    CONFIRMED = "confirmed", _("已生成任务")
    DISCARDED = "discarded", _("已放弃")


class IntakeDraft(models.Model):
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("导入人"))
    created_at = models.DateTimeField(_("导入时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)
    file_name = models.CharField(_("文件名"), max_length=255)
    file_size = models.PositiveIntegerField(_("文件大小"), default=0)
    # SHA-256 of the uploaded bytes: the same file uploaded again finds its open draft.
    raw_sha256 = models.CharField(_("文件摘要"), max_length=64, db_index=True)
    # The same digest tasks.Source.content_hash uses (whitespace-free text), so a confirmed
    # draft and a later re-import of the same text meet on one value.
    text_hash = models.CharField(_("内容摘要"), max_length=64, db_index=True, blank=True)
    title = models.CharField(_("标题"), max_length=200, blank=True)
    data = models.JSONField(_("草稿内容"))
    status = models.CharField(_("状态"), max_length=16, choices=DraftStatus.choices, default=DraftStatus.DRAFT)
    source = models.ForeignKey("tasks.Source", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="intake_drafts", verbose_name=_("任务来源"))
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("确认人"))
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("导入草稿")
        verbose_name_plural = _("导入草稿")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="intake_draft_status_idx")]
        constraints = [
            # One open draft per file: two people importing the same speech work on one draft.
            models.UniqueConstraint(fields=["raw_sha256"], condition=Q(status="draft"),
                                    name="intake_one_open_draft_per_file"),
        ]

    def __str__(self) -> str:
        return self.title or self.file_name

    @property
    def is_open(self) -> bool:
        return self.status == DraftStatus.DRAFT


class TopicMapping(models.Model):
    """A work topic (关键词) and the units responsible for it: 组织工作 → 市委组织部.

    ``unit_names`` keeps names from the engine's default map that are not (yet) in the unit
    directory: they are still passed to the engine, which matches them against the directory's
    aliases at analysis time, and the list page shows them so staff can correct them."""

    keyword = models.CharField(_("关键词"), max_length=50, unique=True)
    units = models.ManyToManyField("orgs.Unit", blank=True, related_name="intake_topics",
                                   verbose_name=_("责任单位"))
    unit_names = models.JSONField(_("未匹配的单位名称"), default=list, blank=True)
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("主题对应单位")
        verbose_name_plural = _("主题对应单位")
        ordering = ["keyword"]

    def __str__(self) -> str:
        return self.keyword


class IntakeState(models.Model):
    """One row: whether the topic map was seeded from the engine's defaults. Without it, staff
    who delete every mapping would see the defaults come back."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    topic_map_seeded_at = models.DateTimeField(null=True, blank=True)

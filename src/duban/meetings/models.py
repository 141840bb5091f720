"""Meetings of the leading groups (领导小组会议): who attended, the agenda, and the decisions
(议定事项). A decision with a lead unit and a due date becomes a task in one step and keeps a
link to it, so a group's page shows each decision with its task's light.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Meeting(models.Model):
    group = models.ForeignKey("orgs.LeadingGroup", on_delete=models.PROTECT, related_name="meetings",
                              verbose_name=_("领导小组"))
    title = models.CharField(_("会议名称"), max_length=200)
    date = models.DateField(_("会议日期"))
    place = models.CharField(_("会议地点"), max_length=100, blank=True)
    chair = models.ForeignKey("orgs.Person", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="meetings_chaired", verbose_name=_("主持人"))
    minutes = models.TextField(_("会议纪要"), blank=True)
    number = models.PositiveIntegerField(_("纪要期号"), default=0)
    source = models.ForeignKey("tasks.Source", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="meetings", verbose_name=_("任务来源"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("录入人"))
    created_at = models.DateTimeField(_("录入时间"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("领导小组会议")
        verbose_name_plural = _("领导小组会议")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["group", "-date"], name="meetings_group_date_idx")]

    def __str__(self) -> str:
        return self.title


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda", verbose_name=_("会议"))
    order = models.PositiveIntegerField(_("序号"))
    title = models.CharField(_("议题"), max_length=300)

    class Meta:
        verbose_name = _("议题")
        verbose_name_plural = _("议题")
        ordering = ["meeting", "order"]
        constraints = [models.UniqueConstraint(fields=["meeting", "order"], name="meetings_agenda_order_unique")]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance", verbose_name=_("会议"))
    person = models.ForeignKey("orgs.Person", on_delete=models.PROTECT, related_name="meeting_attendance",
                               verbose_name=_("成员"))
    role = models.CharField(_("小组职务"), max_length=20, blank=True)
    present = models.BooleanField(_("出席"), default=True)
    reason = models.CharField(_("缺席原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("出席情况")
        verbose_name_plural = _("出席情况")
        ordering = ["meeting", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "person"], name="meetings_attendance_unique"),
            models.CheckConstraint(condition=Q(present=True) | ~Q(reason=""), name="meetings_absent_has_reason"),
        ]

    def __str__(self) -> str:
        return str(self.person)


class Decision(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("会议"))
    order = models.PositiveIntegerField(_("序号"))
    text = models.TextField(_("议定事项"))
    lead_unit = models.ForeignKey("orgs.Unit", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="meeting_decisions", verbose_name=_("牵头单位"))
    due_date = models.DateField(_("完成时限"), null=True, blank=True)
    task = models.OneToOneField("tasks.Task", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="meeting_decision", verbose_name=_("任务"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("录入人"))
    created_at = models.DateTimeField(_("录入时间"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("议定事项")
        verbose_name_plural = _("议定事项")
        ordering = ["meeting", "order"]
        constraints = [models.UniqueConstraint(fields=["meeting", "order"], name="meetings_decision_order_unique")]

    def __str__(self) -> str:
        return self.text[:40]

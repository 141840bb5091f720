"""Bottom-up resource requests (要素配置自下而上): a unit asks for what a task needs; the request
goes up the unit tree (township → department → leading-group office), the unit holding it
forwards, prioritises or decides it, and the allocation is tracked to delivery."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    FUNDS = "funds", _("资金")
    LAND = "land", _("用地")
    STAFF = "staff", _("人员")
    PROJECT = "project", _("项目")
    POLICY = "policy", _("政策")


class Status(models.TextChoices):
    PENDING = "pending", _("待处理")
    GRANTED = "granted", _("全额批准")
    PARTIAL = "partial", _("部分批准")
    REFUSED = "refused", _("不予批准")
    DELIVERED = "delivered", _("已落实")


GRANTED_STATES = (Status.GRANTED, Status.PARTIAL, Status.DELIVERED)


class Ceiling(models.Model):
    """The most a unit may ask for in one request of a kind (set by a unit above it)."""

    unit = models.ForeignKey("orgs.Unit", on_delete=models.CASCADE, related_name="+", verbose_name=_("单位"))
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    amount = models.DecimalField(_("单笔上限"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("申请上限")
        constraints = [models.UniqueConstraint(fields=["unit", "kind"], name="resources_ceiling_once")]


class ResourceRequest(models.Model):
    requester_unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="resource_requests",
                                       verbose_name=_("申请单位"))
    current_unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="resource_requests_held",
                                     verbose_name=_("当前办理单位"))
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("事项"), max_length=200)
    justification = models.TextField(_("理由"))
    task = models.ForeignKey("tasks.Task", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("服务的任务"))
    amount = models.DecimalField(_("申请数量"), max_digits=16, decimal_places=2)
    measure = models.CharField(_("单位"), max_length=10, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    priority = models.PositiveIntegerField(_("优先序"), null=True, blank=True)
    priority_reason = models.CharField(_("排序理由"), max_length=300, blank=True)
    granted_amount = models.DecimalField(_("批准数量"), max_digits=16, decimal_places=2, null=True, blank=True)
    decision_reason = models.TextField(_("决定理由"), blank=True)
    decided_unit = models.ForeignKey("orgs.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("决定单位"))
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    delivered_amount = models.DecimalField(_("已落实数量"), max_digits=16, decimal_places=2, default=0)
    created_task = models.ForeignKey("tasks.Task", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("落实任务"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("要素申请")
        verbose_name_plural = _("要素申请")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["current_unit", "status"], name="resources_held_idx")]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="resources_amount_positive")]

    def __str__(self) -> str:
        return self.title


class Step(models.Model):
    class Action(models.TextChoices):
        FILE = "file", _("提交")
        FORWARD = "forward", _("上报")
        PRIORITISE = "prioritise", _("排序")
        DECIDE = "decide", _("决定")
        ALLOCATE = "allocate", _("落实")
        TASK = "task", _("转为任务")

    request = models.ForeignKey(ResourceRequest, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("操作"), max_length=12, choices=Action.choices)
    from_unit = models.ForeignKey("orgs.Unit", null=True, on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey("orgs.Unit", null=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("说明"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]


class Allocation(models.Model):
    request = models.ForeignKey(ResourceRequest, on_delete=models.CASCADE, related_name="allocations")
    amount = models.DecimalField(_("落实数量"), max_digits=16, decimal_places=2)
    on = models.DateField(_("落实日期"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["on", "id"]

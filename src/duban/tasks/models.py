"""Sources, the task tree and everything that happens to a task.

Tasks use django-treebeard's materialised path (as orgs.Unit does): a subtree is one indexed
``path LIKE 'prefix%'`` query, and ordering by path gives the 1, 1.1, 1.1.2 numbering. Children
are appended in creation order (no ``node_order_by``), so the numbering of a decomposition is the
order the 督查室 wrote it in.

State changes are made only by duban.tasks.services; the transition table is in
duban.tasks.statemachine. Reports and evidence are append-only: a correction is a new report.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node


class Category(models.Model):
    """A work area tasks are grouped by (the demo uses the speech's nine work areas)."""

    name = models.CharField(_("名称"), max_length=50, unique=True)
    sort_order = models.IntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("任务类别")
        verbose_name_plural = _("任务类别")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class SourceKind(models.TextChoices):
    SPEECH = "speech", _("讲话")
    DOCUMENT = "document", _("文件")
    MEETING = "meeting", _("会议")
    INSTRUCTION = "instruction", _("领导批示")
    INSPECTION = "inspection", _("督查巡察发现")
    OTHER = "other", _("其他")


class Source(models.Model):
    """Where tasks come from (来源): a speech, a document, a meeting, an instruction …"""

    kind = models.CharField(_("来源类型"), max_length=16, choices=SourceKind.choices, default=SourceKind.DOCUMENT)
    title = models.CharField(_("标题"), max_length=200)
    date = models.DateField(_("日期"), null=True, blank=True)
    issuer = models.CharField(_("发文/讲话单位或人"), max_length=100, blank=True)
    doc_number = models.CharField(_("文号"), max_length=100, blank=True)
    text = models.TextField(_("全文"), blank=True)
    file = models.FileField(_("原件"), max_length=255, blank=True)
    file_name = models.CharField(_("原件文件名"), max_length=255, blank=True)
    # SHA-256 of the normalised text, or of the file when there is no text: a re-import of the
    # same document is refused instead of silently creating a second tree of tasks.
    content_hash = models.CharField(_("内容摘要"), max_length=64, blank=True, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("录入人"))
    created_at = models.DateTimeField(_("录入时间"), default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("任务来源")
        verbose_name_plural = _("任务来源")
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["content_hash"], condition=~Q(content_hash=""),
                                    name="tasks_source_content_hash_unique"),
        ]

    def __str__(self) -> str:
        return self.title


class TaskStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ASSIGNED = "assigned", _("已交办")
    ACKNOWLEDGED = "acknowledged", _("已签收")
    IN_PROGRESS = "in_progress", _("办理中")
    COMPLETION_REQUESTED = "completion_requested", _("申请办结")
    COMPLETED = "completed", _("已办结")
    CANCELLED = "cancelled", _("已中止")


CLOSED_STATUSES = (TaskStatus.COMPLETED, TaskStatus.CANCELLED)


class ReportCycle(models.TextChoices):
    NONE = "none", _("不定期")
    WEEKLY = "weekly", _("每周")
    HALF_MONTHLY = "half_monthly", _("每半月")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")


class Light(models.TextChoices):
    GREEN = "green", _("绿灯")
    YELLOW = "yellow", _("黄灯")
    RED = "red", _("红灯")
    GREY = "grey", _("灰灯")


class Task(MP_Node):
    title = models.CharField(_("任务名称"), max_length=300)
    detail = models.TextField(_("任务内容"), blank=True)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks",
                                 verbose_name=_("类别"))
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks",
                               verbose_name=_("来源"))
    lead_unit = models.ForeignKey("orgs.Unit", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="tasks_led", verbose_name=_("牵头单位"))
    co_units = models.ManyToManyField("orgs.Unit", blank=True, related_name="tasks_assisted",
                                      verbose_name=_("配合单位"))
    responsible_leader = models.ForeignKey("orgs.Person", null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="tasks_led_by", verbose_name=_("责任领导"))
    responsible_post = models.ForeignKey("orgs.Post", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="tasks", verbose_name=_("责任岗位"))
    start_date = models.DateField(_("开始日期"), null=True, blank=True)
    due_date = models.DateField(_("完成时限"), null=True, blank=True)
    original_due_date = models.DateField(_("原定时限"), null=True, blank=True)
    reporting_cycle = models.CharField(_("报送周期"), max_length=16, choices=ReportCycle.choices,
                                       default=ReportCycle.MONTHLY)
    target_number = models.DecimalField(_("目标数量"), max_digits=14, decimal_places=2, null=True, blank=True,
                                        validators=[MinValueValidator(0)])
    target_measure = models.CharField(_("量词"), max_length=10, blank=True)
    target_object = models.CharField(_("目标对象"), max_length=50, blank=True)
    status = models.CharField(_("状态"), max_length=24, choices=TaskStatus.choices, default=TaskStatus.DRAFT)
    # Kept by the services so the status light is a pure column expression (lights.py).
    next_report_due = models.DateField(_("下次报送截止"), null=True, blank=True)
    # " 推进 进文 文明 … " — the distinct character pairs of title and detail, maintained by the
    # services (search.bigrams). On PostgreSQL a trigram index on it serves one- and
    # two-character searches, which trigrams of the plain text cannot (common in Chinese).
    search_bigrams = models.TextField(blank=True, default="", db_default="", editable=False)
    completion_requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                                on_delete=models.SET_NULL, related_name="+",
                                                verbose_name=_("申请办结人"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    assigned_at = models.DateTimeField(_("交办时间"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    # The last completion request was returned (退回待办) and not yet requested again.
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    return_reason = models.TextField(_("退回理由"), blank=True, default="")
    # The task's progress: the LEAD unit's latest report (progress report or completion request),
    # kept by the services that write reports (services/reports.py, the completion request) so
    # lists read three columns instead of correlated subqueries per row. A co-unit's reports are
    # its own progress (shown under its unit on the task page) and never move these.
    latest_report = models.ForeignKey("ProgressReport", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+", db_index=False, editable=False,
                                      verbose_name=_("最新进展报告"))
    latest_percent = models.PositiveSmallIntegerField(_("完成进度(%)"), null=True, blank=True, editable=False)
    latest_report_at = models.DateTimeField(_("最近报送时间"), null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("任务")
        verbose_name_plural = _("任务")
        indexes = [
            models.Index(fields=["status", "due_date"], name="tasks_task_status_due_idx"),
            # Unit, person and post lists: equality on the owner and the status, then the due
            # date (selectors.task_list orders small-scope lists so that these are used).
            models.Index(fields=["lead_unit", "status", "due_date"], name="tasks_task_lead_status_due_idx"),
            models.Index(fields=["due_date"], name="tasks_task_due_idx"),
            models.Index(fields=["next_report_due"], name="tasks_task_report_due_idx"),
            models.Index(fields=["responsible_post", "status", "due_date"], name="tasks_task_post_status_due_idx"),
            models.Index(fields=["responsible_leader", "status", "due_date"], name="tasks_task_leader_st_due_idx"),
            models.Index(fields=["category"], name="tasks_task_category_idx"),
            models.Index(fields=["source"], name="tasks_task_source_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(due_date__isnull=True) | Q(start_date__isnull=True)
                                   | Q(due_date__gte=F("start_date")), name="tasks_task_due_after_start"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    @property
    def tree_number(self) -> str:
        """1.1.2 — each path step is a base-36 ordinal among siblings (children are appended)."""
        step = self.steplen
        return ".".join(str(int(self.path[i:i + step], 36)) for i in range(0, len(self.path), step))

    @property
    def target_display(self) -> str:
        if self.target_number is None:
            return ""
        number = self.target_number.normalize()
        number = f"{number:f}"
        return f"{number}{self.target_measure}{self.target_object}"


class Milestone(models.Model):
    """A node (节点) on the way to the due date."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("任务"))
    name = models.CharField(_("节点名称"), max_length=200)
    date = models.DateField(_("节点时间"))
    done = models.BooleanField(_("已完成"), default=False)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("节点")
        verbose_name_plural = _("节点")
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.name} {self.date}"


class ReportKind(models.TextChoices):
    PROGRESS = "progress", _("进展报送")
    COMPLETION = "completion", _("办结申请")


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("submitted reports and evidence are append-only")


class ProgressReport(models.Model):
    """A progress report (进展). Immutable once submitted; a correction is a new report that
    names the one it corrects."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="reports", verbose_name=_("任务"))
    kind = models.CharField(_("类型"), max_length=16, choices=ReportKind.choices, default=ReportKind.PROGRESS)
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("报送单位"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("报送人"))
    narrative = models.TextField(_("进展情况"))
    quantity = models.DecimalField(_("完成数量"), max_digits=14, decimal_places=2, null=True, blank=True,
                                   validators=[MinValueValidator(0)])
    percent = models.PositiveSmallIntegerField(_("完成进度(%)"), default=0,
                                               validators=[MinValueValidator(0), MaxValueValidator(100)])
    corrects = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections",
                                 verbose_name=_("更正的报告"))
    submitted_at = models.DateTimeField(_("报送时间"), default=timezone.now)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        verbose_name = _("进展报告")
        verbose_name_plural = _("进展报告")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["task", "-submitted_at", "-id"], name="tasks_report_task_latest_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(percent__gte=0) & Q(percent__lte=100), name="tasks_report_percent_range"),
        ]

    def __str__(self) -> str:
        return f"{self.task} · {self.submitted_at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        # Append-only (FU-05): a submitted report is never rewritten.
        if self.pk is not None:
            raise TypeError("submitted reports are append-only")
        super().save(*args, **kwargs)


class Evidence(models.Model):
    """A file backing a report (佐证材料). Stored under a server-generated name, with its SHA-256
    re-checked on every download."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="evidence", verbose_name=_("任务"))
    report = models.ForeignKey(ProgressReport, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="evidence", verbose_name=_("进展报告"))
    original_name = models.CharField(_("原文件名"), max_length=255)
    storage_name = models.CharField(max_length=255, unique=True)
    file_type = models.CharField(_("文件类型"), max_length=10)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("上传人"))
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    # FU-05: withdrawal is soft (the row, the file and its SHA-256 stay); a replacement is a new
    # row that names the one it replaces, so the version history is the chain of ``replaces``.
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("撤回人"))
    withdraw_reason = models.TextField(_("撤回理由"), blank=True)
    replaces = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="replacements", verbose_name=_("替换的材料"))

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("evidence is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("evidence is append-only: withdraw it (services.evidence_withdraw)")

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已同意")
    REFUSED = "refused", _("未同意")


class ExtensionRequest(models.Model):
    """A request to move a task's due date (延期申请), decided by the 督查室."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="extensions", verbose_name=_("任务"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("申请人"))
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    current_due = models.DateField(_("原完成时限"))
    requested_due = models.DateField(_("申请延至"))
    reason = models.TextField(_("延期理由"))
    status = models.CharField(_("状态"), max_length=16, choices=ExtensionStatus.choices,
                              default=ExtensionStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("审批人"))
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_reason = models.TextField(_("审批意见"), blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One open request per task: a second one would race the first on the due date.
            models.UniqueConstraint(fields=["task"], condition=Q(status="pending"),
                                    name="tasks_extension_one_pending"),
            models.CheckConstraint(condition=Q(requested_due__gt=F("current_due")),
                                   name="tasks_extension_later_due"),
        ]

    def __str__(self) -> str:
        return f"{self.task} → {self.requested_due}"


class Instruction(models.Model):
    """A leader's instruction (批示) on a task."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="instructions", verbose_name=_("任务"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("批示领导"))
    text = models.TextField(_("批示内容"))
    created_at = models.DateTimeField(_("批示时间"), default=timezone.now)
    # The lead unit's written reply, due by a date counted in working days (duban.core.workdays).
    reply_due = models.DateField(_("回复时限"), null=True, blank=True)
    reply_text = models.TextField(_("回复内容"), blank=True, default="")
    replied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("回复人"))
    replied_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    reply_late = models.BooleanField(_("逾期回复"), default=False)
    reply_files = models.ManyToManyField("Evidence", blank=True, related_name="+", verbose_name=_("回复附件"))

    class Meta:
        verbose_name = _("领导批示")
        verbose_name_plural = _("领导批示")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["reply_due"], condition=Q(replied_at__isnull=True),
                                name="tasks_instruction_awaiting_idx")]

    @property
    def awaiting_reply(self) -> bool:
        return self.reply_due is not None and self.replied_at is None

    def __str__(self) -> str:
        return self.text[:50]


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", _("新交办任务")
    RETURNED = "returned", _("办结申请被退回")
    COMPLETED = "completed", _("任务已办结")
    CANCELLED = "cancelled", _("任务已中止")
    EXTENSION_DECIDED = "extension_decided", _("延期申请已审批")
    INSTRUCTION = "instruction", _("领导批示")
    INSTRUCTION_REPLY = "instruction_reply", _("批示已回复")
    REPORT_OVERDUE = "report_overdue", _("进展报送逾期")
    INTEGRITY_FAILURE = "integrity_failure", _("佐证材料完整性校验失败")


class Notification(models.Model):
    """An in-app notice addressed to a unit; every user of that unit reads it."""

    unit = models.ForeignKey("orgs.Unit", on_delete=models.CASCADE, related_name="task_notifications",
                             verbose_name=_("接收单位"))
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications",
                             verbose_name=_("任务"))
    kind = models.CharField(_("类型"), max_length=24, choices=NotificationKind.choices)
    message = models.CharField(_("内容"), max_length=500, blank=True)
    # What makes a notice unique for idempotent jobs (e.g. the missed report due date).
    dedupe_key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["unit", "-created_at"], name="tasks_notice_unit_idx")]
        constraints = [
            models.UniqueConstraint(fields=["unit", "task", "kind", "dedupe_key"], condition=~Q(dedupe_key=""),
                                    name="tasks_notice_dedupe"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.task}"


class NotificationRead(models.Model):
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notification", "user"], name="tasks_notice_read_once")]


class TaskPolicy(models.Model):
    """Policy the 督查室 changes at run time (one row)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    yellow_days = models.PositiveSmallIntegerField(
        _("临期预警天数"), default=7, validators=[MinValueValidator(0), MaxValueValidator(365)],
        help_text=_("距完成时限不超过该天数时亮黄灯"))
    report_todo_days = models.PositiveSmallIntegerField(
        _("报送提醒天数"), default=3, validators=[MinValueValidator(0), MaxValueValidator(60)],
        help_text=_("距报送截止不超过该天数时列入待填报"))
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("督办参数")
        verbose_name_plural = _("督办参数")

    @classmethod
    def current(cls) -> TaskPolicy:
        policy = cls.objects.filter(pk=1).first()
        return policy if policy is not None else cls(pk=1)

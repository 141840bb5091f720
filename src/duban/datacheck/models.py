"""大数据监督: datasets (versioned, encrypted snapshots), rules (versioned definitions), runs, hits
and the leads (线索) the discipline office works on."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from duban.datacheck.schema import Kind


class Mapping(models.Model):
    """The column mapping last used for a dataset kind: typed field → the file's header."""

    kind = models.CharField(_("数据类型"), max_length=16, choices=Kind.choices, unique=True)
    columns = models.JSONField(default=dict)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")


class Dataset(models.Model):
    """A named registry (e.g. "2024年城乡低保发放"); its contents are the versions."""

    name = models.CharField(_("数据集名称"), max_length=100)
    kind = models.CharField(_("数据类型"), max_length=16, choices=Kind.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="datacheck_dataset_unique_name")]

    def __str__(self):
        return self.name


class VersionStatus(models.TextChoices):
    PENDING = "pending", _("待映射")
    LOADED = "loaded", _("已入库")
    REJECTED = "rejected", _("已拒收")
    PURGED = "purged", _("已销毁")


class DatasetVersion(models.Model):
    """One uploaded snapshot. Until it is mapped the encrypted upload waits in ``upload_file``;
    once loaded the typed rows live, encrypted, as Parquet in ``data_file`` and the upload is gone."""

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("版本"))
    status = models.CharField(_("状态"), max_length=10, choices=VersionStatus.choices, default=VersionStatus.PENDING)
    file_name = models.CharField(_("文件名"), max_length=200)
    file_format = models.CharField(max_length=8)  # csv / xlsx / parquet
    encoding = models.CharField(max_length=16, blank=True)
    headers = models.JSONField(default=list)
    source_sha256 = models.CharField(max_length=64)
    upload_file = models.CharField(max_length=200, blank=True)
    data_file = models.CharField(max_length=200, blank=True)
    report_file = models.CharField(max_length=200, blank=True)
    mapping = models.JSONField(default=dict)
    quarantine = models.BooleanField(_("隔离错误行"), default=True)
    row_count = models.PositiveIntegerField(_("入库行数"), default=0)
    rejected_count = models.PositiveIntegerField(_("错误行数"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)  # of the loaded Parquet snapshot
    message = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    loaded_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("保存期限"))
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["dataset", "-number"]
        constraints = [models.UniqueConstraint(fields=["dataset", "number"], name="datacheck_version_unique")]
        indexes = [models.Index(fields=["status", "expires_at"], name="datacheck_version_expiry_idx")]

    def __str__(self):
        return f"{self.dataset.name} v{self.number}"


class RuleMode(models.TextChoices):
    BUILDER = "builder", _("规则构建器")
    RAW = "raw", _("SQL(须安全管理员批准)")


class Rule(models.Model):
    name = models.CharField(_("规则名称"), max_length=100, unique=True)
    description = models.TextField(_("说明"), blank=True)
    template = models.CharField(max_length=40, blank=True)  # the library template it started from
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    current = models.ForeignKey("RuleVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Approval(models.TextChoices):
    NOT_NEEDED = "not_needed", _("无需审批")
    PENDING = "pending", _("待安全管理员审批")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("已驳回")


class RuleVersion(models.Model):
    """An immutable definition. ``definition`` is the builder's JSON (see rules.py) or, for a raw
    rule, ``{"sources": [...], "sql": "...", "key": [...]}``."""

    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("版本"))
    mode = models.CharField(max_length=8, choices=RuleMode.choices, default=RuleMode.BUILDER)
    definition = models.JSONField()
    params = models.JSONField(default=dict)  # default parameter values
    approval = models.CharField(max_length=12, choices=Approval.choices, default=Approval.NOT_NEEDED)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_note = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["rule", "-number"]
        constraints = [models.UniqueConstraint(fields=["rule", "number"], name="datacheck_rule_version_unique")]

    def __str__(self):
        return f"{self.rule.name} v{self.number}"

    @property
    def runnable(self) -> bool:
        return self.approval in (Approval.NOT_NEEDED, Approval.APPROVED)


class Run(models.Model):
    """One execution: which rule version, which dataset versions (alias → version id), which
    parameters, which engine and SQL, how many hits."""

    rule_version = models.ForeignKey(RuleVersion, on_delete=models.PROTECT, related_name="runs")
    datasets = models.JSONField(default=dict)
    dataset_versions = models.ManyToManyField(DatasetVersion, related_name="runs")
    params = models.JSONField(default=dict)
    engine = models.CharField(max_length=10, default="duckdb")
    sql = models.TextField()
    hit_count = models.PositiveIntegerField(default=0)
    lead_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]


class LeadStatus(models.TextChoices):
    OPEN = "open", _("待分派")
    ASSIGNED = "assigned", _("核实中")
    VERIFIED = "verified", _("已核实")
    DISMISSED = "dismissed", _("已排除")
    ESCALATED = "escalated", _("已移送")


class Lead(models.Model):
    """线索: what a rule found about one subject (an ID number, an account, a company…). A later
    run that finds the same subject under the same rule adds its hit here instead of raising a
    new lead."""

    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="leads")
    dedupe_key = models.CharField(max_length=64, unique=True)  # sha256(rule id, subject key)
    subject_key = models.JSONField()  # the key values (full; shown masked)
    subject_types = models.JSONField(default=list)
    summary = models.CharField(max_length=200)
    status = models.CharField(_("状态"), max_length=10, choices=LeadStatus.choices, default=LeadStatus.OPEN)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("核实人"))
    reason = models.TextField(_("结论/理由"), blank=True)
    escalated_target = models.CharField(max_length=20, blank=True)
    escalated_object_type = models.CharField(max_length=64, blank=True)  # "app_label.model"
    escalated_object_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["rule", "status"], name="datacheck_lead_rule_idx")]

    def __str__(self):
        return f"线索 {self.pk}"


class Hit(models.Model):
    """One hit of one run, with the source rows that produced it ({alias: [{field: value, _row: n}]})."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="hits")
    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="hits")
    duplicate = models.BooleanField(default=False)  # the lead already existed before this run
    rows = models.JSONField()

    class Meta:
        ordering = ["id"]

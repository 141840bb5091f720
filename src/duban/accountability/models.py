"""问责事项 (accountability cases), their stages, subjects (一岗双责), the 一案双查 twin record, the
four forms (四种形态) as the decision vocabulary, 容错纠错 applications with the three tests of
三个区分开来, appeals, per-case access grants and the 一岗双责 duty links of a unit."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from duban.accounts.models import SecurityLabel
from duban.core import integrity


class SourceKind(models.TextChoices):
    TASK = "task", _("任务逾期/亮红灯")
    PROPOSAL = "proposal", _("督办问责建议")
    CHECK = "check", _("督查发现")
    INSPECTION = "inspection", _("巡察发现")
    BIGDATA = "bigdata", _("大数据线索")
    PETITION = "petition", _("信访举报")
    REPORT = "report", _("个人反映")
    DUAL = "dual", _("一案双查")


class SubjectKind(models.TextChoices):
    PERSON = "person", _("个人")
    UNIT = "unit", _("单位")
    POST = "post", _("岗位")


class CaseKind(models.TextChoices):
    MAIN = "main", _("问责事项")
    DUAL = "dual", _("一案双查")


class Responsibility(models.TextChoices):
    PRINCIPAL = "principal", _("主体责任")
    SUPERVISORY = "supervisory", _("监督责任")


class Stage(models.TextChoices):
    INITIAL = "initial", _("初核")
    FILED = "filed", _("立案")
    NOT_FILED = "not_filed", _("不予立案")
    INVESTIGATION = "investigation", _("调查")
    TRIAL = "trial", _("审理")
    DECIDED = "decided", _("决定")
    EXECUTED = "executed", _("执行")
    APPEAL = "appeal", _("申诉")
    REVIEWED = "reviewed", _("复查")


# The order the stages run in; each stage names the stages that may follow it.
NEXT_STAGES: dict[str, tuple[str, ...]] = {
    Stage.INITIAL: (Stage.FILED, Stage.NOT_FILED),
    Stage.FILED: (Stage.INVESTIGATION,),
    Stage.INVESTIGATION: (Stage.TRIAL,),
    Stage.TRIAL: (Stage.DECIDED,),
    Stage.DECIDED: (Stage.EXECUTED, Stage.APPEAL),
    Stage.EXECUTED: (Stage.APPEAL,),
    Stage.APPEAL: (Stage.REVIEWED,),
    Stage.NOT_FILED: (),
    Stage.REVIEWED: (),
}
DECIDED_STAGES = (Stage.DECIDED, Stage.EXECUTED, Stage.APPEAL, Stage.REVIEWED)


class Measure(models.TextChoices):
    # 第一种形态
    CRITICISM = "criticism", _("批评教育")
    TALK = "talk", _("谈话提醒")
    SELF_EXAMINATION = "self_exam", _("责令检查")
    ADMONISH = "admonish", _("诫勉")
    # 第二种形态
    LIGHT_DISCIPLINE = "light_discipline", _("党纪轻处分")
    ORG_ADJUST = "org_adjust", _("组织调整")
    # 第三种形态
    HEAVY_DISCIPLINE = "heavy_discipline", _("党纪重处分")
    MAJOR_ADJUST = "major_adjust", _("重大职务调整")
    # 第四种形态
    PROSECUTION = "prosecution", _("严重违纪涉嫌违法立案审查")
    # 组织问责 (units)
    CIRCULAR = "circular", _("通报")
    RECTIFY = "rectify", _("责令整改")
    # no accountability: the duty was fulfilled, or 免责 after 容错
    NONE = "none", _("不予问责")


class Form(models.TextChoices):
    FIRST = "1", _("第一种形态")
    SECOND = "2", _("第二种形态")
    THIRD = "3", _("第三种形态")
    FOURTH = "4", _("第四种形态")
    ORG = "org", _("组织问责")
    NONE = "none", _("不予问责")


FORM_OF_MEASURE: dict[str, str] = {
    Measure.CRITICISM: Form.FIRST, Measure.TALK: Form.FIRST, Measure.SELF_EXAMINATION: Form.FIRST,
    Measure.ADMONISH: Form.FIRST,
    Measure.LIGHT_DISCIPLINE: Form.SECOND, Measure.ORG_ADJUST: Form.SECOND,
    Measure.HEAVY_DISCIPLINE: Form.THIRD, Measure.MAJOR_ADJUST: Form.THIRD,
    Measure.PROSECUTION: Form.FOURTH,
    Measure.CIRCULAR: Form.ORG, Measure.RECTIFY: Form.ORG,
    Measure.NONE: Form.NONE,
}
UNIT_MEASURES = frozenset({Measure.CIRCULAR, Measure.RECTIFY, Measure.NONE})
PERSON_MEASURES = frozenset(m for m in Measure.values if m not in {Measure.CIRCULAR, Measure.RECTIFY})


class ToleranceOutcome(models.TextChoices):
    EXEMPT = "exempt", _("免责")
    MITIGATE = "mitigate", _("从轻减轻")
    REFUSE = "refuse", _("不予容错")


class Case(integrity.Sealed, models.Model):
    """A discipline record: who, which stage, what was decided. Those fields carry a row MAC
    (DP-03, duban.core.integrity)."""

    number = models.CharField(_("编号"), max_length=32, unique=True)
    kind = models.CharField(_("类别"), max_length=8, choices=CaseKind.choices, default=CaseKind.MAIN)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="twins",
                               verbose_name=_("原问责事项"))
    responsibility = models.CharField(_("责任类型"), max_length=16, choices=Responsibility.choices, blank=True)
    title = models.CharField(_("事项名称"), max_length=200)
    source_kind = models.CharField(_("线索来源"), max_length=16, choices=SourceKind.choices)
    source_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source_label = models.CharField(_("来源说明"), max_length=300, blank=True)
    subject_kind = models.CharField(_("问责对象类型"), max_length=8, choices=SubjectKind.choices)
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="accountability_cases",
                             verbose_name=_("所在单位"))
    post = models.ForeignKey("orgs.Post", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("岗位"))
    supervising_leader = models.ForeignKey("orgs.Person", null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="+", verbose_name=_("分管领导"))
    facts = models.TextField(_("问题事实"))
    evidence = models.TextField(_("证据材料"), blank=True)
    stage = models.CharField(_("阶段"), max_length=16, choices=Stage.choices, default=Stage.INITIAL)
    opened_on = models.DateField(_("受理日期"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("受理人"))
    # the decision
    measure = models.CharField(_("问责方式"), max_length=20, choices=Measure.choices, blank=True)
    form = models.CharField(_("形态"), max_length=8, choices=Form.choices, blank=True)
    decision_text = models.TextField(_("决定内容"), blank=True)
    basis = models.TextField(_("依据"), blank=True)
    decided_on = models.DateField(_("决定日期"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("决定人"))
    appeal_days = models.PositiveSmallIntegerField(_("申诉期限(日)"), default=30)
    tolerance = models.CharField(_("容错结果"), max_length=8, choices=ToleranceOutcome.choices, blank=True)
    cleared = models.BooleanField(_("已澄清正名"), default=False)
    cleared_text = models.TextField(_("澄清正名说明"), blank=True)
    cleared_on = models.DateField(_("澄清日期"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)
    # AC-11: 一般 / 敏感 / 核心 (accounts.SecurityLabel); only the 安全管理员 relabels, audited.
    security_label = models.CharField(_("密级"), max_length=12, choices=SecurityLabel.choices,
                                      default=SecurityLabel.GENERAL)
    row_mac = integrity.mac_field()

    integrity_fields = ("number", "kind", "parent", "title", "subject_kind", "unit", "post", "facts", "stage",
                        "opened_on", "measure", "form", "decision_text", "basis", "decided_on", "decided_by",
                        "appeal_days", "tolerance", "cleared", "cleared_text", "cleared_on")

    class Meta:
        verbose_name = _("问责事项")
        verbose_name_plural = _("问责事项")
        ordering = ["-opened_on", "-id"]
        indexes = [models.Index(fields=["unit", "decided_on"], name="acc_case_unit_decided_idx")]
        constraints = [
            # 一案双查: a case has at most one twin
            models.UniqueConstraint(fields=["parent"], condition=Q(kind="dual"), name="acc_case_one_twin"),
            models.UniqueConstraint(fields=["source_type", "source_id"],
                                    condition=Q(kind="main") & Q(source_type__isnull=False),
                                    name="acc_case_one_per_source"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_decided(self) -> bool:
        return self.stage in DECIDED_STAGES

    @property
    def next_stages(self) -> tuple[str, ...]:
        return NEXT_STAGES.get(self.stage, ())

    @property
    def counts_against(self) -> bool:
        """Whether the decision counts in the evaluation (decided, a real measure, not cleared, not 免责)."""
        return (self.is_decided and self.measure not in ("", Measure.NONE) and not self.cleared
                and self.tolerance != ToleranceOutcome.EXEMPT)


class SubjectRole(models.TextChoices):
    PRINCIPAL = "principal", _("问责对象")
    BUSINESS = "business", _("业务责任人")
    PARTY = "party", _("党建责任人")
    SUPERVISOR = "supervisor", _("分管领导")


class CaseSubject(integrity.Sealed, models.Model):
    """A person or unit a case is against; a post's case names both the business and the
    party-building responsible people (一岗双责)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="subjects", verbose_name=_("问责事项"))
    role = models.CharField(_("身份"), max_length=12, choices=SubjectRole.choices, default=SubjectRole.PRINCIPAL)
    person = models.ForeignKey("orgs.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("人员"))
    unit = models.ForeignKey("orgs.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("单位"))
    row_mac = integrity.mac_field()

    integrity_fields = ("case", "role", "person", "unit")

    class Meta:
        verbose_name = _("问责对象")
        verbose_name_plural = _("问责对象")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(person__isnull=False) | Q(unit__isnull=False),
                                              name="acc_subject_person_or_unit")]

    def __str__(self) -> str:
        return str(self.person or self.unit)


class StageEntry(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="stage_entries", verbose_name=_("问责事项"))
    stage = models.CharField(_("阶段"), max_length=16, choices=Stage.choices)
    on = models.DateField(_("日期"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("决定人"))
    note = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]


class DutyLink(models.Model):
    """一岗双责 of a unit: who carries its party-building responsibility and which leader
    supervises it (the second record of 一案双查 goes to that leader)."""

    unit = models.OneToOneField("orgs.Unit", on_delete=models.CASCADE, related_name="duty_link",
                                verbose_name=_("单位"))
    party_person = models.ForeignKey("orgs.Person", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("党建责任人"))
    supervising_leader = models.ForeignKey("orgs.Person", null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="+", verbose_name=_("分管领导"))
    responsibility = models.CharField(_("分管领导责任类型"), max_length=16, choices=Responsibility.choices,
                                      default=Responsibility.SUPERVISORY)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("一岗双责")
        verbose_name_plural = _("一岗双责")


class CaseGrant(models.Model):
    """The discipline role lets one more user read one case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="grants", verbose_name=_("问责事项"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("授权用户"))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="acc_grant_unique")]


class Verdict(models.TextChoices):
    YES = "yes", _("符合")
    NO = "no", _("不符合")


class ToleranceApplication(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="tolerance_applications",
                             verbose_name=_("问责事项"))
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("申请人"))
    reason = models.TextField(_("申请理由"))
    evidence = models.TextField(_("证明材料"))
    applied_at = models.DateTimeField(default=timezone.now)
    # 三个区分开来, each answered on its own
    test_experience = models.CharField(_("因缺乏经验、先行先试出现的失误,而非明知故犯"), max_length=4,
                                       choices=Verdict.choices, blank=True)
    test_experience_note = models.TextField(blank=True)
    test_trial = models.CharField(_("尚无明确限制的探索性试验中的失误,而非明令禁止后依然我行我素"), max_length=4,
                                  choices=Verdict.choices, blank=True)
    test_trial_note = models.TextField(blank=True)
    test_public = models.CharField(_("为推动发展的无意过失,而非为谋取私利的违纪违法"), max_length=4,
                                   choices=Verdict.choices, blank=True)
    test_public_note = models.TextField(blank=True)
    # the usual conditions
    cond_procedure = models.CharField(_("经过集体决策等规定程序"), max_length=4, choices=Verdict.choices, blank=True)
    cond_no_gain = models.CharField(_("未谋取私利"), max_length=4, choices=Verdict.choices, blank=True)
    cond_remedied = models.CharField(_("积极挽回损失、消除影响"), max_length=4, choices=Verdict.choices, blank=True)
    outcome = models.CharField(_("容错结果"), max_length=8, choices=ToleranceOutcome.choices, blank=True)
    outcome_reasons = models.TextField(_("认定理由"), blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("审核人"))
    reviewed_on = models.DateField(_("审核日期"), null=True, blank=True)

    TESTS = ("test_experience", "test_trial", "test_public")
    CONDITIONS = ("cond_procedure", "cond_no_gain", "cond_remedied")

    class Meta:
        verbose_name = _("容错申请")
        verbose_name_plural = _("容错申请")
        ordering = ["-applied_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["case"], condition=Q(outcome=""),
                                               name="acc_tolerance_one_pending")]


class AppealOutcome(models.TextChoices):
    UPHELD = "upheld", _("维持原决定")
    CHANGED = "changed", _("变更决定")
    REVOKED = "revoked", _("撤销决定")


class Appeal(models.Model):
    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="appeal", verbose_name=_("问责事项"))
    appellant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("申诉人"))
    reason = models.TextField(_("申诉理由"))
    filed_on = models.DateField(_("申诉日期"))
    outcome = models.CharField(_("复查结论"), max_length=8, choices=AppealOutcome.choices, blank=True)
    outcome_note = models.TextField(_("复查意见"), blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    reviewed_on = models.DateField(_("复查日期"), null=True, blank=True)

"""The organisation: units in a tree, their people, posts with A/B/C holders, leading groups.

Units use django-treebeard's materialised path (MP_Node): a subtree is one indexed
``path LIKE 'prefix%'`` query on both SQLite and PostgreSQL, which is also how every
permission scope is applied (duban.core.permissions).
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node


class UnitKind(models.TextChoices):
    PARTY = "party", _("党的机关")
    GOVERNMENT = "government", _("政府部门")
    TOWNSHIP = "township", _("乡镇/办事处")
    VILLAGE = "village", _("村/社区")
    MASS_ORG = "mass_org", _("群团组织")
    ENTERPRISE = "enterprise", _("企业")
    OTHER = "other", _("其他")


class Unit(MP_Node):
    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=50, blank=True)
    kind = models.CharField(_("类型"), max_length=16, choices=UnitKind.choices, default=UnitKind.OTHER)
    code = models.CharField(_("编码"), max_length=32, unique=True, null=True, blank=True,
                            help_text=_("字母或数字,如 SJW"))
    sort_order = models.IntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(default=1)

    # No node_order_by: children are appended, so a unit's path never changes when a sibling is
    # added (sorted inserts rewrite the paths of whole subtrees, and every permission scope is a
    # path prefix). Pages sort siblings by sort_order and name in their queries.

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        constraints = [models.UniqueConstraint(fields=["name"], name="orgs_unit_name_unique")]

    def __str__(self) -> str:
        return self.name


class UnitAlias(models.Model):
    """Another name a text may use for a unit (市纪委 = 市纪委监委)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="aliases", verbose_name=_("单位"))
    name = models.CharField(_("别名"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("单位别名")
        verbose_name_plural = _("单位别名")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    name = models.CharField(_("姓名"), max_length=50)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="people", verbose_name=_("单位"))
    title = models.CharField(_("职务"), max_length=100, blank=True)
    phone = models.CharField(_("手机"), max_length=20, blank=True)
    is_active = models.BooleanField(_("在职"), default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ["unit__path", "name"]
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="orgs_person_unit_name_unique")]

    def __str__(self) -> str:
        return self.name


class AbsenceKind(models.TextChoices):
    LEAVE = "leave", _("请假")
    TRAINING = "training", _("培训学习")
    TRIP = "trip", _("出差")
    OTHER = "other", _("其他")


class Absence(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="absences", verbose_name=_("人员"))
    kind = models.CharField(_("类型"), max_length=16, choices=AbsenceKind.choices, default=AbsenceKind.LEAVE)
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("外出/请假")
        verbose_name_plural = _("外出/请假")
        ordering = ["-start"]
        indexes = [models.Index(fields=["person", "start", "end"], name="orgs_absence_span_idx")]
        constraints = [models.CheckConstraint(condition=Q(end__gte=F("start")), name="orgs_absence_end_after_start")]

    def __str__(self) -> str:
        return f"{self.person} {self.get_kind_display()} {self.start}–{self.end}"


class Post(models.Model):
    """A post (岗位) with its A holder and the B and C backups who step in, in order (ABC角制度)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="posts", verbose_name=_("单位"))
    title = models.CharField(_("岗位名称"), max_length=100)
    duties = models.TextField(_("岗位职责"), blank=True)
    a_holder = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="posts_as_a", verbose_name=_("A角"))
    b_holder = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="posts_as_b", verbose_name=_("B角"))
    c_holder = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="posts_as_c", verbose_name=_("C角"))
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")
        ordering = ["unit__path", "title"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "title"], name="orgs_post_unit_title_unique"),
            models.CheckConstraint(condition=~Q(b_holder=F("a_holder")), name="orgs_post_b_not_a"),
            models.CheckConstraint(condition=~Q(c_holder=F("a_holder")) & ~Q(c_holder=F("b_holder")),
                                   name="orgs_post_c_not_a_or_b"),
        ]

    def __str__(self) -> str:
        return f"{self.unit.name} · {self.title}"

    def holders(self):
        """(letter, person) in stepping-in order."""
        return [(letter, p) for letter, p in (("A", self.a_holder), ("B", self.b_holder), ("C", self.c_holder)) if p]


class LeadingGroup(models.Model):
    """A leading group (领导小组): leader, deputies, office unit, members and duties."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    leader = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="groups_led", verbose_name=_("组长"))
    deputies = models.ManyToManyField(Person, blank=True, related_name="groups_deputy", verbose_name=_("副组长"))
    office_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="group_offices", verbose_name=_("办公室设在"))
    duties = models.TextField(_("职责"), blank=True)
    established = models.DateField(_("成立日期"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("领导小组")
        verbose_name_plural = _("领导小组")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LeadingGroupMember(models.Model):
    group = models.ForeignKey(LeadingGroup, on_delete=models.CASCADE, related_name="members", verbose_name=_("领导小组"))
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("成员"))
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE, verbose_name=_("成员单位"))
    note = models.CharField(_("备注"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("领导小组成员")
        verbose_name_plural = _("领导小组成员")
        constraints = [
            models.CheckConstraint(
                condition=(Q(person__isnull=False) & Q(unit__isnull=True)) | (Q(person__isnull=True) & Q(unit__isnull=False)),
                name="orgs_member_person_xor_unit",
            ),
        ]

    def __str__(self) -> str:
        return str(self.person or self.unit)

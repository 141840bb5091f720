"""Petition events (信访事项) and stability risks, petitioners (ID numbers: personal data, shown
masked in lists and every view audited), the office's sensitive-period calendar, configurable
warning rules and the warnings they raise (blue < yellow < orange < red)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from duban.core import crypto


class Channel(models.TextChoices):
    VISIT = "visit", _("走访")
    LETTER = "letter", _("来信")
    PHONE = "phone", _("电话")
    ONLINE = "online", _("网上信访")


class Status(models.TextChoices):
    REGISTERED = "registered", _("已登记待受理")
    ACCEPTED = "accepted", _("已受理办理中")
    CLOSED = "closed", _("已办结")
    REVIEW = "review", _("复查中")
    FINISHED = "finished", _("已终结")


OPEN_STATES = (Status.REGISTERED, Status.ACCEPTED, Status.REVIEW)


class Level(models.TextChoices):
    BLUE = "blue", _("蓝色")
    YELLOW = "yellow", _("黄色")
    ORANGE = "orange", _("橙色")
    RED = "red", _("红色")


LEVEL_ORDER = {Level.BLUE: 1, Level.YELLOW: 2, Level.ORANGE: 3, Level.RED: 4}


class RuleKey(models.TextChoices):
    GROUP = "group", _("集体访人数")
    REPEAT_PERSON = "repeat_person", _("同一人重复信访")
    REPEAT_MATTER = "repeat_matter", _("同地同事项重复信访")
    SENSITIVE = "sensitive", _("敏感期信访")
    DEADLINE_SOON = "deadline_soon", _("办理期限临近")
    OVERDUE = "overdue", _("办理超期")


class Petition(models.Model):
    received_on = models.DateField(_("登记日期"))
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    place = models.CharField(_("地点"), max_length=100)
    matter_type = models.CharField(_("事项类别"), max_length=40, help_text=_("如 征地拆迁、劳资纠纷"))
    matter = models.TextField(_("信访事项"))
    people_count = models.PositiveIntegerField(_("人数"), default=1)
    responsible_unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="petitions",
                                         verbose_name=_("责任单位"))
    is_stability_risk = models.BooleanField(_("维稳风险"), default=False)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.REGISTERED)
    accept_deadline = models.DateField(_("受理期限"))
    accepted_on = models.DateField(_("受理日期"), null=True, blank=True)
    handle_deadline = models.DateField(_("办理期限"), null=True, blank=True)
    closed_on = models.DateField(_("办结日期"), null=True, blank=True)
    review_requested_on = models.DateField(_("申请复查日期"), null=True, blank=True)
    review_deadline = models.DateField(_("复查期限"), null=True, blank=True)
    outcome = models.TextField(_("处理意见"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("信访事项")
        verbose_name_plural = _("信访事项")
        ordering = ["-received_on", "-id"]
        indexes = [models.Index(fields=["place", "matter_type", "received_on"], name="petitions_place_matter_idx")]
        constraints = [models.CheckConstraint(condition=Q(accept_deadline__gte=F("received_on")),
                                              name="petitions_accept_after_receipt")]

    def __str__(self) -> str:
        return f"{self.received_on:%Y-%m-%d} {self.place} {self.matter_type}"

    def next_deadline(self):
        if self.status == Status.REGISTERED:
            return "accept", self.accept_deadline
        if self.status == Status.ACCEPTED and self.handle_deadline:
            return "handle", self.handle_deadline
        if self.status == Status.REVIEW and self.review_deadline:
            return "review", self.review_deadline
        return None, None


ID_INDEX_PURPOSE = "petitions.petitioner.id_number"


def _field_aad(row_key, field: str) -> str:
    """Associated data binding a ciphertext to its table, row and column (DP-02)."""
    return f"petitions.petitioner:{row_key}:{field}"


class Petitioner(models.Model):
    """ID and phone numbers are stored SM4-GCM encrypted through duban.core.crypto (DP-02), keys
    outside the database; the ID number is found by its keyed hash ``id_number_index`` (blind
    index). ``id_number`` and ``phone`` read and write the plaintext; ``duban rotate-keys``
    re-encrypts under the current key."""

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="petitioners")
    name = models.CharField(_("姓名"), max_length=40)
    # A random row identity used as associated data (the pk is not known before the insert).
    row_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    id_number_enc = models.BinaryField(_("身份证号(密文)"), default=b"")
    id_number_index = models.CharField(max_length=64, db_index=True, default="")
    phone_enc = models.BinaryField(_("电话(密文)"), default=b"", blank=True)

    class Meta:
        verbose_name = _("信访人")
        ordering = ["id"]

    def _read(self, field: str) -> str:
        blob = bytes(getattr(self, field + "_enc") or b"")
        if not blob:
            return ""
        return crypto.decrypt(blob, _field_aad(self.row_key, field)).decode()

    def _write(self, field: str, value: str) -> None:
        value = (value or "").strip()
        blob = crypto.encrypt(value.encode(), _field_aad(self.row_key, field)) if value else b""
        setattr(self, field + "_enc", blob)

    @property
    def id_number(self) -> str:
        return self._read("id_number")

    @id_number.setter
    def id_number(self, value: str) -> None:
        self._write("id_number", value)
        self.id_number_index = crypto.blind_index(value, ID_INDEX_PURPOSE) if value else ""

    @property
    def phone(self) -> str:
        return self._read("phone")

    @phone.setter
    def phone(self, value: str) -> None:
        self._write("phone", value)

    # What `duban rotate-keys` re-encrypts: the logical fields and the columns it rewrites.
    crypto_fields = ("id_number", "phone")
    crypto_columns = ("id_number_enc", "id_number_index", "phone_enc")

    def reencrypt(self) -> None:
        """Re-encrypt under the provider's current key and recompute the blind index."""
        number, phone = self.id_number, self.phone
        self.id_number = number
        self.phone = phone


class SensitivePeriod(models.Model):
    name = models.CharField(_("名称"), max_length=60)
    start = models.DateField(_("开始"))
    end = models.DateField(_("结束"))

    class Meta:
        verbose_name = _("敏感期")
        ordering = ["start"]
        constraints = [models.CheckConstraint(condition=Q(end__gte=F("start")), name="petitions_period_ordered")]

    def __str__(self) -> str:
        return self.name


class WarningRule(models.Model):
    """One row per rule key; ``threshold`` and ``window_days`` mean what the key says (people, prior
    petitions, days before a deadline)."""

    key = models.CharField(_("规则"), max_length=16, choices=RuleKey.choices, unique=True)
    enabled = models.BooleanField(_("启用"), default=True)
    level = models.CharField(_("预警等级"), max_length=8, choices=Level.choices)
    threshold = models.PositiveIntegerField(_("阈值"), default=1)
    window_days = models.PositiveIntegerField(_("期间(天)"), default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("预警规则")
        ordering = ["key"]


class Warning(models.Model):
    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="warnings")
    rule = models.CharField(_("规则"), max_length=16, choices=RuleKey.choices)
    stage = models.CharField(_("环节"), max_length=8, blank=True, default="")  # accept/handle/review for deadlines
    level = models.CharField(_("等级"), max_length=8, choices=Level.choices)
    reason = models.CharField(_("原因"), max_length=300)
    raised_on = models.DateField(_("预警日期"))
    notices = models.PositiveIntegerField(_("通知数"), default=0)

    class Meta:
        verbose_name = _("预警")
        ordering = ["-raised_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["petition", "rule", "stage"], name="petitions_warning_once")]

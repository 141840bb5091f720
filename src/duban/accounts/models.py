import hashlib
import secrets
from binascii import unhexlify
from datetime import timedelta

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from duban.core import crypto, integrity
from duban.core.roles import Role


class SecurityLabel(models.TextChoices):
    """Security labels of sensitive records and the clearances of users (AC-11), lowest first: a
    record labelled above a user's clearance answers 404 to that user, even in the user's unit."""

    GENERAL = "general", _("一般")
    SENSITIVE = "sensitive", _("敏感")
    CORE = "core", _("核心")


LABEL_ORDER = [SecurityLabel.GENERAL, SecurityLabel.SENSITIVE, SecurityLabel.CORE]


def labels_within(clearance: str) -> list[str]:
    """The labels a user of ``clearance`` may read (an unknown clearance reads only 一般)."""
    rank = LABEL_ORDER.index(clearance) if clearance in LABEL_ORDER else 0
    return [str(label) for label in LABEL_ORDER[:rank + 1]]


class DubanUserManager(UserManager):
    def get_by_natural_key(self, username):
        # Usernames are unique regardless of case (IA-01): Zhang and zhang are one account.
        return self.get(username__iexact=username)


class User(integrity.Sealed, AbstractUser):
    """One role per account. The role grant (username, role, unit) carries a row MAC (DP-03,
    duban.core.integrity): a role written into the database directly is flagged."""

    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, blank=True)
    unit = models.ForeignKey("orgs.Unit", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="users", verbose_name=_("所属单位"))
    person = models.OneToOneField("orgs.Person", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="user", verbose_name=_("对应人员"))
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)
    must_change_password = models.BooleanField(_("须修改密码"), default=False)
    # An initial or admin-set password is one-time and expires (IA-04): past this moment it no
    # longer signs in, and the system administrator sets a new one.
    one_time_password_until = models.DateTimeField(_("临时密码有效期至"), null=True, blank=True)
    failed_login_count = models.PositiveIntegerField(default=0)
    first_failed_login_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    # AC-11: the highest security label this account may read; only the 安全管理员 sets it.
    clearance = models.CharField(_("密级权限"), max_length=12, choices=SecurityLabel.choices,
                                 default=SecurityLabel.GENERAL)
    row_mac = integrity.mac_field()

    integrity_fields = ("username", "role", "unit")

    objects = DubanUserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique")]

    def __str__(self) -> str:
        return f"{self.get_full_name() or self.username}"

    def get_full_name(self) -> str:
        # Chinese names: family name first, no space.
        return f"{self.last_name}{self.first_name}".strip()

    @property
    def is_locked(self) -> bool:
        return bool(self.locked_until and self.locked_until > timezone.now())

    @property
    def password_expired(self) -> bool:
        """Older than the maximum password age (IA-03; 0 days turns rotation off)."""
        from django.conf import settings

        days = getattr(settings, "DUBAN_PASSWORD_MAX_AGE_DAYS", 90)
        if not days or self.password_changed_at is None:
            return False
        return self.password_changed_at + timedelta(days=days) <= timezone.now()

    @property
    def acting_person(self):
        return self.person


class PasswordHistory(models.Model):
    """Hashes of an account's recent passwords, newest first, so a change cannot go back to one
    of them (IA-03). Only hashes are kept, made by the same hasher as the live password."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("历史密码")
        ordering = ["-created_at", "-id"]


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; it expires like a session."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("接口令牌")

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def new_key() -> str:
        return secrets.token_urlsafe(32)


class RecoveryCode(models.Model):
    """One of the ten one-time recovery codes shown once at enrolment of the second factor
    (IA-10). Only a SHA-256 of the code (salted with the account id) is kept; a code that was
    used keeps its row with ``used_at`` set and never works again."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("恢复码")
        constraints = [models.UniqueConstraint(fields=["user", "code_hash"], name="accounts_recovery_code_unique")]

    @staticmethod
    def hash_code(user_id: int, code: str) -> str:
        normalised = "".join(ch for ch in code.lower() if ch.isalnum())
        return hashlib.sha256(f"{user_id}:{normalised}".encode()).hexdigest()


def _totp_aad(user_id) -> str:
    """Associated data binding a TOTP secret to its account (a ciphertext copied to another
    account's device does not decrypt)."""
    return f"accounts.encryptedtotpdevice:{user_id}:key"


class EncryptedTOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """The authenticator of an account (IA-10), with its TOTP secret SM4-GCM encrypted through
    duban.core.crypto (keys outside the database; ``duban rotate-keys`` re-encrypts it).

    django-otp's own TOTPDevice keeps the secret as plain hex in ``otp_totp_totpdevice.key``, and
    its column is too short for a ciphertext with a key id, so this model has the same fields with
    ``key_enc`` instead and reuses TOTPDevice's algorithm as is (``verify_token``, throttling, the
    ``otpauth://`` URL all read the secret through ``bin_key``). Migration accounts 0006 moved the
    existing devices here, encrypted, with their ids (sessions verified with them stay valid)."""

    key_enc = models.BinaryField(default=b"")
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(choices=[(6, 6), (8, 8)], default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):
        verbose_name = _("两步验证设备")

    @property
    def key(self) -> str:
        """The secret as hex (what django-otp's TOTPDevice.key holds)."""
        blob = bytes(self.key_enc or b"")
        return crypto.decrypt(blob, _totp_aad(self.user_id)).decode() if blob else ""

    @key.setter
    def key(self, value: str) -> None:
        self.key_enc = crypto.encrypt(value.encode(), _totp_aad(self.user_id))

    @property
    def bin_key(self) -> bytes:
        return unhexlify(self.key.encode())

    def save(self, *args, **kwargs):
        if not self.key_enc:
            self.key = random_hex(20)
        super().save(*args, **kwargs)

    # django-otp's TOTP behaviour, unchanged: it reads the secret only through bin_key.
    verify_token = TOTPDevice.verify_token
    get_throttle_factor = TOTPDevice.get_throttle_factor
    config_url = TOTPDevice.config_url
    _read_str_from_settings = TOTPDevice._read_str_from_settings

    # What `duban rotate-keys` re-encrypts.
    crypto_fields = ("key",)
    crypto_columns = ("key_enc",)

    def reencrypt(self) -> None:
        self.key = self.key

"""System checks that keep production honest (AC-01, AC-04, IA-01)."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError

KNOWN_DEFAULT_PASSWORDS = ("admin", "123456", "password", "Duban@2024", "Admin@123", "admin123")
FORBIDDEN_USERNAMES = ("admin", "root", "sa", "test", "系统管理员", "administrator")


@register(Tags.security, deploy=True)
def check_accounts(app_configs=None, **kwargs):
    if not settings.PRODUCTION:
        return []
    from duban.accounts.models import User

    errors = []
    try:
        active = User.objects.filter(is_active=True)
        if active.filter(is_superuser=True).exists():
            errors.append(Error("An active is_superuser account exists; duban runs without superusers (AC-04).",
                                id="duban.E001"))
        for name in FORBIDDEN_USERNAMES:
            if active.filter(username__iexact=name).exists():
                errors.append(Error(f"A default-named account '{name}' exists (AC-01).", id="duban.E002"))
        for user in active.only("username", "password"):
            if not user.has_usable_password():
                errors.append(Error(f"Active account '{user.username}' has no usable password (IA-01).",
                                    id="duban.E003"))
            elif any(user.check_password(pw) for pw in KNOWN_DEFAULT_PASSWORDS):
                errors.append(Error(f"Account '{user.username}' uses a known default password (AC-01).",
                                    id="duban.E004"))
    except DatabaseError:
        return []  # not migrated yet
    return errors

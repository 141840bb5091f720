"""System checks that keep production honest (AC-01, AC-04, IA-01).

They run with ``duban check --deploy`` (and therefore in the deployment checklist) and only
under production settings: a development database full of demo accounts is not an incident."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError
from django.db.models import Q

from duban.accounts.models import User
from duban.accounts.services import RESERVED_USERNAMES
from duban.core.roles import ADMIN_ROLES

# Passwords that installers, vendors' manuals and scanners use. The password policy already
# refuses all of them for every account created through duban; this list catches accounts
# written by other means (a restored foreign dump, raw SQL, Django's own createsuperuser).
KNOWN_DEFAULT_PASSWORDS = ("admin", "123456", "12345678", "password", "Passw0rd", "P@ssw0rd", "Duban@2024",
                           "Admin@123", "admin123", "Aa123456", "root", "1qaz@WSX", "Abc@1234")


def privileged(users):
    """The accounts that matter most: the administrators and anything with Django's staff or
    superuser flags."""
    return users.filter(Q(role__in=ADMIN_ROLES) | Q(is_superuser=True) | Q(is_staff=True))


def privileged_with_password(passwords, *, id: str, why: str) -> list[Error]:
    """An error for every active privileged account whose password is one of ``passwords``.
    Hashing every password against the list costs one Argon2 run per pair, so only the
    privileged accounts are tried. Other apps reuse it (duban.demo.checks: the demo password)."""
    return [Error(f"Account '{user.username}' uses {why}.", id=id)
            for user in privileged(User.objects.filter(is_active=True)).only("username", "password")
            if user.has_usable_password() and any(user.check_password(pw) for pw in passwords)]


@register(Tags.security, deploy=True)
def check_accounts(app_configs=None, **kwargs):
    if not settings.PRODUCTION:
        return []
    errors = []
    try:
        active = User.objects.filter(is_active=True)
        for user in active.filter(is_superuser=True).only("username"):
            errors.append(Error(f"Active account '{user.username}' is a Django superuser; duban runs without "
                                "superusers (AC-04).", hint="Set is_superuser=False or disable the account.",
                                id="duban.E001"))
        for user in active.only("username"):
            if user.username.lower() in RESERVED_USERNAMES:
                errors.append(Error(f"A default-named account '{user.username}' exists (AC-01).",
                                    hint="Create personal administrators with `duban createadmin`.",
                                    id="duban.E002"))
        for user in active.only("username", "password"):
            if not user.has_usable_password():
                errors.append(Error(f"Active account '{user.username}' has no usable password (IA-01).",
                                    id="duban.E003"))
        errors += privileged_with_password(KNOWN_DEFAULT_PASSWORDS, id="duban.E004",
                                           why="a known default password (AC-01)")
    except DatabaseError:
        return []  # not migrated yet
    return errors

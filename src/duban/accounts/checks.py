"""System checks that keep production honest (AC-01, AC-04, IA-01).

They run with ``duban check --deploy`` (and therefore in the deployment checklist) and only
under production settings: a development database full of demo accounts is not an incident."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError

# Passwords that installers, vendors' manuals and scanners use. The password policy already
# refuses all of them for every account created through duban; this list catches accounts
# written by other means (a restored foreign dump, raw SQL, Django's own createsuperuser).
KNOWN_DEFAULT_PASSWORDS = ("admin", "123456", "12345678", "password", "Passw0rd", "P@ssw0rd", "Duban@2024",
                           "Admin@123", "admin123", "Aa123456", "root", "1qaz@WSX", "Abc@1234")


def known_passwords() -> tuple[str, ...]:
    """Published passwords: the usual defaults and the demo's (docs/demo.md), so a development
    database with demo accounts that ends up in production is flagged."""
    from duban.demo.accounts import DEMO_PASSWORD

    return (*KNOWN_DEFAULT_PASSWORDS, DEMO_PASSWORD)


def _privileged(users):
    from django.db.models import Q

    from duban.core.roles import ADMIN_ROLES

    return users.filter(Q(role__in=ADMIN_ROLES) | Q(is_superuser=True) | Q(is_staff=True))


@register(Tags.security, deploy=True)
def check_accounts(app_configs=None, **kwargs):
    if not settings.PRODUCTION:
        return []
    from duban.accounts.models import User
    from duban.accounts.services import RESERVED_USERNAMES

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
        # Hashing every password against the list costs one Argon2 run per pair, so only the
        # accounts that matter most are tried: the administrators and anything with Django's
        # staff or superuser flags.
        for user in _privileged(active).only("username", "password"):
            if user.has_usable_password() and any(user.check_password(pw) for pw in known_passwords()):
                errors.append(Error(f"Account '{user.username}' uses a known default password (AC-01).",
                                    id="duban.E004"))
    except DatabaseError:
        return []  # not migrated yet
    return errors

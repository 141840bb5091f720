"""Reads for account administration. Accounts are not unit-scoped data: only the system and
security administrators (both organisation-wide) reach these, through require_perm."""

from django.utils import timezone

from duban.accounts.models import User
from duban.core.prepared import PreparedQuery


def users_for_admin(filter_form=None):
    qs = User.objects.select_related("unit", "person").order_by("username")
    if filter_form is not None:
        qs = filter_form.filter(qs, now=timezone.now())
    return qs


def user_for_admin(pk) -> User:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(User.objects.select_related("unit", "person"), pk=pk)


# --- who is asking: read on every request ---------------------------------------------------------
_USER_BY_PK = PreparedQuery(lambda pk: User.objects.select_related("unit", "person").filter(pk=pk), -(2**62) + 7)


def _token_by_hash(marker):
    from duban.accounts.models import ApiToken

    return ApiToken.objects.select_related("user", "user__unit", "user__person").filter(key_hash=marker)


_TOKEN_BY_HASH = PreparedQuery(_token_by_hash, "\x00duban-token-hash-marker")


def user_with_unit_and_person(pk) -> User | None:
    """``User.objects.select_related("unit", "person").filter(pk=pk).first()``, prepared."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return _USER_BY_PK.get(pk)


def api_token_with_user(key_hash: str):
    """The ApiToken with this hash, its user, unit and person joined (the same query as
    ``ApiToken.objects.select_related(...).filter(key_hash=…)``), prepared; or None."""
    return _TOKEN_BY_HASH.get(key_hash)

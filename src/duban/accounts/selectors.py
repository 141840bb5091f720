"""Reads for account administration. Accounts are not unit-scoped data: only the system and
security administrators (both organisation-wide) reach these, through require_perm."""

from django.utils import timezone

from duban.accounts.models import User


def users_for_admin(filter_form=None):
    qs = User.objects.select_related("unit", "person").order_by("username")
    if filter_form is not None:
        qs = filter_form.filter(qs, now=timezone.now())
    return qs


def user_for_admin(pk) -> User:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(User.objects.select_related("unit", "person"), pk=pk)

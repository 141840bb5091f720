"""Personal data on accounts (DP-05; docs/data-inventory.md): the account holder's name and e-mail
address. The e-mail address is masked on the account pages; the 系统管理员 sees it in full through
查看完整信息 (one ``pii_viewed`` row). A user's phone number is the person's (``orgs.person.phone``)."""

from django.urls import reverse

from duban.core import permissions, pii


def _account(user, pk):
    from duban.accounts import selectors

    if not permissions.can(user, permissions.ACCOUNTS_MANAGE):
        return None
    return selectors.user_for_admin(pk)


pii.register("accounts.user", "first_name", kind=pii.NAME)
pii.register("accounts.user", "last_name", kind=pii.NAME)
pii.register("accounts.user", "email", kind=pii.EMAIL, reveal=permissions.ACCOUNTS_MANAGE, getter=_account,
             back=lambda u: reverse("accounts:user_detail", args=[u.pk]))

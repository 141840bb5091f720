"""Personal data in the directory (DP-05; docs/data-inventory.md). Names are shown to whoever may
see the person; phone numbers are masked everywhere (lists, the page, the workbook, the API) and
shown in full only to the directory's editors, through 查看完整信息 (one ``pii_viewed`` row)."""

from django.urls import reverse

from duban.core import permissions, pii


def _person(user, pk):
    from duban.orgs import selectors

    return selectors.person_get_for_user(user, pk)


pii.register("orgs.person", "name", kind=pii.NAME)
pii.register("orgs.person", "phone", kind=pii.PHONE, reveal=permissions.DIRECTORY_EDIT, getter=_person,
             back=lambda p: reverse("orgs:person_detail", args=[p.pk]))

"""Personal data of petitioners (DP-05; docs/data-inventory.md). ID and phone numbers are stored
encrypted (DP-02: the ciphertext columns and the blind index are what the declaration covers),
masked in every list and for every unit, and shown in full only to the 信访办 (petitions.manage) on
the petition's page or through 查看完整信息 — each showing one ``pii_viewed`` row."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from duban.core import permissions, pii


def _petitioner(user, pk):
    from duban.petitions import selectors
    from duban.petitions.models import Petitioner

    qs = Petitioner.objects.filter(petition__in=selectors.petitions_for_user(user)).select_related("petition")
    return permissions.resolve_scoped(user, qs, None, pk)


def _back(petitioner):
    return reverse("petitions:detail", args=[petitioner.petition_id])


pii.register("petitions.petitioner", "name", kind=pii.NAME)
pii.register("petitions.petitioner", "id_number", kind=pii.ID_NUMBER, columns=("id_number_enc", "id_number_index"),
             reveal=permissions.PETITIONS_MANAGE, getter=_petitioner, label=_("身份证号"), back=_back)
pii.register("petitions.petitioner", "phone", kind=pii.PHONE, columns=("phone_enc",),
             reveal=permissions.PETITIONS_MANAGE, getter=_petitioner, label=_("电话"), back=_back)

"""`duban verify-integrity`: check the row MACs of scores, rankings, discipline records and role
grants (DP-03, duban.core.integrity). Lists every row whose MAC does not match and exits with
status 1 if there is one; the scan is one ledger entry (``integrity_verified``, or
``integrity_failure`` listing the rows, which raises the integrity alert).

  duban verify-integrity                      scan every sealed table
  duban verify-integrity --accept LABEL:PK    after reviewing a flagged row and finding its
                                              current values right, seal it again (audited as
                                              ``integrity_accepted``); e.g. accounts.user:12
"""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from duban.core import integrity, ledger
from duban.core.models import Outcome


class Command(BaseCommand):
    help = "Verify the row MACs of scores, rankings, discipline records and role grants (DP-03)."

    def add_arguments(self, parser):
        parser.add_argument("--accept", metavar="LABEL:PK", action="append", default=[],
                            help="seal a reviewed row again (app_label.model:pk)")

    def _accept(self, spec: str) -> None:
        label, _sep, pk = spec.partition(":")
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            raise CommandError(f"unknown model {label!r}") from None
        if model not in integrity.sealed_models():
            raise CommandError(f"{label} carries no row MAC")
        if not pk.isdigit():
            raise CommandError(f"bad primary key {pk!r}")
        with transaction.atomic():
            obj = model._base_manager.select_for_update().filter(pk=int(pk)).first()
            if obj is None:
                raise CommandError(f"{label}:{pk} does not exist")
            if integrity.verify(obj):
                self.stdout.write(f"{label}:{pk} already verifies")
                return
            model._base_manager.filter(pk=obj.pk).update(row_mac=integrity.compute(obj))
            ledger.append(event="integrity_accepted", object_type=model._meta.label_lower, object_id=str(obj.pk),
                          object_repr=f"{model._meta.label_lower} #{obj.pk}",
                          data={"values": integrity.canonical(obj).decode()})
        self.stdout.write(self.style.WARNING(f"{label}:{pk} sealed again with its current values"))

    def handle(self, *args, accept=(), **options):
        for spec in accept:
            self._accept(spec)
        if accept:
            return
        bad: list[str] = []
        counts = {}
        for model in integrity.sealed_models():
            label = model._meta.label_lower
            rows = list(integrity.mismatches(model))
            counts[label] = model._base_manager.count()
            for pk, reason in rows:
                self.stdout.write(f"{label}:{pk} {reason}")
                bad.append(f"{label}:{pk}")
            self.stdout.write(f"{label}: {counts[label]} rows, {len(rows)} failing")
        with transaction.atomic():
            if bad:
                ledger.append(event="integrity_failure", outcome=Outcome.FAILURE, object_type="integrity",
                              object_id="scan", object_repr="verify-integrity",
                              data={"kind": "row_mac_scan", "failing": len(bad), "rows": bad[:200]})
            else:
                ledger.append(event="integrity_verified", object_type="integrity", object_id="scan",
                              object_repr="verify-integrity", data={"rows": counts})
        if bad:
            self.stderr.write(self.style.ERROR(f"{len(bad)} rows fail their integrity check"))
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS("every row verifies"))

"""回头看: once a day, each closed rectification whose follow-up date has come gets its 回头看
(with a notice to the unit and the inspection office)."""

from datetime import timedelta

from duban.core.jobs import periodic
from duban.inspections import services


@periodic("inspections.followups", timedelta(hours=24))
def schedule_followups() -> None:
    services.followups_schedule(actor=None)

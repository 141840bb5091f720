"""The outbox worker job: deliver what is due (see duban.notices.delivery)."""

from datetime import timedelta

from duban.core.jobs import periodic
from duban.notices import conf


@periodic("deliver_notices", timedelta(seconds=15))
def deliver_notices() -> None:
    from duban.notices.delivery import deliver_due

    deliver_due(max_seconds=conf.pass_seconds())

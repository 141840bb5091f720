"""The supervision scan as a periodic job (run by `duban worker`, see duban.core.jobs).

Hourly: the scan is idempotent and cheap when there is nothing new, so running it often only
means a day change (or a worker that was down) is caught up within the hour.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from duban.core.jobs import periodic
from duban.supervision.scan import scan

log = logging.getLogger("duban.supervision.jobs")


@periodic("supervision.scan", timedelta(hours=1))
def supervision_scan() -> None:
    result = scan()
    if result.uncovered_years:
        log.warning("working days of %s counted as Monday–Friday only (no official calendar)", result.uncovered_years)
    log.info("supervision scan %s: %s, %s notices", result.today, result.counts, result.notices)

"""The hourly behind-target pass (notices only; tasks wait for the 督查室), run by `duban worker`."""

from __future__ import annotations

import logging
from datetime import timedelta

from duban.core.jobs import periodic

log = logging.getLogger("duban.indicators.jobs")


@periodic("indicators.behind_scan", timedelta(hours=1))
def indicators_behind_scan() -> None:
    from duban.indicators.services import indicators_flag_behind

    log.info("indicators behind target: %s new alerts", len(indicators_flag_behind(actor=None)))

"""The daily warning pass (deadline rules), run by `duban worker` (duban.core.jobs)."""

from __future__ import annotations

import logging
from datetime import timedelta

from duban.core.jobs import periodic

log = logging.getLogger("duban.petitions.jobs")


@periodic("petitions.warnings_scan", timedelta(hours=1))
def petitions_warnings_scan() -> None:
    from duban.petitions.services import warnings_scan

    log.info("petition warnings raised: %s", warnings_scan())

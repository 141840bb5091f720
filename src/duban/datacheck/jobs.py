"""The retention purge: dataset versions past their expiry are destroyed once a day."""

from datetime import timedelta

from duban.core.jobs import periodic
from duban.datacheck import services


@periodic("datacheck_retention_purge", timedelta(days=1))
def retention_purge():
    return services.purge_expired()

"""Periodic jobs of duban.ops (run by `duban worker`)."""

from datetime import timedelta

from django.conf import settings

from duban.core import audit_archive
from duban.core.jobs import periodic


@periodic("audit_archive", timedelta(days=1))
def archive_old_audit_entries():
    """AU-06: archive and purge the entries older than DUBAN_AUDIT_RETENTION_MONTHS (on when
    DUBAN_AUDIT_PURGE is, the default in production). Each run that purges writes audit_purged."""
    if not settings.DUBAN_AUDIT_PURGE:
        return
    while audit_archive.archive_and_purge().purged:
        pass

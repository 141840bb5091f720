"""The demo's own production check: its accounts share one published password (docs/demo.md), so
a development database with demo accounts that ends up in production is an error (AC-01)."""

from django.conf import settings
from django.core.checks import Tags, register
from django.db import DatabaseError

from duban.accounts.checks import privileged_with_password
from duban.demo.accounts import DEMO_PASSWORD


@register(Tags.security, deploy=True)
def check_demo_password(app_configs=None, **kwargs):
    if not settings.PRODUCTION:
        return []
    try:
        return privileged_with_password((DEMO_PASSWORD,), id="duban.E004",
                                        why="the demo password published in docs/demo.md (AC-01)")
    except DatabaseError:
        return []  # not migrated yet

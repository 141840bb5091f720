"""Helpers shared by the directory page tests (tests/orgs/test_views_*.py)."""

from duban.core.models import AuditEntry

# Cast members who may see directory pages (duban.core.permissions: DIRECTORY_VIEW).
DIRECTORY_ROLES = ["supervisor", "leader", "discipline", "bajiao_liaison", "bajiao_admin", "sysadmin",
                   "village_liaison", "baiguo_liaison"]


def entries(event):
    return AuditEntry.objects.filter(event=event).count()


def page(response):
    return response.content.decode()

"""What every task page shares: the permissions, the status badges, the scoped task lookup,
attachments, the upload size limit and the acting-holder notes."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse
from django.utils.translation import gettext as _

from duban.core import permissions
from duban.orgs import selectors as org_selectors
from duban.tasks import selectors
from duban.tasks.models import TaskStatus

VIEW = permissions.TASKS_VIEW
MANAGE = permissions.TASKS_MANAGE
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

STATUS_BADGES = {
    TaskStatus.DRAFT: "text-bg-light border",
    TaskStatus.ASSIGNED: "text-bg-info",
    TaskStatus.ACKNOWLEDGED: "text-bg-primary",
    TaskStatus.IN_PROGRESS: "text-bg-primary",
    TaskStatus.COMPLETION_REQUESTED: "text-bg-warning",
    TaskStatus.COMPLETED: "text-bg-success",
    TaskStatus.CANCELLED: "text-bg-secondary",
}


# --- helpers ---------------------------------------------------------------------------------
def _task(request, pk):
    return selectors.task_get_for_user(request.user, pk)


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _attachment(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    # RFC 6266: the user's (Chinese) name only in the encoded form, never raw in a header.
    response["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote(filename, safe="")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def _acting_notes(user, tasks) -> dict[int, str]:
    """"代A角张三办理" for the tasks this user handles as the backup of the responsible post."""
    person_id = getattr(user, "person_id", None)
    if person_id is None or not any(t.responsible_post_id for t in tasks):
        return {}
    posts = selectors.posts_for_rows(tasks)  # one query for the page (lists do not join posts)
    acting = org_selectors.acting_holders(posts.values())
    notes = {}
    for task in tasks:
        who = acting.get(task.responsible_post_id)
        if who is not None and who.is_backup and who.person is not None and who.person.pk == person_id:
            notes[task.pk] = _("代A角%(name)s办理") % {"name": posts[task.responsible_post_id].a_holder.name}
    return notes

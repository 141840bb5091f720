"""What every task page shares: the permissions, the status badges, the scoped task lookup,
attachments, the upload size limit and the acting-holder notes."""

from __future__ import annotations

from functools import wraps
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from duban.core import permissions
from duban.orgs import selectors as org_selectors
from duban.tasks import evidence as evidence_files
from duban.tasks import selectors
from duban.tasks.forms import (
    too_large,
)
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


class _SizeLimitHandler(FileUploadHandler):
    """Drops an uploaded file as soon as it passes the limit, so an oversized file never lands on
    disk in full (FU-02); the view answers 413 with the file named next to its input."""

    def __init__(self, request=None, limit: int = 0):
        super().__init__(request)
        self.limit = limit
        self.refused: list[str] = []

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self._counted = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            if not self._counted:
                self.refused.append(evidence_files.safe_display_name(self.file_name))
                self._counted = True
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size):
        return None

    def message(self) -> str:
        return _("文件“%(name)s”超过 %(mb)s MB 的上限。") % {
            "name": "、".join(self.refused), "mb": round(self.limit / 1024 / 1024, 1)}


def limited_uploads(limit_setting: str):
    """Install the size limit before anything reads the body. CSRF middleware would read it
    first, so the view is exempted there and protected here, after the handler is in place
    (Django's documented way to change upload handlers in a view)."""

    def decorator(view):
        protected = csrf_protect(view)

        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST":
                handler = _SizeLimitHandler(request, getattr(settings, limit_setting))
                request.upload_handlers.insert(0, handler)
                request.upload_limit = handler
            return protected(request, *args, **kwargs)

        return wrapper

    return decorator


def _oversized(request, form, field: str) -> bool:
    """Put the size refusal on ``field`` if a file was dropped for being too large."""
    handler = getattr(request, "upload_limit", None)
    if handler is None or not handler.refused:
        return False
    form.errors.pop(field, None)
    form.add_error(field if field in form.fields else None, ValidationError(handler.message(), code="too_large"))
    return True


def _status_for(form, default: int = 400) -> int:
    return 413 if too_large(form) else default


def _acting_notes(user, tasks) -> dict[int, str]:
    """"代A角张三办理" for the tasks this user handles as the backup of the responsible post."""
    person_id = getattr(user, "person_id", None)
    posts = {t.responsible_post_id: t.responsible_post for t in tasks if t.responsible_post_id}
    if person_id is None or not posts:
        return {}
    acting = org_selectors.acting_holders(posts.values())
    notes = {}
    for task in tasks:
        who = acting.get(task.responsible_post_id)
        if who is not None and who.is_backup and who.person is not None and who.person.pk == person_id:
            notes[task.pk] = _("代A角%(name)s办理") % {"name": task.responsible_post.a_holder.name}
    return notes

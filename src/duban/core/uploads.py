"""The upload size limit, written once (FU-02).

Django streams an upload through ``request.upload_handlers`` before any view code runs, so a size
check in the view would come after the whole file is on disk. ``SizeLimitHandler`` goes first: it
passes chunks on while a file is within the limit and swallows the rest, removes the partial
temporary file the next handler started, and puts a zero-byte ``OversizeUpload`` in
``request.FILES`` whose ``size`` is what was received. Every later size check (evidence, Excel
import, intake) therefore refuses it as too large even if a view forgot to ask, and nothing past
the limit ever reaches memory or disk.

Two ways in:

- Globally: ``settings.FILE_UPLOAD_HANDLERS`` starts with ``duban.core.uploads.SizeLimitHandler``,
  limited by ``DUBAN_MAX_UPLOAD_BYTES`` (the largest limit). The API runs under it; an endpoint
  with a smaller limit calls :func:`check_size` on its file, which raises the field-keyed
  ``ValidationError`` (code ``too_large``) the API error handler answers with 413.
- Per view: ``@limited_uploads("DUBAN_MAX_IMPORT_BYTES")`` installs the handler with that setting's
  limit before anything reads the body, and keeps the view CSRF-protected. The view then asks
  :func:`refusal` (or :func:`apply_refusal` with its form) and answers 413.

Usage in a view::

    @limited_uploads("DUBAN_MAX_IMPORT_BYTES")
    @require_POST
    @require_perm(permissions.TASKS_MANAGE)
    def task_import(request):
        form = ImportForm(request.POST, request.FILES)
        if uploads.apply_refusal(request, form, "file") or not form.is_valid():
            return render(..., status=uploads.status_for(form))
"""

from __future__ import annotations

import errno
import io
from functools import wraps

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

DEFAULT_SETTING = "DUBAN_MAX_UPLOAD_BYTES"
TOO_LARGE = "too_large"  # the ValidationError code every size refusal carries; HTTP 413


class OversizeUpload(UploadedFile):
    """Stands in for a file that was refused while it was being received: no content, and the
    ``size`` that was received (always more than the limit)."""

    def __init__(self, name: str, size: int, content_type: str | None):
        super().__init__(io.BytesIO(b""), name=name, content_type=content_type, size=size)


def display_name(name: str | None) -> str:
    """The user's file name, for messages only: no path, no control characters."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?')
    return name.strip()[:200] or "file"


def megabytes(limit: int) -> str:
    return f"{limit / 1024 / 1024:g}"


def too_large_message(name: str | None, limit: int) -> str:
    return _("文件“%(name)s”超过 %(mb)s MB 的上限。") % {"name": display_name(name), "mb": megabytes(limit)}


class SizeLimitHandler(FileUploadHandler):
    """First upload handler: at most ``limit`` bytes of any one file go further down the chain."""

    def __init__(self, request=None, limit: int | None = None):
        super().__init__(request)
        self._limit = limit
        self.refused: list[str] = []  # display names of the files refused in this request

    @property
    def limit(self) -> int:
        return self._limit if self._limit is not None else getattr(settings, DEFAULT_SETTING)

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0
        self.oversize = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.oversize = True
            return None  # later handlers get nothing more
        return raw_data

    def file_complete(self, file_size):
        if not self.oversize:
            return None  # the next handler builds the file as usual
        for handler in getattr(self.request, "upload_handlers", None) or []:
            if handler is not self:
                handler.upload_interrupted()  # deletes the partial temporary file
        self.refused.append(display_name(self.file_name))
        return OversizeUpload(self.file_name, self.received, self.content_type)

    def message(self) -> str:
        return too_large_message("、".join(self.refused), self.limit)


def install(request, limit: int) -> SizeLimitHandler:
    """Put a handler with ``limit`` first on this request (replacing the global one). Must run
    before anything reads ``request.POST`` / ``request.FILES``."""
    handler = SizeLimitHandler(request, limit)
    request.upload_limit = handler
    if hasattr(request, "_files"):
        # Already parsed by a middleware (InputCharactersMiddleware reads urlencoded forms):
        # such a body carries no files, so there is nothing to limit.
        return handler
    others = [h for h in request.upload_handlers if not isinstance(h, SizeLimitHandler)]
    request.upload_handlers = [handler, *others]
    return handler


def limited_uploads(setting_name: str = DEFAULT_SETTING):
    """View decorator: the size limit from ``settings.<setting_name>`` is in place before the body
    is read, and the view stays CSRF-protected. The CSRF middleware would read the body first, so
    the view is exempted there and checked here, after the handler is installed (Django's
    documented way to change upload handlers in a view). Put it outermost."""

    def decorator(view):
        protected = csrf_protect(view)

        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in ("POST", "PUT", "PATCH"):
                install(request, getattr(settings, setting_name))
            return protected(request, *args, **kwargs)

        return csrf_exempt(wrapper)

    return decorator


def refusal(request) -> ValidationError | None:
    """The ``too_large`` error for the files this request's limit refused, or None."""
    handler = getattr(request, "upload_limit", None)
    if handler is None:
        handler = next((h for h in getattr(request, "_upload_handlers", None) or []
                        if isinstance(h, SizeLimitHandler)), None)
    if handler is None or not handler.refused:
        return None
    return ValidationError(handler.message(), code=TOO_LARGE)


def apply_refusal(request, form, field: str) -> bool:
    """Put the size refusal on ``field`` of a bound form (replacing what the form said about that
    field). True when a file was refused; the caller answers 413."""
    error = refusal(request)
    if error is None:
        return False
    form.errors.pop(field, None)  # runs the form's own validation, then drops what it said here
    form.add_error(field if field in form.fields else None, error)
    return True


def is_too_large(error: ValidationError) -> bool:
    """True when any message of ``error`` (flat or field-keyed) is a size refusal."""
    if hasattr(error, "error_dict"):
        return any(e.code == TOO_LARGE for errors in error.error_dict.values() for e in errors)
    return any(e.code == TOO_LARGE for e in error.error_list)


def status_for(form, default: int = 400) -> int:
    """413 when a form carries a size refusal, ``default`` otherwise."""
    codes = (getattr(e, "code", None) for errors in form.errors.as_data().values() for e in errors)
    return 413 if TOO_LARGE in codes else default


def check_size(upload, *, setting_name: str = DEFAULT_SETTING, field: str = "file") -> None:
    """For the API and services: refuse ``upload`` if it is larger than ``settings.<setting_name>``
    (an ``OversizeUpload`` always is) with a field-keyed ``too_large`` ValidationError (→ 413)."""
    limit = getattr(settings, setting_name)
    if upload is not None and (isinstance(upload, OversizeUpload) or (upload.size or 0) > limit):
        raise ValidationError({field: ValidationError(too_large_message(upload.name, limit), code=TOO_LARGE)})


# --- temporary files left by a killed process --------------------------------------------------
# Django streams an upload over FILE_UPLOAD_MAX_MEMORY_SIZE into FILE_UPLOAD_TEMP_DIR and deletes
# it when the request ends; a process killed mid-upload (kill -9, OOM) leaves it behind. The
# worker removes them when it starts and every hour (job ``remove_stale_upload_files``).
STALE_AFTER_SECONDS = 3600


def upload_temp_dir():
    from pathlib import Path

    return Path(settings.FILE_UPLOAD_TEMP_DIR) if settings.FILE_UPLOAD_TEMP_DIR else None


def remove_stale_temporary_files(older_than: int | None = None) -> list[str]:
    """Delete upload temporary files (``*.upload*``) not written to for ``older_than`` seconds
    (default an hour: an upload still arriving keeps touching its file). Returns their names."""
    import time

    directory = upload_temp_dir()
    if directory is None or not directory.is_dir():
        return []
    limit = time.time() - (STALE_AFTER_SECONDS if older_than is None else older_than)
    removed = []
    for path in directory.glob("*.upload*"):
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
                removed.append(path.name)
        except FileNotFoundError:  # finished (and deleted) meanwhile
            continue
    return removed


# --- a full disk (F4) -------------------------------------------------------------------------
# Django's FileSystemStorage writes a file chunk by chunk and, when the disk fills up (ENOSPC, or
# EDQUOT over a quota), raises OSError with the part already written left on disk. Uploads save
# through ``save_whole``: the part is removed and ``StorageFull`` raised, which
# core.middleware answers with a clear 507 (JSON under /api/, the error page otherwise) instead
# of the generic 500. Services store files before their database writes, so nothing is committed.
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


class StorageFull(Exception):
    """The file store has no room for an upload; nothing of it was kept."""


def storage_full_message() -> str:
    return _("存储空间已满,文件未能保存,本次提交未生效。请稍后重试,或联系系统管理员清理存储空间。")


def save_whole(name: str, content) -> str:
    """``default_storage.save(name, content)``, or StorageFull with no part of the file left."""
    from django.core.files.storage import default_storage

    try:
        return default_storage.save(name, content)
    except OSError as exc:
        if exc.errno not in DISK_FULL_ERRNOS:
            raise
        try:
            default_storage.delete(name)  # the part written before the disk filled up
        except OSError:  # pragma: no cover - nothing there, or the store is gone; the scrub lists leftovers
            pass
        raise StorageFull(name) from exc


def storage_full_response(request):
    from django.http import JsonResponse
    from django.shortcuts import render

    message = storage_full_message()
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": "storage_full"}, status=507,
                            json_dumps_params={"ensure_ascii": False})
    return render(request, "core/error.html", {"code": 507, "title": _("存储空间不足"), "message": message},
                  status=507)

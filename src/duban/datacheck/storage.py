"""Encrypted blobs through Django's storage API (the default storage: files or S3).

A blob written inside ``removed_on_error()`` (the services wrap every write of a dataset's files
with it, outside their transaction) is deleted again when the block raises, so a rolled-back
upload or load leaves no orphan file. A file orphaned in another way (an outer transaction rolled
back after the service returned, a crash between the write and the commit) is removed by
``sweep_orphans`` in the daily retention job."""

from __future__ import annotations

import contextvars
import functools
import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from duban.datacheck import crypto

PREFIX = "datacheck"
_written: contextvars.ContextVar[list | None] = contextvars.ContextVar("datacheck_written", default=None)


def write(data: bytes, *, purpose: str) -> str:
    name = default_storage.save(f"{PREFIX}/{uuid.uuid4().hex}.bin", ContentFile(crypto.encrypt(data, purpose)))
    tracked = _written.get()
    if tracked is not None:
        tracked.append(name)
    return name


def read_blob(name: str) -> bytes:
    with default_storage.open(name, "rb") as fh:
        return fh.read()


def read(name: str, *, purpose: str) -> bytes:
    return crypto.decrypt(read_blob(name), purpose)


def delete(name: str) -> None:
    if name and default_storage.exists(name):
        default_storage.delete(name)


@contextmanager
def removed_on_error():
    """Every blob written in the block is deleted if the block raises."""
    written: list[str] = []
    token = _written.set(written)
    try:
        yield written
    except BaseException:
        for name in written:
            try:
                delete(name)
            except OSError:  # pragma: no cover - the sweep gets it later
                pass
        raise
    finally:
        _written.reset(token)


def files_removed_on_error(func):
    """Decorator (put it above ``@transaction.atomic``): the blobs the call wrote are deleted
    when it raises, i.e. when its transaction rolled back."""
    @functools.wraps(func)
    def inner(*args, **kwargs):
        with removed_on_error():
            return func(*args, **kwargs)
    return inner


def sweep_orphans(referenced: set[str], *, older_than: timedelta = timedelta(hours=6)) -> list[str]:
    """Delete the blobs under PREFIX that no row refers to and that are older than ``older_than``
    (so a write whose transaction is still open is left alone)."""
    try:
        _dirs, files = default_storage.listdir(PREFIX)
    except (FileNotFoundError, NotImplementedError):
        return []
    cutoff = timezone.now() - older_than
    removed = []
    for f in files:
        name = f"{PREFIX}/{f}"
        if name in referenced:
            continue
        try:
            if default_storage.get_modified_time(name) > cutoff:
                continue
        except (NotImplementedError, OSError):
            continue
        delete(name)
        removed.append(name)
    return removed

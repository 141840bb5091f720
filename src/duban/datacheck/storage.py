"""Encrypted blobs through Django's storage API (the default storage: files or S3)."""

from __future__ import annotations

import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from duban.datacheck import crypto

PREFIX = "datacheck"


def write(data: bytes, *, purpose: str) -> str:
    name = f"{PREFIX}/{uuid.uuid4().hex}.bin"
    return default_storage.save(name, ContentFile(crypto.encrypt(data, purpose)))


def read(name: str, *, purpose: str) -> bytes:
    with default_storage.open(name, "rb") as fh:
        return crypto.decrypt(fh.read(), purpose)


def delete(name: str) -> None:
    if name and default_storage.exists(name):
        default_storage.delete(name)

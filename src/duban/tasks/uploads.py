"""Stop reading an upload once it passes DUBAN_MAX_UPLOAD_BYTES (FU-02).

Django writes a large upload to a temporary file before any view runs, so a size check in the
view comes after the whole file is on disk. This handler goes first in FILE_UPLOAD_HANDLERS:
it passes chunks on while the file is within the limit and swallows the rest, removes the
partial temporary file the next handler started, and hands the view a zero-byte
``OversizeUpload`` whose ``size`` is what was received, which evidence.check_upload refuses as
too large (the API answers 413).
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class OversizeUpload(UploadedFile):
    """Stands in for a file that was refused while it was being received."""

    def __init__(self, name: str, size: int, content_type: str | None):
        super().__init__(io.BytesIO(b""), name=name, content_type=content_type, size=size)


class LimitedUploadHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0
        self.oversize = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.DUBAN_MAX_UPLOAD_BYTES:
            self.oversize = True
            return None  # later handlers get nothing more: at most the limit ever reaches disk
        return raw_data

    def file_complete(self, file_size):
        if not self.oversize:
            return None  # let the next handler build the file as usual
        for handler in getattr(self.request, "upload_handlers", []):
            if handler is not self:
                handler.upload_interrupted()  # deletes the partial temporary file
        return OversizeUpload(self.file_name, self.received, self.content_type)

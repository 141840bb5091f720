"""Limits on an uploaded workbook, and what an import reports: the refusal of a whole file
(ImportRejected), a bad row (Issue), the counts of a committed import (ImportResult)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings

from duban.orgs.excel.layout import DATA_SHEETS


def max_import_bytes() -> int:
    return settings.DUBAN_MAX_IMPORT_BYTES


def max_import_rows() -> int:
    return getattr(settings, "DUBAN_MAX_IMPORT_ROWS", 5000)


def max_uncompressed_bytes() -> int:
    # Spreadsheet XML compresses about 10:1; twenty times the upload limit leaves room for that
    # and still stops a bomb long before it costs real memory.
    return getattr(settings, "DUBAN_MAX_IMPORT_UNCOMPRESSED_BYTES", 20 * max_import_bytes())


MAX_ARCHIVE_MEMBERS = 1000
MAX_COLUMNS_READ = 30


class ImportRejected(Exception):
    """The file as a whole cannot be read; ``status`` is the HTTP status a view should answer."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass
class Issue:
    sheet: str
    row: int
    message: str
    column: str = ""

    MAX_MESSAGE = 300

    def __post_init__(self):
        # Messages quote cell values; a hostile 30 000-character cell must not flood the report.
        if len(self.message) > self.MAX_MESSAGE:
            self.message = self.message[: self.MAX_MESSAGE] + "…"


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


@dataclass
class ImportResult:
    ok: bool
    issues: list[Issue] = field(default_factory=list)
    counts: dict[str, Counts] = field(default_factory=lambda: {s: Counts() for s in DATA_SHEETS})
    rows: dict[str, int] = field(default_factory=dict)



def issues_by_sheet(issues: list[Issue]) -> dict[str, list[Issue]]:
    grouped: dict[str, list[Issue]] = defaultdict(list)
    for issue in issues:
        grouped[issue.sheet].append(issue)
    return dict(grouped)

"""The directory (units, people, posts) as an Excel workbook: layout, reading, checking, writing.

This package only turns bytes into checked rows and rows into bytes; it never writes to the
database. The import and the export themselves, with their ledger entries, are services:
``duban.orgs.services.directory_import`` / ``directory_export``.

Modules, in the order a file passes through them:

* ``layout``     sheet names, columns, formula guard, unit kind labels (a data contract: always
                 the Chinese ones, whatever the user's language, so that a file exported from an
                 English session re-imports anywhere; error messages shown to users are translated)
* ``limits``     size and row limits, ImportRejected, Issue, Counts, ImportResult
* ``reading``    the upload's bytes, archive inspection (before openpyxl sees it), sheet rows
* ``validation`` every row checked against the file and the database as they will be after the
                 import; one bad row means a report of every bad row and nothing written
* ``writing``    the template and an export workbook
"""

from duban.orgs.excel.layout import (
    ALIAS_SEPARATOR,
    COLUMNS,
    DATA_SHEETS,
    FORMULA_TRIGGERS,
    HOLDER_UNIT_SEPARATOR,
    NO,
    PERSON_COLUMNS,
    POST_COLUMNS,
    QUOTE,
    SHEET_HELP,
    SHEET_PEOPLE,
    SHEET_POSTS,
    SHEET_UNITS,
    UNIT_COLUMNS,
    VALIDATION_ROWS,
    YES,
    Column,
    kind_labels,
    neutralise,
    unneutralise,
)
from duban.orgs.excel.limits import (
    MAX_ARCHIVE_MEMBERS,
    MAX_COLUMNS_READ,
    Counts,
    ImportRejected,
    ImportResult,
    Issue,
    issues_by_sheet,
    max_import_bytes,
    max_import_rows,
    max_uncompressed_bytes,
)
from duban.orgs.excel.reading import Row, check_archive, read_bytes, read_workbook, too_large_message
from duban.orgs.excel.validation import PersonPlan, PostPlan, UnitPlan, Validator
from duban.orgs.excel.writing import HELP_INTRO, build_template, build_workbook

__all__ = [
    "ALIAS_SEPARATOR", "COLUMNS", "DATA_SHEETS", "FORMULA_TRIGGERS", "HELP_INTRO", "HOLDER_UNIT_SEPARATOR",
    "MAX_ARCHIVE_MEMBERS", "MAX_COLUMNS_READ", "NO", "PERSON_COLUMNS", "POST_COLUMNS", "QUOTE", "SHEET_HELP",
    "SHEET_PEOPLE", "SHEET_POSTS", "SHEET_UNITS", "UNIT_COLUMNS", "VALIDATION_ROWS", "YES", "Column", "Counts",
    "ImportRejected", "ImportResult", "Issue", "PersonPlan", "PostPlan", "Row", "UnitPlan", "Validator",
    "build_template", "build_workbook", "check_archive", "issues_by_sheet", "kind_labels", "max_import_bytes",
    "max_import_rows", "max_uncompressed_bytes", "neutralise", "read_bytes", "read_workbook", "too_large_message",
    "unneutralise",
]

"""Exports of the responsibility list (台账)."""

from __future__ import annotations

from duban.core import ledger
from duban.tasks import excel
from duban.tasks.models import TaskStatus


# --- exports ----------------------------------------------------------------------------------
def tasks_export(*, actor, queryset, title=None, include_drafts: bool = False) -> bytes:
    """The 台账 (the filtered responsibility list) as .xlsx, recorded in the ledger with its row
    count (AU-01): who took which part of the list out of the system, and when. Drafts (草稿,
    not yet handed over) stay out unless asked for."""
    if not include_drafts:
        queryset = queryset.exclude(status=TaskStatus.DRAFT)
    rows = queryset.count()
    data = excel.export_tasks(queryset, title=title)
    ledger.append(event="tasks_exported", actor=actor, object_type="tasks.export",
                  data={"rows": rows, "drafts": include_drafts})
    return data

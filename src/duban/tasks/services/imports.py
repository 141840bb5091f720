"""Import of a task list (.xlsx): the file format is parsed by duban.tasks.excel, the tasks are
created here through task_create, all or nothing."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from duban.core import permissions
from duban.tasks import excel
from duban.tasks.models import Source, Task
from duban.tasks.services._common import _require
from duban.tasks.services.tree import task_create


def tasks_import(*, actor, file, source: Source | None = None, parent: Task | None = None) -> list[Task]:
    """Create the tasks of an .xlsx list as drafts (under ``parent`` if given). All or nothing:
    a ValidationError lists every bad row ("第 N 行:…") and nothing is created. Each task is one
    ``task_create`` ledger entry."""
    _require(actor, permissions.TASKS_MANAGE)
    parsed = excel.parse_import(file, parent=parent)
    created: dict[str, Task] = {}
    errors: list[str] = []
    with transaction.atomic():
        for item in parsed:
            parent_number = item.number.rsplit(".", 1)[0] if "." in item.number else None
            if parent_number and parent_number not in created:
                continue  # its parent failed and is reported; the child cannot be placed
            node_parent = created[parent_number] if parent_number else parent
            values = {k: v for k, v in item.values.items() if v not in (None, "") or k in ("detail",)}
            if source is not None:
                values["source"] = source
            try:
                created[item.number] = task_create(actor=actor, parent=node_parent, co_units=item.co_units,
                                                   **values)
            except ValidationError as exc:
                errors.append(_("第 %(row)s 行:%(reasons)s。") % {"row": item.row, "reasons": ";".join(exc.messages)})
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise ValidationError(errors[:500])
    return list(created.values())

"""Every change to sources and tasks goes through these functions: validated, atomic, ledgered.

Rules (docs/architecture.md): keyword-only, one transaction each, ValidationError /
PermissionDenied with Chinese messages and nothing changed on refusal, and exactly one ledger
entry per change appended as the last statement of the transaction. Task rows are written with
``save_versioned`` so a stale edit or transition is refused (ConcurrentEditError), never lost.
State transitions are applied from the table in duban.tasks.statemachine and nowhere else.

The package is split along its nouns; every public name is re-exported here, so callers keep
``from duban.tasks import services`` and ``services.task_create(...)``. Shared helpers (the
permission check, the row lock, text cleaning, ``_notify``) live in ``_common`` only.
"""

from duban.tasks.services._common import TASK_FIELDS
from duban.tasks.services.categories import category_create, policy_update
from duban.tasks.services.evidence import (
    evidence_check_change,
    evidence_may_change,
    evidence_replace,
    evidence_withdraw,
)
from duban.tasks.services.exports import tasks_export
from duban.tasks.services.extensions import extension_decide, extension_request
from duban.tasks.services.imports import tasks_import
from duban.tasks.services.instructions import (
    instruction_add,
    instruction_reply,
    milestone_set_done,
    notification_mark_read,
)
from duban.tasks.services.overdue import task_report_overdue
from duban.tasks.services.reports import TaskHidden, evidence_integrity_failure, evidence_open, report_submit
from duban.tasks.services.sources import source_create
from duban.tasks.services.transitions import (
    task_acknowledge,
    task_approve,
    task_assign,
    task_assign_subtree,
    task_cancel,
    task_reopen,
    task_request_completion,
    task_return,
    task_start,
    task_transition,
)
from duban.tasks.services.tree import task_create, task_decompose, task_move, task_update

__all__ = [
    "TASK_FIELDS",
    "TaskHidden",
    "category_create",
    "evidence_check_change",
    "evidence_integrity_failure",
    "evidence_may_change",
    "evidence_open",
    "evidence_replace",
    "evidence_withdraw",
    "extension_decide",
    "extension_request",
    "instruction_add",
    "instruction_reply",
    "milestone_set_done",
    "notification_mark_read",
    "policy_update",
    "report_submit",
    "source_create",
    "task_acknowledge",
    "task_approve",
    "task_assign",
    "task_assign_subtree",
    "task_cancel",
    "task_create",
    "task_decompose",
    "task_move",
    "task_reopen",
    "task_report_overdue",
    "task_request_completion",
    "task_return",
    "task_start",
    "task_transition",
    "task_update",
    "tasks_export",
    "tasks_import",
]

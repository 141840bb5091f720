"""The task's 办理记录 as people read it: the task's ledger entries through
duban.core.ledger_display (event names from its one registry, people by name and unit, changes
as before/after rows), with the few task-specific facts the page shows in its own columns."""

from __future__ import annotations

from duban.core import ledger_display
from duban.core.roles import Role
from duban.tasks import selectors
from duban.tasks.models import TaskStatus

# Shown in their own column, so not again among the details.
_OWN_COLUMNS = {"reason", "text", "files", "percent", "late", "reply_due", "number"}


def timeline_rows(task, user) -> list[dict]:
    """Every ledger entry of the task, oldest first, described in bulk (a fixed number of
    queries whatever the length). Other tasks an entry names (a parent, a moved-from parent)
    are named only when ``user`` may see them."""
    roles = dict(Role.choices)
    described = ledger_display.describe(
        selectors.task_timeline(task), reader=user, status_labels=dict(TaskStatus.choices),
        scopes={"tasks.task": lambda qs: qs.filter(selectors.visible_q(user))})
    rows = []
    for row in described:
        entry = row.entry
        data = entry.data if isinstance(entry.data, dict) else {}
        own = {str(ledger_display.data_label(k)) for k in _OWN_COLUMNS}
        rows.append({
            "seq": entry.seq, "code": entry.event, "at": entry.created_at,
            "actor": row.actor, "role": roles.get(entry.actor_role, ""),
            "event": row.event,
            "from": row.status_from, "to": row.status_to,
            "reason": data.get("reason") or data.get("text") or "",
            "files": [f.get("name") for f in data.get("files") or [] if isinstance(f, dict)],
            "percent": data.get("percent") if entry.event in ("task_report", "task_request_completion") else None,
            "late": bool(data.get("late")),
            "deadline": data.get("reply_due") if entry.event in ("task_instruct", "supervision_order_issue") else None,
            "number": data.get("number") or "",
            "row": row,
            "details": [(label, value) for label, value in row.details if label not in own],
        })
    return rows

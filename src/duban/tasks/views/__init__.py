"""The task pages: my todo, the responsibility list (一级一清单 / 一人一清单), the task page with
every transition the user may make now, decomposition, create/edit, sources, Excel in and out,
the authorising evidence download, and the home page.

Views are thin. Objects come from the scoped selectors (404 outside the user's subtree), every
change is a service call, and a service's refusal goes back onto the form that caused it:
ValidationError → the page re-rendered with inline errors (400; 413 for an oversized file),
PermissionDenied → 403. Which actions a page offers is asked of the state machine, the same
table the services enforce, so a button is never shown for something that would be refused.

The package is split along the pages' nouns; every view is re-exported here for urls.py.
"""

from duban.tasks.views.detail import (
    extension_decide,
    extension_request,
    instruct,
    instruction_reply,
    milestone_toggle,
    report_submit,
    task_detail,
    task_transition,
)
from duban.tasks.views.edit import task_create, task_decompose, task_edit
from duban.tasks.views.evidence import evidence_download
from duban.tasks.views.handover import task_handover
from duban.tasks.views.homepage import home, index
from duban.tasks.views.imports import import_template, task_import
from duban.tasks.views.lists import task_export, task_list
from duban.tasks.views.sources import source_create, source_detail, source_list
from duban.tasks.views.todo import todo

__all__ = [
    "evidence_download", "extension_decide", "extension_request", "home", "import_template", "index", "instruct",
    "instruction_reply", "milestone_toggle", "report_submit", "source_create", "source_detail", "source_list", "task_create",
    "task_decompose", "task_detail", "task_edit", "task_export", "task_handover", "task_import", "task_list",
    "task_transition",
    "todo",
]

from duban.tasks import selectors
from duban.tasks import services as svc
from duban.tasks.models import TaskStatus


def test_a_task_goes_from_draft_to_completed(build):
    c = build.cast
    task = build.completion_requested()
    assert task.status == TaskStatus.COMPLETION_REQUESTED
    svc.task_approve(actor=c.supervisor, task=task)
    assert task.status == TaskStatus.COMPLETED
    events = list(selectors.task_timeline(task).values_list("event", flat=True))
    assert events == ["task_create", "task_assign", "task_acknowledge", "task_start", "task_request_completion",
                      "task_approve"]

"""The demo's tasks: the speech as a source, nine areas, every lifecycle state and every light."""

import pytest

from duban.accounts.models import User
from duban.core import ledger
from duban.tasks import lights
from duban.tasks.models import ExtensionRequest, Source, Task, TaskStatus

pytestmark = pytest.mark.django_db


def test_the_speech_is_a_source_with_its_nine_work_areas_as_top_tasks(demo):
    source = Source.objects.get()
    assert source.date.isoformat() == "2017-02-19"
    assert "担当发展使命" in source.title and "党建暨经济工作会议" in source.text
    roots = Task.objects.filter(depth=1, source=source)
    assert roots.count() == 9
    assert all(Task.objects.get_children_count(root) >= 1 for root in roots)


def test_the_demo_spreads_tasks_over_every_state_and_light(demo):
    statuses = set(Task.objects.values_list("status", flat=True))
    assert {TaskStatus.DRAFT, TaskStatus.ASSIGNED, TaskStatus.ACKNOWLEDGED, TaskStatus.IN_PROGRESS,
            TaskStatus.COMPLETION_REQUESTED, TaskStatus.COMPLETED} <= statuses
    annotated = Task.objects.annotate(light=lights.light_annotation())
    light_values = set(annotated.values_list("light", flat=True))
    assert {"green", "yellow", "red"} <= light_values
    for task in annotated:  # the database's light and the Python one agree on the demo too
        assert task.light == lights.light_for(task)
    assert ExtensionRequest.objects.filter(status="pending").count() == 1


def test_the_demo_tasks_have_todos_for_the_acting_b_holder_and_the_supervisor(demo):
    from duban.tasks import selectors

    todo_b = selectors.todo_for_user(User.objects.get(username="bajiao_b"))
    todo_sup = selectors.todo_for_user(User.objects.get(username="duchashi"))
    # 芭蕉's A holder is on leave: the B holder sees 芭蕉's task waiting to be acknowledged.
    assert todo_b.to_acknowledge.filter(lead_unit__code="BJ").exists()
    assert todo_sup.to_review.count() == 2
    assert todo_sup.to_approve_extensions.count() == 1


def test_the_ledger_verifies_after_the_demo(demo):
    assert ledger.verify().ok


def test_every_task_event_of_the_demo_names_who_did_it(demo):
    from duban.core.models import AuditEntry

    anonymous = AuditEntry.objects.filter(object_type="tasks.task", actor_name="")
    assert not anonymous.exists(), list(anonymous.values_list("event", flat=True)[:5])

"""The home page: my todo counts, the lights of my part of the list, the directory at a glance."""

from datetime import timedelta

import pytest
from django.utils import timezone

from duban.tasks import services


@pytest.fixture
def assigned_task(cast):
    today = timezone.localdate()
    task = services.task_create(actor=cast.supervisor, title="芭蕉的重点任务", lead_unit=cast.bajiao,
                                start_date=today, due_date=today + timedelta(days=30),
                                responsible_post=cast.post_bajiao)
    return services.task_assign(actor=cast.supervisor, task=task)


def test_a_liaison_sees_the_task_waiting_for_acknowledgement(login, cast, assigned_task):
    page = login(cast.bajiao_liaison).get("/")
    assert page.status_code == 200
    assert page.context["todo"]["to_acknowledge"] == 1
    assert page.context["lights"]["total"] == 1 and page.context["lights"]["green"] == 1


def test_a_liaison_of_another_township_counts_nothing_of_it(login, cast, assigned_task):
    page = login(cast.baiguo_liaison).get("/")
    assert page.context["todo"]["to_acknowledge"] == 0 and page.context["lights"]["total"] == 0


def test_an_overdue_task_is_listed_in_red_on_the_supervisors_home(login, cast, assigned_task):
    services.task_update(actor=cast.supervisor, task=assigned_task,
                         due_date=timezone.localdate() - timedelta(days=1), start_date=timezone.localdate() - timedelta(days=5))
    page = login(cast.supervisor).get("/")
    assert page.context["lights"]["red"] == 1
    assert "芭蕉的重点任务" in page.content.decode()


def test_the_auditor_sees_neither_tasks_nor_the_directory(login, cast, assigned_task):
    page = login(cast.auditor).get("/")
    assert page.status_code == 200
    assert "todo" not in page.context and "lights" not in page.context and "unit_count" not in page.context

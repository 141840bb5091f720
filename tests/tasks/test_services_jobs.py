"""The overdue-report scan the background worker runs: one notice per missed deadline, ever."""

from datetime import timedelta

from duban.core import jobs
from duban.tasks import services as svc
from duban.tasks.jobs import scan_overdue_reports
from duban.tasks.models import Notification, NotificationKind, Task


def _overdue(build, **kw):
    task = build.in_progress(**kw)
    Task.objects.filter(pk=task.pk).update(next_report_due=build.today - timedelta(days=2))
    return Task.objects.get(pk=task.pk)


def test_a_missed_report_notifies_the_lead_unit_once(build):
    task = _overdue(build)
    build.in_progress(title="按时报送")  # next report a month away
    assert scan_overdue_reports() == 1
    notice = Notification.objects.get(kind=NotificationKind.REPORT_OVERDUE)
    assert notice.task == task and notice.unit == build.cast.bajiao and "逾期" in notice.message
    assert scan_overdue_reports() == 0  # idempotent
    assert Notification.objects.filter(kind=NotificationKind.REPORT_OVERDUE).count() == 1


def test_the_next_missed_deadline_is_a_new_notice(build):
    c = build.cast
    task = _overdue(build, cycle="weekly")
    scan_overdue_reports()
    svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="补报", percent=20)
    assert scan_overdue_reports() == 0  # the report moved the deadline into the future
    Task.objects.filter(pk=task.pk).update(next_report_due=build.today - timedelta(days=1))
    assert scan_overdue_reports() == 1
    assert Notification.objects.filter(kind=NotificationKind.REPORT_OVERDUE, task=task).count() == 2


def test_closed_and_waiting_tasks_are_not_chased(build):
    done = build.completed()
    Task.objects.filter(pk=done.pk).update(next_report_due=build.today - timedelta(days=5))
    waiting = build.completion_requested(title="待审核")
    Task.objects.filter(pk=waiting.pk).update(next_report_due=build.today - timedelta(days=5))
    assert scan_overdue_reports() == 0


def test_the_scan_is_registered_with_the_worker(build):
    jobs.autodiscover()
    assert "tasks.scan_overdue_reports" in jobs.REGISTRY
    _overdue(build)
    ran = jobs.run_due()
    assert "tasks.scan_overdue_reports" in ran
    assert Notification.objects.filter(kind=NotificationKind.REPORT_OVERDUE).count() == 1


def test_each_missed_deadline_is_one_entry_on_the_tasks_timeline(build, login):
    from django.urls import reverse

    from duban.core.models import AuditEntry

    task = _overdue(build)
    due = task.next_report_due
    other = _overdue(build, title="另一项")
    assert scan_overdue_reports() == 2
    assert scan_overdue_reports() == 0
    entries = AuditEntry.objects.filter(event="task_overdue_report")
    assert sorted(entries.values_list("object_id", flat=True)) == sorted([str(task.pk), str(other.pk)])
    assert entries.get(object_id=str(task.pk)).data == {"due": due.isoformat()}
    # The task page's timeline names it.
    response = login(build.cast.bajiao_liaison).get(reverse("tasks:detail", args=[task.pk]))
    assert "进展报送逾期" in [str(row["event"]) for row in response.context["timeline"]]


def test_a_racing_second_call_records_nothing(build):
    from duban.core.models import AuditEntry

    task = _overdue(build)
    assert svc.task_report_overdue(task=task, due=task.next_report_due) is True
    assert svc.task_report_overdue(task=task, due=task.next_report_due) is False
    assert AuditEntry.objects.filter(event="task_overdue_report").count() == 1
    assert Notification.objects.filter(kind=NotificationKind.REPORT_OVERDUE, task=task).count() == 1

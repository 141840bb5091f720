"""Concurrent writers on real connections (transactional tests, one connection per thread), on
SQLite and PostgreSQL: the ledger chain stays whole and no update is lost."""

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection

from duban.core import ledger
from duban.core.models import AuditEntry
from duban.core.services import ConcurrentEditError
from duban.tasks import services as svc
from duban.tasks.models import ProgressReport, Task

from .helpers import pdf_bytes, upload

pytestmark = pytest.mark.django_db(transaction=True)


def _run(threads: int, work):
    barrier = threading.Barrier(threads)
    results, errors = [None] * threads, []

    def runner(n):
        try:
            barrier.wait()
            results[n] = work(n)
        except Exception as exc:  # noqa: BLE001 - collected and asserted by the caller
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    workers = [threading.Thread(target=runner, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return results, errors


def test_simultaneous_reports_keep_one_unbroken_chain(build):
    c = build.cast
    task = build.in_progress()
    other = build.in_progress(title="另一项任务")
    users = [c.bajiao_liaison, c.bajiao_b, c.bajiao_admin, c.bajiao_liaison]

    def submit(n):
        target = task if n % 2 == 0 else other
        for i in range(3):
            svc.report_submit(actor=users[n], task=Task.objects.get(pk=target.pk), narrative=f"线程{n}第{i}次",
                              percent=10 * i, files=[upload(f"{n}-{i}.pdf", pdf_bytes(f"{n}-{i}"))],
                              drop_reason="两个线程交替报送同一单位的进度")  # interleaved, percents go down
        return n

    _results, errors = _run(4, submit)
    assert errors == []
    assert ProgressReport.objects.count() == 12
    entries = list(AuditEntry.objects.filter(event="task_report").order_by("seq"))
    assert len(entries) == 12
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))  # contiguous
    result = ledger.verify()
    assert result.ok, result.reason


def test_two_editors_of_one_version_one_wins_one_is_told(build):
    c = build.cast
    task = build.task()
    version = task.version

    def edit(n):
        svc.task_update(actor=c.supervisor, task=Task.objects.get(pk=task.pk), expected_version=version,
                        title=f"编辑者{n}的标题", due_date=build.today + timedelta(days=30 + n))
        return n

    results, errors = _run(2, edit)
    assert len(errors) == 1 and isinstance(errors[0], ConcurrentEditError)
    winner = next(r for r in results if r is not None)
    task.refresh_from_db()
    assert task.title == f"编辑者{winner}的标题" and task.version == version + 1
    assert AuditEntry.objects.filter(event="task_update", object_id=str(task.pk)).count() == 1
    assert ledger.verify().ok


def test_a_report_racing_the_completion_review_never_lands_on_a_completed_task(build):
    c = build.cast
    task = build.in_progress(co_units=[c.baiguo])
    task = svc.task_request_completion(actor=c.bajiao_liaison, task=task, narrative="完成",
                                       files=[upload("f.pdf", pdf_bytes())])

    def act(n):
        if n == 0:
            return svc.task_approve(actor=c.supervisor, task=Task.objects.get(pk=task.pk)).status
        return svc.report_submit(actor=c.baiguo_liaison, task=Task.objects.get(pk=task.pk), narrative="配合情况",
                                 percent=100).pk

    _results, errors = _run(2, act)
    task.refresh_from_db()
    late_reports = ProgressReport.objects.filter(task=task, kind="progress", submitted_at__gt=task.completed_at) \
        if task.completed_at else ProgressReport.objects.none()
    assert not late_reports.exists()
    assert len(errors) <= 1
    assert ledger.verify().ok

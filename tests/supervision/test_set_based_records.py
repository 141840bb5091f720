"""The scan writes its records set-based (no model instances): the rows are the ones the ORM would
store, a rerun stores nothing, and a racing insert of the same miss is skipped, on both engines."""

from datetime import date

import pytest
from django.utils import timezone

from conftest import at
from duban.supervision import scan as scan_module
from duban.supervision.models import Listing, Order, Proposal, Reminder, ReminderKind
from duban.supervision.scan import scan

pytestmark = pytest.mark.django_db


def _columns(model):
    return [f.attname for f in model._meta.concrete_fields if not f.primary_key]


@pytest.mark.parametrize("model, values", [
    (Reminder, {"kind": ReminderKind.LADDER, "miss_kind": "due", "miss_date": date(2026, 9, 30), "message": "催办",
                "dedupe_key": "{t}:remind:due:2026-09-30"}),
    (Order, {"unit_id": "unit", "year": 2026, "seq": 7, "miss_kind": "due", "miss_date": date(2026, 9, 30),
             "matter": "事项", "requirements": "要求", "reply_due": date(2026, 10, 13), "issued_on": date(2026, 10, 10),
             "dedupe_key": "{t}:order:due:2026-09-30"}),
    (Listing, {"reason": "逾期", "miss_kind": "due", "miss_date": date(2026, 9, 30), "listed_on": date(2026, 10, 20),
               "is_active": True, "dedupe_key": "{t}:list:due:2026-09-30"}),
    (Proposal, {"unit_id": "unit", "miss_kind": "due", "miss_date": date(2026, 9, 30), "reason": "建议",
                "created_on": date(2026, 11, 3), "dedupe_key": "{t}:propose:due:2026-09-30"}),
])
def test_a_record_inserted_set_based_equals_the_orm_row_and_is_not_inserted_twice(make_task, cast, model, values):
    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    other = make_task(title="另一项", assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    now = timezone.now()

    def record(t):
        out = {k: (v.format(t=t.pk) if isinstance(v, str) and "{t}" in v else v) for k, v in values.items()}
        out = {k: (cast.bajiao.pk if v == "unit" else v) for k, v in out.items()}
        stamp = {Reminder: "created_at", Order: "issued_at", Listing: "listed_at", Proposal: "created_at"}[model]
        return {"task_id": t.pk, stamp: now, **out}

    orm = model.objects.create(**{**record(other), "seq": 8} if model is Order else record(other))
    assert scan_module._insert(model, [record(task)]) == 1
    assert scan_module._insert(model, [record(task)]) == 0  # the dedupe key holds it
    stored = model.objects.get(task=task)
    for name in _columns(model):
        if name not in ("task_id", "dedupe_key", "seq"):
            assert getattr(stored, name) == getattr(orm, name), name
    assert model.objects.count() == 2


def test_a_scan_in_many_small_batches_stores_the_same_as_one_batch_and_a_rerun_adds_nothing(make_task):
    for i in range(5):
        make_task(title=f"任务{i}", assigned=date(2026, 9, 1), due=date(2026, 9, 30))

    def snapshot():
        from duban.notices.models import Notice, NoticeKind

        reminders = sorted(Reminder.objects.values_list("task_id", "kind", "miss_kind", "miss_date", "message",
                                                        "dedupe_key"))
        notices = sorted(Notice.objects.exclude(kind=NoticeKind.ASSIGNED).values_list(
            "kind", "title", "body", "recipient_key", "reached_id", "note", "subject_id", "dedupe_key"))
        return reminders, notices

    with at(date(2026, 10, 1)):
        assert scan(batch_size=2).counts == {"remind": 5}
    small = snapshot()
    Reminder.objects.all().delete()
    from duban.notices.models import Notice, NoticeKind

    Notice.objects.exclude(kind=NoticeKind.ASSIGNED).delete()
    with at(date(2026, 10, 1)):
        assert scan().counts == {"remind": 5}
        assert scan().counts == {}
    assert snapshot() == small and len(small[0]) == 5 and len(small[1]) == 5

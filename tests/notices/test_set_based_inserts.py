"""The set-based paths (COPY + INSERT … SELECT on PostgreSQL, executemany INSERT OR IGNORE on
SQLite) store exactly what the ORM would, skip what was stored before, and a run-long Sender
reaches the same people as one send per notice."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from duban.core.models import AuditEntry
from duban.notices import bulk
from duban.notices.models import Channel, Delivery, Notice, NoticeKind, UserPreference
from duban.notices.services import Sender, notices_send_bulk
from duban.orgs.models import Absence

pytestmark = pytest.mark.django_db

COMPARED = ("kind", "title", "body", "url", "subject_type_id", "subject_id", "subject_label", "subject_key",
            "recipient_key", "post_id", "person_id", "user_id", "role", "unit_id", "reached_id", "note", "is_copy",
            "flagged", "dedupe_key", "on")


def _values(qs):
    return sorted(tuple(row) for row in qs.values_list(*COMPARED))


def test_a_set_based_insert_stores_the_same_row_as_the_orm_and_skips_it_the_second_time(cast):
    now = timezone.now()
    fields = {"kind": NoticeKind.REMINDER, "title": "催办:修路", "body": "请抓紧", "url": "/tasks/1/",
              "recipient_key": f"post:{cast.post_bajiao.pk}", "post_id": cast.post_bajiao.pk,
              "unit_id": cast.bajiao.pk, "reached_id": cast.p_bajiao_a.pk, "dedupe_key": "k:1",
              "batch": "b1", "on": date(2026, 10, 1), "created_at": now}
    orm = Notice.objects.create(**{**fields, "dedupe_key": "k:orm", "batch": "orm"})
    columns = tuple(f.attname for f in Notice._meta.concrete_fields if not f.primary_key)
    defaults = {f.attname: f.get_default() for f in Notice._meta.concrete_fields if not f.primary_key}
    row = tuple({**defaults, **fields}[c] for c in columns)
    assert bulk.insert_ignoring_conflicts(Notice, columns, [row]) == 1
    assert bulk.insert_ignoring_conflicts(Notice, columns, [row]) == 0  # the dedupe key holds it
    stored = Notice.objects.get(batch="b1")
    for name in columns:
        if name not in ("dedupe_key", "batch"):
            assert getattr(stored, name) == getattr(orm, name), name
    assert stored.created_at == now and stored.on == date(2026, 10, 1)


def test_a_set_based_insert_counts_only_the_rows_it_really_inserted(cast):
    columns = ("kind", "title", "body", "url", "subject_id", "subject_label", "subject_key", "recipient_key",
               "role", "note", "is_copy", "flagged", "dedupe_key", "batch", "on", "created_at")
    now = timezone.now()

    def row(i):
        return (NoticeKind.SYSTEM, f"提示{i}", "", "", "", "", "", "role:supervisor", "supervisor", "", False, False,
                f"d:{i}", "x", date(2026, 10, 1), now)

    assert bulk.insert_ignoring_conflicts(Notice, columns, [row(i) for i in range(3)]) == 3
    assert bulk.insert_ignoring_conflicts(Notice, columns, [row(i) for i in range(5)]) == 2
    assert bulk.insert_ignoring_conflicts(Notice, columns, []) == 0
    assert Notice.objects.count() == 5


def _items(cast, n, kind=NoticeKind.REMINDER, start=0):
    return [{"kind": kind, "subject": cast.bajiao, "title": f"任务{i}", "body": f"第{i}条", "url": f"/tasks/{i}/",
             "to_post": cast.post_bajiao, "to_unit": cast.baiguo if i % 2 else None, "dedupe_key": f"s:{i}"}
            for i in range(start, start + n)]


def test_a_sender_used_for_many_batches_stores_what_one_send_per_notice_stores(cast):
    Absence.objects.create(person=cast.p_bajiao_a, kind="leave", start=timezone.localdate(),
                           end=timezone.localdate() + timedelta(days=3))
    items = _items(cast, 6) + _items(cast, 2, kind=NoticeKind.TASK_DUE, start=6)
    for item in items:  # one at a time, each send resolving afresh
        notices_send_bulk(actor=None, items=[item])
    expected = _values(Notice.objects.all())
    Notice.objects.all().delete()
    sender = Sender(actor=None)
    assert sender.send(items[:3]) + sender.send(items[3:]) == len(expected)
    assert _values(Notice.objects.all()) == expected
    # the B holder is reached with the note, the unit without a liaison post is flagged once
    reached = Notice.objects.filter(post=cast.post_bajiao).first()
    assert reached.reached == cast.p_bajiao_b and "请假" in reached.note
    assert Notice.objects.filter(flagged=True).count() == 1
    assert Sender(actor=None).send(items) == 0  # a second run stores nothing


def test_a_sender_batch_is_one_ledger_entry_and_fills_the_outbox_only_where_someone_wants_it(cast):
    UserPreference.objects.create(user=cast.bajiao_liaison, email=True)
    cast.bajiao_liaison.email = "liaison@example.cn"
    cast.bajiao_liaison.save()
    before = AuditEntry.objects.filter(event="notice.send").count()
    sender = Sender(actor=None)
    sent = sender.send(_items(cast, 4))
    assert AuditEntry.objects.filter(event="notice.send").count() == before + 1
    assert AuditEntry.objects.filter(event="notice.send").latest("id").data["notices"] == sent
    emails = Delivery.objects.filter(channel=Channel.EMAIL)
    assert emails.count() == 4 and {d.target for d in emails} == {"liaison@example.cn"}
    assert {d.notice.post_id for d in emails} == {cast.post_bajiao.pk}


@pytest.mark.parametrize("copy", [True, False])
def test_both_insert_paths_skip_the_same_conflicts_and_count_alike(cast, monkeypatch, copy):
    """COPY + INSERT … SELECT (PostgreSQL with psycopg 3) and executemany (SQLite, psycopg2)."""
    monkeypatch.setattr(bulk, "_has_copy", lambda: copy)
    sender = Sender(actor=None)
    assert sender.send(_items(cast, 4)) == 5  # 4 to the post; 白果 (no liaison post, no admin): one flag for both
    assert Notice.objects.filter(flagged=True).count() == 1
    assert Sender(actor=None).send(_items(cast, 6)) == 2  # items 4 and 5; the flag is in the table already

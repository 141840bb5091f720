import threading

import pytest
from django.db import DatabaseError, connection, transaction

from duban.core import ledger
from duban.core.models import AppendOnlyError, AuditEntry

pytestmark = pytest.mark.django_db(transaction=True)



def test_a_clean_chain_verifies():
    for i in range(5):
        ledger.append(event="test_event", object_type="x", object_id=str(i), data={"i": i})
    result = ledger.verify()
    assert result.ok and result.checked >= 5


def test_orm_cannot_change_or_delete_entries():
    entry = ledger.append(event="test_event")
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(event="x")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).delete()


def test_raw_sql_cannot_change_or_delete_entries():
    entry = ledger.append(event="test_event")
    for sql in ("UPDATE core_auditentry SET event = 'forged' WHERE id = %s", "DELETE FROM core_auditentry WHERE id = %s"):
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cur:
                cur.execute(sql, [entry.pk])
    entry.refresh_from_db()
    assert entry.event == "test_event"


def test_concurrent_writers_never_fork_or_break_the_chain():
    from django.db import close_old_connections

    threads, per_thread = 6, 15
    barrier = threading.Barrier(threads)
    errors = []

    def writer(n):
        try:
            barrier.wait()
            for i in range(per_thread):
                with transaction.atomic():
                    ledger.append(event="concurrent_test", object_type="x", object_id=f"{n}-{i}")
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    seqs = list(AuditEntry.objects.filter(event="concurrent_test").order_by("seq").values_list("seq", flat=True))
    assert len(seqs) == threads * per_thread
    result = ledger.verify()
    assert result.ok, result.reason


def test_verify_names_the_first_edited_entry():
    from duban.core import triggers

    entries = [ledger.append(event="test_event", object_id=str(i)) for i in range(4)]
    triggers.uninstall(connection)
    try:
        with connection.cursor() as cur:
            cur.execute("UPDATE core_auditentry SET object_id = 'forged' WHERE id = %s", [entries[2].pk])
    finally:
        triggers.install(connection)
    result = ledger.verify()
    assert not result.ok and result.first_bad_seq == entries[2].seq and "MAC" in result.reason


def test_verify_notices_a_deleted_tail():
    from duban.core import triggers

    entries = [ledger.append(event="test_event", object_id=str(i)) for i in range(3)]
    triggers.uninstall(connection)
    try:
        with connection.cursor() as cur:
            cur.execute("DELETE FROM core_auditentry WHERE id = %s", [entries[-1].pk])
    finally:
        triggers.install(connection)
    result = ledger.verify()
    assert not result.ok and result.first_bad_seq == entries[-1].seq

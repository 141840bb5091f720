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

"""Two workers racing over one outbox (real threads, real connections): every message is
delivered exactly once."""

import threading

import pytest
from django.db import connection
from webhook_sink import Sink

from duban.notices import delivery
from duban.notices.models import Delivery, DeliveryState, NoticeKind, UnitChannel
from duban.notices.services import notices_send_bulk


@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_at_once_send_each_message_once(cast):
    with Sink() as sink:
        UnitChannel.objects.create(unit=cast.bajiao, channel="wecom", webhook_url=sink.url("/ok?key=k"))
        notices_send_bulk(actor=None, items=[{"kind": NoticeKind.ASSIGNED, "title": f"任务{i}",
                                              "to_post": cast.post_bajiao} for i in range(120)])
        assert Delivery.objects.count() == 120
        errors = []
        barrier = threading.Barrier(2)

        def worker():
            try:
                barrier.wait()
                for _ in range(200):
                    try:
                        if not delivery.deliver_due(limit=10, rounds=1)["sent"] and not Delivery.objects.filter(
                                state=DeliveryState.PENDING).exists():
                            break
                    except Exception as exc:
                        if "locked" not in str(exc):  # SQLite's single writer: try again
                            raise
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        assert sink.count == 120
        titles = [body["markdown"]["content"].splitlines()[0] for _, _, body in sink.requests]
        assert len(set(titles)) == 120
    assert Delivery.objects.filter(state=DeliveryState.SENT).count() == 120

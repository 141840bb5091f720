"""The inbox API (bearer token) and the outbox job registered with the worker."""

from datetime import timedelta

from django.test import override_settings
from django.utils import timezone
from webhook_sink import Sink

from duban.core import jobs
from duban.core.models import JobRun
from duban.notices.models import Delivery, DeliveryState, NoticeKind
from duban.notices.services import notice_send, notices_send_bulk, unit_channel_save


def token_headers(client, user, password):
    response = client.post("/api/auth/token", {"username": user.username, "password": password},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    return {"HTTP_AUTHORIZATION": f"Bearer {response.json()['token']}"}


def test_the_api_lists_counts_and_marks_the_callers_own_notices(cast, client):
    notices_send_bulk(actor=cast.supervisor, items=[
        {"kind": NoticeKind.REMINDER, "title": f"催办{i}", "to_post": cast.post_bajiao} for i in range(3)])
    [other] = notice_send(actor=cast.supervisor, kind=NoticeKind.INSTRUCTION, title="批示", to_person=cast.p_baiguo)
    h = token_headers(client, cast.bajiao_liaison, cast.password)
    listing = client.get("/api/notices", **h).json()
    assert listing["count"] == 3 and {n["title"] for n in listing["items"]} == {"催办0", "催办1", "催办2"}
    assert listing["items"][0]["reached"] == "张三" and listing["items"][0]["kind_label"] == "催办"
    assert client.get("/api/notices/unread-count", **h).json() == {"unread": 3, "badge": "3"}
    first = listing["items"][0]["id"]
    assert client.post(f"/api/notices/{first}/read", **h).json() == {"marked": 1}
    assert client.get("/api/notices", {"unread": "true"}, **h).json()["count"] == 2
    assert client.post(f"/api/notices/{other.pk}/read", **h).status_code == 404  # 白果's notice
    assert client.post("/api/notices/read-all", **h).json() == {"marked": 2}
    assert client.get("/api/notices/unread-count", **h).json()["unread"] == 0
    assert client.get("/api/notices", {"kind": "instruction"}, **h).json()["count"] == 0


def test_the_outbox_job_is_registered_and_the_worker_delivers(cast):
    jobs.autodiscover()
    assert "deliver_notices" in jobs.REGISTRY
    with Sink() as sink:
        unit_channel_save(actor=cast.supervisor, unit=cast.bajiao, channel="wecom",
                          webhook_url=sink.url("/ok?key=k"))
        notice_send(actor=cast.supervisor, kind=NoticeKind.ASSIGNED, title="新任务", to_post=cast.post_bajiao)
        ran = jobs.run_due()
        assert "deliver_notices" in ran
        assert sink.count == 1
    assert Delivery.objects.get().state == DeliveryState.SENT


def test_a_commit_with_outbox_rows_makes_the_delivery_job_due_now(cast, django_capture_on_commit_callbacks):
    later = timezone.now() + timedelta(minutes=5)
    JobRun.objects.update_or_create(name="deliver_notices", defaults={"next_run_at": later})
    unit_channel_save(actor=cast.supervisor, unit=cast.bajiao, channel="wecom", webhook_url="http://127.0.0.1:9/x")
    with django_capture_on_commit_callbacks(execute=True):
        notice_send(actor=cast.supervisor, kind=NoticeKind.ASSIGNED, title="新任务", to_post=cast.post_bajiao)
    assert JobRun.objects.get(name="deliver_notices").next_run_at <= timezone.now()


@override_settings(DUBAN_NOTICES_MAX_ATTEMPTS=2, DUBAN_NOTICES_BACKOFF_SECONDS=0)
def test_a_message_that_keeps_failing_ends_as_a_dead_letter_the_scan_never_waits_for(cast):
    with Sink() as sink:
        unit_channel_save(actor=cast.supervisor, unit=cast.bajiao, channel="wecom", webhook_url=sink.url("/fail500"))
        notice_send(actor=cast.supervisor, kind=NoticeKind.ASSIGNED, title="新任务", to_post=cast.post_bajiao)
        from duban.notices.delivery import deliver_due

        counts = deliver_due()
    assert counts == {"sent": 0, "retry": 1, "dead": 1, "deferred": 0}
    row = Delivery.objects.get()
    assert row.state == DeliveryState.DEAD and row.log.count() == 2

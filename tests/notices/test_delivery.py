"""The outbox: each channel against a local server or Django's mail outbox, retries with backoff,
dead letters, slow and failing webhooks not blocking others, a worker killed mid-delivery."""

import base64
import hashlib
import hmac
import socket
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone
from webhook_sink import Sink

from duban.accounts.models import User
from duban.notices import delivery
from duban.notices.channels import LocmemSmsBackend, validate_webhook_url
from duban.notices.models import Delivery, DeliveryState, NoticeKind, UnitChannel, UserPreference
from duban.notices.services import notice_send, preference_save, unit_channel_save
from duban.orgs.models import Person, Post

pytestmark = pytest.mark.django_db(transaction=False)


def remind(cast, post=None, **kw):
    return notice_send(actor=cast.supervisor, kind=NoticeKind.REMINDER, title="催办:请报送进展",
                       body="任务已逾期3天,请于今日报送。", url="/tasks/7/", to_post=post or cast.post_bajiao, **kw)


@pytest.fixture
def sink():
    with Sink(slow_seconds=2.0) as s:
        yield s


def test_a_dingtalk_robot_gets_the_markdown_message_with_a_valid_signature(cast, sink):
    secret = "SEC0123456789abcdef"
    unit_channel_save(actor=cast.bajiao_admin, unit=cast.bajiao, channel="dingtalk",
                      webhook_url=sink.url("/ok?access_token=tok123"), secret=secret)
    remind(cast)
    assert Delivery.objects.get().state == DeliveryState.PENDING  # nothing went out inside the transaction
    assert sink.requests == []
    counts = delivery.deliver_due()
    assert counts["sent"] == 1
    [(_path, query, body)] = sink.requests
    assert query["access_token"] == "tok123"
    timestamp = query["timestamp"]
    assert abs(int(timestamp) - time.time() * 1000) < 60_000
    expected = base64.b64encode(hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(),
                                         hashlib.sha256).digest()).decode()
    assert query["sign"] == expected  # parse_qsl undid the urlencoding
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == "催办:请报送进展"
    assert "任务已逾期3天" in body["markdown"]["text"]
    row = Delivery.objects.get()
    assert row.state == DeliveryState.SENT and row.attempts == 1
    assert [a.ok for a in row.log.all()] == [True]


def test_a_robot_that_rejects_the_signature_counts_as_a_failure(cast, sink):
    unit_channel_save(actor=cast.bajiao_admin, unit=cast.bajiao, channel="dingtalk",
                      webhook_url=sink.url("/refuse?access_token=t"), secret="SECwrong")
    remind(cast)
    assert delivery.deliver_due()["retry"] == 1
    row = Delivery.objects.get()
    assert row.state == DeliveryState.PENDING and "310000" in row.last_error


def test_a_wecom_robot_gets_its_markdown_format(cast, sink):
    unit_channel_save(actor=cast.bajiao_admin, unit=cast.bajiao, channel="wecom",
                      webhook_url=sink.url("/ok?key=693a91f6-7xxx"))
    remind(cast)
    assert delivery.deliver_due()["sent"] == 1
    [(_path, query, body)] = sink.requests
    assert query == {"key": "693a91f6-7xxx"}
    assert body == {"msgtype": "markdown", "markdown": {"content": body["markdown"]["content"]}}
    assert body["markdown"]["content"].startswith("### 催办:请报送进展")


def test_email_goes_through_djangos_mail_backend_to_the_acting_holder(cast):
    User.objects.filter(pk=cast.bajiao_liaison.pk).update(email="zhangsan@example.cn")
    cast.bajiao_liaison.refresh_from_db()
    preference_save(actor=cast.bajiao_liaison, email=True, sms=False)
    remind(cast)
    assert mail.outbox == []
    assert delivery.deliver_due()["sent"] == 1
    [message] = mail.outbox
    assert message.to == ["zhangsan@example.cn"] and message.subject == "催办:请报送进展"


@override_settings(DUBAN_NOTICES_SMS_BACKEND="duban.notices.channels.LocmemSmsBackend")
def test_sms_goes_through_the_configured_backend(cast):
    Person.objects.filter(pk=cast.p_bajiao_a.pk).update(phone="13800000001")
    cast.bajiao_liaison.refresh_from_db()
    preference_save(actor=cast.bajiao_liaison, email=False, sms=True)
    LocmemSmsBackend.outbox.clear()
    remind(cast)
    delivery.deliver_due()
    assert LocmemSmsBackend.outbox == [("13800000001", "【督办】催办:请报送进展")]


def test_sms_console_backend_prints_the_message(cast, capsys):
    Person.objects.filter(pk=cast.p_bajiao_a.pk).update(phone="13800000001")
    cast.bajiao_liaison.refresh_from_db()
    preference_save(actor=cast.bajiao_liaison, email=False, sms=True)
    remind(cast)
    delivery.deliver_due()
    assert "[SMS to 13800000001] 【督办】催办:请报送进展" in capsys.readouterr().out


def test_preferences_refuse_a_channel_without_an_address(cast):
    with pytest.raises(ValidationError) as exc:
        preference_save(actor=cast.bajiao_liaison, email=True, sms=False)
    assert "电子邮箱" in str(exc.value)
    assert not UserPreference.objects.exists()


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
                   DUBAN_NOTICES_MAX_ATTEMPTS=3, DUBAN_NOTICES_BACKOFF_SECONDS=60, EMAIL_TIMEOUT=1)
def test_smtp_down_retries_with_growing_backoff_then_goes_dead(cast, settings):
    settings.EMAIL_PORT = _free_port()  # nothing listens there
    User.objects.filter(pk=cast.bajiao_liaison.pk).update(email="zhangsan@example.cn")
    cast.bajiao_liaison.refresh_from_db()
    preference_save(actor=cast.bajiao_liaison, email=True, sms=False)
    remind(cast)
    t0 = timezone.now()
    assert delivery.deliver_due(now=t0)["retry"] == 1
    row = Delivery.objects.get()
    assert row.state == DeliveryState.PENDING and "邮件发送失败" in row.last_error
    first_wait = row.next_attempt_at - t0
    assert timedelta(seconds=59) < first_wait < timedelta(seconds=70)
    assert delivery.deliver_due(now=t0 + timedelta(seconds=30)) == {"sent": 0, "retry": 0, "dead": 0, "deferred": 0}  # not yet
    t1 = row.next_attempt_at + timedelta(seconds=1)
    assert delivery.deliver_due(now=t1)["retry"] == 1
    row.refresh_from_db()
    assert row.next_attempt_at - t1 > timedelta(seconds=115)  # doubled
    assert delivery.deliver_due(now=row.next_attempt_at + timedelta(seconds=1))["dead"] == 1
    row.refresh_from_db()
    assert row.state == DeliveryState.DEAD and row.attempts == 3
    assert [a.ok for a in row.log.all()] == [False, False, False]
    assert delivery.deliver_due(now=t1 + timedelta(days=1)) == {"sent": 0, "retry": 0, "dead": 0, "deferred": 0}


@override_settings(DUBAN_NOTICES_WEBHOOK_TIMEOUT=0.5)
def test_a_webhook_that_answers_500_or_hangs_does_not_hold_up_the_others(cast, sink):
    units = [cast.bajiao, cast.baiguo, cast.xiaojiaping]
    paths = ["/fail500", "/slow", "/ok"]
    people = [cast.p_bajiao_a, cast.p_baiguo, cast.p_village]
    for unit, path, person in zip(units, paths, people, strict=True):
        post = Post.objects.filter(unit=unit).first() or Post.objects.create(unit=unit, title="督办联络员",
                                                                             a_holder=person)
        unit_channel_save(actor=cast.supervisor, unit=unit, channel="wecom", webhook_url=sink.url(path + "?key=k"))
        remind(cast, post=post)
    started = time.monotonic()
    counts = delivery.deliver_due()
    elapsed = time.monotonic() - started
    assert counts == {"sent": 1, "retry": 2, "dead": 0, "deferred": 0}
    assert elapsed < 1.8  # the 2 s hang was cut at the 0.5 s timeout, in parallel with the rest
    states = {d.target: (d.state, d.last_error) for d in Delivery.objects.all()}
    by_unit = {c.unit_id: f"unitchannel:{c.pk}" for c in UnitChannel.objects.all()}
    assert states[by_unit[cast.xiaojiaping.pk]][0] == DeliveryState.SENT
    assert "HTTP 500" in states[by_unit[cast.bajiao.pk]][1]
    assert "连接失败" in states[by_unit[cast.baiguo.pk]][1]


def test_a_worker_killed_mid_delivery_leaves_the_row_to_be_reclaimed_after_the_lease_and_delivered_once(cast, sink):
    unit_channel_save(actor=cast.bajiao_admin, unit=cast.bajiao, channel="wecom", webhook_url=sink.url("/ok?key=k"))
    remind(cast)
    now = timezone.now()
    dead_token, rows = delivery.claim(now=now)  # the worker claims ... and is killed before it sends
    assert len(rows) == 1
    assert delivery.claim(now=now)[1] == []  # a second worker cannot take it while the lease runs
    assert delivery.deliver_due(now=now + timedelta(seconds=10))["sent"] == 0
    after_lease = now + timedelta(minutes=3)
    assert delivery.deliver_due(now=after_lease)["sent"] == 1
    assert delivery.deliver_due(now=after_lease + timedelta(minutes=10))["sent"] == 0
    assert sink.count == 1
    # the killed worker, if it were to wake up, cannot overwrite the newer outcome
    delivery.record(dead_token, rows[0], delivery.Outcome(False, "late", 0))
    row = Delivery.objects.get()
    assert row.state == DeliveryState.SENT and row.log.count() == 1


def test_two_workers_never_claim_the_same_row(cast, sink):
    unit_channel_save(actor=cast.bajiao_admin, unit=cast.bajiao, channel="wecom", webhook_url=sink.url("/ok?key=k"))
    for i in range(5):
        remind(cast, dedupe_key=str(i))
    now = timezone.now()
    _, first = delivery.claim(now=now, limit=3)
    _, second = delivery.claim(now=now, limit=10)
    assert len(first) == 3 and len(second) == 2
    assert not {r.pk for r in first} & {r.pk for r in second}


def test_webhook_urls_must_be_http_and_public_in_production(cast):
    for bad in ("ftp://example.com/x", "javascript:alert(1)", "http://", "https://user:pw@example.com/"):
        with pytest.raises(ValidationError):
            validate_webhook_url(bad)
    for private in ("http://127.0.0.1:8080/robot", "http://10.1.2.3/robot", "http://169.254.169.254/latest",
                    "http://[::1]/x", "http://localhost/robot"):
        with pytest.raises(ValidationError) as exc:
            validate_webhook_url(private, allow_private=False)
        assert "非公网地址" in str(exc.value)
    assert validate_webhook_url("http://127.0.0.1:8080/robot", allow_private=True)
    with override_settings(DUBAN_NOTICES_ALLOW_PRIVATE_WEBHOOKS=False), pytest.raises(ValidationError):
        unit_channel_save(actor=cast.supervisor, unit=cast.bajiao, channel="wecom",
                          webhook_url="http://127.0.0.1:9/robot")
    assert not UnitChannel.objects.exists()


def test_a_webhook_changed_to_a_private_address_is_refused_at_delivery_too(cast, sink):
    unit_channel_save(actor=cast.bajiao_admin, unit=cast.bajiao, channel="wecom", webhook_url=sink.url("/ok?key=k"))
    remind(cast)
    with override_settings(DUBAN_NOTICES_ALLOW_PRIVATE_WEBHOOKS=False):
        delivery.deliver_due()
    assert sink.count == 0
    assert "非公网地址" in Delivery.objects.get().last_error


def test_the_secret_is_kept_when_the_form_leaves_it_blank(cast, sink):
    unit_channel_save(actor=cast.supervisor, unit=cast.bajiao, channel="dingtalk", webhook_url=sink.url("/ok"),
                      secret="SECabc")
    unit_channel_save(actor=cast.supervisor, unit=cast.bajiao, channel="dingtalk", webhook_url=sink.url("/ok2"),
                      secret=None)
    robot = UnitChannel.objects.get()
    assert robot.secret == "SECabc" and robot.webhook_url.endswith("/ok2")


def test_two_liaison_posts_of_one_unit_make_one_group_message(cast, sink):
    unit_channel_save(actor=cast.supervisor, unit=cast.bajiao, channel="wecom", webhook_url=sink.url("/ok?key=k"))
    with override_settings(DUBAN_NOTICES_LIAISON_POST_TITLES=("督办联络员", "信访维稳联络员")):
        Post.objects.create(unit=cast.bajiao, title="信访维稳联络员", a_holder=cast.p_bajiao_b)
        notices = notice_send(actor=cast.supervisor, kind=NoticeKind.ASSIGNED, title="新任务", to_unit=cast.bajiao)
    assert len(notices) == 2
    assert Delivery.objects.count() == 1


@override_settings(DUBAN_NOTICES_WEBHOOK_TIMEOUT=0.5)
def test_a_hanging_robot_costs_one_timeout_per_pass_and_its_other_messages_wait_without_spending_attempts(cast, sink):
    unit_channel_save(actor=cast.supervisor, unit=cast.bajiao, channel="wecom", webhook_url=sink.url("/slow?key=k"))
    for i in range(6):
        remind(cast, dedupe_key=str(i))
    started = time.monotonic()
    counts = delivery.deliver_due()
    assert time.monotonic() - started < 1.5
    assert counts == {"sent": 0, "retry": 1, "dead": 0, "deferred": 5}
    rows = list(Delivery.objects.order_by("id"))
    assert sorted(r.attempts for r in rows) == [0, 0, 0, 0, 0, 1]
    assert all(r.state == DeliveryState.PENDING for r in rows)
    assert sum("未尝试" in r.last_error for r in rows) == 0  # a deferral keeps the row's last real error
    assert sink.count == 1


def test_a_pass_stops_claiming_when_its_time_budget_is_spent(cast, sink):
    unit_channel_save(actor=cast.supervisor, unit=cast.bajiao, channel="wecom", webhook_url=sink.url("/ok?key=k"))
    for i in range(30):
        remind(cast, dedupe_key=str(i))
    counts = delivery.deliver_due(limit=10, max_seconds=0)
    assert counts["sent"] == 10  # one batch, then the budget (0 s) stops the pass
    assert delivery.deliver_due()["sent"] == 20

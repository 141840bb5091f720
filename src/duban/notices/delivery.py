"""Delivering the outbox: claim with a compare-and-swap, send outside any transaction, record.

A worker pass (``deliver_due``):

1. claims up to N due rows in ONE conditional UPDATE: ``state=pending AND next_attempt_at<=now``
   or ``state=sending AND lease_until<now`` (a worker that died mid-delivery), setting
   ``state=sending``, a fresh ``claim_token``, ``lease_until=now+lease`` and ``attempts+1``. The
   database re-checks the condition row by row under its write lock, so two workers never claim
   the same row; it reads back its rows by token;
2. sends them concurrently in a thread pool (no database work in the threads; every channel has
   a short timeout, so a slow or failing endpoint delays only its own message);
3. records each result with another conditional UPDATE guarded by the claim token (a worker whose
   lease ran out and whose row was reclaimed cannot overwrite the newer outcome): sent, or back to
   pending with exponential backoff, or dead after ``max_attempts``; and a DeliveryAttempt row.

Delivery is at-least-once: a worker killed between a successful send and step 3 leaves the row to
be reclaimed after the lease, which can repeat that one message. The lease is much longer than the
webhook timeout so a live worker always finishes first.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from duban.notices import channels, conf
from duban.notices.models import Delivery, DeliveryAttempt, DeliveryState, UnitChannel


def _due(now) -> Q:
    return Q(state=DeliveryState.PENDING, next_attempt_at__lte=now) | Q(state=DeliveryState.SENDING,
                                                                        lease_until__lt=now)


def claim(*, now=None, limit: int | None = None) -> tuple[str, list[Delivery]]:
    now = now or timezone.now()
    limit = limit or conf.batch_size()
    token = uuid.uuid4().hex
    ids = list(Delivery.objects.filter(_due(now)).order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])
    if not ids:
        return token, []
    Delivery.objects.filter(_due(now), pk__in=ids).update(
        state=DeliveryState.SENDING, claim_token=token, lease_until=now + conf.lease(), attempts=F("attempts") + 1)
    rows = list(Delivery.objects.filter(claim_token=token, state=DeliveryState.SENDING).select_related("notice"))
    return token, rows


def _site_url() -> str:
    return getattr(settings, "DUBAN_SITE_URL", "").rstrip("/")


def _message(row: Delivery, robots: dict) -> channels.Message | str:
    """The message for a row, or an error text when it cannot be built (a robot removed since)."""
    n = row.notice
    url = n.url
    if url.startswith("/"):
        url = _site_url() + url if _site_url() else ""
    text = n.body or n.title
    if n.note:
        text = f"{text}\n\n{n.note}"
    target, secret = row.target, ""
    if row.target.startswith("unitchannel:"):
        robot = robots.get(int(row.target.split(":", 1)[1]))
        if robot is None or not robot.enabled:
            return "该单位的机器人已删除或停用"
        target, secret = robot.webhook_url, robot.secret
    return channels.Message(delivery_id=row.pk, channel=row.channel, target=target, title=n.title, text=text,
                            url=url, secret=secret)


@dataclass
class Outcome:
    ok: bool
    detail: str
    ms: int
    deferred: bool = False  # not tried: its target already failed in this pass (no attempt spent)


DEFERRED = "同一目标本轮已失败,未尝试,稍后重试"


def _send_group(messages) -> list[Outcome]:
    """Messages to one target, in order; after the first failure the rest are deferred, so a
    robot that hangs costs one timeout per pass, not one per message."""
    out = []
    failed = False
    for message in messages:
        if failed and not isinstance(message, str):
            out.append(Outcome(False, DEFERRED, 0, deferred=True))
            continue
        outcome = _send(message)
        failed = failed or not outcome.ok
        out.append(outcome)
    return out


def _send(message) -> Outcome:
    started = time.monotonic()
    if isinstance(message, str):
        return Outcome(False, message, 0)
    try:
        detail = channels.deliver(message)
        ok = True
    except channels.DeliveryError as exc:
        detail, ok = str(exc), False
    except Exception as exc:  # noqa: BLE001 - a broken backend fails this message only
        detail, ok = f"{type(exc).__name__}: {exc}", False
    return Outcome(ok, str(detail)[:500], int((time.monotonic() - started) * 1000))


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=conf.delivery_threads(), thread_name_prefix="duban-deliver")
        return _pool


def record(token: str, row: Delivery, outcome: Outcome, now=None) -> None:
    record_many(token, [(row, outcome)], now)


def record_many(token: str, results, now=None) -> None:
    """Write a batch's outcomes in one transaction: one UPDATE per kind of outcome, one insert
    for the attempt log. Only rows still claimed by ``token`` are written (a worker whose lease
    ran out and whose rows were reclaimed cannot overwrite the newer outcome)."""
    now = now or timezone.now()
    results = list(results)
    if not results:
        return
    with transaction.atomic():
        mine = set(Delivery.objects.filter(pk__in=[r.pk for r, _ in results], claim_token=token,
                                           state=DeliveryState.SENDING).values_list("pk", flat=True))
        results = [(r, o) for r, o in results if r.pk in mine]
        groups: dict[tuple, list[int]] = defaultdict(list)
        for row, outcome in results:
            if outcome.deferred:
                groups[("deferred", outcome.detail, row.attempts)].append(row.pk)
            elif outcome.ok:
                groups[("sent", "", 0)].append(row.pk)
            elif row.attempts >= conf.max_attempts():
                groups[("dead", outcome.detail, 0)].append(row.pk)
            else:
                groups[("retry", outcome.detail, row.attempts)].append(row.pk)
        for (kind, detail, attempts), ids in groups.items():
            rows = Delivery.objects.filter(pk__in=ids)
            if kind == "sent":
                rows.update(state=DeliveryState.SENT, sent_at=now, lease_until=None, last_error="")
            elif kind == "deferred":
                rows.update(state=DeliveryState.PENDING, lease_until=None, attempts=F("attempts") - 1,
                            next_attempt_at=now + conf.backoff(max(1, attempts - 1)))
            elif kind == "dead":
                rows.update(state=DeliveryState.DEAD, lease_until=None, last_error=detail)
            else:
                rows.update(state=DeliveryState.PENDING, lease_until=None, last_error=detail,
                            next_attempt_at=now + conf.backoff(attempts))
        DeliveryAttempt.objects.bulk_create([
            DeliveryAttempt(delivery_id=row.pk, at=now, ok=outcome.ok, detail=outcome.detail, duration_ms=outcome.ms)
            for row, outcome in results])


def deliver_due(*, now=None, limit: int | None = None, rounds: int = 0, max_seconds: float | None = None) -> dict:
    """Deliver what is due, batch after batch until none is due, ``rounds`` batches were done
    (0 = no limit) or ``max_seconds`` have passed (the job's budget, so the worker's other jobs,
    such as the scan, never wait long behind failing webhooks). Returns counts."""
    counts = {"sent": 0, "retry": 0, "dead": 0, "deferred": 0}
    started = time.monotonic()
    done = 0
    while True:
        token, rows = claim(now=now, limit=limit)
        if not rows:
            break
        robot_ids = {int(r.target.split(":", 1)[1]) for r in rows if r.target.startswith("unitchannel:")}
        robots = {r.pk: r for r in UnitChannel.objects.filter(pk__in=robot_ids)}
        groups: dict[tuple, list[int]] = defaultdict(list)
        messages = []
        for i, row in enumerate(rows):
            message = _message(row, robots)
            messages.append(message)
            groups[(row.channel, row.target)].append(i)
        outcomes: list[Outcome | None] = [None] * len(rows)
        futures = {key: _executor().submit(_send_group, [messages[i] for i in idx]) for key, idx in groups.items()}
        for key, future in futures.items():
            for i, outcome in zip(groups[key], future.result(), strict=True):
                outcomes[i] = outcome
        record_many(token, zip(rows, outcomes, strict=True), now)
        for row, outcome in zip(rows, outcomes, strict=True):
            if outcome.deferred:
                counts["deferred"] += 1
            elif outcome.ok:
                counts["sent"] += 1
            elif row.attempts >= conf.max_attempts():
                counts["dead"] += 1
            else:
                counts["retry"] += 1
        done += 1
        if rounds and done >= rounds:
            break
        if max_seconds is not None and time.monotonic() - started >= max_seconds:
            break
    return counts

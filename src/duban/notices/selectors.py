"""Reads: a user's inbox (follows the posts they act for today), unread counts, flagged problems."""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet

from duban.core.roles import Role
from duban.notices.models import Delivery, DeliveryState, Notice, NoticeRead
from duban.orgs.selectors import acting_post_ids, today

UNREAD_CAP = 99


def inbox_filter(user, on: date | None = None) -> Q:
    """Notices to the user's account, to their person, to a post they act for on ``on`` (A, or
    B/C while A is away: the inbox follows the acting holder) and, for the 督查室, flagged problems."""
    q = Q(user=user)
    person = getattr(user, "person", None)
    if person is not None:
        # The acting posts first (one small query), then a plain IN list: the notices table is
        # searched through its indexes (a bitmap OR), never scanned against a correlated subquery.
        # acting_post_ids is posts_acted_by without the ORM's compile cost (every page's badge).
        post_ids = acting_post_ids(person, on or today())
        q |= Q(person=person)
        if post_ids:
            q |= Q(post_id__in=post_ids)
    if user.role == Role.SUPERVISOR:
        q |= Q(role=Role.SUPERVISOR)
    return q


def inbox(user, *, kind: str = "", unread_only: bool = False, on: date | None = None) -> QuerySet[Notice]:
    if user is None or not user.is_authenticated:
        return Notice.objects.none()
    qs = Notice.objects.filter(inbox_filter(user, on)).annotate(
        is_read=Exists(NoticeRead.objects.filter(notice=OuterRef("pk"), user=user)))
    if kind:
        qs = qs.filter(kind=kind)
    if unread_only:
        qs = qs.filter(is_read=False)
    return qs.select_related("post__unit", "reached").order_by("-created_at", "-id")  # str(post) names its unit


def unread_count(user, on: date | None = None) -> int:
    """Unread notices, counted up to UNREAD_CAP + 1 (the header shows "99+")."""
    if user is None or not user.is_authenticated:
        return 0
    # inbox_filter's recipients as plain SQL: the header of every page counts this, and the ORM
    # spent ~1.6 ms of CPU compiling the query (issue 10). tests/core/test_request_overhead.py
    # holds it to the ORM form, Notice.objects.filter(inbox_filter(user)) minus NoticeRead.
    from django.db import connections

    connection = connections[Notice.objects.db]
    q = connection.ops.quote_name
    notice, read = q(Notice._meta.db_table), q(NoticeRead._meta.db_table)
    col = {f: q(Notice._meta.get_field(f).column) for f in ("user", "person", "post", "role")}
    recipients, params = [f"n.{col['user']} = %s"], [user.pk]
    person = getattr(user, "person", None)
    if person is not None:
        recipients.append(f"n.{col['person']} = %s")
        params.append(person.pk)
        post_ids = acting_post_ids(person, on or today())
        if post_ids:
            recipients.append(f"n.{col['post']} IN ({', '.join(['%s'] * len(post_ids))})")
            params.extend(post_ids)
    if user.role == Role.SUPERVISOR:
        recipients.append(f"n.{col['role']} = %s")
        params.append(Role.SUPERVISOR.value)
    read_notice, read_user = (q(NoticeRead._meta.get_field(f).column) for f in ("notice", "user"))
    sql = (f"SELECT COUNT(*) FROM (SELECT n.id FROM {notice} n WHERE ({' OR '.join(recipients)}) "
           f"AND NOT EXISTS (SELECT 1 FROM {read} r WHERE r.{read_notice} = n.id AND r.{read_user} = %s) "
           f"LIMIT {UNREAD_CAP + 1}) capped")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, user.pk])
        return cursor.fetchone()[0]


def unread_badge(count: int) -> str:
    return f"{UNREAD_CAP}+" if count > UNREAD_CAP else str(count)


def flagged_problems() -> QuerySet[Notice]:
    """Notices that could not reach anyone who can act (no holder, A/B/C all away, no leader set):
    the 督查室's list of problems to fix."""
    return Notice.objects.filter(flagged=True).select_related("unit", "post").order_by("-created_at", "-id")


def dead_letters() -> QuerySet[Delivery]:
    return Delivery.objects.filter(state=DeliveryState.DEAD).select_related("notice").order_by("-id")


def outbox_counts() -> dict[str, int]:
    from django.db.models import Count

    rows = Delivery.objects.values("state").annotate(n=Count("id"))
    counts = {s: 0 for s in DeliveryState.values}
    counts.update({r["state"]: r["n"] for r in rows})
    return counts

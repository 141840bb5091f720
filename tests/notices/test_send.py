"""notice_send: who a notice reaches (ABC substitution), idempotence, flagged problems, ledger."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from duban.core.models import AuditEntry
from duban.notices import selectors
from duban.notices.models import Notice, NoticeKind
from duban.notices.services import notice_send, notices_send_bulk
from duban.orgs.models import Absence, Person, Post


def away(person, start, days=2, kind="leave"):
    return Absence.objects.create(person=person, kind=kind, start=start, end=start + timedelta(days=days))


def send(cast, **kw):
    args = {"actor": cast.supervisor, "kind": NoticeKind.REMINDER, "title": "请尽快报送进展", "url": "/tasks/1/",
                "to_post": cast.post_bajiao}
    args.update(kw)
    return notice_send(**args)


def test_a_notice_to_a_post_reaches_the_a_holder_when_present(cast):
    [notice] = send(cast)
    assert notice.post == cast.post_bajiao and notice.reached == cast.p_bajiao_a and notice.note == ""
    assert list(selectors.inbox(cast.bajiao_liaison)) == [notice]
    assert not selectors.inbox(cast.bajiao_b).exists()


def test_while_a_is_on_leave_b_gets_the_notice_with_the_substitution_note(cast):
    today = timezone.localdate()
    away(cast.p_bajiao_a, today)
    [notice] = send(cast)
    assert notice.reached == cast.p_bajiao_b
    assert notice.note == "因A角张三请假,由B角李四代办"
    assert list(selectors.inbox(cast.bajiao_b)) == [notice]
    assert not selectors.inbox(cast.bajiao_liaison).exists()


def test_the_note_names_every_holder_passed_over_with_the_kind_of_absence(cast):
    today = timezone.localdate()
    away(cast.p_bajiao_a, today, kind="trip")
    away(cast.p_bajiao_b, today, kind="training")
    notice = next(n for n in send(cast) if n.post_id)
    assert notice.reached == cast.p_bajiao_c
    assert notice.note == "因A角张三出差、B角李四培训学习,由C角王五代办"


def test_an_acting_holder_without_an_account_is_flagged_once_a_day_and_the_notice_waits_on_the_post(cast):
    today = timezone.localdate()
    away(cast.p_bajiao_a, today)
    away(cast.p_bajiao_b, today)  # C (王五) acts, but has no account to read an inbox with
    notices = send(cast, dedupe_key="k")
    assert {n.recipient_key for n in notices} == {f"post:{cast.post_bajiao.pk}", "role:supervisor"}
    [flag] = selectors.flagged_problems()
    assert "C角王五没有可登录的账户" in flag.title
    assert send(cast, dedupe_key="k") == []
    assert len(send(cast, dedupe_key="another task")) == 1  # a new notice, but the same problem is not flagged again
    assert selectors.flagged_problems().count() == 1
    assert selectors.flagged_problems().filter(on=today + timedelta(days=1)).count() == 0


def test_open_notices_follow_b_while_a_is_away_and_go_back_to_a_when_the_absence_ends(cast):
    today = timezone.localdate()
    [notice] = send(cast)
    absence = away(cast.p_bajiao_a, today + timedelta(days=1), days=2)
    tomorrow, after = today + timedelta(days=1), today + timedelta(days=4)
    assert list(selectors.inbox(cast.bajiao_b, on=tomorrow)) == [notice]
    assert not selectors.inbox(cast.bajiao_liaison, on=tomorrow).exists()
    assert list(selectors.inbox(cast.bajiao_liaison, on=after)) == [notice]
    assert not selectors.inbox(cast.bajiao_b, on=after).exists()
    absence.delete()  # the absence is withdrawn: back to A the same day
    assert list(selectors.inbox(cast.bajiao_liaison, on=tomorrow)) == [notice]


def test_the_same_dedupe_key_never_sends_twice(cast):
    first = send(cast, dedupe_key="overdue:2026-12-03")
    again = send(cast, dedupe_key="overdue:2026-12-03")
    assert len(first) == 1 and again == []
    assert Notice.objects.count() == 1
    assert len(send(cast, dedupe_key="overdue:2026-12-04")) == 1
    assert len(send(cast)) == 1  # without a key every call is a new notice


def test_a_bulk_send_run_twice_creates_each_notice_once_with_one_ledger_entry_per_batch(cast):
    items = [{"kind": NoticeKind.TASK_DUE, "title": f"任务{i}临期", "to_post": cast.post_bajiao, "dedupe_key": f"due:{i}"}
             for i in range(30)]
    before = AuditEntry.objects.filter(event="notice.send").count()
    assert len(notices_send_bulk(actor=None, items=items)) == 30
    assert notices_send_bulk(actor=None, items=items) == []
    assert Notice.objects.count() == 30
    entries = AuditEntry.objects.filter(event="notice.send")
    assert entries.count() == before + 1  # the second batch sent nothing and recorded nothing
    assert entries.first().data["notices"] == 30


def test_a_notice_to_a_unit_goes_to_its_liaison_post_and_copies_the_principal_leader(cast):
    from duban.notices.models import UnitSetting

    leader = Person.objects.create(name="周八", unit=cast.bajiao, title="党委书记")
    UnitSetting.objects.create(unit=cast.bajiao, principal_leader=leader)
    notices = send(cast, to_post=None, to_unit=cast.bajiao, copy_unit_leader=True, kind=NoticeKind.NOTICE_ISSUED)
    by_key = {n.recipient_key: n for n in notices}
    assert by_key[f"post:{cast.post_bajiao.pk}"].reached == cast.p_bajiao_a
    assert by_key[f"person:{leader.pk}"].is_copy
    assert "周八没有可登录的账户" in by_key["role:supervisor"].title  # the leader has no account yet
    assert len(notices) == 3


def test_a_unit_without_a_liaison_post_goes_to_its_unit_admin_and_is_flagged(cast):
    notices = send(cast, to_post=None, to_unit=cast.baiguo, dedupe_key="k1")
    flagged = list(selectors.flagged_problems())
    assert len(flagged) == 1 and flagged[0].kind == NoticeKind.SYSTEM
    assert "白果乡未设置督办联络岗位" in flagged[0].title
    assert flagged[0] in selectors.inbox(cast.supervisor)
    assert not [n for n in notices if n.user_id]  # 白果 has no unit admin in the cast
    assert "且无单位管理员" in flagged[0].note
    assert send(cast, to_post=None, to_unit=cast.baiguo, dedupe_key="k1") == []  # flagged once, too


def test_a_post_whose_a_b_and_c_are_all_away_reaches_the_unit_admin_and_is_flagged(cast):
    today = timezone.localdate()
    for person in (cast.p_bajiao_a, cast.p_bajiao_b, cast.p_bajiao_c):
        away(person, today)
    notices = send(cast)
    post_notice = next(n for n in notices if n.post_id)
    assert post_notice.reached is None and post_notice.note == "A、B、C角均不在岗"
    admin_notice = next(n for n in notices if n.user_id)
    assert admin_notice.user == cast.bajiao_admin and "转单位管理员" in admin_notice.note
    assert admin_notice in selectors.inbox(cast.bajiao_admin)
    [flag] = selectors.flagged_problems()
    assert "均不在岗" in flag.title
    # when A is back the post's notice is in A's inbox: nothing lost
    assert post_notice in selectors.inbox(cast.bajiao_liaison, on=today + timedelta(days=5))


def test_a_post_with_no_active_holder_at_all_is_flagged(cast):
    post = Post.objects.create(unit=cast.baiguo, title="督办联络员", a_holder=cast.p_baiguo)
    Person.objects.filter(pk=cast.p_baiguo.pk).update(is_active=False)
    send(cast, to_post=post)
    [flag] = selectors.flagged_problems()
    assert flag.unit == cast.baiguo


def test_a_notice_without_title_or_recipient_is_refused_and_nothing_is_stored(cast):
    with pytest.raises(ValidationError):
        send(cast, title="  ")
    with pytest.raises(ValidationError):
        send(cast, to_post=None)
    with pytest.raises(ValidationError):
        send(cast, kind="nonsense")
    assert not Notice.objects.exists()


def test_the_subject_is_stored_generically_with_its_label(cast):
    [notice] = send(cast, subject=cast.bajiao, dedupe_key="x")
    assert notice.subject_id == str(cast.bajiao.pk) and notice.subject_label == "芭蕉侗族乡"
    assert notice.subject_type.model == "unit"
    # the same key for another subject is a different notice
    assert len(send(cast, subject=cast.baiguo, dedupe_key="x")) == 1


def test_a_scan_may_ask_only_for_the_number_sent(cast):
    items = [{"kind": NoticeKind.REPORT_DUE, "title": f"报送临期{i}", "to_post": cast.post_bajiao,
              "dedupe_key": f"r{i}"} for i in range(5)]
    assert notices_send_bulk(actor=None, items=items[:3], returning=False) == 3
    assert notices_send_bulk(actor=None, items=items, returning=False) == 2
    assert notices_send_bulk(actor=None, items=[], returning=False) == 0
    stored = Notice.objects.order_by("id").first()
    assert stored.created_at is not None and stored.on == timezone.localdate() and stored.batch

"""Per-request overhead (issue 10): the shortcuts taken on every request give exactly the answers
of the slow paths they replace."""

import itertools
from datetime import timedelta

from django.utils import timezone

from duban.orgs import selectors as org_selectors
from duban.orgs import services as org_services
from duban.orgs.models import Absence, Person


def _acting_states(cast):
    """Every combination of A/B/C away or not (absences ending or starting on the day), and A/B
    no longer in post, on the cast's post with A, B and C."""
    people = (cast.p_bajiao_a, cast.p_bajiao_b, cast.p_bajiao_c)
    today = timezone.localdate()
    # seen from the day before, the day itself and the day after, each span covers some and not others
    spans = [None, (today - timedelta(days=1), today), (today, today + timedelta(days=1))]
    for a_span, b_span, c_span in itertools.product(spans, repeat=3):
        for a_active, b_active in itertools.product((True, False), repeat=2):
            Absence.objects.all().delete()
            for person, span in zip(people, (a_span, b_span, c_span)):
                if span:
                    Absence.objects.create(person=person, kind="leave", start=span[0], end=span[1])
            Person.objects.filter(pk=cast.p_bajiao_a.pk).update(is_active=a_active)
            Person.objects.filter(pk=cast.p_bajiao_b.pk).update(is_active=b_active)
            yield today


def test_acting_post_ids_answer_exactly_what_posts_acted_by_answers(cast):
    # a second post without B and C, and one with B but no C, so every branch of the rule is met
    solo = org_services.post_create(unit=cast.bajiao, title="单人岗", a_holder=cast.p_bajiao_b)
    pair = org_services.post_create(unit=cast.bajiao, title="两人岗", a_holder=cast.p_bajiao_c,
                                    b_holder=cast.p_bajiao_a)
    seen = set()
    checked = 0
    for on in _acting_states(cast):
        for person in Person.objects.filter(pk__in=[cast.p_bajiao_a.pk, cast.p_bajiao_b.pk, cast.p_bajiao_c.pk,
                                                    cast.p_baiguo.pk]):
            for day in (on, on + timedelta(days=1), on - timedelta(days=1)):
                expected = set(org_selectors.posts_acted_by(person, day).values_list("pk", flat=True))
                assert set(org_selectors.acting_post_ids(person, day)) == expected, (person, day)
                seen |= expected
                checked += 1
    assert seen == {cast.post_bajiao.pk, solo.pk, pair.pk}  # every post was acted for in some state
    assert checked > 1000


def _orm_unread(user):
    """The unread count as the ORM says it (what notices.selectors.unread_count used to run)."""
    from django.db.models import Exists, OuterRef

    from duban.notices.models import Notice, NoticeRead
    from duban.notices.selectors import UNREAD_CAP, inbox_filter

    qs = Notice.objects.filter(inbox_filter(user)).exclude(
        Exists(NoticeRead.objects.filter(notice=OuterRef("pk"), user=user)))
    return len(qs.values_list("pk", flat=True)[: UNREAD_CAP + 1])


def test_unread_count_is_the_inbox_minus_what_the_user_read_for_every_kind_of_recipient(cast):
    from duban.core.roles import Role
    from duban.notices.models import Notice, NoticeRead
    from duban.notices.selectors import UNREAD_CAP, unread_count

    today = timezone.localdate()
    other_post = org_services.post_create(unit=cast.baiguo, title="白果联络员", a_holder=cast.p_baiguo)
    recipients = [{"user": cast.bajiao_liaison}, {"user": cast.supervisor}, {"person": cast.p_bajiao_a},
                  {"person": cast.p_bajiao_b}, {"post": cast.post_bajiao}, {"post": other_post},
                  {"role": Role.SUPERVISOR}, {"role": Role.LEADER}]
    notices = [Notice.objects.create(kind="reminder", title=f"n{i}", recipient_key=f"k{i}", batch="b", on=today,
                                     **recipients[i % len(recipients)]) for i in range(40)]
    for notice in notices[::3]:
        NoticeRead.objects.create(notice=notice, user=cast.bajiao_liaison)
    for notice in notices[1::4]:
        NoticeRead.objects.create(notice=notice, user=cast.supervisor)
    users = [cast.bajiao_liaison, cast.bajiao_b, cast.supervisor, cast.leader, cast.baiguo_liaison,
             cast.village_liaison, cast.sysadmin]

    def check():
        counts = {}
        for user in users:
            user = type(user).objects.select_related("person").get(pk=user.pk)
            counts[user.username] = unread_count(user)
            assert counts[user.username] == _orm_unread(user), user.username
        return counts

    counts = check()
    assert counts["bajiao"] > 0 and counts["supervisor"] > 0 and counts["baiguo"] > 0 and counts["sysadmin1"] == 0
    Absence.objects.create(person=cast.p_bajiao_a, kind="leave", start=today, end=today)  # B acts for the post
    moved = check()
    assert moved["bajiao_b"] > counts["bajiao_b"] and moved["bajiao"] < counts["bajiao"]
    Notice.objects.bulk_create([Notice(kind="reminder", title="x", recipient_key=f"m{i}", batch="b", on=today,
                                       user=cast.leader) for i in range(UNREAD_CAP + 5)])
    assert check()["leader"] == UNREAD_CAP + 1  # capped, as the ORM form was ("99+")


def test_the_session_user_comes_with_unit_and_person_and_is_still_refused_when_expired(cast, django_assert_num_queries):
    from duban.accounts.backends import RoleBackend
    from duban.accounts.models import User

    with django_assert_num_queries(1):
        user = RoleBackend().get_user(cast.bajiao_liaison.pk)
        assert user.unit.name == cast.bajiao.name and user.person.name == cast.p_bajiao_a.name
    User.objects.filter(pk=user.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    assert RoleBackend().get_user(user.pk) is None
    User.objects.filter(pk=user.pk).update(valid_until=None, is_active=False)
    assert RoleBackend().get_user(user.pk) is None
    assert RoleBackend().get_user(10**9) is None


def test_a_bearer_token_brings_its_user_with_unit_and_person(cast, django_assert_num_queries):
    from duban.accounts import services

    key = services.token_issue(actor=cast.bajiao_liaison)
    with django_assert_num_queries(1):
        user = services.token_user(key)
        assert user.unit.name == cast.bajiao.name and user.person.name == cast.p_bajiao_a.name


def _fields(obj):
    return None if obj is None else {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_the_prepared_user_and_token_reads_give_what_the_orm_gives_and_nothing_stale(cast):
    from duban.accounts import selectors, services
    from duban.accounts.models import ApiToken, User

    for user in (cast.bajiao_liaison, cast.supervisor, cast.sysadmin):  # person and unit, unit only, neither
        orm = User.objects.select_related("unit", "person").get(pk=user.pk)
        fast = selectors.user_with_unit_and_person(user.pk)
        assert _fields(fast) == _fields(orm)
        assert _fields(fast.unit) == _fields(orm.unit) and _fields(fast.person) == _fields(orm.person)
        assert not fast._state.adding and fast._state.db == orm._state.db
        key = services.token_issue(actor=user)
        token = selectors.api_token_with_user(ApiToken.hash_key(key))
        assert _fields(token) == _fields(ApiToken.objects.get(key_hash=ApiToken.hash_key(key)))
        assert _fields(token.user) == _fields(orm) and _fields(token.user.person) == _fields(orm.person)
    assert selectors.user_with_unit_and_person(10**9) is None
    assert selectors.user_with_unit_and_person("nonsense") is None
    assert selectors.api_token_with_user(ApiToken.hash_key("no such token")) is None
    # only the SQL is kept, never a row: a change is seen by the next read, a revoked token is gone
    User.objects.filter(pk=cast.bajiao_liaison.pk).update(role="leader", unit=cast.city)
    again = selectors.user_with_unit_and_person(cast.bajiao_liaison.pk)
    assert again.role == "leader" and again.unit == cast.city
    ApiToken.objects.filter(user=cast.sysadmin).delete()
    assert selectors.api_token_with_user(ApiToken.hash_key(key)) is None
    assert services.token_user(key) is None

"""ABC rota (依次补位) and leading-group scoping, at the selector level."""

from datetime import timedelta

from django.utils import timezone

from duban.orgs import selectors, services
from duban.orgs.models import Person, Unit


def test_b_acts_when_a_is_on_leave_and_the_reason_says_so(cast):
    today = timezone.localdate()
    services.absence_create(person=cast.p_bajiao_a, kind="leave", start=today, end=today + timedelta(days=2))
    acting = selectors.acting_holder(cast.post_bajiao, today)
    assert acting.person == cast.p_bajiao_b and acting.letter == "B" and acting.is_backup
    assert "A角张三请假" in acting.reason and "由B角代行" in acting.reason
    assert list(selectors.posts_acted_by(cast.p_bajiao_b, today)) == [cast.post_bajiao]
    assert not selectors.posts_acted_by(cast.p_bajiao_a, today).exists()


def test_c_acts_when_a_and_b_are_both_away(cast):
    today = timezone.localdate()
    services.absence_create(person=cast.p_bajiao_a, kind="trip", start=today, end=today)
    services.absence_create(person=cast.p_bajiao_b, kind="training", start=today - timedelta(days=1), end=today)
    acting = selectors.acting_holder(cast.post_bajiao, today)
    assert acting.letter == "C" and acting.person == cast.p_bajiao_c
    assert list(selectors.posts_acted_by(cast.p_bajiao_c, today)) == [cast.post_bajiao]


def test_a_holder_who_left_is_named_as_such_not_as_in_post(cast):
    Person.objects.filter(pk=cast.p_bajiao_a.pk).update(is_active=False)
    post = type(cast.post_bajiao).objects.get(pk=cast.post_bajiao.pk)
    acting = selectors.acting_holder(post)
    assert acting.letter == "B"
    assert "A角张三已不在职" in acting.reason and "A角在岗" not in acting.reason


def test_nobody_acts_when_everyone_is_away(cast):
    today = timezone.localdate()
    for person in (cast.p_bajiao_a, cast.p_bajiao_b, cast.p_bajiao_c):
        services.absence_create(person=person, kind="leave", start=today, end=today)
    acting = selectors.acting_holder(cast.post_bajiao, today)
    assert acting.person is None and acting.reason == "A、B、C 角均不在岗"


def test_a_group_led_by_a_township_person_is_visible_to_that_township(cast):
    elsewhere = Unit.objects.get(pk=cast.office.pk)
    group = services.group_save(name="芭蕉牵头的小组", leader=cast.p_bajiao_a, office_unit=elsewhere)
    assert group in selectors.groups_for_user(cast.bajiao_liaison)
    assert group not in selectors.groups_for_user(cast.baiguo_liaison)

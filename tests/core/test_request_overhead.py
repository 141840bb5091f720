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

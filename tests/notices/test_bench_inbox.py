"""The inbox figure of the bench: a liaison with many notices, timed through the Django stack,
and the notices it added for the measurement are gone afterwards."""

import pytest

from duban.bench import notices as bench
from duban.notices.models import Notice, NoticeKind
from duban.notices.services import notices_send_bulk

pytestmark = pytest.mark.django_db


def test_the_inbox_p95_is_measured_for_the_liaison_with_the_most_notices(cast, capsys):
    notices_send_bulk(actor=None, items=[{"kind": NoticeKind.REMINDER, "title": f"催办{i}", "to_post": cast.post_bajiao,
                                          "dedupe_key": f"k{i}"} for i in range(3)])
    figures = bench.inbox_p95(repeat=4, many=40)
    assert figures["inbox_user"] == cast.bajiao_liaison.username
    assert figures["inbox_notices"] == 40 and figures["inbox_samples"] == 4
    assert 0 < figures["inbox_p50_ms"] <= figures["inbox_p95_ms"]
    assert "inbox page of bajiao (40 notices)" in capsys.readouterr().out
    assert Notice.objects.count() == 3  # what the measurement added is removed again

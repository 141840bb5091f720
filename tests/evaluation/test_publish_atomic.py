"""RL-03 on evaluation: publishing is one transaction. If anything fails inside it (here the
ledger entry, its last statement), the evaluation is still a draft with no objection period and
units still cannot see it; the retry then publishes it once. (Computing twice gives identical
sheets: test_scoring.py::test_computing_twice_gives_the_same_bytes_and_hash_and_the_ledger_holds_it;
ties: test_flow.py::test_equal_totals_share_a_rank_and_are_marked_tied.)"""

from datetime import date
from unittest import mock

import pytest

from duban.core import ledger
from duban.core.models import AuditEntry
from duban.evaluation import services
from duban.evaluation.models import EvalStatus, Evaluation

from .world import build

pytestmark = pytest.mark.django_db


def test_a_failure_inside_publishing_leaves_the_draft_untouched(cast, login):
    w = build(cast)
    before = Evaluation.objects.filter(pk=w.evaluation.pk).values().get()
    entries = AuditEntry.objects.count()
    with mock.patch.object(ledger, "append", side_effect=RuntimeError("ledger unavailable")), \
            pytest.raises(RuntimeError):
        services.evaluation_publish(actor=cast.supervisor, evaluation=w.evaluation, start=date.today(),
                                    end=date(2099, 1, 1))
    assert Evaluation.objects.filter(pk=w.evaluation.pk).values().get() == before
    assert before["status"] == EvalStatus.DRAFT and before["published_at"] is None
    assert AuditEntry.objects.count() == entries
    client = login(cast.bajiao_liaison)
    assert client.get(f"/evaluation/{w.evaluation.pk}/units/{cast.bajiao.pk}/").status_code == 404
    # The retry publishes it, once.
    published = services.evaluation_publish(actor=cast.supervisor, evaluation=w.evaluation, start=date.today(),
                                            end=date(2099, 1, 1))
    assert published.status == EvalStatus.PUBLISHED and published.sha256 == before["sha256"]
    assert AuditEntry.objects.filter(event="evaluation_publish").count() == 1
    assert client.get(f"/evaluation/{w.evaluation.pk}/units/{cast.bajiao.pk}/").status_code == 200

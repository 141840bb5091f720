"""DP-03 for scores and rankings: every unit's line of the sheet carries a row MAC. A total, rank
or grade written into the database directly is flagged by `duban verify-integrity`, and the ranking
and the unit's sheet show 数据完整性校验失败 instead of the values (one `integrity_failure` row)."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from duban.core.models import AuditEntry
from duban.evaluation.models import UnitScore

from .world import build

pytestmark = pytest.mark.django_db
ERROR = "数据完整性校验失败"


def test_computed_scores_verify(cast):
    w = build(cast)
    scores = list(UnitScore.objects.filter(evaluation=w.evaluation))
    assert scores and all(s.integrity_ok for s in scores)
    call_command("verify_integrity", stdout=io.StringIO())  # exit 0: no SystemExit


def test_a_total_raised_by_sql_is_flagged_and_the_pages_show_the_integrity_error(cast, login):
    w = build(cast)
    score = UnitScore.objects.get(evaluation=w.evaluation, unit=cast.bajiao)
    other = UnitScore.objects.get(evaluation=w.evaluation, unit=cast.baiguo)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE evaluation_unitscore SET total = %s, \"rank\" = 1 WHERE id = %s", ["99.99", score.pk])
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_integrity", stdout=out, stderr=io.StringIO())
    assert exit_.value.code == 1
    assert f"evaluation.unitscore:{score.pk} mismatch" in out.getvalue()
    assert f"evaluation.unitscore:{other.pk}" not in out.getvalue()

    client = login(cast.supervisor)
    ranking = client.get(f"/evaluation/{w.evaluation.pk}/").content.decode()
    assert ERROR in ranking and "99.99" not in ranking and str(other.total) in ranking
    sheet = client.get(f"/evaluation/{w.evaluation.pk}/units/{cast.bajiao.pk}/").content.decode()
    assert ERROR in sheet and "99.99" not in sheet
    assert ERROR not in client.get(f"/evaluation/{w.evaluation.pk}/units/{cast.baiguo.pk}/").content.decode()
    entries = AuditEntry.objects.filter(event="integrity_failure", object_type="evaluation.unitscore",
                                        object_id=str(score.pk))
    assert entries.count() == 1 and entries.get().actor_id == cast.supervisor.pk

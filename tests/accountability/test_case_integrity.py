"""DP-03 for discipline records: a case (its stage, decision, measure, dates) and its subjects carry
a row MAC. A decision changed in the database directly is flagged by `duban verify-integrity`; the
case's page, the list, the subject's own page and the decision document show
数据完整性校验失败 instead of the record, and the security administrators are alerted."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from duban.accountability import services
from duban.accountability.models import Case, CaseSubject, Stage, SubjectKind
from duban.core.models import AuditEntry
from duban.notices.models import Notice

pytestmark = pytest.mark.django_db
ERROR = "数据完整性校验失败"


def decided_case(cast, walk, title="违规发放补贴"):
    case = services.case_open(actor=cast.discipline, title=title, source_kind="report",
                              source_label="个人反映 2026-7", subject_kind=SubjectKind.PERSON, person=cast.p_bajiao_a, facts="违规发放补贴 3 万元。")
    return walk(case, Stage.DECIDED)


def scan():
    out = io.StringIO()
    try:
        call_command("verify_integrity", stdout=out, stderr=io.StringIO())
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def test_cases_written_through_the_services_verify(cast, walk, duty):
    case = decided_case(cast, walk)
    assert Case.objects.get(pk=case.pk).integrity_ok
    assert all(s.integrity_ok for s in CaseSubject.objects.filter(case=case))
    assert scan()[0] == 0


def test_a_measure_softened_by_sql_is_flagged_and_every_page_shows_the_integrity_error(cast, walk, duty, login):
    case = decided_case(cast, walk)
    other = decided_case(cast, walk, title="另一件事项")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accountability_case SET measure = 'none', form = 'none', decision_text = %s "
                       "WHERE id = %s", ["不予问责(篡改)", case.pk])
    code, out = scan()
    assert code == 1 and f"accountability.case:{case.pk} mismatch" in out
    assert f"accountability.case:{other.pk}" not in out

    client = login(cast.discipline)
    detail = client.get(f"/accountability/{case.pk}/")
    body = detail.content.decode()
    assert detail.status_code == 200 and ERROR in body and "不予问责(篡改)" not in body
    assert case.title not in body
    listing = client.get("/accountability/").content.decode()
    assert ERROR in listing and other.title in listing
    docx = client.get(f"/accountability/{case.pk}/decision.docx")
    assert ERROR in docx.content.decode() and docx["Content-Type"].startswith("text/html")
    assert "不予问责(篡改)" not in client.get(f"/accountability/{other.pk}/").content.decode()
    assert ERROR not in client.get(f"/accountability/{other.pk}/").content.decode()
    assert AuditEntry.objects.filter(event="integrity_failure", object_type="accountability.case",
                                     object_id=str(case.pk)).count() == 1
    assert Notice.objects.filter(user=cast.secadmin, title__contains="完整性校验失败").exists()


def test_a_subject_swapped_by_sql_is_flagged_too(cast, walk, duty, login):
    case = decided_case(cast, walk)
    subject = CaseSubject.objects.get(case=case)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accountability_casesubject SET person_id = %s WHERE id = %s",
                       [cast.p_baiguo.pk, subject.pk])
    code, out = scan()
    assert code == 1 and f"accountability.casesubject:{subject.pk} mismatch" in out
    body = login(cast.discipline).get(f"/accountability/{case.pk}/").content.decode()
    assert ERROR in body and "赵六" not in body

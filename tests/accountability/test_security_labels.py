"""AC-11: a case labelled 敏感 or 核心 answers 404 to a user of lower clearance (the discipline role
included, a grantee, the case's subject), in the detail, the list, the decision document and the
subject's pages; only the 安全管理员 relabels a case or sets a clearance, and both are audited."""

import pytest

from duban.accountability import services
from duban.accountability.models import Case, Stage, SubjectKind
from duban.accounts.models import User
from duban.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def decided_case(cast, walk, person=None):
    case = services.case_open(actor=cast.discipline, title="涉密线索核查", source_kind="report",
                              source_label="个人反映 2026-9", subject_kind=SubjectKind.PERSON,
                              person=person or cast.p_bajiao_a, facts="有关情况。")
    return walk(case, Stage.DECIDED)


def test_a_case_relabelled_sensitive_is_404_to_the_discipline_role_until_its_clearance_is_raised(
        cast, walk, duty, login):
    case = decided_case(cast, walk)
    discipline = login(cast.discipline)
    assert discipline.get(f"/accountability/{case.pk}/").status_code == 200

    secadmin = login(cast.secadmin)
    page = secadmin.get("/accountability/labels/").content.decode()
    assert case.number in page and case.title not in page  # the number and label, nothing of the content
    response = secadmin.post(f"/accountability/{case.pk}/label/", {"label": "sensitive"})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).security_label == "sensitive"
    entry = AuditEntry.objects.get(event="security_label_changed", object_id=str(case.pk))
    assert entry.actor_id == cast.secadmin.pk
    assert entry.data["changes"]["security_label"] == ["general", "sensitive"]

    discipline = login(cast.discipline)
    assert discipline.get(f"/accountability/{case.pk}/").status_code == 404
    assert discipline.get(f"/accountability/{case.pk}/decision.docx").status_code == 404
    assert case.title not in discipline.get("/accountability/").content.decode()
    assert AuditEntry.objects.filter(event="authz_denied", object_type="accountability.case",
                                     object_id=str(case.pk), actor=cast.discipline).exists()

    secadmin = login(cast.secadmin)
    response = secadmin.post(f"/accounts/roles/{cast.discipline.pk}/clearance/", {"clearance": "sensitive"})
    assert response.status_code == 302
    assert User.objects.get(pk=cast.discipline.pk).clearance == "sensitive"
    assert AuditEntry.objects.filter(event="clearance_set", object_id=str(cast.discipline.pk)).exists()
    discipline = login(cast.discipline)
    assert discipline.get(f"/accountability/{case.pk}/").status_code == 200
    assert case.title in discipline.get("/accountability/").content.decode()

    login(cast.secadmin).post(f"/accountability/{case.pk}/label/", {"label": "core"})
    assert login(cast.discipline).get(f"/accountability/{case.pk}/").status_code == 404  # 核心 > 敏感


def test_the_subject_and_a_grantee_of_lower_clearance_get_404(cast, walk, duty, login):
    from duban.orgs import services as org

    person = org.person_create(name="周八", unit=cast.bajiao, title="站所干部")
    case = decided_case(cast, walk, person)
    subject = User.objects.create_user(username="zhouba", password="Qiu-Shui-Lake#2031", person=person,
                                       unit=cast.bajiao)
    services.grant_add(actor=cast.discipline, case=case, user=cast.leader)
    client = login(subject, "Qiu-Shui-Lake#2031")
    assert client.get(f"/accountability/mine/{case.pk}/").status_code == 200
    assert login(cast.leader).get(f"/accountability/{case.pk}/").status_code == 200
    services.case_relabel(actor=cast.secadmin, case=case, label="sensitive")
    client = login(subject, "Qiu-Shui-Lake#2031")
    assert client.get(f"/accountability/mine/{case.pk}/").status_code == 404
    assert case.title not in client.get("/accountability/mine/").content.decode()
    grantee = login(cast.leader)
    assert grantee.get(f"/accountability/{case.pk}/").status_code == 404
    assert case.title not in grantee.get("/accountability/mine/").content.decode()


def test_only_the_security_administrator_relabels_or_sets_a_clearance(cast, walk, duty, login):
    case = decided_case(cast, walk)
    discipline = login(cast.discipline)
    assert discipline.post(f"/accountability/{case.pk}/label/", {"label": "general"}).status_code in (403, 404)
    assert discipline.get("/accountability/labels/").status_code == 403
    sysadmin = login(cast.sysadmin)
    assert sysadmin.post(f"/accountability/{case.pk}/label/", {"label": "sensitive"}).status_code in (403, 404)
    assert sysadmin.post(f"/accounts/roles/{cast.discipline.pk}/clearance/",
                         {"clearance": "core"}).status_code in (403, 404)
    assert Case.objects.get(pk=case.pk).security_label == "general"
    assert User.objects.get(pk=cast.discipline.pk).clearance == "general"
    assert not AuditEntry.objects.filter(event__in=["security_label_changed", "clearance_set"]).exists()
    # bad input from the security administrator changes nothing and says why
    secadmin = login(cast.secadmin)
    response = secadmin.post(f"/accountability/{case.pk}/label/", {"label": "top-secret"})
    assert response.status_code == 400 and "请选择密级" in response.content.decode()
    response = secadmin.post(f"/accounts/roles/{cast.discipline.pk}/clearance/", {"clearance": "x"}, follow=True)
    assert "请选择密级权限" in response.content.decode()
    assert Case.objects.get(pk=case.pk).security_label == "general"
    assert User.objects.get(pk=cast.discipline.pk).clearance == "general"
    assert AuditEntry.objects.filter(event="clearance_set_refused").exists()

"""AC-07: responses omit (or mask) the fields the field matrix hides for the role — the matrix of
docs/data-inventory.md §"Field matrix", checked for every role through HTTP, API and pages: a
person's phone, petitioners' ID numbers, accountability cases and evaluation scores before
publication."""

import json
from datetime import date, timedelta

import pytest

from duban.accountability import services as cases
from duban.accountability.models import SourceKind, SubjectKind
from duban.core.models import AuditEntry
from duban.evaluation import services as evaluation_services
from duban.evaluation.models import UnitScore
from duban.orgs.models import Person
from duban.petitions import services as petition_services
from duban.tasks import lights

PHONE, MASKED = "13812341234", "138****1234"
ID, MASKED_ID = "11010519491231002X", "1101**********002X"

# role → (person page: "masked"/"reveal"/403, API person detail: "full"/"masked"/None = no API,
#          petition page: "full"/"masked"/403, draft evaluation visible, case visible)
MATRIX = {
    "supervisor": ("reveal", "full", "full", True, False),
    "leader": ("masked", "masked", "masked", False, False),
    "bajiao_liaison": ("masked", "masked", "masked", False, False),
    "bajiao_admin": ("reveal", "full", "masked", False, False),
    "discipline": ("masked", "masked", "masked", False, True),
    "sysadmin": ("reveal", None, 403, False, False),
    "secadmin": (403, None, 403, False, False),
    "auditor": (403, None, 403, False, False),
}


@pytest.fixture
def world(cast):
    Person.objects.filter(pk=cast.p_bajiao_a.pk).update(phone=PHONE)
    petition = petition_services.petition_register(
        actor=cast.supervisor, received_on=date.today(), channel="visit", place="芭蕉乡", matter_type="征地拆迁",
        matter="补偿", people_count=1, responsible_unit=cast.bajiao,
        petitioners=[{"name": "信访人", "id_number": ID, "phone": "13800001111"}])
    case = cases.case_open(actor=cast.discipline, title="违规发放补贴", source_kind=SourceKind.PETITION,
                           source_label="信访件 2026-118", subject_kind=SubjectKind.PERSON, person=cast.p_bajiao_a,
                           facts="违规发放补贴 3 万元。")
    return petition, case


def test_the_matrix_is_the_documented_one():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "data-inventory.md").read_text(encoding="utf-8")
    assert "## Field matrix (AC-07)" in doc
    for field in ("orgs.person.phone", "petitions.petitioner.id_number", "accountability.case",
                  "evaluation.unitscore"):
        assert f"`{field}`" in doc.split("## Field matrix (AC-07)")[1]


@pytest.mark.parametrize("who", list(MATRIX))
def test_pages_show_each_role_only_its_columns_of_the_matrix(cast, login, world, who):
    petition, case = world
    person_page, _api, petition_page, _draft, case_visible = MATRIX[who]
    client = login(getattr(cast, who))
    body = client.get(f"/orgs/people/{cast.p_bajiao_a.pk}/")
    if person_page == 403:
        assert body.status_code == 403 and PHONE not in body.content.decode()
    else:
        html = body.content.decode()
        assert body.status_code == 200 and MASKED in html and PHONE not in html
        assert ("查看完整信息" in html) == (person_page == "reveal")
    listing = client.get("/orgs/people/")
    assert PHONE not in listing.content.decode()

    body = client.get(f"/petitions/{petition.pk}/")
    if petition_page == 403:
        assert body.status_code == 403
    else:
        html = body.content.decode()
        assert body.status_code == 200 and (ID in html) == (petition_page == "full")
        assert petition_page == "full" or MASKED_ID in html
    assert ID not in client.get("/petitions/").content.decode()

    body = client.get(f"/accountability/{case.pk}/")
    assert (body.status_code == 200) == case_visible
    assert case_visible or "违规发放补贴 3 万元" not in body.content.decode()


@pytest.mark.parametrize("who", list(MATRIX))
def test_the_api_gives_each_role_only_its_columns_of_the_matrix(cast, client, world, who):
    _person_page, api, *_rest = MATRIX[who]
    user = getattr(cast, who)
    r = client.post("/api/auth/token", json.dumps({"username": user.username, "password": cast.password}),
                    content_type="application/json")
    if api is None:  # the administrators have no business API (AC-03)
        if r.status_code == 200:
            headers = {"HTTP_AUTHORIZATION": f"Bearer {r.json()['token']}"}
            assert client.get(f"/api/people/{cast.p_bajiao_a.pk}", **headers).status_code == 403
        else:
            assert r.status_code in (401, 403)
        return
    headers = {"HTTP_AUTHORIZATION": f"Bearer {r.json()['token']}"}
    listing = client.get("/api/people", **headers)
    assert listing.status_code == 200 and PHONE not in listing.content.decode()
    detail = client.get(f"/api/people/{cast.p_bajiao_a.pk}", **headers).json()
    assert detail["phone"] == (PHONE if api == "full" else MASKED)
    rows = AuditEntry.objects.filter(event="pii_viewed", actor=user).count()
    assert rows == (1 if api == "full" else 0)


@pytest.mark.parametrize("who", list(MATRIX))
def test_evaluation_scores_are_hidden_until_published(cast, login, who):
    from evaluation.world import build  # tests/evaluation/world.py: a small computed evaluation (a draft)

    w = build(cast)
    score = UnitScore.objects.get(evaluation=w.evaluation, unit=cast.bajiao)
    draft_visible = MATRIX[who][3]
    client = login(getattr(cast, who))
    for url in (f"/evaluation/{w.evaluation.pk}/", f"/evaluation/{w.evaluation.pk}/units/{cast.bajiao.pk}/"):
        body = client.get(url)
        assert (body.status_code == 200) == draft_visible, url
        if not draft_visible:
            assert body.status_code in (403, 404) and str(score.total) not in body.content.decode()
    today = lights.today()
    evaluation_services.evaluation_publish(actor=cast.supervisor, evaluation=w.evaluation, start=today,
                                           end=today + timedelta(days=7))
    body = client.get(f"/evaluation/{w.evaluation.pk}/units/{cast.bajiao.pk}/")
    if who in ("secadmin", "auditor", "sysadmin"):
        assert body.status_code == 403
    else:  # published: every evaluation reader sees 芭蕉's sheet (a unit its own subtree)
        assert body.status_code == 200 and str(score.total) in body.content.decode()

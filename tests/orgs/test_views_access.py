"""Who may open the directory pages at all: the function-permission side of every route."""

import pytest
from django.urls import reverse

from duban.core.models import AuditEntry
from duban.orgs import services as org

pytestmark = pytest.mark.django_db


@pytest.fixture
def routes(cast):
    absence = org.absence_create(person=cast.p_bajiao_a, kind="leave", start="2026-12-01", end="2026-12-02")
    group = org.group_save(name="督查工作领导小组", leader=cast.p_bajiao_a, office_unit=cast.office,
                           member_units=[cast.bajiao])
    unit, person, post = cast.bajiao.pk, cast.p_bajiao_a.pk, cast.post_bajiao.pk
    return {
        "read": [reverse("orgs:unit_tree"), reverse("orgs:unit_detail", args=[unit]),
                 reverse("orgs:unit_children", args=[unit]), reverse("orgs:person_list"),
                 reverse("orgs:person_detail", args=[person]), reverse("orgs:post_list"),
                 reverse("orgs:post_detail", args=[post]), reverse("orgs:post_acting", args=[post]),
                 reverse("orgs:group_list"), reverse("orgs:group_detail", args=[group.pk])],
        "edit": [reverse("orgs:unit_create", args=[unit]), reverse("orgs:unit_edit", args=[unit]),
                 reverse("orgs:unit_move", args=[unit]), reverse("orgs:unit_delete", args=[unit]),
                 reverse("orgs:person_create"), reverse("orgs:person_edit", args=[person]),
                 reverse("orgs:post_create"), reverse("orgs:post_edit", args=[post]),
                 reverse("orgs:group_create"), reverse("orgs:group_edit", args=[group.pk])],
        "post_only": [reverse("orgs:absence_create", args=[person]),
                      reverse("orgs:absence_delete", args=[absence.pk])],
    }


@pytest.mark.parametrize("who", ["auditor", "secadmin"])
def test_the_audit_and_security_administrators_get_403_on_every_directory_page(cast, login, routes, who):
    client = login(getattr(cast, who))
    denied = AuditEntry.objects.filter(event="authz_denied").count()
    urls = routes["read"] + routes["edit"]
    for url in urls:
        assert client.get(url).status_code == 403, url
    for url in routes["edit"] + routes["post_only"]:
        assert client.post(url, {"name": "x"}).status_code == 403, url
    assert AuditEntry.objects.filter(event="authz_denied").count() == denied + len(urls) + len(routes["edit"]) + 2


def test_anonymous_visitors_are_sent_to_the_login_page(client, cast, routes):
    for url in routes["read"] + routes["edit"]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/?next="), url
    for url in routes["post_only"]:
        assert client.post(url).status_code == 302, url


@pytest.mark.parametrize("who", ["supervisor", "sysadmin", "bajiao_admin"])
def test_editors_open_every_edit_page(cast, login, routes, who):
    client = login(getattr(cast, who))
    for url in routes["read"] + routes["edit"]:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["leader", "discipline", "bajiao_liaison"])
def test_readers_open_every_read_page_and_no_edit_page(cast, login, routes, who):
    client = login(getattr(cast, who))
    for url in routes["read"]:
        assert client.get(url).status_code == 200, url
    for url in routes["edit"]:
        assert client.get(url).status_code == 403, url
    html = client.get(routes["read"][1]).content.decode()
    assert "编辑" not in html.split("<main", 1)[1]


def test_reads_refuse_other_methods(cast, login, routes):
    client = login(cast.supervisor)
    for url in routes["read"]:
        assert client.post(url).status_code == 405, url
    for url in routes["post_only"]:
        assert client.get(url).status_code == 405, url


def test_the_directory_pages_speak_english_when_asked(cast, login):
    client = login(cast.supervisor)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get(reverse("orgs:person_list")).content.decode()
    assert ">People</h1>" in html and "Include subunits" in html and "Name or title" in html
    html = client.get(reverse("orgs:post_list")).content.decode()
    assert "Posts (A/B/C)" in html and "A holder at work" in html
    html = client.get(reverse("orgs:unit_detail", args=[cast.bajiao.pk])).content.decode()
    assert "Township / sub-district" in html and "New subunit" in html
    html = client.get(reverse("orgs:post_detail", args=[cast.post_bajiao.pk])).content.decode()
    assert "Who is acting" in html and ">Date</label>" in html


# Role × {own unit, subunit, sibling, parent} (STYLE.md §8): who sees the unit, its people and its posts.
SCOPE_MATRIX = [
    # user, unit seen from, own, subunit, sibling, parent
    ("bajiao_liaison", "bajiao", "xiaojiaping", "baiguo", "city"),
    ("bajiao_admin", "bajiao", "xiaojiaping", "baiguo", "city"),
    ("baiguo_liaison", "baiguo", "banzhuyuan", "bajiao", "city"),
    ("village_liaison", "xiaojiaping", None, None, "bajiao"),
]


@pytest.mark.parametrize("who, own, sub, sibling, parent", SCOPE_MATRIX)
def test_a_unit_user_sees_their_unit_and_subunits_but_not_siblings_or_parents(cast, login, who, own, sub, sibling,
                                                                               parent):
    client = login(getattr(cast, who))
    for unit_name, expected in ((own, 200), (sub, 200), (sibling, 404), (parent, 404)):
        if unit_name is None:
            continue
        unit = getattr(cast, unit_name)
        person = org.person_create(name=f"矩阵{unit_name}", unit=unit)
        post = org.post_create(unit=unit, title=f"矩阵岗位{unit_name}", a_holder=person)
        for url in (reverse("orgs:unit_detail", args=[unit.pk]), reverse("orgs:unit_children", args=[unit.pk]),
                    reverse("orgs:person_detail", args=[person.pk]), reverse("orgs:post_detail", args=[post.pk]),
                    reverse("orgs:post_acting", args=[post.pk])):
            assert client.get(url).status_code == expected, (url, unit_name)
        listed = client.get(reverse("orgs:person_list"), {"active": "all"}).content.decode()
        assert (person.name in listed) == (expected == 200)
        listed = client.get(reverse("orgs:post_list")).content.decode()
        assert (post.title in listed) == (expected == 200)

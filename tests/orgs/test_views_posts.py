"""Posts (ABC角): who is acting and why, the filters, and the post forms."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from duban.core.models import AuditEntry
from duban.orgs import selectors
from duban.orgs import services as org
from duban.orgs.models import Person, Post

from orgs_helpers import DIRECTORY_ROLES, entries, page

pytestmark = pytest.mark.django_db


@pytest.fixture
def a_on_leave(cast):
    today = selectors.today()
    return org.absence_create(person=cast.p_bajiao_a, kind="leave", start=today - timedelta(days=2),
                              end=today + timedelta(days=5))


@pytest.fixture
def baiguo_post(cast):
    return org.post_create(unit=cast.baiguo, title="信息员", a_holder=cast.p_baiguo)


# --- list -----------------------------------------------------------------------------------
@pytest.mark.parametrize("who", DIRECTORY_ROLES)
def test_the_post_list_renders_for_every_role_that_may_see_the_directory(cast, login, who):
    response = login(getattr(cast, who)).get(reverse("orgs:post_list"))
    assert response.status_code == 200
    assert "岗位(ABC角)</h1>" in page(response)


def test_the_list_shows_holders_and_that_a_is_at_work(cast, login, baiguo_post):
    html = page(login(cast.supervisor).get(reverse("orgs:post_list")))
    for text in ("督办联络员", "张三", "李四", "王五", "信息员", "赵六", "A角在岗"):
        assert text in html


def test_a_backup_acting_for_an_absent_a_holder_is_highlighted_with_the_reason(cast, login, a_on_leave):
    html = page(login(cast.bajiao_liaison).get(reverse("orgs:post_list")))
    reason = f"A角张三请假({a_on_leave.start}至{a_on_leave.end}),由B角代行"
    assert reason in html
    assert "B角 李四 代行" in html and 'class="table-warning"' in html


def test_a_liaison_sees_only_posts_of_their_subtree(cast, login, baiguo_post):
    html = page(login(cast.bajiao_liaison).get(reverse("orgs:post_list")))
    assert "督办联络员" in html and "信息员" not in html and "赵六" not in html


def test_filtering_posts_where_a_backup_or_nobody_is_acting(cast, login, a_on_leave, baiguo_post):
    client = login(cast.supervisor)
    html = page(client.get(reverse("orgs:post_list"), {"acting": "backup"}))
    assert "督办联络员" in html and "信息员" not in html
    html = page(client.get(reverse("orgs:post_list"), {"acting": "nobody"}))
    assert "督办联络员" not in html and "信息员" not in html
    today = selectors.today()
    org.absence_create(person=cast.p_baiguo, kind="trip", start=today, end=today)
    html = page(client.get(reverse("orgs:post_list"), {"acting": "nobody"}))
    assert "信息员" in html and "无人在岗" in html and "督办联络员" not in html


def test_an_inactive_a_holder_also_hands_over_to_the_backup(cast, login):
    Person.objects.filter(pk=cast.p_bajiao_a.pk).update(is_active=False)
    html = page(login(cast.supervisor).get(reverse("orgs:post_list"), {"acting": "backup"}))
    assert "督办联络员" in html and "B角 李四 代行" in html
    # The reason names why B acts: selectors' own wording once it counts inactive holders as
    # skipped, the page's fallback until then.
    assert re.search("A角张三已不在职,由B角代行|前序角色已不在职,由B角代行", html) and "A角在岗" not in html


def test_filtering_posts_by_unit_subtree(cast, login, baiguo_post):
    village_post = org.post_create(unit=cast.xiaojiaping, title="网格员", a_holder=cast.p_village)
    client = login(cast.supervisor)
    html = page(client.get(reverse("orgs:post_list"), {"unit": cast.bajiao.pk}))
    assert "督办联络员" in html and village_post.title in html and "信息员" not in html
    html = page(client.get(reverse("orgs:post_list"), {"unit": cast.bajiao.pk, "filtered": "1"}))
    assert "督办联络员" in html and village_post.title not in html


def test_the_post_list_uses_a_fixed_number_of_queries(cast, login, django_assert_max_num_queries):
    today = selectors.today()
    for i in range(40):
        a = org.person_create(name=f"甲{i}", unit=cast.bajiao)
        b = org.person_create(name=f"乙{i}", unit=cast.bajiao)
        c = org.person_create(name=f"丙{i}", unit=cast.xiaojiaping)
        org.post_create(unit=cast.bajiao, title=f"岗位{i:02d}", a_holder=a, b_holder=b, c_holder=c)
        if i % 3 == 0:
            org.absence_create(person=a, kind="leave", start=today, end=today)
    client = login(cast.bajiao_liaison)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("orgs:post_list"))
    assert "共 41 条" in page(response) and "由B角代行" in page(response)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("orgs:post_list"), {"acting": "backup"})
    assert "共 14 条" in page(response)


# --- detail ---------------------------------------------------------------------------------
def test_the_post_page_shows_holders_duties_and_who_acts_today(cast, login, a_on_leave):
    Post.objects.filter(pk=cast.post_bajiao.pk).update(duties="负责督办事项的联络")
    html = page(login(cast.supervisor).get(reverse("orgs:post_detail", args=[cast.post_bajiao.pk])))
    for text in ("督办联络员", "芭蕉侗族乡", "负责督办事项的联络", "张三", "李四", "王五", "由B角代行"):
        assert text in html
    assert reverse("orgs:post_acting", args=[cast.post_bajiao.pk]) in html


def test_asking_who_acts_on_another_date(cast, login, a_on_leave):
    client = login(cast.bajiao_liaison)
    url = reverse("orgs:post_acting", args=[cast.post_bajiao.pk])
    html = page(client.get(url, {"on": str(a_on_leave.start)}, HTTP_HX_REQUEST="true"))
    assert "李四" in html and "由B角代行" in html and "<html" not in html
    html = page(client.get(url, {"on": str(a_on_leave.end + timedelta(days=1))}, HTTP_HX_REQUEST="true"))
    assert "张三" in html and "A角在岗" in html
    # Without htmx, the same question through the page's own form.
    html = page(client.get(reverse("orgs:post_detail", args=[cast.post_bajiao.pk]),
                           {"on": str(a_on_leave.start)}))
    assert "由B角代行" in html and "<html" in html


def test_an_invalid_date_is_answered_with_an_error(cast, login):
    client = login(cast.supervisor)
    response = client.get(reverse("orgs:post_acting", args=[cast.post_bajiao.pk]), {"on": "2026-02-30"})
    assert response.status_code == 400
    assert "输入一个有效的日期。" in page(response)
    # htmx only swaps in 2xx answers, so the partial it asked for says the error with a 200.
    response = client.get(reverse("orgs:post_acting", args=[cast.post_bajiao.pk]), {"on": "2026-02-30"},
                          HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "输入一个有效的日期。" in page(response)
    response = client.get(reverse("orgs:post_detail", args=[cast.post_bajiao.pk]), {"on": "yesterday"})
    assert response.status_code == 400 and "输入一个有效的日期。" in page(response)


@pytest.mark.parametrize("who", ["bajiao_liaison", "bajiao_admin", "village_liaison"])
def test_posts_outside_the_users_subtree_do_not_exist_for_them(cast, login, baiguo_post, who):
    client = login(getattr(cast, who))
    target = baiguo_post if who != "village_liaison" else cast.post_bajiao
    for name in ("post_detail", "post_acting", "post_edit"):
        expected = 403 if name == "post_edit" and who != "bajiao_admin" else 404
        assert client.get(reverse(f"orgs:{name}", args=[target.pk])).status_code == expected


# --- create and edit ------------------------------------------------------------------------
def test_creating_a_post_with_holders_from_the_unit_and_its_neighbours(cast, login):
    client = login(cast.bajiao_admin)
    form = page(client.get(reverse("orgs:post_create"), {"unit": cast.bajiao.pk}))
    assert "张三" in form and "孙七" in form  # own unit and a direct subunit
    assert "赵六" not in form
    before = entries("post_created")
    response = client.post(reverse("orgs:post_create"), {
        "unit": cast.bajiao.pk, "title": "安全生产联络员", "a_holder": cast.p_bajiao_b.pk,
        "b_holder": cast.p_village.pk, "c_holder": "", "duties": "安全生产信息报送"}, follow=True)
    post = Post.objects.get(title="安全生产联络员")
    assert (post.unit, post.a_holder, post.b_holder, post.c_holder) == (cast.bajiao, cast.p_bajiao_b,
                                                                        cast.p_village, None)
    assert entries("post_created") == before + 1
    assert "已新建岗位“安全生产联络员”" in page(response)


def test_changing_the_unit_reloads_the_holder_choices(cast, login):
    client = login(cast.supervisor)
    response = client.get(reverse("orgs:post_create"), {"unit": cast.baiguo.pk, "title": "信息员"},
                          HTTP_HX_REQUEST="true")
    html = page(response)
    assert 'id="post-form-fields"' in html and "<html" not in html
    assert "赵六" in html and "张三" not in html and 'value="信息员"' in html


@pytest.mark.parametrize("overrides, message", [
    ({"b_holder": "a"}, "B角不能与A角是同一人。"),
    ({"c_holder": "a"}, "C角不能与A角是同一人。"),
    ({"b_holder": "", "c_holder": "c"}, "请先设置B角,再设置C角。"),
    ({"title": "督办联络员"}, "芭蕉侗族乡已有岗位“督办联络员”。"),
    ({"title": ""}, "这个字段是必填项。"),
    ({"a_holder": ""}, "这个字段是必填项。"),
    ({"a_holder": "baiguo"}, "选择一个有效的选项"),
])
def test_creating_a_post_with_bad_holders_or_title_changes_nothing(cast, login, overrides, message):
    people = {"a": cast.p_bajiao_a.pk, "b": cast.p_bajiao_b.pk, "c": cast.p_bajiao_c.pk, "baiguo": cast.p_baiguo.pk}
    data = {"unit": cast.bajiao.pk, "title": "新岗位", "a_holder": "a", "b_holder": "b", "c_holder": "", "duties": ""}
    data.update(overrides)
    data = {k: people.get(v, v) if k.endswith("_holder") else v for k, v in data.items()}
    client = login(cast.supervisor)
    count, ledger = Post.objects.count(), AuditEntry.objects.count()
    response = client.post(reverse("orgs:post_create"), data)
    assert response.status_code == 400
    assert message in page(response)
    assert Post.objects.count() == count and AuditEntry.objects.count() == ledger


def post_data(post, **overrides):
    data = {"unit": post.unit_id, "title": post.title, "duties": post.duties, "a_holder": post.a_holder_id,
            "b_holder": post.b_holder_id or "", "c_holder": post.c_holder_id or "", "version": post.version}
    data.update(overrides)
    return data


def test_editing_a_post_swaps_holders_with_one_ledger_entry(cast, login):
    client = login(cast.bajiao_admin)
    before = entries("post_updated")
    response = client.post(reverse("orgs:post_edit", args=[cast.post_bajiao.pk]),
                           post_data(cast.post_bajiao, a_holder=cast.p_bajiao_b.pk, b_holder=cast.p_bajiao_a.pk))
    assert response.status_code == 302
    post = Post.objects.get(pk=cast.post_bajiao.pk)
    assert (post.a_holder, post.b_holder, post.version) == (cast.p_bajiao_b, cast.p_bajiao_a, 2)
    assert entries("post_updated") == before + 1


def test_editing_a_post_with_b_equal_to_a_is_refused_inline(cast, login):
    client = login(cast.supervisor)
    ledger = AuditEntry.objects.count()
    response = client.post(reverse("orgs:post_edit", args=[cast.post_bajiao.pk]),
                           post_data(cast.post_bajiao, b_holder=cast.p_bajiao_a.pk))
    assert response.status_code == 400
    html = page(response)
    assert "B角不能与A角是同一人。" in html and "编辑岗位:督办联络员" in html
    post = Post.objects.get(pk=cast.post_bajiao.pk)
    assert (post.a_holder, post.b_holder, post.version) == (cast.p_bajiao_a, cast.p_bajiao_b, 1)
    assert AuditEntry.objects.count() == ledger


def test_a_stale_post_edit_is_refused(cast, login):
    client = login(cast.supervisor)
    stale = post_data(cast.post_bajiao, title="旧页面的岗位名")
    org.post_update(post=Post.objects.get(pk=cast.post_bajiao.pk), duties="别人先改", expected_version=1)
    response = client.post(reverse("orgs:post_edit", args=[cast.post_bajiao.pk]), stale)
    assert response.status_code == 400
    assert "该记录已被他人修改,请刷新后重试。" in page(response)
    post = Post.objects.get(pk=cast.post_bajiao.pk)
    assert (post.title, post.duties) == ("督办联络员", "别人先改")


def test_a_holder_who_moved_away_stays_choosable_when_editing(cast, login):
    org.person_update(person=Person.objects.get(pk=cast.p_bajiao_c.pk), unit=cast.baiguo)
    client = login(cast.supervisor)
    assert "王五" in page(client.get(reverse("orgs:post_edit", args=[cast.post_bajiao.pk])))
    post = Post.objects.get(pk=cast.post_bajiao.pk)
    response = client.post(reverse("orgs:post_edit", args=[post.pk]), post_data(post, duties="照旧"))
    assert response.status_code == 302
    assert Post.objects.get(pk=post.pk).c_holder_id == cast.p_bajiao_c.pk


@pytest.mark.parametrize("who", ["bajiao_liaison", "discipline"])
def test_readers_cannot_create_or_edit_posts(cast, login, who):
    client = login(getattr(cast, who))
    assert client.get(reverse("orgs:post_create")).status_code == 403
    response = client.post(reverse("orgs:post_edit", args=[cast.post_bajiao.pk]),
                           post_data(cast.post_bajiao, title="被改了"))
    assert response.status_code == 403
    assert Post.objects.get(pk=cast.post_bajiao.pk).title == "督办联络员"


def test_a_unit_admin_can_edit_a_post_whose_backup_sits_above_their_subtree(cast, login):
    clerk = org.person_create(name="钱九", unit=cast.office, title="督查室干事")
    post = org.post_update(post=Post.objects.get(pk=cast.post_bajiao.pk), c_holder=clerk)
    client = login(cast.bajiao_admin)
    form = page(client.get(reverse("orgs:post_edit", args=[post.pk])))
    assert "钱九" in form and "赵六" not in form
    response = client.post(reverse("orgs:post_edit", args=[post.pk]), post_data(post, duties="新职责"))
    assert response.status_code == 302
    post = Post.objects.get(pk=post.pk)
    assert (post.duties, post.c_holder) == ("新职责", clerk)
    # They still cannot pick a new holder from outside their subtree.
    response = client.post(reverse("orgs:post_edit", args=[post.pk]), post_data(post, b_holder=cast.p_baiguo.pk))
    assert response.status_code == 400 and "选择一个有效的选项" in page(response)

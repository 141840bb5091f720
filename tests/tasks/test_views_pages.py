"""The task pages read through the browser's eyes: todo, the responsibility list, the task
page, sources, the Excel ledger and the evidence download — and what each role may not see."""

from datetime import timedelta
from io import BytesIO
from urllib.parse import quote

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from duban.core.models import AuditEntry
from duban.orgs import services as org
from duban.orgs.models import AbsenceKind
from duban.tasks import services as svc
from duban.tasks.models import Evidence, Task

from .helpers import a_pdf


def html(response) -> str:
    return response.content.decode()


# --- access ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tasks:todo", "tasks:list", "tasks:sources", "tasks:export"])
@pytest.mark.parametrize("who", ["auditor", "secadmin", "sysadmin"])
def test_the_administrators_get_403_on_every_task_page(build, login, name, who):
    client = login(getattr(build.cast, who))
    assert client.get(reverse(name)).status_code == 403


def test_a_task_page_and_its_evidence_are_403_for_the_auditor(build, login):
    task = build.completion_requested()
    evidence = Evidence.objects.get(task=task)
    client = login(build.cast.auditor)
    assert client.get(reverse("tasks:detail", args=[task.pk])).status_code == 403
    assert client.get(reverse("tasks:evidence_download", args=[evidence.pk])).status_code == 403


def test_anonymous_users_are_sent_to_the_login_page(build, client):
    task = build.completion_requested()
    evidence = Evidence.objects.get(task=task)
    for url in (reverse("tasks:todo"), reverse("tasks:detail", args=[task.pk]),
                reverse("tasks:evidence_download", args=[evidence.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_townships_liaison_gets_404_for_the_task_and_its_evidence(build, login):
    task = build.completion_requested()
    evidence = Evidence.objects.get(task=task)
    client = login(build.cast.baiguo_liaison)
    denied = AuditEntry.objects.filter(event="authz_denied").count()
    assert client.get(reverse("tasks:detail", args=[task.pk])).status_code == 404
    assert client.get(reverse("tasks:evidence_download", args=[evidence.pk])).status_code == 404
    assert AuditEntry.objects.filter(event="authz_denied").count() == denied + 2


def test_media_is_never_served_directly(build, login):
    task = build.completion_requested()
    evidence = Evidence.objects.get(task=task)
    client = login(build.cast.supervisor)
    assert client.get("/media/" + evidence.storage_name).status_code == 404


# --- my todo -----------------------------------------------------------------------------------
def test_the_liaison_sees_a_new_task_to_acknowledge_with_counts_on_the_tabs(build, login):
    task = build.assigned(post=build.cast.post_bajiao, title="建设文明乡村示范点")
    response = login(build.cast.bajiao_liaison).get(reverse("tasks:todo"))
    assert response.status_code == 200
    page = html(response)
    assert "待签收" in page and "待填报" in page and "待审核" in page and "待审批延期" in page
    assert "建设文明乡村示范点" in page
    assert reverse("tasks:detail", args=[task.pk]) in page
    assert response.context["tabs"][0]["count"] == 1
    assert "代A角" not in page  # 张三 is the A holder himself


def test_the_backup_sees_the_a_holders_todo_while_a_is_on_leave(build, login):
    c = build.cast
    build.assigned(post=c.post_bajiao, title="建设文明乡村示范点")
    assert "建设文明乡村示范点" not in html(login(c.bajiao_b).get(reverse("tasks:todo")))
    org.absence_create(person=c.p_bajiao_a, kind=AbsenceKind.LEAVE, start=build.today,
                       end=build.today + timedelta(days=3))
    page = html(login(c.bajiao_b).get(reverse("tasks:todo")))
    assert "建设文明乡村示范点" in page
    assert "代A角张三办理" in page


def test_the_supervisor_reviews_completions_and_extensions_from_the_todo(build, login):
    c = build.cast
    task = build.completion_requested(title="完成村道硬化")
    other = build.in_progress(title="推进产业园建设")
    svc.extension_request(actor=c.bajiao_liaison, task=other, requested_due=other.due_date + timedelta(days=10),
                          reason="汛期影响施工")
    client = login(c.supervisor)
    response = client.get(reverse("tasks:todo"))
    counts = {t["key"]: t["count"] for t in response.context["tabs"]}
    assert counts["review"] == 1 and counts["extensions"] == 1
    assert "完成村道硬化" in html(client.get(reverse("tasks:todo") + "?tab=review"))
    page = html(client.get(reverse("tasks:todo") + "?tab=extensions"))
    assert "汛期影响施工" in page and reverse("tasks:detail", args=[other.pk]) in page
    assert task.pk


def test_a_tab_switch_by_htmx_returns_only_the_panel(build, login):
    build.assigned()
    response = login(build.cast.bajiao_liaison).get(
        reverse("tasks:todo") + "?tab=report", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="todo-panel")
    page = html(response)
    assert response.status_code == 200
    assert 'id="todo-panel"' in page and "<html" not in page


# --- the responsibility list ---------------------------------------------------------------------
def test_the_list_shows_numbering_lights_and_statuses(build, login):
    goal = build.assigned(title="乡村振兴")
    child = build.task(parent=goal, title="产业振兴", due_in=30)
    build.task(parent=child, title="建设茶叶基地", due_in=20)
    response = login(build.cast.supervisor).get(reverse("tasks:list"))
    page = html(response)
    assert response.status_code == 200
    root = goal.tree_number
    for number in (root, f"{root}.1", f"{root}.1.1"):
        assert f">{number}<" in page
    assert 'class="light light-green"' in page and "绿灯" in page
    assert "已交办" in page and "草稿" in page


def test_a_liaison_lists_only_tasks_in_their_subtree(build, login):
    c = build.cast
    build.assigned(title="芭蕉的任务")
    build.assigned(title="白果的任务", lead=c.baiguo)
    page = html(login(c.bajiao_liaison).get(reverse("tasks:list")))
    assert "芭蕉的任务" in page and "白果的任务" not in page


def test_filters_search_and_sort_narrow_the_list(build, login):
    c = build.cast
    build.assigned(title="建设茶叶基地", detail="种植白茶一千亩")
    build.assigned(title="修建村级公路", lead=c.baiguo, due_in=10)
    client = login(c.supervisor)
    page = html(client.get(reverse("tasks:list"), {"q": "白茶"}))
    assert "建设茶叶基地" in page and "修建村级公路" not in page
    page = html(client.get(reverse("tasks:list"), {"unit": c.baiguo.pk}))
    assert "修建村级公路" in page and "建设茶叶基地" not in page
    page = html(client.get(reverse("tasks:list"), {"light": "yellow"}))
    assert "修建村级公路" not in page or "黄灯" in page
    response = client.get(reverse("tasks:list"), {"sort": "due"})
    assert [t.title for t in response.context["page"]] == ["修建村级公路", "建设茶叶基地"]
    response = client.get(reverse("tasks:list"), {"sort": "-due"})
    assert [t.title for t in response.context["page"]] == ["建设茶叶基地", "修建村级公路"]


def test_the_yellow_filter_keeps_only_tasks_near_their_due_date(build, login):
    c = build.cast
    build.assigned(title="临期任务", due_in=3)
    build.assigned(title="远期任务", due_in=90)
    response = login(c.supervisor).get(reverse("tasks:list"), {"light": "yellow"})
    assert [t.title for t in response.context["page"]] == ["临期任务"]
    assert "黄灯" in html(response)


def test_one_person_one_list_shows_the_tasks_of_the_chosen_person(build, login):
    c = build.cast
    build.assigned(title="张三的任务", post=c.post_bajiao)
    build.assigned(title="没有岗位的任务")
    client = login(c.supervisor)
    response = client.get(reverse("tasks:list"), {"mode": "person", "person": c.p_bajiao_a.pk})
    assert [t.title for t in response.context["page"]] == ["张三的任务"]
    response = client.get(reverse("tasks:list"), {"mode": "person"})
    assert list(response.context["page"]) == []  # the supervisor has no person: nobody chosen yet
    response = login(c.bajiao_liaison).get(reverse("tasks:list"), {"mode": "person"})
    assert [t.title for t in response.context["page"]] == ["张三的任务"]  # defaults to oneself


def test_the_list_paginates(build, login):
    for i in range(28):
        build.task(title=f"任务{i:02d}")
    client = login(build.cast.supervisor)
    response = client.get(reverse("tasks:list"), {"per_page": 25})
    assert len(response.context["page"]) == 25 and response.context["page"].paginator.num_pages == 2
    response = client.get(reverse("tasks:list"), {"per_page": 25, "page": 2})
    assert len(response.context["page"]) == 3


def test_filtering_by_htmx_returns_only_the_results(build, login):
    build.assigned(title="建设茶叶基地")
    response = login(build.cast.supervisor).get(reverse("tasks:list"), {"q": "茶叶"}, HTTP_HX_REQUEST="true",
                                                 HTTP_HX_TARGET="task-results")
    page = html(response)
    assert 'id="task-results"' in page and "<html" not in page and "建设茶叶基地" in page


def test_export_downloads_the_filtered_list_as_xlsx(build, login):
    c = build.cast
    build.assigned(title="建设茶叶基地")
    build.assigned(title="修建村级公路", lead=c.baiguo)
    response = login(c.supervisor).get(reverse("tasks:export"), {"unit": c.bajiao.pk})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
    assert quote("督办台账") in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    sheet = load_workbook(BytesIO(response.content)).worksheets[0]
    titles = [row[2] for row in sheet.iter_rows(min_row=5, values_only=True)]
    assert titles == ["建设茶叶基地"]
    # The export is in the ledger: who took it, how many rows (AU-01).
    from duban.core.models import AuditEntry

    entry = AuditEntry.objects.filter(event="tasks_exported").latest("seq")
    assert entry.actor == c.supervisor and entry.data == {"rows": 1, "drafts": False}


def test_a_liaisons_export_contains_only_their_subtree(build, login):
    c = build.cast
    build.assigned(title="芭蕉的任务")
    build.assigned(title="白果的任务", lead=c.baiguo)
    response = login(c.bajiao_liaison).get(reverse("tasks:export"))
    sheet = load_workbook(BytesIO(response.content)).worksheets[0]
    assert [row[2] for row in sheet.iter_rows(min_row=5, values_only=True)] == ["芭蕉的任务"]


# --- the task page -----------------------------------------------------------------------------
def test_the_task_page_shows_everything_about_the_task(build, login):
    c = build.cast
    goal = build.assigned(title="乡村振兴", target_number=10, target_measure="个", target_object="示范村")
    task = build.task(parent=goal, title="建设示范村", post=c.post_bajiao, due_in=30, co_units=[c.baiguo],
                      responsible_leader=c.p_bajiao_a)
    svc.task_assign(actor=c.supervisor, task=task)
    svc.task_acknowledge(actor=c.bajiao_liaison, task=task)
    svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="已完成三个村的规划", percent=30, quantity=3,
                      files=[a_pdf("规划.pdf")])
    org.absence_create(person=c.p_bajiao_a, kind=AbsenceKind.LEAVE, start=build.today,
                       end=build.today + timedelta(days=3))
    response = login(c.supervisor).get(reverse("tasks:detail", args=[task.pk]))
    page = html(response)
    assert response.status_code == 200
    assert reverse("tasks:detail", args=[goal.pk]) in page  # breadcrumbs through the ancestors
    for text in ("建设示范村", "芭蕉侗族乡", "白果乡", "督办联络员", "李四", "B角代行", "已完成三个村的规划",
                 "规划.pdf", "30%", "办理中", "每月", "签收", "报送进展"):
        assert text in page, text
    evidence = Evidence.objects.get(task=task)
    assert reverse("tasks:evidence_download", args=[evidence.pk]) in page
    timeline = response.context["timeline"]
    assert [e["event"] for e in timeline][:3] == ["创建任务", "交办", "签收"]
    assert timeline[1]["from"] == "草稿" and timeline[1]["to"] == "已交办"
    goal_page = html(login(c.supervisor).get(reverse("tasks:detail", args=[goal.pk])))
    assert "建设示范村" in goal_page and "下级任务" in goal_page and "10个示范村" in goal_page


def test_the_task_page_offers_only_what_the_user_may_do_now(build, login):
    c = build.cast
    task = build.assigned()

    def keys(user):
        return [a["key"] for a in login(user).get(reverse("tasks:detail", args=[task.pk])).context["actions"]]

    assert keys(c.bajiao_liaison) == ["acknowledge", "extension"]
    assert keys(c.supervisor) == ["cancel"]
    assert keys(c.leader) == ["instruct"]
    assert keys(c.discipline) == []
    assert login(c.village_liaison).get(reverse("tasks:detail", args=[task.pk])).status_code == 404


def test_breadcrumbs_do_not_reveal_ancestors_outside_the_users_scope(build, login):
    c = build.cast
    parent = build.assigned(title="芭蕉乡的上级任务")
    child = svc.task_assign(actor=c.supervisor, task=build.task(parent=parent, title="肖家坪村的任务",
                                                                lead=c.xiaojiaping, due_in=30))
    response = login(c.village_liaison).get(reverse("tasks:detail", args=[child.pk]))
    page = html(response)
    assert response.status_code == 200 and "肖家坪村的任务" in page
    assert "芭蕉乡的上级任务" not in page and reverse("tasks:detail", args=[parent.pk]) not in page
    assert f">{parent.tree_number}<" in page  # the number only, as a position in the tree
    page = html(login(c.bajiao_liaison).get(reverse("tasks:detail", args=[child.pk])))
    assert "芭蕉乡的上级任务" in page


def test_the_task_pages_are_complete_in_english(build, login):
    task = build.assigned(post=build.cast.post_bajiao)
    client = login(build.cast.bajiao_liaison)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = html(client.get(reverse("tasks:list")))
    for text in ("Responsibility list", "Unit list", "Person list", "Export ledger", "Filter", "Green"):
        assert text in page, text
    assert "责任清单" not in page and "导出台账" not in page
    page = html(client.get(reverse("tasks:detail", args=[task.pk])))
    assert "History" in page and "Details" in page and "(A holder)" in page
    assert "办理记录" not in page and "基本信息" not in page
    page = html(client.get(reverse("tasks:todo")))
    assert "To acknowledge" in page and "Extensions to decide" in page


@pytest.mark.parametrize("sort, expected", [
    ("title", ["乙任务", "甲任务"]),  # code-point order of the titles
    ("-title", ["甲任务", "乙任务"]),
    ("unit", None),  # the order of the units in the tree (sibling order follows the database's collation)
    ("light", ["乙任务", "甲任务"]),  # yellow (due soon) before green
])
def test_the_list_sorts_by_title_unit_and_light(build, login, sort, expected):
    c = build.cast
    build.assigned(title="乙任务", due_in=3)
    build.assigned(title="甲任务", lead=c.baiguo, due_in=90)
    if expected is None:
        from duban.orgs.models import Unit

        baiguo_first = Unit.objects.get(pk=c.baiguo.pk).path < Unit.objects.get(pk=c.bajiao.pk).path
        expected = ["甲任务", "乙任务"] if baiguo_first else ["乙任务", "甲任务"]
    response = login(c.supervisor).get(reverse("tasks:list"), {"sort": sort})
    assert [t.title for t in response.context["page"]] == expected


def test_garbage_in_the_query_string_never_breaks_the_list(build, login):
    build.assigned(title="建设茶叶基地")
    client = login(build.cast.supervisor)
    for query in ({"unit": "abc"}, {"due_from": "明天"}, {"sort": "password"}, {"per_page": "5000"},
                  {"page": "-1"}, {"status": "hacked"}, {"light": "purple"}, {"mode": "<script>"}):
        response = client.get(reverse("tasks:list"), query)
        assert response.status_code == 200, query
        assert "建设茶叶基地" in html(response), query
    assert client.get(reverse("tasks:export"), {"unit": "abc"}).status_code == 200
    assert client.get(reverse("tasks:todo"), {"tab": "<x>", "page": "z"}).status_code == 200


def test_every_column_header_link_sorts_the_list(build, login):
    from duban.tasks.forms import TaskFilterForm
    from duban.tasks.selectors import SORTS

    assert {key for key, _label in TaskFilterForm.SORTS} == set(SORTS)
    build.assigned(title="建设茶叶基地")
    response = login(build.cast.supervisor).get(reverse("tasks:list"), {"sort": "-unit"})
    unit = next(c for c in response.context["columns"] if c["key"] == "unit")
    assert unit["direction"] == "descending" and unit["next"] == "unit"


def test_progress_sorts_highest_first(build, login):
    c = build.cast
    low = build.in_progress(title="进度低")
    high = build.in_progress(title="进度高")
    svc.report_submit(actor=c.bajiao_liaison, task=low, narrative="刚开始", percent=10)
    svc.report_submit(actor=c.bajiao_liaison, task=high, narrative="快完成", percent=90)
    client = login(c.supervisor)
    response = client.get(reverse("tasks:list"))
    percent = next(col for col in response.context["columns"] if col["key"] == "percent")
    assert percent["next"] == "-percent"
    response = client.get(reverse("tasks:list"), {"sort": "-percent"})
    assert [t.title for t in response.context["page"]] == ["进度高", "进度低"]
    assert next(col for col in response.context["columns"] if col["key"] == "percent")["next"] == "percent"


def test_the_list_counts_its_lights_and_each_count_filters(build, login):
    c = build.cast
    build.assigned(title="临期一", due_in=2)
    build.assigned(title="临期二", due_in=3)
    build.assigned(title="平稳", due_in=90)
    build.task(title="草稿")
    build.assigned(title="白果的", lead=c.baiguo, due_in=2)
    client = login(c.supervisor)
    response = client.get(reverse("tasks:list"), {"unit": c.bajiao.pk})
    assert response.context["light_summary"] == [("red", 0), ("yellow", 2), ("green", 1), ("grey", 1)]
    assert "light=yellow" in html(response)
    response = client.get(reverse("tasks:list"), {"unit": c.bajiao.pk, "light": "yellow"})
    assert sorted(t.title for t in response.context["page"]) == ["临期一", "临期二"]
    assert response.context["light_summary"][1] == ("yellow", 2)  # the chips still count every light
    assert response.context["light_summary"][2] == ("green", 1)
    liaison = login(c.bajiao_liaison).get(reverse("tasks:list"))
    assert liaison.context["light_summary"] == [("red", 0), ("yellow", 2), ("green", 1), ("grey", 0)]


# --- the home page ------------------------------------------------------------------------------
def test_the_home_page_shows_the_todo_the_lights_and_the_directory_of_the_users_scope(build, login):
    c = build.cast
    build.completion_requested(title="待审核的任务")
    late = build.assigned(title="超期的任务")
    Task.objects.filter(pk=late.pk).update(start_date=None, due_date=build.today - timedelta(days=3))
    build.assigned(title="白果的任务", lead=c.baiguo)
    response = login(c.supervisor).get(reverse("core:home"))
    assert response.status_code == 200
    assert response.context["todo"]["to_review"] == 1
    assert response.context["lights"] == {"total": 3, "red": 1, "yellow": 0, "green": 2}
    assert [t.title for t in response.context["red_tasks"]] == ["超期的任务"]
    assert response.context["unit_count"] > 1
    page = html(response)
    assert "超期的任务" in page and reverse("tasks:detail", args=[late.pk]) in page
    # A liaison's numbers cover their township only.
    response = login(c.bajiao_liaison).get(reverse("core:home"))
    assert response.context["lights"]["total"] == 2 and "白果的任务" not in html(response)


def test_the_home_page_without_task_rights_shows_no_task_numbers(build, login):
    response = login(build.cast.auditor).get(reverse("core:home"))
    assert response.status_code == 200
    assert "todo" not in response.context and "lights" not in response.context

"""The 督查室's forms: create and edit a task, decompose it in bulk, record sources, import a
task list from Excel. Failed submissions re-render with inline errors (400) and change nothing."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from duban.tasks.models import Milestone, Source, Task, TaskStatus

from .helpers import a_pdf, state, upload


def html(response) -> str:
    return response.content.decode()


def task_data(build, **overrides):
    c = build.cast
    data = {
        "title": "建设茶叶基地", "detail": "新建标准化茶园", "category": build.category.pk, "lead_unit": c.bajiao.pk,
        "co_units": [c.baiguo.pk], "responsible_leader": c.p_bajiao_a.pk, "responsible_post": c.post_bajiao.pk,
        "start_date": build.today.isoformat(), "due_date": (build.today + timedelta(days=90)).isoformat(),
        "reporting_cycle": "monthly", "target_number": "1000", "target_measure": "亩", "target_object": "茶园",
        "milestones": f"{(build.today + timedelta(days=30)):%Y-%m-%d} 完成选址\n",
    }
    data.update(overrides)
    return data


def xlsx(rows) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "任务名称", "牵头单位", "完成时限"])
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "任务清单.xlsx"
    return buf


# --- create / edit -------------------------------------------------------------------------------
def test_the_supervisor_creates_a_task_with_every_field(build, login):
    c = build.cast
    client = login(c.supervisor)
    assert client.get(reverse("tasks:create")).status_code == 200
    response = client.post(reverse("tasks:create"), task_data(build))
    task = Task.objects.get(title="建设茶叶基地")
    assert response.status_code == 302 and response["Location"] == reverse("tasks:detail", args=[task.pk])
    assert task.status == TaskStatus.DRAFT and task.lead_unit == c.bajiao and task.responsible_post == c.post_bajiao
    assert list(task.co_units.all()) == [c.baiguo] and task.target_display == "1000亩茶园"
    assert [m.name for m in Milestone.objects.filter(task=task)] == ["完成选址"]


def test_a_subtask_is_created_under_its_parent(build, login):
    parent = build.task(title="乡村振兴")
    client = login(build.cast.supervisor)
    page = html(client.get(reverse("tasks:create"), {"parent": parent.pk}))
    assert "乡村振兴" in page
    response = client.post(reverse("tasks:create") + f"?parent={parent.pk}",
                           task_data(build, due_date=(build.today + timedelta(days=30)).isoformat()))
    assert response.status_code == 302
    child = Task.objects.get(title="建设茶叶基地")
    assert child.get_parent() == parent and child.tree_number == f"{parent.tree_number}.1"


def test_a_bad_task_form_is_400_with_inline_errors_and_creates_nothing(build, login):
    client = login(build.cast.supervisor)
    before = state()
    response = client.post(reverse("tasks:create"), task_data(
        build, title="", due_date=(build.today - timedelta(days=1)).isoformat(), milestones="明天 开会"))
    assert response.status_code == 400
    page = html(response)
    assert "is-invalid" in page and "第 1 行应为" in page
    response = client.post(reverse("tasks:create"), task_data(
        build, due_date=(build.today - timedelta(days=1)).isoformat()))
    assert response.status_code == 400 and "完成时限不能早于开始日期" in html(response)
    assert state() == before


@pytest.mark.parametrize("who", ["bajiao_liaison", "leader", "bajiao_admin"])
def test_only_the_supervision_office_creates_and_edits(build, login, who):
    task = build.task()
    client = login(getattr(build.cast, who))
    before = state()
    assert client.get(reverse("tasks:create")).status_code == 403
    assert client.post(reverse("tasks:create"), task_data(build)).status_code == 403
    assert client.post(reverse("tasks:edit", args=[task.pk]), task_data(build, version=task.version)).status_code == 403
    assert client.post(reverse("tasks:decompose", args=[task.pk]), {}).status_code == 403
    assert state() == before


def test_editing_a_task_saves_and_a_stale_edit_is_refused(build, login):
    task = build.task()
    client = login(build.cast.supervisor)
    form = client.get(reverse("tasks:edit", args=[task.pk]))
    assert form.status_code == 200 and "推进基层党建示范点建设" in html(form)
    stale = task.version
    response = client.post(reverse("tasks:edit", args=[task.pk]), task_data(build, title="新标题", version=stale))
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).title == "新标题"
    before = state()
    response = client.post(reverse("tasks:edit", args=[task.pk]), task_data(build, title="另一个标题", version=stale))
    assert response.status_code == 400 and "已被他人修改" in html(response)
    assert state() == before


# --- decompose -----------------------------------------------------------------------------------
def rows(*children):
    data = {"rows-TOTAL_FORMS": str(len(children)), "rows-INITIAL_FORMS": "0", "rows-MIN_NUM_FORMS": "0",
            "rows-MAX_NUM_FORMS": "200"}
    for i, child in enumerate(children):
        for key, value in child.items():
            data[f"rows-{i}-{key}"] = value
    return data


def test_decomposing_creates_every_row_in_order_and_skips_blank_rows(build, login):
    c = build.cast
    parent = build.assigned(title="乡村振兴")
    due = (build.today + timedelta(days=20)).isoformat()
    client = login(c.supervisor)
    assert client.get(reverse("tasks:decompose", args=[parent.pk])).status_code == 200
    response = client.post(reverse("tasks:decompose", args=[parent.pk]), rows(
        {"title": "产业振兴", "lead_unit": c.bajiao.pk, "due_date": due, "target_number": "5", "target_measure": "个",
         "target_object": "合作社"},
        {},
        {"title": "人才振兴", "lead_unit": c.baiguo.pk, "due_date": due},
    ))
    assert response.status_code == 302
    children = list(Task.objects.filter(path__startswith=parent.path, depth=parent.depth + 1).order_by("path"))
    assert [t.title for t in children] == ["产业振兴", "人才振兴"]
    assert [t.tree_number for t in children] == [f"{parent.tree_number}.1", f"{parent.tree_number}.2"]
    assert children[0].target_display == "5个合作社" and children[0].category == parent.category


def test_a_row_due_after_its_parent_is_an_inline_error_and_nothing_is_created(build, login):
    c = build.cast
    parent = build.assigned(title="乡村振兴", due_in=30)
    client = login(c.supervisor)
    before = state()
    response = client.post(reverse("tasks:decompose", args=[parent.pk]), rows(
        {"title": "产业振兴", "lead_unit": c.bajiao.pk, "due_date": (build.today + timedelta(days=10)).isoformat()},
        {"title": "人才振兴", "lead_unit": c.baiguo.pk, "due_date": (build.today + timedelta(days=40)).isoformat()},
    ))
    assert response.status_code == 400
    assert "不能晚于上级任务的完成时限" in html(response)
    assert response.context["formset"].forms[1].errors["due_date"]
    assert not response.context["formset"].forms[0].errors
    assert state() == before


def test_an_empty_decomposition_is_refused(build, login):
    parent = build.task()
    client = login(build.cast.supervisor)
    response = client.post(reverse("tasks:decompose", args=[parent.pk]), rows({}, {}))
    assert response.status_code == 400 and "请至少填写一个下级任务" in html(response)


def test_a_service_refusal_in_decomposition_is_shown_on_the_form(build, login):
    c = build.cast
    parent = build.completed()
    client = login(c.supervisor)
    before = state()
    response = client.post(reverse("tasks:decompose", args=[parent.pk]), rows(
        {"title": "补充任务", "lead_unit": c.bajiao.pk}))
    assert response.status_code == 400 and "上级任务已办结或中止" in html(response)
    assert state() == before


# --- sources -------------------------------------------------------------------------------------
def test_sources_are_created_listed_and_shown_with_their_tasks(build, login, media):
    c = build.cast
    client = login(c.supervisor)
    response = client.post(reverse("tasks:source_create"), {
        "kind": "speech", "title": "在全市经济工作会议上的讲话", "date": "2026-01-05", "issuer": "市委书记",
        "doc_number": "", "text": "要抓好茶叶产业……"})
    source = Source.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("tasks:source_detail", args=[source.pk])
    build.task(title="发展茶叶产业", source=source)
    assert "在全市经济工作会议上的讲话" in html(client.get(reverse("tasks:sources")))
    page = html(client.get(reverse("tasks:source_detail", args=[source.pk])))
    assert "发展茶叶产业" in page and "市委书记" in page
    assert "在全市经济工作会议上的讲话" in html(login(c.bajiao_liaison).get(reverse("tasks:sources")))
    assert login(c.baiguo_liaison).get(reverse("tasks:source_detail", args=[source.pk])).status_code == 404


def test_a_duplicate_source_and_a_fake_file_are_inline_errors(build, login, media):
    client = login(build.cast.supervisor)
    data = {"kind": "document", "title": "关于推进乡村振兴的意见", "text": "全文内容"}
    assert client.post(reverse("tasks:source_create"), data).status_code == 302
    before = state()
    response = client.post(reverse("tasks:source_create"), {**data, "title": "重复录入"})
    assert response.status_code == 400 and "该来源已导入过" in html(response)
    fake = upload("原件.pdf", b"<html><script>alert(1)</script></html>", "application/pdf")
    response = client.post(reverse("tasks:source_create"), {"kind": "document", "title": "另一个", "file": fake})
    assert response.status_code == 400 and "与扩展名不符" in html(response)
    assert state() == before and build.stored_files() == []


def test_liaisons_cannot_record_sources(build, login):
    client = login(build.cast.bajiao_liaison)
    assert client.get(reverse("tasks:source_create")).status_code == 403
    assert client.post(reverse("tasks:source_create"), {"kind": "document", "title": "x"}).status_code == 403
    assert not Source.objects.exists()


# --- import --------------------------------------------------------------------------------------
def test_a_good_task_list_is_imported_as_drafts(build, login):
    due = (build.today + timedelta(days=60)).strftime("%Y-%m-%d")
    client = login(build.cast.supervisor)
    assert client.get(reverse("tasks:import")).status_code == 200
    response = client.post(reverse("tasks:import"), {"file": xlsx([
        ["1", "乡村振兴", "芭蕉侗族乡", due], ["1.1", "产业振兴", "芭蕉", due], ["2", "基层治理", "白果乡", due]])})
    assert response.status_code == 302
    titles = list(Task.objects.order_by("path").values_list("title", flat=True))
    assert titles == ["乡村振兴", "产业振兴", "基层治理"]
    assert set(Task.objects.values_list("status", flat=True)) == {TaskStatus.DRAFT}


def test_a_bad_task_list_lists_every_bad_row_and_imports_nothing(build, login):
    due = (build.today + timedelta(days=60)).strftime("%Y-%m-%d")
    client = login(build.cast.supervisor)
    before = state()
    response = client.post(reverse("tasks:import"), {"file": xlsx([
        ["1", "乡村振兴", "芭蕉侗族乡", due],
        ["1.1", "", "芭蕉", due],
        ["2", "基层治理", "不存在的乡", "明年"],
    ])})
    assert response.status_code == 400
    errors = response.context["rows"]
    assert [e["row"] for e in errors] == [3, 4]
    assert "任务名称为空" in errors[0]["reason"]
    assert "不存在的乡" in errors[1]["reason"] and "不是有效日期" in errors[1]["reason"]
    page = html(response)
    assert "未导入任何任务" in page
    assert state() == before


def test_a_file_that_is_not_xlsx_is_refused(build, login):
    client = login(build.cast.supervisor)
    response = client.post(reverse("tasks:import"), {"file": a_pdf("清单.xlsx")})
    assert response.status_code == 400 and "请上传 Excel" in html(response)
    assert not Task.objects.exists()


def test_the_import_template_round_trips_through_the_import(build, login):
    client = login(build.cast.supervisor)
    response = client.get(reverse("tasks:import_template"))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
    wb = load_workbook(io.BytesIO(response.content))
    ws = wb.worksheets[0]
    # the office layout: a two-row header, a column without a group merged over both rows
    header = [low.value or top.value for top, low in zip(ws[3], ws[4], strict=True)]
    row = [None] * len(header)
    row[header.index("序号")] = "1"
    row[header.index("任务名称")] = "按模板填写的任务"
    row[header.index("牵头单位")] = "芭蕉侗族乡"
    row[header.index("完成时限")] = (build.today + timedelta(days=30)).strftime("%Y-%m-%d")
    ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "模板.xlsx"
    assert client.post(reverse("tasks:import"), {"file": buf}).status_code == 302
    assert Task.objects.get().title == "按模板填写的任务"
    assert login(build.cast.bajiao_liaison).get(reverse("tasks:import")).status_code == 403

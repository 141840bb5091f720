"""交办 through the task page (issue 9 item 3): the form, the confirmation page that shows what
goes to whom, the cascade, remarks in the timeline, a double POST, and 中止's confirmation step."""

from django.urls import reverse

from duban.core.models import AuditEntry
from duban.tasks.models import Task, TaskStatus

from .helpers import state

S = TaskStatus


def html(response) -> str:
    return response.content.decode()


def handover_payload(task, **extra):
    task.refresh_from_db()
    data = {"assign-version": task.version, "assign-lead_unit": task.lead_unit_id or "",
            "assign-responsible_post": task.responsible_post_id or "", "assign-remarks": ""}
    data.update({f"assign-{k}": v for k, v in extra.items()})
    return data


def test_the_handover_form_shows_units_post_remarks_and_the_draft_children(build, login):
    c = build.cast
    parent = build.task(title="乡村振兴", due_in=90)
    build.task(parent=parent, title="建设示范村", due_in=30)
    page = html(login(c.supervisor).get(reverse("tasks:detail", args=[parent.pk])))
    form = page.split('id="action-assign"')[1].split("</section>")[0]
    for text in ("牵头单位", "配合单位", "责任岗位", "交办意见", "一并交办的下级任务", "建设示范村",
                 "下一步:确认交办", 'name="assign-form_token"'):
        assert text in form, text
    assert reverse("tasks:handover", args=[parent.pk]) in form


def test_the_first_post_only_shows_what_will_be_sent_to_whom(build, login):
    c = build.cast
    parent = build.task(title="乡村振兴", due_in=90)
    child = build.task(parent=parent, title="建设示范村", due_in=30, lead=c.baiguo)
    client = login(c.supervisor)
    before = state()
    response = client.post(reverse("tasks:handover", args=[parent.pk]), handover_payload(
        parent, lead_unit=c.bajiao.pk, co_units=[c.baiguo.pk], responsible_post=c.post_bajiao.pk,
        remarks="请本周内签收", children=[child.pk]))
    assert response.status_code == 200
    page = html(response)
    summary = page.split('id="handover-summary"')[1]
    for text in ("芭蕉侗族乡", "白果乡", "督办联络员", "张三", "请本周内签收", "确认交办", "返回修改"):
        assert text in summary, text
    assert "建设示范村" in page.split('id="handover-children"')[1]
    assert state() == before  # nothing sent yet
    assert 'name="assign-confirm" value="1"' in page


def test_confirming_hands_over_the_parent_and_its_children_with_the_remarks(build, login):
    c = build.cast
    parent = build.task(title="乡村振兴", due_in=90)
    one = build.task(parent=parent, title="建设示范村", due_in=30, lead=c.baiguo)
    two = build.task(parent=parent, title="暂缓的任务", due_in=30)
    client = login(c.supervisor)
    payload = handover_payload(parent, co_units=[c.baiguo.pk], remarks="请本周内签收", children=[one.pk],
                               confirm="1", form_token="a" * 32)
    response = client.post(reverse("tasks:handover", args=[parent.pk]), payload)
    assert response.status_code == 302, html(response).split('id="actions"')[-1][:3000]
    assert [Task.objects.get(pk=t.pk).status for t in (parent, one, two)] == [S.ASSIGNED, S.ASSIGNED, S.DRAFT]
    assert list(Task.objects.get(pk=parent.pk).co_units.all()) == [c.baiguo]
    for t in (parent, one):
        assert AuditEntry.objects.get(event="task_assign", object_id=str(t.pk)).data["reason"] == "请本周内签收"
    page = html(client.get(reverse("tasks:detail", args=[parent.pk])))
    assert "并一并交办 1 项下级任务" in page
    assert "请本周内签收" in page.split('id="h-timeline"')[1]  # the remarks in the 办理记录
    # the same confirmation posted again (a double tap) hands over nothing more and says so
    before = state()
    again = client.post(reverse("tasks:handover", args=[parent.pk]), payload, follow=True)
    assert again.status_code == 200 and "没有重复交办" in html(again)
    assert state() == before


def test_back_to_edit_shows_the_form_as_it_was_filled_in(build, login):
    c = build.cast
    task = build.task(title="乡村振兴", due_in=90)
    response = login(c.supervisor).post(reverse("tasks:handover", args=[task.pk]), {
        **handover_payload(task, remarks="先看看", confirm="1"), "edit": "1"})
    assert response.status_code == 200
    form = html(response).split('id="action-assign"')[1].split("</section>")[0]
    assert "先看看" in form and 'name="assign-confirm" value="1"' not in form
    assert Task.objects.get(pk=task.pk).status == S.DRAFT


def test_a_refused_cascade_is_shown_on_the_form_and_changes_nothing(build, login):
    c = build.cast
    parent = build.task(title="乡村振兴", due_in=90)
    bad = build.task(parent=parent, title="没有单位的任务", due_in=30, lead_unit=None)
    client = login(c.supervisor)
    before = state()
    response = client.post(reverse("tasks:handover", args=[parent.pk]), handover_payload(
        parent, children=[bad.pk], confirm="1", form_token="b" * 32))
    assert response.status_code == 400
    assert "没有单位的任务" in html(response) and "牵头单位" in html(response)
    assert state() == before


def test_a_liaison_cannot_hand_over(build, login):
    task = build.task()
    response = login(build.cast.bajiao_liaison).post(reverse("tasks:handover", args=[task.pk]),
                                                     handover_payload(task, confirm="1"))
    assert response.status_code in (403, 404)
    assert Task.objects.get(pk=task.pk).status == S.DRAFT


def test_a_child_created_on_the_page_inherits_category_and_source(build, login):
    c = build.cast
    parent = build.assigned(title="乡村振兴", due_in=90)
    client = login(c.supervisor)
    response = client.post(reverse("tasks:decompose", args=[parent.pk]), {
        "rows-TOTAL_FORMS": 1, "rows-INITIAL_FORMS": 0, "rows-0-title": "建设示范村"})
    assert response.status_code == 302
    child = Task.objects.get(title="建设示范村")
    assert child.category == parent.category


# --- 中止: apart from the everyday actions, confirmed -------------------------------------------------
def test_cancel_sits_in_the_danger_section_and_needs_a_confirmation(build, login):
    c = build.cast
    task = build.assigned()
    client = login(c.supervisor)
    page = html(client.get(reverse("tasks:detail", args=[task.pk])))
    assert 'id="danger-zone"' in page and "危险操作" in page
    assert 'id="action-cancel"' in page.split('id="danger-zone"')[1]
    url = reverse("tasks:transition", args=[task.pk, "cancel"])
    # without a reason: refused at once
    before = state()
    assert client.post(url, {"cancel-version": task.version, "cancel-reason": ""}).status_code == 400
    # with a reason: the server asks for the confirmation, nothing changes yet
    response = client.post(url, {"cancel-version": task.version, "cancel-reason": "工作已调整"})
    assert response.status_code == 200
    assert 'id="confirm-cancel"' in html(response) and 'type="checkbox" name="cancel-confirm"' in html(response)
    assert "工作已调整" in html(response)
    assert state() == before
    response = client.post(url, {"cancel-version": task.version, "cancel-reason": "工作已调整", "cancel-confirm": "on"})
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).status == S.CANCELLED

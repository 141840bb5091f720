"""Issue 9 item 4 on a 390×844 phone: the liaison's todo is cards that fit the screen, the task
page leads with 报送进展 (percent prefilled from the unit's last report), and a lower percent is
answered by the server with a confirmation and a reason before anything is written."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from duban.core.models import AuditEntry
from duban.tasks import lights
from duban.tasks import services as svc
from duban.tasks.models import ProgressReport


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.django_db(transaction=True)
def test_a_liaison_reports_a_drop_in_percent_on_a_phone_with_a_confirmation_and_a_reason(cast, phone, sign_in,
                                                                                          overflow):
    category = svc.category_create(actor=cast.supervisor, name="经济发展")
    task = svc.task_create(actor=cast.supervisor, title="芭蕉侗族乡茶叶示范基地(二期)标准化茶园建设与道路硬化",
                           category=category, lead_unit=cast.bajiao, responsible_post=cast.post_bajiao,
                           start_date=lights.today(), due_date=lights.today() + timedelta(days=40),
                           reporting_cycle="weekly", co_units=[cast.baiguo])
    task = svc.task_assign(actor=cast.supervisor, task=task)
    for n in range(3):  # more todos, so the cards stack
        other = svc.task_create(actor=cast.supervisor, title=f"白茶基地第{n + 1}片区土地流转和苗木采购", category=category,
                                lead_unit=cast.bajiao, responsible_post=cast.post_bajiao,
                                due_date=lights.today() + timedelta(days=5 + n))
        svc.task_assign(actor=cast.supervisor, task=other)
    task = svc.task_acknowledge(actor=cast.bajiao_liaison, task=task)
    svc.report_submit(actor=cast.bajiao_liaison, task=task, narrative="完成土地流转 300 亩。", percent=60)

    sign_in(phone, "bajiao", cast.password)
    phone.goto(phone.base_url + "/tasks/todo/?tab=acknowledge")
    cards = phone.locator("#todo-panel tr.todo-row")
    expect(cards.first).to_be_visible()
    assert cards.count() == 3
    assert fits(phone), overflow(phone)
    first = cards.first
    box = first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    for text in ("白茶基地第", "芭蕉侗族乡", "去签收"):
        expect(first).to_contain_text(text)
    action = first.get_by_role("link", name="去签收")
    assert action.bounding_box()["width"] >= 280  # the one next action, full width at the thumb

    phone.goto(phone.base_url + f"/tasks/{task.pk}/")
    assert fits(phone), overflow(phone)
    panels = phone.locator("#actions section.action-card")
    expect(panels.first).to_have_attribute("id", "action-report")
    assert panels.nth(1).get_attribute("id") == "action-request_completion"
    region = phone.get_by_role("region", name="报送进展")
    percent = region.get_by_label("完成进度(%)")
    expect(percent).to_have_value("60")  # from the unit's last report
    region.get_by_label("进展情况").fill("重新丈量后,实际流转 250 亩。")
    percent.fill("50")
    region.get_by_role("button", name="报送进展").click()

    # the server answers the form again: the drop is named, with a checkbox and a reason
    region = phone.get_by_role("region", name="报送进展")
    expect(region).to_contain_text("低于本单位上次报送的 60%")
    assert fits(phone), overflow(phone)
    assert ProgressReport.objects.filter(task=task).count() == 1
    region.get_by_label("我确认完成进度比上次报送的低").check()
    region.get_by_label("进度下调原因").fill("上次把计划流转面积计入了完成数。")
    button = region.get_by_role("button", name="报送进展")
    button.scroll_into_view_if_needed()
    assert button.bounding_box()["x"] + button.bounding_box()["width"] <= 390
    button.click()
    expect(phone.get_by_role("alert").filter(has_text="进展已报送")).to_be_visible()
    assert fits(phone), overflow(phone)
    assert [r.percent for r in ProgressReport.objects.filter(task=task).order_by("id")] == [60, 50]
    entry = AuditEntry.objects.filter(event="task_report", object_id=str(task.pk)).order_by("-seq").first()
    assert entry.data["reason"] == "上次把计划流转面积计入了完成数。" and entry.data["previous_percent"] == 60

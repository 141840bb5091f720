"""The supervision pages driven like a person: the rules page (good and bad input), the task's
supervision panel, the 督办单 page and .docx, and the unit's reply."""

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from docx import Document

from conftest import at
from duban.core.models import AuditEntry
from duban.supervision.models import Listing, Order, OrderReply, Reminder, Rule
from duban.tasks.models import TaskPolicy

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

GOOD = {"ack_days": "3", "remind_report_days": "2", "remind_due_days": "5", "order_reply_days": "4",
        "remind_after": "1", "order_after": "4", "list_after": "12", "propose_after": "",
        "yellow_days": "10", "report_todo_days": "4"}


def html(response) -> str:
    return response.content.decode()


def test_the_supervisor_saves_the_default_rule_and_the_policy_on_one_page(cast, login):
    client = login(cast.supervisor)
    page = client.get(reverse("supervision:rules"))
    assert page.status_code == 200 and "督办单(逾期后工作日)" in html(page)
    response = client.post(reverse("supervision:rules"), GOOD)
    assert response.status_code == 302
    rule = Rule.objects.get(key="default")
    assert (rule.ack_days, rule.order_after, rule.propose_after) == (3, 4, None)
    policy = TaskPolicy.current()
    assert (policy.yellow_days, policy.report_todo_days) == (10, 4)
    entry = AuditEntry.objects.get(event="supervision_rule_save")
    assert entry.data["before"] is None and entry.data["after"]["order_after"] == 4
    client.post(reverse("supervision:rules"), {**GOOD, "order_after": "5", "version": "1"})
    second = AuditEntry.objects.filter(event="supervision_rule_save").latest("seq")
    assert second.data["before"]["order_after"] == 4 and second.data["after"]["order_after"] == 5
    assert second.data["version"] == 2
    page = client.get(reverse("supervision:rules"))
    assert 'value="5"' in html(page) and "修改记录" in html(page)


@pytest.mark.parametrize("field, value, message", [
    ("ack_days", "-1", "应在 1 到 30 个工作日之间"),
    ("order_after", "100000", "应在 0 到 60 个工作日之间"),
    ("list_after", "abc", "应为整数"),
    ("list_after", "2", "升级顺序不对"),  # 挂牌督办 before the 督办单 (4)
    ("yellow_days", "-3", "请填写 0 到 365 之间的整数"),
])
def test_bad_rule_input_shows_the_field_error_and_saves_nothing(cast, login, field, value, message):
    client = login(cast.supervisor)
    response = client.post(reverse("supervision:rules"), {**GOOD, field: value})
    assert response.status_code == 400
    assert message in html(response)
    assert not Rule.objects.exists()
    assert TaskPolicy.current().yellow_days == 7
    assert not AuditEntry.objects.filter(event__in=["supervision_rule_save", "task_policy_update"]).exists()


def test_a_category_gets_its_own_rule_and_can_go_back_to_the_default(cast, login):
    from duban.tasks import services as tasks

    category = tasks.category_create(actor=cast.supervisor, name="民生实事")
    client = login(cast.supervisor)
    assert "目前使用默认规则" in html(client.get(reverse("supervision:rules") + f"?category={category.pk}"))
    assert client.post(reverse("supervision:rules"), {**GOOD, "category": category.pk}).status_code == 302
    assert Rule.objects.get(category=category).key == f"category:{category.pk}"
    client.post(reverse("supervision:rule_reset"), {"category": category.pk})
    assert not Rule.objects.filter(category=category).exists()
    assert AuditEntry.objects.filter(event="supervision_rule_delete").count() == 1


def test_the_rules_page_warns_about_years_without_an_official_calendar(cast, login):
    with at(date(2026, 12, 3)):
        page = html(login(cast.supervisor).get(reverse("supervision:rules")))
    assert "节假日日历尚未包含 2027 年的安排" in page


def test_units_and_leaders_may_not_change_rules(cast, login):
    for user in (cast.bajiao_liaison, cast.leader):
        assert login(user).post(reverse("supervision:rules"), GOOD).status_code == 403
    assert not Rule.objects.exists()


def test_the_supervisor_reminds_orders_lists_and_unlists_from_the_task_panel(make_task, cast, login):
    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    client = login(cast.supervisor)
    with at(date(2026, 10, 9)):
        panel = client.get(reverse("supervision:task_panel", args=[task.pk]))
        assert panel.status_code == 200 and "任务已超过完成时限" in html(panel)
        assert client.post(reverse("supervision:remind", args=[task.pk]), {"message": ""}).status_code == 400
        response = client.post(reverse("supervision:remind", args=[task.pk]), {"message": "请明天前报送"}, follow=True)
        assert "已催办" in html(response)
        response = client.post(reverse("supervision:order_issue", args=[task.pk]), {}, follow=True)
        assert "督办单 督〔2026〕1号 已下发" in html(response)
        again = client.post(reverse("supervision:order_issue", args=[task.pk]), {})
        assert again.status_code == 400 and "不能重复下发" in html(again)
        assert client.post(reverse("supervision:list_add", args=[task.pk]), {"reason": ""}).status_code == 400
        client.post(reverse("supervision:list_add", args=[task.pk]), {"reason": "进度严重滞后"})
        assert Listing.objects.filter(task=task, is_active=True).exists()
        refused = client.post(reverse("supervision:list_remove", args=[task.pk]), {"unlist_reason": ""})
        assert refused.status_code == 400 and Listing.objects.filter(task=task, is_active=True).exists()
        client.post(reverse("supervision:list_remove", args=[task.pk]), {"unlist_reason": "已整改"})
    assert not Listing.objects.filter(task=task, is_active=True).exists()
    assert Reminder.objects.filter(task=task).count() == 1 and Order.objects.filter(task=task).count() == 1
    timeline = html(client.get(reverse("tasks:detail", args=[task.pk])))
    assert "请明天前报送" in timeline and "进度严重滞后" in timeline


def test_leaders_see_listed_items_and_the_discipline_role_sees_proposals(make_task, cast, login):
    from duban.supervision.scan import scan

    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    for day in (date(2026, 10, 1), date(2026, 10, 10), date(2026, 10, 20), date(2026, 11, 3)):
        with at(day):
            scan()
    assert task.title in html(login(cast.leader).get(reverse("supervision:listed")))
    page = login(cast.discipline).get(reverse("supervision:proposals"))
    assert page.status_code == 200 and task.title in html(page)
    assert login(cast.leader).get(reverse("supervision:proposals")).status_code == 403


def test_the_unit_replies_to_an_order_with_a_file_and_the_supervisor_sees_it_on_the_task(make_task, cast, login):
    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    with at(date(2026, 10, 8)):
        login(cast.supervisor).post(reverse("supervision:order_issue", args=[task.pk]), {})
    order = Order.objects.get(task=task)
    client = login(cast.bajiao_b)
    with at(date(2026, 10, 9)):
        page = client.get(reverse("supervision:orders"))
        assert page.status_code == 200 and "督〔2026〕1号" in html(page) and 'name="files"' in html(page)
        empty = client.post(reverse("supervision:order_reply", args=[task.pk]), {"order": order.pk, "text": ""})
        assert empty.status_code == 400 and not OrderReply.objects.exists()
        response = client.post(reverse("supervision:order_reply", args=[task.pk]), {
            "order": order.pk, "text": "已召开专题会议部署整改",
            "files": [SimpleUploadedFile("会议纪要.pdf", PDF, content_type="application/pdf")]})
        assert response.status_code == 302
    reply = OrderReply.objects.get(order=order)
    assert reply.author == cast.bajiao_b and not reply.late
    assert [f.original_name for f in reply.files.all()] == ["会议纪要.pdf"]
    supervisor = login(cast.supervisor)
    timeline = html(supervisor.get(reverse("tasks:detail", args=[task.pk])))
    assert "已召开专题会议部署整改" in timeline and "会议纪要.pdf" in timeline
    printed = html(supervisor.get(reverse("supervision:order_print", args=[task.pk])))
    assert "督〔2026〕1号" in printed and "已召开专题会议部署整改" in printed


def test_another_township_cannot_see_or_answer_the_order(make_task, cast, login):
    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    with at(date(2026, 10, 8)):
        login(cast.supervisor).post(reverse("supervision:order_issue", args=[task.pk]), {})
    order = Order.objects.get(task=task)
    client = login(cast.baiguo_liaison)
    assert "督〔2026〕1号" not in html(client.get(reverse("supervision:orders")))
    response = client.post(reverse("supervision:order_reply", args=[task.pk]), {"order": order.pk, "text": "x"})
    assert response.status_code == 404
    assert not OrderReply.objects.exists()


def test_the_order_downloads_as_a_docx_that_reads_back(make_task, cast, login):
    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    client = login(cast.supervisor)
    with at(date(2026, 10, 8)):
        client.post(reverse("supervision:order_issue", args=[task.pk]), {})
    response = client.get(reverse("supervision:order_docx", args=[task.pk]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    doc = Document(io.BytesIO(response.content))
    texts = [p.text for p in doc.paragraphs if p.text]
    assert "督〔2026〕1号" in texts and "督办通知单" in texts and "芭蕉侗族乡:" in texts


def test_a_task_without_an_order_says_so(make_task, cast, login):
    task = make_task(assigned=date(2026, 11, 2), due=date(2026, 12, 31))
    client = login(cast.bajiao_liaison)
    assert "还没有督办单" in html(client.get(reverse("supervision:order_print", args=[task.pk])))
    assert client.get(reverse("supervision:order_docx", args=[task.pk])).status_code == 302


def test_a_rule_saved_from_a_stale_page_is_refused(cast, login):
    client = login(cast.supervisor)
    client.post(reverse("supervision:rules"), GOOD)
    client.post(reverse("supervision:rules"), {**GOOD, "order_after": "5", "version": "1"})
    stale = client.post(reverse("supervision:rules"), {**GOOD, "order_after": "6", "version": "1"})
    assert stale.status_code == 400 and "已被他人修改" in html(stale)
    assert Rule.objects.get(key="default").order_after == 5


def test_saving_the_rule_alone_leaves_the_task_policy_and_its_ledger_untouched(cast, login):
    client = login(cast.supervisor)
    client.post(reverse("supervision:rules"), {**GOOD, "yellow_days": "7", "report_todo_days": "3"})
    assert Rule.objects.filter(key="default").exists()
    assert not AuditEntry.objects.filter(event="task_policy_update").exists()


def test_a_refused_reply_shows_why_on_its_card_and_stores_nothing(make_task, cast, login):
    from duban.tasks import services as tasks

    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    with at(date(2026, 10, 8)):
        login(cast.supervisor).post(reverse("supervision:order_issue", args=[task.pk]), {})
    order = Order.objects.get(task=task)
    client = login(cast.bajiao_liaison)
    bad = client.post(reverse("supervision:order_reply", args=[task.pk]), {
        "order": order.pk, "text": "附件见后", "files": [SimpleUploadedFile("a.pdf", b"<html><script>1</script>")]})
    assert bad.status_code == 400 and "a.pdf" in html(bad)
    tasks.task_cancel(actor=cast.supervisor, task=task, reason="机构调整")
    closed = client.post(reverse("supervision:order_reply", args=[task.pk]), {"order": order.pk, "text": "回复"})
    assert closed.status_code == 400 and "不再接受回复" in html(closed)
    assert not OrderReply.objects.exists()

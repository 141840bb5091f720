"""The 督查室's manual actions, the 督办单 document and the unit's reply, through the services."""

import io
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document

from conftest import at
from duban.core.gongwen import render
from duban.core.models import AuditEntry
from duban.notices.models import Notice, NoticeKind
from duban.supervision import services
from duban.supervision.documents import gongwen_for
from duban.supervision.models import Listing, MissKind, Order, OrderReply, Reminder
from duban.tasks.models import Evidence

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def pdf(name="整改报告.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def task_events(task):
    return list(AuditEntry.objects.filter(object_type="tasks.task", object_id=str(task.pk)).values_list("event", flat=True))


def test_remind_now_records_one_entry_on_the_task_and_notifies_the_acting_holder(make_task, cast):
    task = make_task(assigned=date(2026, 11, 2), due=date(2026, 12, 31))
    with at(date(2026, 12, 3)):
        reminder = services.reminder_send(actor=cast.supervisor, task=task, message="请本周内报送进展")
    assert reminder.message == "请本周内报送进展"
    assert task_events(task).count("supervision_remind") == 1
    notice = Notice.objects.get(kind=NoticeKind.REMINDER)
    assert notice.reached == cast.p_bajiao_a and notice.body == "请本周内报送进展"


def test_remind_now_needs_a_message_and_the_supervisor_role(make_task, cast):
    task = make_task(assigned=date(2026, 11, 2), due=date(2026, 12, 31))
    with pytest.raises(ValidationError) as exc:
        services.reminder_send(actor=cast.supervisor, task=task, message="  ")
    assert "message" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.reminder_send(actor=cast.bajiao_liaison, task=task, message="催")
    assert not Reminder.objects.exists()


def test_an_order_is_numbered_per_year_and_a_second_one_for_the_same_miss_is_refused(make_task, cast):
    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    other = make_task(title="另一任务", assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    with at(date(2026, 10, 8)):
        first = services.order_issue(actor=cast.supervisor, task=task)
        second = services.order_issue(actor=cast.supervisor, task=other)
        with pytest.raises(ValidationError) as exc:
            services.order_issue(actor=cast.supervisor, task=task)
    assert (first.number, second.number) == ("督〔2026〕1号", "督〔2026〕2号")
    assert "不能重复下发" in exc.value.messages[0] and "督〔2026〕1号" in exc.value.messages[0]
    assert first.miss_kind == MissKind.DUE and first.reply_due == date(2026, 10, 12)  # 9, 10 (Sat), 12 Oct
    assert Order.objects.count() == 2
    with at(date(2027, 1, 5)):
        third = services.order_issue(actor=cast.supervisor, task=make_task(
            title="新年任务", assigned=date(2026, 12, 1), due=date(2026, 12, 31)))
    assert third.number == "督〔2027〕1号"
    notice = Notice.objects.filter(kind=NoticeKind.NOTICE_ISSUED, subject_id=str(task.pk)).first()
    assert "督〔2026〕1号" in notice.title


def test_listing_and_unlisting_need_reasons_and_only_the_supervisor(make_task, cast):
    task = make_task(assigned=date(2026, 11, 2), due=date(2026, 12, 31))
    with pytest.raises(ValidationError):
        services.listing_add(actor=cast.supervisor, task=task, reason="")
    listing = services.listing_add(actor=cast.supervisor, task=task, reason="群众反映强烈")
    with pytest.raises(ValidationError):
        services.listing_add(actor=cast.supervisor, task=task, reason="再挂一次")
    with pytest.raises(PermissionDenied):
        services.listing_remove(actor=cast.leader, task=task, reason="想摘")
    with pytest.raises(ValidationError) as exc:
        services.listing_remove(actor=cast.supervisor, task=task, reason="")
    assert "unlist_reason" in exc.value.message_dict
    services.listing_remove(actor=cast.supervisor, task=task, reason="已整改到位")
    listing.refresh_from_db()
    assert not listing.is_active and listing.unlist_reason == "已整改到位"
    assert task_events(task).count("supervision_list") == 1 and task_events(task).count("supervision_unlist") == 1
    assert Notice.objects.filter(kind=NoticeKind.UNLISTED).exists()


def test_the_order_docx_reads_back_with_its_number_recipient_and_reply_deadline(make_task, cast):
    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    with at(date(2026, 10, 8)):
        order = services.order_issue(actor=cast.supervisor, task=task, requirements="主要负责人亲自过问")
    doc = Document(io.BytesIO(render(gongwen_for(order))))
    texts = [p.text for p in doc.paragraphs if p.text]
    assert texts[0] == "市委办公室督查室文件"
    assert texts[1] == "督〔2026〕1号"
    assert "芭蕉侗族乡:" in texts
    assert any("2026年10月12日前" in t for t in texts)
    assert "督办要求:主要负责人亲自过问" in texts
    assert texts[-1] == "2026年10月8日"
    assert doc.tables[0].rows[1].cells[0].text == task.title


def test_a_reply_in_time_is_on_the_task_timeline_with_its_files(make_task, cast):
    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    with at(date(2026, 10, 8)):
        order = services.order_issue(actor=cast.supervisor, task=task)
    with at(date(2026, 10, 12)):
        reply = services.order_reply(actor=cast.bajiao_liaison, order=order, text="已制定整改方案", files=[pdf()])
    assert not reply.late
    assert [f.original_name for f in reply.files.all()] == ["整改报告.pdf"]
    assert Evidence.objects.filter(task=task, report=None).count() == 1
    entry = AuditEntry.objects.get(object_type="tasks.task", object_id=str(task.pk), event="supervision_order_reply")
    assert entry.data["text"] == "已制定整改方案" and entry.data["files"][0]["name"] == "整改报告.pdf"
    assert not Listing.objects.filter(task=task).exists()
    assert Notice.objects.filter(kind=NoticeKind.NOTICE_REPLY, user=cast.supervisor).exists()
    with pytest.raises(ValidationError) as exc:
        services.order_reply(actor=cast.bajiao_liaison, order=order, text="再回复一次")
    assert "不能重复回复" in exc.value.messages[0]


def test_a_late_reply_is_marked_late_and_escalates_to_listing(make_task, cast):
    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    with at(date(2026, 10, 8)):
        order = services.order_issue(actor=cast.supervisor, task=task)
    with at(date(2026, 10, 13)):
        reply = services.order_reply(actor=cast.bajiao_liaison, order=order, text="迟到的回复")
    assert reply.late
    listing = Listing.objects.get(task=task, is_active=True)
    assert listing.miss_kind == MissKind.REPLY and listing.miss_date == date(2026, 10, 12)
    entry = AuditEntry.objects.get(object_type="tasks.task", object_id=str(task.pk), event="supervision_order_reply")
    assert entry.data["late"] is True and entry.data["escalated"] == "listed"


def test_a_reply_on_a_closed_task_is_refused_and_nothing_is_stored(make_task, cast):
    from duban.tasks import services as tasks

    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    with at(date(2026, 10, 8)):
        order = services.order_issue(actor=cast.supervisor, task=task)
        tasks.task_cancel(actor=cast.supervisor, task=task, reason="机构调整")
        with pytest.raises(ValidationError) as exc:
            services.order_reply(actor=cast.bajiao_liaison, order=order, text="回复", files=[pdf()])
    assert "不再接受回复" in exc.value.messages[0]
    assert not OrderReply.objects.exists() and not Evidence.objects.filter(task=task).exists()


def test_only_the_addressed_unit_may_reply(make_task, cast):
    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    with at(date(2026, 10, 8)):
        order = services.order_issue(actor=cast.supervisor, task=task)
        with pytest.raises(PermissionDenied):
            services.order_reply(actor=cast.baiguo_liaison, order=order, text="不是我们的")
        with pytest.raises(PermissionDenied):
            services.order_reply(actor=cast.supervisor, order=order, text="督查室不能代回复")
    assert not OrderReply.objects.exists()


def test_a_bad_file_refuses_the_reply(make_task, cast):
    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    with at(date(2026, 10, 8)):
        order = services.order_issue(actor=cast.supervisor, task=task)
        with pytest.raises(ValidationError):
            services.order_reply(actor=cast.bajiao_liaison, order=order, text="回复",
                                 files=[SimpleUploadedFile("a.pdf", b"<html><script>x</script>")])
    assert not OrderReply.objects.exists()
    order.refresh_from_db()
    assert order.replied_at is None


def test_a_manual_order_without_a_miss_is_the_supervisors_own_and_once_a_day(make_task, cast):
    task = make_task(assigned=date(2026, 11, 2), due=date(2026, 12, 31))
    with at(date(2026, 12, 3)):
        order = services.order_issue(actor=cast.supervisor, task=task, matter="进度明显滞后")
        with pytest.raises(ValidationError):
            services.order_issue(actor=cast.supervisor, task=task)
    assert order.miss_kind == MissKind.MANUAL and order.matter == "进度明显滞后"


def test_an_order_the_scan_issued_carries_the_supervision_offices_red_header(make_task, cast):
    from duban.supervision.scan import scan

    task = make_task(assigned=date(2026, 9, 1), due=date(2026, 9, 30))
    for day in (date(2026, 10, 1), date(2026, 10, 10)):
        with at(day):
            scan()
    order = Order.objects.get(task=task)
    assert order.issued_by is None
    doc = Document(io.BytesIO(render(gongwen_for(order))))
    assert doc.paragraphs[0].text == "市委办公室督查室文件"

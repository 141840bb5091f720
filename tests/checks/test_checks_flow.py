"""Supervision checks driven like a person: record, find, rectify, publish."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from duban.checks.models import Check, Finding, FindingFile
from duban.core.models import AuditEntry
from duban.tasks import lights
from duban.tasks.models import SourceKind, Task, TaskStatus

from .helpers import make_check, pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db


def _form(cast, **overrides):
    today = lights.today()
    data = {"title": "河长制落实情况暗访", "mode": "covert", "scope": "special", "stage": "process",
            "start_date": today.isoformat(), "end_date": (today + timedelta(days=1)).isoformat(),
            "units": [cast.bajiao.pk], "team": [], "task_ids": "", "summary": "随机抽查两个村。"}
    data.update(overrides)
    return data


def test_an_unannounced_check_is_hidden_from_the_checked_township_until_the_office_publishes_it(cast, login):
    client = login(cast.supervisor)
    assert client.get("/checks/new/").status_code == 200
    response = client.post("/checks/new/", _form(cast))
    assert response.status_code == 302, response.content.decode()[:2000]
    check = Check.objects.get(title="河长制落实情况暗访")
    assert check.published_at is None
    assert "未通报" in client.get(f"/checks/{check.pk}/").content.decode()

    township = login(cast.bajiao_liaison)
    assert township.get(f"/checks/{check.pk}/").status_code == 404
    assert "河长制落实情况暗访" not in township.get("/checks/").content.decode()

    client = login(cast.supervisor)
    assert client.post(f"/checks/{check.pk}/publish/").status_code == 302
    check.refresh_from_db()
    assert check.published_at is not None
    assert AuditEntry.objects.filter(event="check_publish", object_id=str(check.pk)).count() == 1

    township = login(cast.bajiao_liaison)
    page = township.get(f"/checks/{check.pk}/")
    assert page.status_code == 200 and "河长制落实情况暗访" in page.content.decode()
    assert "河长制落实情况暗访" in township.get("/checks/").content.decode()
    from duban.notices.models import Notice

    assert Notice.objects.filter(kind="check_published", url=f"/checks/{check.pk}/").exists()

    # Publishing twice is refused with a message, nothing changes.
    client = login(cast.supervisor)
    response = client.post(f"/checks/{check.pk}/publish/", follow=True)
    assert "该督查已通报" in response.content.decode()
    assert AuditEntry.objects.filter(event="check_publish", object_id=str(check.pk)).count() == 1


def test_another_townships_check_answers_404_even_when_published(cast, login):
    check = make_check(cast, mode="open", units=[cast.bajiao])
    assert login(cast.bajiao_liaison).get(f"/checks/{check.pk}/").status_code == 200
    assert login(cast.village_liaison).get(f"/checks/{check.pk}/").status_code == 404
    assert login(cast.baiguo_liaison).get(f"/checks/{check.pk}/").status_code == 404
    assert AuditEntry.objects.filter(event="authz_denied", object_id=str(check.pk)).exists()
    assert login(cast.leader).get(f"/checks/{check.pk}/").status_code == 200
    assert login(cast.bajiao_liaison).get("/checks/new/").status_code == 403


def test_a_finding_with_a_photo_becomes_an_assigned_rectification_task_in_one_click(cast, login, media):
    check = make_check(cast, units=[cast.bajiao, cast.baiguo])
    client = login(cast.supervisor)
    due = lights.today() + timedelta(days=20)
    response = client.post(f"/checks/{check.pk}/findings/new/", {
        "unit": cast.bajiao.pk, "description": "肖家坪村垃圾收集点未按时清运。", "requirement": "一周内清运完毕。",
        "rectify_due": due.isoformat(),
        "files": [SimpleUploadedFile("现场.png", png_bytes(), "image/png"),
                  SimpleUploadedFile("记录.pdf", pdf_bytes(), "application/pdf")]})
    assert response.status_code == 302, response.content.decode()[:2000]
    finding = Finding.objects.get(check_run=check)
    assert sorted(f.original_name for f in finding.files.all()) == ["现场.png", "记录.pdf"]
    photo = finding.files.get(file_type="png")
    download = client.get(f"/checks/files/{photo.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content if download.streaming
                                                    else [download.content]) == png_bytes()

    page = client.get(f"/checks/{check.pk}/").content.decode()
    assert "生成整改任务并交办" in page
    response = client.post(f"/checks/findings/{finding.pk}/task/", {f"f{finding.pk}-due_date": due.isoformat(),
                                                                      f"f{finding.pk}-responsible_post": cast.post_bajiao.pk})
    assert response.status_code == 302
    finding.refresh_from_db()
    task = finding.task
    assert task.responsible_post == cast.post_bajiao
    assert response["Location"] == f"/tasks/{task.pk}/"
    assert task.lead_unit == cast.bajiao and task.status == TaskStatus.ASSIGNED and task.due_date == due
    assert task.source.kind == SourceKind.INSPECTION and task.source.title == check.title
    assert task.title.startswith("整改:肖家坪村垃圾收集点") and "一周内清运完毕" in task.detail
    # Once: the button is gone and a second POST is refused.
    assert f"/checks/findings/{finding.pk}/task/" not in client.get(f"/checks/{check.pk}/").content.decode()
    again = client.post(f"/checks/findings/{finding.pk}/task/", {f"f{finding.pk}-due_date": due.isoformat()})
    assert again.status_code == 400 and "已生成整改任务" in again.content.decode()
    assert Task.objects.filter(source=task.source).count() == 1

    # The township's liaison works on it in the ordinary lifecycle and sees the finding's photo.
    township = login(cast.bajiao_liaison)
    assert township.get(f"/tasks/{task.pk}/").status_code == 200
    assert township.get(f"/checks/files/{photo.pk}/").status_code == 200
    # 白果 was checked too but sees only its own findings, not 芭蕉's photo.
    other = login(cast.baiguo_liaison)
    assert other.get(f"/checks/{check.pk}/").status_code == 200
    assert "肖家坪村垃圾收集点" not in other.get(f"/checks/{check.pk}/").content.decode()
    assert other.get(f"/checks/files/{photo.pk}/").status_code == 404


def test_a_check_with_dates_out_of_order_is_refused_on_the_end_date_and_nothing_is_saved(cast, login):
    client = login(cast.supervisor)
    today = lights.today()
    response = client.post("/checks/new/", _form(cast, end_date=(today - timedelta(days=1)).isoformat()))
    assert response.status_code == 400
    assert "结束日期不能早于开始日期" in response.content.decode()
    response = client.post("/checks/new/", _form(cast, units=[]))
    assert response.status_code == 400
    response = client.post("/checks/new/", _form(cast, task_ids="12x"))
    assert response.status_code == 400 and "任务编号只能是数字" in response.content.decode()
    assert not Check.objects.exists()


def test_a_finding_on_a_unit_that_was_not_checked_or_with_a_bad_file_saves_nothing(cast, login, media, settings):
    check = make_check(cast, units=[cast.bajiao])
    client = login(cast.supervisor)
    response = client.post(f"/checks/{check.pk}/findings/new/", {"unit": cast.baiguo.pk, "description": "问题"})
    assert response.status_code == 400 and "选择一个有效的选项" in response.content.decode()
    fake = SimpleUploadedFile("照片.png", b"<html><script>alert(1)</script></html>", "image/png")
    response = client.post(f"/checks/{check.pk}/findings/new/", {"unit": cast.bajiao.pk, "description": "问题",
                                                                   "files": [fake]})
    assert response.status_code == 400 and "内容与扩展名不符或类型不允许" in response.content.decode()
    settings.DUBAN_MAX_UPLOAD_BYTES = 1024
    big = SimpleUploadedFile("大.pdf", pdf_bytes("x" * 5000), "application/pdf")
    response = client.post(f"/checks/{check.pk}/findings/new/", {"unit": cast.bajiao.pk, "description": "问题",
                                                                   "files": [big]})
    assert response.status_code == 400 and "超过" in response.content.decode()
    assert not Finding.objects.exists() and not FindingFile.objects.exists()
    assert not list(media.rglob("*.*")) if media.exists() else True

    from django.core.exceptions import ValidationError

    from duban.checks import services

    with pytest.raises(ValidationError) as exc:
        services.finding_add(actor=cast.supervisor, check=check, unit=cast.baiguo, description="问题")
    assert "不是本次督查的被督查单位" in str(exc.value)


def test_a_rectification_task_due_in_the_past_is_refused_on_its_date(cast, login, media):
    check = make_check(cast)
    from duban.checks import services

    finding = services.finding_add(actor=cast.supervisor, check=check, unit=cast.bajiao, description="台账不全")
    client = login(cast.supervisor)
    response = client.post(f"/checks/findings/{finding.pk}/task/",
                           {f"f{finding.pk}-due_date": (lights.today() - timedelta(days=1)).isoformat()})
    assert response.status_code == 400 and "整改时限不能早于今天" in response.content.decode()
    response = client.post(f"/checks/findings/{finding.pk}/task/", {f"f{finding.pk}-due_date": ""})
    assert response.status_code == 400
    finding.refresh_from_db()
    assert finding.task is None and not Task.objects.exists()


def test_the_unit_admin_cannot_publish_or_record_findings(cast, login):
    check = make_check(cast, mode="covert")
    client = login(cast.bajiao_admin)
    assert client.post(f"/checks/{check.pk}/publish/").status_code in (403, 404)
    check.refresh_from_db()
    assert check.published_at is None


def test_a_finding_proposes_accountability_on_its_rectification_task_for_the_discipline_role(cast, login, media):
    from duban.checks import services
    from duban.supervision.models import Proposal

    check = make_check(cast)
    finding = services.finding_add(actor=cast.supervisor, check=check, unit=cast.bajiao, description="虚报整改进度")
    client = login(cast.supervisor)
    # Without a rectification task there is nothing to hold to account yet.
    response = client.post(f"/checks/findings/{finding.pk}/propose/", {f"p{finding.pk}-reason": "弄虚作假"})
    assert response.status_code == 400 and "请先生成整改任务" in response.content.decode()
    response = client.post(f"/checks/findings/{finding.pk}/propose/", {f"p{finding.pk}-reason": ""})
    assert response.status_code == 400 and not Proposal.objects.exists()

    task = services.finding_make_task(actor=cast.supervisor, finding=finding,
                                      due_date=lights.today() + timedelta(days=10))
    response = client.post(f"/checks/findings/{finding.pk}/propose/", {f"p{finding.pk}-reason": "弄虚作假"})
    assert response.status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.task == task and proposal.unit == cast.bajiao
    assert "虚报整改进度" in proposal.reason and "弄虚作假" in proposal.reason
    finding.refresh_from_db()
    assert finding.accountability_id == proposal.pk
    assert "已提出问责建议" in client.get(f"/checks/{check.pk}/").content.decode()
    from duban.notices.models import Notice

    assert Notice.objects.filter(kind="proposal", url=f"/tasks/{task.pk}/").exists()
    again = client.post(f"/checks/findings/{finding.pk}/propose/", {f"p{finding.pk}-reason": "再次"})
    assert again.status_code == 400 and "该问题已提出问责建议" in again.content.decode()
    assert Proposal.objects.count() == 1
    discipline = login(cast.discipline).get("/supervision/proposals/")
    assert discipline.status_code == 200 and "虚报整改进度" in discipline.content.decode()


def test_a_check_names_the_tasks_it_looked_at_and_the_page_links_them(cast, login):
    from duban.tasks import services as task_services

    today = lights.today()
    task = task_services.task_create(actor=cast.supervisor, title="茶园管护", lead_unit=cast.bajiao,
                                     start_date=today, due_date=today + timedelta(days=30))
    client = login(cast.supervisor)
    response = client.post("/checks/new/", _form(cast, mode="open", task_ids=f"{task.pk}, {task.pk}"))
    assert response.status_code == 302
    check = Check.objects.get()
    assert list(check.tasks.all()) == [task] and check.published_at is not None
    assert f"/tasks/{task.pk}/" in client.get(f"/checks/{check.pk}/").content.decode()
    missing = client.post("/checks/new/", _form(cast, title="另一次", task_ids="999999"))
    assert missing.status_code == 400 and "找不到任务:999999" in missing.content.decode()


def test_the_office_lists_its_unpublished_unannounced_checks(cast, login):
    make_check(cast, mode="covert", title="暗访甲")
    make_check(cast, mode="open", title="明察乙")
    client = login(cast.supervisor)
    page = client.get("/checks/", {"show": "unpublished"}).content.decode()
    assert "暗访甲" in page and "明察乙" not in page
    page = client.get("/checks/", {"show": "open"}).content.decode()
    assert "明察乙" in page and "暗访甲" not in page
    township = login(cast.bajiao_liaison).get("/checks/", {"show": "unpublished"}).content.decode()
    assert "暗访甲" not in township

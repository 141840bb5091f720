"""督办设置: the task policy page, categories, and the link to the topic→unit map. Only the
督查室 may change them; each change is a ledger row; bad input changes nothing."""

from django.urls import reverse

from duban.core.models import AuditEntry
from duban.tasks.models import Category, TaskPolicy


def test_the_supervisor_changes_the_policy_and_it_is_audited(cast, login, db):
    client = login(cast.supervisor)
    page = client.get(reverse("tasks:settings"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "督办参数" in body and 'name="yellow_days"' in body and reverse("intake:topic_list") in body
    version = TaskPolicy.objects.get(pk=1).version
    response = client.post(reverse("tasks:settings"), {"form": "policy", "yellow_days": "10",
                                                       "report_todo_days": "4", "version": str(version)})
    assert response.status_code == 302
    policy = TaskPolicy.objects.get(pk=1)
    assert (policy.yellow_days, policy.report_todo_days) == (10, 4)
    entry = AuditEntry.objects.filter(event="task_policy_update").latest("seq")
    assert entry.actor_id == cast.supervisor.pk


def test_bad_or_stale_policy_input_changes_nothing(cast, login, db):
    client = login(cast.supervisor)
    client.get(reverse("tasks:settings"))
    version = TaskPolicy.objects.get(pk=1).version
    bad = client.post(reverse("tasks:settings"), {"form": "policy", "yellow_days": "-3",
                                                  "report_todo_days": "4", "version": str(version)})
    assert bad.status_code == 400 and "yellow_days" in bad.content.decode()
    stale = client.post(reverse("tasks:settings"), {"form": "policy", "yellow_days": "9",
                                                    "report_todo_days": "4", "version": str(version + 5)})
    assert stale.status_code == 409 and "刷新" in stale.content.decode()
    policy = TaskPolicy.objects.get(pk=1)
    assert (policy.yellow_days, policy.report_todo_days, policy.version) == (7, 3, version)


def test_categories_are_added_from_the_settings_page(cast, login, db):
    client = login(cast.supervisor)
    response = client.post(reverse("tasks:settings"), {"form": "category", "name": "乡村振兴", "sort_order": "2"})
    assert response.status_code == 302
    assert Category.objects.filter(name="乡村振兴", sort_order=2).exists()
    assert AuditEntry.objects.filter(event="category_create").exists()
    dup = client.post(reverse("tasks:settings"), {"form": "category", "name": "乡村振兴"})
    assert dup.status_code == 400 and "已存在" in dup.content.decode()
    assert "乡村振兴" in client.get(reverse("tasks:settings")).content.decode()
    assert Category.objects.filter(name="乡村振兴").count() == 1


def test_only_the_supervisor_reaches_the_settings(cast, login, db):
    for user in (cast.bajiao_liaison, cast.leader):
        client = login(user)
        assert client.get(reverse("tasks:settings")).status_code == 403
        assert client.post(reverse("tasks:settings"), {"form": "policy", "yellow_days": "1",
                                                       "report_todo_days": "1", "version": "1"}).status_code == 403
    assert not TaskPolicy.objects.exclude(yellow_days=7).exists()


def test_the_settings_page_reads_in_english(cast, db):
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(cast.supervisor)
    body = client.get(reverse("tasks:settings")).content.decode()
    for text in ("Supervision settings", "Save settings", "Add category", "Manage the keyword table"):
        assert text in body
    for chinese in ("督办设置", "保存参数", "添加类别", "管理关键词对照表"):
        assert chinese not in body

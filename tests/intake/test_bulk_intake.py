"""Bulk edits on the review page and the 交办-readiness figures: check items (or a subtree), set
the lead unit and due date at once, include, exclude or drop them; one edit, one ledger entry."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from test_services_intake import TEXT, fake_engine, node_by_title  # noqa: F401 - fixture

from duban.core.models import AuditEntry
from duban.intake import selectors
from duban.intake import services as svc


@pytest.fixture
def draft(cast, fake_engine):  # noqa: F811
    return svc.draft_create(actor=cast.supervisor, raw=TEXT.encode(), file_name="speech.txt")


def ids(draft, *titles):
    return [node_by_title(draft, t)["id"] for t in titles]


def test_a_bulk_set_gives_every_checked_item_its_lead_unit_and_due_date_in_one_edit(cast, draft):
    entries = AuditEntry.objects.count()
    chosen = ids(draft, "开展巡察", "发展茶产业")
    svc.draft_nodes_bulk_update(actor=cast.supervisor, draft=draft, expected_version=draft.version,
                                node_ids=chosen, lead_unit=cast.bajiao, due_date=date(2030, 6, 30))
    draft.refresh_from_db()
    for title in ("开展巡察", "发展茶产业"):
        node = node_by_title(draft, title)
        assert node["lead_unit"] == cast.bajiao.pk and node["due_date"] == "2030-06-30"
    assert draft.version == 2 and AuditEntry.objects.count() == entries + 1


def test_a_subtree_gets_the_due_date_and_a_field_left_empty_is_kept(cast, draft):
    area = node_by_title(draft, "抓党建")
    before = node_by_title(draft, "加强基层组织建设")["lead_unit"]
    svc.draft_nodes_bulk_update(actor=cast.supervisor, draft=draft, expected_version=draft.version,
                                node_ids=[area["id"]], with_subtree=True, due_date=date(2031, 1, 31))
    for title in ("加强基层组织建设", "开展巡察"):
        assert node_by_title(draft, title)["due_date"] == "2031-01-31"
    assert node_by_title(draft, "加强基层组织建设")["lead_unit"] == before
    assert node_by_title(draft, "发展茶产业")["due_date"] != "2031-01-31"


def test_bulk_exclude_and_drop(cast, draft):
    svc.draft_nodes_bulk_update(actor=cast.supervisor, draft=draft, expected_version=1,
                                node_ids=ids(draft, "开展巡察"), action="exclude")
    assert node_by_title(draft, "开展巡察")["include"] is False
    svc.draft_nodes_bulk_update(actor=cast.supervisor, draft=draft, expected_version=2,
                                node_ids=ids(draft, "抓党建", "开展巡察"), action="drop")
    draft.refresh_from_db()
    assert not [n for n in svc.walk(draft.data["outline"]) if n["title"] in ("抓党建", "开展巡察")]


@pytest.mark.parametrize("kwargs, field", [
    ({"node_ids": []}, "nodes"),
    ({"node_ids": ["nope"], "due_date": date(2030, 1, 1)}, "node"),
    ({"node_ids": None, "action": "explode"}, "action"),
])
def test_a_bad_bulk_request_changes_nothing(cast, draft, kwargs, field):
    before = dict(draft.data)
    with pytest.raises(ValidationError) as info:
        svc.draft_nodes_bulk_update(actor=cast.supervisor, draft=draft, expected_version=1, **kwargs)
    assert field in info.value.error_dict
    draft.refresh_from_db()
    assert draft.data == before and draft.version == 1


def test_a_bulk_set_without_anything_to_set_is_refused(cast, draft):
    with pytest.raises(ValidationError):
        svc.draft_nodes_bulk_update(actor=cast.supervisor, draft=draft, expected_version=1,
                                    node_ids=ids(draft, "开展巡察"))


def test_the_review_page_counts_the_ready_tasks_and_filters_those_that_need_attention(cast, login, draft):
    client = login(cast.supervisor)
    rows = selectors.review_nodes(draft)
    ready = selectors.readiness(rows)
    assert ready["tasks"] == sum(1 for r in rows if r.creates_task)
    page = client.get(f"/intake/drafts/{draft.pk}/").content.decode()
    assert f"可直接交办 {ready['ready']} / {ready['tasks']} 项" in page
    filtered = client.get(f"/intake/drafts/{draft.pk}/?attention=1").content.decode()
    assert filtered.count('name="bulk-nodes"') == sum(1 for r in rows if r.attention)


def test_the_bulk_bar_sets_a_due_date_on_checked_items_like_a_person(cast, login, draft):
    client = login(cast.supervisor)
    chosen = ids(draft, "抓党建")
    response = client.post(f"/intake/drafts/{draft.pk}/bulk/", {
        "version": 1, "bulk-nodes": chosen, "bulk-with_subtree": "on", "bulk-due_date": "2030-12-31",
        "bulk-lead_unit": str(cast.bajiao.pk), "bulk-action": "set"})
    assert response.status_code == 302
    node = node_by_title(draft, "开展巡察")
    assert node["due_date"] == "2030-12-31" and node["lead_unit"] == cast.bajiao.pk
    # a stale page is refused and changes nothing
    stale = client.post(f"/intake/drafts/{draft.pk}/bulk/", {
        "version": 1, "bulk-nodes": chosen, "bulk-due_date": "2031-12-31", "bulk-action": "set"})
    assert stale.status_code == 409
    assert node_by_title(draft, "开展巡察")["due_date"] == "2030-12-31"


def test_after_confirm_the_ready_tasks_are_handed_over_in_one_step_and_the_rest_listed(cast, login, draft):
    from duban.tasks.models import Task, TaskStatus

    client = login(cast.supervisor)
    chosen = ids(draft, "加强基层组织建设", "开展巡察")
    client.post(f"/intake/drafts/{draft.pk}/bulk/", {
        "version": 1, "bulk-nodes": chosen, "bulk-due_date": "2030-12-31", "bulk-lead_unit": str(cast.bajiao.pk),
        "bulk-action": "set"})
    draft.refresh_from_db()
    assert client.post(f"/intake/drafts/{draft.pk}/confirm/", {"version": draft.version}).status_code == 302
    draft.refresh_from_db()
    page = client.get(f"/intake/drafts/{draft.pk}/").content.decode()
    left = Task.objects.filter(source=draft.source, status=TaskStatus.DRAFT).count()
    assert f"待交办 {left} 项" in page
    response = client.post(f"/intake/drafts/{draft.pk}/assign-ready/", follow=True)
    assert response.status_code == 200
    assigned = Task.objects.filter(source=draft.source).exclude(status=TaskStatus.DRAFT)
    assert {t.title for t in assigned} >= {"开展巡察"}
    still = Task.objects.filter(source=draft.source, status=TaskStatus.DRAFT)
    body = response.content.decode()
    assert f"已交办 {assigned.count()} 项任务" in body
    if still.exists():
        assert f"{still.count()} 项未交办" in body


def test_handing_over_before_confirm_is_refused(cast, login, draft):
    response = login(cast.supervisor).post(f"/intake/drafts/{draft.pk}/assign-ready/")
    assert response.status_code == 400 and "尚未确认" in response.content.decode()

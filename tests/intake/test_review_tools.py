"""The review page's tools for a draft that should be handed over in minutes, driven over HTTP as a
person would: bulk co-units and category, the re-base of an old speech's years, units outside the
directory mapped or added, a re-import of a document already a source (by its text, not its
bytes), one compact menu per item, and messages that never put a warning under a success."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from test_services_intake import TEXT, fake_engine, make_draft, node_by_title  # noqa: F401 - fixture

from duban.intake import services as svc
from duban.intake.engine.model import UnitRef
from duban.intake.models import IntakeDraft
from duban.orgs.models import Unit, UnitAlias
from duban.tasks import services as task_services
from duban.tasks.models import Source, Task

SEED = Path(__file__).resolve().parents[1] / "data" / "000_ad234ba100576d65.txt"
DEMO_COPY = Path(__file__).resolve().parents[2] / "src" / "duban" / "demo" / "data" / "speech_2017.txt"


@pytest.fixture
def draft(cast, fake_engine):  # noqa: F811
    return svc.draft_create(actor=cast.supervisor, raw=TEXT.encode(), file_name="speech.txt")


def test_the_bulk_bar_sets_co_units_and_a_category(cast, login, draft):
    category = task_services.category_create(actor=cast.supervisor, name="党的建设")
    client = login(cast.supervisor)
    chosen = [node_by_title(draft, t)["id"] for t in ("加强基层组织建设", "开展巡察")]
    response = client.post(f"/intake/drafts/{draft.pk}/bulk/", {
        "version": draft.version, "bulk-nodes": chosen, "bulk-co_units": [str(cast.baiguo.pk)],
        "bulk-category": str(category.pk), "bulk-action": "set"})
    assert response.status_code == 302
    one, two = node_by_title(draft, "加强基层组织建设"), node_by_title(draft, "开展巡察")
    assert one["co_units"] == [cast.baiguo.pk] and one["category"] == category.pk
    assert two["co_units"] == [] and two["category"] == category.pk  # the lead is never its own co-unit
    draft.refresh_from_db()
    svc.draft_confirm(actor=cast.supervisor, draft=draft, expected_version=draft.version)
    assert set(Task.objects.filter(category=category).values_list("title", flat=True)) == {"加强基层组织建设", "开展巡察"}


def test_a_bad_category_changes_nothing(cast, login, draft):
    client = login(cast.supervisor)
    node = node_by_title(draft, "开展巡察")
    response = client.post(f"/intake/drafts/{draft.pk}/bulk/", {
        "version": draft.version, "bulk-nodes": [node["id"]], "bulk-category": "999999", "bulk-action": "set"})
    assert response.status_code == 400
    assert node_by_title(draft, "开展巡察").get("category") is None


@pytest.fixture
def old_draft(cast, monkeypatch):
    """The hand-built draft dated 2016: every date is past."""
    from duban.intake import engine

    def analyse(raw, filename=None, **kwargs):
        d = make_draft(cast, TEXT)
        d.meta = replace(d.meta, speech_date=d.meta.speech_date.replace(year=2016))
        d.outline[0].children[0].deadline.date = d.outline[0].children[0].deadline.date.replace(year=2016)
        return d

    monkeypatch.setattr(engine, "analyse", analyse)
    return svc.draft_create(actor=cast.supervisor, raw=TEXT.encode(), file_name="old.txt")


def test_an_old_speech_is_offered_a_rebase_of_its_years_on_the_page(cast, login, old_draft):
    client = login(cast.supervisor)
    page = client.get(f"/intake/drafts/{old_draft.pk}/").content.decode()
    assert "intake-rebase" in page and "时限已过" in page
    years = svc.rebase_offer(old_draft.data)
    assert f'value="{years}"' in page
    assert client.post(f"/intake/drafts/{old_draft.pk}/rebase/", {"version": old_draft.version, "years": "0"}).status_code == 400
    response = client.post(f"/intake/drafts/{old_draft.pk}/rebase/", {"version": old_draft.version, "years": str(years)},
                           follow=True)
    body = response.content.decode()
    assert f"顺延 {years} 年" in body and "intake-rebase" not in body
    item = node_by_title(old_draft, "加强基层组织建设")
    assert item["due_date"] == f"{2016 + years}-12-31" and not item["due_default"]
    old_draft.refresh_from_db()
    assert old_draft.data["meta"]["speech_date"] == "2016-01-10"  # the source keeps its real date


@pytest.fixture
def outside_draft(cast, monkeypatch):
    from duban.intake import engine

    def analyse(raw, filename=None, **kwargs):
        d = make_draft(cast, TEXT)
        item = d.outline[1].children[0]
        item.units = [UnitRef(name="省发展改革委", basis="named", key=None)]
        d.outline[0].children[1].units.append(UnitRef(name="省发展改革委", basis="named", key=None))
        return d

    monkeypatch.setattr(engine, "analyse", analyse)
    return svc.draft_create(actor=cast.supervisor, raw=TEXT.encode(), file_name="outside.txt")


def test_a_unit_outside_the_directory_is_kept_and_can_be_mapped_to_an_existing_unit(cast, login, outside_draft):
    client = login(cast.supervisor)
    page = client.get(f"/intake/drafts/{outside_draft.pk}/").content.decode()
    assert "单位目录中没有的单位" in page and "省发展改革委" in page
    assert node_by_title(outside_draft, "发展茶产业")["lead_unit"] is None  # never silently dropped or guessed
    response = client.post(f"/intake/drafts/{outside_draft.pk}/units/", {
        "version": outside_draft.version, "name": "省发展改革委", "unit": str(cast.office.pk)}, follow=True)
    assert "已将“省发展改革委”对应到市委办公室" in response.content.decode()
    tea, patrol = node_by_title(outside_draft, "发展茶产业"), node_by_title(outside_draft, "开展巡察")
    assert tea["lead_unit"] == cast.office.pk  # it had no lead: now it leads
    assert patrol["lead_unit"] == cast.baiguo.pk and patrol["co_units"] == [cast.office.pk]
    assert UnitAlias.objects.filter(unit=cast.office, name="省发展改革委").exists()  # the next import finds it
    assert "单位目录中没有的单位" not in client.get(f"/intake/drafts/{outside_draft.pk}/").content.decode()


def test_a_unit_outside_the_directory_can_be_added_to_it(cast, login, outside_draft):
    client = login(cast.supervisor)
    response = client.post(f"/intake/drafts/{outside_draft.pk}/units/", {
        "version": outside_draft.version, "name": "省发展改革委", "new_kind": "government",
        "new_parent": str(cast.city.pk)})
    assert response.status_code == 302
    unit = Unit.objects.get(name="省发展改革委")
    assert unit.path.startswith(cast.city.path) and unit.depth == cast.city.depth + 1
    assert node_by_title(outside_draft, "发展茶产业")["lead_unit"] == unit.pk


@pytest.mark.parametrize("post, status", [
    ({"name": "省发展改革委"}, 400),  # neither a unit nor a kind
    ({"name": "不在草稿中的单位", "unit": "CITY"}, 400),
    ({"name": "省发展改革委", "unit": "999999"}, 400),
])
def test_a_bad_unit_request_changes_nothing(cast, login, outside_draft, post, status):
    post = {k: (str(cast.city.pk) if v == "CITY" else v) for k, v in post.items()}
    before = Unit.objects.count(), UnitAlias.objects.count(), outside_draft.version
    response = login(cast.supervisor).post(f"/intake/drafts/{outside_draft.pk}/units/",
                                           {"version": outside_draft.version, **post})
    assert response.status_code == status
    outside_draft.refresh_from_db()
    assert (Unit.objects.count(), UnitAlias.objects.count(), outside_draft.version) == before


def test_the_seed_is_recognised_as_the_demo_source_by_its_text_and_offered_as_an_update(cast, login):
    demo = task_services.source_create(actor=cast.supervisor, kind="speech", title="抓好“最大政绩” 担当发展使命(演示)",
                                       text=DEMO_COPY.read_text("utf-8"))
    client = login(cast.supervisor)
    with SEED.open("rb") as fh:
        response = client.post("/intake/", {"file": fh}, follow=True)
    draft = IntakeDraft.objects.get()
    assert draft.text_hash != demo.content_hash  # not the same bytes, not even the same cleaned text
    body = response.content.decode()
    assert "该讲话已导入为来源“抓好“最大政绩” 担当发展使命(演示)”" in body
    assert "作为该来源的更新确认" in body and "作为新来源确认生成任务" not in body
    # a new source with the same text is refused even if asked for directly
    refused = client.post(f"/intake/drafts/{draft.pk}/confirm/", {"version": draft.version})
    assert refused.status_code == 400 and "已导入为来源" in refused.content.decode()
    assert Source.objects.count() == 1


def test_a_different_document_is_not_taken_for_a_source(cast, login, draft):
    task_services.source_create(actor=cast.supervisor, kind="speech", title="别的讲话",
                                text=DEMO_COPY.read_text("utf-8"))
    page = login(cast.supervisor).get(f"/intake/drafts/{draft.pk}/").content.decode()
    assert "已导入为来源" not in page


def test_each_item_has_one_compact_menu_and_a_long_outline_opens_collapsed(cast, login):
    client = login(cast.supervisor)
    with SEED.open("rb") as fh:
        response = client.post("/intake/", {"file": fh}, follow=True)
    body = response.content.decode()
    rows = body.count('class="intake-node ')
    assert rows > 90
    assert body.count('<details class="intake-actions') == rows  # one menu, not seven buttons
    assert len(re.findall(r'name="action" value="[a-z]+:', body)) <= 8 * rows
    assert 'data-collapse="2"' in body and body.count("intake-toggle\"") > 10
    # the upload's own message is no success banner above the draft's warnings
    draft = IntakeDraft.objects.get()
    if draft.data.get("warnings"):
        assert "alert-success" not in body.split('id="intake-error"')[0].split("讲话信息")[0]


def test_after_a_partial_handover_one_warning_and_the_list_of_the_rest(cast, login, draft):
    client = login(cast.supervisor)
    draft.refresh_from_db()
    svc.draft_confirm(actor=cast.supervisor, draft=draft, expected_version=draft.version)
    response = client.post(f"/intake/drafts/{draft.pk}/assign-ready/", follow=True)
    body = response.content.decode()
    left = Task.objects.filter(source__isnull=False, status="draft")
    assert left.exists()
    assert "alert-warning" in body and "alert-success" not in body  # a warning never under a success
    assert f"{left.count()} 项未交办" in body and 'id="intake-refused"' in body
    for task in left:
        assert task.title in body.split('id="intake-refused"')[1]

"""The seed speech imported as a new user would, into the demo's unit directory: after the
offered re-base of its years and the policy defaults, how many of the draft's tasks a 交办 accepts
without anyone opening an edit page (issue 17: at least 80). The figure is printed (-s shows it)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from duban.core.models import AuditEntry
from duban.intake import selectors
from duban.intake import services as svc
from duban.intake.models import IntakeDraft
from duban.tasks.models import Task, TaskStatus


@pytest.fixture
def demo(db):
    from duban.demo.accounts import build_accounts
    from duban.demo.directory import build_directory

    directory = build_directory()
    return directory, build_accounts(directory)["duchashi"]


def test_the_seed_hands_over_at_least_80_tasks_without_an_edit_page(demo, seed_path):
    _directory, supervisor = demo
    draft = svc.draft_create(actor=supervisor, raw=seed_path.read_bytes(), file_name=seed_path.name)
    before = selectors.readiness(selectors.review_nodes(draft))
    # a 2017 speech: every date it names is past, so its years are offered a re-base
    years = svc.rebase_offer(draft.data)
    assert years is not None and years >= timezone.localdate().year - 2017
    draft = svc.draft_rebase_years(actor=supervisor, draft=draft, expected_version=draft.version, years=years)
    after = selectors.readiness(selectors.review_nodes(draft))
    assert after["past_date"] == 0 and after["no_date"] == 0
    svc.draft_confirm(actor=supervisor, draft=draft, expected_version=draft.version)
    draft.refresh_from_db()
    result = svc.draft_assign_ready(actor=supervisor, draft=draft)
    print(f"\nseed: {after['tasks']} draft tasks; ready before the re-base {before['ready']}, after {after['ready']}; "
          f"交办 accepted {len(result.assigned)}, refused {len(result.refused)} "
          f"(no lead unit: {after['no_unit']})")
    assert len(result.assigned) >= 80
    assert len(result.assigned) == after["ready"]  # the readiness line tells the truth
    assert Task.objects.filter(source=draft.source, status=TaskStatus.ASSIGNED).count() == len(result.assigned)
    # what is refused is what the page flagged, with the reason
    assert all("牵头单位" in why for _task, why in result.refused)


def test_defaults_are_marked_and_a_date_from_the_text_is_kept(demo, seed_path):
    _directory, supervisor = demo
    draft = svc.draft_create(actor=supervisor, raw=seed_path.read_bytes(), file_name=seed_path.name)
    draft = svc.draft_rebase_years(actor=supervisor, draft=draft, expected_version=draft.version,
                                   years=svc.rebase_offer(draft.data))
    nodes = list(svc.walk(draft.data["outline"]))
    topic = next(n for n in nodes if n["title"].startswith("稳定兜底"))
    assert topic["lead_default"] == "topic"  # 政法综治部门 is no unit: the heading's 政法 → 市委政法委
    three_years = next(n for n in nodes if n["title"].startswith("村级集体经济"))
    assert not three_years["due_default"]
    assert three_years["due_date"] == date(2020 + draft.data["rebase_years"], 2, 19).isoformat()
    heading = next(n for n in nodes if n["title"].startswith("组织工作要在"))
    # a parent is due with its latest item, so confirming caps nothing
    assert heading["due_date"] >= three_years["due_date"]
    assert AuditEntry.objects.filter(event="intake_draft_edit", data__op="rebase_years").count() == 1
    with pytest.raises(ValidationError, match="顺延过"):
        svc.draft_rebase_years(actor=supervisor, draft=draft, expected_version=draft.version, years=1)
    assert svc.rebase_offer(draft.data) is None


def test_a_current_document_is_not_offered_a_rebase(cast):
    year = timezone.localdate().year
    data = {"meta": {"speech_date": f"{year}-01-10"}, "outline": [
        {"role": "task", "due_date": f"{year - 1}-06-30", "due_default": False, "children": []}]}
    assert svc.rebase_offer(data) is None
    data["meta"]["speech_date"] = f"{year - 3}-01-10"
    data["outline"][0]["due_date"] = f"{year - 3}-01-05"
    # the smallest shift that puts every date after today
    expected = 4 if date(year, 1, 5) < timezone.localdate() else 3
    assert svc.rebase_offer(data) == expected
    for years in (0, -1, "x", 51):
        with pytest.raises(ValidationError):
            svc.draft_rebase_years(actor=cast.supervisor, draft=IntakeDraft(pk=0), expected_version=0, years=years)

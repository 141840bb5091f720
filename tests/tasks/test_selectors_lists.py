"""Responsibility lists, todo lists and scoping, as the pages call them."""

from datetime import timedelta

import pytest
from django.http import Http404

from duban.core.models import AuditEntry
from duban.orgs import services as org
from duban.orgs.models import AbsenceKind
from duban.tasks import selectors
from duban.tasks import services as svc
from duban.tasks.models import Task, TaskStatus

from .helpers import a_pdf

S = TaskStatus


# --- scoping ----------------------------------------------------------------------------------
def test_a_liaison_of_another_township_gets_404_and_an_audit_row(build):
    c = build.cast
    task = build.assigned()
    before = AuditEntry.objects.filter(event="authz_denied").count()
    with pytest.raises(Http404):
        selectors.task_get_for_user(c.baiguo_liaison, task.pk)
    assert AuditEntry.objects.filter(event="authz_denied").count() == before + 1
    assert not selectors.task_list(c.baiguo_liaison).filter(pk=task.pk).exists()
    assert selectors.task_get_for_user(c.bajiao_liaison, task.pk) == task
    assert selectors.task_get_for_user(c.leader, task.pk) == task


def test_a_missing_task_is_a_plain_404(build):
    with pytest.raises(Http404):
        selectors.task_get_for_user(build.cast.supervisor, 987654)
    with pytest.raises(Http404):
        selectors.task_get_for_user(build.cast.supervisor, "not-a-number")


def test_the_administrators_see_no_tasks(build):
    task = build.assigned()
    for who in ("sysadmin", "secadmin", "auditor"):
        user = getattr(build.cast, who)
        assert not selectors.task_list(user).exists()
        with pytest.raises(Http404):
            selectors.task_get_for_user(user, task.pk)


def test_co_units_see_the_task_and_a_village_sees_only_its_own(build):
    c = build.cast
    shared = build.assigned(co_units=[c.baiguo])
    village = build.assigned(lead=c.xiaojiaping, title="村级任务")
    assert set(selectors.task_list(c.baiguo_liaison)) == {shared}
    assert set(selectors.task_list(c.bajiao_liaison)) == {shared, village}
    assert set(selectors.task_list(c.village_liaison)) == {village}
    # No duplicates when several co-units of one task are in scope.
    both = build.assigned(lead=c.baiguo, co_units=[c.bajiao, c.xiaojiaping], title="多单位")
    assert list(selectors.task_list(c.bajiao_liaison)).count(both) == 1


def test_evidence_is_reachable_only_inside_scope(build):
    c = build.cast
    task = build.completion_requested()
    evidence = task.evidence.get()
    assert selectors.evidence_get_for_user(c.bajiao_liaison, evidence.pk) == evidence
    with pytest.raises(Http404):
        selectors.evidence_get_for_user(c.baiguo_liaison, evidence.pk)
    assert svc.evidence_open(user=c.bajiao_liaison, evidence=evidence).startswith(b"%PDF")


def test_a_tampered_evidence_file_is_refused_and_recorded(build):
    from duban.tasks.evidence import EvidenceIntegrityError, scrub

    c = build.cast
    task = build.completion_requested()
    evidence = task.evidence.get()
    path = build.media_root / evidence.storage_name
    data = bytearray(path.read_bytes())
    data[10] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(EvidenceIntegrityError):
        svc.evidence_open(user=c.supervisor, evidence=evidence)
    entry = AuditEntry.objects.filter(event="integrity_failure").get()
    assert entry.object_id == str(evidence.pk) and entry.data["expected"] == evidence.sha256
    assert scrub() == [evidence.pk]


# --- the responsibility list --------------------------------------------------------------------
def test_filters_narrow_the_list(build):
    c = build.cast
    other_category = svc.category_create(actor=c.supervisor, name="经济发展")
    a = build.assigned(title="文明乡村创建", due_in=10)
    b = build.assigned(title="招商引资", lead=c.baiguo, due_in=40, category=other_category)
    village = build.assigned(title="村级道路硬化", lead=c.xiaojiaping, due_in=20, detail="硬化道路 5 公里")
    sup = c.supervisor
    assert set(selectors.task_list(sup, {"unit": c.bajiao})) == {a, village}
    assert set(selectors.task_list(sup, {"category": other_category})) == {b}
    assert set(selectors.task_list(sup, {"q": "创建"})) == {a}
    assert set(selectors.task_list(sup, {"q": "公里"})) == {village}
    assert set(selectors.task_list(sup, {"due_from": build.today + timedelta(days=15),
                                         "due_to": build.today + timedelta(days=30)})) == {village}
    svc.task_cancel(actor=sup, task=b, reason="调整")
    assert set(selectors.task_list(sup, {"status": [S.CANCELLED]})) == {b}
    assert [t.title for t in selectors.task_list(sup, {"sort": "due"})] == ["文明乡村创建", "村级道路硬化", "招商引资"]
    assert [t.title for t in selectors.task_list(sup, {"sort": "title"})] == sorted(["文明乡村创建", "村级道路硬化",
                                                                                       "招商引资"])


def test_one_person_one_list_follows_the_post_and_the_leader(build):
    c = build.cast
    post_task = build.assigned(post=c.post_bajiao, title="岗位任务")
    led = build.assigned(responsible_leader=c.p_bajiao_c, title="领导任务")
    build.assigned(title="无关任务")
    assert set(selectors.task_list(c.supervisor, {"person": c.p_bajiao_a})) == {post_task}
    assert set(selectors.task_list(c.supervisor, {"person": c.p_bajiao_c})) == {led}
    org.absence_create(person=c.p_bajiao_a, kind=AbsenceKind.LEAVE, start=build.today, end=build.today)
    assert set(selectors.task_list(c.supervisor, {"person": c.p_bajiao_b})) == {post_task}


def test_the_list_annotates_the_latest_progress(build):
    c = build.cast
    task = build.in_progress()
    svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="第一次", percent=20)
    svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="第二次", percent=45)
    row = selectors.task_list(c.supervisor).get(pk=task.pk)
    assert (row.latest_percent, row.latest_report.narrative) == (45, "第二次")


def test_the_list_runs_a_fixed_number_of_queries(build, django_assert_max_num_queries):
    c = build.cast
    for i in range(3):
        build.in_progress(title=f"任务{i}", co_units=[c.baiguo])
    # The rows, then by id for the page: co-units, categories, lead units, leaders (no joins).
    with django_assert_max_num_queries(5) as first:
        rows = list(selectors.task_list(c.supervisor))
        [(r.lead_unit.name, [u.name for u in r.co_units.all()], r.category.name, r.light) for r in rows]
    for i in range(15):
        build.in_progress(title=f"更多任务{i}", co_units=[c.baiguo])
    with django_assert_max_num_queries(len(first.captured_queries)):
        rows = list(selectors.task_list(c.supervisor))
        [(r.lead_unit.name, [u.name for u in r.co_units.all()], r.category.name, r.light) for r in rows]
    assert len(rows) == 18


def test_subtree_and_children_follow_the_tree_numbering(build):
    c = build.cast
    goal = build.task(due_in=90, title="目标")
    svc.task_decompose(actor=c.supervisor, parent=goal, children=[
        {"title": "甲", "lead_unit": c.bajiao, "due_date": build.today + timedelta(days=30)},
        {"title": "乙", "lead_unit": c.bajiao, "due_date": build.today + timedelta(days=30)},
    ])
    first = Task.objects.get(title="甲")
    build.task(parent=first, due_in=20, title="甲-1")
    assert [t.title for t in selectors.task_subtree(goal)] == ["目标", "甲", "甲-1", "乙"]
    assert [t.title for t in selectors.task_children(goal)] == ["甲", "乙"]
    numbers = [t.tree_number for t in selectors.task_subtree(goal)]
    root = numbers[0]
    assert numbers == [root, f"{root}.1", f"{root}.1.1", f"{root}.2"]
    assert [t.title for t in selectors.task_ancestors(Task.objects.get(title="甲-1"))] == ["目标", "甲"]


# --- todo -------------------------------------------------------------------------------------
def test_todo_follows_the_acting_holder_when_a_is_away(build):
    c = build.cast
    task = build.assigned(post=c.post_bajiao)
    assert list(selectors.todo_for_user(c.bajiao_liaison).to_acknowledge) == [task]  # 张三 is A
    assert not selectors.todo_for_user(c.bajiao_b).to_acknowledge.exists()
    org.absence_create(person=c.p_bajiao_a, kind=AbsenceKind.LEAVE, start=build.today,
                       end=build.today + timedelta(days=3))
    assert list(selectors.todo_for_user(c.bajiao_b).to_acknowledge) == [task]  # 李四 (B) steps in
    assert not selectors.todo_for_user(c.bajiao_liaison).to_acknowledge.exists()


def test_tasks_without_a_post_go_to_the_lead_units_liaisons_and_admins(build):
    c = build.cast
    task = build.assigned()
    for who in ("bajiao_liaison", "bajiao_b", "bajiao_admin"):
        assert list(selectors.todo_for_user(getattr(c, who)).to_acknowledge) == [task], who
    for who in ("baiguo_liaison", "village_liaison", "leader"):
        assert not selectors.todo_for_user(getattr(c, who)).to_acknowledge.exists(), who


def test_reports_due_soon_or_overdue_are_todo(build):
    c = build.cast
    weekly = build.in_progress(cycle="weekly", title="周报任务")
    monthly = build.in_progress(cycle="monthly", title="月报任务")
    Task.objects.filter(pk=weekly.pk).update(next_report_due=build.today + timedelta(days=2))
    Task.objects.filter(pk=monthly.pk).update(next_report_due=build.today + timedelta(days=20))
    assert list(selectors.todo_for_user(c.bajiao_liaison).to_report) == [weekly]
    Task.objects.filter(pk=monthly.pk).update(next_report_due=build.today - timedelta(days=1))
    assert list(selectors.todo_for_user(c.bajiao_liaison).to_report) == [monthly, weekly]
    svc.report_submit(actor=c.bajiao_liaison, task=monthly, narrative="补报", percent=10)
    assert list(selectors.todo_for_user(c.bajiao_liaison).to_report) == [weekly]


def test_reviews_and_extensions_are_the_supervisors_todo(build):
    c = build.cast
    task = build.completion_requested()
    other = build.in_progress(title="延期任务")
    svc.extension_request(actor=c.bajiao_liaison, task=other, requested_due=other.due_date + timedelta(days=9),
                          reason="x")
    todo = selectors.todo_for_user(c.supervisor)
    assert list(todo.to_review) == [task]
    assert todo.to_approve_extensions.get().task == other
    assert todo.total == 2
    liaison = selectors.todo_for_user(c.bajiao_liaison)
    assert not liaison.to_review.exists() and not liaison.to_approve_extensions.exists()


def test_sources_are_scoped_through_their_tasks(build):
    c = build.cast
    source = svc.source_create(actor=c.supervisor, kind="meeting", title="常委会", text="会议纪要")
    build.assigned(source=source)
    assert list(selectors.sources_for_user(c.bajiao_liaison)) == [source]
    assert not selectors.sources_for_user(c.baiguo_liaison).exists()
    with pytest.raises(Http404):
        selectors.source_get_for_user(c.baiguo_liaison, source.pk)


def test_notifications_are_read_per_user(build):
    c = build.cast
    build.assigned()
    notice = selectors.notifications_for_user(c.bajiao_liaison).get()
    assert notice.is_read is False
    svc.notification_mark_read(user=c.bajiao_liaison, notification=notice)
    assert selectors.notifications_for_user(c.bajiao_liaison).get().is_read is True
    assert selectors.notifications_for_user(c.bajiao_b).get().is_read is False
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        svc.notification_mark_read(user=c.baiguo_liaison, notification=notice)


def test_a_pdf_helper_is_accepted(build):
    # Guard for the fixtures themselves: the helper files are real, accepted files.
    from duban.tasks.evidence import check_upload

    assert check_upload(a_pdf()).file_type == "pdf"


def test_text_search_has_trigram_indexes_on_postgresql(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes exist only on PostgreSQL")
    with connection.cursor() as cur:
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'tasks_task'")
        indexes = dict(cur.fetchall())
    assert "gin_trgm_ops" in indexes.get("tasks_task_title_trgm", "")
    assert "gin_trgm_ops" in indexes.get("tasks_task_detail_trgm", "")


def test_drafts_are_seen_only_by_the_supervision_office(build):
    c = build.cast
    draft = build.task()
    assert selectors.task_list(c.supervisor).filter(pk=draft.pk).exists()
    for who in ("bajiao_liaison", "leader"):
        assert not selectors.task_list(getattr(c, who)).filter(pk=draft.pk).exists()
        with pytest.raises(Http404):
            selectors.task_get_for_user(getattr(c, who), draft.pk)
    svc.task_assign(actor=c.supervisor, task=draft)
    assert selectors.task_get_for_user(c.bajiao_liaison, draft.pk) == draft


def test_search_finds_terms_of_every_length_on_both_databases(build):
    c = build.cast
    road = build.assigned(title="农村公路硬化", detail="完成 5 公里 ABC 工程")
    tea = build.assigned(title="发展茶叶产业", detail="新建茶园")
    sup = c.supervisor

    def found(term):
        return set(selectors.task_list(sup, {"q": term}))

    assert found("公路") == {road}
    assert found("路") == {road}
    assert found("茶") == {tea}
    assert found("茶园") == {tea}
    assert found("abc") == {road} and found("AB") == {road}
    assert found("公路硬化") == {road}
    assert found("公 路") == {road}
    assert found("高铁") == set()
    svc.task_update(actor=sup, task=tea, title="发展高铁经济")
    assert found("高铁") == {tea} and found("茶叶") == set()


def test_bigrams_are_distinct_pairs_and_the_last_character():
    from duban.tasks.search import bigrams

    assert bigrams("公路公路") == " 公路 路公 路 "
    assert bigrams("Ab", " c") == " ab b c "
    assert bigrams("", "") == "  "


def test_short_terms_have_their_own_index_on_postgresql(db):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("trigram indexes exist only on PostgreSQL")
    with connection.cursor() as cur:
        cur.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'tasks_task_bigrams_trgm'")
        assert "gin_trgm_ops" in cur.fetchone()[0]

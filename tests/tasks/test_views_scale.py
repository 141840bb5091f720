"""The list pages at province scale: filters that never list a whole province in a <select>,
typed search that stays inside the user's subtree, a count that stops at a cap — and the ledger
check that reads millions of entries (the fast path must agree with the MAC byte for byte)."""

import json
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from duban.core import ledger
from duban.core.models import AuditEntry
from duban.tasks import forms, ui_queries


def html(response) -> str:
    return response.content.decode()


def options(response) -> str:
    return html(response)


# --- scoped filters -----------------------------------------------------------------------------
def test_a_unit_outside_the_users_subtree_is_refused_and_widens_nothing(build, login):
    c = build.cast
    build.assigned(title="芭蕉的任务")
    build.assigned(title="白果的任务", lead=c.baiguo)
    response = login(c.bajiao_liaison).get(reverse("tasks:list"), {"unit": c.baiguo.pk})
    page = html(response)
    assert response.status_code == 200
    assert response.context["form"].errors["unit"]
    assert "白果的任务" not in page and "白果乡" not in page
    assert "所选项不在可选范围内" in page


def test_a_person_outside_the_users_subtree_is_refused(build, login):
    c = build.cast
    build.assigned(title="白果的任务", lead=c.baiguo, post=None)
    response = login(c.bajiao_liaison).get(reverse("tasks:list"), {"mode": "person", "person": c.p_baiguo.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["person"]
    assert list(response.context["page"]) == []
    assert "赵六" not in html(response)


@pytest.mark.parametrize("value", ["abc", "-1", "99999999999999999999999", "1.5", "0"])
def test_a_malformed_unit_or_person_id_is_an_inline_error(build, login, value):
    build.assigned(title="建设茶叶基地")
    client = login(build.cast.supervisor)
    for field in ("unit", "person"):
        response = client.get(reverse("tasks:list"), {field: value, "mode": field})
        assert response.status_code == 200
        assert response.context["form"].errors[field]


def test_typed_unit_search_finds_only_units_in_scope(build, login):
    c = build.cast
    url = reverse("tasks:list")
    liaison = login(c.bajiao_liaison)
    found = options(liaison.get(url, {"options": "unit", "term": "村"}))
    assert f'value="{c.xiaojiaping.pk}"' in found and "肖家坪村(芭蕉侗族乡)" in found
    assert "斑竹园村" not in found
    # The liaison's own township is found, but its parent (outside the subtree) is not named.
    found = options(liaison.get(url, {"options": "unit", "term": "芭蕉"}))
    assert "芭蕉侗族乡" in found and "恩施市委" not in found
    supervisor = login(c.supervisor)
    found = options(supervisor.get(url, {"options": "unit", "term": "村"}))
    assert "肖家坪村" in found and "斑竹园村" in found
    assert "<html" not in found


def test_typed_person_search_finds_only_people_in_scope(build, login):
    c = build.cast
    url = reverse("tasks:list")
    found = options(login(c.bajiao_liaison).get(url, {"options": "person", "term": "赵"}))
    assert "赵六" not in found and "没有找到匹配项" in found
    found = options(login(c.supervisor).get(url, {"options": "person", "term": "赵"}))
    assert f'value="{c.p_baiguo.pk}"' in found and "赵六(白果乡 · 党政办主任)" in found


def test_the_search_needs_the_list_permission(build, login):
    response = login(build.cast.auditor).get(reverse("tasks:list"), {"options": "unit", "term": "村"})
    assert response.status_code == 403


def test_a_large_scope_lists_its_top_levels_and_finds_the_rest_by_typing(build, login, monkeypatch):
    c = build.cast
    monkeypatch.setattr(forms, "FILTER_OPTIONS_MAX", 4)
    build.assigned(title="村里的任务", lead=c.xiaojiaping)
    build.assigned(title="乡里的任务")
    client = login(c.supervisor)
    response = client.get(reverse("tasks:list"))
    select = response.context["form"].fields["unit"].widget.choices
    assert [str(label).strip("\u3000") for _value, label in select][1:] == sorted(
        ["中共恩施市委员会", "市委办公室", "芭蕉侗族乡", "白果乡"], key=lambda n: [
            u.name for u in response.context["form"].fields["unit"].queryset.order_by("path")].index(n))
    page = html(response)
    assert 'id="id_unit_search"' in page and "?options=unit" in page
    assert 'hx-push-url="false"' in page  # the typed term never lands in the list's URL
    # A village found by typing filters the list and shows as the chosen option.
    response = client.get(reverse("tasks:list"), {"unit": c.xiaojiaping.pk})
    assert [t.title for t in response.context["page"]] == ["村里的任务"]
    assert f'<option value="{c.xiaojiaping.pk}" selected>' in html(response)


def test_a_small_scope_keeps_the_complete_drop_down(build, login):
    c = build.cast
    response = login(c.supervisor).get(reverse("tasks:list"))
    page = html(response)
    assert 'id="id_unit_search"' not in page
    assert all(f'value="{u.pk}"' in page for u in (c.city, c.bajiao, c.xiaojiaping, c.baiguo, c.banzhuyuan))


# --- capped count -----------------------------------------------------------------------------
def test_a_long_list_counts_to_the_cap_and_still_pages_on(build, login, monkeypatch):
    monkeypatch.setattr(ui_queries, "COUNT_CAP", 5)
    for i in range(28):
        build.task(title=f"任务{i:02d}")
    client = login(build.cast.supervisor)
    response = client.get(reverse("tasks:list"), {"per_page": 25})
    page = response.context["page"]
    assert len(page) == 25 and page.has_next() and not page.has_previous()
    assert not page.paginator.count_exact
    text = html(response)
    assert "共 5+ 条" in text and "第 1 页" in text and "page=2" in text
    response = client.get(reverse("tasks:list"), {"per_page": 25, "page": 2})
    page = response.context["page"]
    assert len(page) == 3 and not page.has_next() and page.has_previous()
    # A page past the end falls back to the first instead of an error.
    response = client.get(reverse("tasks:list"), {"per_page": 25, "page": 9})
    assert response.status_code == 200 and len(response.context["page"]) == 25


def test_a_list_under_the_cap_keeps_its_exact_count(build, login):
    for i in range(3):
        build.task(title=f"任务{i:02d}")
    response = login(build.cast.supervisor).get(reverse("tasks:list"))
    assert response.context["page"].paginator.count_exact
    assert "共 3 条" in html(response)


def test_the_list_query_count_does_not_grow_with_units_people_or_rows(build, login, django_assert_max_num_queries):
    c = build.cast
    for i in range(30):
        build.assigned(title=f"任务{i:02d}", co_units=[c.baiguo])
    client = login(c.supervisor)
    client.get(reverse("tasks:list"))
    with django_assert_max_num_queries(30):
        assert client.get(reverse("tasks:list"), {"unit": c.bajiao.pk, "light": "green"}).status_code == 200
    with django_assert_max_num_queries(30):
        assert client.get(reverse("tasks:list"), {"mode": "person", "person": c.p_bajiao_a.pk}).status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get(reverse("tasks:list"), {"options": "unit", "term": "村"}).status_code == 200


# --- ledger verification ------------------------------------------------------------------------
@pytest.mark.parametrize("data", [
    {}, {"to": "acknowledged", "from": "assigned"}, {"z": [1, 2.5, None, True], "a": {"y": "乡", "b": "\u2028\n\"\\"}},
    {"n": 10**20, "f": -0.0, "e": 1e-7, "s": "😀</script>"},
])
@pytest.mark.parametrize("strings", [
    {"actor_id": None, "actor_name": "", "actor_role": "", "ip": None, "request_id": "", "object_repr": ""},
    {"actor_id": 42, "actor_name": "张三\t", "actor_role": "supervisor", "ip": "::1", "request_id": "abc\"",
     "object_repr": "任务“一”"},
])
def test_the_verify_fast_path_signs_exactly_what_compute_mac_signs(data, strings):
    at = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    data = json.loads(json.dumps(data))
    fields = dict(seq=7, prev_mac="0" * 64, event="task_report", outcome="success", object_type="tasks.task",
                  object_id="12", data=data, **strings)
    mac = ledger.compute_mac(created_at=at, **fields)
    payload = ledger._payload(
        fields["seq"], fields["prev_mac"], ledger._isoformat_utc(at), fields["actor_id"], fields["actor_name"],
        fields["actor_role"], fields["ip"], fields["request_id"], fields["event"], fields["outcome"],
        fields["object_type"], fields["object_id"], fields["object_repr"], ledger._encode(data))
    assert payload == ledger._canonical({
        "seq": 7, "prev": "0" * 64, "at": ledger._isoformat_utc(at), "actor": fields["actor_id"],
        "actor_name": fields["actor_name"], "role": fields["actor_role"], "ip": fields["ip"],
        "rid": fields["request_id"], "event": "task_report", "outcome": "success", "otype": "tasks.task",
        "oid": "12", "orepr": fields["object_repr"], "data": data})
    import hashlib
    import hmac

    from django.conf import settings

    assert hmac.new(settings.DUBAN_LEDGER_KEY.encode(), payload, hashlib.sha256).hexdigest() == mac


# --- export -------------------------------------------------------------------------------------
def _export_rows(response) -> list[list]:
    from io import BytesIO

    from openpyxl import load_workbook

    ws = load_workbook(BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in ws.iter_rows(min_row=5)]


def test_the_export_shows_each_tasks_latest_report_and_co_units(build, login):
    from duban.tasks import services as svc

    c = build.cast
    task = build.in_progress(title="建设茶叶基地", co_units=[c.baiguo, c.xiaojiaping])
    svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="完成选址", percent=20)
    svc.report_submit(actor=c.bajiao_liaison, task=task, narrative="开工建设", percent=45)
    build.assigned(title="没有报送的任务")
    rows = _export_rows(login(c.supervisor).get(reverse("tasks:export")))
    by_title = {row[2]: row for row in rows}  # 工作任务 (excel.COLUMNS)
    assert by_title["建设茶叶基地"][11] == "开工建设" and by_title["建设茶叶基地"][13] == 45
    assert set(by_title["建设茶叶基地"][5].split("、")) == {"白果乡", "肖家坪村"}
    assert by_title["建设茶叶基地"][16] == "办理中"
    assert by_title["没有报送的任务"][11] is None and by_title["没有报送的任务"][13] is None


def test_the_export_query_count_does_not_grow_with_rows(build, login, django_assert_max_num_queries):
    c = build.cast
    for i in range(25):
        build.assigned(title=f"任务{i:02d}", co_units=[c.baiguo])
    client = login(c.supervisor)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("tasks:export"))
    assert len(_export_rows(response)) == 25


def test_todo_counts_stop_at_the_cap(build, login, monkeypatch):
    monkeypatch.setattr(ui_queries, "COUNT_CAP", 2)
    for i in range(3):
        build.completion_requested(title=f"待审核{i}")
    response = login(build.cast.supervisor).get(reverse("tasks:todo"), {"tab": "review"})
    review = next(t for t in response.context["tabs"] if t["key"] == "review")
    assert review["count"] == 3  # cap + 1: "more than the cap"
    assert len(response.context["rows"]) == 3
    text = html(response)
    assert "2+" in text and "共 2+ 条" in text


def test_the_home_page_counts_stop_at_the_cap(build, login, monkeypatch):
    monkeypatch.setattr(ui_queries, "COUNT_CAP", 2)
    for i in range(3):
        build.completion_requested(title=f"待审核{i}")
    response = login(build.cast.supervisor).get(reverse("core:home"))
    assert response.context["todo"]["to_review"] == 3  # cap + 1: "more than the cap"
    assert response.context["lights"]["total"] == 3 and response.context["lights"]["green"] == 3
    text = html(response)
    assert text.count('<div class="fs-3">2+</div>') >= 3  # to review, open tasks, green
    assert '<div class="fs-3">3</div>' not in text


def test_a_form_field_naming_another_townships_unit_is_answered_like_a_missing_one(build, login):
    """The list's unit filter goes through the one scoped lookup too: same page as for an id that
    does not exist, and the denial is in the ledger."""
    c = build.cast
    build.assigned(title="芭蕉的任务")
    client = login(c.bajiao_liaison)
    elsewhere = client.get(reverse("tasks:list"), {"unit": c.baiguo.pk})
    missing = client.get(reverse("tasks:list"), {"unit": 987654})
    assert elsewhere.status_code == missing.status_code == 200
    assert elsewhere.context["form"].errors == missing.context["form"].errors
    assert "unit" in elsewhere.context["form"].errors
    assert [t.title for t in elsewhere.context["page"]] == [t.title for t in missing.context["page"]] == ["芭蕉的任务"]
    denied = AuditEntry.objects.filter(event="authz_denied", object_type="orgs.unit")
    assert list(denied.values_list("object_id", flat=True)) == [str(c.baiguo.pk)]
    assert denied.get().actor == c.bajiao_liaison

"""The responsibility list's markup, cell by cell: the rows are formatted in the view
(tasks.views.lists._rows) and the filter selects are written by FastSelect, both for speed; what
the user sees must stay what the templates used to produce, in Chinese and in English."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from duban.tasks.models import Task


def html(response) -> str:
    return response.content.decode()


def row_of(page: str, task) -> str:
    """The <tr> of one task."""
    match = re.search(rf'<tr>(?:(?!</tr>).)*href="/tasks/{task.pk}/"(?:(?!</tr>).)*</tr>', page, re.DOTALL)
    assert match, f"no row for task {task.pk}"
    return match.group(0)


@pytest.fixture
def listed(build):
    c = build.cast
    task = build.assigned(title="建设<茶叶>基地", co_units=[c.baiguo, c.xiaojiaping], due_in=10,
                          responsible_leader=c.p_bajiao_a)
    original = task.due_date - timedelta(days=5)
    Task.objects.filter(pk=task.pk).update(original_due_date=original, latest_percent=40)
    plain = build.task(title="第二项任务", due_in=90, category=None)
    return task, plain, original


def test_a_row_shows_every_column_with_its_labels(listed, login, build):
    task, plain, original = listed
    page = html(login(build.cast.supervisor).get(reverse("tasks:list")))
    row = row_of(page, task)
    assert f'<a href="/tasks/{task.pk}/">建设&lt;茶叶&gt;基地</a>' in row  # escaped, linked
    assert f">{task.tree_number}<" in row
    assert '<span class="text-muted small ms-1">党的建设</span>' in row
    assert '<td data-label="牵头单位">芭蕉侗族乡<div class="small text-muted">配合:' in row
    assert "白果乡" in row and "肖家坪村" in row and "、" in row
    assert "张三" in row  # the responsible leader
    assert f'{task.due_date:%Y-%m-%d}<div class="small text-muted">原 {original:%Y-%m-%d}</div>' in row
    assert '<span class="badge status-badge text-bg-info">已交办</span>' in row
    assert ('<td data-label="亮灯"><span class="light-label text-nowrap"><span class="light light-green" '
            'aria-hidden="true"></span> 绿灯</span>') in row
    assert '<progress class="progress-mini" max="100" value="40" aria-label="完成进度"></progress>' in row
    assert '<span class="small">40%</span>' in row
    other = row_of(page, plain)
    assert "配合" not in other and "原 " not in other and "ms-1" not in other
    assert '<span class="badge status-badge text-bg-light border">草稿</span>' in other
    assert "未报送" in other and "light-grey" in other  # a draft is grey


def test_the_rows_and_selects_speak_english(listed, login, build):
    task, _plain, _original = listed
    client = login(build.cast.supervisor)
    page = html(client.get(reverse("tasks:list"), HTTP_ACCEPT_LANGUAGE="en"))
    row = row_of(page, task)
    assert 'data-label="Lead unit"' in row or 'data-label="Lead Unit"' in row
    assert "牵头单位" not in row and "未报送" not in page.split("<tbody>")[1].split("</tbody>")[0]
    assert "红灯" not in page and "Due" in page
    assert '<select name="light" class="form-select" id="id_light">' in page


def test_the_filter_selects_keep_their_markup_and_selection(listed, login, build):
    c = build.cast
    client = login(c.supervisor)
    page = html(client.get(reverse("tasks:list"), {"unit": c.baiguo.pk, "light": "red", "status": "open"}))
    assert '<select name="unit" class="form-select" id="id_unit">' in page
    assert f'<option value="{c.baiguo.pk}" selected>' in page
    assert '<option value="red" selected>红灯</option>' in page
    assert '<option value="open" selected>未办结</option>' in page
    assert '<option value="">全部单位</option>' in page
    assert f'<option value="{build.category.pk}">党的建设</option>' in page
    # an invalid choice is marked on the select, as before
    page = html(client.get(reverse("tasks:list"), {"light": "purple"}))
    assert ('<select name="light" aria-describedby="id_light_error" aria-invalid="true" '
            'class="form-select is-invalid" id="id_light">') in page


def test_the_htmx_partial_carries_the_same_rows(listed, login, build):
    task, _plain, _original = listed
    client = login(build.cast.supervisor)
    full = row_of(html(client.get(reverse("tasks:list"))), task)
    response = client.get(reverse("tasks:list"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="task-results")
    partial = html(response)
    assert "<html" not in partial and partial.lstrip().startswith('<section id="task-results"')
    assert row_of(partial, task) == full


def test_the_unit_select_follows_the_directory(build, login):
    """The options are read on every request (no cache to go stale): a renamed or added unit
    shows at once."""
    from duban.orgs import services as org
    from duban.orgs.models import UnitKind

    c = build.cast
    client = login(c.supervisor)
    assert "白果乡" in html(client.get(reverse("tasks:list")))
    org.unit_update(unit=c.baiguo, name="白果镇")
    added = org.unit_create(name="新设社区", parent=c.city, kind=UnitKind.TOWNSHIP, code="XS")
    page = html(client.get(reverse("tasks:list")))
    assert "白果镇" in page and "白果乡" not in page
    assert f'<option value="{added.pk}">\u3000新设社区</option>' in page

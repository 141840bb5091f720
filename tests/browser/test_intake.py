"""A 督查室 supervisor imports the seed speech in a real browser: upload as is, read the cleaning
report, locate an item in the source, edit its title, confirm, and find the tasks in the
responsibility list."""

from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SEED = Path(__file__).resolve().parents[1] / "data" / "000_ad234ba100576d65.txt"  # tests/data/README.md


def test_a_supervisor_imports_the_seed_speech_and_confirms_it_into_tasks(ui, cast):
    from duban.intake.models import DraftStatus, IntakeDraft
    from duban.tasks.models import Source, Task

    if not SEED.exists():
        pytest.fail(f"seed file missing: {SEED} (see tests/data/README.md)")
    page = ui.page
    errors = []
    page.on("console", lambda msg: errors.append(f"{msg.text} {msg.location.get('url', '')}")
            if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    ui.login(cast.supervisor.username, cast.password)
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="讲话/文件导入").click()
    page.get_by_label("讲话或文件").set_input_files(str(SEED))
    page.get_by_role("button", name="上传并分析").click()
    page.wait_for_url("**/intake/drafts/*/")

    # the cleaning report and the metadata kept
    assert page.get_by_role("heading", level=1).inner_text() == "抓好“最大政绩” 担当发展使命"
    assert page.get_by_label("讲话人").input_value() == "向前进"
    assert page.get_by_label("讲话日期").input_value() == "2017-02-19"
    report = page.locator("#cleaning-report")
    report.locator("summary").click()
    assert report.get_by_text("应用下载提示").first.is_visible()
    assert report.locator(".intake-removed-duplicate").count() >= 1
    assert Source.objects.count() == 0 and Task.objects.count() == 0  # a draft is not tasks

    draft = IntakeDraft.objects.get()
    items = [n for n in _walk(draft.data["outline"]) if n["role"] == "task" and n["include"]]
    item = next(n for n in items if "巡察" in n["title"])
    row = page.locator(f"#node-{item['id']}")
    # a long outline opens with its deeper subtrees collapsed: open the item's ancestors
    expect(row).to_be_hidden()
    for ancestor in _ancestors(draft.data["outline"], item["id"]):
        toggle = page.locator(f"#node-{ancestor['id']} > div > .intake-toggle")
        if toggle.get_attribute("aria-expanded") == "false":
            toggle.click()
    expect(row).to_be_visible()

    # clicking an item highlights its text in the source
    row.locator(".intake-locate").click()
    mark = page.locator("#intake-source mark.intake-mark")
    assert mark.count() == 1
    expected = draft.data["text"][item["start"]:item["end"]].strip()[:10]
    assert mark.inner_text().strip().startswith(expected)

    # context lists are greyed and will not become tasks
    context = next(n for n in _walk(draft.data["outline"]) if n["role"] == "context" and n.get("children"))
    assert "intake-greyed" in page.locator(f"#node-{context['id']}").get_attribute("class")

    # edit one item's title: one compact menu per item
    row.locator("summary", has_text="操作").click()
    row.get_by_role("menuitem", name="编辑").click()
    editor = page.locator(".intake-editor")
    expect(editor).to_be_in_viewport()
    expect(page.locator("#intake-source mark.intake-mark")).to_have_count(1)
    # selecting text in the source proposes it as the split point of the item being edited
    page.evaluate("""() => {
        const mark = document.querySelector('#intake-source mark.intake-mark');
        const range = document.createRange();
        range.selectNodeContents(mark);
        getSelection().removeAllRanges();
        getSelection().addRange(range);
        mark.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
    }""")
    split_at = editor.get_by_label("从这段文字起拆为第二项")
    expect(split_at).to_be_visible()
    assert split_at.input_value() == mark.inner_text().strip()[:30]
    editor.get_by_label("标题").fill("一届任期内实现巡察全覆盖")
    editor.get_by_role("button", name="保存").click()
    page.wait_for_url(f"**/intake/drafts/{draft.pk}/#node-{item['id']}")
    assert page.locator(f"#node-{item['id']} .intake-title").inner_text() == "一届任期内实现巡察全覆盖"

    page.get_by_role("button", name="确认生成任务").click()
    page.wait_for_url("**/tasks/list/?source=*")
    source = Source.objects.get()
    assert source.title == "抓好“最大政绩” 担当发展使命" and source.issuer == "市委书记 向前进"
    assert IntakeDraft.objects.get().status == DraftStatus.CONFIRMED
    assert Task.objects.filter(source=source).count() >= 40

    # no script error and nothing refused by the Content-Security-Policy on the way
    assert [e for e in errors if "favicon" not in e] == []

    # the edited task is in the responsibility list of that source
    ui.goto(f"/tasks/list/?source={source.pk}&q={quote('巡察全覆盖')}")
    assert page.get_by_role("link", name="一届任期内实现巡察全覆盖").first.is_visible()


def _walk(nodes):
    for node in nodes:
        yield node
        yield from _walk(node.get("children", []))


def _ancestors(nodes, node_id, trail=()):
    for node in nodes:
        if node["id"] == node_id:
            return list(trail)
        found = _ancestors(node.get("children", []), node_id, (*trail, node))
        if found is not None:
            return found
    return None


def _plan_docx(path: Path) -> None:
    import docx

    doc = docx.Document()
    doc.add_paragraph("恩施市2030年基层治理实施方案")
    doc.add_paragraph("一、重点任务")
    doc.add_paragraph("任务分解如下：")
    rows = [["序号", "工作任务", "牵头单位", "配合单位", "完成时限"],
            ["1", "完成村级活动阵地改造10个。", "芭蕉侗族乡", "白果乡", "6月底前"],
            ["2", "建立网格员培训制度。", "", "", "持续推进"],
            ["3", "开展矛盾纠纷排查化解行动。", "白果乡", "", "三季度"]]
    table = doc.add_table(rows=len(rows), cols=5)
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            table.cell(i, j).text = value
    table.cell(1, 2).merge(table.cell(2, 2))
    table.cell(1, 2).text = "芭蕉侗族乡"
    doc.save(str(path))


def test_a_supervisor_imports_a_task_table_bulk_sets_a_due_date_and_hands_the_tasks_over(ui, cast, tmp_path):
    from duban.intake.models import IntakeDraft
    from duban.tasks.models import Task, TaskStatus

    plan = tmp_path / "基层治理实施方案.docx"
    _plan_docx(plan)
    page = ui.page
    ui.login(cast.supervisor.username, cast.password)
    ui.goto("/intake/")
    page.get_by_label("讲话或文件").set_input_files(str(plan))
    page.get_by_role("button", name="上传并分析").click()
    page.wait_for_url("**/intake/drafts/*/")
    draft = IntakeDraft.objects.get()
    nodes = list(_walk(draft.data["outline"]))
    rows = [n for n in nodes if n["kind"] == "row"]
    assert len(rows) == 3 and rows[1]["lead_unit"] == cast.bajiao.pk  # the merged unit cell applies below
    assert rows[1]["deadline"] is None  # 持续推进: no fixed date in the text …
    assert rows[1]["due_date"] == "2030-12-31" and rows[1]["due_default"]  # … the policy default, marked
    expect(page.locator(f"#node-{rows[1]['id']}")).to_contain_text("默认")
    # the heading over the rows is a parent task: its lead unit is the one most of its rows
    # share, its date its latest row's, both marked 默认
    heading = next(n for n in nodes if n["title"] == "重点任务")
    assert heading["lead_unit"] == cast.bajiao.pk and heading["lead_default"] == "children"
    expect(page.locator("#intake-readiness")).to_contain_text("可直接交办 4 / 4 项")
    bulk = page.locator("#intake-bulk")
    _fits(page, 390)
    _keyboard_walk(page, heading, rows)

    # the heading with its subtree gets one due date
    page.locator(f"#node-{heading['id']} input[name='bulk-nodes']").check()
    page.get_by_label("含下级条目").check()
    bulk.get_by_label("完成时限").fill("2030-11-30")
    page.get_by_role("button", name="批量设置").click()
    page.wait_for_url(f"**/intake/drafts/{draft.pk}/")
    draft.refresh_from_db()
    rows = [n for n in _walk(draft.data["outline"]) if n["kind"] == "row"]
    assert {n["due_date"] for n in rows} == {"2030-11-30"}
    assert [n["lead_unit"] for n in rows] == [cast.bajiao.pk, cast.bajiao.pk, cast.baiguo.pk]  # kept
    expect(page.locator("#intake-readiness")).to_contain_text("可直接交办 4 / 4 项")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="确认生成任务").click()
    page.wait_for_url("**/tasks/list/?source=*")
    ui.goto(f"/intake/drafts/{draft.pk}/")
    _fits(page, 390)
    page.get_by_role("button", name="交办所有可交办的任务(待交办 4 项)").click()
    page.wait_for_url(f"**/intake/drafts/{draft.pk}/")
    expect(page.get_by_text("已交办 4 项任务。")).to_be_visible()
    assert Task.objects.filter(status=TaskStatus.DRAFT).count() == 0
    assert Task.objects.filter(status=TaskStatus.ASSIGNED).count() == 4


def _keyboard_walk(page, heading, rows) -> None:
    """The outline is walked with the keyboard alone: arrows move between rows, ←/→ fold and unfold
    a subtree, Space ticks the row for the bulk action (and again unticks it)."""
    row = page.locator(f"#node-{heading['id']}")
    focused = "() => document.activeElement && document.activeElement.id"
    toggle = page.locator(f"#node-{heading['id']} > div > .intake-toggle")
    row.focus()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowDown")
    assert page.evaluate(focused) == f"node-{rows[0]['id']}"
    page.keyboard.press("ArrowDown")
    assert page.evaluate(focused) == f"node-{rows[1]['id']}"
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowLeft")  # on a leaf: to its parent
    assert page.evaluate(focused) == f"node-{heading['id']}"
    page.keyboard.press("ArrowLeft")  # on an open parent: fold it
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.locator(f"#node-{rows[0]['id']}")).to_be_hidden()
    page.keyboard.press("ArrowRight")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator(f"#node-{rows[0]['id']}")).to_be_visible()
    box = row.locator("input[name='bulk-nodes']").first
    page.keyboard.press(" ")
    expect(box).to_be_checked()
    page.keyboard.press(" ")
    expect(box).not_to_be_checked()


def _fits(page, width: int) -> None:
    """The review page at a phone's width: nothing wider than the screen."""
    page.set_viewport_size({"width": width, "height": 844})
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"horizontal scroll of {overflow} px at {width} px"

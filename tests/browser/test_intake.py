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

    # clicking an item highlights its text in the source
    row.locator(".intake-locate").click()
    mark = page.locator("#intake-source mark.intake-mark")
    assert mark.count() == 1
    expected = draft.data["text"][item["start"]:item["end"]].strip()[:10]
    assert mark.inner_text().strip().startswith(expected)

    # context lists are greyed and will not become tasks
    context = next(n for n in _walk(draft.data["outline"]) if n["role"] == "context" and n.get("children"))
    assert "intake-greyed" in page.locator(f"#node-{context['id']}").get_attribute("class")

    # edit one item's title
    row.get_by_role("link", name="编辑").click()
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

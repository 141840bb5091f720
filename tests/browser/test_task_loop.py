"""The whole task loop in a real browser, by the people who do it: the 督查室 creates and assigns
a task to 芭蕉, the 芭蕉 liaison acknowledges it, reports with a file, asks to close it, is sent
back with a reason, reports again and asks again, and the 督查室 approves. The task ends green
and 已办结, and the ledger chain still verifies."""

from datetime import timedelta
from pathlib import Path

import pytest
from pages_tasks import TaskPages
from playwright.sync_api import expect

from duban.core import ledger
from duban.tasks import lights
from duban.tasks.models import Evidence, ProgressReport, Task, TaskStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path("var/test-artifacts")


def write_pdf(path: Path, text: str) -> Path:
    """A small, valid one-page PDF (with a correct xref table), as a scanner would produce."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
         b"/Resources << /Font << /F1 5 0 R >> >> >>"),
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path


@pytest.fixture
def media(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "media")}}}
    return tmp_path / "media"


def test_a_task_goes_round_the_whole_loop_and_ends_green(ui, cast, media, tmp_path):
    tasks = TaskPages(ui)
    page = ui.page
    # A CSP violation (an inline script or style) or a script error shows up here.
    problems = []
    # (The browser's own favicon.ico probe is not the page's doing: base.html names no icon.)
    page.on("console", lambda msg: problems.append(f"{msg.text} {msg.location['url']}")
            if msg.type == "error" and not msg.location["url"].endswith("/favicon.ico") else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    title = "建设芭蕉侗族乡茶叶示范基地"
    due = lights.today() + timedelta(days=45)
    progress_pdf = write_pdf(tmp_path / "选址报告.pdf", "site survey")
    first_pdf = write_pdf(tmp_path / "验收材料.pdf", "acceptance v1")
    second_pdf = write_pdf(tmp_path / "验收材料(补充).pdf", "acceptance v2")

    # 督查室: create and assign to 芭蕉.
    tasks.login_as(cast.supervisor.username, cast.password)
    tasks.create_task(title=title, detail="新建标准化茶园 500 亩,带动 200 户增收。", lead_unit_id=cast.bajiao.pk,
                      post_id=cast.post_bajiao.pk, due=due)
    expect(page.locator(".task-head .status-badge")).to_have_text("草稿")
    tasks.press("交办")
    expect(page.locator(".task-head .status-badge")).to_have_text("已交办")

    # 芭蕉 liaison (A holder of the post): acknowledge from the todo, report with a file.
    tasks.login_as(cast.bajiao_liaison.username, cast.password)
    tasks.open_from_todo(title, tab="待签收")
    tasks.press("签收")
    tasks.report(narrative="完成基地选址和土地流转 300 亩。", percent=40, files=[progress_pdf])
    expect(page.locator(".task-head .status-badge")).to_have_text("办理中")
    expect(page.get_by_role("link", name="选址报告.pdf")).to_be_visible()
    tasks.request_completion(narrative="茶园已全部建成并通过验收。", files=[first_pdf])
    expect(page.locator(".task-head .status-badge")).to_have_text("申请办结")

    # 督查室: send it back with a reason.
    tasks.login_as(cast.supervisor.username, cast.password)
    tasks.open_from_todo(title, tab="待审核")
    tasks.send_back("缺少验收单位盖章的验收意见。")
    expect(page.locator(".task-head .status-badge")).to_have_text("办理中")

    # 芭蕉 liaison: reports again and asks again, with the missing document.
    tasks.login_as(cast.bajiao_liaison.username, cast.password)
    tasks.open_from_list(title)
    expect(page.get_by_role("region", name="办理记录")).to_contain_text("缺少验收单位盖章的验收意见。")
    tasks.report(narrative="已补充验收单位盖章意见。", percent=100)
    tasks.request_completion(narrative="已补充盖章的验收意见,申请办结。", files=[second_pdf])

    # 督查室: approve.
    tasks.login_as(cast.supervisor.username, cast.password)
    tasks.open_from_todo(title, tab="待审核")
    tasks.approve("同意办结。")
    expect(page.locator(".task-head .status-badge")).to_have_text("已办结")
    assert tasks.light() == "green"
    expect(page.locator(".task-head")).to_contain_text("绿灯")

    task = Task.objects.get(title=title)
    assert task.status == TaskStatus.COMPLETED and task.lead_unit == cast.bajiao
    assert ProgressReport.objects.filter(task=task).count() == 4
    assert sorted(Evidence.objects.filter(task=task).values_list("original_name", flat=True)) == sorted(
        ["选址报告.pdf", "验收材料.pdf", "验收材料(补充).pdf"])
    timeline = page.get_by_role("region", name="办理记录")
    for step in ("交办", "签收", "报送进展", "申请办结", "退回", "审核办结"):
        expect(timeline).to_contain_text(step)
    assert ledger.verify().ok
    assert problems == [], problems

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "task_page.png"), full_page=True)

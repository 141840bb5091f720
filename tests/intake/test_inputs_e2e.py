"""Files as a 督查室 receives them, through the upload page with the real engine: a .docx with a
task table, an .xlsx list whose header is not the first row, a PDF made here with hard line
breaks — each confirmed into tasks with their units and dates; and bad input (a zip bomb, macros,
a scan, a 2 MB document, mixed punctuation and traditional characters) that gets a clear message
or a correct draft, with nothing created before the user confirms."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date

import pytest
from test_engine_plans import _pdf

from duban.intake.models import IntakeDraft
from duban.tasks.models import Source, Task


@pytest.fixture
def supervisor(cast, login):
    return login(cast.supervisor)


def upload(client, name: str, raw: bytes, follow: bool = True):
    f = io.BytesIO(raw)
    f.name = name
    return client.post("/intake/", {"file": f}, follow=follow)


def walk(nodes):
    for n in nodes:
        yield n
        yield from walk(n.get("children", []))


def rows_of(draft):
    return [n for n in walk(draft.data["outline"]) if n.get("kind") == "row"]


def confirm(client, draft):
    draft.refresh_from_db()
    response = client.post(f"/intake/drafts/{draft.pk}/confirm/", {"version": draft.version})
    assert response.status_code == 302, response.content.decode()[:400]
    return Source.objects.get()


def test_a_docx_with_a_task_table_becomes_tasks(cast, supervisor):
    import docx

    d = docx.Document()
    d.add_paragraph("恩施市2030年基层治理实施方案")
    d.add_paragraph("一、重点任务")
    d.add_paragraph("任务分解如下：")
    table = d.add_table(rows=4, cols=5)
    for i, row in enumerate([["序号", "具体措施", "牵头单位", "配合单位", "完成时限"],
                             ["1", "完成村级活动阵地改造10个。", "芭蕉侗族乡", "白果乡", "6月底前"],
                             ["2", "建立网格员培训制度。", "", "", "2030年9月"],
                             ["3", "开展矛盾纠纷排查化解行动。", "白果乡", "市委办公室", "持续推进"]]):
        for j, v in enumerate(row):
            table.cell(i, j).text = v
    table.cell(1, 2).merge(table.cell(2, 2))
    table.cell(1, 2).text = "芭蕉侗族乡"
    buf = io.BytesIO()
    d.save(buf)
    response = upload(supervisor, "方案.docx", buf.getvalue())
    assert response.status_code == 200 and Task.objects.count() == 0  # nothing before confirm
    draft = IntakeDraft.objects.get()
    rows = rows_of(draft)
    assert [r["lead_unit"] for r in rows] == [cast.bajiao.pk, cast.bajiao.pk, cast.baiguo.pk]
    assert [r["due_date"] for r in rows] == ["2030-06-30", "2030-09-30", "2030-12-31"]
    assert rows[2]["due_default"] and rows[0]["co_units"] == [cast.baiguo.pk]
    source = confirm(supervisor, draft)
    task = Task.objects.get(source=source, title__startswith="完成村级活动阵地改造")
    assert task.lead_unit == cast.bajiao and task.due_date == date(2030, 6, 30)
    assert list(task.co_units.all()) == [cast.baiguo]


def test_an_xlsx_list_with_its_header_below_a_title_and_merged_cells_becomes_tasks(cast, supervisor):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["恩施市2030年度重点工作考核细则", None, None, None, None])
    ws.merge_cells("A1:E1")
    ws.append(["填报单位：市委督查室", None, None, None, None])
    ws.append([])
    ws.append(["序号", "考核内容", "分值", "责任单位", "完成时限"])
    ws.append([1, "新建村级综合服务站5个。", 10, "芭蕉侗族乡", "5月底前"])
    ws.append([2, "开展人居环境整治，每季度检查一次。", 8, None, "每季度"])
    ws.append([3, "完成矛盾纠纷排查。", 6, "白果乡", "三季度"])
    ws.merge_cells("D5:D6")
    buf = io.BytesIO()
    wb.save(buf)
    upload(supervisor, "细则.xlsx", buf.getvalue())
    draft = IntakeDraft.objects.get()
    rows = rows_of(draft)
    assert [r["lead_unit"] for r in rows] == [cast.bajiao.pk, cast.bajiao.pk, cast.baiguo.pk]
    assert rows[0]["due_date"] == "2030-05-31" and rows[2]["due_date"] == "2030-09-30"
    assert rows[1]["deadline"]["kind"] == "periodic"
    source = confirm(supervisor, draft)
    assert Task.objects.filter(source=source, lead_unit=cast.bajiao).count() == 2


def test_a_pdf_made_here_with_hard_line_breaks_becomes_tasks(cast, supervisor):
    pdf = _pdf(["恩施市2030年优化营商环境行动计划", "一、重点任务",
                "1.推进政务服务一网通办。整合各类政务服务平台，推动高",
                "频事项全部接入平台。（6月底前完成，牵头单位：芭蕉侗族乡）",
                "2.推行免证办服务。推动电子证照在政务服务中全面应用。",
                "（年底前完成，白果乡牵头，市委办公室配合）"])
    upload(supervisor, "计划.pdf", pdf)
    draft = IntakeDraft.objects.get()
    assert "推动高频事项" in draft.data["text"]  # the broken line is joined
    tasks = [n for n in walk(draft.data["outline"]) if n["role"] == "task"]
    assert [(t["lead_unit"], t["due_date"]) for t in tasks] == [(cast.bajiao.pk, "2030-06-30"),
                                                               (cast.baiguo.pk, "2030-12-31")]
    assert tasks[1]["co_units"] == [cast.office.pk]
    confirm(supervisor, draft)
    assert Task.objects.filter(lead_unit=cast.baiguo, due_date=date(2030, 12, 31)).count() == 1


def _docx_with(extra: dict[str, bytes]) -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("一、重点任务")
    buf = io.BytesIO()
    d.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        for name, data in extra.items():
            dst.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize("name, raw, message", [
    ("宏.docx", _docx_with({"word/vbaProject.bin": b"\0" * 64}), "宏"),
    ("炸弹.docx", _docx_with({"word/media/huge.bin": b"\0" * (120 * 1024 * 1024)}), "解压"),
    ("扫描件.pdf", _pdf(["abc"]), "扫描件"),
    ("空.xlsx", b"PK\x03\x04 not a workbook", "Excel"),
])
def test_bad_files_get_a_clear_message_and_nothing_is_stored(cast, supervisor, name, raw, message):
    response = upload(supervisor, name, raw)
    body = response.content.decode()
    assert message in body
    assert IntakeDraft.objects.count() == 0 and Source.objects.count() == 0 and Task.objects.count() == 0


def test_a_2_mb_document_is_analysed_and_creates_nothing_before_confirm(cast, supervisor):
    lines = ["恩施市2030年重点工作安排", "一、重点工作", "（一）基层治理"]
    k = 0
    while sum(len(x.encode()) + 1 for x in lines) < 2 * 1024 * 1024:
        k += 1
        lines.append(f"推进第{k}批村级组织建设。芭蕉侗族乡要在年底前完成第{k}批{k % 90 + 10}个村的整改，"
                     f"白果乡配合做好第{k}批村的验收。")
    text = "\n".join(lines) + "\n"
    assert len(text.encode()) > 1.9 * 1024 * 1024
    started = time.monotonic()
    response = upload(supervisor, "大文件.txt", text.encode(), follow=False)
    assert response.status_code == 302 and time.monotonic() - started < 60
    draft = IntakeDraft.objects.get()
    assert sum(1 for n in walk(draft.data["outline"]) if n["role"] == "task") > 1000
    assert Source.objects.count() == 0 and Task.objects.count() == 0


def test_mixed_punctuation_and_traditional_characters_read_like_the_plain_text(cast, supervisor):
    plain = ("恩施市2030年重点工作安排\n一、重点任务\n（一）加强基层组织建设。芭蕉侗族乡要在年底前完成10个村整改。\n"
             "（二）开展巡察。白果乡要在6月底前完成巡察全覆盖。\n")
    mixed = ("恩施市2030年重點工作安排\n一、重點任務\n(一)加強基層組織建設.芭蕉侗族鄉要在年底前完成10個村整改。\n"
             "(二)開展巡察,白果鄉要在6月底前完成巡察全覆蓋.\n")
    upload(supervisor, "plain.txt", plain.encode())
    upload(supervisor, "mixed.txt", mixed.encode("utf-8"))
    a, b = IntakeDraft.objects.order_by("pk")

    def shape(d):
        return [(n["lead_unit"], n["due_date"]) for n in walk(d.data["outline"]) if n["role"] == "task"]

    assert shape(b) == shape(a) == [(cast.bajiao.pk, "2030-12-31"), (cast.baiguo.pk, "2030-06-30")]
    page = supervisor.get(f"/intake/drafts/{b.pk}/").content.decode()
    assert "加強基層組織建設" in page  # the original characters are shown and kept
    assert Task.objects.count() == 0

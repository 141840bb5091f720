"""The 巡察反馈意见 (.docx, a 公文 via duban.core.gongwen) and the 整改台账 (.xlsx in the usual
columns: 问题, 整改措施, 责任单位, 责任人, 时限, 进展, 销号情况) with the round's statistics."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from duban.core import gongwen
from duban.inspections import selectors
from duban.inspections.models import Finding, Rectification, Round
from duban.orgs.models import Unit
from duban.tasks import lights


def _issuer() -> str:
    root = Unit.objects.get_first_root_node()
    return f"{(root.short_name or root.name) if root else ''}巡察工作领导小组办公室"


def feedback_docx(round_: Round, unit: Unit) -> tuple[str, bytes]:
    findings = list(Finding.objects.filter(round=round_, unit=unit).order_by("category", "id"))
    paragraphs = [
        _("根据市委巡察工作统一部署,%(name)s于%(start)s至%(end)s对%(unit)s开展了巡察。现将巡察发现的问题反馈如下:") % {
            "name": round_.name, "start": gongwen.chinese_date(round_.enter_on),
            "end": gongwen.chinese_date(round_.feedback_on), "unit": unit.name},
    ]
    for index, f in enumerate(findings, start=1):
        paragraphs.append(f"{index}. 【{f.get_category_display()}】{f.description}")
    paragraphs.append(_("请%(unit)s在收到反馈意见后按要求制定整改方案,逐项明确整改措施、责任人和时限,按期报送整改情况。") % {
        "unit": unit.name})
    table = [[_("序号"), _("问题类别"), _("问题"), _("严重程度")]] + [
        [str(i), f.get_category_display(), f.description, f.get_severity_display()]
        for i, f in enumerate(findings, start=1)]
    content = gongwen.render(gongwen.Gongwen(
        issuer=_issuer(), title=_("关于%(unit)s的巡察反馈意见") % {"unit": unit.name}, recipient=f"{unit.name}:",
        paragraphs=paragraphs, table=table if findings else None,
        date=round_.fed_back_on or lights.today()))
    return f"巡察反馈意见-{unit.name}-{round_.pk}.docx", content


LEDGER_COLUMNS = ("问题", "整改措施", "责任单位", "责任人", "时限", "进展", "销号情况")


def ledger_rows(round_: Round) -> list[list[str]]:
    rows = []
    for f in Finding.objects.filter(round=round_).select_related("unit").order_by("unit__path", "id"):
        rects = list(Rectification.objects.filter(finding=f).select_related("task__lead_unit").order_by("id"))
        if not rects:
            rows.append([f.description, "", f.unit.name, f.responsible_person, "", _("未交办"), _("未销号")])
        for r in rects:
            closed = _("已销号(%(day)s)") % {"day": r.closed_on} if r.closed_on else _("未销号")
            rows.append([f.description, r.measures, r.task.lead_unit.name if r.task.lead_unit else f.unit.name,
                         f.responsible_person, str(r.task.due_date or ""), r.task.get_status_display(), closed])
    return rows


def ledger_xlsx(round_: Round) -> tuple[str, bytes]:
    book = Workbook()
    sheet = book.active
    sheet.title = "整改台账"
    sheet.append(list(LEDGER_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in ledger_rows(round_):
        sheet.append(row)
    for column, width in zip("ABCDEFG", (50, 50, 20, 12, 12, 12, 20), strict=True):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    stats = selectors.round_statistics(round_)
    summary = book.create_sheet("统计")
    summary.append(["项目", "数量"])
    for label, value in (("被巡察单位", stats["targets"]), ("巡察组", stats["teams"]), ("发现问题", stats["findings"]),
                         ("移交问题线索", stats["transferred"]), ("整改任务", stats["rectification"]["total"]),
                         ("已销号", stats["rectification"]["closed"]),
                         ("整改率(%)", stats["rectification"]["percent"]), ("回头看反弹", stats["reopened"])):
        summary.append([label, value])
    for label, n in stats["by_category"]:
        summary.append([f"问题类别:{label}", n])
    out = io.BytesIO()
    book.save(out)
    return f"整改台账-{round_.pk}.xlsx", out.getvalue()

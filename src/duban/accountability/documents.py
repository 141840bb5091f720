"""The decision document (问责决定书, a 公文 in the GB/T 9704 layout through duban.core.gongwen) and
the statistics report (.xlsx, openpyxl)."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from duban.accountability.models import Case, Form, SubjectRole, ToleranceOutcome
from duban.core import gongwen
from duban.orgs.models import Unit


def issuer() -> str:
    root = Unit.objects.get_root_nodes().first()
    if root is None:
        return "纪律检查委员会"
    name = root.name
    if name.endswith("委员会"):
        return name[: -len("委员会")] + "纪律检查委员会"
    return f"{root.short_name or name}纪委"


def _subjects_text(case: Case) -> str:
    parts = []
    for s in case.subjects.select_related("person__unit", "unit"):
        if s.person_id:
            who = f"{s.person.name}({s.person.unit.name}{s.person.title})"
        else:
            who = s.unit.name
        if s.role != SubjectRole.PRINCIPAL:
            who = f"{s.get_role_display()}{who}"
        parts.append(who)
    return "、".join(parts)


def decision_docx(case: Case) -> bytes:
    seq = case.number
    paragraphs = [
        _("问责对象:%(who)s。") % {"who": _subjects_text(case)},
        _("经查:%(facts)s") % {"facts": case.facts},
    ]
    if case.evidence:
        paragraphs.append(_("证据材料:%(e)s") % {"e": case.evidence})
    paragraphs.append(case.decision_text)
    if case.basis:
        paragraphs.append(_("依据%(basis)s,决定给予%(who)s%(measure)s(%(form)s)。") % {
            "basis": case.basis, "who": _subjects_text(case), "measure": case.get_measure_display(),
            "form": case.get_form_display()})
    if case.tolerance == ToleranceOutcome.EXEMPT:
        paragraphs.append(_("经容错纠错认定,予以免责。"))
    elif case.tolerance == ToleranceOutcome.MITIGATE:
        paragraphs.append(_("经容错纠错认定,予以从轻减轻处理。"))
    if case.cleared:
        paragraphs.append(_("澄清正名:%(t)s") % {"t": case.cleared_text})
    paragraphs.append(_("如不服本决定,可在 %(days)s 日内提出申诉。") % {"days": case.appeal_days})
    data = gongwen.Gongwen(
        issuer=issuer(), number=seq, title=_("关于%(title)s的问责决定") % {"title": case.title},
        recipient=f"{case.unit.name}:", paragraphs=paragraphs, date=case.decided_on, header_suffix="")
    return gongwen.render(data)


def statistics_xlsx(stats: dict, *, year=None, start=None, end=None, unit=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("按形态")
    period = str(year) if year else ""
    if start or end:
        period += f" {start or ''}–{end or ''}"
    ws.append([_("问责情况统计表") + (f"({period.strip()})" if period.strip() else "")])
    ws["A1"].font = Font(bold=True, size=14)
    if unit is not None:
        ws.append([_("单位"), unit.name])
    ws.append([_("形态"), _("件数"), _("四种形态占比(%)")])
    shares = {s["label"]: s["share"] for s in stats["shares"]}
    for f in stats["forms"]:
        ws.append([f["label"], f["count"], shares.get(f["label"], "")])
    ws.append([_("合计"), stats["total"], ""])
    ws.append([_("其中免责"), stats["exempt"], ""])
    ws.append([_("其中从轻减轻"), stats["mitigate"], ""])
    ws.append([_("其中澄清正名"), stats["cleared"], ""])
    ws.column_dimensions["A"].width = 22
    ws2 = wb.create_sheet(_("按单位"))
    header = [_("单位")] + [str(f.label) for f in Form] + [_("合计")]
    ws2.append(header)
    for row in stats["units"]:
        ws2.append([row["unit"]] + [row[f.value] for f in Form] + [row["total"]])
    ws2.column_dimensions["A"].width = 24
    for cell in ws2[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

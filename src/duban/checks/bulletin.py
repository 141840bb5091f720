"""The monthly 督查通报 as a GB/T 9704 公文 (.docx through duban.core.gongwen)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from duban.checks.selectors import Bulletin
from duban.core import gongwen


def paragraphs(data: Bulletin) -> list[str]:
    out = [
        _("一、总体情况"),
        _("截至%(as_of)s,本月新交办任务%(assigned)s项,办结%(completed)s项(其中超期办结%(late)s项),"
          "逾期未办结任务%(overdue)s项。") % {
            "as_of": gongwen.chinese_date(data.as_of), "assigned": data.assigned, "completed": data.completed,
            "late": data.completed_late, "overdue": data.overdue},
        _("二、逾期点名"),
    ]
    if data.named:
        out.append(_("以下单位存在逾期未办结任务,予以点名通报:%(units)s。请相关单位于5个工作日内说明原因并提出整改措施。") % {
            "units": "、".join(_("%(name)s(%(n)s项)") % {"name": u.name, "n": u.overdue} for u in data.named)})
    else:
        out.append(_("本月无逾期未办结任务。"))
    out.append(_("三、挂牌督办事项"))
    if data.listed:
        out.append(_("本月挂牌督办事项%(n)s项:%(items)s。") % {"n": len(data.listed), "items": ";".join(data.listed)})
    else:
        out.append(_("本月无新增挂牌督办事项。"))
    out.append(_("四、督查开展情况"))
    if data.checks:
        out.append(_("本月开展督查%(n)s次(其中暗访%(covert)s次),发现问题%(findings)s个,已交办整改%(tasks)s个,"
                     "已整改完成%(done)s个。") % {
            "n": data.check_count, "covert": data.covert_count, "findings": data.finding_count,
            "tasks": data.finding_tasks, "done": data.finding_done})
        numerals = "一二三四五六七八九十"
        for i, c in enumerate(data.checks):
            mark = f"({numerals[i]})" if i < len(numerals) else f"({i + 1})"
            out.append(_("%(mark)s%(title)s(%(mode)s,%(start)s至%(end)s):发现问题%(findings)s个,"
                         "已交办整改%(tasks)s个,已整改完成%(done)s个。") % {
                "mark": mark, "title": c.title, "mode": c.mode, "start": gongwen.chinese_date(c.start_date),
                "end": gongwen.chinese_date(c.end_date), "findings": c.findings, "tasks": c.tasks, "done": c.done})
    else:
        out.append(_("本月未开展督查。"))
    return out


def table(data: Bulletin) -> list[list[str]] | None:
    if not data.named:
        return None
    return [[_("序号"), _("单位"), _("逾期未办结(项)")]] + [
        [str(i), u.name, str(u.overdue)] for i, u in enumerate(data.named, start=1)]


def render(data: Bulletin) -> tuple[str, bytes]:
    title = _("%(year)s年%(month)s月督查通报") % {"year": data.year, "month": data.month}
    doc = gongwen.Gongwen(
        issuer=data.issuer, title=title, number=gongwen.number_for(_("督通"), data.year, data.month),
        recipient=_("各乡镇(办事处)、市直各单位:"), paragraphs=paragraphs(data), table=table(data),
        date=data.as_of)
    return f"{title}.docx", gongwen.render(doc)

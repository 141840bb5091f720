"""The 会议纪要 of a meeting as a GB/T 9704 公文 (.docx through duban.core.gongwen)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from duban.core import gongwen
from duban.meetings.models import Meeting

NUMERALS = "一二三四五六七八九十"


def _numeral(i: int) -> str:
    if i <= 10:
        return NUMERALS[i - 1]
    if i < 20:
        return "十" + NUMERALS[i - 11]
    tens, ones = divmod(i, 10)
    return NUMERALS[tens - 1] + "十" + (NUMERALS[ones - 1] if ones else "")


def paragraphs(meeting: Meeting) -> list[str]:
    group = meeting.group
    attendance = list(meeting.attendance.select_related("person"))
    present = [a.person.name for a in attendance if a.present]
    absent = [_("%(name)s(%(reason)s)") % {"name": a.person.name, "reason": a.reason}
              for a in attendance if not a.present]
    values = {"date": gongwen.chinese_date(meeting.date), "chair": meeting.chair.name if meeting.chair else "",
              "place": meeting.place, "group": group.name}
    if meeting.chair and meeting.place:
        opening = _("%(date)s,%(chair)s在%(place)s主持召开%(group)s会议。") % values
    elif meeting.chair:
        opening = _("%(date)s,%(chair)s主持召开%(group)s会议。") % values
    elif meeting.place:
        opening = _("%(date)s,%(group)s在%(place)s召开会议。") % values
    else:
        opening = _("%(date)s,%(group)s召开会议。") % values
    out = [opening]
    agenda = [a.title for a in meeting.agenda.all()]
    if agenda:
        out.append(_("会议议题:") + ";".join(f"{i}. {t}" for i, t in enumerate(agenda, 1)) + "。")
    if meeting.minutes:
        out.extend(p.strip() for p in meeting.minutes.splitlines() if p.strip())
    decisions = list(meeting.decisions.select_related("lead_unit"))
    if decisions:
        out.append(_("会议议定事项如下:"))
        for i, d in enumerate(decisions, 1):
            extra = []
            if d.lead_unit_id:
                extra.append(_("牵头单位:%(unit)s") % {"unit": d.lead_unit.name})
            if d.due_date:
                extra.append(_("完成时限:%(due)s") % {"due": gongwen.chinese_date(d.due_date)})
            text = d.text.rstrip().rstrip("。").rstrip(";").rstrip(";")
            out.append(f"{_numeral(i)}、{text}" + (f"({','.join(extra)})" if extra else "") + "。")
    out.append(_("出席:%(names)s。") % {"names": "、".join(present) or _("无")})
    if absent:
        out.append(_("请假:%(names)s。") % {"names": "、".join(absent)})
    return out


def render(meeting: Meeting) -> tuple[str, bytes]:
    group = meeting.group
    title = _("%(group)s%(year)s年第%(n)s次会议纪要") % {"group": group.name, "year": meeting.date.year,
                                                    "n": meeting.number}
    doc = gongwen.Gongwen(
        issuer=_("%(group)s办公室") % {"group": group.name}, title=title, header_suffix=_("会议纪要"),
        number=_("第%(n)s期") % {"n": meeting.number}, paragraphs=paragraphs(meeting), date=meeting.date, seal=False)
    return f"{title}.docx", gongwen.render(doc)

"""The 督办单 as a GB/T 9704 公文 (duban.core.gongwen): the same content for the .docx and the
printable page."""

from __future__ import annotations

from django.utils.translation import gettext as _

from duban.core.gongwen import Gongwen, chinese_date, render

ISSUER = "督查室"


def _issuing_office(order):
    """The 督查室 that issued it: the issuer's unit, or for a 督办单 the scan issued, the unit of
    the 督查室's first active account (the office the rules belong to)."""
    if order.issued_by is not None and order.issued_by.unit is not None:
        return order.issued_by.unit
    from duban.supervision.services import supervisors

    office = next((u.unit for u in supervisors() if u.unit is not None), None)
    return office


def gongwen_for(order) -> Gongwen:
    office = _issuing_office(order)
    issuer = office.name + ISSUER if office is not None else ISSUER
    contact = order.issued_by.get_full_name() if order.issued_by else ""
    return Gongwen(
        issuer=issuer, number=order.number, title=_("督办通知单"), recipient=f"{order.unit.name}:",
        paragraphs=[
            order.matter,
            _("督办要求:%(req)s") % {"req": order.requirements},
            _("请于%(due)s前通过督办平台书面回复办理情况(含佐证材料)。逾期未回复的,将按规定挂牌督办。")
            % {"due": chinese_date(order.reply_due)},
        ],
        table=[[_("任务"), _("完成时限"), _("回复时限")],
               [order.task.title, chinese_date(order.task.due_date) if order.task.due_date else "—",
                chinese_date(order.reply_due)]],
        contact=contact, date=order.issued_on)


def order_docx_bytes(order) -> bytes:
    return render(gongwen_for(order))

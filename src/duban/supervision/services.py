"""Writes of the supervision app: rules, the 督查室's manual actions (催办, 督办单, 挂牌督办) and the
unit's reply to a 督办单.

Each service is keyword-only and atomic, validates first (ValidationError with Chinese,
field-keyed messages; nothing changed on refusal) and appends its one ledger entry last. Events
about a task are appended with ``obj=task`` so the task's 办理记录 shows them. Notices go through
duban.notices.services (which records its own batch entry and fills the outbox).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.core import ledger, permissions
from duban.core.roles import Role
from duban.notices import services as notices
from duban.notices.models import NoticeKind
from duban.supervision import workdays
from duban.supervision.models import (
    LADDER,
    RULE_FIELDS,
    Listing,
    MissKind,
    Order,
    OrderCounter,
    OrderReply,
    Reminder,
    ReminderKind,
    Rule,
)
from duban.tasks import evidence as evidence_files
from duban.tasks import lights, statemachine
from duban.tasks import services as task_services
from duban.tasks.models import CLOSED_STATUSES, Category, Evidence, Task, TaskPolicy, TaskStatus

# Bounds of each rule field (working days); None in a ladder step means "step not used".
BOUNDS = {
    "ack_days": (1, 30), "remind_report_days": (0, 30), "remind_due_days": (0, 30),
    "remind_after": (0, 60), "order_after": (0, 60), "list_after": (0, 120), "propose_after": (0, 250),
    "order_reply_days": (1, 30),
}
OPTIONAL = set(LADDER)
WORKING = (TaskStatus.ASSIGNED, TaskStatus.ACKNOWLEDGED, TaskStatus.IN_PROGRESS)
REPORTING = (TaskStatus.ACKNOWLEDGED, TaskStatus.IN_PROGRESS)


def _require(user, perm: str) -> None:
    if not permissions.can(user, perm):
        raise PermissionDenied(_("您没有执行此操作的权限。"))


def _clean_text(value, field: str, *, required: bool, max_length: int, label: str) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else None
    if value is None:
        raise ValidationError({field: _("“%(label)s”格式不正确。") % {"label": label}})
    if required and not value:
        raise ValidationError({field: _("请填写“%(label)s”。") % {"label": label}})
    if len(value) > max_length:
        raise ValidationError({field: _("“%(label)s”不能超过 %(n)s 个字。") % {"label": label, "n": max_length}})
    return value


def _lock(model, pk):
    qs = model.objects.all()
    if connection.features.has_select_for_update:
        qs = qs.select_for_update()
    return qs.get(pk=pk)


_PLACEHOLDER = 987654321


@lru_cache(maxsize=1)
def _task_url_pattern() -> str:
    # reverse() once: the scan builds tens of thousands of links per run.
    return reverse("tasks:detail", args=[_PLACEHOLDER]).replace(str(_PLACEHOLDER), "{}")


def task_url(task) -> str:
    return _task_url_pattern().format(int(task.pk if hasattr(task, "pk") else task))


def orders_url() -> str:
    return reverse("supervision:orders")


# --- rules ------------------------------------------------------------------------------------------
def rule_key(category: Category | None) -> str:
    return f"category:{category.pk}" if category is not None else "default"


def rule_for(category: Category | None) -> Rule:
    """The rule in force for a category: its own, else the default (unsaved defaults if none)."""
    if category is not None:
        own = Rule.objects.filter(key=rule_key(category)).first()
        if own is not None:
            return own
    return Rule.objects.filter(key="default").first() or Rule(key="default")


def _rule_values(rule: Rule) -> dict:
    return {name: getattr(rule, name) for name in RULE_FIELDS}


def clean_rule_values(values: dict) -> dict:
    """Parse and check the rule's fields; raise one ValidationError naming every bad field."""
    errors: dict[str, str] = {}
    out: dict = {}
    labels = {name: str(Rule._meta.get_field(name).verbose_name) for name in RULE_FIELDS}
    for name in RULE_FIELDS:
        raw = values.get(name)
        low, high = BOUNDS[name]
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            if name in OPTIONAL:
                out[name] = None
                continue
            errors[name] = _("请填写“%(label)s”。") % {"label": labels[name]}
            continue
        try:
            number = int(str(raw).strip()) if not isinstance(raw, bool) else None
        except ValueError:
            number = None
        if number is None:
            errors[name] = _("“%(label)s”应为整数。") % {"label": labels[name]}
        elif not low <= number <= high:
            errors[name] = _("“%(label)s”应在 %(low)s 到 %(high)s 个工作日之间。") % {
                "label": labels[name], "low": low, "high": high}
        else:
            out[name] = number
    if not errors:
        previous = None
        for name in LADDER:
            value = out[name]
            if value is None:
                continue
            if previous is not None and value <= out[previous]:
                errors[name] = _("升级顺序不对:“%(this)s”须晚于“%(prev)s”(%(n)s 个工作日)。") % {
                    "this": labels[name], "prev": labels[previous], "n": out[previous]}
                break
            previous = name
        if all(out[name] is None for name in LADDER):
            errors["remind_after"] = _("逾期后的升级步骤至少要启用一步。")
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def rule_save(*, actor, category: Category | None, values: dict, expected_version: int | None = None,
              policy: dict | None = None) -> Rule:
    """Save the rule of a category (or the default rule). ``policy`` (yellow_days,
    report_todo_days) is saved in the same transaction through tasks' ``policy_update``: bad input
    in either saves neither."""
    _require(actor, permissions.SUPERVISION_MANAGE)
    errors: dict = {}
    try:
        cleaned = clean_rule_values(values)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        cleaned = None
    policy_values = None
    if policy is not None:
        policy_values = {}
        for name, top in (("yellow_days", 365), ("report_todo_days", 60)):
            try:
                number = int(str(policy.get(name, "")).strip())
            except ValueError:
                number = None
            if number is None or not 0 <= number <= top:
                errors[name] = [_("请填写 0 到 %(n)s 之间的整数。") % {"n": top}]
            else:
                policy_values[name] = number
    if errors:
        raise ValidationError(errors)
    key = rule_key(category)
    rule = Rule.objects.filter(key=key).first()
    if rule is None:
        rule = Rule(key=key, category=category)
        rule.pk = None
        before = None
    else:
        rule = _lock(Rule, rule.pk)
        if expected_version is not None and rule.version != expected_version:
            raise ValidationError(_("规则已被他人修改,请刷新后重试。"), code="stale")
        before = _rule_values(rule)
    if policy_values is not None:
        current = TaskPolicy.current()
        if (current.yellow_days, current.report_todo_days) != (policy_values["yellow_days"],
                                                               policy_values["report_todo_days"]):
            task_services.policy_update(actor=actor, **policy_values)
    for name, value in cleaned.items():
        setattr(rule, name, value)
    rule.version = (rule.version or 0) + (1 if before is not None else 0)
    rule.updated_at = timezone.now()
    rule.save()
    ledger.append(event="supervision_rule_save", obj=rule, actor=actor,
                  data={"category": category.pk if category else None, "version": rule.version,
                        "before": before, "after": cleaned})
    return rule


@transaction.atomic
def rule_delete(*, actor, category: Category) -> None:
    """Drop a category's own rule: the category follows the default rule again."""
    _require(actor, permissions.SUPERVISION_MANAGE)
    rule = Rule.objects.filter(key=rule_key(category)).first()
    if rule is None:
        raise ValidationError(_("该类别没有单独的规则。"))
    before = _rule_values(rule)
    rule.delete()
    ledger.append(event="supervision_rule_delete", object_type="supervision.rule", object_id=rule_key(category),
                  object_repr=str(category), actor=actor,
                  data={"category": category.pk, "before": before, "after": None})


# --- misses -----------------------------------------------------------------------------------------
def current_miss(task: Task, today: date | None = None) -> tuple[str, date]:
    """What a manual 督办单 or 挂牌督办 is about: the task's overdue due date, else its missed
    report, else its missed acknowledgement, else the 督查室's own decision that day."""
    today = today or lights.today()
    if task.status in WORKING and task.due_date is not None and task.due_date < today:
        return MissKind.DUE, task.due_date
    if task.status in REPORTING and task.next_report_due is not None and task.next_report_due < today:
        return MissKind.REPORT, task.next_report_due
    if task.status == TaskStatus.ASSIGNED and task.assigned_at is not None:
        assigned = timezone.localtime(task.assigned_at, lights.BEIJING).date()
        rule = rule_for(task.category)
        if workdays.add_workdays(assigned, rule.ack_days) < today:
            return MissKind.ACK, assigned
    return MissKind.MANUAL, today


def miss_key(task_id: int, step: str, miss_kind: str, miss_date: date | None) -> str:
    return f"{task_id}:{step}:{miss_kind}:{miss_date.isoformat() if miss_date else ''}"


def miss_text(miss_kind: str, miss_date: date | None) -> str:
    if miss_kind == MissKind.DUE:
        return _("任务已超过完成时限(%(d)s)") % {"d": miss_date}
    if miss_kind == MissKind.REPORT:
        return _("进展报送已逾期(应于 %(d)s 前报送)") % {"d": miss_date}
    if miss_kind == MissKind.ACK:
        return _("交办后逾期未签收(%(d)s 交办)") % {"d": miss_date}
    if miss_kind == MissKind.REPLY:
        return _("督办单逾期未回复(应于 %(d)s 前回复)") % {"d": miss_date}
    return _("督查室督办")


def _open_task(task: Task, action: str) -> Task:
    current = _lock(Task, task.pk)
    if current.status in CLOSED_STATUSES or current.status == TaskStatus.DRAFT:
        raise ValidationError(_("任务当前状态为“%(status)s”,不能%(action)s。") % {
            "status": current.get_status_display(), "action": action}, code="bad_state")
    return current


# --- notices (one item each; the scan builds the same items in bulk) --------------------------------
def reminder_item(task: Task, *, title: str, body: str, dedupe_key: str, on: date, kind=NoticeKind.REMINDER) -> dict:
    """催办: to the acting holder of the responsible post, copied to the unit's liaison post."""
    return {"kind": kind, "subject": task, "url": task_url(task), "title": title, "body": body,
                "to_post": task.responsible_post_id, "to_unit": task.lead_unit_id, "dedupe_key": dedupe_key, "on": on}


def order_item(order: Order, task: Task, *, on: date) -> dict:
    return {"kind": NoticeKind.NOTICE_ISSUED, "subject": task, "url": orders_url(),
                "title": _("督办单 %(number)s:%(title)s") % {"number": order.number, "title": task.title},
                "body": _("%(matter)s 请于 %(due)s 前书面回复。") % {"matter": order.matter, "due": order.reply_due},
                "to_unit": order.unit_id, "to_post": task.responsible_post_id, "copy_unit_leader": True,
                "dedupe_key": order.dedupe_key, "on": on}


def listing_item(listing: Listing, task: Task, *, on: date, removed: bool = False) -> dict:
    leaders = [task.responsible_leader_id] if task.responsible_leader_id else []
    if removed:
        title = _("摘牌:%(title)s") % {"title": task.title}
        body = listing.unlist_reason
        key = f"unlist:{listing.pk}"
    else:
        title = _("挂牌督办:%(title)s") % {"title": task.title}
        body = _("%(reason)s 挂牌期间须每周报送进展。") % {"reason": listing.reason}
        key = listing.dedupe_key or f"list:{listing.pk}"
    return {"kind": NoticeKind.UNLISTED if removed else NoticeKind.LISTED, "subject": task, "url": task_url(task),
                "title": title, "body": body, "to_unit": task.lead_unit_id, "to_post": task.responsible_post_id,
                "copy_leaders": leaders, "dedupe_key": key, "on": on}


def supervisors():
    return list(get_user_model().objects.filter(role=Role.SUPERVISOR, is_active=True).order_by("id"))


def discipline_users():
    return list(get_user_model().objects.filter(role=Role.DISCIPLINE, is_active=True).order_by("id"))


# --- manual actions of the 督查室 --------------------------------------------------------------------
@transaction.atomic
def reminder_send(*, actor, task: Task, message: str) -> Reminder:
    """催办 now: a reminder with the 督查室's message to the acting holder (copy: liaison post)."""
    _require(actor, permissions.SUPERVISION_MANAGE)
    message = _clean_text(message, "message", required=True, max_length=500, label=_("催办内容"))
    current = _open_task(task, _("催办"))
    today = lights.today()
    reminder = Reminder.objects.create(task=current, kind=ReminderKind.MANUAL, miss_kind=MissKind.MANUAL,
                                       miss_date=today, message=message, created_by=actor)
    notices.notice_send(actor=actor, **reminder_item(
        current, title=_("催办:%(title)s") % {"title": current.title}, body=message,
        dedupe_key=f"reminder:{reminder.pk}", on=today))
    ledger.append(event="supervision_remind", obj=current, object_type="tasks.task", actor=actor,
                  data={"text": message, "reminder": reminder.pk})
    return reminder


def _next_seq(year: int, count: int = 1) -> int:
    """Reserve ``count`` numbers of the year; returns the first. The counter row is locked until commit."""
    OrderCounter.objects.get_or_create(year=year)
    counter = _lock(OrderCounter, year)
    first = counter.last + 1
    OrderCounter.objects.filter(pk=year).update(last=counter.last + count)
    return first


def order_matter(task: Task, miss_kind: str, miss_date) -> str:
    return _("你单位牵头承办的“%(title)s”%(miss)s。") % {"title": task.title, "miss": miss_text(miss_kind, miss_date)}


DEFAULT_REQUIREMENTS = _("请你单位主要负责人亲自过问,认真分析原因,制定整改措施,按期书面回复办理情况。")


@transaction.atomic
def order_issue(*, actor, task: Task, matter: str = "", requirements: str = "") -> Order:
    """Issue a 督办单 for the task's current miss, numbered 督〔YYYY〕N号, with the reply due in the
    rule's working days. A second 督办单 for the same miss is refused."""
    _require(actor, permissions.SUPERVISION_MANAGE)
    matter = _clean_text(matter, "matter", required=False, max_length=2000, label=_("督办事项"))
    requirements = _clean_text(requirements, "requirements", required=False, max_length=2000, label=_("督办要求"))
    current = _open_task(task, _("下发督办单"))
    if current.lead_unit_id is None:
        raise ValidationError(_("任务没有牵头单位,不能下发督办单。"))
    today = lights.today()
    miss_kind, miss_date = current_miss(current, today)
    key = miss_key(current.pk, "order", miss_kind, miss_date)
    existing = Order.objects.filter(dedupe_key=key).first()
    if existing is not None:
        raise ValidationError(_("本次%(miss)s已下发督办单 %(number)s,不能重复下发。") % {
            "miss": miss_text(miss_kind, miss_date), "number": existing.number}, code="duplicate")
    rule = rule_for(current.category)
    order = Order(task=current, unit_id=current.lead_unit_id, year=today.year, seq=_next_seq(today.year),
                  miss_kind=miss_kind, miss_date=miss_date, matter=matter or order_matter(current, miss_kind, miss_date),
                  requirements=requirements or str(DEFAULT_REQUIREMENTS),
                  reply_due=workdays.add_workdays(today, rule.order_reply_days), issued_by=actor, issued_on=today,
                  dedupe_key=key)
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError:  # the scan issued it a moment ago
        raise ValidationError(_("本次逾期已下发督办单,不能重复下发。"), code="duplicate") from None
    notices.notice_send(actor=actor, **order_item(order, current, on=today))
    ledger.append(event="supervision_order_issue", obj=current, object_type="tasks.task", actor=actor,
                  data={"text": order.number + " " + order.matter, "order": order.pk, "number": order.number,
                        "reply_due": order.reply_due, "miss": miss_kind, "miss_date": miss_date})
    return order


@transaction.atomic
def listing_add(*, actor, task: Task, reason: str) -> Listing:
    """挂牌督办 by the 督查室."""
    _require(actor, permissions.SUPERVISION_MANAGE)
    reason = _clean_text(reason, "reason", required=True, max_length=500, label=_("挂牌理由"))
    current = _open_task(task, _("挂牌督办"))
    if Listing.objects.filter(task=current, is_active=True).exists():
        raise ValidationError({"reason": _("该任务已在挂牌督办中。")}, code="duplicate")
    today = lights.today()
    miss_kind, miss_date = current_miss(current, today)
    listing = Listing.objects.create(task=current, reason=reason, miss_kind=miss_kind, miss_date=miss_date,
                                     listed_by=actor, listed_on=today)
    notices.notice_send(actor=actor, **listing_item(listing, current, on=today))
    ledger.append(event="supervision_list", obj=current, object_type="tasks.task", actor=actor,
                  data={"text": reason, "listing": listing.pk})
    return listing


@transaction.atomic
def listing_remove(*, actor, task: Task, reason: str) -> Listing:
    """摘牌: only the 督查室, only with a reason."""
    _require(actor, permissions.SUPERVISION_MANAGE)
    reason = _clean_text(reason, "unlist_reason", required=True, max_length=500, label=_("摘牌理由"))
    listing = Listing.objects.filter(task_id=task.pk, is_active=True).first()
    if listing is None:
        raise ValidationError({"unlist_reason": _("该任务不在挂牌督办中。")})
    listing = _lock(Listing, listing.pk)
    listing.is_active = False
    listing.unlisted_by = actor
    listing.unlisted_at = timezone.now()
    listing.unlist_reason = reason
    listing.save(update_fields=["is_active", "unlisted_by", "unlisted_at", "unlist_reason"])
    current = Task.objects.select_related("lead_unit").get(pk=task.pk)
    notices.notice_send(actor=actor, **listing_item(listing, current, on=lights.today(), removed=True))
    ledger.append(event="supervision_unlist", obj=current, object_type="tasks.task", actor=actor,
                  data={"text": reason, "listing": listing.pk})
    return listing


# --- the unit's reply --------------------------------------------------------------------------------
def may_reply(user, order: Order) -> bool:
    """The addressed unit's side: a unit user whose subtree holds the unit, or the acting holder
    of the task's responsible post."""
    if not permissions.can(user, permissions.SUPERVISION_REPLY):
        return False
    own = getattr(user, "unit", None)
    if own is not None and order.unit.path.startswith(own.path):
        return True
    return statemachine.acts_for_lead(user, order.task)


def order_reply(*, actor, order: Order, text: str, files=()) -> OrderReply:
    """The unit's written reply (反馈) with files. It is appended to the task's ledger; a reply
    after the deadline is marked late and escalates to 挂牌督办 (the ladder's next step)."""
    checked = evidence_files.check_uploads(files)
    with evidence_files.stored(checked) as names, transaction.atomic():
        return _order_reply(actor=actor, order=order, text=text, checked=checked, names=names)


def _order_reply(*, actor, order, text, checked, names) -> OrderReply:
    order = Order.objects.select_related("unit", "task").get(pk=order.pk)
    if not may_reply(actor, order):
        raise PermissionDenied(_("只有督办单主送单位可以回复。"))
    text = _clean_text(text, "text", required=True, max_length=10000, label=_("回复内容"))
    order = _lock(Order, order.pk)
    if order.replied_at is not None or OrderReply.objects.filter(order=order).exists():
        raise ValidationError(_("督办单 %(number)s 已回复,不能重复回复。") % {"number": order.number}, code="duplicate")
    task = _lock(Task, order.task_id)
    if task.status in CLOSED_STATUSES:
        raise ValidationError(_("任务已%(status)s,督办单不再接受回复。") % {"status": task.get_status_display()},
                              code="closed")
    today = lights.today()
    now = timezone.now()
    late = today > order.reply_due
    reply = OrderReply.objects.create(order=order, author=actor, text=text, submitted_at=now, late=late)
    rows = [Evidence.objects.create(task=task, report=None, original_name=f.original_name, storage_name=name,
                                    file_type=f.file_type, content_type=f.content_type, size=f.size,
                                    sha256=f.sha256, uploaded_by=actor)
            for f, name in zip(checked, names, strict=True)]
    reply.files.set(rows)
    Order.objects.filter(pk=order.pk).update(replied_at=now)
    order.replied_at = now
    escalated = None
    items = [{"kind": NoticeKind.NOTICE_REPLY, "subject": task, "url": task_url(task),
                  "title": _("督办单 %(number)s 已回复%(late)s") % {"number": order.number,
                                                            "late": _("(逾期)") if late else ""},
                  "body": text[:500], "copy_leaders": supervisors(), "dedupe_key": f"reply:{order.pk}", "on": today}]
    if late and not Listing.objects.filter(task=task, is_active=True).exists():
        key = miss_key(task.pk, "list", MissKind.REPLY, order.reply_due)
        if not Listing.objects.filter(dedupe_key=key).exists():
            rule = rule_for(task.category)
            if rule.list_after is not None:
                listing = Listing.objects.create(
                    task=task, reason=miss_text(MissKind.REPLY, order.reply_due), miss_kind=MissKind.REPLY,
                    miss_date=order.reply_due, listed_on=today, dedupe_key=key)
                items.append(listing_item(listing, task, on=today))
                escalated = "listed"
    if items:
        notices.notices_send_bulk(actor=actor, items=[i for i in items if i.get("copy_leaders") or i.get("to_unit")])
    ledger.append(event="supervision_order_reply", obj=task, object_type="tasks.task", actor=actor,
                  data={"text": text, "order": order.pk, "number": order.number, "late": late,
                        "reply_due": order.reply_due, "escalated": escalated,
                        "files": [{"name": f.original_name, "sha256": f.sha256, "size": f.size} for f in checked]})
    return reply

"""The supervision scan: every open task against the rules, in sets, idempotently.

For each rule (one per category plus the default) and each thing a rule asks for, the date
threshold is computed ONCE per run from today's date and the working-day calendar
(``workdays.latest_missed_by``), and the candidate tasks are one keyset-paginated query::

    open tasks of the rule's categories
      with deadline <= threshold            (a column: due_date, next_report_due, assigned date)
      and NOT EXISTS (the record this step creates for this miss)

So no per-task query, and no per-task working-day arithmetic in Python. Each batch is one
transaction: the records (reminders, 督办单 with their numbers, listings, proposals), their
notices (one bulk send) and one ledger entry. A crash mid-run leaves the committed batches in
place and the rerun's NOT EXISTS skips them; the unique ``dedupe_key`` on every record (and on
the notices) makes a racing second worker create nothing twice.

The clock: "today" is the Beijing date. A run after a missed day computes thresholds from the
new date, so everything the missed day would have done is done (deadlines ``<=`` threshold,
never ``==``); a clock set back an hour gives the same date and the same keys: nothing again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.core import ledger
from duban.notices import bulk as notice_bulk
from duban.notices import services as notices
from duban.notices.models import NoticeKind
from duban.supervision import workdays
from duban.supervision.models import (
    Listing,
    MissKind,
    Order,
    Proposal,
    Reminder,
    ReminderKind,
    Rule,
)
from duban.supervision.services import (
    DEFAULT_REQUIREMENTS,
    REPORTING,
    WORKING,
    _next_seq,
    discipline_users,
    listing_item,
    miss_key,
    miss_text,
    order_item,
    order_matter,
    reminder_item,
    task_url,
)
from duban.tasks import lights
from duban.tasks.models import ProgressReport, Task, TaskStatus

log = logging.getLogger("duban.supervision.scan")

ANALYZE_AFTER = 5000  # rows inserted before the statistics are refreshed (PostgreSQL)
BATCH = 10000  # tasks per transaction: large enough to amortise the per-batch queries and ledger entry
STEPS = ("remind", "order", "list", "propose")
STEP_FIELD = {"remind": "remind_after", "order": "order_after", "list": "list_after", "propose": "propose_after"}
STEP_LABEL = {"remind": "催办", "order": "督办单", "list": "挂牌督办", "propose": "问责建议",
              "due_soon": "到期提醒", "report_soon": "报送提醒", "listed_weekly": "挂牌周报提醒"}
TASK_COLUMNS = ("pk", "title", "lead_unit_id", "responsible_post_id", "responsible_leader_id", "category_id",
                "due_date", "next_report_due")


def batch_committed(step: str, count: int) -> None:
    """Called after each committed batch (a seam for tests that inject a crash)."""


@dataclass
class Planned:
    step: str
    task_id: int
    title: str
    miss_kind: str
    miss_date: date | None

    def describe(self) -> str:
        return f"{STEP_LABEL[self.step]}\t#{self.task_id}\t{self.title}\t{miss_text(self.miss_kind, self.miss_date)}"


@dataclass
class Result:
    today: date
    dry_run: bool
    counts: dict = field(default_factory=dict)
    notices: int = 0
    planned: list = field(default_factory=list)
    uncovered_years: list = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class _Row:
    """A candidate task as the batch builders need it: the values read (no further queries) and
    the ``anchor`` (the missed deadline). It stands in for a Task as a notice's subject (it has
    Task's ``_meta``, a ``pk`` and a str()), at a fraction of a model instance's cost — the first
    scan of a large backlog builds hundreds of thousands of these."""

    __slots__ = ("pk", "title", "lead_unit_id", "responsible_post_id", "responsible_leader_id", "category_id",
                 "due_date", "next_report_due", "anchor")
    _meta = Task._meta

    def __init__(self, values):
        (self.pk, self.title, self.lead_unit_id, self.responsible_post_id, self.responsible_leader_id,
         self.category_id, self.due_date, self.next_report_due, *rest) = values
        self.anchor = rest[0] if rest else None

    @property
    def id(self):
        return self.pk

    def __str__(self) -> str:
        return self.title


def _columns(model) -> tuple[str, ...]:
    return tuple(f.attname for f in model._meta.concrete_fields if not f.primary_key)


def _insert(model, records: list[dict]) -> int:
    """Insert plain records (dicts of attname → value; the model's defaults fill the rest) in one
    set-based statement that skips what a unique dedupe key already holds; returns the number
    inserted. No model instances: at a million tasks their construction would cost more than
    the insert."""
    if not records:
        return 0
    columns = _columns(model)
    defaults = {f.attname: f.get_default() for f in model._meta.concrete_fields if not f.primary_key}
    rows = [tuple({**defaults, **r}[c] for c in columns) for r in records]
    return notice_bulk.insert_ignoring_conflicts(model, columns, rows)


# --- thresholds ----------------------------------------------------------------------------------
def _ack_anchor_max(cutoff: date, ack_days: int) -> date:
    """The latest assignment date A whose acknowledgement deadline (A + ack_days working days) is
    on or before ``cutoff``."""
    day = cutoff
    for _step in range(400):
        if workdays.add_workdays(day, ack_days) <= cutoff:
            return day
        day -= timedelta(days=1)
    return day


def _soon_max(today: date, n: int) -> date:
    """The latest deadline D that is at most n working days away (today counted as in reach)."""
    day = today
    for _step in range(400):
        nxt = day + timedelta(days=1)
        if workdays.add_workdays(nxt, -n) > today:
            return day
        day = nxt
    return day


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), lights.BEIJING)


# --- the scan ----------------------------------------------------------------------------------------
class Scan:
    def __init__(self, today: date | None = None, *, dry_run: bool = False, batch_size: int = BATCH):
        self.today = today or lights.today()
        self.dry_run = dry_run
        self.batch_size = batch_size
        self.result = Result(today=self.today, dry_run=dry_run,
                             uncovered_years=workdays.uncovered_years(self.today - timedelta(days=31),
                                                                      self.today + timedelta(days=62)))
        rules = list(Rule.objects.all())
        self.default = next((r for r in rules if r.key == "default"), None) or Rule(key="default")
        self.own = [r for r in rules if r.category_id is not None]
        self.cutoffs: dict[int, date] = {}
        self.unanalysed = 0
        # One sender for the whole run: who each post and unit reaches today (acting holder,
        # substitution note, liaison posts, flags) is resolved once, not per task.
        self.sender = notices.Sender(actor=None)
        self.now = timezone.now()
        self._texts: dict = {}

    def cutoff(self, n: int) -> date:
        if n not in self.cutoffs:
            self.cutoffs[n] = workdays.latest_missed_by(self.today, n)
        return self.cutoffs[n]

    def rule_scopes(self):
        """(rule, Q of the tasks it governs)."""
        own_ids = [r.category_id for r in self.own]
        yield self.default, Q(category__isnull=True) | ~Q(category_id__in=own_ids) if own_ids else Q()
        for rule in self.own:
            yield rule, Q(category_id=rule.category_id)

    def run(self) -> Result:
        for rule, scope in self.rule_scopes():
            self._before(rule, scope)
            for miss_kind in (MissKind.ACK, MissKind.REPORT, MissKind.DUE):
                for step in STEPS:
                    n = getattr(rule, STEP_FIELD[step])
                    if n is not None:
                        self._ladder(rule, scope, miss_kind, step, n)
        self._unreplied_orders()
        self._listed_weekly()
        self._fresh_statistics()  # for the next run's plans
        return self.result

    # candidates ------------------------------------------------------------------------------------
    def _missed(self, rule: Rule, scope: Q, miss_kind: str, n: int):
        cutoff = self.cutoff(n)
        qs = Task.objects.filter(scope)
        if miss_kind == MissKind.DUE:
            return qs.filter(status__in=WORKING, due_date__lte=cutoff).annotate(anchor=F("due_date"))
        if miss_kind == MissKind.REPORT:
            return qs.filter(status__in=REPORTING, next_report_due__lte=cutoff).annotate(anchor=F("next_report_due"))
        anchor_max = _ack_anchor_max(cutoff, rule.ack_days)
        return qs.filter(status=TaskStatus.ASSIGNED, assigned_at__lt=_day_start(anchor_max + timedelta(days=1))) \
            .annotate(anchor=TruncDate("assigned_at", tzinfo=lights.BEIJING))

    def _not_done(self, qs, step: str, miss_kind: str):
        if step == "remind":
            done = Reminder.objects.filter(task=OuterRef("pk"), kind=ReminderKind.LADDER, miss_kind=miss_kind,
                                           miss_date=OuterRef("anchor"))
        elif step == "order":
            done = Order.objects.filter(task=OuterRef("pk"), miss_kind=miss_kind, miss_date=OuterRef("anchor"))
        elif step == "list":
            qs = qs.exclude(Exists(Listing.objects.filter(task=OuterRef("pk"), is_active=True)))
            done = Listing.objects.filter(task=OuterRef("pk"), miss_kind=miss_kind, miss_date=OuterRef("anchor"))
        else:
            done = Proposal.objects.filter(task=OuterRef("pk"), miss_kind=miss_kind, miss_date=OuterRef("anchor"))
        return qs.exclude(Exists(done))

    def _fresh_statistics(self) -> None:
        """After many inserts, refresh PostgreSQL's statistics of the supervision tables before
        the next step's query: planned against a table the planner still thinks is empty, the
        NOT EXISTS anti-joins degrade into nested loops (a 30,000-task rescan went from 0.2 s to
        9 s). ANALYZE samples, so it is cheap even at a million rows."""
        if self.unanalysed < ANALYZE_AFTER or connection.vendor != "postgresql" or connection.in_atomic_block:
            return
        with connection.cursor() as cur:
            cur.execute("ANALYZE " + ", ".join(m._meta.db_table for m in (Reminder, Order, Listing, Proposal)))
        self.unanalysed = 0

    def _batches(self, qs, extra=()):
        """The step's candidates in batches. ONE query per step finds them (id and missed date:
        the anti-join is planned once, on statistics refreshed just before, as a hash anti-join);
        each batch then reads its rows by primary key. Paging the anti-join itself (keyset,
        ``id > last LIMIT n``) degrades at scale: the step's own inserts make the planner's
        statistics stale within the step and each page became a nested loop over every record
        inserted so far (quadratic; 12 s per page at a million tasks)."""
        self._fresh_statistics()
        anchored = "anchor" in extra
        found = list(qs.order_by("pk").values_list("pk", "anchor") if anchored else
                     qs.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(found), self.batch_size):
            chunk = found[start:start + self.batch_size]
            if anchored:
                anchors = dict(chunk)
                ids = list(anchors)
            else:
                anchors, ids = {}, chunk
            raw = list(self._rows_by_id(ids))
            rows = []
            for values in raw:
                row = _Row(values)
                row.anchor = anchors.get(row.pk)
                rows.append(row)
            yield rows, raw

    @staticmethod
    def _rows_by_id(ids):
        qs = Task.objects.order_by("pk")
        if connection.vendor == "postgresql":  # one array parameter, not ten thousand placeholders
            qs = qs.extra(where=['"tasks_task"."id" = ANY(%s)'], params=[list(ids)])
        else:
            qs = qs.filter(pk__in=ids)
        return qs.values_list(*TASK_COLUMNS)

    def miss(self, miss_kind: str, miss_date) -> str:
        """miss_text with its template translated once per run (it is asked for every record)."""
        template = self._texts.get(miss_kind)
        if template is None:
            template = self._texts[miss_kind] = miss_text(miss_kind, _DateSlot())
        return template.replace(_DateSlot.MARK, str(miss_date))

    # steps -------------------------------------------------------------------------------------------
    def _before(self, rule: Rule, scope: Q) -> None:
        for step, column, days, statuses, kind in (
            ("due_soon", "due_date", rule.remind_due_days, WORKING, NoticeKind.TASK_DUE),
            ("report_soon", "next_report_due", rule.remind_report_days, REPORTING, NoticeKind.REPORT_DUE),
        ):
            if not days:
                continue
            last = _soon_max(self.today, days)
            qs = Task.objects.filter(scope, status__in=statuses, **{f"{column}__gte": self.today,
                                                                    f"{column}__lte": last}) \
                .annotate(anchor=F(column))
            done = Reminder.objects.filter(task=OuterRef("pk"), kind=step, miss_date=OuterRef("anchor"))
            qs = qs.exclude(Exists(done))
            for rows, _raw in self._batches(qs, ("anchor",)):
                self._commit(step, rows, lambda rows, step=step, kind=kind: self._reminders(rows, step, kind))

    def _reached(self, qs, step: str, miss_kind: str):
        """Only tasks whose previous rung was climbed on an earlier day: the ladder goes one step
        at a time, so a long-missed deadline (a backlog at go-live, a worker down for a week)
        gets 催办 first and 问责建议 only after 督办单 and 挂牌督办, never all four at once."""
        today = self.today
        if step == "remind":
            prior = Reminder.objects.filter(task=OuterRef("pk"), kind=ReminderKind.LADDER, miss_kind=miss_kind,
                                            miss_date=OuterRef("anchor"), created_at__lt=_day_start(today))
        elif step == "order":
            prior = Order.objects.filter(task=OuterRef("pk"), miss_kind=miss_kind, miss_date=OuterRef("anchor"),
                                         issued_on__lt=today)
        else:  # list: proposals follow a listing that is still in force (the 督查室 may have lifted it)
            prior = Listing.objects.filter(task=OuterRef("pk"), is_active=True, listed_on__lt=today)
        return qs.filter(Exists(prior))

    def _ladder(self, rule: Rule, scope: Q, miss_kind: str, step: str, n: int) -> None:
        qs = self._not_done(self._missed(rule, scope, miss_kind, n), step, miss_kind)
        used = [s for s in STEPS if getattr(rule, STEP_FIELD[s]) is not None]
        previous = used[used.index(step) - 1] if used.index(step) > 0 else None
        if previous is not None:
            qs = self._reached(qs, previous, miss_kind)
        builder = {"remind": self._remind_rows, "order": self._order_rows, "list": self._list_rows,
                   "propose": self._propose_rows}[step]
        for rows, _raw in self._batches(qs, ("anchor",)):
            self._commit(step, rows, lambda rows, b=builder: b(rows, miss_kind, rule), miss_kind=miss_kind)

    def _unreplied_orders(self) -> None:
        """A 督办单 not replied by its deadline escalates to 挂牌督办."""
        orders = Order.objects.filter(reply_due__lt=self.today, replied_at__isnull=True, task__status__in=WORKING)
        qs = Task.objects.filter(Exists(orders.filter(task=OuterRef("pk")))) \
            .exclude(Exists(Listing.objects.filter(task=OuterRef("pk"), is_active=True)))
        qs = qs.annotate(anchor=orders.filter(task=OuterRef("pk")).order_by("reply_due").values("reply_due")[:1])
        qs = qs.exclude(Exists(Listing.objects.filter(task=OuterRef("pk"), miss_kind=MissKind.REPLY,
                                                      miss_date=OuterRef("anchor"))))
        for rows, _raw in self._batches(qs, ("anchor",)):
            self._commit("list", rows, lambda rows: self._list_rows(rows, MissKind.REPLY, None),
                         miss_kind=MissKind.REPLY)

    def _listed_weekly(self) -> None:
        """Listed tasks report weekly: a listed task with no report in the last 7 days (and listed
        at least 7 days ago) is reminded once per ISO week."""
        week = self.today - timedelta(days=self.today.weekday())
        since = self.today - timedelta(days=7)
        listed = Listing.objects.filter(task=OuterRef("pk"), is_active=True, listed_on__lte=since)
        recent = ProgressReport.objects.filter(task=OuterRef("pk"), submitted_at__gte=_day_start(since))
        done = Reminder.objects.filter(task=OuterRef("pk"), kind=ReminderKind.LISTED_WEEKLY, miss_date=week)
        qs = Task.objects.filter(Exists(listed), status__in=REPORTING).exclude(Exists(recent)).exclude(Exists(done))
        for rows, _raw in self._batches(qs):
            for r in rows:
                r.anchor = week
            self._commit("listed_weekly", rows, lambda rows: self._reminders(rows, "listed_weekly",
                                                                             NoticeKind.REMINDER))

    # committing a batch -------------------------------------------------------------------------------
    def _commit(self, step: str, rows: list[_Row], build, *, miss_kind: str = "") -> None:
        if self.dry_run:
            self.result.planned += [Planned(step, r.pk, r.title, miss_kind or step, r.anchor) for r in rows]
            self.result.counts[step] = self.result.counts.get(step, 0) + len(rows)
            return
        with transaction.atomic():
            made, items = build(rows)
            # A task without lead unit or post has nobody to tell; its record still stands.
            items = [i for i in items if any(i.get(k) for k in ("to_post", "to_unit", "to_person", "to_user",
                                                                   "copy_leaders"))]
            sent = self.sender.send(items) if items else 0
            ledger.append(event="supervision_scan_batch", object_type="supervision.scan",
                          object_id=self.today.isoformat(),
                          data={"step": step, "miss": miss_kind, "on": self.today, "tasks": [r.pk for r in rows],
                                "created": made, "notices": sent})
        self.result.counts[step] = self.result.counts.get(step, 0) + made
        self.result.notices += sent
        self.unanalysed += made
        batch_committed(step, made)

    def _reminders(self, rows, step: str, kind):
        records, items = [], []
        if step == "due_soon":
            title_t, body_t = _("任务临期:%(title)s"), _("完成时限为 %(d)s,请抓紧办理。")
        elif step == "report_soon":
            title_t, body_t = _("进展报送临期:%(title)s"), _("请于 %(d)s 前报送进展。")
        else:
            title_t, body_t = _("挂牌督办任务请报送本周进展:%(title)s"), _("挂牌督办期间须每周报送进展,本周尚未报送。")
        for r in rows:
            key = miss_key(r.pk, step, step, r.anchor)
            title = title_t % {"title": r.title}
            body = body_t % {"d": r.anchor} if "%(d)s" in body_t else body_t
            records.append({"task_id": r.pk, "kind": step, "miss_date": r.anchor, "message": body,
                            "created_at": self.now, "dedupe_key": key})
            items.append(reminder_item(r, title=title, body=body, dedupe_key=key, on=self.today, kind=kind))
        return _insert(Reminder, records), items

    def _remind_rows(self, rows, miss_kind, rule):
        records, items = [], []
        body_t, title_t = _("“%(title)s”%(miss)s,请抓紧办理并及时报送。"), _("催办:%(title)s")
        for r in rows:
            key = miss_key(r.pk, "remind", miss_kind, r.anchor)
            body = body_t % {"title": r.title, "miss": self.miss(miss_kind, r.anchor)}
            records.append({"task_id": r.pk, "kind": ReminderKind.LADDER.value, "miss_kind": miss_kind,
                            "miss_date": r.anchor, "message": body, "created_at": self.now, "dedupe_key": key})
            items.append(reminder_item(r, title=title_t % {"title": r.title}, body=body, dedupe_key=key,
                                       on=self.today))
        return _insert(Reminder, records), items

    def _order_rows(self, rows, miss_kind, rule):
        rows = [r for r in rows if r.lead_unit_id is not None]
        if not rows:
            return 0, []
        first = _next_seq(self.today.year, len(rows))
        reply_due = workdays.add_workdays(self.today, rule.order_reply_days)
        records, items = [], []
        for i, r in enumerate(rows):
            order = _OrderDraft(task_id=r.pk, unit_id=r.lead_unit_id, year=self.today.year, seq=first + i,
                                miss_kind=miss_kind, miss_date=r.anchor, matter=order_matter(r, miss_kind, r.anchor),
                                requirements=str(DEFAULT_REQUIREMENTS), reply_due=reply_due, issued_at=self.now,
                                issued_on=self.today, dedupe_key=miss_key(r.pk, "order", miss_kind, r.anchor))
            records.append(order.__dict__)
            items.append(order_item(order, r, on=self.today))
        return _insert(Order, records), items

    def _list_rows(self, rows, miss_kind, rule):
        records, items = [], []
        for r in rows:
            listing = _ListingDraft(task_id=r.pk, reason=self.miss(miss_kind, r.anchor), miss_kind=miss_kind,
                                    miss_date=r.anchor, listed_at=self.now, listed_on=self.today, is_active=True,
                                    dedupe_key=miss_key(r.pk, "list", miss_kind, r.anchor))
            records.append(listing.__dict__)
            items.append(listing_item(listing, r, on=self.today))
        return _insert(Listing, records), items

    def _propose_rows(self, rows, miss_kind, rule):
        reason_t = _("“%(title)s”%(miss)s,经催办、督办单、挂牌督办仍未整改到位。")
        records = [{"task_id": r.pk, "unit_id": r.lead_unit_id, "miss_kind": miss_kind, "miss_date": r.anchor,
                    "reason": reason_t % {"title": r.title, "miss": self.miss(miss_kind, r.anchor)},
                    "created_at": self.now, "created_on": self.today,
                    "dedupe_key": miss_key(r.pk, "propose", miss_kind, r.anchor)} for r in rows]
        made = _insert(Proposal, records)
        readers = discipline_users()
        items = [{"kind": NoticeKind.PROPOSAL, "subject": r, "url": task_url(r.pk),
                  "title": _("问责建议:%(title)s") % {"title": r.title}, "body": p["reason"], "copy_leaders": readers,
                  "dedupe_key": p["dedupe_key"], "on": self.today}
                 for r, p in zip(rows, records, strict=True)] if readers else []
        return made, items


class _DateSlot:
    """Stands in for the date while a miss_text template is made once per run."""

    MARK = "\x00date\x00"

    def __str__(self) -> str:
        return self.MARK

    def __bool__(self) -> bool:
        return True


class _OrderDraft:
    """A 督办单 about to be inserted: its columns, and what order_item reads of it."""

    def __init__(self, **columns):
        self.__dict__.update(columns)

    @property
    def number(self) -> str:
        return f"督〔{self.year}〕{self.seq}号"


class _ListingDraft:
    def __init__(self, **columns):
        self.__dict__.update(columns)

    @property
    def pk(self):
        return None


def scan(today: date | None = None, *, dry_run: bool = False, batch_size: int = BATCH) -> Result:
    return Scan(today, dry_run=dry_run, batch_size=batch_size).run()

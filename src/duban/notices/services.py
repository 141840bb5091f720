"""Sending notices, reading them, and the per-user / per-unit channel settings.

``notice_send`` resolves who a notice reaches (the acting holder of a post on the day, the unit's
liaison post, the unit's principal leader, ...), inserts the notices and their outbox rows, and
appends ONE ledger entry for the batch. It never talks to the outside world: the worker job in
duban.notices.jobs delivers the outbox after commit. ``notices_send_bulk`` does the same for many
notices at once (what a scan uses): one insert for the notices, one for the outbox, one ledger row.

Idempotence: with a ``dedupe_key`` the same (recipient, kind, subject, dedupe_key) is never stored
twice (a partial unique constraint; inserts use ``ignore_conflicts``), so a scan that runs twice,
or two scans racing, send nothing twice.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.core import ledger
from duban.core.roles import Role
from duban.notices import bulk, conf
from duban.notices.models import (
    Channel,
    Delivery,
    Notice,
    NoticeKind,
    NoticeRead,
    UnitChannel,
    UnitSetting,
    UserPreference,
)
from duban.orgs.models import Person, Post, Unit
from duban.orgs.selectors import acting_holders

ITEM_FIELDS = ("kind", "subject", "url", "title", "body", "to_post", "to_unit", "to_person", "to_user",
               "copy_unit_leader", "copy_leaders", "dedupe_key", "on")


def notice_send(*, actor, kind, subject=None, url: str = "", title: str, body: str = "", to_post=None, to_unit=None,
                to_person=None, to_user=None, copy_unit_leader: bool = False, copy_leaders=(), dedupe_key: str = "",
                on: date | None = None) -> list[Notice]:
    """Send one notice to its recipients; returns the notices created (none when all were sent before)."""
    item = {"kind": kind, "subject": subject, "url": url, "title": title, "body": body, "to_post": to_post,
            "to_unit": to_unit, "to_person": to_person, "to_user": to_user, "copy_unit_leader": copy_unit_leader,
            "copy_leaders": copy_leaders, "dedupe_key": dedupe_key, "on": on}
    return notices_send_bulk(actor=actor, items=[item])


def notices_send_bulk(*, actor, items, returning: bool = True) -> list[Notice] | int:
    """Send many notices: ``items`` are dicts with notice_send's keyword arguments (without actor).
    One insert of notices, one of outbox rows, one ledger entry. Returns the notices created
    (the ones sent before are left out), or with ``returning=False`` just their number (what a
    scan over many thousands wants: no model objects are built for them)."""
    return Sender(actor=actor).send(items, returning=returning)


_COLUMNS = tuple(f.attname for f in Notice._meta.concrete_fields if not f.primary_key)
_AT = {name: i for i, name in enumerate(_COLUMNS)}
_ITEM_COLUMNS = ("kind", "title", "body", "url", "subject_type_id", "subject_id", "subject_key", "subject_label",
                 "dedupe_key")


class Sender:
    """Sends batch after batch of notices within one run (what the supervision scan uses): who a
    distinct set of recipients reaches (the acting holder of each post on the day with the
    substitution note, the liaison posts of a unit, its administrators, the flagged problems,
    whether an outbox message is due) is resolved ONCE per run, not per notice; each notice is
    then a row filled in from that plan (title, body, link, subject, dedupe key) and the batch is
    inserted set-based (``duban.notices.bulk``). ``send`` is one transaction with one ledger
    entry, exactly like ``notices_send_bulk`` — which is a Sender used once."""

    def __init__(self, *, actor=None):
        self.actor = actor
        self.sent_by_id = actor.pk if getattr(actor, "is_authenticated", False) else None
        self.plans: dict[tuple, list] = {}
        self.flags_sent: set[tuple] = set()  # one flag per problem per day: later ones are skipped here
        self.types: dict = {}  # content type per subject class, for this run

    @staticmethod
    def _signature(item) -> tuple:
        # Who is reached does not depend on the kind of notice: one plan serves every kind.
        leaders = tuple((type(p).__name__, _pk(p)) for p in item["copy_leaders"]) if item["copy_leaders"] else ()
        return (item["on"], _pk(item["to_post"]), _pk(item["to_unit"]), _pk(item["to_person"]),
                _pk(item["to_user"]), bool(item["copy_unit_leader"]), leaders)

    def _plan(self, items: list[dict]) -> None:
        """Resolve the items whose recipients were not seen before in this run (one of each)."""
        fresh: dict[tuple, dict] = {}
        for item in items:
            sig = item["_sig"]
            if sig not in self.plans and sig not in fresh:
                fresh[sig] = item
        if not fresh:
            return
        resolver = _Resolver(list(fresh.values()))
        outbox = _OutboxProbe(resolver)
        for sig, item in fresh.items():
            slots = []
            for draft in resolver.resolve(item):
                values = [getattr(draft, name) for name in _COLUMNS]
                is_flag = draft.flagged and draft.subject_key == "" and draft.kind == NoticeKind.SYSTEM \
                    and draft.dedupe_key.startswith("flag:")
                slots.append((values, is_flag, outbox.may_send(draft)))
            self.plans[sig] = slots

    @transaction.atomic
    def send(self, items, *, returning: bool = False) -> list[Notice] | int:
        items = [_clean(item, self.types) for item in items]
        if not items:
            return [] if returning else 0
        for item in items:
            item["_sig"] = self._signature(item)
        self._plan(items)
        batch = uuid.uuid4().hex
        now = timezone.now()
        rows: list[tuple] = []
        seen: set[tuple] = set()
        outbox_due = False
        at_batch, at_sent_by, at_created, at_body = _AT["batch"], _AT["sent_by_id"], _AT["created_at"], _AT["body"]
        at_key, at_rkey, at_kind, at_skey = _AT["dedupe_key"], _AT["recipient_key"], _AT["kind"], _AT["subject_key"]
        at_note = _AT["note"]
        item_at = [_AT[c] for c in _ITEM_COLUMNS]
        flag_body = _("%(problem)s。原通知:%(title)s")
        for item in items:
            ct, sid, skey, slabel = item["_subject"]
            own = (item["kind"], item["title"], item["body"], item["url"], ct.pk if ct is not None else None, sid, skey, slabel,
                   item["dedupe_key"])
            for values, is_flag, may_outbox in self.plans[item["_sig"]]:
                row = values.copy()
                if is_flag:
                    ident = (row[at_rkey], row[at_kind], row[at_skey], row[at_key])
                    if ident in self.flags_sent:
                        continue
                    self.flags_sent.add(ident)
                    row[at_body] = flag_body % {"problem": row[at_note], "title": item["title"]}
                else:
                    for i, value in zip(item_at, own):
                        row[i] = value
                    if row[at_key]:
                        ident = (row[at_rkey], row[at_kind], row[at_skey], row[at_key])
                        if ident in seen:
                            continue
                        seen.add(ident)
                row[at_batch], row[at_sent_by], row[at_created] = batch, self.sent_by_id, now
                rows.append(tuple(row))
                outbox_due = outbox_due or may_outbox
        inserted = bulk.insert_ignoring_conflicts(Notice, _COLUMNS, rows)
        if returning or outbox_due or inserted != len(rows):
            created = [_Sent(*row) for row in
                       Notice.objects.filter(batch=batch).order_by("id").values_list(*_Sent._fields)]
        else:  # every row went in: the rows are what was created
            created = [_Sent(None, *(r[_AT[name]] for name in _Sent._fields[1:])) for r in rows]
        deliveries = _outbox_rows(created) if outbox_due else []
        Delivery.objects.bulk_create(deliveries, batch_size=500)
        if created:
            kinds: dict[str, int] = defaultdict(int)
            for n in created:
                kinds[n.kind] += 1
            first = created[0]
            ledger.append(
                event="notice.send", object_type="notices.batch", object_id=batch,
                object_repr=(first.title if len(created) == 1 else _("%(title)s 等 %(n)d 条通知")
                             % {"title": first.title, "n": len(created)})[:255],
                data={"notices": len(created), "deliveries": len(deliveries), "kinds": dict(kinds),
                      "skipped_as_sent_before": len(rows) - len(created),
                      "subject": first.subject_key if len({n.subject_key for n in created}) == 1 else ""},
                actor=self.actor,
            )
            if deliveries:
                transaction.on_commit(_kick)
        if not returning:
            return len(created)
        return list(Notice.objects.filter(batch=batch).order_by("id"))


_FK = {"post": "post_id", "person": "person_id", "user": "user_id", "unit": "unit_id", "reached": "reached_id",
       "subject_type": "subject_type_id", "sent_by": "sent_by_id"}
_DRAFT_DEFAULTS = {"body": "", "url": "", "subject_type_id": None, "subject_id": "", "subject_label": "",
                   "subject_key": "", "post_id": None, "person_id": None, "user_id": None, "role": "",
                   "unit_id": None, "reached_id": None, "note": "", "is_copy": False, "flagged": False,
                   "dedupe_key": "", "batch": "", "sent_by_id": None, "created_at": None}


class _Draft:
    """A notice about to be inserted: plain attributes named like Notice's columns (building
    tens of thousands of model instances would cost more than the insert itself)."""

    def __init__(self, **fields):
        self.__dict__.update(_DRAFT_DEFAULTS)
        for name, value in fields.items():
            if name in _FK:
                self.__dict__[_FK[name]] = getattr(value, "pk", value)
            else:
                self.__dict__[name] = value


class _Sent(NamedTuple):
    """What the outbox and the ledger need of a notice just inserted."""

    pk: int
    kind: str
    title: str
    subject_key: str
    post_id: int | None
    person_id: int | None
    user_id: int | None
    role: str
    unit_id: int | None
    reached_id: int | None
    is_copy: bool


def _kick() -> None:
    """After commit: make the delivery job due now, so the worker's next poll delivers the new
    outbox rows instead of waiting for the job's interval (no external call here)."""
    from duban.core.models import JobRun

    now = timezone.now()
    JobRun.objects.filter(name="deliver_notices", next_run_at__gt=now).update(next_run_at=now)


# --- input ---------------------------------------------------------------------------------------
_KINDS = frozenset(NoticeKind.values)


_ITEM_FIELD_SET = frozenset(ITEM_FIELDS)


def _clean(item: dict, types: dict | None = None) -> dict:
    """Check one item and fill its defaults; ``types`` caches content types per class (a sender's run)."""
    unknown = item.keys() - _ITEM_FIELD_SET
    if unknown:
        raise TypeError(f"unknown notice fields: {sorted(unknown)}")
    item = {"subject": None, "url": "", "body": "", "to_post": None, "to_unit": None, "to_person": None,
               "to_user": None, "copy_unit_leader": False, "copy_leaders": (), "dedupe_key": "", "on": None, **item}
    if item["kind"] not in _KINDS:
        raise ValidationError({"kind": _("未知的通知类型:%(kind)s") % {"kind": item["kind"]}})
    title = (item.get("title") or "").strip()
    if not title:
        raise ValidationError({"title": _("通知标题不能为空。")})
    item["title"] = title[:200]
    if not any(item[k] is not None for k in ("to_post", "to_unit", "to_person", "to_user")) and not item["copy_leaders"]:
        raise ValidationError({"to_post": _("通知没有收件人:请指定岗位、单位、人员或账户。")})
    if len(item["dedupe_key"] or "") > 200:
        raise ValidationError({"dedupe_key": _("去重键过长。")})
    item["on"] = item["on"] or timezone.localdate()
    subject = item["subject"]
    if subject is not None:
        ct = types.get(type(subject)) if types is not None else None
        if ct is None:
            ct = ContentType.objects.get_for_model(subject)
            if types is not None:
                types[type(subject)] = ct
        item["_subject"] = (ct, str(subject.pk), f"{ct.pk}:{subject.pk}", str(subject)[:200])
    else:
        item["_subject"] = (None, "", "", "")
    return item


def _pk(value):
    return getattr(value, "pk", value)


# --- who a notice reaches --------------------------------------------------------------------------
def substitution_note(acting) -> str:
    """"因A角孙西雪请假,由B角粟志光代办" for an acting B/C; "" when A acts."""
    if acting.person is None:
        return _("A、B、C角均不在岗")
    if not acting.skipped:
        return ""
    why = "、".join(
        _("%(letter)s角%(name)s%(kind)s") % {"letter": letter, "name": person.name, "kind": absence.get_kind_display()}
        if absence is not None
        else _("%(letter)s角%(name)s已不在职") % {"letter": letter, "name": person.name}
        for letter, person, absence in acting.skipped
    )
    return _("因%(why)s,由%(letter)s角%(name)s代办") % {"why": why, "letter": acting.letter, "name": acting.person.name}


@dataclass
class _Resolver:
    """Loads everything a batch needs in a few queries, then resolves each item in memory."""

    items: list
    posts: dict = field(default_factory=dict)
    liaison_posts: dict = field(default_factory=lambda: defaultdict(list))
    acting: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    unit_admins: dict = field(default_factory=lambda: defaultdict(list))
    leaders: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    with_account: set = field(default_factory=set)

    def __post_init__(self):
        items = self.items
        unit_ids = {_pk(i["to_unit"]) for i in items if i["to_unit"] is not None}
        post_ids = {_pk(i["to_post"]) for i in items if i["to_post"] is not None}
        holders = ("unit", "a_holder", "b_holder", "c_holder")
        if post_ids:
            self.posts = {p.pk: p for p in Post.objects.filter(pk__in=post_ids).select_related(*holders)}
            missing = post_ids - set(self.posts)
            if missing:
                raise ValidationError({"to_post": _("岗位不存在:%(ids)s") % {"ids": sorted(missing)}})
        if unit_ids:
            titles = conf.liaison_post_titles()
            for post in Post.objects.filter(unit_id__in=unit_ids, title__in=titles).select_related(*holders) \
                    .order_by("unit_id", "id"):
                self.liaison_posts[post.unit_id].append(post)
                self.posts.setdefault(post.pk, post)
        unit_ids |= {p.unit_id for p in self.posts.values()}
        self.units = {u.pk: u for u in Unit.objects.filter(pk__in=unit_ids)}
        if _pk_set(items, "to_unit") - set(self.units):
            raise ValidationError({"to_unit": _("单位不存在。")})
        for on in {i["on"] for i in items}:
            for post_id, acting in acting_holders(self.posts.values(), on).items():
                self.acting[(post_id, on)] = acting
        from django.contrib.auth import get_user_model

        User = get_user_model()
        for u in User.objects.filter(unit_id__in=unit_ids, role=Role.UNIT_ADMIN, is_active=True).order_by("id"):
            self.unit_admins[u.unit_id].append(u)
        if any(i["copy_unit_leader"] for i in items):
            for s in UnitSetting.objects.filter(unit_id__in=unit_ids, principal_leader__isnull=False) \
                    .select_related("principal_leader"):
                self.leaders[s.unit_id] = s.principal_leader
            # Without a setting, the unit's leader account (role 领导) linked to a person stands in.
            for u in User.objects.filter(unit_id__in=unit_ids - set(self.leaders), role=Role.LEADER, is_active=True,
                                         person__isnull=False).select_related("person").order_by("id"):
                self.leaders.setdefault(u.unit_id, u.person)
        person_ids = {_pk(i["to_person"]) for i in items if i["to_person"] is not None}
        person_ids |= {_pk(p) for i in items for p in i["copy_leaders"] if isinstance(p, (Person, int))}
        if person_ids:
            self.people = {p.pk: p for p in Person.objects.filter(pk__in=person_ids)}
        # Who can read an inbox at all: a person without an active account would never see it.
        candidates = set(self.people) | {p.pk for p in self.leaders.values()} | {
            a.person.pk for a in self.acting.values() if a.person is not None}
        self.with_account = set(User.objects.filter(person_id__in=candidates, is_active=True)
                                .values_list("person_id", flat=True)) if candidates else set()

    # each item -> unsaved notices
    def resolve(self, item) -> list[_Draft]:
        ct, sid, skey, slabel = item["_subject"]
        on = item["on"]

        def make(recipient_key, *, is_copy=False, flagged=False, kind=None, title=None, body=None, dedupe=None,
                 about_subject=True, **fields) -> Notice:
            subject = (ct, sid, skey, slabel) if about_subject else (None, "", "", "")
            return _Draft(kind=kind or item["kind"], title=title or item["title"],
                          body=item["body"] if body is None else body, url=item["url"], subject_type=subject[0],
                          subject_id=subject[1], subject_key=subject[2], subject_label=subject[3],
                          recipient_key=recipient_key,
                          is_copy=is_copy, flagged=flagged, on=on,
                          dedupe_key=item["dedupe_key"] if dedupe is None else dedupe, **fields)

        out: list[_Draft] = []
        reached: set[int] = set()
        posts: list[Post] = []
        unit_for_leader = None
        if item["to_post"] is not None:
            post = self.posts[_pk(item["to_post"])]
            posts.append(post)
            unit_for_leader = post.unit
        if item["to_unit"] is not None:
            unit = self.units[_pk(item["to_unit"])]
            unit_for_leader = unit
            unit_posts = self.liaison_posts.get(unit.pk, [])
            if not unit_posts:
                out += self._to_unit_admins(item, make, unit, _("%(unit)s未设置督办联络岗位") % {"unit": unit.name})
            posts += [p for p in unit_posts if p not in posts]
        for post in posts:
            acting = self.acting[(post.pk, on)]
            note = substitution_note(acting)
            out.append(make(f"post:{post.pk}", post=post, unit=post.unit, reached=acting.person, note=note))
            if acting.person is None:
                out += self._to_unit_admins(
                    item, make, post.unit,
                    _("岗位%(post)s的A、B、C角均不在岗或已不在职") % {"post": post}, post=post)
            else:
                reached.add(acting.person.pk)
                if acting.person.pk not in self.with_account:  # the notice waits on the post; 督查室 is told
                    out.append(self._flag(item, make, _("岗位%(post)s的%(letter)s角%(name)s没有可登录的账户")
                                          % {"post": post, "letter": acting.letter, "name": acting.person.name},
                                          unit=post.unit, post=post))
        if item["to_person"] is not None:
            person = self.people.get(_pk(item["to_person"]))
            if person is None:
                raise ValidationError({"to_person": _("人员不存在。")})
            if person.pk not in reached:
                reached.add(person.pk)
                out.append(make(f"person:{person.pk}", person=person, unit_id=person.unit_id, reached=person))
                out += self._unreadable(item, make, person)
        if item["to_user"] is not None:
            user = item["to_user"]
            out.append(make(f"user:{user.pk}", user=user, unit_id=user.unit_id))
        if item["copy_unit_leader"]:
            if unit_for_leader is None:
                raise ValidationError({"copy_unit_leader": _("抄送单位主要负责人时须指定岗位或单位。")})
            leader = self.leaders.get(unit_for_leader.pk)
            if leader is None:
                out.append(self._flag(item, make, _("%(unit)s未设置主要负责人,通知未能抄送") % {"unit": unit_for_leader.name}))
            elif leader.pk not in reached:
                reached.add(leader.pk)
                out.append(make(f"person:{leader.pk}", person=leader, unit_id=leader.unit_id, reached=leader,
                                is_copy=True))
                out += self._unreadable(item, make, leader)
        for leader in item["copy_leaders"]:
            if isinstance(leader, (Person, int)):
                person = self.people.get(_pk(leader))
                if person is None:
                    raise ValidationError({"copy_leaders": _("人员不存在。")})
                if person.pk not in reached:
                    reached.add(person.pk)
                    out.append(make(f"person:{person.pk}", person=person, unit_id=person.unit_id, reached=person,
                                    is_copy=True))
                    out += self._unreadable(item, make, person)
            else:  # a user account
                out.append(make(f"user:{leader.pk}", user=leader, unit_id=leader.unit_id, is_copy=True))
        return out

    def _to_unit_admins(self, item, make, unit, problem, post=None) -> list[_Draft]:
        """Nobody can act: the unit's administrators get it, and the 督查室 sees the problem flagged."""
        out = [make(f"user:{admin.pk}", user=admin, unit=unit, post=None,
                    note=_("%(problem)s,转单位管理员") % {"problem": problem})
               for admin in self.unit_admins.get(unit.pk, [])]
        if not out:
            problem = _("%(problem)s,且无单位管理员") % {"problem": problem}
        out.append(self._flag(item, make, problem, unit=unit, post=post))
        return out

    def _unreadable(self, item, make, person) -> list[_Draft]:
        if person.pk in self.with_account:
            return []
        return [self._flag(item, make, _("%(name)s没有可登录的账户,看不到通知") % {"name": person.name},
                           unit_id=person.unit_id)]

    def _flag(self, item, make, problem, **fields) -> _Draft:
        """One flag per problem per day, whatever the number of notices it concerns (a scan over
        thousands of tasks of one unit flags its missing liaison post once)."""
        digest = hashlib.sha1(problem.encode()).hexdigest()[:16]
        dedupe = f"flag:{item['on']}:{digest}"
        body = _("%(problem)s。原通知:%(title)s") % {"problem": problem, "title": item["title"]}
        fields = {"note": problem, "about_subject": False, **fields}
        return make(f"role:{Role.SUPERVISOR}", role=Role.SUPERVISOR, kind=NoticeKind.SYSTEM, flagged=True,
                    title=(_("通知无法送达:%(problem)s") % {"problem": problem})[:200], body=body, dedupe=dedupe,
                    **fields)


def _pk_set(items, key) -> set:
    return {_pk(i[key]) for i in items if i[key] is not None}


# --- outbox -------------------------------------------------------------------------------------
class _OutboxProbe:
    """Whether a notice may need an outbox row (a conservative test, answered from three small
    sets loaded once): its person or account wants email/SMS, or its unit has a robot. Only a
    batch with such notices reads its rows back to build the outbox exactly (``_outbox_rows``)."""

    def __init__(self, resolver):
        wanting = UserPreference.objects.filter(Q(email=True) | Q(sms=True), user__is_active=True) \
            .values_list("user_id", "user__person_id")
        self.users = set()
        self.people = set()
        for user_id, person_id in wanting:
            self.users.add(user_id)
            if person_id:
                self.people.add(person_id)
        self.robot_units = set(UnitChannel.objects.filter(enabled=True).values_list("unit_id", flat=True))

    def may_send(self, draft) -> bool:
        if draft.role:
            return False
        if draft.user_id in self.users or (draft.reached_id or draft.person_id) in self.people:
            return True
        return draft.unit_id in self.robot_units and not draft.is_copy and bool(draft.post_id or draft.user_id)


def _outbox_rows(created: list[_Sent]) -> list[Delivery]:
    """External messages for the notices just created: email/SMS by each person's preferences,
    the unit's group robots for what reaches a unit's post or administrators."""
    if not created:
        return []
    from django.contrib.auth import get_user_model

    User = get_user_model()
    person_ids = {n.reached_id for n in created if n.reached_id} | {n.person_id for n in created if n.person_id}
    user_ids = {n.user_id for n in created if n.user_id}
    users = User.objects.filter(Q(person_id__in=person_ids) | Q(pk__in=user_ids), is_active=True) \
        .select_related("person")
    by_person, by_id = {}, {}
    for u in users:
        by_id[u.pk] = u
        if u.person_id:
            by_person[u.person_id] = u
    prefs = {p.user_id: p for p in UserPreference.objects.filter(user_id__in=by_id)}
    unit_ids = {n.unit_id for n in created if n.unit_id and (n.post_id or n.user_id) and not n.is_copy}
    robots = defaultdict(list)
    for ch in UnitChannel.objects.filter(unit_id__in=unit_ids, enabled=True).order_by("id"):
        robots[ch.unit_id].append(ch)
    rows: list[Delivery] = []
    robot_sent: set[tuple] = set()
    for n in created:
        if n.role:
            continue
        user = by_id.get(n.user_id) if n.user_id else by_person.get(n.reached_id or n.person_id)
        pref = prefs.get(user.pk) if user else None
        if pref is not None:
            if pref.email and user.email:
                rows.append(Delivery(notice_id=n.pk, channel=Channel.EMAIL, target=user.email))
            phone = user.person.phone if user.person_id else ""
            if pref.sms and phone:
                rows.append(Delivery(notice_id=n.pk, channel=Channel.SMS, target=phone))
        if n.unit_id in unit_ids and not n.is_copy and (n.post_id or n.user_id):
            for ch in robots.get(n.unit_id, []):
                key = (ch.pk, n.kind, n.subject_key, n.title)
                if key in robot_sent:  # two liaison posts of one unit: one group message
                    continue
                robot_sent.add(key)
                rows.append(Delivery(notice_id=n.pk, channel=ch.channel, target=f"unitchannel:{ch.pk}"))
    return rows


# --- read state ----------------------------------------------------------------------------------
def notice_mark_read(*, actor, notice: Notice) -> None:
    """Mark one notice (already scoped to the actor's inbox by the caller) as read. Read state
    is personal bookkeeping, not a change of business data: no ledger entry."""
    NoticeRead.objects.get_or_create(notice=notice, user=actor)


def notices_mark_all_read(*, actor, queryset) -> int:
    ids = list(queryset.exclude(reads__user=actor).values_list("pk", flat=True)[:10000])
    NoticeRead.objects.bulk_create([NoticeRead(notice_id=i, user=actor) for i in ids], ignore_conflicts=True,
                                   batch_size=500)
    return len(ids)


# --- outbox operations ---------------------------------------------------------------------------
@transaction.atomic
def delivery_retry(*, actor, delivery: Delivery) -> Delivery:
    """Put a dead letter back in the outbox with a fresh count of attempts."""
    from duban.notices.models import DeliveryState

    if delivery.state != DeliveryState.DEAD:
        raise ValidationError({"delivery": _("只有发送失败(死信)的消息可以重试。")})
    updated = Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.DEAD).update(
        state=DeliveryState.PENDING, attempts=0, next_attempt_at=timezone.now(), lease_until=None, claim_token="")
    if not updated:
        raise ValidationError({"delivery": _("该消息已被他人重试。")})
    delivery.refresh_from_db()
    ledger.append(event="notice.delivery_retry", obj=delivery, object_repr=f"{delivery.get_channel_display()} "
                  f"{delivery.notice.title}"[:255], data={"channel": delivery.channel}, actor=actor)
    transaction.on_commit(_kick)
    return delivery


# --- preferences --------------------------------------------------------------------------------
@transaction.atomic
def preference_save(*, actor, email: bool, sms: bool) -> UserPreference:
    pref, _created = UserPreference.objects.select_for_update().get_or_create(user=actor)
    before = {"email": pref.email, "sms": pref.sms}
    if email and not actor.email:
        raise ValidationError({"email": _("您的账户没有登记电子邮箱,无法接收邮件通知。")})
    if sms and not (actor.person_id and actor.person.phone):
        raise ValidationError({"sms": _("您的人员信息没有登记手机号,无法接收短信通知。")})
    pref.email, pref.sms = bool(email), bool(sms)
    pref.version += 1
    pref.save()
    ledger.append(event="notice.preference", obj=pref, object_repr=str(actor)[:255],
                  data={"from": before, "to": {"email": pref.email, "sms": pref.sms}}, actor=actor)
    return pref


@transaction.atomic
def unit_channel_save(*, actor, unit: Unit, channel: str, webhook_url: str, secret: str | None = None,
                      enabled: bool = True) -> UnitChannel:
    """Create or change a unit's robot. ``secret=None`` keeps the stored secret (the form never
    shows it back); ``""`` removes it."""
    from duban.notices.channels import validate_webhook_url

    if channel not in (Channel.DINGTALK, Channel.WECOM):
        raise ValidationError({"channel": _("不支持的渠道。")})
    url = validate_webhook_url(webhook_url)
    if len(url) > 500:
        raise ValidationError({"webhook_url": _("Webhook 地址过长。")})
    if secret is not None and len(secret) > 200:
        raise ValidationError({"secret": _("加签密钥过长。")})
    robot = UnitChannel.objects.select_for_update().filter(unit=unit, channel=channel).first()
    created = robot is None
    if created:
        robot = UnitChannel(unit=unit, channel=channel)
    robot.webhook_url, robot.enabled = url, bool(enabled)
    if secret is not None:
        robot.secret = secret.strip()
    robot.version = (robot.version or 0) + (0 if created else 1)
    robot.save()
    ledger.append(event="notice.unit_channel", obj=robot, object_repr=f"{unit.name} {robot.get_channel_display()}",
                  data={"created": created, "enabled": robot.enabled, "signed": bool(robot.secret),
                        "host": url.split("/")[2] if "//" in url else ""}, actor=actor)
    return robot


@transaction.atomic
def unit_channel_delete(*, actor, robot: UnitChannel) -> None:
    repr_ = f"{robot.unit.name} {robot.get_channel_display()}"
    pk = robot.pk
    robot.delete()
    ledger.append(event="notice.unit_channel_delete", object_type="notices.unitchannel", object_id=str(pk),
                  object_repr=repr_, actor=actor)


@transaction.atomic
def unit_leader_set(*, actor, unit: Unit, principal_leader: Person | None) -> UnitSetting:
    if principal_leader is not None and principal_leader.unit_id != unit.pk:
        raise ValidationError({"principal_leader": _("主要负责人须是本单位人员。")})
    setting, _created = UnitSetting.objects.select_for_update().get_or_create(unit=unit)
    before = setting.principal_leader_id
    setting.principal_leader = principal_leader
    setting.version += 1
    setting.save()
    ledger.append(event="notice.unit_leader", obj=setting, object_repr=unit.name[:255],
                  data={"from": before, "to": principal_leader.pk if principal_leader else None}, actor=actor)
    return setting


def security_alert_notify(alert: dict) -> None:
    """IP-06: a ``security_alert`` (duban.core.alerts) becomes a notice to every active security
    administrator (one per alert: the dedupe key names the rule, the key and the window)."""
    from duban.accounts.models import User

    labels = {"login_failures": _("登录失败次数异常"), "denials": _("越权访问次数异常"),
              "exports": _("导出数量异常"), "integrity": _("完整性校验失败")}
    title = _("安全告警:%(what)s") % {"what": labels.get(alert["rule"], alert["rule"])}
    body = _("%(key)s 在 %(minutes)s 分钟内达到 %(count)s 次,请在审计日志中核查。") % {
        "key": alert["key"], "minutes": alert["window_seconds"] // 60, "count": alert["count"]}
    window = int(timezone.now().timestamp()) // max(alert["window_seconds"], 1)
    items = [{"kind": NoticeKind.SYSTEM, "title": title, "body": body, "to_user": user,
              "dedupe_key": f"alert:{alert['rule']}:{alert['key']}:{window}"[:100]}
             for user in User.objects.filter(role=Role.SECADMIN, is_active=True).order_by("pk")]
    if items:
        notices_send_bulk(actor=None, items=items, returning=False)

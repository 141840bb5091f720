"""Every change to the organisation goes through these functions: validated, atomic, ledgered.

Every service takes ``actor`` as its first keyword: the user on whose behalf it acts. With an
actor the service itself enforces the function permission (directory.edit, PermissionDenied
otherwise) and the actor's scope: an object outside their subtree may be neither changed nor
referred to (a unit, a person, a parent named in the change is refused with a field-keyed
ValidationError, worded like one that does not exist), and only a city-wide role may make a
top-level unit. Views, the API and the importer fetch and resolve what the request names, call
the service with the actor and map its errors; they decide no rule of their own.
``actor=None`` is an internal caller (the demo, a command, test setup): no permission or scope
applies, and ledger entries name whoever the context says is acting.

The directory workbook import and export are services too (``directory_import``,
``directory_export``, ``directory_import_refuse``); duban.orgs.excel only reads and writes bytes.
"""

from __future__ import annotations

import functools
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from treebeard.exceptions import InvalidMoveToDescendant

from duban.core import context, ledger, permissions, pii
from duban.core.models import Outcome
from duban.core.services import ConcurrentEditError, audited_update
from duban.orgs import excel, queries, selectors
from duban.orgs.models import Absence, LeadingGroup, LeadingGroupMember, Person, Post, Unit, UnitAlias

UNIT_FIELDS = ("name", "short_name", "kind", "code", "sort_order", "is_active")
PERSON_FIELDS = ("name", "unit", "title", "phone", "is_active")
POST_FIELDS = ("unit", "title", "duties", "a_holder", "b_holder", "c_holder")
GROUP_FIELDS = ("name", "leader", "office_unit", "duties", "established")


def _acts(func):
    """Run a service as ``actor``: the function permission is checked first, and every ledger
    entry the service writes (also through audited_update) names the actor, in a request or not."""

    @functools.wraps(func)
    def wrapper(*, actor=None, **kwargs):
        if actor is None:
            return func(actor=None, **kwargs)
        permissions.require(actor, permissions.DIRECTORY_EDIT)
        with context.bind(user=actor):
            return func(actor=actor, **kwargs)

    return wrapper


# --- scope: the directory's write rules, on the predicates of selectors (unit_in_scope, ...) -
def unit_out_of_scope_message() -> str:
    return _("单位不存在或不在您的管理范围内。")


def person_out_of_scope_message() -> str:
    return _("人员不存在或不在您的管理范围内。")


def _within(actor, unit: Unit | None) -> bool:
    return actor is None or selectors.unit_in_scope(actor, unit)


def _check_target(actor, unit: Unit | None) -> None:
    """The object being changed must lie in the actor's subtree (callers fetch it scoped, so
    this only trips for a caller that did not)."""
    if not _within(actor, unit):
        raise PermissionDenied("out of scope")


def _check_unit_ref(actor, unit: Unit | None, field: str) -> None:
    if unit is not None and not _within(actor, unit):
        raise ValidationError({field: unit_out_of_scope_message()})


def _check_person_ref(actor, person: Person | None, field: str, allowed=()) -> None:
    if person is not None and person not in allowed and not _within(actor, person.unit):
        raise ValidationError({field: person_out_of_scope_message()})


may_place_at_top = selectors.may_place_at_top


def _name_taken(name: str, exclude_unit: Unit | None = None) -> bool:
    units = Unit.objects.filter(name=name)
    aliases = UnitAlias.objects.filter(name=name)
    if exclude_unit is not None:
        units = units.exclude(pk=exclude_unit.pk)
        aliases = aliases.exclude(unit=exclude_unit)
    return units.exists() or aliases.exists()


# --- units ----------------------------------------------------------------------------------
@transaction.atomic
@_acts
def unit_create(*, actor=None, name: str, parent: Unit | None = None, kind: str, short_name: str = "",
                code: str | None = None, sort_order: int = 0, aliases: list[str] | None = None) -> Unit:
    if parent is None and not may_place_at_top(actor):
        raise ValidationError({"parent": _("请选择上级单位:只能在本单位及下级单位中新建单位。")})
    _check_unit_ref(actor, parent, "parent")
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写单位名称。")})
    if _name_taken(name):
        raise ValidationError({"name": _("单位名称“%(name)s”已被使用。") % {"name": name}})
    fields = dict(name=name, kind=kind, short_name=short_name, code=code or None, sort_order=sort_order)
    Unit(**fields, path="x", depth=1).full_clean(exclude=["path", "depth", "numchild"], validate_unique=False)
    if code and Unit.objects.filter(code=code).exists():
        raise ValidationError({"code": _("编码“%(code)s”已被使用。") % {"code": code}})
    unit = Unit.objects.add_child(parent, fields) if parent else Unit.objects.add_root(fields)
    _set_aliases(unit, aliases or [])
    ledger.append(event="unit_created", obj=unit,
                  data={"parent": parent.pk if parent else None, "fields": {k: str(v) for k, v in fields.items()},
                        "aliases": sorted(aliases or [])})
    return unit


def _set_aliases(unit: Unit, aliases: list[str]) -> None:
    cleaned = sorted({a.strip() for a in aliases if a and a.strip()} - {unit.name})
    for alias in cleaned:
        if _name_taken(alias, exclude_unit=unit):
            raise ValidationError({"aliases": _("别名“%(name)s”已被其他单位使用。") % {"name": alias}})
    UnitAlias.objects.filter(unit=unit).exclude(name__in=cleaned).delete()
    for alias in cleaned:
        UnitAlias.objects.get_or_create(unit=unit, name=alias)


@transaction.atomic
@_acts
def unit_update(*, actor=None, unit: Unit, expected_version: int | None = None, aliases: list[str] | None = None,
                **changes) -> Unit:
    _check_target(actor, unit)
    changes = {k: v for k, v in changes.items() if k in UNIT_FIELDS}
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
        if not changes["name"]:
            raise ValidationError({"name": _("请填写单位名称。")})
        if _name_taken(changes["name"], exclude_unit=unit):
            raise ValidationError({"name": _("单位名称“%(name)s”已被使用。") % {"name": changes["name"]}})
    if "code" in changes:
        changes["code"] = changes["code"] or None
    extra = {}
    if aliases is not None:
        old = sorted(unit.aliases.values_list("name", flat=True))
        _set_aliases(unit, aliases)
        new = sorted(unit.aliases.values_list("name", flat=True))
        if old != new:
            extra["aliases"] = [old, new]
    try:
        with transaction.atomic():
            return audited_update(unit, changes=changes, expected_version=expected_version, event="unit_updated",
                                  extra=extra)
    except IntegrityError as exc:
        raise ValidationError(_("编码或名称与其他单位重复。")) from exc


@transaction.atomic
@_acts
def unit_move(*, actor=None, unit: Unit, new_parent: Unit | None, expected_version: int | None = None) -> Unit:
    _check_target(actor, unit)
    if expected_version is not None and expected_version != unit.version:
        raise ConcurrentEditError()
    if new_parent is None and not may_place_at_top(actor):
        raise ValidationError({"parent": _("请选择上级单位:只能在本单位及下级单位中调整。")})
    _check_unit_ref(actor, new_parent, "parent")
    old_parent = Unit.objects.get_parent(unit)
    if new_parent is not None and (new_parent.pk == unit.pk or new_parent.path.startswith(unit.path)):
        raise ValidationError({"parent": _("不能把单位移到它自己或它的下级单位之下。")})
    if (old_parent.pk if old_parent else None) == (new_parent.pk if new_parent else None):
        return unit
    try:
        if new_parent is None:
            Unit.objects.move(unit, Unit.objects.get_last_root_node(), "last-sibling")
        else:
            Unit.objects.move(unit, new_parent, "last-child")
    except InvalidMoveToDescendant as exc:  # belt and braces: treebeard checks too
        raise ValidationError({"parent": _("不能把单位移到它自己或它的下级单位之下。")}) from exc
    unit.refresh_from_db()
    ledger.append(event="unit_moved", obj=unit,
                  data={"from": old_parent.pk if old_parent else None, "to": new_parent.pk if new_parent else None})
    return unit


@transaction.atomic
@_acts
def unit_delete(*, actor=None, unit: Unit) -> None:
    _check_target(actor, unit)
    if Unit.objects.get_children_count(unit) or unit.people.exists() or unit.posts.exists() or unit.users.exists():
        raise ValidationError(_("该单位下还有下级单位、人员、岗位或账户,不能删除。"))
    ledger.append(event="unit_deleted", obj=unit, data={"name": unit.name, "path": unit.path})
    unit.delete()


# --- people ---------------------------------------------------------------------------------
def _clean_person(person: Person) -> None:
    person.name = (person.name or "").strip()
    person.full_clean(validate_unique=False, validate_constraints=False)
    clash = Person.objects.filter(unit=person.unit, name=person.name).exclude(pk=person.pk)
    if clash.exists():
        raise ValidationError({"name": _("%(unit)s已有名为“%(name)s”的人员。") % {"unit": person.unit, "name": person.name}})


@transaction.atomic
@_acts
def person_create(*, actor=None, name: str, unit: Unit, title: str = "", phone: str = "") -> Person:
    _check_unit_ref(actor, unit, "unit")
    person = Person(name=name, unit=unit, title=title, phone=phone)
    _clean_person(person)
    person.save()
    ledger.append(event="person_created", obj=person,
                  data={"unit": unit.pk, "title": title, "phone": pii.mask(phone, pii.PHONE)})
    return person


@transaction.atomic
@_acts
def person_update(*, actor=None, person: Person, expected_version: int | None = None, **changes) -> Person:
    _check_target(actor, person.unit)
    changes = {k: v for k, v in changes.items() if k in PERSON_FIELDS}
    if "unit" in changes:
        _check_unit_ref(actor, changes["unit"], "unit")
    for k, v in changes.items():
        setattr(person, k, v)
    _clean_person(person)
    person.refresh_from_db(fields=list(changes))  # audited_update wants the stored "before"
    return audited_update(person, changes=changes, expected_version=expected_version, event="person_updated")


@transaction.atomic
@_acts
def absence_create(*, actor=None, person: Person, kind: str, start: date, end: date, note: str = "") -> Absence:
    _check_target(actor, person.unit)
    if start and end and end < start:
        raise ValidationError({"end": _("结束日期不能早于开始日期。")})
    absence = Absence(person=person, kind=kind, start=start, end=end, note=note)
    absence.full_clean()
    overlap = Absence.objects.filter(person=person, start__lte=end, end__gte=start)
    if overlap.exists():
        raise ValidationError(_("与已登记的外出/请假时间重叠。"))
    absence.save()
    ledger.append(event="absence_created", obj=absence,
                  data={"person": person.pk, "kind": kind, "start": start, "end": end})
    return absence


@transaction.atomic
@_acts
def absence_delete(*, actor=None, absence: Absence) -> None:
    _check_target(actor, absence.person.unit)
    ledger.append(event="absence_deleted", obj=absence,
                  data={"person": absence.person_id, "kind": absence.kind, "start": absence.start, "end": absence.end})
    absence.delete()


# --- posts ----------------------------------------------------------------------------------
def _clean_post(post: Post) -> None:
    errors = {}
    holders = [("a_holder", post.a_holder_id), ("b_holder", post.b_holder_id), ("c_holder", post.c_holder_id)]
    if post.c_holder_id and not post.b_holder_id:
        errors["c_holder"] = _("请先设置B角,再设置C角。")
    seen = {}
    for name, pk in holders:
        if pk is None:
            continue
        if pk in seen:
            errors[name] = _("%(this)s不能与%(other)s是同一人。") % {
                "this": Post._meta.get_field(name).verbose_name, "other": Post._meta.get_field(seen[pk]).verbose_name}
        seen.setdefault(pk, name)
    if errors:
        raise ValidationError(errors)
    post.title = (post.title or "").strip()
    post.full_clean(validate_unique=False, validate_constraints=False)
    if Post.objects.filter(unit=post.unit, title=post.title).exclude(pk=post.pk).exists():
        raise ValidationError({"title": _("%(unit)s已有岗位“%(title)s”。") % {"unit": post.unit, "title": post.title}})


def _check_holders(actor, holders: dict, current=()) -> None:
    """Holders must be people the actor can see, except the post's current holders, which may
    sit above the actor's subtree or have moved away: keeping them must not fail."""
    for field, person in holders.items():
        _check_person_ref(actor, person, field, allowed=current)


@transaction.atomic
@_acts
def post_create(*, actor=None, unit: Unit, title: str, a_holder: Person, b_holder: Person | None = None,
                c_holder: Person | None = None, duties: str = "") -> Post:
    _check_unit_ref(actor, unit, "unit")
    _check_holders(actor, {"a_holder": a_holder, "b_holder": b_holder, "c_holder": c_holder})
    post = Post(unit=unit, title=title, a_holder=a_holder, b_holder=b_holder, c_holder=c_holder, duties=duties)
    _clean_post(post)
    post.save()
    ledger.append(event="post_created", obj=post,
                  data={"unit": unit.pk, "a": a_holder.pk, "b": b_holder.pk if b_holder else None,
                        "c": c_holder.pk if c_holder else None})
    return post


@transaction.atomic
@_acts
def post_update(*, actor=None, post: Post, expected_version: int | None = None, **changes) -> Post:
    _check_target(actor, post.unit)
    changes = {k: v for k, v in changes.items() if k in POST_FIELDS}
    if "unit" in changes:
        _check_unit_ref(actor, changes["unit"], "unit")
    _check_holders(actor, {k: v for k, v in changes.items() if k.endswith("_holder")},
                   current=[p for _letter, p in post.holders()])
    for k, v in changes.items():
        setattr(post, k, v)
    _clean_post(post)
    post.refresh_from_db(fields=list(changes))
    return audited_update(post, changes=changes, expected_version=expected_version, event="post_updated")


# --- leading groups -------------------------------------------------------------------------
def _keep_hidden(actor, group: LeadingGroup | None, *, leader, office_unit, deputies, member_people, member_units):
    """What a unit editor cannot see of a group is kept as it is: a leader or office outside
    their subtree stays (whatever was passed for it), and deputies and members outside it are
    added back to the lists they submitted. Anything else they name must be in their subtree."""
    hidden = queries.group_hidden(actor, group)
    if "leader" in hidden["fixed"]:
        leader = group.leader
    else:
        _check_person_ref(actor, leader, "leader")
    if "office_unit" in hidden["fixed"]:
        office_unit = group.office_unit
    else:
        _check_unit_ref(actor, office_unit, "office_unit")

    def merged(submitted, kept, check, field):
        kept_pks = {o.pk for o in kept}
        result = []
        for obj in submitted:
            if obj.pk not in kept_pks:
                check(obj, field)
            if obj not in result:
                result.append(obj)
        return result + [o for o in kept if o not in result]

    return (leader, office_unit,
            merged(deputies, hidden["deputies"], lambda p, f: _check_person_ref(actor, p, f), "deputies"),
            merged(member_people, hidden["people"], lambda p, f: _check_person_ref(actor, p, f), "member_people"),
            merged(member_units, hidden["units"], lambda u, f: _check_unit_ref(actor, u, f), "member_units"))


@transaction.atomic
@_acts
def group_save(*, actor=None, group: LeadingGroup | None = None, name: str, leader: Person | None,
               office_unit: Unit | None, duties: str = "", established: date | None = None,
               deputies: list[Person] = (), member_people: list[Person] = (), member_units: list[Unit] = (),
               expected_version: int | None = None) -> LeadingGroup:
    if actor is not None:
        # The editor must see the group at all (through its office or a member).
        if group is not None and not selectors.groups_for_user(actor).filter(pk=group.pk).exists():
            raise PermissionDenied("out of scope")
        leader, office_unit, deputies, member_people, member_units = _keep_hidden(
            actor, group, leader=leader, office_unit=office_unit, deputies=list(deputies),
            member_people=list(member_people), member_units=list(member_units))
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写领导小组名称。")})
    clash = LeadingGroup.objects.filter(name=name)
    if group is not None:
        clash = clash.exclude(pk=group.pk)
    if clash.exists():
        raise ValidationError({"name": _("已有同名领导小组。")})
    if leader is not None and leader in deputies:
        raise ValidationError({"deputies": _("组长不能同时是副组长。")})
    fields = dict(name=name, leader=leader, office_unit=office_unit, duties=duties, established=established)
    membership = {"deputies": sorted(p.pk for p in deputies), "people": sorted(p.pk for p in member_people),
                  "units": sorted(u.pk for u in member_units)}
    creating = group is None
    if creating:
        group = LeadingGroup(**fields)
        group.full_clean()
        group.save()
    group.deputies.set(deputies)
    group.members.all().delete()
    LeadingGroupMember.objects.bulk_create(
        [LeadingGroupMember(group=group, person=p) for p in member_people]
        + [LeadingGroupMember(group=group, unit=u) for u in member_units]
    )
    # One ledger entry per save, holding the fields and the membership.
    if creating:
        ledger.append(event="group_created", obj=group,
                      data={"fields": {k: str(v) for k, v in fields.items()}, "membership": membership})
    else:
        audited_update(group, changes=fields, expected_version=expected_version, event="group_updated",
                       extra={"membership": membership})
    return group


# --- the directory workbook: applying a clean file ------------------------------------------
class _Rollback(Exception):
    pass


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for messages in exc.message_dict.values() for m in messages]
    return list(exc.messages)


def _apply(actor, validator: excel.Validator, result: excel.ImportResult) -> None:
    counts = result.counts
    depth = {name: len(validator.chain(name)[0]) for name in validator.unit_plans}
    for plan in sorted(validator.unit_plans.values(), key=lambda p: (depth[p.name], p.row.number)):
        _guard(result, plan.row, lambda plan=plan: _apply_unit(actor, plan, counts[excel.SHEET_UNITS]))
    lookup = _Lookup(validator)
    for plan in validator.people:
        _guard(result, plan.row, lambda plan=plan: _apply_person(actor, plan, counts[excel.SHEET_PEOPLE], lookup))
    for plan in validator.posts:
        _guard(result, plan.row, lambda plan=plan: _apply_post(actor, plan, counts[excel.SHEET_POSTS], lookup))


class _Lookup:
    """The units, people and posts the people and posts sheets refer to, loaded once after the
    units are in place. Creating people and posts never moves a unit, so the paths held here stay
    current for the rest of the import."""

    def __init__(self, validator: excel.Validator):
        names = {p.unit for p in validator.people} | {p.unit for p in validator.posts}
        names |= {key[0] for plan in validator.posts for key in plan.holders.values() if key}
        self.units = {u.name: u for u in Unit.objects.filter(name__in=names)}
        unit_ids = [u.pk for u in self.units.values()]
        self.people = {(p.unit_id, p.name): p for p in Person.objects.filter(unit_id__in=unit_ids)}
        self.posts = {(p.unit_id, p.title): p for p in Post.objects.filter(unit_id__in=unit_ids)}

    def person(self, key: tuple[str, str] | None) -> Person | None:
        if key is None:
            return None
        return self.people[(self.units[key[0]].pk, key[1])]


def _guard(result: excel.ImportResult, row: excel.Row, action) -> None:
    try:
        action()
    except ValidationError as exc:
        for message in _messages(exc):
            result.issues.append(excel.Issue(row.sheet, row.number, message))
    except (Unit.DoesNotExist, Person.DoesNotExist, KeyError):
        # Something this row depends on failed above and was reported there.
        if not result.issues:
            result.issues.append(excel.Issue(row.sheet, row.number, _("所依赖的单位或人员未能导入。")))


def _parent_of(unit: Unit) -> Unit | None:
    return Unit.objects.filter(path=unit.path[: -Unit.steplen]).first() if unit.depth > 1 else None


def _apply_unit(actor, plan: excel.UnitPlan, counts: excel.Counts) -> None:
    parent = Unit.objects.get(name=plan.parent) if plan.parent else None
    unit = Unit.objects.filter(name=plan.name).first()
    if unit is None:
        unit = unit_create(actor=actor, name=plan.name, parent=parent, kind=plan.kind, short_name=plan.short_name,
                                    code=plan.code, sort_order=plan.sort_order, aliases=plan.aliases)
        if not plan.is_active:
            unit_update(actor=actor, unit=unit, expected_version=unit.version, is_active=False)
        counts.created += 1
        return
    wanted = {"kind": plan.kind, "short_name": plan.short_name, "code": plan.code, "sort_order": plan.sort_order,
              "is_active": plan.is_active}
    changes = {k: v for k, v in wanted.items() if getattr(unit, k) != v}
    alias_change = sorted(set(plan.aliases)) != sorted(unit.aliases.values_list("name", flat=True))
    current_parent = _parent_of(unit)
    moved = (current_parent.pk if current_parent else None) != (parent.pk if parent else None)
    if changes or alias_change:
        unit = unit_update(actor=actor, unit=unit, expected_version=unit.version,
                                    aliases=plan.aliases if alias_change else None, **changes)
    if moved:
        unit_move(actor=actor, unit=unit, new_parent=parent)
    if changes or alias_change or moved:
        counts.updated += 1
    else:
        counts.unchanged += 1


def _apply_person(actor, plan: excel.PersonPlan, counts: excel.Counts, lookup: _Lookup) -> None:
    unit = lookup.units[plan.unit]
    person = lookup.people.get((unit.pk, plan.name))
    if person is None:
        person = person_create(actor=actor, name=plan.name, unit=unit, title=plan.title, phone=plan.phone)
        lookup.people[(unit.pk, person.name)] = person
        if not plan.is_active:
            person_update(actor=actor, person=person, expected_version=person.version, is_active=False)
        counts.created += 1
        return
    # A masked phone (the workbook masks them, DP-05) means "keep the number"; validation has
    # checked that it is the mask of this person's number.
    phone = person.phone if pii.looks_masked(plan.phone) else plan.phone
    wanted = {"title": plan.title, "phone": phone, "is_active": plan.is_active}
    changes = {k: v for k, v in wanted.items() if getattr(person, k) != v}
    if changes:
        person_update(actor=actor, person=person, expected_version=person.version, **changes)
        counts.updated += 1
    else:
        counts.unchanged += 1


def _apply_post(actor, plan: excel.PostPlan, counts: excel.Counts, lookup: _Lookup) -> None:
    unit = lookup.units[plan.unit]
    people = {letter: lookup.person(key) for letter, key in plan.holders.items()}
    post = lookup.posts.get((unit.pk, plan.title))
    if post is None:
        post_create(actor=actor, unit=unit, title=plan.title, duties=plan.duties, a_holder=people["a"],
                             b_holder=people["b"], c_holder=people["c"])
        counts.created += 1
        return
    wanted = {"duties": plan.duties, "a_holder": people["a"], "b_holder": people["b"], "c_holder": people["c"]}
    changes = {}
    for key, value in wanted.items():
        current = getattr(post, f"{key}_id") if key.endswith("_holder") else getattr(post, key)
        new = value.pk if key.endswith("_holder") and value is not None else value
        if current != new:
            changes[key] = value
    if changes:
        post_update(actor=actor, post=post, expected_version=post.version, **changes)
        counts.updated += 1
    else:
        counts.unchanged += 1


# --- the directory workbook: import, its refusal, export ------------------------------------
def directory_import(*, actor, file, filename: str = "") -> excel.ImportResult:
    """Import a workbook as ``actor``: all-or-nothing, every row checked first, then applied in
    one transaction through the services above, so each change is ledgered like one made in the
    UI, followed by one ``directory_imported`` entry. Rows are matched by name (units by name,
    people by unit + name, posts by unit + title): a match is updated, never duplicated; import
    never deletes. Raises excel.ImportRejected when the file as a whole is unusable; returns a
    result with every bad row, or with the counts of a committed import. Any refusal is itself
    a ledger entry (directory_import_refuse).

    Not one transaction as a whole on purpose: the refusal entry must outlive the rollback of
    the refused changes."""
    # Every ledger entry of the import names the importer, also when run outside a request.
    with context.bind(user=actor):
        return _directory_import(actor=actor, file=file, filename=filename)


def _directory_import(*, actor, file, filename: str) -> excel.ImportResult:
    filename = (filename or getattr(file, "name", "") or "")[:200]
    if not permissions.can(actor, permissions.DIRECTORY_EDIT):
        raise excel.ImportRejected(_("您没有导入通讯录的权限。"), status=403)
    try:
        data = excel.read_bytes(file)
        excel.check_archive(data)
        rows, issues = excel.read_workbook(data)
    except excel.ImportRejected as exc:
        directory_import_refuse(actor=actor, filename=filename, reason=exc.message)
        raise
    result = excel.ImportResult(ok=False, issues=list(issues), rows={s: len(r) for s, r in rows.items()})
    validator = excel.Validator(actor, rows)
    result.issues.extend(validator.run())
    if result.issues:
        result.issues.sort(key=lambda i: (excel.DATA_SHEETS.index(i.sheet), i.row))
        directory_import_refuse(actor=actor, filename=filename, errors=len(result.issues), rows=result.rows)
        return result
    try:
        with transaction.atomic():
            _apply(actor, validator, result)
            if result.issues:
                raise _Rollback
            ledger.append(event="directory_imported", object_type="orgs.directory", object_repr=filename,
                          data={"filename": filename, "rows": result.rows,
                                "counts": {s: c.as_dict() for s, c in result.counts.items()}})
    except _Rollback:
        result.counts = {s: excel.Counts() for s in excel.DATA_SHEETS}
        directory_import_refuse(actor=actor, filename=filename, errors=len(result.issues), rows=result.rows)
        return result
    result.ok = True
    return result


@transaction.atomic
def directory_import_refuse(*, actor, filename: str = "", reason: str | None = None, errors: int | None = None,
                            rows: dict | None = None) -> None:
    """The ledger record of a refused import: the whole file (``reason``, e.g. "too_large" when
    the upload was refused before it was read) or its rows (``errors``, ``rows``)."""
    data = {"filename": filename}
    if reason is not None:
        data["reason"] = reason
    if errors is not None:
        data["errors"] = errors
    if rows is not None:
        data["rows"] = rows
    ledger.append(event="directory_imported", outcome=Outcome.FAILURE, object_type="orgs.directory",
                  object_repr=filename, data=data, actor=actor)


def directory_export(*, actor) -> tuple[bytes, dict[str, int]]:
    """``actor``'s scoped directory as a workbook that re-imports unchanged; ledgered with the
    row counts."""
    permissions.require(actor, permissions.DIRECTORY_VIEW)
    with context.bind(user=actor):
        rows = queries.directory_rows(actor)
        content = excel.build_workbook(rows)
        counts = {name: len(values) for name, values in rows.items()}
        with transaction.atomic():
            ledger.append(event="directory_exported", object_type="orgs.directory", data={"rows": counts},
                          actor=actor)
    return content, counts

"""Every change to the organisation goes through these functions: validated, atomic, ledgered."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from treebeard.exceptions import InvalidMoveToDescendant

from duban.core import ledger
from duban.core.services import audited_update
from duban.orgs.models import Absence, LeadingGroup, LeadingGroupMember, Person, Post, Unit, UnitAlias

UNIT_FIELDS = ("name", "short_name", "kind", "code", "sort_order", "is_active")
PERSON_FIELDS = ("name", "unit", "title", "phone", "is_active")
POST_FIELDS = ("unit", "title", "duties", "a_holder", "b_holder", "c_holder")
GROUP_FIELDS = ("name", "leader", "office_unit", "duties", "established")


def _name_taken(name: str, exclude_unit: Unit | None = None) -> bool:
    units = Unit.objects.filter(name=name)
    aliases = UnitAlias.objects.filter(name=name)
    if exclude_unit is not None:
        units = units.exclude(pk=exclude_unit.pk)
        aliases = aliases.exclude(unit=exclude_unit)
    return units.exists() or aliases.exists()


# --- units ----------------------------------------------------------------------------------
@transaction.atomic
def unit_create(*, name: str, parent: Unit | None = None, kind: str, short_name: str = "", code: str | None = None,
                sort_order: int = 0, aliases: list[str] | None = None) -> Unit:
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
def unit_update(*, unit: Unit, expected_version: int | None = None, aliases: list[str] | None = None, **changes) -> Unit:
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
def unit_move(*, unit: Unit, new_parent: Unit | None) -> Unit:
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
def unit_delete(*, unit: Unit) -> None:
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
def person_create(*, name: str, unit: Unit, title: str = "", phone: str = "") -> Person:
    person = Person(name=name, unit=unit, title=title, phone=phone)
    _clean_person(person)
    person.save()
    ledger.append(event="person_created", obj=person,
                  data={"unit": unit.pk, "title": title, "phone": _mask_phone(phone)})
    return person


@transaction.atomic
def person_update(*, person: Person, expected_version: int | None = None, **changes) -> Person:
    changes = {k: v for k, v in changes.items() if k in PERSON_FIELDS}
    for k, v in changes.items():
        setattr(person, k, v)
    _clean_person(person)
    person.refresh_from_db(fields=list(changes))  # audited_update wants the stored "before"
    return audited_update(person, changes=changes, expected_version=expected_version, event="person_updated")


def _mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else ("****" if phone else "")


@transaction.atomic
def absence_create(*, person: Person, kind: str, start: date, end: date, note: str = "") -> Absence:
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
def absence_delete(*, absence: Absence) -> None:
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


@transaction.atomic
def post_create(*, unit: Unit, title: str, a_holder: Person, b_holder: Person | None = None,
                c_holder: Person | None = None, duties: str = "") -> Post:
    post = Post(unit=unit, title=title, a_holder=a_holder, b_holder=b_holder, c_holder=c_holder, duties=duties)
    _clean_post(post)
    post.save()
    ledger.append(event="post_created", obj=post,
                  data={"unit": unit.pk, "a": a_holder.pk, "b": b_holder.pk if b_holder else None,
                        "c": c_holder.pk if c_holder else None})
    return post


@transaction.atomic
def post_update(*, post: Post, expected_version: int | None = None, **changes) -> Post:
    changes = {k: v for k, v in changes.items() if k in POST_FIELDS}
    for k, v in changes.items():
        setattr(post, k, v)
    _clean_post(post)
    post.refresh_from_db(fields=list(changes))
    return audited_update(post, changes=changes, expected_version=expected_version, event="post_updated")


# --- leading groups -------------------------------------------------------------------------
@transaction.atomic
def group_save(*, group: LeadingGroup | None = None, name: str, leader: Person | None, office_unit: Unit | None,
               duties: str = "", established: date | None = None, deputies: list[Person] = (),
               member_people: list[Person] = (), member_units: list[Unit] = (),
               expected_version: int | None = None) -> LeadingGroup:
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

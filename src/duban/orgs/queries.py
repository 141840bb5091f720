"""Reads the directory pages need on top of selectors.py: tree levels, search, choices, filters.

Everything starts from the scoping selectors, so nothing here can widen what a user sees.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from duban.core import permissions, pii
from duban.orgs import excel, selectors
from duban.orgs.models import Absence, LeadingGroupMember, Person, Post, Unit, UnitAlias


def _count(model, fk: str, **extra) -> Coalesce:
    """A correlated COUNT subquery: unlike Count() over a join it neither multiplies rows nor
    is distorted by the joins the permission scope adds."""
    sub = (model.objects.filter(**{fk: OuterRef("pk")}, **extra).order_by().values(fk)
           .annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


def with_counts(units: QuerySet[Unit]) -> QuerySet[Unit]:
    return units.annotate(people_count=_count(Person, "unit", is_active=True), post_count=_count(Post, "unit"))


# --- the unit tree --------------------------------------------------------------------------
# Siblings by the order the directory gives them; paths are creation order (Unit has no
# node_order_by, so paths stay stable).
SIBLING_ORDER = ("sort_order", "name", "path")


def tree_roots(user) -> QuerySet[Unit]:
    """The top of the tree this user sees: the real roots for a city-wide role, their own unit
    for everyone else."""
    prefix = permissions.scope_path(user)
    if prefix is None:
        return Unit.objects.none()
    if prefix == "":
        qs = Unit.objects.filter(depth=1)
    else:
        qs = Unit.objects.filter(path=prefix)
    return with_counts(qs).order_by(*SIBLING_ORDER)


def tree_top(user) -> list[Unit]:
    """The roots with their first level of children attached as ``loaded_children``: two
    queries, so the page opens already showing something useful."""
    roots = list(tree_roots(user))
    if not roots:
        return roots
    under_a_root = Q()
    for root in roots:
        under_a_root |= Q(path__startswith=root.path, depth=root.depth + 1)
    children = list(with_counts(selectors.units_for_user(user).filter(under_a_root)).order_by(*SIBLING_ORDER))
    for root in roots:
        root.loaded_children = [c for c in children if c.path.startswith(root.path)]
    return roots


def unit_children(user, unit: Unit) -> QuerySet[Unit]:
    """One level below ``unit``: one indexed path-prefix query (treebeard MP)."""
    qs = selectors.units_for_user(user).filter(path__startswith=unit.path, depth=unit.depth + 1)
    return with_counts(qs).order_by(*SIBLING_ORDER)


def unit_search(user, text: str, limit: int = 50) -> list[Unit]:
    """Units whose name, short name or an alias contains ``text``; each result carries
    ``trail``, its ancestors inside the user's scope (fetched for all results in one query)."""
    text = text.strip()
    matches = Q(name__icontains=text) | Q(short_name__icontains=text) | Q(
        pk__in=UnitAlias.objects.filter(name__icontains=text).values("unit"))
    units = list(with_counts(selectors.units_for_user(user).filter(matches)).order_by("path")[:limit])
    prefixes = {u.path[: Unit.steplen * i] for u in units for i in range(1, u.depth)}
    by_path = {a.path: a for a in selectors.units_for_user(user).filter(path__in=prefixes)} if prefixes else {}
    for u in units:
        u.trail = [by_path[p] for p in sorted(p for p in by_path if u.path.startswith(p))]
    return units


def ancestors_in_scope(user, unit: Unit) -> list[Unit]:
    prefixes = [unit.path[: Unit.steplen * i] for i in range(1, unit.depth)]
    if not prefixes:
        return []
    return list(selectors.units_for_user(user).filter(path__in=prefixes).order_by("depth"))


def visible_units(user) -> QuerySet[Unit]:
    """Units for a select box, in tree order; ``base_depth`` is the depth of the user's top
    unit, from which the labels are indented."""
    units = selectors.units_for_user(user).order_by("path")
    units.base_depth = 1 if permissions.has_global_scope(user) or user.unit is None else user.unit.depth
    return units


def unit_label(unit: Unit, base_depth: int = 1) -> str:
    """A select-box label that shows the tree by indentation (full-width spaces survive HTML)."""
    return "\u3000" * max(unit.depth - base_depth, 0) + unit.name


# --- people ---------------------------------------------------------------------------------
def holder_candidates(user, unit: Unit | None, keep: list[int] | tuple = ()) -> QuerySet[Person]:
    """Who may hold a post of ``unit``: active people of the unit, of its ancestors and of its
    direct children, as far as the user can see them. ``keep`` adds the post's current holders
    even if they have moved away or sit above the user's subtree: the post page names them
    anyway, and an edit must not fail (or drop them) just because they cannot be re-chosen."""
    if unit is None:
        near = Person.objects.none().values("pk")
    else:
        prefixes = [unit.path[: Unit.steplen * i] for i in range(1, unit.depth + 1)]
        near = selectors.people_for_user(user).filter(
            Q(unit__path__in=prefixes) | Q(unit__path__startswith=unit.path, unit__depth=unit.depth + 1),
            is_active=True).values("pk")
    return (Person.objects.select_related("unit").filter(Q(pk__in=near) | Q(pk__in=list(keep)))
            .order_by("unit__path", "name"))


def posts_held_by(user, person: Person) -> list[tuple[str, Post]]:
    posts = selectors.posts_for_user(user).filter(
        Q(a_holder=person) | Q(b_holder=person) | Q(c_holder=person)).order_by("unit__path", "title")
    return [(next(letter for letter, p in post.holders() if p.pk == person.pk), post) for post in posts]


# --- posts ----------------------------------------------------------------------------------
class ActingFilter:
    BACKUP = "backup"
    NOBODY = "nobody"


def filter_posts_by_acting(posts: QuerySet[Post], which: str, on: date) -> QuerySet[Post]:
    """Posts where a backup is acting (A away or inactive, B or C available), or where nobody
    is — the same rule as selectors.acting_holder, evaluated in SQL so the list can paginate."""

    def away(col):
        return Exists(Absence.objects.filter(person_id=OuterRef(col), start__lte=on, end__gte=on))

    a_gone = away("a_holder_id") | Q(a_holder__is_active=False)
    b_gone = Q(b_holder__isnull=True) | away("b_holder_id") | Q(b_holder__is_active=False)
    c_gone = Q(c_holder__isnull=True) | away("c_holder_id") | Q(c_holder__is_active=False)
    if which == ActingFilter.BACKUP:
        return posts.filter(a_gone & ~(b_gone & c_gone))
    if which == ActingFilter.NOBODY:
        return posts.filter(a_gone & b_gone & c_gone)
    return posts


# --- leading groups -------------------------------------------------------------------------
def groups_with_counts(user):
    return selectors.groups_for_user(user).annotate(
        member_people_count=_count(LeadingGroupMember, "group", person__isnull=False),
        member_unit_count=_count(LeadingGroupMember, "group", unit__isnull=False),
    ).order_by("name")


def group_members(group) -> tuple[list[Person], list[Unit]]:
    members = list(group.members.select_related("person__unit", "unit").order_by("unit__path", "person__name"))
    return [m.person for m in members if m.person_id], [m.unit for m in members if m.unit_id]


def group_hidden(user, group) -> dict:
    """What ``user`` cannot see of a group but must not lose by saving it: deputies, members,
    leader and office outside their subtree (``fixed`` names the leader/office fields). The
    group form shows how much is hidden; services.group_save keeps it."""
    if group is None or user is None or permissions.has_global_scope(user):
        return {"deputies": [], "people": [], "units": [], "fixed": ()}
    people = selectors.people_for_user(user).values("pk")
    units = selectors.units_for_user(user).values("pk")
    fixed = []
    if group.leader is not None and not selectors.unit_in_scope(user, group.leader.unit):
        fixed.append("leader")
    if group.office_unit is not None and not selectors.unit_in_scope(user, group.office_unit):
        fixed.append("office_unit")
    return {
        "deputies": list(group.deputies.exclude(pk__in=people)),
        "people": [m.person for m in group.members.filter(person__isnull=False).exclude(person__in=people)
                   .select_related("person")],
        "units": [m.unit for m in group.members.filter(unit__isnull=False).exclude(unit__in=units)
                  .select_related("unit")],
        "fixed": tuple(fixed),
    }


# --- the directory workbook ---------------------------------------------------------------------
def directory_rows(user) -> dict[str, list[list]]:
    """The rows the user may see, in the workbook's import layout (parents before children)."""
    labels = excel.kind_labels()
    units = list(selectors.units_for_user(user).prefetch_related("aliases").order_by("path"))
    visible = {u.path: u for u in units}
    parent_paths = {u.path[: -Unit.steplen] for u in units if u.depth > 1} - set(visible)
    # Units just above the visible subtree are named as parents, so the file re-imports in place.
    outside = {u.path: u for u in Unit.objects.filter(path__in=parent_paths)}
    unit_rows = []
    for unit in units:
        parent = None
        if unit.depth > 1:
            parent_path = unit.path[: -Unit.steplen]
            parent = visible.get(parent_path) or outside.get(parent_path)
        unit_rows.append([unit.name, parent.name if parent else "", labels.get(unit.kind, unit.kind),
                          unit.short_name, unit.code or "",
                          excel.ALIAS_SEPARATOR.join(sorted(a.name for a in unit.aliases.all())), unit.sort_order,
                          excel.YES if unit.is_active else excel.NO])
    people = selectors.people_for_user(user).order_by("unit__path", "name")
    # Phones masked (DP-05); the import reads a masked phone as "unchanged", so the file round-trips.
    person_rows = [[p.name, p.unit.name, p.title, pii.mask(p.phone, pii.PHONE), excel.YES if p.is_active else excel.NO]
                   for p in people]
    posts = selectors.posts_for_user(user).select_related(
        "a_holder__unit", "b_holder__unit", "c_holder__unit").order_by("unit__path", "title")

    def holder(post, person):
        if person is None:
            return ""
        if person.unit_id == post.unit_id:
            return person.name
        return f"{person.name}{excel.HOLDER_UNIT_SEPARATOR}{person.unit.name}"

    post_rows = [[p.unit.name, p.title, p.duties, holder(p, p.a_holder), holder(p, p.b_holder), holder(p, p.c_holder)]
                 for p in posts]
    return {excel.SHEET_UNITS: unit_rows, excel.SHEET_PEOPLE: person_rows, excel.SHEET_POSTS: post_rows}

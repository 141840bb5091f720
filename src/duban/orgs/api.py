"""REST endpoints for the organisation: units, people, absences, posts (with who is acting),
leading groups.

The same rules as the UI, from the same places: function permissions from
duban.core.permissions.can (403 when missing), objects through the scoped selectors and
their ``*_get_for_user`` getters (404 outside the caller's subtree, never 403, ledger row
``authz_denied``), every id a request names through one scoped lookup (``_resolve``), every
write through duban.orgs.services called with the caller as ``actor`` — the services decide the
scope rules, this module only maps their errors (ValidationError -> 400 with field-keyed Chinese messages, a stale
``version`` -> 409 with the current data). Request bodies forbid unknown fields, so ``path``,
``depth``, ``version`` on create and the like are rejected, not silently ignored (AC-07).
"""

from datetime import date
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate
from pydantic import ConfigDict

from duban.core import api_auth, permissions, pii
from duban.core.services import ConcurrentEditError
from duban.orgs import selectors, services
from duban.orgs.models import AbsenceKind, LeadingGroupMember, Post, Unit, UnitKind

# Function permissions are checked in the auth step (duban.core.api_auth): 403 before the body is read.
VIEW = api_auth.require(permissions.DIRECTORY_VIEW)
EDIT = api_auth.require(permissions.DIRECTORY_EDIT)
router = Router(tags=["orgs"], auth=VIEW)


def _require(request, perm: str):
    if not permissions.can(request.auth, perm):
        api_auth.deny(request, request.auth, perm)


# --- schemas --------------------------------------------------------------------------------
class In(Schema):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


class ConflictOut(Schema):
    detail: str
    current: dict[str, Any]


class UnitRef(Schema):
    id: int
    name: str


class PersonRef(Schema):
    id: int
    name: str
    unit_id: int


class UnitOut(Schema):
    id: int
    name: str
    short_name: str
    kind: UnitKind
    kind_label: str
    code: str | None
    sort_order: int
    is_active: bool
    depth: int
    parent: UnitRef | None
    aliases: list[str]
    version: int

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_parent(obj):
        if hasattr(obj, "_api_parent"):
            return obj._api_parent
        return Unit.objects.filter(path=obj.path[: -Unit.steplen]).first() if obj.depth > 1 else None

    @staticmethod
    def resolve_aliases(obj) -> list[str]:
        return sorted(a.name for a in obj.aliases.all())


class UnitCreateIn(In):
    name: str
    parent: int | None = Field(None, description="上级单位 id;留空为顶级单位(仅限全局范围的角色)")
    kind: UnitKind
    short_name: str = ""
    code: str | None = None
    sort_order: int = 0
    aliases: list[str] = []


class UnitUpdateIn(In):
    version: int = Field(..., description="读取时的 version,用于乐观锁")
    name: str | None = None
    short_name: str | None = None
    kind: UnitKind | None = None
    code: str | None = None
    sort_order: int | None = None
    is_active: bool | None = None
    aliases: list[str] | None = None


class UnitMoveIn(In):
    version: int
    parent: int | None


class PersonOut(Schema):
    """``phone`` is masked (138****1234) for every caller (DP-05, the field matrix of
    docs/security.md §AC-07); only ``GET /people/{id}`` gives the directory editors the full number
    (one ``pii_viewed`` row)."""

    id: int
    name: str
    unit: UnitRef
    title: str
    phone: str
    is_active: bool
    version: int

    @staticmethod
    def resolve_phone(obj) -> str:
        return obj.phone if getattr(obj, "pii_full", False) else pii.mask(obj.phone, pii.PHONE)


class AbsenceOut(Schema):
    id: int
    person_id: int
    kind: AbsenceKind
    kind_label: str
    start: date
    end: date
    note: str

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())


class PersonDetailOut(PersonOut):
    absences: list[AbsenceOut]

    @staticmethod
    def resolve_absences(obj):
        return list(obj.absences.order_by("-start")[:50])


class PersonCreateIn(In):
    name: str
    unit: int
    title: str = ""
    phone: str = ""


class PersonUpdateIn(In):
    version: int
    name: str | None = None
    unit: int | None = None
    title: str | None = None
    phone: str | None = None
    is_active: bool | None = None


class AbsenceCreateIn(In):
    kind: AbsenceKind = AbsenceKind.LEAVE
    start: date
    end: date
    note: str = ""


class ActingOut(Schema):
    on: date
    person: PersonRef | None
    letter: str | None
    reason: str


class PostOut(Schema):
    id: int
    unit: UnitRef
    title: str
    duties: str
    a_holder: PersonRef
    b_holder: PersonRef | None
    c_holder: PersonRef | None
    acting: ActingOut
    version: int

    @staticmethod
    def resolve_acting(obj):
        acting = getattr(obj, "_api_acting", None) or selectors.acting_holder(obj)
        return {"on": acting.on, "person": acting.person, "letter": acting.letter, "reason": acting.reason}


class PostCreateIn(In):
    unit: int
    title: str
    duties: str = ""
    a_holder: int
    b_holder: int | None = None
    c_holder: int | None = None


class PostUpdateIn(In):
    version: int
    unit: int | None = None
    title: str | None = None
    duties: str | None = None
    a_holder: int | None = None
    b_holder: int | None = None
    c_holder: int | None = None


class MemberOut(Schema):
    person: PersonRef | None
    unit: UnitRef | None
    note: str


class GroupOut(Schema):
    id: int
    name: str
    leader: PersonRef | None
    deputies: list[PersonRef]
    office_unit: UnitRef | None
    duties: str
    established: date | None
    members: list[MemberOut]
    version: int

    @staticmethod
    def resolve_deputies(obj):
        return list(obj.deputies.all())

    @staticmethod
    def resolve_members(obj):
        return list(obj.members.all())


# --- pagination that can decorate the page it returns -----------------------------------------
class _Pagination(PageNumberPagination):
    """Page-number pagination; ``prepare`` fills in, for the page only, what would otherwise
    cost a query per row (unit parents, acting holders)."""

    @staticmethod
    def prepare(items: list, request) -> None:
        return None

    def paginate_queryset(self, queryset, pagination, request, **params):
        result = super().paginate_queryset(queryset, pagination, request, **params)
        items = list(result[self.items_attribute])
        self.prepare(items, request)
        result[self.items_attribute] = items
        return result


def _attach_parents(units: list[Unit], request=None) -> None:
    paths = {u.path[: -Unit.steplen] for u in units if u.depth > 1}
    parents = {u.path: u for u in Unit.objects.filter(path__in=paths).only("id", "name", "path")}
    for unit in units:
        unit._api_parent = parents.get(unit.path[: -Unit.steplen]) if unit.depth > 1 else None


class UnitPagination(_Pagination):
    prepare = staticmethod(_attach_parents)


def _attach_acting(posts: list[Post], request=None) -> None:
    on = getattr(request, "_orgs_acting_on", None)
    acting = selectors.acting_holders(posts, on)
    for post in posts:
        post._api_acting = acting[post.pk]


class PostPagination(_Pagination):
    prepare = staticmethod(_attach_acting)


# --- helpers --------------------------------------------------------------------------------
def _errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {field: list(messages) for field, messages in exc.message_dict.items()}
    return {NON_FIELD_ERRORS: list(exc.messages)}


def _bad_request(errors: dict[str, list[str]]):
    first = next((m for messages in errors.values() for m in messages), "")
    return Status(400, {"detail": first or _("提交的数据有误。"), "errors": errors})


def _conflict(obj, schema):
    obj.refresh_from_db()
    current = schema.model_validate(obj).model_dump(mode="json")
    return Status(409, {"detail": ConcurrentEditError().messages[0], "current": current})


# --- ids named by a request ---------------------------------------------------------------------
def _candidates(user, kind: str):
    return {"unit": (selectors.units_for_user(user), _("单位")),
            "person": (selectors.people_for_user(user), _("人员"))}[kind]


def _resolve(user, kind: str, pk: int | None, field: str = "", errors: dict | None = None):
    """Every id a request names (a filter or a body field) goes through the one scoped lookup,
    permissions.resolve_scoped: an id outside the caller's subtree is answered exactly like one
    that does not exist, and recorded as ``authz_denied``. A filter's miss is None (the list is
    empty); a body field's miss is added to ``errors`` under ``field`` (400)."""
    queryset, label = _candidates(user, kind)
    try:
        return permissions.resolve_scoped(user, queryset, None, pk, field=field if errors is not None else None,
                                          label=label)
    except Http404:
        return None
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
        return None


def _units_qs(user):
    return selectors.units_for_user(user).prefetch_related("aliases")


def _subtree_filter(user, unit_id: int | None, field: str = "unit"):
    """Q for rows in the subtree of ``unit_id``; a unit outside the caller's scope matches
    nothing (the list stays scoped either way)."""
    if unit_id is None:
        return Q()
    unit = _resolve(user, "unit", unit_id)
    if unit is None:
        return Q(pk__in=[])
    return Q(**{f"{field}__path__startswith": unit.path})


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}


# --- units ----------------------------------------------------------------------------------
@router.get("/units", response=list[UnitOut], url_name="orgs_unit_list", summary="List units")
@paginate(UnitPagination)
def unit_list(request, parent: int | None = None, q: str = "", kind: UnitKind | None = None):
    """Units the caller may see. ``parent``: direct children of that unit; ``q``: name, short
    name or alias contains; ``kind``: unit kind."""
    _require(request, permissions.DIRECTORY_VIEW)
    qs = _units_qs(request.auth)
    if parent is not None:
        parent_unit = _resolve(request.auth, "unit", parent)
        if parent_unit is None:
            return qs.none()
        qs = qs.filter(path__startswith=parent_unit.path, depth=parent_unit.depth + 1)
    if q.strip():
        term = q.strip()
        qs = qs.filter(Q(name__icontains=term) | Q(short_name__icontains=term) | Q(aliases__name__icontains=term))
        qs = qs.distinct()
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("path")


@router.get("/units/{unit_id}", response={200: UnitOut, **ERRORS}, url_name="orgs_unit_detail")
def unit_detail(request, unit_id: int):
    _require(request, permissions.DIRECTORY_VIEW)
    return selectors.unit_get_for_user(request.auth, unit_id, _units_qs(request.auth))


@router.post("/units", auth=EDIT, response={201: UnitOut, **ERRORS}, url_name="orgs_unit_create")
def unit_create(request, payload: UnitCreateIn):
    _require(request, permissions.DIRECTORY_EDIT)
    user = request.auth
    errors: dict[str, list[str]] = {}
    parent = _resolve(user, "unit", payload.parent, "parent", errors)
    if errors:
        return _bad_request(errors)
    try:
        unit = services.unit_create(actor=user, name=payload.name, parent=parent, kind=payload.kind,
                                    short_name=payload.short_name, code=payload.code,
                                    sort_order=payload.sort_order, aliases=payload.aliases)
    except ValidationError as exc:
        return _bad_request(_errors(exc))
    return Status(201, unit)


@router.patch("/units/{unit_id}", auth=EDIT, response={200: UnitOut, 409: ConflictOut, **ERRORS}, url_name="orgs_unit_update")
def unit_update(request, unit_id: int, payload: UnitUpdateIn):
    _require(request, permissions.DIRECTORY_EDIT)
    unit = selectors.unit_get_for_user(request.auth, unit_id)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    aliases = changes.pop("aliases", None)
    for required in ("name", "kind", "sort_order", "is_active", "short_name"):
        if required in changes and changes[required] is None:
            return _bad_request({required: [_("该字段不能为空。")]})
    try:
        unit = services.unit_update(actor=request.auth, unit=unit, expected_version=version, aliases=aliases,
                                    **changes)
    except ConcurrentEditError:
        return _conflict(unit, UnitOut)
    except ValidationError as exc:
        return _bad_request(_errors(exc))
    return Status(200, unit)


@router.post("/units/{unit_id}/move", auth=EDIT, response={200: UnitOut, 409: ConflictOut, **ERRORS},
             url_name="orgs_unit_move")
def unit_move(request, unit_id: int, payload: UnitMoveIn):
    """Move a unit (and its subtree) under another unit; ``parent: null`` makes it a top-level
    unit (global-scope roles only)."""
    _require(request, permissions.DIRECTORY_EDIT)
    user = request.auth
    unit = selectors.unit_get_for_user(user, unit_id)
    errors: dict[str, list[str]] = {}
    parent = _resolve(user, "unit", payload.parent, "parent", errors)
    if errors:
        return _bad_request(errors)
    try:
        unit = services.unit_move(actor=user, unit=unit, new_parent=parent, expected_version=payload.version)
    except ConcurrentEditError:
        return _conflict(unit, UnitOut)
    except ValidationError as exc:
        return _bad_request(_errors(exc))
    return Status(200, Unit.objects.prefetch_related("aliases").get(pk=unit.pk))


# --- people ---------------------------------------------------------------------------------
@router.get("/people", response=list[PersonOut], url_name="orgs_person_list")
@paginate(PageNumberPagination)
def person_list(request, unit: int | None = None, q: str = "", active: bool | None = None):
    """People the caller may see. ``unit``: that unit and its subunits; ``q``: name or title
    contains; ``active``: in post or not."""
    _require(request, permissions.DIRECTORY_VIEW)
    qs = selectors.people_for_user(request.auth).filter(_subtree_filter(request.auth, unit))
    if q.strip():
        qs = qs.filter(Q(name__icontains=q.strip()) | Q(title__icontains=q.strip()))
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("unit__path", "name", "pk")


@router.get("/people/{person_id}", response={200: PersonDetailOut, **ERRORS}, url_name="orgs_person_detail")
def person_detail(request, person_id: int):
    _require(request, permissions.DIRECTORY_VIEW)
    person = selectors.person_get_for_user(request.auth, person_id, selectors.people_for_user(request.auth))
    if person.phone and pii.may_reveal(request.auth, pii.get("orgs.person", "phone"), person):
        person.pii_full = True
        pii.record_view(obj=person, fields=["phone"], page="api:orgs_person_detail", actor=request.auth)
    return person


@router.post("/people", auth=EDIT, response={201: PersonOut, **ERRORS}, url_name="orgs_person_create")
def person_create(request, payload: PersonCreateIn):
    _require(request, permissions.DIRECTORY_EDIT)
    errors: dict[str, list[str]] = {}
    unit = _resolve(request.auth, "unit", payload.unit, "unit", errors)
    if errors:
        return _bad_request(errors)
    try:
        person = services.person_create(actor=request.auth, name=payload.name, unit=unit, title=payload.title, phone=payload.phone)
    except ValidationError as exc:
        return _bad_request(_errors(exc))
    return Status(201, person)


@router.patch("/people/{person_id}", auth=EDIT, response={200: PersonOut, 409: ConflictOut, **ERRORS},
              url_name="orgs_person_update")
def person_update(request, person_id: int, payload: PersonUpdateIn):
    _require(request, permissions.DIRECTORY_EDIT)
    user = request.auth
    person = selectors.person_get_for_user(user, person_id)
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    errors: dict[str, list[str]] = {}
    if "unit" in changes:
        if changes["unit"] is None:
            errors["unit"] = [_("该字段不能为空。")]
        else:
            changes["unit"] = _resolve(user, "unit", changes["unit"], "unit", errors)
    for required in ("name", "title", "phone", "is_active"):
        if required in changes and changes[required] is None:
            errors[required] = [_("该字段不能为空。")]
    if errors:
        return _bad_request(errors)
    try:
        person = services.person_update(actor=user, person=person, expected_version=version, **changes)
    except ConcurrentEditError:
        return _conflict(person, PersonOut)
    except ValidationError as exc:
        return _bad_request(_errors(exc))
    return Status(200, person)


@router.post("/people/{person_id}/absences", auth=EDIT, response={201: AbsenceOut, **ERRORS}, url_name="orgs_absence_create")
def absence_create(request, person_id: int, payload: AbsenceCreateIn):
    """Record a leave, training or trip; while it lasts the post's B (then C) holder acts."""
    _require(request, permissions.DIRECTORY_EDIT)
    person = selectors.person_get_for_user(request.auth, person_id)
    try:
        absence = services.absence_create(actor=request.auth, person=person, kind=payload.kind, start=payload.start, end=payload.end,
                                          note=payload.note)
    except ValidationError as exc:
        return _bad_request(_errors(exc))
    return Status(201, absence)


# --- posts ----------------------------------------------------------------------------------
@router.get("/posts", response=list[PostOut], url_name="orgs_post_list")
@paginate(PostPagination)
def post_list(request, unit: int | None = None, q: str = "", on: date | None = None):
    """Posts the caller may see, each with who is acting on ``on`` (default: today, Beijing
    time). ``unit``: that unit and its subunits; ``q``: title contains."""
    _require(request, permissions.DIRECTORY_VIEW)
    request._orgs_acting_on = on
    qs = selectors.posts_for_user(request.auth).filter(_subtree_filter(request.auth, unit))
    if q.strip():
        qs = qs.filter(title__icontains=q.strip())
    return qs.order_by("unit__path", "title", "pk")


@router.get("/posts/{post_id}", response={200: PostOut, **ERRORS}, url_name="orgs_post_detail")
def post_detail(request, post_id: int, on: date | None = None):
    _require(request, permissions.DIRECTORY_VIEW)
    post = selectors.post_get_for_user(request.auth, post_id, selectors.posts_for_user(request.auth))
    post._api_acting = selectors.acting_holder(post, on)
    return post


def _post_refs(user, data: dict, errors: dict) -> dict:
    refs = {}
    if "unit" in data:
        if data["unit"] is None:
            errors["unit"] = [_("该字段不能为空。")]
        else:
            refs["unit"] = _resolve(user, "unit", data["unit"], "unit", errors)
    for letter in ("a_holder", "b_holder", "c_holder"):
        if letter in data:
            if data[letter] is None and letter == "a_holder":
                errors[letter] = [_("请选择A角。")]
            else:
                refs[letter] = _resolve(user, "person", data[letter], letter, errors)
    return refs


@router.post("/posts", auth=EDIT, response={201: PostOut, **ERRORS}, url_name="orgs_post_create")
def post_create(request, payload: PostCreateIn):
    _require(request, permissions.DIRECTORY_EDIT)
    errors: dict[str, list[str]] = {}
    refs = _post_refs(request.auth, payload.model_dump(), errors)
    if errors:
        return _bad_request(errors)
    try:
        post = services.post_create(actor=request.auth, title=payload.title, duties=payload.duties, **refs)
    except ValidationError as exc:
        return _bad_request(_errors(exc))
    return Status(201, post)


@router.patch("/posts/{post_id}", auth=EDIT, response={200: PostOut, 409: ConflictOut, **ERRORS}, url_name="orgs_post_update")
def post_update(request, post_id: int, payload: PostUpdateIn):
    _require(request, permissions.DIRECTORY_EDIT)
    user = request.auth
    post = selectors.post_get_for_user(user, post_id, selectors.posts_for_user(user))
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    errors: dict[str, list[str]] = {}
    changes = {k: v for k, v in data.items() if k in ("title", "duties")}
    for required in ("title", "duties"):
        if required in changes and changes[required] is None:
            errors[required] = [_("该字段不能为空。")]
    changes.update(_post_refs(user, data, errors))
    if errors:
        return _bad_request(errors)
    try:
        post = services.post_update(actor=user, post=post, expected_version=version, **changes)
    except ConcurrentEditError:
        return _conflict(post, PostOut)
    except ValidationError as exc:
        return _bad_request(_errors(exc))
    return Status(200, selectors.posts_for_user(user).get(pk=post.pk))


# --- leading groups -------------------------------------------------------------------------
def _groups_qs(user):
    return selectors.groups_for_user(user).prefetch_related(
        "deputies", Prefetch("members", queryset=LeadingGroupMember.objects.select_related("person", "unit")))


@router.get("/groups", response=list[GroupOut], url_name="orgs_group_list")
@paginate(PageNumberPagination)
def group_list(request, q: str = ""):
    """Leading groups whose office or members are in the caller's subtree."""
    _require(request, permissions.DIRECTORY_VIEW)
    qs = _groups_qs(request.auth)
    if q.strip():
        qs = qs.filter(name__icontains=q.strip())
    return qs.order_by("name", "pk")


@router.get("/groups/{group_id}", response={200: GroupOut, **ERRORS}, url_name="orgs_group_detail")
def group_detail(request, group_id: int):
    _require(request, permissions.DIRECTORY_VIEW)
    return selectors.group_get_for_user(request.auth, group_id, _groups_qs(request.auth))

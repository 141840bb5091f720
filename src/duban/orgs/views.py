"""The organisation directory pages: units, people, posts (ABC), leading groups.

Views are thin: a form validates the shape, a service in orgs/services.py decides and commits,
its ValidationError goes back onto the form (status 400). Every object is fetched through the
user's scope, so anything outside their subtree is a 404 whatever their role.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from duban.core import permissions, pii
from duban.core.decorators import require_perm
from duban.core.forms import apply_validation_error
from duban.orgs import queries, selectors, services
from duban.orgs.filters import PersonFilterForm, PostFilterForm
from duban.orgs.forms import (
    AbsenceForm,
    ActingDateForm,
    GroupForm,
    PersonForm,
    PostForm,
    UnitForm,
    UnitMoveForm,
)
from duban.orgs.models import LeadingGroup, Person, Post, Unit

VIEW = permissions.DIRECTORY_VIEW
EDIT = permissions.DIRECTORY_EDIT
PAGE_SIZE = 25
SEARCH_LIMIT = 50


def _unit(request, pk) -> Unit:
    return selectors.unit_get_for_user(request.user, pk)


def _person(request, pk) -> Person:
    return selectors.person_get_for_user(request.user, pk)


def _post(request, pk) -> Post:
    return selectors.post_get_for_user(request.user, pk)


def _group(request, pk) -> LeadingGroup:
    return selectors.group_get_for_user(request.user, pk)


_in_scope = selectors.unit_in_scope


def _holder_rows(user, post: Post) -> list[dict]:
    return [{"letter": letter, "person": person, "linked": _in_scope(user, person.unit)}
            for letter, person in post.holders()]


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _edit_response(request, template, context, form):
    status = 400 if request.method == "POST" else 200
    return render(request, template, {**context, "form": form}, status=status)


# --- units ----------------------------------------------------------------------------------
@require_perm(VIEW)
@require_GET
def unit_tree(request):
    text = request.GET.get("q", "").strip()[:50]
    context = {"q": text}
    if text:
        context["results"] = queries.unit_search(request.user, text, limit=SEARCH_LIMIT)
        context["truncated"] = len(context["results"]) == SEARCH_LIMIT
    else:
        context["nodes"] = queries.tree_top(request.user)
    if request.htmx and request.htmx.target == "unit-tree-body":
        response = render(request, "orgs/_unit_tree_body.html", context)
    else:
        response = render(request, "orgs/unit_tree.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_perm(VIEW)
@require_GET
def unit_children(request, pk):
    unit = _unit(request, pk)
    return render(request, "orgs/_unit_nodes.html", {"nodes": list(queries.unit_children(request.user, unit)),
                                                     "parent": unit})


@require_perm(VIEW)
@require_GET
def unit_detail(request, pk):
    unit = _unit(request, pk)
    user = request.user
    posts = list(selectors.posts_for_user(user).filter(unit=unit).order_by("title"))
    acting = selectors.acting_holders(posts)
    for post in posts:
        post.acting = acting[post.pk]
    ancestors = queries.ancestors_in_scope(user, unit)
    return render(request, "orgs/unit_detail.html", {
        "unit": unit,
        "ancestors": ancestors,
        # Ancestors in scope are the nearest ones, so the parent is the last if it is visible.
        "parent": ancestors[-1] if ancestors and ancestors[-1].depth == unit.depth - 1 else None,
        "aliases": list(unit.aliases.all()),
        "children": list(queries.unit_children(user, unit)),
        "people": list(selectors.people_for_user(user).filter(unit=unit).order_by("-is_active", "name")),
        "posts": posts,
    })


@require_perm(EDIT)
@require_http_methods(["GET", "POST"])
def unit_create(request, pk):
    parent = _unit(request, pk)
    form = UnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            unit = services.unit_create(actor=request.user, parent=parent, name=data["name"], short_name=data["short_name"],
                                        kind=data["kind"], code=data["code"], sort_order=data["sort_order"],
                                        aliases=data["aliases"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已新建单位“%(name)s”。") % {"name": unit.name})
            return redirect("orgs:unit_detail", unit.pk)
    return _edit_response(request, "orgs/unit_form.html", {
        "parent": parent, "ancestors": queries.ancestors_in_scope(request.user, parent) + [parent]}, form)


@require_perm(EDIT)
@require_http_methods(["GET", "POST"])
def unit_edit(request, pk):
    unit = _unit(request, pk)
    form = UnitForm(request.POST or None, initial=UnitForm.initial_for(unit), editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {k: data[k] for k in ("name", "short_name", "kind", "code", "sort_order", "is_active")}
        try:
            services.unit_update(actor=request.user, unit=unit, expected_version=data["version"],
                                 aliases=data["aliases"], **changes)
        except ValidationError as exc:
            apply_validation_error(form, exc)
            unit.refresh_from_db()
        else:
            messages.success(request, _("已保存单位“%(name)s”。") % {"name": unit.name})
            return redirect("orgs:unit_detail", unit.pk)
    return _edit_response(request, "orgs/unit_form.html", {
        "unit": unit, "ancestors": queries.ancestors_in_scope(request.user, unit) + [unit]}, form)


@require_perm(EDIT)
@require_http_methods(["GET", "POST"])
def unit_move(request, pk):
    unit = _unit(request, pk)
    user = request.user
    # Only a city-wide role can make a unit a root: a unit user's tree must stay under their unit.
    form = UnitMoveForm(request.POST or None, units=queries.visible_units(user), user=user,
                        allow_root=services.may_place_at_top(user),
                        initial={"parent": Unit.objects.get_parent(unit).pk if unit.depth > 1 else None})
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_move(actor=user, unit=unit, new_parent=form.cleaned_data["parent"])
        except ValidationError as exc:
            apply_validation_error(form, exc, default_field="parent")
        else:
            messages.success(request, _("已移动单位“%(name)s”。") % {"name": unit.name})
            return redirect("orgs:unit_detail", unit.pk)
    return _edit_response(request, "orgs/unit_move.html", {
        "unit": unit, "ancestors": queries.ancestors_in_scope(user, unit) + [unit]}, form)


@require_perm(EDIT)
@require_http_methods(["GET", "POST"])
def unit_delete(request, pk):
    unit = _unit(request, pk)
    parent = Unit.objects.get_parent(unit) if unit.depth > 1 else None
    error = None
    if request.method == "POST":
        name = unit.name
        try:
            services.unit_delete(actor=request.user, unit=unit)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("已删除单位“%(name)s”。") % {"name": name})
            if parent is not None and _in_scope(request.user, parent):
                return redirect("orgs:unit_detail", parent.pk)
            return redirect("orgs:unit_tree")
    return render(request, "orgs/unit_delete.html", {
        "unit": unit, "error": error, "ancestors": queries.ancestors_in_scope(request.user, unit) + [unit]},
        status=400 if error else 200)


# --- people ---------------------------------------------------------------------------------
@require_perm(VIEW)
@require_GET
def person_list(request):
    user = request.user
    units = queries.visible_units(user)
    filters = PersonFilterForm(request.GET, units=units, user=user)
    page = _page(request, filters.apply(selectors.people_for_user(user)))
    for person in page:
        person.phone_shown = pii.mask(person.phone, pii.PHONE)
    sort = filters.sort_key
    columns = [(key, label, "ascending" if sort == key else "descending" if sort == "-" + key else "",
                "-" + key if sort == key else key)
               for key, label in (("name", _("姓名")), ("unit", _("单位")), ("title", _("职务")))]
    return render(request, "orgs/person_list.html", {"filters": filters, "page": page, "columns": columns})


def _person_context(request, person, absence_form=None) -> dict:
    user = request.user
    can_edit = permissions.can(user, EDIT)
    return {
        "person": person,
        "ancestors": queries.ancestors_in_scope(user, person.unit) + [person.unit],
        "phone": pii.mask(person.phone, pii.PHONE),
        "held": queries.posts_held_by(user, person),
        "absences": list(person.absences.order_by("-start")),
        "today": selectors.today(),
        "absence_form": absence_form if absence_form is not None else (AbsenceForm() if can_edit else None),
    }


@require_perm(VIEW)
@require_GET
def person_detail(request, pk):
    person = _person(request, pk)
    return render(request, "orgs/person_detail.html", _person_context(request, person))


@require_perm(EDIT)
@require_http_methods(["GET", "POST"])
def person_create(request):
    user = request.user
    units = queries.visible_units(user)
    initial = {}
    if request.GET.get("unit", "").isdigit():
        initial["unit"] = int(request.GET["unit"])
    form = PersonForm(request.POST or None, units=units, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = services.person_create(actor=user, name=data["name"], unit=data["unit"], title=data["title"],
                                            phone=data["phone"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已新建人员“%(name)s”。") % {"name": person.name})
            return redirect("orgs:person_detail", person.pk)
    return _edit_response(request, "orgs/person_form.html", {}, form)


@require_perm(EDIT)
@require_http_methods(["GET", "POST"])
def person_edit(request, pk):
    person = _person(request, pk)
    form = PersonForm(request.POST or None, units=queries.visible_units(request.user), user=request.user,
                      initial=PersonForm.initial_for(person), editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {k: data[k] for k in ("name", "unit", "title", "phone", "is_active")}
        try:
            services.person_update(actor=request.user, person=person, expected_version=data["version"], **changes)
        except ValidationError as exc:
            apply_validation_error(form, exc)
            person.refresh_from_db()  # the service set the rejected values on this instance
        else:
            messages.success(request, _("已保存人员“%(name)s”。") % {"name": person.name})
            return redirect("orgs:person_detail", person.pk)
    if request.method == "GET" and person.phone:  # the form shows the full number: one pii_viewed row
        pii.record_view(obj=person, fields=["phone"], page="orgs:person_edit", actor=request.user)
    return _edit_response(request, "orgs/person_form.html", {
        "person": person, "ancestors": queries.ancestors_in_scope(request.user, person.unit) + [person.unit]},
        form)


@require_perm(EDIT)
@require_POST
def absence_create(request, pk):
    person = _person(request, pk)
    form = AbsenceForm(request.POST)
    if form.is_valid():
        try:
            services.absence_create(actor=request.user, person=person, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已登记%(name)s的外出/请假。") % {"name": person.name})
            return redirect("orgs:person_detail", person.pk)
    return render(request, "orgs/person_detail.html", _person_context(request, person, form), status=400)


@require_perm(EDIT)
@require_POST
def absence_delete(request, pk):
    absence = selectors.absence_get_for_user(request.user, pk)
    person = absence.person
    services.absence_delete(actor=request.user, absence=absence)
    messages.success(request, _("已删除一条外出/请假记录。"))
    return redirect("orgs:person_detail", person.pk)


# --- posts ----------------------------------------------------------------------------------
@require_perm(VIEW)
@require_GET
def post_list(request):
    user = request.user
    today = selectors.today()
    filters = PostFilterForm(request.GET, units=queries.visible_units(user), user=user)
    posts = selectors.posts_for_user(user).select_related("a_holder__unit", "b_holder__unit", "c_holder__unit")
    page = _page(request, filters.apply(posts, today))
    posts = list(page)
    acting = selectors.acting_holders(posts, today)
    for post in posts:
        post.acting = acting[post.pk]
        post.holder_rows = _holder_rows(user, post)
    return render(request, "orgs/post_list.html", {"filters": filters, "page": page, "posts": posts,
                                                   "today": today})


def _acting_context(request, post, on_form) -> dict:
    on = on_form.cleaned_data["on"] if on_form.is_valid() else selectors.today()
    acting = selectors.acting_holder(post, on)
    return {"post": post, "acting": acting, "on": on, "on_form": on_form,
            "acting_linked": acting.person is not None and _in_scope(request.user, acting.person.unit)}


@require_perm(VIEW)
@require_GET
def post_detail(request, pk):
    post = _post(request, pk)
    on_form = ActingDateForm(request.GET if "on" in request.GET else None,
                             initial={"on": selectors.today()})
    context = _acting_context(request, post, on_form)
    context.update({"holder_rows": _holder_rows(request.user, post),
                    "ancestors": queries.ancestors_in_scope(request.user, post.unit) + [post.unit]})
    return render(request, "orgs/post_detail.html", context, status=400 if on_form.errors else 200)


@require_perm(VIEW)
@require_GET
def post_acting(request, pk):
    """htmx: who acts for this post on the chosen date."""
    post = _post(request, pk)
    on_form = ActingDateForm(request.GET if "on" in request.GET else None)
    # htmx does not swap in 4xx answers by default: to htmx the error is content to show.
    status = 400 if on_form.errors and not request.htmx else 200
    return render(request, "orgs/_post_acting.html", _acting_context(request, post, on_form), status=status)


def _post_form(request, *, post: Post | None, data):
    """The post form with holder choices that follow the chosen unit: on a POST (or the htmx
    refresh when the unit select changes) the submitted unit, otherwise the post's own."""
    user = request.user
    units = queries.visible_units(user)
    unit = post.unit if post is not None else None
    source = data if data is not None else request.GET
    chosen = source.get("unit", "")
    if chosen:
        try:
            unit = permissions.resolve_scoped(user, units, None, chosen) or unit
        except Http404:
            pass  # an unknown unit keeps the post's own choices; the form reports the field
    keep = [p.pk for _, p in post.holders()] if post is not None else []
    candidates = queries.holder_candidates(user, unit, keep)
    if post is not None:
        initial = {"unit": post.unit_id, "title": post.title, "duties": post.duties, "a_holder": post.a_holder_id,
                   "b_holder": post.b_holder_id, "c_holder": post.c_holder_id, "version": post.version}
    else:
        initial = {}
    if data is None:
        # The htmx refresh carries what was typed so far; keep it while the choices change.
        for name in ("unit", "title", "duties", "a_holder", "b_holder", "c_holder"):
            if name in request.GET:
                initial[name] = request.GET[name]
    refresh_url = reverse("orgs:post_edit", args=[post.pk]) if post is not None else reverse("orgs:post_create")
    form = PostForm(data, units=units, candidates=candidates, user=user, initial=initial, editing=post is not None,
                    refresh_url=refresh_url)
    return form, unit


def _post_form_response(request, form, unit, context):
    if request.htmx and request.method == "GET":
        response = render(request, "orgs/_post_form_fields.html", {"form": form, "unit": unit})
    else:
        response = _edit_response(request, "orgs/post_form.html", {**context, "unit": unit}, form)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_perm(EDIT)
@require_http_methods(["GET", "POST"])
def post_create(request):
    form, unit = _post_form(request, post=None, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            post = services.post_create(actor=request.user, unit=data["unit"], title=data["title"], duties=data["duties"],
                                        a_holder=data["a_holder"], b_holder=data["b_holder"],
                                        c_holder=data["c_holder"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已新建岗位“%(title)s”。") % {"title": post.title})
            return redirect("orgs:post_detail", post.pk)
    return _post_form_response(request, form, unit, {})


@require_perm(EDIT)
@require_http_methods(["GET", "POST"])
def post_edit(request, pk):
    post = _post(request, pk)
    form, unit = _post_form(request, post=post, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {k: data[k] for k in ("unit", "title", "duties", "a_holder", "b_holder", "c_holder")}
        try:
            services.post_update(actor=request.user, post=post, expected_version=data["version"], **changes)
        except ValidationError as exc:
            apply_validation_error(form, exc)
            post = _post(request, pk)
        else:
            messages.success(request, _("已保存岗位“%(title)s”。") % {"title": post.title})
            return redirect("orgs:post_detail", post.pk)
    return _post_form_response(request, form, unit, {
        "post": post, "ancestors": queries.ancestors_in_scope(request.user, post.unit) + [post.unit]})


# --- leading groups -------------------------------------------------------------------------
@require_perm(VIEW)
@require_GET
def group_list(request):
    groups = queries.groups_with_counts(request.user)
    text = request.GET.get("q", "").strip()[:100]
    if text:
        groups = groups.filter(name__icontains=text)
    return render(request, "orgs/group_list.html", {"page": _page(request, groups), "q": text})


@require_perm(VIEW)
@require_GET
def group_detail(request, pk):
    group = _group(request, pk)
    user = request.user
    people, units = queries.group_members(group)
    deputies = list(group.deputies.select_related("unit").order_by("unit__path", "name"))
    return render(request, "orgs/group_detail.html", {
        "group": group,
        "leader_linked": group.leader is not None and _in_scope(user, group.leader.unit),
        "office_linked": _in_scope(user, group.office_unit),
        "deputies": [(p, _in_scope(user, p.unit)) for p in deputies],
        "member_people": [(p, _in_scope(user, p.unit)) for p in people],
        "member_units": [(u, _in_scope(user, u)) for u in units],
    })


def _group_edit(request, group: LeadingGroup | None):
    user = request.user
    hidden = queries.group_hidden(user, group)
    initial = {}
    if group is not None:
        people, units = queries.group_members(group)
        initial = {"name": group.name, "leader": group.leader_id, "office_unit": group.office_unit_id,
                   "duties": group.duties, "established": group.established, "version": group.version,
                   "deputies": [p.pk for p in group.deputies.all()],
                   "member_people": [p.pk for p in people], "member_units": [u.pk for u in units]}
    form = GroupForm(request.POST or None, people=selectors.people_for_user(user).order_by("unit__path", "name"),
                     units=queries.visible_units(user), user=user, editing=group is not None, fixed=hidden["fixed"],
                     initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # What the editor cannot see of the group (the fields left off the form, members
            # outside their subtree) the service keeps as it is.
            saved = services.group_save(
                actor=user, group=group, name=data["name"], leader=data.get("leader"),
                office_unit=data.get("office_unit"), duties=data["duties"], established=data["established"],
                deputies=list(data["deputies"]), member_people=list(data["member_people"]),
                member_units=list(data["member_units"]),
                expected_version=data["version"] if group is not None else None)
        except ValidationError as exc:
            apply_validation_error(form, exc)
            if group is not None:
                group.refresh_from_db()
        else:
            messages.success(request, _("已保存领导小组“%(name)s”。") % {"name": saved.name})
            return redirect("orgs:group_detail", saved.pk)
    hidden_count = len(hidden["deputies"]) + len(hidden["people"]) + len(hidden["units"]) + len(hidden["fixed"])
    return _edit_response(request, "orgs/group_form.html", {"group": group, "hidden_count": hidden_count}, form)


@require_perm(EDIT)
@require_http_methods(["GET", "POST"])
def group_create(request):
    return _group_edit(request, None)


@require_perm(EDIT)
@require_http_methods(["GET", "POST"])
def group_edit(request, pk):
    return _group_edit(request, _group(request, pk))

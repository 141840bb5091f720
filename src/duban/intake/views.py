"""The intake pages: upload, the review page (source text beside the editable outline), confirm,
and the topic → units map.

Every edit is a POST carrying the draft version the page was rendered from; services refuse a
stale one. A refused POST re-renders the review page with the error (400, or 409 when stale),
a successful one redirects back to the edited item (PRG).
"""

from __future__ import annotations

from itertools import pairwise

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from duban.core import permissions, uploads
from duban.core.decorators import require_perm
from duban.core.forms import apply_validation_error
from duban.core.services import ConcurrentEditError
from duban.intake import selectors, services
from duban.intake.draft import plan, walk
from duban.intake.forms import (
    BulkForm,
    MetaForm,
    NodeForm,
    ParentForm,
    RebaseForm,
    SplitForm,
    TopicForm,
    UnitResolveForm,
    UploadForm,
)
from duban.intake.models import DraftStatus
from duban.tasks.models import Source

USE = permissions.INTAKE_USE
PAGE_SIZE = 20
COLLAPSE_AT = 40  # a longer outline opens with its subtrees below the second level collapsed


# --- upload -----------------------------------------------------------------------------------
def _draft_page(request):
    qs = selectors.drafts_for_user(request.user)
    status = request.GET.get("status", "")
    if status in DraftStatus.values:
        qs = qs.filter(status=status)
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page")), status


@uploads.limited_uploads("DUBAN_MAX_IMPORT_BYTES")
@require_perm(USE)
@require_http_methods(["GET", "POST"])
def upload(request):
    """A file past DUBAN_MAX_IMPORT_BYTES is refused while it is received (413, nothing read)."""
    form = UploadForm(request.POST or None, request.FILES or None)
    refused = request.method == "POST" and uploads.apply_refusal(request, form, "file")
    if request.method == "POST" and not refused and form.is_valid():
        upload_file = form.cleaned_data["file"]
        try:
            draft = services.draft_create(actor=request.user, raw=upload_file.read(), file_name=upload_file.name,
                                          speech_date=form.cleaned_data["speech_date"],
                                          term_end=form.cleaned_data["term_end"])
        except services.DuplicateDraftError as exc:
            messages.info(request, exc.messages[0])
            return redirect("intake:draft", pk=exc.draft.pk)
        except ValidationError as exc:
            apply_validation_error(form, exc, default_field="file")
        else:
            # the page shows the draft's warnings: a success banner above them would contradict them
            say = messages.info if draft.data.get("warnings") else messages.success
            say(request, _("已分析“%(name)s”,请核对拆解结果后确认生成任务。") % {"name": draft.file_name})
            return redirect("intake:draft", pk=draft.pk)
    page, status = _draft_page(request)
    return render(request, "intake/upload.html",
                  {"form": form, "page": page, "status": status, "statuses": DraftStatus.choices},
                  status=uploads.status_for(form) if request.method == "POST" else 200)


# --- review -----------------------------------------------------------------------------------
def _draft(request, pk):
    return selectors.draft_get_for_user(request.user, pk)


def _node_choices(draft, exclude_id: str | None) -> list[tuple[str, str]]:
    """Possible parents of a node: every node outside its own subtree."""
    rows = selectors.review_nodes(draft)
    banned: set[str] = set()
    if exclude_id:
        for row in rows:
            if row.node["id"] == exclude_id or row.parent_id in banned:
                banned.add(row.node["id"])
    return [(row.node["id"], "\u3000" * row.depth + row.marker + " " + row.node["title"][:40])
            for row in rows if row.node["id"] not in banned]


def _review(request, draft, *, status=200, error: str = "", edit: str | None = None, node_form=None,
            split_form=None, parent_form=None, meta_form=None, bulk_form=None):
    rows = selectors.review_nodes(draft)
    ready = selectors.readiness(rows)
    attention_only = request.GET.get("attention") == "1"
    bulk_form = bulk_form or BulkForm(prefix="bulk", user=request.user, node_ids=[r.node["id"] for r in rows])
    edit = edit if edit is not None else request.GET.get("edit") or None
    edit_row = next((r for r in rows if r.node["id"] == edit), None) if edit else None
    if edit_row is not None:
        node = edit_row.node
        node_form = node_form or NodeForm(initial=NodeForm.initial_for(node), prefix="node", user=request.user)
        split_form = split_form or SplitForm(prefix="split")
        parent_form = parent_form or ParentForm(initial={"parent": edit_row.parent_id or ""}, prefix="move",
                                                choices=_node_choices(draft, node["id"]))
    meta = draft.data.get("meta", {})
    meta_form = meta_form or MetaForm(initial={**{k: meta.get(k) for k in ("title", "speaker", "post", "speech_date")},
                                               "kind": draft.data.get("source_kind", "speech")}, prefix="meta")
    planned = plan(draft.data)
    match = selectors.source_match(draft, request.user) if draft.is_open else None
    context = {
        "draft": draft, "data": draft.data, "meta": meta, "rows": rows, "edit_row": edit_row,
        "node_form": node_form, "split_form": split_form, "parent_form": parent_form, "meta_form": meta_form,
        "segments": selectors.source_segments(draft), "error": error, "match": match,
        "planned_count": len(planned), "ready": ready, "attention_only": attention_only, "bulk_form": bulk_form,
        "shown_rows": [r for r in rows if r.attention] if attention_only else rows,
        "planned_parents": sum(1 for (_n, d), (_m, e) in pairwise(planned) if e > d),
        "removed": draft.data.get("removed", []), "removed_counts": _removed_counts(draft.data),
        "warnings": draft.data.get("warnings", []),
        "editable": draft.is_open, "tasks_url": _tasks_url(draft.source) if draft.source_id else "",
        "drafts_left": selectors.draft_tasks_left(draft),
        "rebase_years": services.rebase_offer(draft.data) if draft.is_open else None,
        "outside": services.outside_units(draft.data) if draft.is_open else [],
        "resolve_form": UnitResolveForm(user=request.user) if draft.is_open else None,
        "refused": request.session.get(f"intake-refused-{draft.pk}", []) if not draft.is_open else [],
        "collapse": len(rows) > COLLAPSE_AT,
    }
    return render(request, "intake/draft_review.html", context, status=status)


def _removed_counts(data: dict) -> dict[str, int]:
    counts = {"boilerplate": 0, "duplicate": 0, "metadata": 0}
    for removed in data.get("removed", []):
        counts[removed.get("kind", "boilerplate")] = counts.get(removed.get("kind", "boilerplate"), 0) + 1
    return counts


def _tasks_url(source: Source) -> str:
    """The responsibility list filtered to the source, if the tasks pages are installed."""
    for name, kwargs, query in (("tasks:list", {}, {"source": source.pk}),
                                ("tasks:source_detail", {"pk": source.pk}, {})):
        try:
            url = reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
        return f"{url}?{urlencode(query)}" if query else url
    return ""


def _version(request) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        raise ValidationError(_("页面缺少版本信息,请刷新后重试。"), code="stale") from None


def _back(draft, node_id: str | None = None, edit: bool = False):
    url = reverse("intake:draft", kwargs={"pk": draft.pk})
    if node_id and edit:
        url += "?" + urlencode({"edit": node_id})
    return redirect(url + (f"#node-{node_id}" if node_id else ""))


def _refused(request, draft, exc: ValidationError, **kwargs):
    draft.refresh_from_db()
    status = 409 if isinstance(exc, ConcurrentEditError) else 400
    return _review(request, draft, status=status, error="；".join(exc.messages), **kwargs)


@require_perm(USE)
@require_GET
def draft_review(request, pk):
    return _review(request, _draft(request, pk))


@require_perm(USE)
@require_POST
def draft_meta(request, pk):
    draft = _draft(request, pk)
    form = MetaForm(request.POST, prefix="meta")
    if form.is_valid():
        try:
            services.draft_meta_update(actor=request.user, draft=draft, expected_version=_version(request),
                                       **form.cleaned_data)
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                return _refused(request, draft, exc)
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已保存讲话信息。"))
            return _back(draft)
    return _review(request, draft, status=400, meta_form=form, error=_("讲话信息未保存,请修改标出的内容。"))


@require_perm(USE)
@require_POST
def node_update(request, pk, node_id):
    draft = _draft(request, pk)
    form = NodeForm(request.POST, prefix="node", user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.draft_node_update(actor=request.user, draft=draft, expected_version=_version(request),
                                       node_id=node_id, title=data["title"], include=data["include"],
                                       lead_unit=data["lead_unit"], co_units=list(data["co_units"]),
                                       due_date=data["due_date"], target_number=data["target_number"],
                                       target_measure=data["target_measure"], target_object=data["target_object"])
        except ValidationError as exc:
            if not hasattr(exc, "error_dict") or "node" in exc.error_dict:
                return _refused(request, draft, exc, edit=node_id)
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已保存“%(title)s”。") % {"title": data["title"][:40]})
            return _back(draft, node_id)
    return _review(request, draft, status=400, edit=node_id, node_form=form,
                   error=_("条目未保存,请修改标出的内容。"))


@require_perm(USE)
@require_POST
def node_split(request, pk, node_id):
    draft = _draft(request, pk)
    form = SplitForm(request.POST, prefix="split")
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["split_at"]:
                offset = _offset_of(draft, node_id, data["split_at"])
                services.draft_node_split(actor=request.user, draft=draft, expected_version=_version(request),
                                          node_id=node_id, offset=offset)
            else:
                services.draft_node_split(actor=request.user, draft=draft, expected_version=_version(request),
                                          node_id=node_id, titles=[data["title_1"], data["title_2"]])
        except ValidationError as exc:
            return _refused(request, draft, exc, edit=node_id, split_form=form)
        messages.success(request, _("已拆分为两项。"))
        return _back(draft, node_id)
    return _review(request, draft, status=400, edit=node_id, split_form=form, error=_("未拆分,请修改标出的内容。"))


def _offset_of(draft, node_id: str, phrase: str) -> int:
    """Where the second part starts: the phrase's first occurrence inside the item, after its
    first character (splitting at the very start would leave the first part empty)."""
    node = next((n for n in walk(draft.data["outline"]) if n["id"] == node_id), None)
    if node is None:
        raise ValidationError(_("草稿中没有该条目,可能已被合并或删除,请刷新后重试。"))
    at = draft.data["text"].find(phrase, node["start"] + 1, node["end"])
    if at < 0:
        raise ValidationError(_("在“%(title)s”的原文中找不到“%(phrase)s”。") % {"title": node["title"][:30],
                                                                        "phrase": phrase[:30]})
    return at


@require_perm(USE)
@require_POST
def node_move(request, pk, node_id):
    draft = _draft(request, pk)
    form = ParentForm(request.POST, prefix="move", choices=_node_choices(draft, node_id))
    if not form.is_valid():
        return _review(request, draft, status=400, edit=node_id, parent_form=form, error=_("请选择有效的上级条目。"))
    try:
        services.draft_node_move(actor=request.user, draft=draft, expected_version=_version(request),
                                 node_id=node_id, action="parent", parent_id=form.cleaned_data["parent"] or None)
    except ValidationError as exc:
        return _refused(request, draft, exc, edit=node_id, parent_form=form)
    messages.success(request, _("已移动。"))
    return _back(draft, node_id)


@require_perm(USE)
@require_POST
def nodes_bulk(request, pk):
    """The bulk bar: set the lead unit / co-units / due date of the checked items, or include,
    exclude or drop them, in one edit."""
    draft = _draft(request, pk)
    rows = selectors.review_nodes(draft)
    form = BulkForm(request.POST, prefix="bulk", user=request.user, node_ids=[r.node["id"] for r in rows])
    action = request.POST.get("bulk-action", "set")
    if not form.is_valid():
        return _review(request, draft, status=400, bulk_form=form,
                       error=_("批量操作未执行,请修改标出的内容(条目可能已被修改,请刷新)。"))
    data = form.cleaned_data
    try:
        draft = services.draft_nodes_bulk_update(
            actor=request.user, draft=draft, expected_version=_version(request), node_ids=data["nodes"],
            action=action, with_subtree=data["with_subtree"], lead_unit=data["lead_unit"],
            co_units=list(data["co_units"]) or None, due_date=data["due_date"], category=data["category"])
    except ValidationError as exc:
        return _refused(request, draft, exc, bulk_form=form)
    messages.success(request, _("已批量处理 %(n)s 项。") % {"n": len(data["nodes"])})
    return _back(draft)


ACTIONS = {
    "include": (services.draft_node_set_include, {"include": True}, _("已设为生成任务。")),
    "exclude": (services.draft_node_set_include, {"include": False}, _("已设为不生成任务。")),
    "merge": (services.draft_node_merge, {}, _("已与下一项合并。")),
    "drop": (services.draft_node_drop, {}, _("已删除该条目。")),
    "indent": (services.draft_node_move, {"action": "indent"}, _("已降一级。")),
    "outdent": (services.draft_node_move, {"action": "outdent"}, _("已升一级。")),
    "up": (services.draft_node_move, {"action": "up"}, _("已上移。")),
    "down": (services.draft_node_move, {"action": "down"}, _("已下移。")),
}


@require_perm(USE)
@require_POST
def node_action(request, pk):
    """The outline's buttons: one form, each button posting ``<action>:<node id>``."""
    draft = _draft(request, pk)
    action, _sep, node_id = request.POST.get("action", "").partition(":")
    if action not in ACTIONS or not node_id:
        return _refused(request, draft, ValidationError(_("不支持的操作。")))
    service, extra, done = ACTIONS[action]
    try:
        service(actor=request.user, draft=draft, expected_version=_version(request), node_id=node_id, **extra)
    except ValidationError as exc:
        return _refused(request, draft, exc)
    messages.success(request, str(done))
    return _back(draft, None if action == "drop" else node_id)


@require_perm(USE)
@require_POST
def draft_rebase(request, pk):
    """An old speech whose dates are all past: move its years (offered on the page)."""
    draft = _draft(request, pk)
    form = RebaseForm(request.POST)
    if not form.is_valid():
        return _refused(request, draft, ValidationError(_("顺延年数应为 1 到 50 之间的整数。")))
    try:
        services.draft_rebase_years(actor=request.user, draft=draft, expected_version=_version(request),
                                    years=form.cleaned_data["years"])
    except ValidationError as exc:
        return _refused(request, draft, exc)
    messages.success(request, _("已将文中的年份整体顺延 %(n)s 年,默认期限随之调整。") % {"n": form.cleaned_data["years"]})
    return _back(draft)


@require_perm(USE)
@require_POST
def unit_resolve(request, pk):
    """A unit name outside the directory: map it to a unit, or add it to the directory."""
    draft = _draft(request, pk)
    form = UnitResolveForm(request.POST, user=request.user)
    if not form.is_valid():
        return _refused(request, draft, ValidationError(_("请选择有效的单位或单位类别。")))
    data = form.cleaned_data
    try:
        services.draft_unit_resolve(actor=request.user, draft=draft, expected_version=_version(request),
                                    name=data["name"], unit=data["unit"], new_parent=data["new_parent"],
                                    new_kind=data["new_kind"])
    except ValidationError as exc:
        return _refused(request, draft, exc)
    what = data["unit"].name if data["unit"] else _("新单位")
    messages.success(request, _("已将“%(name)s”对应到%(unit)s,相关条目已更新。") % {"name": data["name"], "unit": what})
    return _back(draft)


@require_perm(USE)
@require_POST
def draft_confirm(request, pk):
    draft = _draft(request, pk)
    update_source = None
    if request.POST.get("mode") == "update":
        match = selectors.source_match(draft, request.user)
        if match is None or str(match.source.pk) != request.POST.get("source", ""):
            return _refused(request, draft, ValidationError(_("要更新的来源已不存在或与本草稿不匹配,请刷新后重试。")))
        update_source = match.source
    try:
        source = services.draft_confirm(actor=request.user, draft=draft, expected_version=_version(request),
                                        update_source=update_source)
    except ValidationError as exc:
        return _refused(request, draft, exc)
    count = source.tasks.count()
    messages.success(request, _("已生成任务:来源“%(title)s”,共 %(n)s 项任务。") % {"title": source.title, "n": count})
    url = _tasks_url(source)
    return redirect(url) if url else _back(draft)


@require_perm(USE)
@require_POST
def draft_assign_ready(request, pk):
    """After confirm: 交办 every created task that is ready, in one step; the rest are listed."""
    draft = _draft(request, pk)
    try:
        result = services.draft_assign_ready(actor=request.user, draft=draft)
    except ValidationError as exc:
        return _refused(request, draft, exc)
    if not result.refused:
        messages.success(request, _("已交办 %(n)s 项任务。") % {"n": len(result.assigned)})
        return _back(draft)
    # one warning that says both (a warning is never shown under a success banner); the page
    # lists every task left with its reason
    messages.warning(request, _("已交办 %(n)s 项任务;%(m)s 项未交办,见下方清单,补充后可在责任清单中交办。")
                     % {"n": len(result.assigned), "m": len(result.refused)})
    request.session[f"intake-refused-{draft.pk}"] = [
        {"title": t.title, "reason": why, "url": _task_url(t)} for t, why in result.refused]
    return _back(draft)


def _task_url(task) -> str:
    try:
        return reverse("tasks:detail", kwargs={"pk": task.pk})
    except NoReverseMatch:
        return ""


@require_perm(USE)
@require_POST
def draft_discard(request, pk):
    draft = _draft(request, pk)
    try:
        services.draft_discard(actor=request.user, draft=draft, expected_version=_version(request))
    except ValidationError as exc:
        return _refused(request, draft, exc)
    messages.success(request, _("已放弃草稿“%(title)s”。") % {"title": str(draft)})
    return redirect("intake:upload")


# --- topic map --------------------------------------------------------------------------------
@require_perm(USE)
@require_GET
def topic_list(request):
    services.topic_map_seed(actor=request.user)  # first use: start from the engine's default map
    q = (request.GET.get("q") or "").strip()
    qs = selectors.topic_mappings()
    if q:
        qs = qs.filter(keyword__icontains=q)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "intake/topic_list.html", {"page": page, "q": q})


def _topic_form_page(request, form, mapping=None, status=200):
    return render(request, "intake/topic_form.html", {"form": form, "mapping": mapping}, status=status)


@require_perm(USE)
@require_http_methods(["GET", "POST"])
def topic_create(request):
    form = TopicForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            mapping = services.topic_mapping_create(actor=request.user, keyword=form.cleaned_data["keyword"],
                                                    units=list(form.cleaned_data["units"]),
                                                    unit_names=form.cleaned_data["unit_names"])
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已添加关键词“%(k)s”。") % {"k": mapping.keyword})
            return redirect("intake:topic_list")
    return _topic_form_page(request, form, status=400 if request.method == "POST" else 200)


@require_perm(USE)
@require_http_methods(["GET", "POST"])
def topic_update(request, pk):
    mapping = selectors.topic_mapping_get(pk)
    initial = {"keyword": mapping.keyword, "units": list(mapping.units.all()),
               "unit_names": "、".join(mapping.unit_names or [])}
    form = TopicForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.topic_mapping_update(actor=request.user, mapping=mapping, keyword=form.cleaned_data["keyword"],
                                          units=list(form.cleaned_data["units"]),
                                          unit_names=form.cleaned_data["unit_names"],
                                          expected_version=_version(request))
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已保存关键词“%(k)s”。") % {"k": form.cleaned_data["keyword"]})
            return redirect("intake:topic_list")
    return _topic_form_page(request, form, mapping, status=400 if request.method == "POST" else 200)


@require_perm(USE)
@require_http_methods(["GET", "POST"])
def topic_delete(request, pk):
    mapping = selectors.topic_mapping_get(pk)
    if request.method == "POST":
        try:
            services.topic_mapping_delete(actor=request.user, mapping=mapping)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, _("已删除关键词“%(k)s”。") % {"k": mapping.keyword})
        return redirect("intake:topic_list")
    return render(request, "intake/topic_delete.html", {"mapping": mapping})


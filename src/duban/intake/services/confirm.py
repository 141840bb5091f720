"""Confirming a draft: the source and its task tree, all or nothing (tasks are created only by
duban.tasks.services); a re-import adds only what the source's tasks do not have yet."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.core import ledger
from duban.intake import selectors
from duban.intake.draft import cleaned_text, creates_task, norm_title, plan, walk
from duban.intake.models import DraftStatus, IntakeDraft
from duban.intake.services._base import (
    ISSUER_MAX,
    SOURCE_TITLE_MAX,
    _lock_draft,
    _require,
    _save,
    content_hash,
)
from duban.orgs.models import Unit
from duban.tasks import selectors as task_selectors
from duban.tasks import services as task_services
from duban.tasks.models import Category, Source, SourceKind, Task


def _issuer(meta: dict) -> str:
    return " ".join(p for p in (meta.get("post", ""), meta.get("speaker", "")) if p).strip()[:ISSUER_MAX]


def _task_values(node: dict, parent: Task | None, units: dict[int, Unit], data: dict,
                 categories: dict[int, Category]) -> dict:
    due = date.fromisoformat(node["due_date"]) if node.get("due_date") else None
    if due and parent is not None and parent.due_date and due > parent.due_date:
        due = parent.due_date  # a subtask cannot outlive its parent (tasks refuses it otherwise)
    lead = units.get(node.get("lead_unit")) if node.get("lead_unit") else None
    if node.get("lead_unit") and lead is None:
        raise ValidationError(_("牵头单位已不在单位目录中,请重新选择。"))
    co = []
    for pk in node.get("co_units", []):
        if pk not in units:
            raise ValidationError(_("配合单位已不在单位目录中,请重新选择。"))
        if lead is None or pk != lead.pk:
            co.append(units[pk])
    # A heading's own text is its intro: the items under it carry theirs.
    end = min([node["end"], *(c["start"] for c in node.get("children", []) if c["start"] > node["start"])])
    values = {"title": node["title"], "detail": data["text"][node["start"]:end].strip(),
              "lead_unit": lead, "co_units": co, "due_date": due}
    if node.get("category"):
        values["category"] = categories.get(node["category"])
        if values["category"] is None:
            raise ValidationError(_("任务类别已被删除,请重新选择。"))
    if node.get("target_number") not in (None, ""):
        values.update(target_number=Decimal(node["target_number"]), target_measure=node.get("target_measure", ""),
                      target_object=node.get("target_object", ""))
    return values


@transaction.atomic
def draft_confirm(*, actor, draft: IntakeDraft, expected_version: int | None = None,
                  update_source: Source | None = None) -> Source:
    """Create the source and the task tree from the draft, all or nothing.

    With ``update_source`` (a re-import of a document already confirmed), no source is created:
    items whose title already names a task of that source are matched, the others are added
    under their matched parent. Tasks that are no longer in the draft are left alone — closing
    them is a decision with a reason (task_cancel), shown to the user as such."""
    _require(actor)
    current = _lock_draft(draft, expected_version)
    expected = current.version
    data = current.data
    meta = data["meta"]
    if not plan(data):
        raise ValidationError(_("草稿中没有要生成的任务:请至少勾选一个条目。"), code="empty")
    title = (meta.get("title") or "").strip()
    if not title:
        raise ValidationError({"title": _("请先填写讲话/文件标题。")})
    unit_ids = {pk for n in walk(data["outline"]) for pk in [n.get("lead_unit"), *n.get("co_units", [])] if pk}
    units = {u.pk: u for u in Unit.objects.filter(pk__in=unit_ids)}
    categories = Category.objects.in_bulk({n["category"] for n in walk(data["outline"]) if n.get("category")})
    speech_date = date.fromisoformat(meta["speech_date"]) if meta.get("speech_date") else None
    if update_source is not None:
        if not isinstance(update_source, Source) or \
                not task_selectors.sources_for_user(actor).filter(pk=update_source.pk).exists():
            raise ValidationError(_("要更新的来源不正确。"))
        source = update_source
        existing = {norm_title(t.title): t for t in Task.objects.filter(source=source).order_by("path")}
    else:
        body = cleaned_text(data)
        twin = (Source.objects.filter(content_hash=content_hash(body)).first()
                or selectors.same_text_source(Source.objects.all(), body)) if body else None
        if twin is not None:
            raise ValidationError(_("该讲话/文件已导入为来源“%(title)s”,请选择“作为该来源的更新”确认。")
                                  % {"title": twin.title}, code="duplicate_source")
        try:
            source = task_services.source_create(actor=actor, kind=data.get("source_kind", SourceKind.SPEECH),
                                                 title=title[:SOURCE_TITLE_MAX],
                                                 date=speech_date, issuer=_issuer(meta), text=body)
        except ValidationError as exc:
            raise ValidationError(_("无法创建任务来源:%(error)s") % {"error": "；".join(exc.messages)},
                                  code="source_failed") from None
        existing = {}
    created: list[Task] = []

    def build(nodes, parent: Task | None):
        for node in nodes:
            if not creates_task(node):
                build(node.get("children", []), parent)
                continue
            match = existing.get(norm_title(node["title"]))
            if match is not None:
                build(node.get("children", []), match)
                continue
            try:
                values = _task_values(node, parent, units, data, categories)
                task = task_services.task_create(actor=actor, parent=parent, source=source, **values)
            except (ValidationError, PermissionDenied) as exc:
                messages = "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                raise ValidationError(_("条目“%(title)s”无法生成任务:%(error)s 未生成任何任务。")
                                      % {"title": node["title"][:40], "error": messages}, code="task_failed") from None
            created.append(task)
            build(node.get("children", []), task)

    build(data["outline"], None)
    if update_source is not None and not created:
        raise ValidationError(_("与来源“%(title)s”相比没有新增的条目,无需更新。") % {"title": source.title},
                              code="nothing_new")
    current.status = DraftStatus.CONFIRMED
    current.source = source
    current.confirmed_by = actor
    current.confirmed_at = timezone.now()
    _save(current, draft, expected, ["status", "source", "confirmed_by", "confirmed_at"])
    ledger.append(event="intake_draft_confirm", obj=current,
                  data={"source": source.pk, "update": update_source is not None,
                        "tasks": [t.pk for t in created]}, actor=actor)
    return source

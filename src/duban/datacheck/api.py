"""REST API of 大数据监督 (django-ninja), mounted at /api/datacheck: datasets (list, detail, upload,
load), rules (list, detail, run), runs (list, detail, hits) and leads (list, detail, assign,
verify, dismiss, escalate) for the discipline role.

The same services and selectors as the pages. DATACHECK_USE is checked in the auth step
(duban.core.api_auth): any other role gets 403 and an ``authz_denied`` ledger row before a body
or a file is read; an object that does not exist is 404. Lists are paginated (``limit`` ≤ 200,
``offset``) as ``{"count", "items"}`` and mask ID numbers, phones and bank accounts as the pages
do; full values appear only in a lead's detail for its assigned officer. Every read of data
writes the same ledger rows as the pages (``datacheck_dataset_viewed``, ``datacheck_run_viewed``
— also for a run's hits —, ``datacheck_leads_listed``, ``datacheck_lead_viewed`` with
``full_values``). Errors are the API's one dialect (duban.api.errors).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import ConfigDict, Field

from duban.core import permissions, pii, uploads
from duban.core.api_auth import require
from duban.datacheck import masking, schema, selectors, services
from duban.datacheck.models import LeadStatus, RuleMode, Run, VersionStatus

router = Router(tags=["datacheck"], auth=require(permissions.DATACHECK_USE))
MAX_LIMIT = 200


# --- schemas ----------------------------------------------------------------------------------
class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class Page(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=2**31 - 1)


class VersionOut(Schema):
    id: int
    dataset: int
    name: str
    kind: str
    number: int
    status: str
    file_name: str
    file_format: str
    row_count: int
    rejected_count: int
    sha256: str
    source_sha256: str
    has_report: bool
    message: str
    created_at: datetime
    loaded_at: datetime | None
    expires_at: datetime


class VersionDetailOut(VersionOut):
    headers: list[str]
    mapping: dict[str, str]
    suggested_mapping: dict[str, str] | None
    fields: list[dict[str, Any]]


class DatasetOut(Schema):
    id: int
    name: str
    kind: str
    versions: list[VersionOut]


class DatasetListOut(Schema):
    count: int
    items: list[DatasetOut]


class LoadIn(Strict):
    mapping: dict[str, str] | None = None


class RuleOut(Schema):
    id: int
    name: str
    description: str
    template: str
    author: str
    version: int | None
    mode: str | None
    approval: str | None
    runnable: bool
    sources: list[dict[str, str]]
    params: dict[str, Any]


class RuleDetailOut(RuleOut):
    definition: dict[str, Any]
    versions: list[dict[str, Any]]
    stats: dict[str, Any] | None


class RuleListOut(Schema):
    count: int
    items: list[RuleOut]


class RunIn(Strict):
    datasets: dict[str, int]
    params: dict[str, str | int] | None = None


class RunOut(Schema):
    id: int
    rule: int
    rule_name: str
    rule_version: int
    datasets: dict[str, int]
    params: dict[str, Any]
    engine: str
    hit_count: int
    lead_count: int
    duplicate_count: int
    duration_ms: int
    actor: str
    created_at: datetime


class RunDetailOut(RunOut):
    sql: str


class RunListOut(Schema):
    count: int
    items: list[RunOut]


class HitOut(Schema):
    id: int
    lead: int
    duplicate: bool
    subject: str
    tables: list[dict[str, Any]]


class HitListOut(Schema):
    count: int
    items: list[HitOut]


class LeadQuery(Page):
    status: str = ""
    rule: int | None = Field(None, ge=1, le=2**31 - 1)
    mine: bool = False


class LeadOut(Schema):
    id: int
    rule: int
    rule_name: str
    subject: str
    summary: str
    status: str
    assignee: str | None
    hit_count: int
    created_at: datetime
    updated_at: datetime
    version: int


class LeadDetailOut(LeadOut):
    full_values: bool
    reason: str
    escalated_target: str
    escalated_object: str | None
    hits: list[HitOut]
    related: list[dict[str, Any]]


class LeadListOut(Schema):
    count: int
    items: list[LeadOut]


class AssignIn(Strict):
    assignee: int = Field(..., ge=1, le=2**31 - 1)


class ReasonIn(Strict):
    reason: str = Field(..., max_length=5000)


class EscalateIn(Strict):
    target: str = Field(..., max_length=20)
    data: dict[str, str | int] | None = None


# --- serialisation ----------------------------------------------------------------------------
def _version_out(v) -> dict:
    return {"id": v.pk, "dataset": v.dataset_id, "name": v.dataset.name, "kind": v.dataset.kind, "number": v.number,
            "status": v.status, "file_name": v.file_name, "file_format": v.file_format, "row_count": v.row_count,
            "rejected_count": v.rejected_count, "sha256": v.sha256, "source_sha256": v.source_sha256,
            "has_report": bool(v.report_file), "message": v.message, "created_at": v.created_at,
            "loaded_at": v.loaded_at, "expires_at": v.expires_at}


def _version_detail(v) -> dict:
    return {**_version_out(v), "headers": [str(h) for h in v.headers or []], "mapping": v.mapping or {},
            "suggested_mapping": services.suggested_mapping(v) if v.status == VersionStatus.PENDING else None,
            "fields": [{"name": f.name, "type": f.type, "label": str(f.label), "required": f.required}
                       for f in schema.fields(v.dataset.kind)]}


def _rule_out(rule) -> dict:
    v = rule.current
    defn = v.definition if v else {}
    return {"id": rule.pk, "name": rule.name, "description": rule.description, "template": rule.template,
            "author": rule.author.username, "version": v.number if v else None, "mode": v.mode if v else None,
            "approval": v.approval if v else None, "runnable": bool(v and v.runnable),
            "sources": [{"alias": s["alias"], "kind": s["kind"]} for s in defn.get("sources", [])],
            "params": {k: {"type": p.get("type"), "label": str(p.get("label", "")), "default": p.get("default")}
                       for k, p in (defn.get("params") or {}).items()}}


def _run_out(run) -> dict:
    rv = run.rule_version
    return {"id": run.pk, "rule": rv.rule_id, "rule_name": rv.rule.name, "rule_version": rv.number,
            "datasets": run.datasets, "params": run.params, "engine": run.engine, "hit_count": run.hit_count,
            "lead_count": run.lead_count, "duplicate_count": run.duplicate_count, "duration_ms": run.duration_ms,
            "actor": run.actor.username, "created_at": run.created_at}


def _masked_subject(lead) -> str:
    return " / ".join(masking.mask(v, t) for v, t in zip(lead.subject_key, lead.subject_types or [], strict=False))


def _hit_out(hit, *, full: bool, subject: str, types: dict | None = None) -> dict:
    types = types if types is not None else services.field_types(hit.run.rule_version)
    return {"id": hit.pk, "lead": hit.lead_id, "duplicate": hit.duplicate, "subject": subject,
            "tables": selectors.masked_rows(hit.rows, types, full)}


def _lead_out(lead) -> dict:
    return {"id": lead.pk, "rule": lead.rule_id, "rule_name": lead.rule.name, "subject": _masked_subject(lead),
            "summary": lead.summary, "status": lead.status,
            "assignee": lead.assignee.username if lead.assignee else None,
            "hit_count": lead.hit_count if hasattr(lead, "hit_count") else lead.hits.count(), "created_at": lead.created_at, "updated_at": lead.updated_at,
            "version": lead.version}


def _lead_detail(request, lead) -> dict:
    full = selectors.can_see_full(request.auth, lead)
    services.record_access(actor=request.auth, obj=lead, event="datacheck_lead_viewed",
                           data={"full_values": full, "via": "api"})
    if full:  # DP-05: every showing of full personal data is one pii_viewed row
        pii.record_view(obj=lead, fields=["subject_key", "rows"], page="api:datacheck_lead", actor=request.auth)
    subject = " / ".join(str(v) for v in lead.subject_key) if full else _masked_subject(lead)
    return {**_lead_out(lead), "subject": subject, "full_values": full, "reason": lead.reason, "escalated_target": lead.escalated_target,
            "escalated_object": (f"{lead.escalated_object_type}:{lead.escalated_object_id}"
                                 if lead.escalated_object_type else None),
            "hits": [_hit_out(h, full=full, subject=subject) for h in selectors.lead_hits(lead)[:MAX_LIMIT]],
            "related": [{"id": r.pk, "rule": r.rule.name, "status": r.status}
                        for r in selectors.related_leads(lead)[:50]]}


def _lead(request, lead_id: int):
    return selectors.lead_get_for_user(request.auth, lead_id)


# --- datasets ---------------------------------------------------------------------------------
@router.get("/datasets", response=DatasetListOut, url_name="datacheck_dataset_list")
def datacheck_dataset_list(request, page: Query[Page], kind: str = ""):
    qs = selectors.datasets_for_user(request.auth)
    if kind:
        qs = qs.filter(kind=kind)
    total = qs.count()
    items = []
    for ds in qs.order_by("kind", "name", "pk")[page.offset:page.offset + page.limit]:
        versions = selectors.versions_for_user(request.auth).filter(dataset=ds).order_by("-number")[:20]
        items.append({"id": ds.pk, "name": ds.name, "kind": ds.kind, "versions": [_version_out(v) for v in versions]})
    return {"count": total, "items": items}


@router.get("/datasets/versions/{int:version_id}", response=VersionDetailOut, url_name="datacheck_dataset_detail")
def datacheck_dataset_detail(request, version_id: int):
    version = selectors.version_get_for_user(request.auth, version_id)
    services.record_access(actor=request.auth, obj=version, event="datacheck_dataset_viewed", data={"via": "api"})
    return _version_detail(version)


@router.post("/datasets", response={201: VersionDetailOut}, url_name="datacheck_dataset_upload")
def datacheck_dataset_upload(request, file: File[UploadedFile], name: Form[str], kind: Form[str],
                             quarantine: Form[bool] = True):
    uploads.check_size(file)  # 413 before reading it into memory
    if kind not in schema.FIELDS:
        raise ValidationError({"kind": ValidationError(_("请选择数据类型。"), code="invalid")})
    version = services.dataset_upload(actor=request.auth, name=name[:100], kind=kind, file_name=file.name or "",
                                      raw=file.read(), quarantine=quarantine)
    return Status(201, _version_detail(version))


@router.post("/datasets/versions/{int:version_id}/load", response=VersionDetailOut, url_name="datacheck_dataset_load")
def datacheck_dataset_load(request, version_id: int, payload: LoadIn):
    version = selectors.version_get_for_user(request.auth, version_id)
    if version.status != VersionStatus.PENDING:
        raise ValidationError(_("这个版本已经处理过了。"), code="not_pending")
    mapping = payload.mapping if payload.mapping is not None else services.suggested_mapping(version)
    version = services.dataset_load(actor=request.auth, version=version, mapping=mapping)
    return _version_detail(version)


# --- rules ------------------------------------------------------------------------------------
@router.get("/rules", response=RuleListOut, url_name="datacheck_rule_list")
def datacheck_rule_list(request, page: Query[Page]):
    qs = selectors.rules_for_user(request.auth).order_by("name", "pk")
    return {"count": qs.count(), "items": [_rule_out(r) for r in qs[page.offset:page.offset + page.limit]]}


@router.get("/rules/{int:rule_id}", response=RuleDetailOut, url_name="datacheck_rule_detail")
def datacheck_rule_detail(request, rule_id: int):
    rule = selectors.rule_get_for_user(request.auth, rule_id)
    return {**_rule_out(rule), "definition": rule.current.definition if rule.current else {},
            "versions": [{"number": v.number, "mode": v.mode, "approval": v.approval, "created_at": v.created_at}
                         for v in rule.versions.order_by("-number")],
            "stats": selectors.rule_stats(rule) if rule.author_id == request.auth.pk else None}


@router.post("/rules/{int:rule_id}/run", response={201: RunDetailOut}, url_name="datacheck_rule_run")
def datacheck_rule_run(request, rule_id: int, payload: RunIn):
    rule = selectors.rule_get_for_user(request.auth, rule_id)
    version = rule.current
    if version is None:
        raise Http404
    chosen, errors = {}, {}
    for s in version.definition.get("sources", []):
        pk = payload.datasets.get(s["alias"])
        if pk is None:
            errors[f"datasets.{s['alias']}"] = ValidationError(_("请选择数据集。"), code="required")
            continue
        try:
            chosen[s["alias"]] = selectors.version_get_for_user(request.auth, pk)
        except (Http404, ValueError, OverflowError):
            errors[f"datasets.{s['alias']}"] = ValidationError(_("数据集版本 %(pk)s 不存在。") % {"pk": pk},
                                                               code="invalid")
    if errors:
        raise ValidationError(errors)
    params = {k: str(v) for k, v in (payload.params or {}).items()} if version.mode == RuleMode.BUILDER else None
    try:
        run = services.rule_run(actor=request.auth, rule=rule, datasets=chosen, params=params)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):  # ds_<alias> → datasets.<alias>, the request's own field names
            raise ValidationError({(f"datasets.{k[3:]}" if k.startswith("ds_") else
                                    f"params.{k[6:]}" if k.startswith("param_") else k): v
                                   for k, v in exc.error_dict.items()}) from None
        raise
    run = Run.objects.select_related("rule_version__rule", "actor").get(pk=run.pk)
    return Status(201, {**_run_out(run), "sql": run.sql})


# --- runs -------------------------------------------------------------------------------------
@router.get("/runs", response=RunListOut, url_name="datacheck_run_list")
def datacheck_run_list(request, page: Query[Page], rule: int | None = Query(None, ge=1, le=2**31 - 1)):
    qs = Run.objects.select_related("rule_version__rule", "actor").order_by("-created_at", "-id")
    if rule is not None:
        qs = qs.filter(rule_version__rule_id=rule)
    return {"count": qs.count(), "items": [_run_out(r) for r in qs[page.offset:page.offset + page.limit]]}


@router.get("/runs/{int:run_id}", response=RunDetailOut, url_name="datacheck_run_detail")
def datacheck_run_detail(request, run_id: int):
    run = selectors.run_get_for_user(request.auth, run_id)
    services.record_access(actor=request.auth, obj=run, event="datacheck_run_viewed", data={"via": "api"})
    return {**_run_out(run), "sql": run.sql}


@router.get("/runs/{int:run_id}/hits", response=HitListOut, url_name="datacheck_run_hits")
def datacheck_run_hits(request, run_id: int, page: Query[Page]):
    run = selectors.run_get_for_user(request.auth, run_id)
    qs = run.hits.select_related("lead").order_by("id")
    items = list(qs[page.offset:page.offset + page.limit])
    services.record_access(actor=request.auth, obj=run, event="datacheck_run_viewed",
                           data={"via": "api", "hits": len(items), "offset": page.offset})
    types = services.field_types(run.rule_version)
    return {"count": qs.count(), "items": [_hit_out(h, full=False, subject=_masked_subject(h.lead), types=types)
                                           for h in items]}


# --- leads ------------------------------------------------------------------------------------
@router.get("/leads", response=LeadListOut, url_name="datacheck_lead_list")
def datacheck_lead_list(request, query: Query[LeadQuery]):
    if query.status and query.status not in LeadStatus.values:
        raise ValidationError({"status": ValidationError(_("取值无效。"), code="invalid")})
    rule = selectors.rule_get_for_user(request.auth, query.rule) if query.rule else None
    qs = selectors.leads_for_user(request.auth, status=query.status, rule=rule, mine=query.mine)
    items = list(qs[query.offset:query.offset + query.limit])
    services.record_access(actor=request.auth, obj=None, event="datacheck_leads_listed",
                           data={"count": len(items), "via": "api",
                                 "filter": json.dumps({"status": query.status, "rule": query.rule,
                                                       "mine": query.mine, "offset": query.offset})})
    return {"count": qs.count(), "items": [_lead_out(lead) for lead in items]}


@router.get("/leads/{int:lead_id}", response=LeadDetailOut, url_name="datacheck_lead_detail")
def datacheck_lead_detail(request, lead_id: int):
    return _lead_detail(request, _lead(request, lead_id))


@router.post("/leads/{int:lead_id}/assign", response=LeadDetailOut, url_name="datacheck_lead_assign")
def datacheck_lead_assign(request, lead_id: int, payload: AssignIn):
    lead = _lead(request, lead_id)
    assignee = selectors.discipline_users().filter(pk=payload.assignee).first()
    lead = services.lead_assign(actor=request.auth, lead=lead, assignee=assignee)
    return _lead_detail(request, _lead(request, lead.pk))


@router.post("/leads/{int:lead_id}/verify", response=LeadDetailOut, url_name="datacheck_lead_verify")
def datacheck_lead_verify(request, lead_id: int, payload: ReasonIn):
    lead = services.lead_verify(actor=request.auth, lead=_lead(request, lead_id), reason=payload.reason)
    return _lead_detail(request, _lead(request, lead.pk))


@router.post("/leads/{int:lead_id}/dismiss", response=LeadDetailOut, url_name="datacheck_lead_dismiss")
def datacheck_lead_dismiss(request, lead_id: int, payload: ReasonIn):
    lead = services.lead_dismiss(actor=request.auth, lead=_lead(request, lead_id), reason=payload.reason)
    return _lead_detail(request, _lead(request, lead.pk))


@router.post("/leads/{int:lead_id}/escalate", response=LeadDetailOut, url_name="datacheck_lead_escalate")
def datacheck_lead_escalate(request, lead_id: int, payload: EscalateIn):
    data = {k: str(v) for k, v in (payload.data or {}).items()}
    lead = services.lead_escalate(actor=request.auth, lead=_lead(request, lead_id), target=payload.target, data=data)
    return _lead_detail(request, _lead(request, lead.pk))


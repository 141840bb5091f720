"""Every write of 大数据监督: uploads and loads, rules and their versions, runs, leads, the
audit rows for views and exports, and the retention purge."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from duban.core import crypto as core_crypto
from duban.core import ledger, permissions
from duban.datacheck import crypto, engine, escalation, ingest, masking, rules, schema, storage
from duban.datacheck.models import (
    Approval,
    Dataset,
    DatasetVersion,
    Hit,
    Lead,
    LeadStatus,
    Mapping,
    Rule,
    RuleMode,
    RuleVersion,
    Run,
    VersionStatus,
)

USE = permissions.DATACHECK_USE
APPROVE = permissions.DATACHECK_APPROVE_SQL


def _require(actor, perm):
    if not permissions.can(actor, perm):
        raise PermissionDenied(perm)


def max_hit_rows() -> int:
    """The most result rows one run may turn into hits (DUBAN_DATACHECK_MAX_HIT_ROWS)."""
    return int(getattr(settings, "DUBAN_DATACHECK_MAX_HIT_ROWS", 200_000))


def retention_days() -> int:
    return int(getattr(settings, "DUBAN_DATACHECK_RETENTION_DAYS", 365))


# --- datasets ------------------------------------------------------------------------------
@storage.files_removed_on_error
@transaction.atomic
def dataset_upload(*, actor, name: str, kind: str, file_name: str, raw: bytes, quarantine: bool = True
                   ) -> DatasetVersion:
    """A new version of the dataset ``name`` (created on first upload), waiting for its column
    mapping. The file is checked (type, encoding, header) and kept encrypted until it is loaded."""
    _require(actor, USE)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ValidationError(_("请填写数据集名称。"), code="required")})
    if kind not in schema.FIELDS:
        raise ValidationError({"kind": ValidationError(_("请选择数据类型。"), code="required")})
    fmt = ingest.sniff(raw, file_name)
    table = ingest.read(raw, fmt)
    dataset, _created = Dataset.objects.get_or_create(kind=kind, name=name[:100], defaults={"created_by": actor})
    number = (dataset.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    now = timezone.now()
    version = DatasetVersion.objects.create(
        dataset=dataset, number=number, file_name=file_name[:200], file_format=fmt, encoding=table.encoding,
        headers=table.headers, source_sha256=hashlib.sha256(raw).hexdigest(),
        upload_file=storage.write(raw, purpose="upload"), quarantine=quarantine, created_by=actor,
        created_at=now, expires_at=now + timedelta(days=retention_days()))
    ledger.append(event="datacheck_dataset_uploaded", obj=version, actor=actor,
                  data={"kind": kind, "format": fmt, "rows": len(table.rows), "sha256": version.source_sha256})
    return version


def suggested_mapping(version: DatasetVersion) -> dict:
    saved = Mapping.objects.filter(kind=version.dataset.kind).first()
    return ingest.guess_mapping(version.dataset.kind, version.headers, saved.columns if saved else None)


@storage.files_removed_on_error
@transaction.atomic
def dataset_load(*, actor, version: DatasetVersion, mapping: dict) -> DatasetVersion:
    """Validate every row with ``mapping`` (field → header). Good rows become the encrypted
    Parquet snapshot; bad rows go to the report. With ``quarantine`` off any bad row rejects the
    whole file. A header that does not match raises ValidationError and changes nothing."""
    _require(actor, USE)
    version = DatasetVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != VersionStatus.PENDING:
        raise ValidationError(_("这个版本已经处理过了。"), code="not_pending")
    kind = version.dataset.kind
    mapping = ingest.check_mapping(kind, version.headers, mapping)
    raw = storage.read(version.upload_file, purpose="upload")
    table = ingest.read(raw, version.file_format)
    result = ingest.validate_rows(kind, table, mapping)
    if result.problems:
        version.report_file = storage.write(ingest.report_csv(result.problems), purpose="report")
    version.mapping = mapping
    version.rejected_count = result.bad_rows
    now = timezone.now()
    if result.bad_rows and not version.quarantine or not result.rows:
        version.status = VersionStatus.REJECTED
        version.message = (_("%(n)s 行有错误,整个文件已拒收,请按错误报告修改后重新上传。") % {"n": result.bad_rows}
                           if result.rows else _("没有一行通过校验,文件已拒收。"))
    else:
        data = ingest.to_parquet(kind, result.rows)
        version.data_file = storage.write(data, purpose="dataset")
        version.sha256 = hashlib.sha256(data).hexdigest()
        version.row_count = len(result.rows)
        version.status = VersionStatus.LOADED
        version.loaded_at = now
        version.message = (_("已入库 %(ok)s 行,隔离 %(bad)s 行错误数据。") % {"ok": len(result.rows), "bad": result.bad_rows}
                           if result.bad_rows else _("已入库 %(ok)s 行。") % {"ok": len(result.rows)})
    upload_name, version.upload_file = version.upload_file, ""
    version.save()
    Mapping.objects.update_or_create(kind=kind, defaults={"columns": mapping, "updated_at": now, "updated_by": actor})
    transaction.on_commit(lambda: storage.delete(upload_name))
    ledger.append(event="datacheck_dataset_loaded" if version.status == VersionStatus.LOADED
                  else "datacheck_dataset_rejected", obj=version, actor=actor,
                  data={"rows": version.row_count, "bad_rows": version.rejected_count, "sha256": version.sha256,
                        "mapping": mapping})
    return version


def report_export(*, actor, version: DatasetVersion) -> bytes:
    """The quarantine report (row, column, masked value, reason), audited."""
    _require(actor, USE)
    if not version.report_file:
        raise ValidationError(_("这个版本没有错误报告。"), code="no_report")
    data = storage.read(version.report_file, purpose="report")
    with transaction.atomic():
        ledger.append(event="datacheck_report_exported", obj=version, actor=actor,
                      data={"problems": max(data.count(b"\n") - 1, 0)})
    return data


@transaction.atomic
def dataset_purge(*, actor, version: DatasetVersion, reason: str = "retention") -> None:
    version = DatasetVersion.objects.select_for_update().get(pk=version.pk)
    if version.status == VersionStatus.PURGED:
        return
    names = [n for n in (version.upload_file, version.data_file, version.report_file) if n]
    version.upload_file = version.data_file = version.report_file = ""
    version.status = VersionStatus.PURGED
    version.purged_at = timezone.now()
    version.save()
    transaction.on_commit(lambda: [storage.delete(n) for n in names])
    ledger.append(event="datacheck_dataset_purged", obj=version, actor=actor,
                  data={"reason": reason, "expired": version.expires_at.isoformat(), "files": len(names)})


def purge_expired(*, now=None) -> int:
    """The retention job: every version past its ``expires_at`` is destroyed (one ledger entry each);
    then blobs no version refers to (left by a transaction rolled back outside the services) go."""
    now = now or timezone.now()
    n = 0
    for version in DatasetVersion.objects.filter(expires_at__lte=now).exclude(status=VersionStatus.PURGED):
        dataset_purge(actor=None, version=version)
        n += 1
    storage.sweep_orphans(referenced_files())
    return n


FILE_FIELDS = {"upload_file": "upload", "data_file": "dataset", "report_file": "report"}


def referenced_files() -> set[str]:
    names = set()
    for row in DatasetVersion.objects.values_list(*FILE_FIELDS):
        names.update(n for n in row if n)
    return names


def file_key_ids() -> dict[str, int]:
    """How many stored blobs each key id encrypts (``crypto.LEGACY`` for AES-GCM ones)."""
    used: dict[str, int] = {}
    for name in referenced_files():
        try:
            with default_storage.open(name, "rb") as fh:
                head = fh.read(64)
        except FileNotFoundError:
            continue
        kid = crypto.key_id_of_head(head)
        used[kid] = used.get(kid, 0) + 1
    return used


def files_reencrypt() -> int:
    """``duban rotate-keys``: every blob not under the provider's current key (AES-GCM ones
    included) is decrypted and written again under it; the old file is deleted after commit."""
    current = core_crypto.get_provider().current_key_id()
    n = 0
    for pk in DatasetVersion.objects.order_by("pk").values_list("pk", flat=True):
        with storage.removed_on_error(), transaction.atomic():
            version = DatasetVersion.objects.select_for_update().get(pk=pk)
            old = []
            for field, purpose in FILE_FIELDS.items():
                name = getattr(version, field)
                if not name:
                    continue
                try:
                    blob = storage.read_blob(name)
                except FileNotFoundError:
                    continue
                if crypto.key_id(blob) == current:
                    continue
                setattr(version, field, storage.write(crypto.decrypt(blob, purpose), purpose=purpose))
                old.append(name)
                n += 1
            if old:
                version.save(update_fields=list(FILE_FIELDS))
                transaction.on_commit(lambda old=old: [storage.delete(x) for x in old])
    return n


# --- rules ---------------------------------------------------------------------------------
def _rule_name(name, exclude=None):
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ValidationError(_("请填写规则名称。"), code="required")})
    qs = Rule.objects.filter(name=name)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    if qs.exists():
        raise ValidationError({"name": ValidationError(_("已有同名规则。"), code="duplicate")})
    return name[:100]


def _definition_with(defn: dict, params: dict | None) -> dict:
    """The definition with ``params`` as its new defaults (checked)."""
    defn = json.loads(json.dumps(defn))
    typed = rules.resolve_params(defn, params)
    for pname, value in typed.items():
        defn["params"][pname]["default"] = engine._plain(value)
    rules.validate(defn)
    return defn


@transaction.atomic
def rule_create(*, actor, name: str, template: str = "", definition: dict | None = None, params: dict | None = None,
                description: str = "") -> Rule:
    """A builder rule, from a library template or a definition built in the builder."""
    _require(actor, USE)
    name = _rule_name(name)
    if template:
        if template not in rules.TEMPLATES:
            raise ValidationError({"template": ValidationError(_("没有这个规则模板。"), code="invalid")})
        definition = rules.TEMPLATES[template]["definition"]
        description = description or str(rules.TEMPLATES[template]["description"])
    if definition is None:
        raise ValidationError({"definition": ValidationError(_("请选择模板或构建规则。"), code="required")})
    defn = _definition_with(rules.validate(definition), params)
    rule = Rule.objects.create(name=name, description=description, template=template, author=actor)
    v = RuleVersion.objects.create(rule=rule, number=1, definition=defn, created_by=actor)
    rule.current = v
    rule.save(update_fields=["current"])
    ledger.append(event="datacheck_rule_created", obj=rule, actor=actor,
                  data={"version": 1, "template": template, "definition": defn})
    return rule


@transaction.atomic
def rule_revise(*, actor, rule: Rule, params: dict | None = None, definition: dict | None = None) -> RuleVersion:
    """A new version: changed parameters (or a new definition). Old runs keep their version."""
    _require(actor, USE)
    rule = Rule.objects.select_for_update().get(pk=rule.pk)
    current = rule.current
    if current.mode == RuleMode.RAW:
        raise ValidationError(_("SQL规则请重新提交审批。"), code="raw")
    defn = _definition_with(rules.validate(definition or current.definition), params)
    if defn == current.definition:
        raise ValidationError(_("规则没有变化。"), code="unchanged")
    v = RuleVersion.objects.create(rule=rule, number=current.number + 1, definition=defn, created_by=actor)
    rule.current = v
    rule.save(update_fields=["current"])
    ledger.append(event="datacheck_rule_revised", obj=rule, actor=actor, data={"version": v.number, "definition": defn})
    return v


@transaction.atomic
def rule_create_raw(*, actor, name: str, sources: list[dict], sql: str, key: list[str], description: str = "") -> Rule:
    """A raw-SQL rule. It cannot run until the security administrator approves it."""
    _require(actor, USE)
    name = _rule_name(name)
    src = rules._sources({"sources": sources})
    sql = rules.check_raw_sql(sql, list(src))
    key = [k.strip() for k in key if k.strip()]
    if not key:
        raise ValidationError({"key": ValidationError(_("请填写线索主体列。"), code="required")})
    rule = Rule.objects.create(name=name, description=description, author=actor)
    v = RuleVersion.objects.create(rule=rule, number=1, mode=RuleMode.RAW, approval=Approval.PENDING,
                                   definition={"sources": sources, "sql": sql, "key": key}, created_by=actor)
    rule.current = v
    rule.save(update_fields=["current"])
    ledger.append(event="datacheck_raw_rule_submitted", obj=rule, actor=actor, data={"sql": sql, "key": key})
    return rule


@transaction.atomic
def rule_version_decide(*, actor, version: RuleVersion, approve: bool, note: str = "") -> RuleVersion:
    _require(actor, APPROVE)
    version = RuleVersion.objects.select_for_update().get(pk=version.pk)
    if version.approval != Approval.PENDING:
        raise ValidationError(_("这条规则不在待审批状态。"), code="not_pending")
    if not approve and not note.strip():
        raise ValidationError({"note": ValidationError(_("驳回时请说明理由。"), code="required")})
    # Checked again at approval: the checker may have learnt more since submission.
    rules.check_raw_sql(version.definition["sql"], [s["alias"] for s in version.definition["sources"]])
    version.approval = Approval.APPROVED if approve else Approval.REFUSED
    version.approved_by, version.approved_at, version.approval_note = actor, timezone.now(), note.strip()
    version.save()
    ledger.append(event="datacheck_raw_rule_approved" if approve else "datacheck_raw_rule_refused", obj=version,
                  actor=actor, data={"note": version.approval_note})
    return version


# --- runs ----------------------------------------------------------------------------------
def compile_version(version: RuleVersion, params: dict, dialect: str, tables: dict[str, str]):
    if version.mode == RuleMode.RAW:
        sql = version.definition["sql"]
        return rules.Compiled(sql=rules.raw_to_dialect(sql, dialect, tables), key=version.definition["key"],
                              columns=[], types={})
    return rules.compile_rule(version.definition, params, tables, dialect)


def field_types(version: RuleVersion) -> dict[str, str]:
    out = {}
    for s in version.definition.get("sources", []):
        for f in schema.fields(s["kind"]):
            out[f"{s['alias']}.{f.name}"] = f.type
    return out


def _subject_types(version, key):
    types = field_types(version)
    return [types.get(k, "text") for k in key]


def lead_summary(version: RuleVersion, key_values, key) -> str:
    types = _subject_types(version, key)
    shown = " / ".join(masking.mask(v, t) for v, t in zip(key_values, types, strict=False))
    return f"{version.rule.name}:{shown}"[:200]


@transaction.atomic
def rule_run(*, actor, rule: Rule, datasets: dict[str, DatasetVersion], params: dict | None = None) -> Run:
    """Run the rule's current version on DuckDB over the chosen dataset versions. Every hit keeps
    its source rows; a subject the rule already raised a lead about is added to that lead
    (linked), not raised again."""
    _require(actor, USE)
    version = rule.current
    if not version.runnable:
        raise ValidationError(_("这条SQL规则尚未获安全管理员批准,不能运行。"), code="not_approved")
    errors = {}
    for s in version.definition["sources"]:
        dv = datasets.get(s["alias"])
        if dv is None:
            errors[f"ds_{s['alias']}"] = ValidationError(_("请选择数据集。"), code="required")
        elif dv.dataset.kind != s["kind"] or dv.status != VersionStatus.LOADED:
            errors[f"ds_{s['alias']}"] = ValidationError(_("应选择已入库的“%(k)s”数据集。")
                                                         % {"k": schema.Kind(s["kind"]).label}, code="invalid")
    if errors:
        raise ValidationError(errors)
    typed = rules.resolve_params(version.definition, params) if version.mode == RuleMode.BUILDER else {}
    tables = {a: engine.table_name(a) for a in datasets}
    compiled = compile_version(version, typed, "duckdb", tables)
    start = time.perf_counter()
    with engine.duckdb_with({a: datasets[a] for a in tables}, sandbox=version.mode == RuleMode.RAW) as con:
        try:
            columns, rows, _secs = engine.run_duckdb(con, compiled.sql, max_rows=max_hit_rows())
        except engine.TooManyRows:
            raise ValidationError(_("规则命中的记录超过 %(n)s 行,请收紧条件或参数后再运行。") % {"n": max_hit_rows()},
                                  code="too_many_hits") from None
        except engine.EngineError as exc:
            raise ValidationError(_("规则运行失败:%(e)s") % {"e": exc}, code="run_failed") from None
    missing = [k for k in compiled.key if k not in columns]
    if missing:
        raise ValidationError(_("查询结果缺少线索主体列:%(c)s") % {"c": ", ".join(missing)}, code="run_failed")
    hits = engine.hits_from_rows(columns, rows, compiled.key)
    run = Run.objects.create(rule_version=version, datasets={a: dv.pk for a, dv in datasets.items()},
                             params={k: engine._plain(v) for k, v in typed.items()}, sql=compiled.sql, actor=actor,
                             duration_ms=int((time.perf_counter() - start) * 1000))
    run.dataset_versions.set(list(datasets.values()))
    types = _subject_types(version, compiled.key)
    new = dup = 0
    for key_values, source_rows in hits:
        dedupe = hashlib.sha256(json.dumps([rule.pk, key_values], ensure_ascii=False, default=str).encode()).hexdigest()
        lead = Lead.objects.filter(dedupe_key=dedupe).first()
        if lead is None:
            lead = Lead.objects.create(rule=rule, dedupe_key=dedupe, subject_key=key_values, subject_types=types,
                                       summary=lead_summary(version, key_values, compiled.key))
            new += 1
            duplicate = False
        else:
            dup += 1
            duplicate = True
        Hit.objects.create(run=run, lead=lead, rows=source_rows, duplicate=duplicate)
    run.hit_count, run.lead_count, run.duplicate_count = len(hits), new, dup
    run.save(update_fields=["hit_count", "lead_count", "duplicate_count"])
    ledger.append(event="datacheck_rule_run", obj=run, object_repr=f"{version} run", actor=actor,
                  data={"rule_version": version.pk, "datasets": run.datasets, "params": run.params,
                        "hits": run.hit_count, "new_leads": new, "linked_to_earlier": dup})
    return run


# --- leads ---------------------------------------------------------------------------------
def _lead_for_update(lead):
    return Lead.objects.select_for_update().select_related("rule").get(pk=lead.pk)


def _touch(lead, **changes):
    for k, v in changes.items():
        setattr(lead, k, v)
    lead.updated_at = timezone.now()
    lead.version += 1
    lead.save()


@transaction.atomic
def lead_assign(*, actor, lead: Lead, assignee) -> Lead:
    _require(actor, USE)
    lead = _lead_for_update(lead)
    if lead.status not in (LeadStatus.OPEN, LeadStatus.ASSIGNED):
        raise ValidationError(_("线索已办结,不能再分派。"), code="closed")
    if assignee is None or not permissions.can(assignee, USE):
        raise ValidationError({"assignee": ValidationError(_("只能分派给纪委的人员。"), code="invalid")})
    _touch(lead, assignee=assignee, status=LeadStatus.ASSIGNED)
    ledger.append(event="datacheck_lead_assigned", obj=lead, actor=actor, data={"assignee": assignee.pk})
    return lead


def _require_assignee(actor, lead):
    if lead.assignee_id != getattr(actor, "pk", None):
        raise ValidationError(_("只有核实人才能办理这条线索。"), code="not_assignee")


@transaction.atomic
def lead_verify(*, actor, lead: Lead, reason: str) -> Lead:
    """核实: the facts are confirmed (counts as a confirmed hit for the rule's precision)."""
    _require(actor, USE)
    lead = _lead_for_update(lead)
    _require_assignee(actor, lead)
    if lead.status != LeadStatus.ASSIGNED:
        raise ValidationError(_("只有核实中的线索才能确认。"), code="bad_status")
    if not (reason or "").strip():
        raise ValidationError({"reason": ValidationError(_("请写明核实情况。"), code="required")})
    _touch(lead, status=LeadStatus.VERIFIED, reason=reason.strip())
    ledger.append(event="datacheck_lead_verified", obj=lead, actor=actor, data={"reason": lead.reason})
    return lead


@transaction.atomic
def lead_dismiss(*, actor, lead: Lead, reason: str) -> Lead:
    _require(actor, USE)
    lead = _lead_for_update(lead)
    _require_assignee(actor, lead)
    if lead.status not in (LeadStatus.ASSIGNED, LeadStatus.VERIFIED):
        raise ValidationError(_("这条线索不能排除。"), code="bad_status")
    if not (reason or "").strip():
        raise ValidationError({"reason": ValidationError(_("排除线索须说明理由。"), code="required")})
    _touch(lead, status=LeadStatus.DISMISSED, reason=reason.strip(), closed_at=timezone.now())
    ledger.append(event="datacheck_lead_dismissed", obj=lead, actor=actor, data={"reason": lead.reason})
    return lead


@transaction.atomic
def lead_escalate(*, actor, lead: Lead, target: str, data: dict | None = None) -> Lead:
    """移送: a verified lead becomes a 问责建议 (or whatever the target is, e.g. a case)."""
    _require(actor, USE)
    lead = _lead_for_update(lead)
    _require_assignee(actor, lead)
    if lead.status != LeadStatus.VERIFIED:
        raise ValidationError(_("线索核实后才能移送。"), code="bad_status")
    t = escalation.TARGETS.get(target)
    if t is None:
        raise ValidationError({"target": ValidationError(_("请选择移送去向。"), code="invalid")})
    obj = t.handler(actor=actor, lead=lead, data=data or {})
    _touch(lead, status=LeadStatus.ESCALATED, escalated_target=target, escalated_object_type=obj._meta.label_lower,
           escalated_object_id=str(obj.pk), closed_at=timezone.now())
    ledger.append(event="datacheck_lead_escalated", obj=lead, actor=actor,
                  data={"target": target, "object": f"{obj._meta.label_lower}:{obj.pk}"})
    return lead


# --- audit of reads ------------------------------------------------------------------------
@transaction.atomic
def record_access(*, actor, obj, event: str, data: dict | None = None) -> None:
    """One ledger row for a view or export of data (datacheck_*_viewed / _exported)."""
    ledger.append(event=event, obj=obj, actor=actor, data=data or {})

"""The ledger as a person reads it: event names, objects by name (with a link), people by name
and unit, changes as before/after rows with field labels.

One registry (``EVENT_LABELS``) names every event the apps write; ``tests/core/test_ledger_display``
reads the source for every event code and fails when one has no label. Rows are described in
bulk (``describe``): one query per object type on the page, never one per row.

Core knows no app: objects are looked up by their ledger ``object_type`` (an app label and model
name, as ``ledger.append`` writes it) through Django's app registry, and linked by URL name
strings (``OBJECT_LINKS``); a type or URL that does not exist is shown as text, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as L

from duban.core import permissions

# --- event code → label ---------------------------------------------------------------------------
EVENT_LABELS = {
    # accounts and sign-in
    "login": L("登录"), "logout": L("退出登录"), "login_failed": L("登录失败"), "login_blocked": L("登录被拦截"),
    "login_throttled": L("登录过于频繁"), "session_timeout": L("会话超时"),
    "account_locked": L("账户锁定"), "account_unlocked": L("解除锁定"), "account_unlock_refused": L("解除锁定被拒绝"),
    "admin_created": L("创建管理员"), "api_token_issued": L("签发接口令牌"), "api_tokens_purged": L("清理过期令牌"),
    "password_changed": L("修改密码"), "password_change_failed": L("修改密码失败"), "password_expired": L("密码过期"),
    "password_reset": L("重置密码"), "password_reset_refused": L("重置密码被拒绝"),
    "otp_enrolled": L("启用双因素认证"), "otp_failed": L("动态口令错误"), "otp_recovery_regenerated": L("重新生成恢复码"),
    "otp_recovery_used": L("使用恢复码"), "otp_reset": L("重置双因素认证"), "otp_reset_refused": L("重置双因素认证被拒绝"),
    "role_granted": L("授予角色"), "role_grant_refused": L("授予角色被拒绝"), "role_revoked": L("撤销角色"),
    "role_revoke_refused": L("撤销角色被拒绝"), "user_created": L("创建用户"), "user_create_refused": L("创建用户被拒绝"),
    "user_enabled": L("启用账户"), "user_enabled_refused": L("启用账户被拒绝"), "user_disabled": L("停用账户"),
    "user_disabled_refused": L("停用账户被拒绝"),
    # core: ledger, security, backups, keys
    "authz_denied": L("越权访问被拒绝"), "audit_exported": L("导出审计日志"), "audit_purged": L("归档并清理审计日志"),
    "ledger_verified": L("校验审计日志完整性"), "security_alert": L("安全告警"), "integrity_failure": L("完整性校验失败"),
    "integrity_verified": L("校验数据完整性"), "integrity_accepted": L("复核并重新签封数据"),
    "security_label_changed": L("修改密级"), "clearance_set": L("设置密级权限"), "clearance_set_refused": L("设置密级权限被拒绝"),
    "pii_viewed": L("查看完整个人信息"), "backup_verified": L("校验备份"), "backup_restored": L("恢复备份"), "crypto_keys_rotated": L("轮换密钥"),
    # orgs
    "unit_created": L("新增单位"), "unit_updated": L("修改单位"), "unit_moved": L("调整单位隶属"), "unit_deleted": L("删除单位"),
    "person_created": L("新增人员"), "person_updated": L("修改人员"), "post_created": L("新增岗位"), "post_updated": L("修改岗位"),
    "absence_created": L("登记请假"), "absence_deleted": L("撤销请假"), "group_created": L("新建工作组"),
    "group_updated": L("修改工作组"), "directory_imported": L("导入组织架构"), "directory_exported": L("导出组织架构"),
    # notices
    "notice.send": L("发送通知"), "notice.delivery_retry": L("重发通知"), "notice.preference": L("修改通知偏好"),
    "notice.unit_channel": L("设置单位通知渠道"), "notice.unit_channel_delete": L("删除单位通知渠道"),
    "notice.unit_leader": L("设置单位通知领导"),
    # tasks
    "source_create": L("登记任务来源"), "category_create": L("新增任务类别"), "task_policy_update": L("修改任务规则"),
    "task_create": L("创建任务"), "task_update": L("修改任务"), "task_move": L("调整上级任务"),
    "task_assign": L("交办"), "task_acknowledge": L("签收"), "task_start": L("开始办理"), "task_report": L("报送进展"),
    "task_request_completion": L("申请办结"), "task_approve": L("审核办结"), "task_return": L("退回"),
    "task_cancel": L("中止"), "task_reopen": L("重新打开"), "task_extension_request": L("申请延期"),
    "task_extension_approve": L("同意延期"), "task_extension_refuse": L("不同意延期"), "task_instruct": L("领导批示"),
    "task_milestone": L("更新节点"), "task_overdue_report": L("进展报送逾期"), "task_instruction_reply": L("回复批示"),
    "tasks_exported": L("导出台账"), "evidence_downloaded": L("下载佐证材料"), "evidence_verified": L("校验佐证材料"),
    "task_evidence_withdraw": L("撤回佐证材料"), "task_evidence_replace": L("替换佐证材料"),
    # intake
    "intake_draft_create": L("生成任务草稿"), "intake_draft_edit": L("编辑任务草稿"), "intake_draft_meta": L("修改草稿信息"),
    "intake_draft_confirm": L("确认生成任务"), "intake_draft_discard": L("放弃任务草稿"),
    "intake_topic_create": L("新增议题单位对应"), "intake_topic_update": L("修改议题单位对应"),
    "intake_topic_delete": L("删除议题单位对应"), "intake_topic_map_seed": L("初始化议题单位对应"),
    # supervision
    "supervision_remind": L("催办"), "supervision_order_issue": L("下发督办单"), "supervision_order_reply": L("回复督办单"),
    "supervision_list": L("挂牌督办"), "supervision_unlist": L("摘牌"), "supervision_rule_save": L("保存督办规则"),
    "supervision_rule_delete": L("删除督办规则"), "supervision_scan_batch": L("逾期扫描"),
    # checks, meetings
    "check_create": L("新建督查"), "check_publish": L("发布督查通报"), "bulletin_export": L("导出督查通报"),
    "finding_add": L("登记督查问题"), "finding_make_task": L("督查问题转任务"),
    "finding_propose_accountability": L("督查问题移送问责"),
    "meeting_create": L("新建会议"), "meeting_update": L("修改会议"), "decision_add": L("登记议定事项"),
    "decision_make_task": L("议定事项转任务"), "minutes_export": L("导出会议纪要"),
    # inspections
    "inspection_round_create": L("新建巡察轮次"), "inspection_round_from_plan": L("按计划生成巡察轮次"),
    "inspection_round_feedback": L("巡察反馈"), "inspection_plan_submit": L("提交巡察计划"),
    "inspection_term_create": L("新建巡察届期"), "inspection_team_set": L("设置巡察组"),
    "inspection_pool_add": L("加入巡察人员库"), "inspection_relative_add": L("登记亲属回避"),
    "inspection_history_add": L("登记巡察履历"), "inspection_finding_add": L("登记巡察问题"),
    "inspection_finding_view": L("查看巡察问题"), "inspection_rectification_create": L("建立整改事项"),
    "inspection_rectification_close": L("整改销号"), "inspection_evidence_submit": L("提交整改佐证"),
    "inspection_followup_record": L("记录整改回访"), "inspection_followups_schedule": L("安排整改回访"),
    "inspection_feedback_export": L("导出巡察反馈"), "inspection_ledger_export": L("导出巡察台账"),
    # datacheck
    "datacheck_dataset_uploaded": L("上传比对数据"), "datacheck_dataset_loaded": L("载入比对数据"),
    "datacheck_dataset_rejected": L("比对数据被拒绝"), "datacheck_dataset_purged": L("清除比对数据"),
    "datacheck_dataset_viewed": L("查看比对数据"), "datacheck_rule_created": L("新建比对规则"),
    "datacheck_rule_revised": L("修订比对规则"), "datacheck_rule_run": L("运行比对规则"),
    "datacheck_raw_rule_submitted": L("提交原始查询规则"), "datacheck_raw_rule_approved": L("批准原始查询规则"),
    "datacheck_raw_rule_refused": L("驳回原始查询规则"), "datacheck_run_viewed": L("查看比对结果"),
    "datacheck_lead_viewed": L("查看问题线索"), "datacheck_leads_listed": L("查询问题线索"),
    "datacheck_lead_assigned": L("分派问题线索"), "datacheck_lead_verified": L("核实问题线索"),
    "datacheck_lead_dismissed": L("了结问题线索"), "datacheck_lead_escalated": L("问题线索转交"),
    "datacheck_leads_exported": L("导出问题线索"), "datacheck_report_exported": L("导出比对报告"),
    # indicators, resources, petitions
    "indicator.create": L("新建指标"), "indicator.update": L("修改指标"), "indicator.target_set": L("设定指标目标"), "indicator.actual_save": L("填报指标实绩"),
    "indicator.actuals_import": L("导入指标实绩"), "indicator.behind_flagged": L("指标滞后预警"),
    "indicator.peer_group_create": L("新建对标组"), "indicator.peer_value_save": L("填报对标数据"),
    "resource.request_file": L("提交要素需求"), "resource.request_forward": L("转报要素需求"),
    "resource.request_prioritise": L("排定要素需求优先级"), "resource.request_decide": L("审定要素需求"),
    "resource.allocation_record": L("登记要素配置"), "resource.ceiling_set": L("设定要素额度"),
    "resource.request_make_task": L("要素需求转任务"),
    "petition.register": L("登记信访件"), "petition.accept": L("受理信访件"), "petition.close": L("办结信访件"),
    "petition.review_request": L("申请复查"), "petition.rule_update": L("修改预警规则"),
    "petition.sensitive_period_add": L("登记敏感时期"), "petition.warning_raised": L("信访预警"),
    "petition.viewed": L("查看信访件"),
    # accountability
    "case_open": L("问责立案"), "case_file": L("决定立案"), "case_not_file": L("决定不予立案"), "case_advance": L("推进问责程序"),
    "case_decide": L("作出问责决定"), "case_appeal": L("提出申诉"), "case_appeal_review": L("复核申诉"),
    "case_clear": L("影响期满"), "case_grant": L("授权查阅案件"), "case_grant_revoke": L("撤销查阅授权"),
    "case_viewed": L("查阅问责案件"), "duty_link_save": L("保存一岗双责关联"), "tolerance_apply": L("申请容错"),
    "tolerance_review": L("审核容错申请"),
    # evaluation
    "scheme_create": L("新建考评方案"), "scheme_update": L("修改考评方案"), "scheme_new_version": L("考评方案新版本"),
    "evaluation_compute": L("计算考评得分"), "evaluation_finalize": L("确定考评结果"), "evaluation_publish": L("公示考评结果"),
    "objection_file": L("提出异议"), "objection_answer": L("答复异议"), "bonus_submit": L("申报加分"),
    "bonus_decide": L("审定加分"), "rating_submit": L("提交评价"), "commitment_create": L("登记承诺事项"),
    "round_create": L("新建评选"), "round_open_voting": L("开始投票"), "round_close": L("结束投票"),
    "round_publicize": L("评选公示"), "round_announce": L("公布评选结果"), "nomination_add": L("提名"),
    "ballot_cast": L("投票"),
}


def event_label(code: str) -> str:
    label = EVENT_LABELS.get(code)
    return str(label) if label is not None else code


# --- object types ---------------------------------------------------------------------------------
# Ledger object_type → (label, URL name of its page or "", attribute that names it, the function
# permission that page needs: a name is linked only for a reader who may open it, so the 审计管理员,
# who reads every entry but no task or unit page, gets names without links to 403 pages).
OBJECT_TYPES = {
    "tasks.task": (L("任务"), "tasks:detail", "title", permissions.TASKS_VIEW),
    "tasks.source": (L("任务来源"), "tasks:source_detail", "title", permissions.TASKS_VIEW),
    "tasks.evidence": (L("佐证材料"), "", "original_name", ""),
    "tasks.category": (L("任务类别"), "", "name", ""),
    "orgs.unit": (L("单位"), "orgs:unit_detail", "name", permissions.DIRECTORY_VIEW),
    "orgs.person": (L("人员"), "orgs:person_detail", "name", permissions.DIRECTORY_VIEW),
    "orgs.post": (L("岗位"), "orgs:post_detail", "title", permissions.DIRECTORY_VIEW),
    "orgs.group": (L("工作组"), "orgs:group_detail", "name", permissions.DIRECTORY_VIEW),
    "accounts.user": (L("用户"), "accounts:user_detail", "", permissions.ACCOUNTS_MANAGE),
    "core.auditentry": (L("审计日志"), "", "", ""),
    "tasks.export": (L("台账导出"), "", "", ""),
}


def object_type_label(object_type: str) -> str:
    if object_type in OBJECT_TYPES:
        return str(OBJECT_TYPES[object_type][0])
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type


def _link(url_name: str, pk) -> str:
    if not url_name:
        return ""
    try:
        return reverse(url_name, args=[pk])
    except NoReverseMatch:
        return ""


def _model(object_type: str):
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def person_label(user) -> str:
    """A user as people know them: the person's name and unit, else the account's full name and
    unit; the login name only when nothing else is known."""
    person = getattr(user, "person", None) if getattr(user, "person_id", None) else None
    name = (person.name if person is not None else "") or user.get_full_name() or user.get_username()
    unit = getattr(user, "unit", None) if getattr(user, "unit_id", None) else None
    if unit is None and person is not None:
        unit = person.unit
    return f"{name}({unit.name})" if unit is not None else name


@dataclass
class Ref:
    """An object as shown: its name and the page to open (or none)."""

    text: str
    url: str = ""
    kind: str = ""


@dataclass
class Row:
    entry: object
    event: str
    actor: Ref | None
    obj: Ref | None
    changes: list = field(default_factory=list)  # (label, before, after)
    details: list = field(default_factory=list)  # (label, text or Ref list)
    status_from: str = ""
    status_to: str = ""
    obj_type: str = ""


# --- values -----------------------------------------------------------------------------------------
DATA_LABELS = {
    "reason": L("理由"), "text": L("内容"), "narrative": L("进展情况"), "percent": L("进度(%)"),
    "quantity": L("完成数量"), "files": L("附件"), "rows": L("条数"), "filters": L("筛选条件"),
    "username": L("用户名"), "role": L("角色"), "reasons": L("原因代码"), "number": L("文号"),
    "reply_due": L("回复时限"), "late": L("逾期"), "message": L("内容"), "matter": L("督办事项"),
    "requested_due": L("申请延至"), "current_due": L("原完成时限"), "due_date": L("完成时限"),
    "task": L("任务"), "unit": L("单位"), "units": L("单位"), "parent": L("上级任务"), "sha256": L("SHA-256"),
    "size": L("大小(字节)"), "ok": L("结果"), "checked": L("已校验条数"), "first_bad_seq": L("首个异常序号"),
    "up_to_seq": L("截至序号"), "format": L("格式"), "fields": L("字段"), "from": L("原状态"), "to": L("新状态"),
    "evidence": L("佐证材料"), "count": L("数量"), "notices": L("通知数"), "deliveries": L("投递数"),
    "version": L("版本"), "corrects": L("更正的报告"), "kind": L("类型"), "title": L("标题"),
    "drafts": L("含草稿"), "report": L("报告编号"), "expected": L("应为"), "actual": L("实际"), "missing": L("文件缺失"),
}
# Data keys that hold the id of an object of this type.
DATA_REFS = {"task": "tasks.task", "parent": "tasks.task", "unit": "orgs.unit", "units": "orgs.unit",
             "to": "", "evidence": "tasks.evidence"}


def _fmt_scalar(value) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return _("是")
    if value is False:
        return _("否")
    if isinstance(value, str):
        moment = parse_datetime(value) if "T" in value and len(value) >= 16 else None
        if moment is not None:
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return moment.strftime("%Y-%m-%d %H:%M")
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def format_value(value) -> str:
    """A JSON value as plain text: lists joined with 、, objects as 'key: value' pairs, never a
    Python repr."""
    if isinstance(value, list):
        return "、".join(format_value(v) for v in value) or "—"
    if isinstance(value, dict):
        if "name" in value and len(value) <= 3:
            return str(value["name"])
        return ";".join(f"{data_label(k)}:{format_value(v)}" for k, v in value.items()) or "—"
    return _fmt_scalar(value)


def data_label(key: str) -> str:
    label = DATA_LABELS.get(key)
    return str(label) if label is not None else key


def _field(model, name):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def field_label(model, name: str) -> str:
    f = _field(model, name)
    if f is not None and hasattr(f, "verbose_name"):
        return str(f.verbose_name)
    return data_label(name)


def _to_key(pk_field, value):
    """The primary key value, or None for an id that is not one of this model's keys."""
    try:
        key = pk_field.to_python(value)
    except Exception:  # noqa: BLE001 - a foreign id names nothing
        return None
    if isinstance(key, int) and not -(2 ** 63) < key < 2 ** 63:
        return None  # no row has it, and PostgreSQL would refuse the literal
    return key


# --- bulk resolution -----------------------------------------------------------------------------------
class _Resolver:
    """Collects ids per object type, then loads each type once."""

    def __init__(self, scopes=None, reader=None):
        self.wanted: dict[str, set] = {}
        self.loaded: dict[str, dict] = {}
        self.scopes = scopes or {}
        self.reader = reader
        self.may_open: dict[str, bool] = {}

    def _url(self, object_type, url_name, perm, pk) -> str:
        if not url_name or self.reader is None:
            return ""
        if object_type not in self.may_open:
            self.may_open[object_type] = not perm or permissions.can(self.reader, perm)
        return _link(url_name, pk) if self.may_open[object_type] else ""

    def want(self, object_type: str, pk) -> None:
        if object_type and pk not in (None, ""):
            self.wanted.setdefault(object_type, set()).add(str(pk))

    def load(self) -> None:
        User = get_user_model()
        for object_type, ids in self.wanted.items():
            model = _model(object_type)
            if model is None:
                continue
            pk_field = model._meta.pk
            keys = [key for key in (_to_key(pk_field, i) for i in ids) if key is not None]
            qs = model._default_manager.filter(pk__in=keys)
            if object_type in self.scopes:
                qs = self.scopes[object_type](qs)
            if model is User:
                qs = qs.select_related("person", "unit", "person__unit")
            self.loaded[object_type] = {str(o.pk): o for o in qs}

    def ref(self, object_type: str, pk, fallback: str = "") -> Ref | None:
        if pk in (None, "") and not fallback:
            return None
        obj = self.loaded.get(object_type, {}).get(str(pk))
        _label, url_name, attr, perm = OBJECT_TYPES.get(object_type, ("", "", "", ""))
        if obj is None:
            if object_type in self.scopes:  # outside what the reader may see: not even its name
                return Ref(text=_("(无权查看的%(kind)s)") % {"kind": object_type_label(object_type)}, kind=object_type)
            text = fallback or f"{object_type_label(object_type)} {pk}"
            return Ref(text=text, kind=object_type)
        if object_type == get_user_model()._meta.label_lower:
            text = person_label(obj)
        else:
            text = str(getattr(obj, attr, "") or obj) if attr else str(obj)
        return Ref(text=text, url=self._url(object_type, url_name, perm, obj.pk), kind=object_type)


def _changes(data) -> dict:
    changes = (data or {}).get("changes")
    return changes if isinstance(changes, dict) else {}


def _want_fk(res, model, name, value) -> None:
    f = _field(model, name)
    if f is not None and f.is_relation and f.related_model is not None:
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, (int, str)):
                res.want(f.related_model._meta.label_lower, v)


def _show_fk(res, model, name, value):
    """A field's value for display: related objects by name, choices by label."""
    f = _field(model, name)
    if value in (None, "", []):
        return "—"
    if f is not None and f.is_relation and f.related_model is not None:
        kind = f.related_model._meta.label_lower
        values = value if isinstance(value, list) else [value]
        return "、".join(res.ref(kind, v).text for v in values if isinstance(v, (int, str))) or "—"
    if f is not None and getattr(f, "choices", None):
        choices = {k: str(v) for k, v in f.flatchoices}
        return choices.get(value, format_value(value))
    return format_value(value)


def describe(entries, *, reader=None, status_labels: dict | None = None, scopes: dict | None = None) -> list[Row]:
    """Rows a person reads, for a page of ledger entries: two passes, so every object, actor and
    referenced id is loaded with one query per type. ``scopes`` maps an object type to a
    function narrowing its queryset to what the reader may see (the task page: the reader's
    tasks); an object outside it is shown without its name. Names are links only for a ``reader``
    whose role may open that page."""
    entries = list(entries)
    user_type = get_user_model()._meta.label_lower
    res = _Resolver(scopes, reader)
    for e in entries:
        if e.actor_id:
            res.want(user_type, e.actor_id)
        if e.object_type and e.object_id:
            res.want(e.object_type, e.object_id)
        model = _model(e.object_type) if e.object_type else None
        for name, pair in _changes(e.data).items():
            if isinstance(pair, (list, tuple)):
                for value in pair:
                    _want_fk(res, model, name, value)
        fields = (e.data or {}).get("fields") if isinstance(e.data, dict) else None
        if isinstance(fields, dict):
            for name, value in fields.items():
                _want_fk(res, model, name, value)
        for name, value in (e.data.items() if isinstance(e.data, dict) else ()):
            if name not in DATA_REFS and name != "changes":
                _want_fk(res, model, name, value)
        for key, ref_type in DATA_REFS.items():
            value = (e.data or {}).get(key)
            if ref_type and isinstance(value, (int, str)):
                res.want(ref_type, value)
            elif ref_type and isinstance(value, list):
                for v in value:
                    if isinstance(v, (int, str)):
                        res.want(ref_type, v)
    res.load()
    statuses = status_labels or {}
    rows = []
    for e in entries:
        data = e.data if isinstance(e.data, dict) else {}
        model = _model(e.object_type) if e.object_type else None
        actor = res.ref(user_type, e.actor_id, fallback=e.actor_name) if (e.actor_id or e.actor_name) else None
        obj = res.ref(e.object_type, e.object_id, fallback=e.object_repr) if (e.object_id or e.object_repr) else None
        changes = []
        for name, pair in _changes(data).items():
            if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
                continue
            before, after = (_show_fk(res, model, name, v) for v in pair)
            changes.append((field_label(model, name), before, after))
        from_status, to_status = data.get("from"), data.get("to")
        if status_labels is None:  # the object's own status field names the states
            status_field = _field(model, "status")
            statuses = {k: str(v) for k, v in status_field.flatchoices} if getattr(status_field, "choices", None) else {}
        is_status = isinstance(from_status, str) and from_status in statuses or (
            isinstance(to_status, str) and to_status in statuses)
        details = []
        for key, value in data.items():
            if key == "changes" or (is_status and key in ("from", "to")) or value in (None, "", [], {}):
                continue
            ref_type = DATA_REFS.get(key)
            f = _field(model, key) if key not in DATA_LABELS else None
            if f is not None:  # a field of the object: its label, related objects by name
                details.append((field_label(model, key), _show_fk(res, model, key, value)))
                continue
            if key == "files" and isinstance(value, list):
                text = "、".join(str(v.get("name", "")) if isinstance(v, dict) else format_value(v) for v in value)
            elif ref_type and isinstance(value, (int, str)) and not (key == "task" and e.object_type == "tasks.task"):
                ref = res.ref(ref_type, value)
                details.append((data_label(key), [ref]))
                continue
            elif ref_type and isinstance(value, list):
                refs = [res.ref(ref_type, v) for v in value if isinstance(v, (int, str))]
                details.append((data_label(key), refs or "—"))
                continue
            elif key == "fields" and isinstance(value, dict):
                text = ";".join(f"{field_label(model, k)}:{_show_fk(res, model, k, v)}" for k, v in value.items())
            else:
                text = format_value(value)
            details.append((data_label(key), text))
        rows.append(Row(entry=e, event=event_label(e.event), actor=actor, obj=obj, changes=changes, details=details,
                        status_from=str(statuses.get(from_status, "")) if is_status else "",
                        status_to=str(statuses.get(to_status, "")) if is_status else "",
                        obj_type=object_type_label(e.object_type) if e.object_type else ""))
    return rows


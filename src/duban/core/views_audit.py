"""The audit log for the 审计管理员 (AUDIT_VIEW only): search, detail with the before/after diff,
CSV export and chain verification. Nothing here changes an entry; the export and the
verification each append their own entry, so reading the log is itself on the record (AU-09)."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, time, timedelta

from django import forms
from django.core.paginator import Paginator
from django.db.models import Max, Q
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from duban.core import ledger, ledger_display, permissions
from duban.core.decorators import require_perm
from duban.core.models import AuditEntry, Outcome

EXPORT_MAX_ROWS = 200_000


class AuditFilterForm(forms.Form):
    date_from = forms.DateField(label=gettext_lazy("起始日期"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=gettext_lazy("截止日期"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
    actor = forms.CharField(label=gettext_lazy("操作人"), required=False, max_length=150)
    event = forms.CharField(label=gettext_lazy("事件"), required=False, max_length=64)
    outcome = forms.ChoiceField(label=gettext_lazy("结果"), required=False,
                                choices=[("", gettext_lazy("全部"))] + list(Outcome.choices))
    object_type = forms.CharField(label=gettext_lazy("对象类型"), required=False, max_length=64)
    object_id = forms.CharField(label=gettext_lazy("对象编号"), required=False, max_length=64)
    ip = forms.GenericIPAddressField(label=gettext_lazy("来源地址"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("截止日期不能早于起始日期。"))
        return data

    def filter(self, qs):
        """Apply the valid filters. Dates are whole Beijing days: date_to includes its day."""
        if not self.is_bound:
            return qs
        if not self.is_valid():
            return qs.none()
        data = self.cleaned_data
        tz = timezone.get_current_timezone()
        if data["date_from"]:
            qs = qs.filter(created_at__gte=datetime.combine(data["date_from"], time.min, tzinfo=tz))
        if data["date_to"]:
            qs = qs.filter(created_at__lt=datetime.combine(data["date_to"] + timedelta(days=1), time.min, tzinfo=tz))
        if data["actor"]:
            term = data["actor"].strip()
            match = Q(actor_name__iexact=term)
            if term.isdigit():
                match |= Q(actor_id=int(term))
            qs = qs.filter(match)
        if data["event"]:
            qs = qs.filter(event=data["event"].strip())
        if data["outcome"]:
            qs = qs.filter(outcome=data["outcome"])
        if data["object_type"]:
            qs = qs.filter(object_type=data["object_type"].strip())
        if data["object_id"]:
            qs = qs.filter(object_id=data["object_id"].strip())
        if data["ip"]:
            qs = qs.filter(ip=data["ip"])
        return qs

    def active_filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {k: str(v) for k, v in self.cleaned_data.items() if v not in (None, "")}


def _filtered(params):
    form = AuditFilterForm(params if params else None)
    return form, form.filter(AuditEntry.objects.order_by("-seq"))


def _events():
    return sorted(set(AuditEntry.objects.order_by().values_list("event", flat=True).distinct()))


def _role_label(code: str) -> str:
    from duban.core.roles import Role

    return Role(code).label if code in Role.values else code


def _raw(request) -> bool:
    """The auditor's raw view (codes and JSON as stored), one click from the readable one."""
    return request.GET.get("raw") == "1"


def _render_list(request, form, qs, status=200):
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for entry in page.object_list:
        entry.role_label = _role_label(entry.actor_role)
    raw = _raw(request)
    rows = [] if raw else ledger_display.describe(page.object_list, reader=request.user)
    events = [(code, ledger_display.event_label(code)) for code in _events()]
    return render(request, "core/audit_list.html", {"form": form, "page": page, "events": events, "rows": rows,
                                                    "raw": raw}, status=status)


@require_perm(permissions.AUDIT_VIEW)
@require_http_methods(["GET", "POST"])
def audit_list(request):
    """GET searches. POST runs one of the list's actions — ``export`` (CSV of the current
    filter) or ``verify`` (walk the chain) — which each leave an entry of their own, so they
    are not GETs."""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "export":
            return audit_export(request)
        if action == "verify":
            return audit_verify(request)
        form = AuditFilterForm(request.POST)
        form.is_valid()
        form.add_error(None, _("未知的操作。"))
        return _render_list(request, form, AuditEntry.objects.none(), status=400)
    form, qs = _filtered(request.GET)
    return _render_list(request, form, qs, status=400 if form.is_bound and not form.is_valid() else 200)


def _diff_rows(data: dict) -> tuple[list, dict]:
    """Split an entry's data into the before/after rows of an update and everything else."""
    rows = []
    other = dict(data or {})
    changes = other.pop("changes", None)
    if isinstance(changes, dict):
        for field, pair in sorted(changes.items()):
            if isinstance(pair, (list, tuple)) and len(pair) == 2:
                rows.append((field, pair[0], pair[1]))
            else:
                other[f"changes.{field}"] = pair
    elif changes is not None:
        other["changes"] = changes
    return rows, other


@require_perm(permissions.AUDIT_VIEW)
@require_GET
def audit_detail(request, seq: int):
    entry = get_object_or_404(AuditEntry, seq=seq)
    diff_rows, other = _diff_rows(entry.data)
    neighbours = {
        "previous": AuditEntry.objects.filter(seq=seq - 1).values_list("seq", flat=True).first(),
        "next": AuditEntry.objects.filter(seq=seq + 1).values_list("seq", flat=True).first(),
    }
    raw = _raw(request)
    row = None if raw else ledger_display.describe([entry], reader=request.user)[0]
    return render(request, "core/audit_detail.html", {"entry": entry, "diff_rows": diff_rows, "raw": raw, "row": row,
                                                      "event_label": ledger_display.event_label(entry.event),
                                                      "object_type_label": ledger_display.object_type_label(
                                                          entry.object_type) if entry.object_type else "",
                                                      "role_label": _role_label(entry.actor_role),
                                                      "other_data": [(k, json.dumps(v, ensure_ascii=False, indent=2))
                                                                     for k, v in sorted(other.items())],
                                                      **neighbours})


# --- export ---------------------------------------------------------------------------------------
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value) -> str:
    """A CSV cell that a spreadsheet will not evaluate (RL-06, ASVS 1.2.10): text that starts
    like a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


EXPORT_COLUMNS = ["seq", "created_at_utc", "actor_id", "actor_name", "actor_role", "ip", "request_id", "event",
                  "outcome", "object_type", "object_id", "object_repr", "data", "prev_mac", "mac"]


class _Echo:
    def write(self, value):
        return value


def _export_rows(qs):
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(EXPORT_COLUMNS)  # BOM: Excel reads the file as UTF-8
    for e in qs.iterator(chunk_size=2000):
        yield writer.writerow([safe_cell(v) for v in (
            e.seq, e.created_at.astimezone(UTC).isoformat(timespec="microseconds"), e.actor_id, e.actor_name, e.actor_role, e.ip, e.request_id,
            e.event, e.outcome, e.object_type, e.object_id, e.object_repr,
            json.dumps(e.data, ensure_ascii=False, sort_keys=True), e.prev_mac, e.mac)])


def audit_export(request):
    form, qs = _filtered(request.POST)
    if not form.is_valid():
        return _render_list(request, form, AuditEntry.objects.none(), status=400)
    # Export exactly the rows that existed when the export was recorded, not the export's own entry.
    upto = AuditEntry.objects.aggregate(m=Max("seq"))["m"] or 0
    qs = qs.filter(seq__lte=upto).order_by("seq")
    count = qs.count()
    if count > EXPORT_MAX_ROWS:
        form.add_error(None, _("导出条数 %(n)d 超过上限 %(max)d,请缩小筛选范围。") % {"n": count, "max": EXPORT_MAX_ROWS})
        return _render_list(request, form, AuditEntry.objects.none(), status=400)
    # Recorded before the first byte leaves: if the ledger cannot be written, nothing is exported.
    # The object is the ledger as it stood: entries up to this seq.
    ledger.append(event="audit_exported", object_type="core.auditentry", object_id=str(upto),
                  data={"filters": form.active_filters(), "rows": count, "up_to_seq": upto, "format": "csv"})
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(_export_rows(qs), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="duban-audit-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


# --- verification -----------------------------------------------------------------------------------
def audit_verify(request):
    result = ledger.verify()
    ledger.append(event="ledger_verified", outcome=Outcome.SUCCESS if result.ok else Outcome.FAILURE,
                  object_type="core.auditentry", object_id=str(result.first_bad_seq or result.checked),
                  data={"ok": result.ok, "checked": result.checked, "first_bad_seq": result.first_bad_seq,
                        "first_bad_id": result.first_bad_id, "reason": result.reason})
    return render(request, "core/audit_verify.html", {"result": result}, status=200)

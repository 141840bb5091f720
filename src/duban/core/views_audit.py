from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from duban.core import permissions
from duban.core.decorators import require_perm
from duban.core.models import AuditEntry


@require_perm(permissions.AUDIT_VIEW)
def audit_list(request):
    qs = AuditEntry.objects.order_by("-seq")
    event = request.GET.get("event", "").strip()
    if event:
        qs = qs.filter(event=event)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_list.html", {"page": page, "event": event})


@require_perm(permissions.AUDIT_VIEW)
def audit_detail(request, seq: int):
    entry = get_object_or_404(AuditEntry, seq=seq)
    return render(request, "core/audit_detail.html", {"entry": entry})

"""查看完整信息 (DP-05): the one way to the full value of a masked personal-data field outside the
entitled role's detail page. POST only (a GET link would be prefetched, cached and logged with the
object in its query string); the object is looked up through the declaring app's scoped getter
(outside one's scope: 404 and an ``authz_denied`` row), the field's reveal permission is checked
(refused: 403 and an ``authz_denied`` row), and a shown value writes exactly one ``pii_viewed`` row.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from duban.core import permissions, pii


@never_cache
@login_required
@require_POST
def pii_reveal(request, model: str, pk: int, field: str):
    spec = pii.get(model, field)
    if spec is None or spec.getter is None:
        raise Http404
    obj = spec.getter(request.user, pk)
    if obj is None:
        raise Http404
    if not pii.may_reveal(request.user, spec, obj):
        permissions.record_denial(request.user, object_type=spec.model, object_id=str(pk),
                                  data={"pii_field": spec.name})
        raise PermissionDenied
    full = pii.value(obj, spec)
    pii.record_view(obj=obj, fields=[spec.name], page="reveal")
    back = spec.back(obj) if spec.back else ""
    return render(request, "core/pii_reveal.html", {
        "obj": obj, "spec": spec, "label": spec.label or obj._meta.get_field(spec.columns[0]).verbose_name,
        "full": full, "back": back})

"""The leaders' dashboard (驾驶舱), its full-screen mode (大屏) and the JSON its charts read."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from duban.core import permissions
from duban.core.decorators import require_perm
from duban.core.forms import apply_validation_error
from duban.dashboard import selectors, services
from duban.dashboard.forms import CommitmentForm
from duban.dashboard.models import Commitment
from duban.tasks import lights

VIEW = permissions.DASHBOARD_VIEW


def _context(request):
    return {"overview": selectors.overview(request.user), "year": lights.today().year,
            "can_manage": permissions.can(request.user, permissions.EVALUATION_MANAGE)}


@require_perm(VIEW)
@require_GET
def dashboard(request):
    return render(request, "dashboard/index.html", _context(request))


@require_perm(VIEW)
@require_GET
def screen(request):
    return render(request, "dashboard/screen.html", _context(request))


@require_perm(VIEW)
@require_GET
def data(request, name):
    dataset = selectors.DATASETS.get(name)
    if dataset is None:
        raise Http404
    response = JsonResponse(dataset(request.user), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


@require_perm(permissions.EVALUATION_MANAGE)
@require_http_methods(["GET", "POST"])
def commitments(request):
    form = CommitmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.commitment_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("交账事项已保存。"))
            return redirect("dashboard:commitments")
    return render(request, "dashboard/commitments.html", {"form": form, "items": Commitment.objects.all()},
                  status=400 if request.method == "POST" else 200)

"""The home page."""

from __future__ import annotations

from django.shortcuts import redirect
from django.views.decorators.http import require_GET

from duban.core.decorators import require_perm
from duban.tasks.views._common import (
    VIEW,
)


@require_perm(VIEW)
@require_GET
def index(request):
    return redirect("tasks:todo")

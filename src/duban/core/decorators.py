"""View guards. Every view states the function permission it needs; scoping of objects is done
by the selectors it calls (duban.core.permissions)."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from duban.core import ledger, permissions
from duban.core.models import Outcome


def require_perm(perm: str):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not permissions.can(request.user, perm):
                ledger.append(event="authz_denied", outcome=Outcome.DENIED, actor=request.user,
                              object_type="route", object_id=request.path[:64], data={"perm": perm})
                raise PermissionDenied(perm)
            return view(request, *args, **kwargs)

        wrapper.required_perm = perm
        return wrapper

    return decorator

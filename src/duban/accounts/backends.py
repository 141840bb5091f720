from django.contrib.auth.backends import BaseBackend, ModelBackend
from django.utils import timezone

from duban.accounts import selectors, services


class RoleBackend(ModelBackend):
    """Authenticates against the user table. Permissions are NOT answered here: duban asks
    duban.core.permissions.can(), which knows roles and ignores is_superuser (AC-04)."""

    def user_can_authenticate(self, user) -> bool:
        if not super().user_can_authenticate(user):
            return False
        return not (user.valid_until and user.valid_until < timezone.localdate())

    def get_user(self, user_id):
        """ModelBackend's, with the user's unit and person in the same query: nearly every page
        reads them (scope, the header's unread badge), one query each otherwise (issue 10)."""
        user = selectors.user_with_unit_and_person(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        return set()

    def has_perm(self, user_obj, perm, obj=None):
        return False


class ApiTokenBackend(BaseBackend):
    """Bearer tokens of the API (duban.core.api_auth asks ``authenticate(request, bearer_token=…)``).
    Never used for a session: ``get_user`` finds nobody."""

    def authenticate(self, request, bearer_token=None, **kwargs):
        if not bearer_token:
            return None
        return services.token_user(bearer_token)

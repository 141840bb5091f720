"""The REST API (django-ninja): OpenAPI schema at /api/openapi.json, docs at /api/docs.

Each app writes its router in duban/<app>/api.py (auth from duban.core.api_auth; permissions and
scoping are the same selectors and services the UI uses) and is mounted here, explicitly, at the
bottom. Errors have one dialect for every router: duban.api.errors.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError
from ninja.renderers import JSONRenderer

from duban.accounts import services as account_services
from duban.api import errors
from duban.core.api_auth import AUTH
from duban.datacheck.api import router as datacheck_router
from duban.indicators.api import router as indicators_router
from duban.intake.api import router as intake_router
from duban.notices.api import router as notices_router
from duban.orgs.api import router as orgs_router
from duban.petitions.api import router as petitions_router
from duban.resources.api import router as resources_router
from duban.tasks.api import router as tasks_router

class Utf8JSONRenderer(JSONRenderer):
    """Chinese messages as they are, not as \\u escapes (the body is UTF-8 JSON either way)."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="duban API",
    version="1",
    description="督办考评平台 REST API. Authenticate with POST /api/auth/token, then send "
    "`Authorization: Bearer <token>`.",
    auth=AUTH,
    docs_url="/docs",
    docs_decorator=login_required,
    urls_namespace="api",
    renderer=Utf8JSONRenderer(),
)
errors.install(api)


class TokenIn(Schema):
    username: str
    password: str
    name: str = ""
    otp: str = ""  # the authenticator's code (or a recovery code) for an account with two factors (IA-10)


class TokenOut(Schema):
    token: str
    expires_in: int


@api.post("/auth/token", auth=None, response=TokenOut, tags=["auth"])
def issue_token(request, payload: TokenIn):
    try:
        user = account_services.authenticate_password(payload.username, payload.password)
    except account_services.LoginThrottled:
        raise HttpError(429, "too_many_attempts") from None
    except account_services.LoginFailed:
        raise HttpError(401, "invalid_credentials") from None
    if account_services.second_factor_required(user):
        try:
            account_services.second_factor_check(user=user, code=payload.otp)
        except account_services.SecondFactorNotEnrolled:
            raise HttpError(403, "otp_enrolment_required") from None
        except account_services.SecondFactorRequired:
            raise HttpError(401, "otp_required") from None
        except (account_services.SecondFactorFailed, account_services.LoginFailed):
            raise HttpError(401, "invalid_credentials") from None
    if user.must_change_password:
        raise HttpError(403, "password_change_required")
    key = account_services.token_issue(actor=user, name=payload.name)
    return {"token": key, "expires_in": int(settings.DUBAN_SESSION_ABSOLUTE.total_seconds())}


# Every app's router, mounted explicitly (a new app adds its line here).
api.add_router("/", orgs_router)
api.add_router("/", tasks_router)
api.add_router("/intake", intake_router)
api.add_router("/", notices_router)
api.add_router("/", indicators_router)
api.add_router("/", resources_router)
api.add_router("/", petitions_router)
api.add_router("/datacheck", datacheck_router)

from django.conf import settings
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import urlencode

from duban.accounts import services

SEEN_GRANULARITY_SECONDS = 60
SECOND_FACTOR_SESSION_KEY = "duban_2fa_device"


class SessionTimeoutMiddleware:
    """Ends a session idle for DUBAN_SESSION_IDLE or older than DUBAN_SESSION_ABSOLUTE (IA-07),
    server-side: the session row is deleted and the event is in the ledger."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = timezone.now().timestamp()
            seen = request.session.get("duban_seen_at", now)
            auth_at = request.session.get("duban_auth_at", now)
            idle = now - seen >= settings.DUBAN_SESSION_IDLE.total_seconds()
            too_old = now - auth_at >= settings.DUBAN_SESSION_ABSOLUTE.total_seconds()
            if idle or too_old:
                services.session_timeout_record(actor=user, kind="idle" if idle else "absolute")
                logout(request)
                if request.path.startswith("/api/"):
                    response = JsonResponse({"detail": "session_expired"}, status=401)
                else:
                    response = redirect(f"{settings.LOGIN_URL_PATH}?{urlencode({'next': request.path})}")
                # As at logout (DP-06): the browser drops what it cached of the ended session.
                response["Clear-Site-Data"] = '"cache", "storage"'
                return response
            # Recording activity at most once a minute keeps ordinary reads from rewriting the
            # session row on every request; the idle limit is then exact to within that minute.
            if now - seen >= SEEN_GRANULARITY_SECONDS or "duban_seen_at" not in request.session:
                request.session["duban_seen_at"] = now
            if "duban_auth_at" not in request.session:
                request.session["duban_auth_at"] = now
            device_id = request.session.get(SECOND_FACTOR_SESSION_KEY)
            # Two factors (IA-10): the session must have been verified with a device that still
            # exists. A session from before the role needed it, or whose factor the security
            # administrator reset, ends here.
            if (services.second_factor_mandatory(user) or device_id) and \
                    not services.session_second_factor_valid(user, device_id):
                services.session_timeout_record(actor=user, kind="second_factor")
                logout(request)
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": "otp_required"}, status=401)
                return redirect(f"{settings.LOGIN_URL_PATH}?{urlencode({'next': request.path})}")
            expired = user.password_expired
            if (user.must_change_password or expired) and not _allowed_while_forced(request):
                if request.path.startswith("/api/"):
                    detail = "password_expired" if expired else "password_change_required"
                    return JsonResponse({"detail": detail}, status=403)
                return redirect("accounts:password_change")
        return self.get_response(request)


def _allowed_while_forced(request) -> bool:
    return request.path.startswith(("/accounts/password/", "/accounts/logout/", "/static/", "/i18n/"))


class AdminNetworkMiddleware:
    """The administrators' pages (accounts, roles, audit log) answer only from the management
    networks in DUBAN_ADMIN_ALLOWED_NETS (AC-10, §8.1.4.4c); from anywhere else they are a 404,
    as if they did not exist. The address is the TCP peer, or X-Forwarded-For from a trusted proxy
    only (duban.core.context). No networks configured: no restriction (development, tests)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        nets = settings.DUBAN_ADMIN_ALLOWED_NETS
        if nets and request.path.startswith(tuple(settings.DUBAN_ADMIN_PATHS)) and not self._allowed(nets):
            from django.http import Http404

            services.admin_network_refused_record(user=getattr(request, "user", None), path=request.path)
            raise Http404
        return self.get_response(request)

    @staticmethod
    def _allowed(nets) -> bool:
        import ipaddress

        from duban.core import context

        ip = context.current().ip
        try:
            address = ipaddress.ip_address(ip)
        except (TypeError, ValueError):
            return False
        return any(address in ipaddress.ip_network(net, strict=False) for net in nets)

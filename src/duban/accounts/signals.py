from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import timezone

from duban.core import ledger


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    now = timezone.now()
    if request is not None and hasattr(request, "session"):
        request.session["duban_auth_at"] = now.timestamp()
        request.session["duban_seen_at"] = now.timestamp()
    ledger.append(event="login", obj=user, actor=user)

"""Masking in templates (DP-05): ``{{ value|pii_mask:"phone" }}`` and the 查看完整信息 button
``{% pii_reveal obj "phone" %}``, shown only to a user the field's declaration lets see it."""

from django import template
from django.middleware.csrf import get_token
from django.urls import reverse

from duban.core import pii

register = template.Library()


@register.filter
def pii_mask(value, kind):
    return pii.mask(value, kind)


@register.inclusion_tag("core/_pii_reveal_button.html", takes_context=True)
def pii_reveal(context, obj, field):
    request = context.get("request")
    spec = pii.get(obj._meta.label_lower, field)
    user = getattr(request, "user", None)
    allowed = spec is not None and spec.getter is not None and pii.may_reveal(user, spec, obj) and bool(
        pii.value(obj, spec))
    return {"allowed": allowed, "csrf_token": get_token(request) if allowed else "",
            "url": reverse("core:pii_reveal", args=[spec.model, obj.pk, field]) if allowed else ""}

"""The unread count in the header of every page."""

from django.utils.functional import SimpleLazyObject

from duban.notices import selectors


def unread(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: counted only when a template shows it (one indexed, capped query).
    return {"notice_unread": SimpleLazyObject(lambda: _badge(user))}


class _Badge(str):
    count: int = 0


def _badge(user):
    count = selectors.unread_count(user)
    badge = _Badge(selectors.unread_badge(count))
    badge.count = count
    return badge

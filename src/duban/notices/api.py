"""REST endpoints for a user's own inbox: list (kind / unread filters, paged), unread count,
mark one read, mark all read. Everything is the caller's inbox only (notices to their account,
their person, the posts they act for today): another user's notice is 404."""

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from duban.core import api_auth
from duban.notices import selectors, services

router = Router(tags=["notices"], auth=api_auth.require())


class NoticeOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    body: str
    url: str
    subject_type: str | None
    subject_id: str
    subject_label: str
    post_id: int | None
    reached: str | None
    note: str
    is_copy: bool
    is_read: bool
    created_at: datetime

    @staticmethod
    def resolve_kind_label(obj):
        return obj.get_kind_display()

    @staticmethod
    def resolve_subject_type(obj):
        return obj.subject_type.model if obj.subject_type_id else None

    @staticmethod
    def resolve_reached(obj):
        return obj.reached.name if obj.reached_id else None


class CountOut(Schema):
    unread: int
    badge: str


class MarkedOut(Schema):
    marked: int


@router.get("/notices", response=list[NoticeOut], url_name="notice_list")
@paginate(PageNumberPagination, page_size=20)
def notice_list(request, kind: str = "", unread: bool = False):
    return selectors.inbox(request.auth, kind=kind, unread_only=unread).select_related("subject_type")


@router.get("/notices/unread-count", response=CountOut, url_name="notice_unread_count")
def notice_unread_count(request):
    n = selectors.unread_count(request.auth)
    return {"unread": n, "badge": selectors.unread_badge(n)}


@router.post("/notices/{notice_id}/read", response=MarkedOut, url_name="notice_mark_read")
def notice_mark_read(request, notice_id: int):
    notice = get_object_or_404(selectors.inbox(request.auth), pk=notice_id)
    services.notice_mark_read(actor=request.auth, notice=notice)
    return {"marked": 1}


@router.post("/notices/read-all", response=MarkedOut, url_name="notice_mark_all_read")
def notice_mark_all_read(request):
    return {"marked": services.notices_mark_all_read(actor=request.auth, queryset=selectors.inbox(request.auth))}

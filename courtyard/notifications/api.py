"""The inbox in the API: GET /notifications (cursor, `unread` filter), POST
/notifications/read (some or all). Only the recipient sees a notification."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import AuthenticationError

from courtyard.core.api import ErrorOut, page_response
from courtyard.notifications import actions
from courtyard.notifications.models import Notification

router = Router(tags=["notifications"])
READ_MAX = 200  # ids one request may mark


class NotificationFilters(Schema):
    cursor: str | None = Field(None, max_length=1024)
    limit: int | None = Field(None, ge=1, le=200)
    unread: bool | None = None


class NotificationOut(Schema):
    id: int
    verb: str
    message: str
    target_type: str
    target_id: str
    url: str
    created_at: datetime
    read_at: datetime | None

    @staticmethod
    def resolve_target_type(obj: Notification) -> str:
        # ContentType.objects.get_for_id is cached: no query per row.
        from django.contrib.contenttypes.models import ContentType

        model = ContentType.objects.get_for_id(obj.target_type_id)
        return f"{model.app_label}.{model.model}"

    @staticmethod
    def resolve_created_at(obj: Notification) -> datetime:
        return obj.created_at.astimezone(UTC)

    @staticmethod
    def resolve_read_at(obj: Notification) -> datetime | None:
        return obj.read_at.astimezone(UTC) if obj.read_at else None


class NotificationPage(Schema):
    items: list[NotificationOut]
    next_cursor: str | None


class ReadIn(Schema):
    ids: list[int] | None = Field(None, max_length=READ_MAX)


class ReadOut(Schema):
    marked: int


def _logged_in(request: HttpRequest) -> Any:
    if not request.user.is_authenticated:
        raise AuthenticationError()
    return request.user


@router.get(
    "/notifications",
    response={200: NotificationPage, 400: ErrorOut, 401: ErrorOut, 422: ErrorOut},
    summary="My notifications, newest first",
)
def list_notifications(request: HttpRequest, filters: Query[NotificationFilters]) -> Any:
    qs = Notification.objects.visible_to(_logged_in(request))
    if filters.unread is not None:
        qs = qs.filter(read_at__isnull=filters.unread)
    return page_response(qs, filters.cursor, filters.limit, ("-id",))


@router.post(
    "/notifications/read",
    response={200: ReadOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Mark my notifications read: these ids, or all of them",
)
def read_notifications(request: HttpRequest, body: ReadIn) -> Any:
    """An id that is not the caller's answers 404 and marks nothing (forbidden == missing)."""
    user = _logged_in(request)
    if body.ids is not None:
        ids = set(body.ids)
        if Notification.objects.visible_to(user).filter(pk__in=ids).count() != len(ids):
            raise Http404
    return {"marked": actions.mark_read(by=user, ids=body.ids)}

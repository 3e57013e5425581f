"""API building blocks shared by every app's `api.py`: the JSON renderer that keeps Chinese
readable, cursor pages, and the error shape ({"detail": "<a sentence a person understands>"})."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.http import HttpRequest
from ninja import Schema
from ninja.renderers import BaseRenderer

from courtyard.core.pagination import keyset_page

T = TypeVar("T", bound=models.Model)


class UnicodeJSONRenderer(BaseRenderer):
    """JSON with Chinese as characters, not \\u escapes."""

    media_type = "application/json"
    charset = "utf-8"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> Any:
        return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)


class ErrorOut(Schema):
    detail: str


def page_response[T: models.Model](
    queryset: models.QuerySet[T], cursor: str | None, limit: int | None, order: tuple[str, ...]
) -> dict[str, Any]:
    """{"items": [...], "next_cursor": str | null} for one keyset page."""
    size = min(limit or settings.PAGE_SIZE, settings.API_MAX_PAGE_SIZE)
    page = keyset_page(queryset, cursor=cursor, size=max(size, 1), order=order)
    return {"items": page.items, "next_cursor": page.next_cursor}

"""The unread badge in the navigation: at most one query per page, none for a visitor."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from courtyard.notifications.models import Notification

# The badge says "99+" beyond this: counting stops there (a bounded index range).
BADGE_MAX = 99


def _unread(user: Any) -> int:
    # A LIMITed subquery: the count stops at BADGE_MAX + 1 rows of the unread index.
    return Notification.objects.visible_to(user).unread()[: BADGE_MAX + 1].count()


def unread_badge(request: HttpRequest) -> dict[str, Any]:
    """`unread_notifications`: counted only when a template shows it (lazily)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0, "unread_badge_max": BADGE_MAX}
    return {
        "unread_notifications": SimpleLazyObject(lambda: _unread(user)),
        "unread_badge_max": BADGE_MAX,
    }

"""Small request helpers for views."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from courtyard.people.models import User


def safe_next(request: HttpRequest, default: str) -> str:
    """The `next` parameter if it points back into this site, otherwise `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    is_path = target.startswith("/") and not target.startswith("//")
    if is_path and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return default


class Request(HttpRequest):
    """What our middleware adds to every request (for type checking)."""

    htmx: HtmxDetails


class AuthedRequest(Request):
    """A request behind `login_required`: the user is a real account."""

    user: User

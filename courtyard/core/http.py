"""Small request helpers for views."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from courtyard.people.models import User


def is_local(request: HttpRequest, target: str) -> bool:
    """Is `target` a path on this site (not another host, not a scheme-relative URL)?"""
    is_path = target.startswith("/") and not target.startswith("//")
    return is_path and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    )


def safe_next(request: HttpRequest, default: str) -> str:
    """The `next` parameter if it points back into this site, otherwise `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if is_local(request, target) else default


class Request(HttpRequest):
    """What our middleware adds to every request (for type checking)."""

    htmx: HtmxDetails


class AuthedRequest(Request):
    """A request behind `login_required`: the user is a real account."""

    user: User


_ID = re.compile(r"[0-9]{1,18}")


def id_param(value: str | None) -> int | None:
    """A positive database id written in ASCII digits (no more than a 64-bit id holds), or
    None for anything else: "²" passes `str.isdigit` but not `int`, 5,000 digits pass
    both but no database."""
    if value is None or not _ID.fullmatch(value):
        return None
    number = int(value)
    return number if 0 < number < 2**63 else None

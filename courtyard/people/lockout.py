"""What a locked-out login attempt gets back (django-axes' AXES_LOCKOUT_CALLABLE):
JSON for the API, the lockout page for the web form; 429 either way."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from courtyard.people.middleware import API_PREFIX


def client_ip(request: HttpRequest) -> str:
    """The address lockouts count against. Behind our proxy (BEHIND_PROXY) every request
    comes from the proxy, so take the hop it appended to X-Forwarded-For — the last one,
    the only one a client cannot forge."""
    if settings.BEHIND_PROXY:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if hops[-1]:
            return hops[-1]
    return str(request.META.get("REMOTE_ADDR", ""))


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    if request.path_info.startswith(API_PREFIX):
        message = _("Too many failed logins: this account is locked for a while. Try again later.")
        return JsonResponse({"detail": message}, status=429)
    return render(request, "people/locked_out.html", status=429)

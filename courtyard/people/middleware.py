"""Bearer tokens for the API, and CSRF for API writes made with a session cookie."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext as _

from courtyard.people.actions import authenticate_token

API_PREFIX = "/api/"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


class BearerTokenMiddleware:
    """On /api/: `Authorization: Bearer <token>` sets request.user (a bad token is a 401
    with the reason); a write that relies on the session cookie must carry a CSRF token,
    otherwise it is treated as anonymous (django-ninja views are csrf-exempt)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.csrf = CsrfViewMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX):
            header = request.headers.get("Authorization", "")
            if header:
                scheme, __, raw = header.partition(" ")
                if scheme.lower() != "bearer" or not raw.strip():
                    return JsonResponse(
                        {"detail": _("Use the header Authorization: Bearer <token>.")}, status=401
                    )
                user, reason = authenticate_token(raw.strip())
                if user is None:
                    return JsonResponse({"detail": reason}, status=401)
                request.user = user
                request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
            elif (
                request.method not in SAFE_METHODS
                and request.user.is_authenticated
                and self.csrf.process_view(request, None, (), {}) is not None  # type: ignore[arg-type]
            ):
                request.user = AnonymousUser()
        return self.get_response(request)

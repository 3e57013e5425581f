"""The HTTP API under /api/v1/ (django-ninja). OpenAPI at /api/v1/openapi.json, docs at
/api/v1/docs (Swagger UI served from the package's own static files, so it works offline).

Authentication: `Authorization: Bearer <token>` (see people.middleware) or the session
cookie (writes then need the CSRF token). Errors are {"detail": "..."} with a sentence a
person understands."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from courtyard.core.api import UnicodeJSONRenderer
from courtyard.core.errors import DomainError
from courtyard.core.validation import describe
from courtyard.councils.api import router as councils_router
from courtyard.demands.api import router as demands_router
from courtyard.notifications.api import router as notifications_router
from courtyard.organizations.api import router as organizations_router
from courtyard.people.api import router as people_router
from courtyard.places.api import router as places_router

api = NinjaAPI(
    title="Courtyard API",
    version="1",
    description="Community co-governance: places, people, organizations.",
    renderer=UnicodeJSONRenderer(),
    urls_namespace="api",
)
api.add_router("/", people_router)
api.add_router("/places", places_router)
api.add_router("/", organizations_router)
api.add_router("/", demands_router)
api.add_router("/", councils_router)
api.add_router("/", notifications_router)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    body: dict[str, Any] = {"detail": exc.message}
    if exc.field:
        body["field"] = exc.field
    return api.create_response(request, body, status=exc.status)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": _("Log in, or send Authorization: Bearer <token>.")}, status=401
    )


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    detail = _("Some input is not valid: %(problems)s") % {"problems": describe(exc.errors)}
    return api.create_response(request, {"detail": detail, "errors": exc.errors}, status=422)

"""Pages that belong to no single domain: home, health checks, display settings, history."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_POST

from courtyard.core.context_processors import LARGE_TYPE_COOKIE
from courtyard.core.http import safe_next
from courtyard.core.models import AuditEvent
from courtyard.core.pagination import keyset_page
from courtyard.people.scopes import administers
from courtyard.places.forms import PlaceSearchForm
from courtyard.places.models import Place

# Models whose history staff may read (each has `scope_path` and `objects.visible_to`).
AUDITED_MODELS = {
    "places.place",
    "organizations.organization",
    "organizations.committee",
    "organizations.committeemembership",
    "organizations.dualreport",
    "demands.demand",
    "demands.whistle",
    "councils.council",
    "councils.proposal",
    "councils.meeting",
    "councils.vote",
    "councils.resolution",
}


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Find your place: search by name or code, or start from the top of the tree."""
    form = PlaceSearchForm(request.GET or None)
    results = form.results() if form.is_valid() else None
    roots = list(Place.objects.roots().order_by("code")[:20])
    top = roots[0] if len(roots) == 1 else None
    children = list(top.children.order_by("code")[:50]) if top else []
    context = {"form": form, "results": results, "roots": roots, "top": top, "children": children}
    return render(request, "core/home.html", context)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive (no database access)."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """The database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


@require_POST
def toggle_large_type(request: HttpRequest) -> HttpResponse:
    """Switch large type on or off (a cookie, so it works without an account or JS)."""
    response = HttpResponseRedirect(safe_next(request, "/"))
    if request.COOKIES.get(LARGE_TYPE_COOKIE) == "1":
        response.delete_cookie(LARGE_TYPE_COOKIE)
    else:
        response.set_cookie(LARGE_TYPE_COOKIE, "1", max_age=365 * 24 * 3600, samesite="Lax")
    return response


@require_GET
def history(request: HttpRequest, label: str, pk: int) -> HttpResponse:
    """The audit trail of one object, for staff who administer its place (else 404)."""
    if label not in AUDITED_MODELS:
        raise Http404
    model = apps.get_model(label)
    obj = get_object_or_404(model.objects.visible_to(request.user), pk=pk)
    if not administers(request.user, obj.scope_path):
        raise Http404
    page = keyset_page(
        AuditEvent.objects.for_object(obj).select_related("actor"),
        cursor=request.GET.get("cursor"),
        size=settings.PAGE_SIZE,
        order=("-pk",),
    )
    rows = [
        (
            event,
            [(_field_label(model, name), old, new) for name, (old, new) in event.changes.items()],
        )
        for event in page.items
    ]
    context = {"object": obj, "page": page, "rows": rows, "label": label}
    return render(request, "core/history.html", context)


def _field_label(model: type[Model], name: str) -> str:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    return str(getattr(field, "verbose_name", name))

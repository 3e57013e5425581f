from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from django_stubs_ext import StrOrPromise

from courtyard.core.http import Request
from courtyard.core.pagination import keyset_page
from courtyard.organizations.models import Committee, OrganizationKind
from courtyard.people.scopes import administers
from courtyard.places.models import ADMINISTRATIVE_KINDS, Place, PlaceKind
from courtyard.places.rollups import counts_for


def count_rows(counts: dict[str, int]) -> list[tuple[StrOrPromise, int]]:
    """(label, number) for the place kinds present, top to bottom, then organizations."""
    rows: list[tuple[StrOrPromise, int]] = [
        (kind.label, counts[kind.value]) for kind in PlaceKind if counts.get(kind.value)
    ]
    rows += [
        (kind.label, counts[f"org:{kind.value}"])
        for kind in OrganizationKind
        if counts.get(f"org:{kind.value}")
    ]
    return rows


@require_GET
def place_detail(request: Request, pk: int) -> HttpResponse:
    """A place: where it sits, what lies under it (counts from the rollup), its children
    (keyset pages), its coordination committee, and links for the staff who administer it.
    A fixed number of queries whatever the size of the subtree."""
    place = get_object_or_404(Place.objects.visible_to(request.user), pk=pk)
    children = keyset_page(
        place.children.all(),
        cursor=request.GET.get("cursor"),
        size=settings.PAGE_SIZE,
        order=("code", "pk"),
    )
    context = {
        "place": place,
        "ancestors": list(place.ancestors()),
        "children": children,
        "counts": count_rows(counts_for(place)),
        "committee": Committee.objects.filter(place=place).first(),
        "is_staff_here": administers(request.user, place.path),
        "is_administrative": place.kind in ADMINISTRATIVE_KINDS,
    }
    template = "places/_children.html" if request.htmx else "places/place_detail.html"
    return render(request, template, context)

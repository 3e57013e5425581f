"""Who answers for a demand: the responsibility table, inherited down the place tree and
up the category tree; the district's fallback row when nothing more specific matches."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from courtyard.demands.models import Responsibility, ServiceCategory
from courtyard.organizations.models import Organization
from courtyard.places.models import SEGMENT, Place, path_ids, path_range


def dispatch_candidates(demand: Any) -> QuerySet[Organization]:
    """The units a demand may be dispatched to by hand: the active organizations seated
    within its district (its departments and the units of its streets). Pages and the API
    accept no other: a unit elsewhere would see the requester."""
    low, high = path_range(demand.place_path[: 2 * SEGMENT])
    return Organization.objects.filter(is_active=True, place_path__gte=low, place_path__lt=high)


def category_chain(category: ServiceCategory) -> list[int]:
    """The category and its ancestors, most specific first (a catalogue is a few levels)."""
    chain: list[int] = []
    current: ServiceCategory | None = category
    while current is not None:
        chain.append(current.pk)
        current = current.parent
    return chain


def responsible_unit(category: ServiceCategory, place: Place) -> Organization | None:
    """The unit for `category` at `place`: the nearest place with a row wins; at one place
    the most specific category wins, then the place's fallback row (category empty).
    One query for the rows, whatever the size of the table."""
    places = list(reversed(path_ids(place.path)))  # nearest first
    categories = category_chain(category)
    rows = Responsibility.objects.filter(place_id__in=places).filter(
        Q(category_id__in=categories) | Q(category__isnull=True)
    )
    best: tuple[int, int] | None = None
    chosen = None
    for row in rows.select_related("organization"):
        if not row.organization.is_active:
            continue
        rank = (
            places.index(row.place_id),
            categories.index(row.category_id) if row.category_id else len(categories),
        )
        if best is None or rank < best:
            best, chosen = rank, row.organization
    return chosen

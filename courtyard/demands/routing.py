"""Who answers for a demand: the responsibility table, inherited down the place tree and
up the category tree; the district's fallback row when nothing more specific matches."""

from __future__ import annotations

from django.db.models import Q

from courtyard.demands.models import Responsibility, ServiceCategory
from courtyard.organizations.models import Organization
from courtyard.places.models import Place, path_ids


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

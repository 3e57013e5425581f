"""Places in the API: find by code, detail with ancestors and counts, children, subtree."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from courtyard.core.api import ErrorOut, page_response
from courtyard.places.models import Place, PlaceKind
from courtyard.places.rollups import counts_for

router = Router(tags=["places"])


class PlaceOut(Schema):
    id: int
    code: str
    kind: PlaceKind
    name: str
    name_en: str
    parent_id: int | None


class PlaceDetailOut(PlaceOut):
    ancestors: list[PlaceOut]
    counts: dict[str, int]

    @staticmethod
    def resolve_ancestors(obj: Place) -> list[Place]:
        return list(obj.ancestors())

    @staticmethod
    def resolve_counts(obj: Place) -> dict[str, int]:
        return counts_for(obj)


class PlacePage(Schema):
    items: list[PlaceOut]
    next_cursor: str | None


class PlaceFilters(Schema):
    code: str | None = Field(None, max_length=32, description="Exact code, e.g. 110101011010")
    kind: PlaceKind | None = None
    parent: int | None = Field(None, description="Only the children of this place id")
    cursor: str | None = Field(None, max_length=1024)
    limit: int | None = Field(None, ge=1, le=200)


class PageParams(Schema):
    cursor: str | None = Field(None, max_length=1024)
    limit: int | None = Field(None, ge=1, le=200)
    kind: PlaceKind | None = None


@router.get("", response={200: PlacePage, 422: ErrorOut}, summary="List or find places")
def list_places(request: HttpRequest, filters: Query[PlaceFilters]) -> dict[str, Any]:
    qs = Place.objects.visible_to(request.user)
    if filters.code:
        qs = qs.filter(code=filters.code)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.parent is not None:
        qs = qs.filter(parent_id=filters.parent)
    return page_response(qs, filters.cursor, filters.limit, ("pk",))


@router.get("/{place_id}", response={200: PlaceDetailOut, 404: ErrorOut}, summary="One place")
def get_place(request: HttpRequest, place_id: int) -> Place:
    return get_object_or_404(Place.objects.visible_to(request.user), pk=place_id)


@router.get(
    "/{place_id}/children",
    response={200: PlacePage, 404: ErrorOut, 422: ErrorOut},
    summary="The children of a place",
)
def list_children(request: HttpRequest, place_id: int, params: Query[PageParams]) -> dict[str, Any]:
    place = get_object_or_404(Place.objects.visible_to(request.user), pk=place_id)
    qs = place.children.all()
    if params.kind:
        qs = qs.filter(kind=params.kind)
    return page_response(qs, params.cursor, params.limit, ("code", "pk"))


@router.get(
    "/{place_id}/descendants",
    response={200: PlacePage, 404: ErrorOut, 422: ErrorOut},
    summary="Everything under a place (the subtree), in tree order",
)
def list_descendants(
    request: HttpRequest, place_id: int, params: Query[PageParams]
) -> dict[str, Any]:
    place = get_object_or_404(Place.objects.visible_to(request.user), pk=place_id)
    qs = Place.objects.below(place)
    if params.kind:
        qs = qs.filter(kind=params.kind)  # served by the (kind, path) index
    return page_response(qs, params.cursor, params.limit, ("path", "pk"))

"""Organizations and coordination committees in the API (read-only in this version)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from courtyard.core.api import ErrorOut, page_response
from courtyard.organizations.models import (
    Committee,
    Organization,
    OrganizationKind,
    Position,
)
from courtyard.places.models import Place

router = Router(tags=["organizations"])


class OrganizationOut(Schema):
    id: int
    name: str
    name_en: str
    kind: OrganizationKind
    credit_code: str | None
    place_id: int


class OrganizationPage(Schema):
    items: list[OrganizationOut]
    next_cursor: str | None


class OrganizationFilters(Schema):
    q: str | None = Field(None, max_length=50, description="Name starts with")
    kind: OrganizationKind | None = None
    place: int | None = Field(None, description="Only organizations within this place id")
    cursor: str | None = Field(None, max_length=1024)
    limit: int | None = Field(None, ge=1, le=200)


class CommitteeOut(Schema):
    id: int
    name: str
    name_en: str
    place_id: int
    founded_on: date


class CommitteePage(Schema):
    items: list[CommitteeOut]
    next_cursor: str | None


class CommitteeFilters(Schema):
    place: int | None = Field(None, description="Only committees within this place id")
    cursor: str | None = Field(None, max_length=1024)
    limit: int | None = Field(None, ge=1, le=200)


class MemberOut(Schema):
    id: int
    organization: OrganizationOut
    position: Position
    joined_on: date
    left_on: date | None


class MemberPage(Schema):
    items: list[MemberOut]
    next_cursor: str | None


class PageParams(Schema):
    cursor: str | None = Field(None, max_length=1024)
    limit: int | None = Field(None, ge=1, le=200)


@router.get(
    "/organizations",
    response={200: OrganizationPage, 404: ErrorOut, 422: ErrorOut},
    summary="The organization directory",
)
def list_organizations(request: HttpRequest, filters: Query[OrganizationFilters]) -> Any:
    qs = Organization.objects.visible_to(request.user)
    if filters.q:
        qs = qs.filter(name__startswith=filters.q.strip())
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    order: tuple[str, ...] = ("name", "pk")
    if filters.place is not None:
        qs = qs.within(get_object_or_404(Place, pk=filters.place))
        order = ("place_path", "name", "pk")  # one index range, place by place
    return page_response(qs, filters.cursor, filters.limit, order)


@router.get(
    "/organizations/{org_id}",
    response={200: OrganizationOut, 404: ErrorOut},
    summary="One organization",
)
def get_organization(request: HttpRequest, org_id: int) -> Organization:
    return get_object_or_404(Organization.objects.visible_to(request.user), pk=org_id)


@router.get(
    "/committees",
    response={200: CommitteePage, 404: ErrorOut, 422: ErrorOut},
    summary="Coordination committees",
)
def list_committees(request: HttpRequest, filters: Query[CommitteeFilters]) -> Any:
    qs = Committee.objects.visible_to(request.user)
    order: tuple[str, ...] = ("pk",)
    if filters.place is not None:
        qs = qs.within(get_object_or_404(Place, pk=filters.place))
        order = ("place_path", "pk")  # one index range
    return page_response(qs, filters.cursor, filters.limit, order)


@router.get(
    "/committees/{committee_id}",
    response={200: CommitteeOut, 404: ErrorOut},
    summary="One committee",
)
def get_committee(request: HttpRequest, committee_id: int) -> Committee:
    return get_object_or_404(Committee.objects.visible_to(request.user), pk=committee_id)


@router.get(
    "/committees/{committee_id}/members",
    response={200: MemberPage, 404: ErrorOut, 422: ErrorOut},
    summary="Current member units of a committee, with positions",
)
def list_members(request: HttpRequest, committee_id: int, params: Query[PageParams]) -> Any:
    committee = get_object_or_404(Committee.objects.visible_to(request.user), pk=committee_id)
    qs = (
        committee.memberships.current()
        .filter(organization__in=Organization.objects.visible_to(request.user))
        .select_related("organization")
    )
    return page_response(qs, params.cursor, params.limit, ("pk",))

"""Whistles in the API: /api/v1/whistles … (吹哨报到; the actions are demands.whistles).

- Reads go through `Whistle.objects.visible_to(request.user)` (the staff over the whistle's
  place and the handlers of a summoned party), as the whistle pages do.
- Each step is a POST endpoint that checks the step's rules permission as the page does
  (`demands.report_to_whistle`, `demands.run_whistle`) and answers a refusal like a missing
  whistle (404): forbidden == missing. Then it calls the one action of `demands.whistles`,
  which checks again and answers 400/403/409 with a sentence; a refused step changes nothing.
- Blowing a whistle is for the officers of a street or above (`demands.blow_whistle`, 403
  otherwise); the action decides whether the place lies within their street.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status as HttpStatus

from courtyard.core.api import page_response
from courtyard.core.errors import BadInput, NotAllowed
from courtyard.demands import whistles
from courtyard.demands.api.common import LIST, READ, STEP, WRITE, logged_in, utc
from courtyard.demands.models import Demand, Whistle, WhistleKind, WhistleStatus, WhistleSummons
from courtyard.organizations.models import Organization
from courtyard.places.models import Place, path_range

router = Router(tags=["whistles"])

ORDER = ("-id",)  # newest first; the primary key orders and is never NULL


# ── Schemas ───────────────────────────────────────────────────────────────────────────────


class SummonsOut(Schema):
    organization_id: int
    organization_name: str
    reported_at: datetime | None
    report_note: str
    late: bool = Field(..., description="Reported after report_due_at")
    score: int | None = Field(..., description="0–100, given by the street once closed")
    score_comment: str
    scored_at: datetime | None


class WhistleOut(Schema):
    id: int
    status: WhistleStatus
    kind: WhistleKind
    title: str
    description: str
    street_id: int
    street_name: str
    place_id: int
    place_name: str
    demand_id: int | None
    demand_summary: str | None
    blown_by_name: str
    blown_at: datetime
    report_due_at: datetime
    closed_at: datetime | None
    closing_note: str
    is_overdue: bool = Field(
        ..., description="Open, past report_due_at, and a summoned party has not reported"
    )
    summonses: list[SummonsOut]


class WhistlePage(Schema):
    items: list[WhistleOut]
    next_cursor: str | None


class WhistleFilters(Schema):
    status: WhistleStatus | None = None
    kind: WhistleKind | None = None
    place: int | None = Field(None, description="Only whistles within this place id (its subtree)")
    organization: int | None = Field(
        None, description="Only whistles summoning this department or unit (its id)"
    )
    cursor: str | None = Field(None, max_length=1024)
    limit: int | None = Field(None, ge=1, le=200)


class WhistleIn(Schema):
    kind: WhistleKind
    title: str = Field(..., description="At most 200 characters")
    description: str = Field(..., description="What the street cannot solve alone")
    organizations: list[int] = Field(
        ..., description="Ids of the active departments and units of the district to summon"
    )
    place: int | None = Field(
        None, description="The id of the street or of a place within it; empty: the demand's"
    )
    demand: int | None = Field(None, description="The id of the open demand blown on")


class ReportIn(Schema):
    organization: int = Field(..., description="The summoned unit the caller reports for")
    note: str = Field("", description="Who is on site, what is being done")


class CloseIn(Schema):
    note: str = ""


class ScoreIn(Schema):
    organization: int = Field(..., description="The summoned unit scored")
    score: int = Field(..., description="A whole number from 0 to 100")
    comment: str = ""


# ── Helpers ───────────────────────────────────────────────────────────────────────────────


def _summons_out(summons: WhistleSummons, whistle: Whistle) -> dict[str, Any]:
    reported_at = summons.reported_at
    return {
        "organization_id": summons.organization_id,
        "organization_name": summons.organization.display_name,
        "reported_at": utc(reported_at),
        "report_note": summons.report_note,
        "late": reported_at is not None and reported_at > whistle.report_due_at,
        "score": summons.score,
        "score_comment": summons.score_comment,
        "scored_at": utc(summons.scored_at),
    }


def _out(whistle: Whistle, now: datetime) -> dict[str, Any]:
    """The API's view of a whistle with its summonses (prefetched, in summoning order)."""
    summonses = list(whistle.summonses.all())
    return {
        "id": whistle.pk,
        "status": whistle.status,
        "kind": whistle.kind,
        "title": whistle.title,
        "description": whistle.description,
        "street_id": whistle.street_id,
        "street_name": whistle.street.display_name,
        "place_id": whistle.place_id,
        "place_name": whistle.place.display_name,
        # As on the whistle's page: the number and the public summary, not the demand itself.
        "demand_id": whistle.demand_id,
        "demand_summary": whistle.demand.public_summary if whistle.demand else None,
        "blown_by_name": str(whistle.blown_by),
        "blown_at": utc(whistle.blown_at),
        "report_due_at": utc(whistle.report_due_at),
        "closed_at": utc(whistle.closed_at),
        "closing_note": whistle.closing_note,
        "is_overdue": whistle.status == WhistleStatus.OPEN
        and whistle.report_due_at < now
        and any(s.reported_at is None for s in summonses),
        "summonses": [_summons_out(s, whistle) for s in summonses],
    }


def _readable(user: Any) -> Any:
    """Whistles `user` may read, with what `_out` shows: a fixed number of queries."""
    summonses = WhistleSummons.objects.select_related("organization").order_by("pk")
    return (
        whistles.visible_whistles(user)
        .select_related("street", "place", "demand", "blown_by")
        .prefetch_related(Prefetch("summonses", queryset=summonses))
    )


def _visible(request: HttpRequest, whistle_id: int) -> Whistle:
    """The whistle if the caller may read it; 404 otherwise (missing and forbidden alike)."""
    return get_object_or_404(_readable(request.user), pk=whistle_id)


def _allowed(request: HttpRequest, whistle_id: int, perm: str) -> Whistle:
    """The whistle for a step: 404 when the caller cannot read it or the rules refuse them
    the step, as on the whistle's page."""
    whistle = _visible(request, whistle_id)
    if not request.user.has_perm(perm, whistle):
        raise Http404
    return whistle


def _one_out(request: HttpRequest, whistle_id: int) -> dict[str, Any]:
    """The whistle as it is now (after a step), read afresh."""
    return _out(_visible(request, whistle_id), timezone.now())


def _organization(pk: int) -> Organization:
    organization = Organization.objects.filter(pk=pk).first()
    if organization is None:
        raise BadInput(_("Choose a department or unit this whistle summons."), field="organization")
    return organization


# ── Whistles ──────────────────────────────────────────────────────────────────────────────


@router.get(
    "/whistles",
    response={200: WhistlePage, **LIST},
    summary="Whistles the caller may see, newest first",
)
def list_whistles(request: HttpRequest, filters: Query[WhistleFilters]) -> Any:
    user = logged_in(request)
    qs = _readable(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.place is not None:
        low, high = path_range(get_object_or_404(Place, pk=filters.place).path)
        qs = qs.filter(place_path__gte=low, place_path__lt=high)
    if filters.organization is not None:
        summoned = WhistleSummons.objects.filter(organization_id=filters.organization)
        qs = qs.filter(pk__in=summoned.values("whistle_id"))
    page = page_response(qs, filters.cursor, filters.limit, ORDER)
    now = timezone.now()
    page["items"] = [_out(whistle, now) for whistle in page["items"]]
    return page


@router.post(
    "/whistles",
    response={201: WhistleOut, **WRITE},
    summary="Blow a whistle at a place within the street (its officers and those above)",
)
def blow_whistle(request: HttpRequest, payload: WhistleIn) -> Any:
    user = logged_in(request)
    if not user.has_perm("demands.blow_whistle"):
        raise NotAllowed(_("Only street, district and city officers blow whistles."))
    demand: Demand | None = None
    if payload.demand is not None:
        visible = Demand.objects.visible_to(user).select_related("place")
        demand = visible.filter(pk=payload.demand).first()
        if demand is None:
            raise BadInput(_("No demand with this number is within your street."), field="demand")
    if payload.place is not None:
        place = Place.objects.filter(pk=payload.place).first()
        if place is None:
            raise BadInput(_("There is no such place."), field="place")
    elif demand is not None:
        place = demand.place
    else:
        raise BadInput(_("Give the place, or the demand the whistle is blown on."), field="place")
    ids = set(payload.organizations)
    organizations = list(Organization.objects.filter(pk__in=ids))
    if len(organizations) != len(ids):  # an unknown id: the action re-reads the rest
        raise BadInput(
            _("Summon only active departments and units of this district."),
            field="organizations",
        )
    whistle = whistles.blow_whistle(
        by=user,
        place=place,
        kind=payload.kind,
        title=payload.title,
        description=payload.description,
        organizations=organizations,
        demand=demand,
    )
    return HttpStatus(201, _one_out(request, whistle.pk))


@router.get("/whistles/{whistle_id}", response={200: WhistleOut, **READ}, summary="One whistle")
def get_whistle(request: HttpRequest, whistle_id: int) -> Any:
    return _out(_visible(request, whistle_id), timezone.now())


# ── Steps: one endpoint per action ────────────────────────────────────────────────────────


@router.post(
    "/whistles/{whistle_id}/report",
    response={200: WhistleOut, **STEP},
    summary="Report on site for a summoned unit (its handlers)",
)
def report_to_whistle(request: HttpRequest, whistle_id: int, payload: ReportIn) -> Any:
    whistle = _allowed(request, whistle_id, "demands.report_to_whistle")
    whistles.report_to_whistle(
        whistle, by=request.user, organization=_organization(payload.organization),
        note=payload.note,
    )  # fmt: skip
    return _one_out(request, whistle.pk)


@router.post(
    "/whistles/{whistle_id}/close",
    response={200: WhistleOut, **STEP},
    summary="Close the whistle (the street)",
)
def close_whistle(request: HttpRequest, whistle_id: int, payload: CloseIn) -> Any:
    whistle = _allowed(request, whistle_id, "demands.run_whistle")
    whistles.close_whistle(whistle, by=request.user, note=payload.note)
    return _one_out(request, whistle.pk)


@router.post(
    "/whistles/{whistle_id}/score",
    response={200: WhistleOut, **STEP},
    summary="Score one summoned unit of a closed whistle, 0–100 (the street)",
)
def score_summons(request: HttpRequest, whistle_id: int, payload: ScoreIn) -> Any:
    whistle = _allowed(request, whistle_id, "demands.run_whistle")
    whistles.score_summons(
        whistle, by=request.user, organization=_organization(payload.organization),
        score=payload.score, comment=payload.comment,
    )  # fmt: skip
    return _one_out(request, whistle.pk)

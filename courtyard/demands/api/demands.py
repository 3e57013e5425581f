"""Demands in the API: /api/v1/demands … and /api/v1/service-categories.

- Reads go through `Demand.objects.visible_to(request.user)`: a demand the caller may not
  see answers 404 exactly like a missing one.
- Each step has its own POST endpoint. It checks the step's rules permission (403
  {"detail"} when the caller sees the demand but may not take the step), then calls the one
  action of `demands.actions`; an illegal move is the action's 409.
- The requester's name and phone are null unless the caller holds `demands.see_requester`.
- A retried `POST /demands` with the same `Idempotency-Key` header (or `idempotency_key`
  field) returns the demand the first one created, with 200 instead of 201. Keys are per
  caller: the same key from two accounts makes two demands, and nobody reads another
  account's demand by guessing its key.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, P, Query, Router, Schema
from ninja.params import HeaderEx
from ninja.responses import Status as HttpStatus

from courtyard.core.api import ErrorOut, page_response
from courtyard.core.errors import BadInput, Conflict, NotAllowed
from courtyard.demands import actions
from courtyard.demands.api.common import LIST, READ, STEP, WRITE, logged_in, utc
from courtyard.demands.models import (
    OPEN_STATUSES,
    Channel,
    Demand,
    FeedbackClass,
    Satisfaction,
    ServiceCategory,
    Status,
)
from courtyard.demands.routing import dispatch_candidates
from courtyard.people.scopes import administers
from courtyard.places.models import Place

router = Router(tags=["demands"])

ON_BEHALF_CHANNELS = (Channel.PHONE, Channel.WALK_IN, Channel.GRID_PATROL)


# ── Schemas ───────────────────────────────────────────────────────────────────────────────


class DemandOut(Schema):
    id: int
    status: Status
    channel: Channel
    category: str = Field(..., description="The service_code of the category")
    category_name: str
    place_id: int
    place_name: str
    public_summary: str
    description: str
    attributes: dict[str, Any]
    address: str
    lat: float | None
    long: float | None
    assignee_id: int | None
    assignee_name: str | None
    primary_id: int | None = Field(..., description="The demand this one was merged into")
    answer: str
    decline_reason: str
    reply: str
    resolved: bool | None
    satisfaction: Satisfaction | None
    evaluation_comment: str
    times_dispatched: int
    times_reopened: int
    is_overdue: bool
    submitted_at: datetime
    accepted_at: datetime | None
    dispatched_at: datetime | None
    signed_at: datetime | None
    contacted_at: datetime | None
    replied_at: datetime | None
    evaluated_at: datetime | None
    closed_at: datetime | None
    sign_due_at: datetime | None
    response_due_at: datetime | None
    feedback_due_at: datetime | None
    return_until: datetime | None
    due_at: datetime | None
    overdue_since: datetime | None
    escalation_level: int
    extension_requested_until: datetime | None
    extension_reason: str
    requester_name: str | None = Field(
        ..., description="Only for those who handle the demand (demands.see_requester)"
    )
    requester_phone: str | None = Field(
        ..., description="Only for those who handle the demand (demands.see_requester)"
    )


class DemandPage(Schema):
    items: list[DemandOut]
    next_cursor: str | None


class DemandFilters(Schema):
    status: Status | None = None
    category: str | None = Field(None, max_length=32, description="A service_code")
    place: int | None = Field(None, description="Only demands within this place id (its subtree)")
    assignee: int | None = Field(None, description="Only demands assigned to this organization id")
    overdue: bool | None = Field(None, description="true: open and past the deadline; false: not")
    cursor: str | None = Field(None, max_length=1024)
    limit: int | None = Field(None, ge=1, le=200)


class DemandIn(Schema):
    category: str = Field(..., max_length=32, description="The service_code of the category")
    place: int = Field(..., description="The id of the place the demand is about")
    description: str = Field(..., description="What is wrong (at most 5,000 characters)")
    address: str = Field("", description="At most 300 characters")
    lat: float | None = None
    long: float | None = None
    attributes: dict[str, str | int | float] = Field(
        default_factory=dict, description="Answers to the category's extra questions, by code"
    )
    channel: Literal["api", "phone", "walk_in", "grid_patrol"] = Field(
        "api",
        description="phone, walk_in, grid_patrol: staff recording a demand on someone's behalf",
    )
    requester_name: str = Field("", description="Only when recording on someone's behalf")
    requester_phone: str = Field("", description="Only when recording on someone's behalf")
    idempotency_key: str | None = Field(
        None, max_length=200, description="Or the Idempotency-Key header"
    )


class AnswerIn(Schema):
    answer: str


class ReasonIn(Schema):
    reason: str


class MergeIn(Schema):
    primary: int = Field(..., description="The id of the demand this one duplicates")


class DispatchIn(Schema):
    organization: int | None = Field(
        None, description="The unit's id; empty: the responsibility table decides"
    )


class NoteIn(Schema):
    note: str = ""


class ReplyIn(Schema):
    reply: str


class ExtensionIn(Schema):
    until: datetime = Field(..., description="The new reply deadline asked for")
    reason: str


class ExtensionDecisionIn(Schema):
    approve: bool


class EvaluationIn(Schema):
    resolved: bool
    satisfaction: Satisfaction
    comment: str = ""


class ServiceCategoryOut(Schema):
    service_code: str
    name: str
    name_en: str
    parent: str | None = Field(..., description="The parent's service_code")
    description: str
    keywords: str
    feedback_class: FeedbackClass
    attributes: list[dict[str, Any]] = Field(..., description="Extra questions of the intake")

    @staticmethod
    def resolve_parent(obj: ServiceCategory) -> str | None:
        return obj.parent.service_code if obj.parent else None


class ServiceCategoryPage(Schema):
    items: list[ServiceCategoryOut]
    next_cursor: str | None


class PageParams(Schema):
    cursor: str | None = Field(None, max_length=1024)
    limit: int | None = Field(None, ge=1, le=200)


# ── Helpers ───────────────────────────────────────────────────────────────────────────────


def _out(demand: Demand, see_requester: bool) -> dict[str, Any]:
    """The API's view of a demand; the requester only for those who handle it."""
    now = timezone.now()
    return {
        "id": demand.pk,
        "status": demand.status,
        "channel": demand.channel,
        "category": demand.category.service_code,
        "category_name": demand.category.display_name,
        "place_id": demand.place_id,
        "place_name": demand.place.display_name,
        "public_summary": demand.public_summary,
        "description": demand.description,
        "attributes": demand.attributes,
        "address": demand.address,
        "lat": demand.latitude,
        "long": demand.longitude,
        "assignee_id": demand.assignee_id,
        "assignee_name": demand.assignee.display_name if demand.assignee else None,
        "primary_id": demand.primary_id,
        "answer": demand.answer,
        "decline_reason": demand.decline_reason,
        "reply": demand.reply,
        "resolved": demand.resolved,
        "satisfaction": demand.satisfaction or None,
        "evaluation_comment": demand.evaluation_comment,
        "times_dispatched": demand.times_dispatched,
        "times_reopened": demand.times_reopened,
        "is_overdue": bool(
            demand.status in OPEN_STATUSES and demand.due_at is not None and demand.due_at < now
        ),
        **{
            name: utc(getattr(demand, name))
            for name in (
                "submitted_at",
                "accepted_at",
                "dispatched_at",
                "signed_at",
                "contacted_at",
                "replied_at",
                "evaluated_at",
                "closed_at",
                "sign_due_at",
                "response_due_at",
                "feedback_due_at",
                "return_until",
                "due_at",
                "overdue_since",
                "escalation_level",
                "extension_requested_until",
                "extension_reason",
            )
        },
        "requester_name": demand.requester_name if see_requester else None,
        "requester_phone": demand.requester_phone if see_requester else None,
    }


def _one_out(request: HttpRequest, demand: Demand) -> dict[str, Any]:
    return _out(demand, request.user.has_perm("demands.see_requester", demand))


def _visible(request: HttpRequest, demand_id: int) -> Demand:
    """The demand if the caller may see it; 404 otherwise (missing and forbidden alike)."""
    return get_object_or_404(
        Demand.objects.visible_to(request.user).select_related("category", "place", "assignee"),
        pk=demand_id,
    )


def _allowed(request: HttpRequest, demand_id: int, perm: str) -> Demand:
    """The demand for a step: 404 if the caller cannot see it, 403 if they see it but the
    rules do not let them take this step."""
    demand = _visible(request, demand_id)
    if not request.user.has_perm(perm, demand):
        raise NotAllowed(_("You may not take this step on this demand."))
    return demand


def _stored_key(user: Any, raw: str) -> str:
    """The idempotency key as stored: per caller, so that one account's key never finds
    another account's demand; hashed, so that any client key fits the column."""
    digest = hashlib.sha256(f"{user.pk}\n{raw}".encode()).hexdigest()
    return f"api:{digest[:60]}"


# ── The catalogue ─────────────────────────────────────────────────────────────────────────


@router.get(
    "/service-categories",
    response={200: ServiceCategoryPage, 400: ErrorOut, 401: ErrorOut, 422: ErrorOut},
    summary="The service catalogue (public)",
)
def list_service_categories(request: HttpRequest, params: Query[PageParams]) -> Any:
    qs = ServiceCategory.objects.visible_to(request.user).active().select_related("parent")
    return page_response(qs, params.cursor, params.limit, ("service_code",))


# ── Demands ───────────────────────────────────────────────────────────────────────────────


@router.get(
    "/demands",
    response={200: DemandPage, **LIST},
    summary="Demands the caller may see, newest first",
)
def list_demands(request: HttpRequest, filters: Query[DemandFilters]) -> Any:
    user = logged_in(request)
    qs = Demand.objects.visible_to(user, newest_first=True)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.category:
        qs = qs.filter(category=get_object_or_404(ServiceCategory, service_code=filters.category))
    if filters.place is not None:
        qs = qs.within(get_object_or_404(Place, pk=filters.place))
    if filters.assignee is not None:
        qs = qs.filter(assignee_id=filters.assignee)
    if filters.overdue is True:
        qs = qs.overdue()
    elif filters.overdue is False:
        qs = qs.exclude(status__in=OPEN_STATUSES, due_at__lt=timezone.now())
    # The page's ids first, then their rows: the ids come from indexes and sort as integers;
    # sorting whole rows (descriptions and all) of a unit's 25,000 orders took 250 ms.
    page = page_response(qs.only("pk"), filters.cursor, filters.limit, ("-id",))
    ids = [demand.pk for demand in page["items"]]
    rows = Demand.objects.select_related("category", "place", "assignee").in_bulk(ids)
    # One query for the page: whose requester the caller may see (demands.see_requester).
    handled = set(Demand.objects.handled_by(user).filter(pk__in=ids).values_list("pk", flat=True))
    page["items"] = [_out(rows[pk], pk in handled) for pk in ids if pk in rows]
    return page


@router.post(
    "/demands",
    response={200: DemandOut, 201: DemandOut, **WRITE},
    summary="Raise a demand (201), or get the one a retry with the same key made (200)",
)
def create_demand(
    request: HttpRequest,
    payload: DemandIn,
    idempotency_header: HeaderEx[str | None, P(alias="Idempotency-Key", max_length=200)] = None,
) -> Any:
    user = logged_in(request)
    raw_key = (idempotency_header or payload.idempotency_key or "").strip()
    key = _stored_key(user, raw_key) if raw_key else None
    if key and (earlier := Demand.objects.filter(idempotency_key=key).first()):
        return HttpStatus(200, _one_out(request, earlier))

    category = ServiceCategory.objects.active().filter(service_code=payload.category).first()
    if category is None:
        raise BadInput(_("There is no such service category."), field="category")
    place = Place.objects.filter(pk=payload.place).first()
    if place is None:
        raise BadInput(_("There is no such place."), field="place")
    on_behalf = payload.channel in ON_BEHALF_CHANNELS
    if (payload.requester_name or payload.requester_phone) and not on_behalf:
        raise BadInput(
            _(
                "A requester's name and phone are given only when staff record a demand on "
                "someone's behalf (channel phone, walk_in or grid_patrol)."
            ),
            field="requester_name",
        )
    if on_behalf and not (
        user.has_perm("demands.record_for_others", place) and administers(user, place.path)
    ):
        raise NotAllowed(_("Only staff of this place record demands on someone's behalf."))
    try:
        demand = actions.submit_demand(
            by=user,
            channel=payload.channel,
            place=place,
            category=category,
            description=payload.description,
            requester=None if on_behalf else user,
            requester_name=payload.requester_name,
            requester_phone=payload.requester_phone,
            address=payload.address,
            latitude=payload.lat,
            longitude=payload.long,
            attributes=dict(payload.attributes),
            idempotency_key=key,
        )
    except Conflict:
        # The same key raced in from a parallel retry: that one won; answer with its demand.
        if key and (earlier := Demand.objects.filter(idempotency_key=key).first()):
            return HttpStatus(200, _one_out(request, earlier))
        raise
    return HttpStatus(201, _one_out(request, demand))


@router.get("/demands/{demand_id}", response={200: DemandOut, **READ}, summary="One demand")
def get_demand(request: HttpRequest, demand_id: int) -> Any:
    return _one_out(request, _visible(request, demand_id))


# ── Steps: one endpoint per action ────────────────────────────────────────────────────────


@router.post("/demands/{demand_id}/accept", response={200: DemandOut, **STEP}, summary="Accept")
def accept_demand(request: HttpRequest, demand_id: int) -> Any:
    demand = _allowed(request, demand_id, "demands.triage")
    return _one_out(request, actions.accept_demand(demand, by=request.user))


@router.post(
    "/demands/{demand_id}/answer",
    response={200: DemandOut, **STEP},
    summary="Answer a consultation directly",
)
def answer_demand(request: HttpRequest, demand_id: int, payload: AnswerIn) -> Any:
    demand = _allowed(request, demand_id, "demands.triage")
    return _one_out(request, actions.answer_demand(demand, by=request.user, answer=payload.answer))


@router.post(
    "/demands/{demand_id}/decline",
    response={200: DemandOut, **STEP},
    summary="Decline, with the reason the requester will read",
)
def decline_demand(request: HttpRequest, demand_id: int, payload: ReasonIn) -> Any:
    demand = _allowed(request, demand_id, "demands.triage")
    return _one_out(request, actions.decline_demand(demand, by=request.user, reason=payload.reason))


@router.post(
    "/demands/{demand_id}/merge",
    response={200: DemandOut, **STEP},
    summary="Merge a duplicate into its primary",
)
def merge_demand(request: HttpRequest, demand_id: int, payload: MergeIn) -> Any:
    demand = _allowed(request, demand_id, "demands.triage")
    primary = Demand.objects.administered_by(request.user).filter(pk=payload.primary).first()
    if primary is None:  # a primary the caller cannot see is no primary for them
        raise BadInput(_("There is no such demand to merge into."), field="primary")
    return _one_out(request, actions.merge_demand(demand, by=request.user, primary=primary))


@router.post(
    "/demands/{demand_id}/dispatch",
    response={200: DemandOut, **STEP},
    summary="Dispatch to the responsible unit (or to the one chosen)",
)
def dispatch_demand(request: HttpRequest, demand_id: int, payload: DispatchIn) -> Any:
    demand = _allowed(request, demand_id, "demands.triage")
    organization = None
    if payload.organization is not None:
        organization = dispatch_candidates(demand).filter(pk=payload.organization).first()
        if organization is None:
            raise BadInput(_("There is no such unit."), field="organization")
    return _one_out(
        request, actions.dispatch_demand(demand, by=request.user, organization=organization)
    )


@router.post(
    "/demands/{demand_id}/return",
    response={200: DemandOut, **STEP},
    summary="Return a misrouted order (the unit)",
)
def return_demand(request: HttpRequest, demand_id: int, payload: ReasonIn) -> Any:
    demand = _allowed(request, demand_id, "demands.handle")
    return _one_out(request, actions.return_demand(demand, by=request.user, reason=payload.reason))


@router.post(
    "/demands/{demand_id}/sign",
    response={200: DemandOut, **STEP},
    summary="Sign for a dispatched order (the unit)",
)
def sign_demand(request: HttpRequest, demand_id: int) -> Any:
    demand = _allowed(request, demand_id, "demands.handle")
    return _one_out(request, actions.sign_demand(demand, by=request.user))


@router.post(
    "/demands/{demand_id}/contact",
    response={200: DemandOut, **STEP},
    summary="Record the first contact with the requester (the response)",
)
def contact_requester(request: HttpRequest, demand_id: int, payload: NoteIn) -> Any:
    demand = _allowed(request, demand_id, "demands.handle")
    return _one_out(request, actions.contact_requester(demand, by=request.user, note=payload.note))


@router.post(
    "/demands/{demand_id}/reply",
    response={200: DemandOut, **STEP},
    summary="Reply: what was done (the unit)",
)
def reply_demand(request: HttpRequest, demand_id: int, payload: ReplyIn) -> Any:
    demand = _allowed(request, demand_id, "demands.handle")
    return _one_out(request, actions.reply_demand(demand, by=request.user, reply=payload.reply))


@router.post(
    "/demands/{demand_id}/extension",
    response={200: DemandOut, **STEP},
    summary="Ask the street for more time to reply (the unit)",
)
def request_extension(request: HttpRequest, demand_id: int, payload: ExtensionIn) -> Any:
    demand = _allowed(request, demand_id, "demands.handle")
    until = payload.until
    if timezone.is_naive(until):
        until = timezone.make_aware(until)
    return _one_out(
        request,
        actions.request_extension(demand, by=request.user, until=until, reason=payload.reason),
    )


@router.post(
    "/demands/{demand_id}/extension/decision",
    response={200: DemandOut, **STEP},
    summary="Grant or refuse the time asked for (the street)",
)
def decide_extension(request: HttpRequest, demand_id: int, payload: ExtensionDecisionIn) -> Any:
    demand = _allowed(request, demand_id, "demands.decide_extension")
    return _one_out(
        request, actions.decide_extension(demand, by=request.user, approve=payload.approve)
    )


@router.post(
    "/demands/{demand_id}/evaluate",
    response={200: DemandOut, **STEP},
    summary="Rate the result (the requester)",
)
def evaluate_demand(request: HttpRequest, demand_id: int, payload: EvaluationIn) -> Any:
    demand = _allowed(request, demand_id, "demands.evaluate")
    return _one_out(
        request,
        actions.evaluate_demand(
            demand,
            by=request.user,
            resolved=payload.resolved,
            satisfaction=payload.satisfaction,
            comment=payload.comment,
        ),
    )


@router.post(
    "/demands/{demand_id}/reopen",
    response={200: DemandOut, **STEP},
    summary="Reopen: not solved after all",
)
def reopen_demand(request: HttpRequest, demand_id: int, payload: ReasonIn) -> Any:
    demand = _allowed(request, demand_id, "demands.reopen")
    return _one_out(request, actions.reopen_demand(demand, by=request.user, reason=payload.reason))


@router.post(
    "/demands/{demand_id}/close",
    response={200: DemandOut, **STEP},
    summary="Close a replied demand that was not evaluated",
)
def close_demand(request: HttpRequest, demand_id: int) -> Any:
    demand = _allowed(request, demand_id, "demands.close")
    return _one_out(request, actions.close_demand(demand, by=request.user))

"""Proposals (议题) in the API: /api/v1/councils/{id}/proposals and /api/v1/proposals/{id}.

- Proposals of a visible council are public, but the proposer's identity (and the demand
  it was made from) only for `councils.see_proposer`: the staff over the place and the
  proposer. Everyone else reads the organization that raised it, if any, and nulls.
- Raising and supporting need an account; withdrawing is the proposer's; screening onto the
  agenda and declining are for the staff over the place (`councils.manage`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status as HttpStatus

from courtyard.core.api import page_response
from courtyard.councils import actions
from courtyard.councils.api.common import (
    LIST,
    READ,
    STEP,
    PageParams,
    allow,
    one_of,
    organization_named,
    utc,
    visible,
)
from courtyard.councils.models import Council, Proposal, ProposalStatus
from courtyard.demands.models import Demand

router = Router(tags=["councils"])


class ProposalOut(Schema):
    id: int
    council_id: int
    title: str
    body: str
    status: ProposalStatus
    organization_id: int | None = Field(..., description="The unit or organization raising it")
    organization_name: str | None
    proposer_id: int | None = Field(
        ..., description="Only for the staff over the place and the proposer"
    )
    proposer_name: str | None = Field(
        ..., description="Only for the staff over the place and the proposer"
    )
    demand_id: int | None = Field(
        ..., description="The demand it was made from (staff over the place and the proposer)"
    )
    support_count: int
    support_threshold: int = Field(..., description="Supporters that oblige screening")
    threshold_reached_at: datetime | None
    screen_due_at: datetime | None
    screening_overdue: bool = Field(..., description="Raised, and not screened by screen_due_at")
    screened_at: datetime | None
    decline_reason: str
    raised_at: datetime


class ProposalPage(Schema):
    items: list[ProposalOut]
    next_cursor: str | None


class ProposalFilters(PageParams):
    status: ProposalStatus | None = None


class ProposalIn(Schema):
    title: str = Field(..., description="At most 200 characters")
    body: str = Field(..., description="What and why (at most 5,000 characters)")
    organization: int | None = Field(None, description="A unit the caller acts for")
    demand: int | None = Field(None, description="A demand the caller may see, made a proposal")


class ReasonIn(Schema):
    reason: str


def _out(proposal: Proposal, user: Any, now: datetime) -> dict[str, Any]:
    """The API's view of a proposal; the proposer only for those who may see them."""
    see = user.has_perm("councils.see_proposer", proposal)
    org = proposal.organization
    return {
        "id": proposal.pk,
        "council_id": proposal.council_id,
        "title": proposal.title,
        "body": proposal.body,
        "status": proposal.status,
        "organization_id": proposal.organization_id,
        "organization_name": org.display_name if org else None,
        "proposer_id": proposal.proposer_id if see else None,
        "proposer_name": (
            proposal.proposer.display_name or proposal.proposer.get_username() if see else None
        ),
        "demand_id": proposal.demand_id if see else None,
        "support_count": proposal.support_count,
        "support_threshold": proposal.council.support_threshold,
        "threshold_reached_at": utc(proposal.threshold_reached_at),
        "screen_due_at": utc(proposal.screen_due_at),
        "screening_overdue": proposal.status == ProposalStatus.RAISED
        and proposal.screen_due_at is not None
        and proposal.screen_due_at < now,
        "screened_at": utc(proposal.screened_at),
        "decline_reason": proposal.decline_reason,
        "raised_at": utc(proposal.raised_at),
    }


def _readable(user: Any) -> Any:
    return Proposal.objects.visible_to(user).select_related("council", "organization", "proposer")


def _one_out(request: HttpRequest, proposal_id: int) -> dict[str, Any]:
    """The proposal as it is now (after a step), read afresh."""
    return _out(visible(_readable(request.user), proposal_id), request.user, timezone.now())


def _allowed(request: HttpRequest, proposal_id: int, perm: str) -> Proposal:
    proposal = visible(_readable(request.user), proposal_id)
    allow(request, perm, proposal)
    return proposal


@router.get(
    "/councils/{council_id}/proposals",
    response={200: ProposalPage, **LIST},
    summary="A council's proposals, newest first",
)
def list_proposals(request: HttpRequest, council_id: int, filters: Query[ProposalFilters]) -> Any:
    council = visible(Council.objects.visible_to(request.user), council_id)
    qs = _readable(request.user).filter(council=council)
    if filters.status:
        qs = qs.filter(status=filters.status)
    page = page_response(qs, filters.cursor, filters.limit, ("-raised_at", "-id"))
    now = timezone.now()
    page["items"] = [_out(p, request.user, now) for p in page["items"]]
    return page


@router.post(
    "/councils/{council_id}/proposals",
    response={201: ProposalOut, **STEP},
    summary="Raise a proposal (any account; for a unit the caller acts for, or from a demand)",
)
def raise_proposal(request: HttpRequest, council_id: int, payload: ProposalIn) -> Any:
    council = visible(Council.objects.visible_to(request.user), council_id)
    user = allow(request, "councils.raise_proposal", council)
    organization = organization_named(payload.organization)
    demand = one_of(
        Demand.objects.visible_to(user),
        payload.demand,
        field="demand",
        missing=_("You have no demand with this number."),
    )
    proposal = actions.raise_proposal(
        council,
        by=user,
        title=payload.title,
        body=payload.body,
        organization=organization,
        demand=demand,
    )
    return HttpStatus(201, _one_out(request, proposal.pk))


@router.get("/proposals/{proposal_id}", response={200: ProposalOut, **READ}, summary="One proposal")
def get_proposal(request: HttpRequest, proposal_id: int) -> Any:
    return _one_out(request, proposal_id)


@router.post(
    "/proposals/{proposal_id}/support",
    response={200: ProposalOut, **STEP},
    summary="Support a proposal (once per person)",
)
def support_proposal(request: HttpRequest, proposal_id: int) -> Any:
    proposal = _allowed(request, proposal_id, "councils.support_proposal")
    actions.support_proposal(proposal, by=request.user)
    return _one_out(request, proposal_id)


@router.post(
    "/proposals/{proposal_id}/withdraw",
    response={200: ProposalOut, **STEP},
    summary="Withdraw a proposal (its proposer)",
)
def withdraw_proposal(request: HttpRequest, proposal_id: int) -> Any:
    proposal = _allowed(request, proposal_id, "councils.withdraw_proposal")
    actions.withdraw_proposal(proposal, by=request.user)
    return _one_out(request, proposal_id)


@router.post(
    "/proposals/{proposal_id}/screen",
    response={200: ProposalOut, **STEP},
    summary="Put a proposal on the council's agenda (the staff over the place)",
)
def screen_proposal(request: HttpRequest, proposal_id: int) -> Any:
    proposal = _allowed(request, proposal_id, "councils.manage")
    actions.screen_proposal(proposal, by=request.user)
    return _one_out(request, proposal_id)


@router.post(
    "/proposals/{proposal_id}/decline",
    response={200: ProposalOut, **STEP},
    summary="Decline a proposal with a reason the proposer reads (the staff over the place)",
)
def decline_proposal(request: HttpRequest, proposal_id: int, payload: ReasonIn) -> Any:
    proposal = _allowed(request, proposal_id, "councils.manage")
    actions.decline_proposal(proposal, by=request.user, reason=payload.reason)
    return _one_out(request, proposal_id)

"""Proposals (议题): raise, support, screen onto the agenda or decline, withdraw."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from courtyard.core.errors import BadInput, Conflict
from courtyard.councils.actions._common import (
    TITLE_MAX,
    clean_text,
    locked,
    log,
    now_or,
    require_status,
)
from courtyard.councils.models import Council, Proposal, ProposalStatus, ProposalSupport
from courtyard.notifications import events as notices
from courtyard.organizations.models import Organization, handled_organizations


def _may_raise_from(demand: Any, council: Council, by: Any) -> bool:
    """A demand becomes a proposal of a council whose place holds it, by its requester or
    by those who see it in full (`demands.see_requester`)."""
    if not demand.place_path.startswith(council.place_path):
        return False
    return demand.requester_id == getattr(by, "pk", None) or by.has_perm(
        "demands.see_requester", demand
    )


@transaction.atomic
def raise_proposal(
    council: Council,
    *,
    by: Any,
    title: str,
    body: str,
    organization: Organization | None = None,
    demand: Any = None,
    now: datetime | None = None,
) -> Proposal:
    """A resident, or someone acting for a unit or organization they handle, raises a
    proposal. A proposal made from a demand keeps the link (one proposal per demand)."""
    if not council.is_active:
        raise Conflict(_("This council no longer meets."))
    if (
        organization is not None
        and not handled_organizations(by).filter(pk=organization.pk).exists()
    ):
        raise BadInput(_("You do not act for this organization."), field="organization")
    if demand is not None and not _may_raise_from(demand, council, by):
        raise BadInput(
            _(
                "A proposal is made from a demand of this council's place that you handle or raised."
            ),
            field="demand",
        )
    at = now_or(now)
    try:
        with transaction.atomic():
            proposal = Proposal.objects.create(
                council=council,
                place_path=council.place_path,
                title=clean_text(title, "title", limit=TITLE_MAX),
                body=clean_text(body, "body"),
                proposer=by,
                organization=organization,
                demand=demand,
                raised_at=at,
            )
    except IntegrityError as exc:
        raise Conflict(_("A proposal has already been made from this demand.")) from exc
    log(proposal, by=by, verb="proposal_raised", at=at, demand=getattr(demand, "pk", None))
    return proposal


@transaction.atomic
def support_proposal(proposal: Proposal, *, by: Any, now: datetime | None = None) -> Proposal:
    """Add `by`'s support, once. The first time the count reaches the council's threshold,
    the screening clock starts (`screen_due_at`)."""
    proposal = (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("council")
        .get(pk=proposal.pk)
    )
    require_status(
        proposal,
        {ProposalStatus.RAISED},
        _("This proposal is %(status)s: it takes no more support."),
    )
    if proposal.proposer_id == by.pk:
        raise Conflict(_("You raised this proposal: your support is already counted."))
    at = now_or(now)
    try:
        with transaction.atomic():
            ProposalSupport.objects.create(proposal=proposal, user=by, created_at=at)
    except IntegrityError as exc:
        raise Conflict(_("You already support this proposal.")) from exc
    Proposal.objects.filter(pk=proposal.pk).update(support_count=F("support_count") + 1)
    proposal.refresh_from_db(fields=["support_count"])
    if (
        proposal.threshold_reached_at is None
        and proposal.support_count >= proposal.council.support_threshold
    ):
        proposal.threshold_reached_at = at
        proposal.screen_due_at = at + timedelta(days=proposal.council.screening_days)
        proposal.save(update_fields=["threshold_reached_at", "screen_due_at"])
        log(
            proposal,
            by=None,
            verb="proposal_threshold_reached",
            at=at,
            supporters=proposal.support_count,
        )
        notices.proposal_to_staff(proposal, by=by)
    log(proposal, by=by, verb="proposal_supported", at=at)
    return proposal


@transaction.atomic
def screen_proposal(proposal: Proposal, *, by: Any, now: datetime | None = None) -> Proposal:
    """The community puts the proposal on the council's agenda (it may then be moved at a
    meeting)."""
    proposal = locked(proposal)
    require_status(
        proposal,
        {ProposalStatus.RAISED},
        _("This proposal is %(status)s: it cannot be screened now."),
    )
    at = now_or(now)
    proposal.status = ProposalStatus.ON_AGENDA
    proposal.screened_at = at
    proposal.save(update_fields=["status", "screened_at"])
    log(
        proposal,
        by=by,
        verb="proposal_screened",
        at=at,
        status=[ProposalStatus.RAISED, proposal.status],
    )
    notices.proposal_to_proposer(proposal, verb="proposal_screened", by=by)
    return proposal


@transaction.atomic
def decline_proposal(
    proposal: Proposal, *, by: Any, reason: str, now: datetime | None = None
) -> Proposal:
    """Screened out, with a reason the proposer can read (e.g. it belongs to a court)."""
    reason = clean_text(reason, "reason", limit=2000)
    proposal = locked(proposal)
    require_status(
        proposal,
        {ProposalStatus.RAISED, ProposalStatus.ON_AGENDA},
        _("This proposal is %(status)s: it cannot be declined now."),
    )
    at = now_or(now)
    old = proposal.status
    proposal.status = ProposalStatus.DECLINED
    proposal.screened_at = at
    proposal.decline_reason = reason
    proposal.save(update_fields=["status", "screened_at", "decline_reason"])
    log(
        proposal,
        by=by,
        verb="proposal_declined",
        at=at,
        status=[old, proposal.status],
        reason=reason,
    )
    notices.proposal_to_proposer(proposal, verb="proposal_declined", by=by)
    return proposal


@transaction.atomic
def withdraw_proposal(proposal: Proposal, *, by: Any, now: datetime | None = None) -> Proposal:
    """The proposer takes it back before it is decided."""
    proposal = locked(proposal)
    if proposal.proposer_id != by.pk:
        raise Conflict(_("Only the proposer can withdraw a proposal."))
    require_status(
        proposal,
        {ProposalStatus.RAISED, ProposalStatus.ON_AGENDA},
        _("This proposal is %(status)s: it cannot be withdrawn now."),
    )
    old = proposal.status
    proposal.status = ProposalStatus.WITHDRAWN
    proposal.save(update_fields=["status"])
    log(proposal, by=by, verb="proposal_withdrawn", at=now_or(now), status=[old, proposal.status])
    return proposal

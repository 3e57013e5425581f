"""The councils' clocks, swept by `courtyard check_council_clocks` (idempotent; safe to run
every minute and from several processes: each row is claimed by a conditional update)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from courtyard.councils.actions._common import log, now_or
from courtyard.councils.actions.resolutions import take_effect
from courtyard.councils.models import Proposal, ProposalStatus, Resolution


@dataclass
class Swept:
    screening_overdue: int = 0
    in_effect: int = 0


def check_council_clocks(*, now: datetime | None = None, batch: int = 1000) -> Swept:
    """Mark proposals past their screening deadline (once) and put resolutions in effect
    whose publication and objection periods are over."""
    at = now_or(now)
    swept = Swept()
    overdue = Proposal.objects.screening_overdue(at).filter(screening_overdue_at__isnull=True)
    for proposal in overdue.order_by("screen_due_at", "pk")[:batch]:
        with transaction.atomic():
            claimed = Proposal.objects.filter(
                pk=proposal.pk, status=ProposalStatus.RAISED, screening_overdue_at__isnull=True
            ).update(screening_overdue_at=at)
            if claimed:
                swept.screening_overdue += 1
                log(
                    proposal,
                    by=None,
                    verb="proposal_screening_overdue",
                    at=at,
                    due=proposal.screen_due_at.isoformat() if proposal.screen_due_at else None,
                )
    for resolution in Resolution.objects.due_to_take_effect(at).order_by("objection_ends_at", "pk")[
        :batch
    ]:
        with transaction.atomic():
            swept.in_effect += take_effect(resolution, now=at)
    return swept

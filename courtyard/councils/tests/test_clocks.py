"""The councils' clocks on a frozen time: the screening deadline of a supported proposal and
a published resolution taking effect — before, at and after each moment; the sweep is
idempotent, also through `courtyard check_council_clocks`."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from courtyard.councils import actions
from courtyard.councils.models import Proposal, ResolutionStatus
from courtyard.councils.tests.steps import SECOND, T0, events, published_resolution

pytestmark = pytest.mark.django_db


def supported(board, personas, supporters: int = 3) -> Proposal:  # type: ignore[no-untyped-def]
    proposal = actions.raise_proposal(
        board.council, by=personas.resident, title="加装路灯", body="院内太黑。", now=T0
    )
    for member in board.members[:supporters]:
        proposal = actions.support_proposal(proposal, by=member.user, now=T0)
    return proposal


def test_the_screening_clock_marks_an_unscreened_proposal_once_after_its_deadline(board, personas):
    proposal = supported(board, personas)
    due = T0 + timedelta(days=10)
    assert proposal.screen_due_at == due
    assert actions.check_council_clocks(now=due - SECOND).screening_overdue == 0
    assert actions.check_council_clocks(now=due).screening_overdue == 0  # due at, not overdue
    assert actions.check_council_clocks(now=due + SECOND).screening_overdue == 1
    proposal.refresh_from_db()
    assert (proposal.status, proposal.screening_overdue_at) == ("raised", due + SECOND)
    [event] = events(proposal, "proposal_screening_overdue")
    assert (event.actor, event.created_at) == (None, due + SECOND)
    assert datetime.fromisoformat(event.changes["due"][1]) == due
    later = due + timedelta(days=3)
    assert actions.check_council_clocks(now=later).screening_overdue == 0  # idempotent
    proposal.refresh_from_db()
    assert proposal.screening_overdue_at == due + SECOND
    assert len(events(proposal, "proposal_screening_overdue")) == 1


def test_a_screened_or_unsupported_proposal_is_never_overdue(board, personas):
    screened = actions.screen_proposal(
        supported(board, personas), by=personas.here, now=T0 + timedelta(days=1)
    )
    quiet = supported(board, personas, supporters=2)
    assert quiet.screen_due_at is None
    swept = actions.check_council_clocks(now=T0 + timedelta(days=400))
    assert swept.screening_overdue == 0
    screened.refresh_from_db()
    quiet.refresh_from_db()
    assert screened.screening_overdue_at is None and quiet.screening_overdue_at is None


def test_a_resolution_takes_effect_when_both_periods_are_over(board, personas):
    actions.change_charter(board.council, by=personas.here, objection_days=10)
    resolution = published_resolution(board, personas)  # Friday: 5 working days = 7 days
    assert resolution.objection_ends_at - resolution.publication_ends_at == timedelta(days=3)
    for moment in (resolution.publication_ends_at, resolution.objection_ends_at - SECOND):
        assert actions.check_council_clocks(now=moment).in_effect == 0
    resolution.refresh_from_db()
    assert resolution.status == ResolutionStatus.PUBLISHED
    end = resolution.objection_ends_at
    assert actions.check_council_clocks(now=end).in_effect == 1
    assert actions.check_council_clocks(now=end + timedelta(days=1)).in_effect == 0
    resolution.refresh_from_db()
    assert (resolution.status, resolution.took_effect_at) == (ResolutionStatus.IN_EFFECT, end)
    [event] = events(resolution, "resolution_in_effect")
    assert event.changes == {"status": ["published", "in_effect"]} and event.created_at == end


def test_the_working_days_can_outlast_the_objection_window(board, personas):
    actions.change_charter(board.council, by=personas.here, objection_days=1)
    resolution = published_resolution(board, personas)
    assert actions.check_council_clocks(now=resolution.publication_ends_at - SECOND).in_effect == 0
    assert actions.check_council_clocks(now=resolution.publication_ends_at).in_effect == 1


def test_the_command_sweeps_on_the_current_time(board, personas, monkeypatch):
    proposal = supported(board, personas)
    resolution = published_resolution(board, personas)
    frozen = resolution.objection_ends_at + timedelta(days=30)
    monkeypatch.setattr(timezone, "now", lambda: frozen)
    out = StringIO()
    call_command("check_council_clocks", stdout=out)
    assert out.getvalue().strip() == "screening overdue: 1, in effect: 1"
    out = StringIO()
    call_command("check_council_clocks", stdout=out)
    assert out.getvalue().strip() == "screening overdue: 0, in effect: 0"
    proposal.refresh_from_db()
    resolution.refresh_from_db()
    assert (proposal.screening_overdue_at, resolution.took_effect_at) == (frozen, frozen)

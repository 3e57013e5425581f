"""Proposals: raise, support (the threshold starts the screening clock), screen, decline,
withdraw — every transition and every refused one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from courtyard.core.errors import BadInput, Conflict
from courtyard.councils import actions
from courtyard.councils.models import Proposal, ProposalStatus, ProposalSupport
from courtyard.councils.tests.steps import SECOND, T0, events, on_agenda, unchanged
from courtyard.demands import actions as demand_actions
from courtyard.demands.models import Channel
from courtyard.demands.tests.conftest import catalogue  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def raised(board, personas, **kwargs) -> Proposal:  # type: ignore[no-untyped-def]
    return actions.raise_proposal(
        board.council, by=personas.resident, title="加装晾衣架", body="楼前空地。", now=T0, **kwargs
    )


def test_a_raised_proposal_has_exact_values_and_an_audit_row(board, personas):
    proposal = raised(board, personas)
    proposal.refresh_from_db()
    assert (proposal.status, proposal.support_count, proposal.raised_at) == ("raised", 0, T0)
    assert (proposal.place_path, proposal.proposer) == (board.council.place_path, personas.resident)
    assert proposal.screen_due_at is None
    [event] = events(proposal)
    assert (event.verb, event.actor, event.place_path) == (
        "proposal_raised",
        personas.resident,
        board.council.place_path,
    )


def test_a_handler_raises_for_their_unit_but_not_for_another(board, personas, city):
    proposal = actions.raise_proposal(
        board.council,
        by=personas.handler,
        title="共建",
        body="单位出场地。",
        organization=city.unit,
    )
    assert proposal.organization == city.unit
    with unchanged(), pytest.raises(BadInput) as caught:
        actions.raise_proposal(
            board.council, by=personas.handler, title="x", body="y", organization=city.sibling_unit
        )
    assert caught.value.field == "organization"


@pytest.mark.parametrize(
    ("title", "body", "field"),
    [("", "body", "title"), ("  ", "body", "title"), ("t", "", "body"), ("t", "a\x00b", "body"),
     ("x" * 201, "body", "title")],
)  # fmt: skip
def test_a_proposal_without_clean_text_is_refused(board, personas, title, body, field):
    with unchanged(), pytest.raises(BadInput) as caught:
        actions.raise_proposal(board.council, by=personas.resident, title=title, body=body)
    assert caught.value.field == field


def test_an_inactive_council_takes_no_proposals(board, personas):
    board.council.is_active = False
    board.council.save(update_fields=["is_active"])
    with unchanged(), pytest.raises(Conflict):
        raised(board, personas)


def test_one_proposal_per_demand(board, personas, city, catalogue):  # noqa: F811
    demand = demand_actions.submit_demand(
        by=personas.resident,
        channel=Channel.WEB,
        place=city.community,
        category=catalogue.streetlight,
        description="院门口路灯不亮，晚上看不见路。",
        requester=personas.resident,
    )
    proposal = raised(board, personas, demand=demand)
    assert proposal.demand == demand
    assert events(proposal)[0].changes == {"demand": [None, demand.pk]}
    with unchanged(proposal), pytest.raises(Conflict) as caught:
        raised(board, personas, demand=demand)
    assert caught.value.message == "A proposal has already been made from this demand."


def test_support_counts_once_and_the_threshold_starts_the_screening_clock(board, personas):
    proposal = raised(board, personas)
    supporters = [m.user for m in board.members]
    for i, user in enumerate(supporters[:2], 1):
        proposal = actions.support_proposal(proposal, by=user, now=T0 + i * SECOND)
    assert (proposal.support_count, proposal.screen_due_at) == (2, None)
    reached = T0 + timedelta(hours=5)
    proposal = actions.support_proposal(proposal, by=supporters[2], now=reached)  # threshold 3
    proposal.refresh_from_db()
    assert proposal.support_count == 3
    assert proposal.threshold_reached_at == reached
    assert proposal.screen_due_at == reached + timedelta(days=10)
    [event] = events(proposal, "proposal_threshold_reached")
    assert event.changes == {"supporters": [None, 3]} and event.actor is None
    # Later supporters do not restart the clock.
    proposal = actions.support_proposal(proposal, by=supporters[3], now=reached + timedelta(days=1))
    proposal.refresh_from_db()
    assert (proposal.support_count, proposal.screen_due_at) == (4, reached + timedelta(days=10))
    assert len(events(proposal, "proposal_threshold_reached")) == 1
    assert len(events(proposal, "proposal_supported")) == 4
    assert ProposalSupport.objects.filter(proposal=proposal).count() == 4


def test_supporting_twice_or_ones_own_proposal_is_refused(board, personas):
    proposal = raised(board, personas)
    actions.support_proposal(proposal, by=board.chair.user)
    with unchanged(proposal), pytest.raises(Conflict) as caught:
        actions.support_proposal(proposal, by=board.chair.user)
    assert caught.value.message == "You already support this proposal."
    with unchanged(proposal), pytest.raises(Conflict) as caught:
        actions.support_proposal(proposal, by=personas.resident)
    assert caught.value.message == "You raised this proposal: your support is already counted."


def test_a_screened_proposal_takes_no_more_support(board, personas):
    proposal = on_agenda(board, personas)
    with unchanged(proposal), pytest.raises(Conflict) as caught:
        actions.support_proposal(proposal, by=board.chair.user)
    assert caught.value.message == "This proposal is on the agenda: it takes no more support."


def test_screening_puts_it_on_the_agenda_once(board, personas):
    proposal = actions.screen_proposal(raised(board, personas), by=personas.here, now=T0)
    proposal.refresh_from_db()
    assert (proposal.status, proposal.screened_at) == (ProposalStatus.ON_AGENDA, T0)
    assert events(proposal, "proposal_screened")[0].changes == {"status": ["raised", "on_agenda"]}
    with unchanged(proposal), pytest.raises(Conflict):
        actions.screen_proposal(proposal, by=personas.here)


def test_declining_needs_a_reason_and_ends_the_proposal(board, personas):
    proposal = raised(board, personas)
    with unchanged(proposal), pytest.raises(BadInput) as caught:
        actions.decline_proposal(proposal, by=personas.here, reason="  ")
    assert caught.value.field == "reason"
    actions.decline_proposal(proposal, by=personas.here, reason="属于法院管辖。", now=T0)
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decline_reason, proposal.screened_at) == (
        "declined",
        "属于法院管辖。",
        T0,
    )
    assert events(proposal, "proposal_declined")[0].changes == {
        "status": ["raised", "declined"],
        "reason": [None, "属于法院管辖。"],
    }
    for refused in (actions.screen_proposal, actions.withdraw_proposal):
        with unchanged(proposal), pytest.raises(Conflict):
            refused(
                proposal,
                by=personas.resident if refused is actions.withdraw_proposal else personas.here,
            )
    with unchanged(proposal), pytest.raises(Conflict):
        actions.decline_proposal(proposal, by=personas.here, reason="再次")


def test_a_proposal_on_the_agenda_may_still_be_declined(board, personas):
    proposal = actions.decline_proposal(on_agenda(board, personas), by=personas.here, reason="重复")
    assert proposal.status == ProposalStatus.DECLINED


def test_only_the_proposer_withdraws_and_only_before_it_is_decided(board, personas):
    proposal = on_agenda(board, personas)
    with unchanged(proposal), pytest.raises(Conflict) as caught:
        actions.withdraw_proposal(proposal, by=personas.here)
    assert caught.value.message == "Only the proposer can withdraw a proposal."
    actions.withdraw_proposal(proposal, by=personas.resident, now=T0)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.WITHDRAWN
    assert events(proposal, "proposal_withdrawn")[0].changes == {
        "status": ["on_agenda", "withdrawn"]
    }
    with unchanged(proposal), pytest.raises(Conflict):
        actions.withdraw_proposal(proposal, by=personas.resident)

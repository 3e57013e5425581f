"""Races decided by the database (PostgreSQL: real concurrent writers, each thread on its own
connection): one voter one ballot, one paper once, one support per person, one sweep per row."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection

from courtyard.core.errors import Conflict
from courtyard.core.models import AuditEvent
from courtyard.councils import actions
from courtyard.councils.models import Ballot, ProposalSupport, Vote
from courtyard.councils.tests.steps import T0, voter_of

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent writers"),
    pytest.mark.django_db(transaction=True),
]

OPENS, CLOSES = T0 + timedelta(days=1), T0 + timedelta(days=8)


def race(*calls: Callable[[], object]) -> list[object]:
    """Run the calls at once, one thread each; their results or the exceptions they raised."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = []
    lock = threading.Lock()

    def run(call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            result: object = call()
        except Exception as exc:  # recorded and asserted by the test
            result = exc
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == len(calls)
    return outcomes


def conflicts(outcomes: list[object]) -> int:
    unexpected = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, Conflict)]
    assert not unexpected, unexpected
    return sum(isinstance(o, Conflict) for o in outcomes)


@pytest.fixture
def vote(board, personas) -> Vote:
    vote = actions.create_vote(
        board.council, by=personas.here, title="是否更换门禁", online_opens_at=OPENS,
        online_closes_at=CLOSES, now=T0,
    )  # fmt: skip
    return actions.open_vote(vote, by=personas.here, now=T0)


def test_two_online_ballots_of_one_voter_at_once_make_one_ballot(board, vote):
    user = board.chair.user
    outcomes = race(
        lambda: actions.cast_ballot(vote, by=user, choice="yes", now=OPENS),
        lambda: actions.cast_ballot(vote, by=user, choice="no", now=OPENS),
    )
    assert conflicts(outcomes) == 0  # the later one is a change of the online ballot
    assert Ballot.objects.filter(vote=vote).count() == 1
    vote.refresh_from_db()
    assert vote.ballot_count == 1
    assert AuditEvent.objects.filter(verb="ballot_cast").count() == 1
    assert AuditEvent.objects.filter(verb="ballot_changed").count() == 1


def test_two_paper_ballots_of_one_voter_at_once_make_one_ballot(board, personas, vote):
    voter = voter_of(vote, board.chair)
    outcomes = race(
        lambda: actions.record_paper_ballot(
            vote, by=personas.here, voter=voter, choice="yes", paper_ref="P-1"
        ),
        lambda: actions.record_paper_ballot(
            vote, by=board.secretary.user, voter=voter, choice="no", paper_ref="P-2"
        ),
    )
    assert conflicts(outcomes) == 1
    assert Ballot.objects.filter(vote=vote).count() == 1
    vote.refresh_from_db()
    assert vote.ballot_count == 1


def test_one_paper_entered_twice_at_once_counts_once(board, personas, vote):
    outcomes = race(
        lambda: actions.record_paper_ballot(
            vote, by=personas.here, voter=voter_of(vote, board.chair), choice="yes", paper_ref="P-1"
        ),
        lambda: actions.record_paper_ballot(
            vote, by=personas.here, voter=voter_of(vote, board.secretary), choice="no",
            paper_ref="P-1",
        ),
    )  # fmt: skip
    assert conflicts(outcomes) == 1
    assert Ballot.objects.filter(vote=vote).count() == 1
    vote.refresh_from_db()
    assert vote.ballot_count == 1


def test_two_supports_from_one_person_at_once_count_once(board, personas):
    proposal = actions.raise_proposal(
        board.council, by=personas.resident, title="加装路灯", body="院内太黑。"
    )
    user = board.chair.user
    outcomes = race(*(lambda: actions.support_proposal(proposal, by=user) for _ in range(2)))
    assert conflicts(outcomes) == 1
    assert ProposalSupport.objects.filter(proposal=proposal).count() == 1
    proposal.refresh_from_db()
    assert proposal.support_count == 1


def test_two_sweeps_at_once_mark_each_proposal_once(board, personas):
    proposals = []
    for n in range(4):
        proposal = actions.raise_proposal(
            board.council, by=personas.resident, title=f"议题{n}", body="正文", now=T0
        )
        for member in board.members[:3]:
            actions.support_proposal(proposal, by=member.user, now=T0)
        proposals.append(proposal)
    later = T0 + timedelta(days=11)
    outcomes = race(
        lambda: actions.check_council_clocks(now=later),
        lambda: actions.check_council_clocks(now=later),
    )
    assert conflicts(outcomes) == 0
    assert sum(o.screening_overdue for o in outcomes) == 4  # type: ignore[attr-defined]
    assert AuditEvent.objects.filter(verb="proposal_screening_overdue").count() == 4

"""Secret votes: the ballot proves *that* someone voted, never *how* — not in `Ballot`, not in
the audit trail — and the counts still come out right."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from courtyard.core.errors import Conflict
from courtyard.core.models import AuditEvent
from courtyard.councils import actions
from courtyard.councils.models import Ballot, SecretCount, Vote
from courtyard.councils.tests.steps import (
    START,
    T0,
    meeting_in_progress,
    open_motion_vote,
    unchanged,
    voter_of,
)

pytestmark = pytest.mark.django_db

OPENS, CLOSES = T0 + timedelta(days=1), T0 + timedelta(days=8)
CHOICES = ("yes", "no", "abstain")


@pytest.fixture
def secret_vote(board, personas) -> Vote:  # type: ignore[no-untyped-def]
    actions.change_charter(board.council, by=personas.here, secret_ballots=True)
    vote = actions.create_vote(
        board.council, by=personas.here, title="选举主任", online_opens_at=OPENS,
        online_closes_at=CLOSES, now=T0,
    )  # fmt: skip
    return actions.open_vote(vote, by=personas.here, now=T0)


def vote_events(vote: Vote) -> list[AuditEvent]:
    return list(AuditEvent.objects.for_object(vote))


def test_no_choice_is_kept_with_the_voter_or_in_the_trail(board, personas, secret_vote):
    vote = secret_vote
    assert vote.secret is True
    for member, choice in zip(board.members[:4], ["yes", "no", "yes", "abstain"], strict=True):
        actions.cast_ballot(vote, by=member.user, choice=choice, now=OPENS)
    actions.record_paper_ballot(
        vote,
        by=personas.here,
        voter=voter_of(vote, board.members[4]),
        choice="no",
        paper_ref="P-7",
        now=OPENS,
    )
    assert set(Ballot.objects.filter(vote=vote).values_list("choice", flat=True)) == {""}
    counts = dict(SecretCount.objects.filter(vote=vote).values_list("choice", "count"))
    assert counts == {"yes": 2, "no": 2, "abstain": 1}
    # Counters only: nothing per ballot that a voter, a time or a row order could match.
    assert {f.name for f in SecretCount._meta.concrete_fields} == {"id", "vote", "choice", "count"}
    vote = actions.close_vote(vote, by=personas.here, now=CLOSES)
    assert (vote.result["yes"], vote.result["no"], vote.result["abstain"]) == (2, 2, 1)
    assert vote.passed is False  # a tie of yes and no fails
    cast = [e for e in vote_events(vote) if e.verb == "ballot_cast"]
    assert len(cast) == 5 and all("voter" in e.changes for e in cast)
    for event in vote_events(vote):
        assert "choice" not in event.changes
        text = json.dumps(event.changes)
        assert not any(f'"{c}"' in text for c in CHOICES), (event.verb, text)


def test_a_secret_ballot_cannot_be_changed(board, secret_vote):
    ballot = actions.cast_ballot(secret_vote, by=board.chair.user, choice="yes", now=OPENS)
    with unchanged(secret_vote, ballot), pytest.raises(Conflict) as caught:
        actions.cast_ballot(secret_vote, by=board.chair.user, choice="no", now=OPENS)
    assert caught.value.message == "委员1 has already voted: one voter, one ballot."
    assert SecretCount.objects.get(vote=secret_vote, choice="yes").count == 1
    assert SecretCount.objects.get(vote=secret_vote, choice="no").count == 0


def test_a_secret_vote_is_not_taken_by_a_show_of_hands(board, personas):
    actions.change_charter(board.council, by=personas.here, secret_ballots=True)
    sitting = meeting_in_progress(board, personas)
    vote = open_motion_vote(board, sitting)
    assert vote.secret is True
    with unchanged(vote), pytest.raises(Conflict) as caught:
        actions.record_hands(
            vote, by=board.secretary.user, choices={voter_of(vote, board.chair): "yes"}, now=START
        )
    assert caught.value.message == "A secret vote is not taken by a show of hands."


def test_secrecy_is_frozen_at_the_opening(board, personas, secret_vote):
    actions.change_charter(board.council, by=personas.here, secret_ballots=False)
    ballot = actions.cast_ballot(secret_vote, by=board.chair.user, choice="no", now=OPENS)
    assert ballot.choice == ""
    plain = actions.create_vote(board.council, by=personas.here, title="公开", now=T0,
                                online_opens_at=OPENS, online_closes_at=CLOSES)  # fmt: skip
    plain = actions.open_vote(plain, by=personas.here, now=T0)
    actions.change_charter(board.council, by=personas.here, secret_ballots=True)
    assert actions.cast_ballot(plain, by=board.chair.user, choice="no", now=OPENS).choice == "no"
    assert not SecretCount.objects.filter(vote=plain).exists()

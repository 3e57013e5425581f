"""Votes: preparing, opening (the frozen electorate and rule), hands, paper and online ballots
with their window, one voter one ballot, closing with an exact tally, cancelling."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from courtyard.core.errors import BadInput, Conflict, NotAllowed
from courtyard.councils import actions
from courtyard.councils.models import (
    Ballot,
    Council,
    Matter,
    MemberRole,
    MotionStatus,
    ProposalStatus,
    Resolution,
    Vote,
    VoteStatus,
)
from courtyard.councils.tests.steps import (
    SECOND,
    START,
    T0,
    events,
    meeting_in_progress,
    open_motion_vote,
    unchanged,
    voter_of,
)

pytestmark = pytest.mark.django_db

OPENS, CLOSES = T0 + timedelta(days=1), T0 + timedelta(days=8)

ROLL = """part,area,owner_id,owner_name,username
1-101,85.50,o1,张三,resident
1-102,60.00,o1,张三,
1-201,90.25,o2,李四,
2-101,70,dev,开发商（未售）,
2-102,70,dev,开发商（未售）,
2-201,50.5,o3,王五,
"""


def online_vote(council: Council, by, **kwargs) -> Vote:  # type: ignore[no-untyped-def]
    vote = actions.create_vote(
        council, by=by, title="是否更换门禁", online_opens_at=OPENS, online_closes_at=CLOSES,
        now=T0, **kwargs,
    )  # fmt: skip
    return actions.open_vote(vote, by=by, now=T0)


def owners_vote(board, personas, matter: str = Matter.USE_FUND) -> Vote:  # type: ignore[no-untyped-def]
    roll = actions.import_roll(board.council, by=personas.here, name="1号楼", data=ROLL.encode())
    return online_vote(board.council, personas.here, roll=roll, matter=matter)


# Preparing and opening


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"matter": Matter.REBUILD}, "roll"),
        ({"online_opens_at": OPENS}, "online_closes_at"),
        ({"online_opens_at": CLOSES, "online_closes_at": OPENS}, "online_closes_at"),
        ({"online_opens_at": OPENS, "online_closes_at": OPENS}, "online_closes_at"),
        ({"title": ""}, "title"),
    ],
)
def test_a_badly_prepared_vote_is_refused(board, personas, kwargs, field):
    kwargs = {"title": "问题", **kwargs}
    with unchanged(), pytest.raises(BadInput) as caught:
        actions.create_vote(board.council, by=personas.here, **kwargs)
    assert caught.value.field == field


def test_an_owners_vote_names_its_matter_and_a_roll_of_its_council(board, personas, city):
    roll = actions.import_roll(board.council, by=personas.here, name="1号楼", data=ROLL.encode())
    with unchanged(), pytest.raises(BadInput) as caught:
        actions.create_vote(board.council, by=personas.here, title="q", roll=roll, matter="10")
    assert caught.value.field == "matter"
    other = actions.create_council(by=personas.above, place=city.street, name="街道议事会")
    with unchanged(), pytest.raises(BadInput) as caught:
        actions.create_vote(other, by=personas.here, title="q", roll=roll, matter=Matter.REBUILD)
    assert caught.value.field == "roll"


def test_a_motion_has_one_live_vote(board, personas):
    sitting = meeting_in_progress(board, personas)
    vote = actions.create_vote(board.council, by=personas.here, motion=sitting.motion)
    assert vote.title == sitting.motion.title
    with unchanged(vote), pytest.raises(Conflict):
        actions.create_vote(board.council, by=personas.here, motion=sitting.motion)
    actions.cancel_vote(vote, by=personas.here)
    assert actions.create_vote(board.council, by=personas.here, motion=sitting.motion).pk


def test_opening_freezes_the_electorate_rule_and_visibility(board, personas):
    vote = online_vote(board.council, personas.here)
    vote.refresh_from_db()
    assert (vote.status, vote.opened_at, vote.voter_count, vote.ballot_count) == ("open", T0, 5, 0)
    assert (vote.rule, vote.custom_rule, vote.secret, vote.results_hidden) == (
        "majority",
        None,
        False,
        True,
    )
    assert sorted(vote.voters.values_list("key", "name", "user")) == sorted(
        (f"member:{m.pk}", m.user.display_name, m.user_id) for m in board.members
    )
    assert events(vote, "vote_opened")[0].changes == {
        "rule": [None, "majority"],
        "voters": [None, 5],
        "secret": [None, False],
    }
    with unchanged(vote), pytest.raises(Conflict):
        actions.open_vote(vote, by=personas.here)


def test_seats_changed_after_the_opening_do_not_change_the_electorate(board, personas):
    vote = online_vote(board.council, personas.here)
    newcomer = actions.add_member(
        board.council, by=personas.here, user=personas.stranger, role=MemberRole.RESIDENT
    )
    leaver = actions.remove_member(board.members[4], by=personas.here)
    vote.refresh_from_db()
    assert vote.voter_count == 5 == vote.voters.count()
    assert not vote.voters.filter(key=f"member:{newcomer.pk}").exists()
    with unchanged(vote), pytest.raises(NotAllowed) as caught:
        actions.cast_ballot(vote, by=personas.stranger, choice="yes", now=OPENS)
    assert caught.value.status == 403
    # The member who left after the opening is still on this vote's electorate.
    actions.cast_ballot(vote, by=leaver.user, choice="no", now=OPENS)


def test_a_charter_changed_mid_vote_does_not_change_the_rule(board, personas):
    vote = online_vote(board.council, personas.here)
    actions.change_charter(
        board.council,
        by=personas.here,
        decision_rule="two_thirds",
        results_hidden_until_close=False,
    )
    for member, choice in zip(board.members, "yyynn", strict=True):
        actions.cast_ballot(vote, by=member.user, choice={"y": "yes", "n": "no"}[choice], now=OPENS)
    vote = actions.close_vote(vote, by=personas.here, now=CLOSES)
    assert (vote.rule, vote.result["rule"], vote.passed, vote.results_hidden) == (
        "majority",
        "majority",
        True,  # 3 of 5 is a majority but not two thirds
        True,
    )


def test_a_council_without_members_cannot_open_a_vote(city, personas):
    council = actions.create_council(by=personas.here, place=city.community, name="空议事会")
    vote = actions.create_vote(council, by=personas.here, title="q")
    with unchanged(vote), pytest.raises(Conflict) as caught:
        actions.open_vote(vote, by=personas.here)
    assert caught.value.message == "Nobody could vote: the council has no members."


def test_a_motion_is_voted_on_only_while_its_meeting_runs(board, personas):
    sitting = meeting_in_progress(board, personas)
    vote = actions.create_vote(board.council, by=personas.here, motion=sitting.motion)
    actions.defer_motion(sitting.motion, by=board.chair.user)
    with unchanged(vote, sitting.motion), pytest.raises(Conflict):
        actions.open_vote(vote, by=personas.here)


# Show of hands


def test_hands_are_recorded_for_present_members_all_or_nothing(board, personas):
    sitting = meeting_in_progress(board, personas, present=3)
    vote = open_motion_vote(board, sitting)
    assert sitting.motion.__class__.objects.get(pk=sitting.motion.pk).status == MotionStatus.VOTING
    absent = voter_of(vote, board.members[3])
    with unchanged(vote), pytest.raises(Conflict) as caught:
        actions.record_hands(
            vote,
            by=board.secretary.user,
            choices={voter_of(vote, board.members[0]): "yes", absent: "yes"},
        )
    assert caught.value.message == "委员4 is not recorded as present."
    with unchanged(vote), pytest.raises(BadInput):
        actions.record_hands(
            vote, by=board.secretary.user, choices={voter_of(vote, board.chair): "maybe"}
        )
    count = actions.record_hands(
        vote,
        by=board.secretary.user,
        choices={voter_of(vote, m): "yes" for m in board.members[:3]},
        now=START,
    )
    assert count == 3
    assert set(Ballot.objects.filter(vote=vote).values_list("method", "choice", "recorded_by")) == {
        ("hands", "yes", board.secretary.user_id)
    }
    with unchanged(vote), pytest.raises(Conflict):  # a second ballot
        actions.record_hands(
            vote, by=board.secretary.user, choices={voter_of(vote, board.chair): "no"}
        )


def test_hands_need_a_meeting(board, personas):
    vote = online_vote(board.council, personas.here)
    with unchanged(vote), pytest.raises(Conflict):
        actions.record_hands(
            vote,
            by=personas.here,
            choices={vote.voters.first(): "yes"},  # type: ignore[dict-item]
        )


# Paper ballots


def test_a_paper_counts_once_and_a_voter_votes_once(board, personas):
    vote = online_vote(board.council, personas.here)
    chair, secretary = voter_of(vote, board.chair), voter_of(vote, board.secretary)
    ballot = actions.record_paper_ballot(
        vote, by=personas.here, voter=chair, choice="yes", paper_ref=" P-001 ", now=T0
    )
    assert (ballot.method, ballot.paper_ref, ballot.recorded_by) == (
        "paper",
        "P-001",
        personas.here,
    )
    with unchanged(vote), pytest.raises(Conflict) as caught:
        actions.record_paper_ballot(
            vote, by=personas.here, voter=secretary, choice="no", paper_ref="P-001"
        )
    assert caught.value.message == "Paper ballot P-001 is already counted in this vote."
    with unchanged(vote, ballot), pytest.raises(Conflict) as caught:
        actions.record_paper_ballot(
            vote, by=personas.here, voter=chair, choice="no", paper_ref="P-002"
        )
    assert caught.value.message == "委员1 has already voted: one voter, one ballot."
    with unchanged(vote, ballot), pytest.raises(Conflict):  # online after paper: still one
        actions.cast_ballot(vote, by=board.chair.user, choice="no", now=OPENS)
    with unchanged(vote), pytest.raises(BadInput) as caught:
        actions.record_paper_ballot(
            vote, by=personas.here, voter=secretary, choice="yes", paper_ref=""
        )
    assert caught.value.field == "paper_ref"


def test_a_paper_ballot_for_a_voter_of_another_vote_is_refused(board, personas):
    vote = online_vote(board.council, personas.here)
    other = online_vote(board.council, personas.here)
    with unchanged(vote, other), pytest.raises(BadInput) as caught:
        actions.record_paper_ballot(
            vote, by=personas.here, voter=other.voters.first(), choice="yes", paper_ref="P-1"
        )
    assert caught.value.field == "voter"


# Online ballots and their window


@pytest.mark.parametrize(
    ("at", "accepted"),
    [(OPENS - SECOND, False), (OPENS, True), (CLOSES - SECOND, True), (CLOSES, False)],
)
def test_the_online_window_includes_its_opening_and_excludes_its_close(
    board, personas, at, accepted
):
    vote = online_vote(board.council, personas.here)
    if accepted:
        ballot = actions.cast_ballot(vote, by=board.chair.user, choice="yes", now=at)
        assert (ballot.cast_at, ballot.method, ballot.recorded_by) == (at, "online", None)
    else:
        with unchanged(vote), pytest.raises(Conflict) as caught:
            actions.cast_ballot(vote, by=board.chair.user, choice="yes", now=at)
        assert caught.value.message == "Online voting is not open now for this vote."


def test_a_vote_without_a_window_takes_no_online_ballots(board, personas):
    sitting = meeting_in_progress(board, personas)
    vote = open_motion_vote(board, sitting)
    with unchanged(vote), pytest.raises(Conflict):
        actions.cast_ballot(vote, by=board.chair.user, choice="yes", now=START)


def test_an_online_ballot_changes_until_the_close_with_an_audit_row_per_change(board, personas):
    vote = online_vote(board.council, personas.here)
    voter = voter_of(vote, board.chair)
    actions.cast_ballot(vote, by=board.chair.user, choice="yes", now=OPENS)
    actions.cast_ballot(vote, by=board.chair.user, choice="no", now=OPENS + SECOND)
    with unchanged(vote):  # the same choice again changes nothing
        actions.cast_ballot(vote, by=board.chair.user, choice="no", now=OPENS + 2 * SECOND)
    ballot = actions.cast_ballot(vote, by=board.chair.user, choice="abstain", now=CLOSES - SECOND)
    ballot.refresh_from_db()
    assert (ballot.choice, ballot.cast_at, ballot.changed_at) == ("abstain", OPENS, CLOSES - SECOND)
    assert [e.changes for e in events(vote, "ballot_cast")] == [
        {"voter": [None, voter.key], "method": [None, "online"], "choice": [None, "yes"]}
    ]
    assert [e.changes["choice"] for e in events(vote, "ballot_changed")] == [
        ["yes", "no"],
        ["no", "abstain"],
    ]
    vote.refresh_from_db()
    assert vote.ballot_count == 1 == Ballot.objects.filter(vote=vote).count()
    with unchanged(vote, ballot), pytest.raises(Conflict):
        actions.cast_ballot(vote, by=board.chair.user, choice="yes", now=CLOSES)


def test_a_bad_choice_is_refused(board, personas):
    vote = online_vote(board.council, personas.here)
    with unchanged(vote), pytest.raises(BadInput) as caught:
        actions.cast_ballot(vote, by=board.chair.user, choice="YES", now=OPENS)
    assert caught.value.field == "choice"


def test_someone_outside_the_electorate_is_refused_with_403(board, personas):
    vote = online_vote(board.council, personas.here)
    for outsider in (personas.resident, personas.here):
        with unchanged(vote), pytest.raises(NotAllowed) as caught:
            actions.cast_ballot(vote, by=outsider, choice="yes", now=OPENS)
        assert (caught.value.status, caught.value.message) == (
            403,
            "You are not on the electorate of this vote.",
        )


# Closing and the tally


def test_a_vote_closes_only_after_its_online_window(board, personas):
    vote = online_vote(board.council, personas.here)
    with unchanged(vote), pytest.raises(Conflict):
        actions.close_vote(vote, by=personas.here, now=CLOSES - SECOND)
    vote = actions.close_vote(vote, by=personas.here, now=CLOSES)
    assert (vote.status, vote.closed_at) == ("closed", CLOSES)
    with unchanged(vote), pytest.raises(Conflict):
        actions.close_vote(vote, by=personas.here, now=CLOSES)
    with unchanged(vote), pytest.raises(Conflict):
        actions.record_paper_ballot(
            vote, by=personas.here, voter=vote.voters.first(), choice="yes", paper_ref="P-9"
        )


def test_a_members_vote_is_tallied_exactly_and_a_passed_motion_becomes_a_resolution(
    board, personas
):
    sitting = meeting_in_progress(board, personas)
    vote = open_motion_vote(board, sitting)
    marks = ["yes", "yes", "abstain", "no"]
    actions.record_hands(
        vote,
        by=board.secretary.user,
        choices={voter_of(vote, m): c for m, c in zip(board.members[:4], marks, strict=True)},
        now=START,
    )
    vote = actions.close_vote(vote, by=board.secretary.user, now=START)
    assert {k: v for k, v in vote.result.items() if k != "reasons"} == {
        "rule": "majority",
        "passed": True,
        "quorum_met": True,
        "participants": 4,
        "yes": 2,
        "no": 1,
        "abstain": 1,
        "members": 5,
    }
    assert (vote.passed, vote.quorum_met) == (True, True)
    sitting.motion.refresh_from_db()
    sitting.proposal.refresh_from_db()
    assert sitting.motion.status == MotionStatus.PASSED
    assert sitting.proposal.status == ProposalStatus.DECIDED
    resolution = Resolution.objects.get(vote=vote)
    assert (resolution.status, resolution.motion, resolution.proposal, resolution.text) == (
        "draft",
        sitting.motion,
        sitting.proposal,
        sitting.proposal.body,
    )
    assert (resolution.place_path, resolution.created_at) == (vote.place_path, START)


def test_a_failed_vote_makes_no_resolution(board, personas):
    sitting = meeting_in_progress(board, personas)
    vote = open_motion_vote(board, sitting)
    actions.record_hands(
        vote,
        by=board.secretary.user,
        choices={
            voter_of(vote, m): c
            for m, c in zip(board.members[:4], ["yes", "yes", "no", "no"], strict=True)
        },
        now=START,
    )
    vote = actions.close_vote(vote, by=board.secretary.user, now=START)
    assert (vote.passed, vote.result["yes"], vote.result["no"]) == (False, 2, 2)  # a tie fails
    sitting.motion.refresh_from_db()
    assert sitting.motion.status == MotionStatus.FAILED
    assert not Resolution.objects.exists()


def test_an_owners_vote_counts_each_owner_once_with_their_areas_summed(board, personas):
    vote = owners_vote(board, personas)
    assert (vote.rule, vote.secret, vote.voter_count) == ("owners_ordinary", False, 4)
    voters = {v.key: v for v in vote.voters.all()}
    assert {k: (v.parts, v.area, v.user_id) for k, v in voters.items()} == {
        "o1": (2, Decimal("145.5"), personas.resident.pk),
        "o2": (1, Decimal("90.25"), None),
        "dev": (2, Decimal("140"), None),  # the developer's unsold parts: one person
        "o3": (1, Decimal("50.5"), None),
    }
    actions.cast_ballot(vote, by=personas.resident, choice="yes", now=OPENS)
    actions.record_paper_ballot(
        vote, by=personas.here, voter=voters["o2"], choice="yes", paper_ref="1", now=OPENS
    )
    actions.record_paper_ballot(
        vote, by=personas.here, voter=voters["dev"], choice="no", paper_ref="2", now=OPENS
    )
    vote = actions.close_vote(vote, by=personas.here, now=CLOSES)
    assert {k: v for k, v in vote.result.items() if k != "reasons"} == {
        "rule": "owners_ordinary",
        "passed": True,
        "quorum_met": True,
        "participants": 3,
        "yes": 2,
        "no": 1,
        "abstain": 0,
        "owners": 4,
        "total_area": "426.25",
        "participating_area": "375.75",
        "yes_area": "235.75",
        "no_area": "140.00",
        "abstain_area": "0.00",
    }


def test_a_special_matter_needs_three_quarters(board, personas):
    vote = owners_vote(board, personas, matter=Matter.RAISE_FUND)
    assert vote.rule == "owners_special"
    voters = {v.key: v for v in vote.voters.all()}
    for ref, (key, choice) in enumerate([("o1", "yes"), ("o2", "yes"), ("dev", "no")]):
        actions.record_paper_ballot(
            vote, by=personas.here, voter=voters[key], choice=choice, paper_ref=str(ref)
        )
    vote = actions.close_vote(vote, by=personas.here, now=CLOSES)
    assert (vote.passed, vote.quorum_met) == (False, True)  # 235.75 / 375.75 m² < 3/4


def test_an_owners_vote_is_never_secret(board, personas):
    actions.change_charter(board.council, by=personas.here, secret_ballots=True)
    vote = owners_vote(board, personas)
    assert vote.secret is False
    ballot = actions.cast_ballot(vote, by=personas.resident, choice="no", now=OPENS)
    assert ballot.choice == "no"


def test_cancelling_a_vote_returns_its_motion_to_debate(board, personas):
    sitting = meeting_in_progress(board, personas)
    vote = open_motion_vote(board, sitting)
    vote = actions.cancel_vote(vote, by=personas.here, now=START)
    sitting.motion.refresh_from_db()
    assert (vote.status, sitting.motion.status) == (VoteStatus.CANCELLED, MotionStatus.DEBATING)
    assert events(vote, "vote_cancelled")[0].changes == {"status": ["open", "cancelled"]}
    with unchanged(vote), pytest.raises(Conflict):
        actions.cancel_vote(vote, by=personas.here)
    with unchanged(vote), pytest.raises(Conflict):
        actions.cast_ballot(vote, by=board.chair.user, choice="yes", now=START)

"""`courtyard generate --councils N`: councils in bulk whose counters, electorates, tallies
and clocks agree with what the actions would have made."""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from courtyard.core.models import AuditEvent
from courtyard.councils.actions import check_council_clocks, signatures_needed, tally_vote
from courtyard.councils.actions.votes import _freeze_voters
from courtyard.councils.models import (
    Ballot,
    Council,
    CouncilMember,
    Meeting,
    MeetingStatus,
    OwnersRoll,
    Proposal,
    ProposalStatus,
    Resolution,
    ResolutionStatus,
    Vote,
    VoteStatus,
)
from courtyard.demo.generator_councils import make_councils
from courtyard.people.models import User
from courtyard.places.models import Place

SMALL = [
    "--synthetic",
    "--districts", "2", "--streets", "2", "--communities", "3",
    "--grids", "24", "--buildings", "60", "--units", "30", "--social-orgs", "10",
    "--no-progress", "--seed", "4",
]  # fmt: skip


def generate(*args: str) -> str:
    out = StringIO()
    call_command("generate", *args, stdout=out)
    return out.getvalue()


def start_of_today() -> datetime:
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


@pytest.fixture
def generated(db: None) -> str:
    return generate(*SMALL, "--councils", "40")


def test_counts_and_the_summary(generated: str) -> None:
    assert Council.objects.count() == 40
    assert "40 councils" in generated and "exclusive parts" in generated
    assert Council.objects.filter(place__kind="building").exists()
    assert Council.objects.filter(place__kind="community").exists()
    for council in Council.objects.all():
        assert council.place_path == council.place.path
        roles = list(council.members.values_list("role", flat=True))
        assert roles.count("chair") == roles.count("secretary") == 1
        assert len(roles) >= 4
    # Representatives of units and organizations name one at the council's community.
    for member in CouncilMember.objects.exclude(organization=None).select_related(
        "organization", "council__place"
    ):
        assert member.organization is not None
        assert member.council.place.path.startswith(member.organization.place_path)
    generated_users = User.objects.filter(username__startswith="council-")
    assert not any(u.has_usable_password() for u in generated_users)
    assert not AuditEvent.objects.filter(verb__startswith="council").exists()


def test_proposals_keep_the_support_count_and_the_screening_clock(generated: str) -> None:
    proposals = Proposal.objects.select_related("council").annotate(n=Count("supports"))
    assert {p.status for p in proposals} == set(ProposalStatus.values)
    for p in proposals:
        assert p.support_count == p.n
        assert p.place_path == p.council.place_path
        assert not p.supports.filter(user_id=p.proposer_id).exists()
        reached = p.support_count >= p.council.support_threshold
        assert (p.threshold_reached_at is not None) == reached
        if reached:
            days = timedelta(days=p.council.screening_days)
            assert p.threshold_reached_at is not None
            assert p.screen_due_at == p.threshold_reached_at + days
        screened = p.status in (ProposalStatus.ON_AGENDA, "declined", "decided")
        assert (p.screened_at is not None) == screened
        assert all(p.raised_at <= s.created_at for s in p.supports.all())
        assert (p.decline_reason != "") == (p.status == "declined")
    # The sweep finds nothing left to do: overdue screening and effect are already stamped.
    swept = check_council_clocks(now=start_of_today())
    assert (swept.screening_overdue, swept.in_effect) == (0, 0)
    assert Proposal.objects.exclude(screening_overdue_at=None).exists()


def test_meetings_give_notice_and_motions_carry_screened_proposals(generated: str) -> None:
    meetings = Meeting.objects.select_related("council")
    assert {m.status for m in meetings} == {MeetingStatus.CLOSED, MeetingStatus.ANNOUNCED}
    for meeting in meetings:
        notice = timedelta(days=meeting.council.notice_days)
        assert meeting.notice_published_at is not None
        assert meeting.notice_published_at <= meeting.starts_at - notice
        for motion in meeting.motions.select_related("proposal"):
            if motion.proposal is not None:
                assert motion.proposal.screened_at is not None
                assert motion.proposal.screened_at <= meeting.notice_published_at
                expected = "decided" if meeting.status == "closed" else "on_agenda"
                assert motion.proposal.status == expected
        if meeting.status == MeetingStatus.CLOSED:
            present = meeting.attendance.count()
            assert present > meeting.council.members.count() // 2
            assert meeting.motions.filter(votes__status="closed").count() == meeting.motions.count()


def test_votes_hold_the_electorate_open_vote_freezes_and_the_engines_result(
    generated: str,
) -> None:
    votes = Vote.objects.annotate(voters_n=Count("voters", distinct=True))
    assert votes.filter(roll__isnull=False, status=VoteStatus.OPEN).exists()
    assert votes.filter(roll__isnull=False, status=VoteStatus.CLOSED).exists()
    for vote in votes.annotate(ballots_n=Count("ballots", distinct=True)):
        assert (vote.voter_count, vote.ballot_count) == (vote.voters_n, vote.ballots_n)
        frozen = sorted((v.key, v.user_id, v.area, v.parts) for v in _freeze_voters(vote))
        stored = sorted(vote.voters.values_list("key", "user_id", "area", "parts"))
        assert stored == frozen
        if vote.status == VoteStatus.CLOSED:
            result = tally_vote(vote)
            assert vote.result == result.as_dict()
            assert vote.passed == result.passed and vote.quorum_met == result.quorum_met
            assert Resolution.objects.filter(vote=vote).exists() == vote.passed
        else:
            assert vote.result is None and vote.online_window_open(start_of_today())
    # Paper ballots are recorded by the secretary; online ones by the owner with an account.
    assert not Ballot.objects.filter(method="online", voter__user=None).exists()
    assert not Ballot.objects.filter(method="paper", paper_ref="").exists()
    hands = Ballot.objects.filter(method="hands").select_related("vote__motion__meeting")
    for ballot in hands[:200]:
        assert ballot.vote.motion is not None
        meeting = ballot.vote.motion.meeting
        member_id = int(ballot.voter.key.removeprefix("member:"))
        assert meeting.attendance.filter(member_id=member_id).exists()


def test_rolls_add_up(generated: str) -> None:
    rolls = OwnersRoll.objects.annotate(
        parts_n=Count("parts"),
        owners_n=Count("parts__owner_key", distinct=True),
        area=Sum("parts__area"),
    )
    assert rolls.exists()
    for roll in rolls:
        assert 20 <= roll.part_count <= 400
        assert (roll.part_count, roll.owner_count) == (roll.parts_n, roll.owners_n)
        assert roll.total_area == roll.area
    # Owners with an account own in their own name.
    first = OwnersRoll.objects.order_by("pk").first()
    assert first is not None
    for part in first.parts.exclude(owner_user=None).select_related("owner_user"):
        assert part.owner_user is not None
        assert part.owner_name == part.owner_user.display_name


def test_resolutions_are_signed_and_published_as_the_actions_would(generated: str) -> None:
    resolutions = Resolution.objects.select_related("council", "motion__meeting").annotate(
        n=Count("signatures")
    )
    statuses = {r.status for r in resolutions}
    assert ResolutionStatus.IN_EFFECT in statuses
    for r in resolutions:
        assert r.signature_count == r.n >= signatures_needed(r)
        if r.status in (ResolutionStatus.PUBLISHED, ResolutionStatus.IN_EFFECT):
            assert r.published_at and r.objection_ends_at and r.publication_ends_at
            assert r.objection_ends_at == r.published_at + timedelta(days=r.council.objection_days)
            assert r.publication_ends_at > r.published_at
            assert r.objection_threshold == r.council.objection_threshold
        assert (r.status == ResolutionStatus.IN_EFFECT) == (r.took_effect_at is not None)


def _digest() -> str:
    rows = [
        *Council.objects.order_by("pk").values_list("name", "place__code", "created_at"),
        *Proposal.objects.order_by("pk").values_list("title", "status", "support_count"),
        *Vote.objects.order_by("pk").values_list("title", "passed", "ballot_count"),
        *User.objects.filter(username__startswith="council-").values_list("display_name"),
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_the_same_seed_gives_the_same_councils(db: None) -> None:
    now = start_of_today()
    digests = []
    for _ in range(2):
        with transaction.atomic():
            generate(*SMALL, "--councils", "0")
            root = Place.objects.get(code="990000000000")
            make_councils(random.Random(9), root, 15, now=now)
            digests.append(_digest())
            transaction.set_rollback(True)
    assert digests[0] == digests[1]


def test_residents_with_accounts_sit_first_and_a_second_run_is_refused(personas: Any) -> None:
    community = personas.resident.home.parent
    made = make_councils(random.Random(3), community, 4, now=start_of_today())
    assert made["councils"] == 4
    seats = CouncilMember.objects.filter(user=personas.resident)
    assert seats.count() == 4  # the only resident with an account, in every council
    before = Council.objects.count()
    with pytest.raises(CommandError, match="already holds generated council members"):
        make_councils(random.Random(3), community, 4)
    assert Council.objects.count() == before

"""The demo city's council (`courtyard demo` → demo.city_councils): every stage of the
council's work is there, built through the actions, and a second run adds nothing.

Loaded once for the module inside a transaction rolled back at the end (a demo load takes
seconds)."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

from django.core.management import call_command

from courtyard.councils.actions import tally_vote
from courtyard.councils.models import (
    Ballot,
    Council,
    CouncilMember,
    Meeting,
    MeetingStatus,
    Proposal,
    ProposalStatus,
    Resolution,
    ResolutionStatus,
    TaskStatus,
    Vote,
    VoteStatus,
)
from courtyard.demo.city_councils import COUNCIL_NAME
from courtyard.people.models import User

TABLES = [Council, CouncilMember, Proposal, Meeting, Vote, Ballot, Resolution]


def test_a_second_run_adds_nothing(demo: None) -> None:
    before = {model.__name__: model.objects.count() for model in TABLES}
    call_command("demo", force=True, stdout=StringIO())
    assert {model.__name__: model.objects.count() for model in TABLES} == before


def test_the_council_has_its_members_and_proposals_in_every_state(demo: None) -> None:
    council = Council.objects.get(name=COUNCIL_NAME)
    roles = dict(council.members.current().values_list("user__username", "role"))
    assert roles["demo-volunteer"] == "chair" and roles["demo-worker"] == "secretary"
    assert roles["demo-resident"] == "resident" and roles["demo-unit"] == "unit"
    statuses = sorted(council.proposals.values_list("status", flat=True))
    assert statuses == sorted(
        ["decided", "decided", "on_agenda", "on_agenda", "raised", "raised", "declined"]
    )
    overdue = council.proposals.get(screening_overdue_at__isnull=False)
    assert overdue.status == ProposalStatus.RAISED and overdue.title == "楼道堆物清理"


def test_resolutions_in_effect_and_published_with_their_progress(demo: None) -> None:
    council = Council.objects.get(name=COUNCIL_NAME)
    in_effect = council.resolutions.get(status=ResolutionStatus.IN_EFFECT)
    assert sorted(in_effect.tasks.values_list("status", flat=True)) == [
        TaskStatus.DISPATCHED,
        TaskStatus.DONE,
    ]
    dispatched = in_effect.tasks.get(status=TaskStatus.DISPATCHED)
    assert dispatched.demand is not None
    assert dispatched.demand.assignee.name == "东城区城市管理委员会"
    published = council.resolutions.get(status=ResolutionStatus.PUBLISHED)
    assert published.objection_count == 1
    assert published.objections_open()
    upcoming = council.meetings.get(status=MeetingStatus.ANNOUNCED)
    assert [m.title for m in upcoming.motions.all()] == ["规范胡同停车秩序"]


def test_the_owners_vote_is_open_and_demo_resident_may_still_vote(demo: None) -> None:
    vote = Vote.objects.get(roll__isnull=False)
    assert (vote.status, vote.rule, vote.matter) == (VoteStatus.OPEN, "owners_special", "8")
    assert vote.online_window_open()
    # 12 parts, 9 owners: 王秀兰 holds two, the housing centre's three count as one.
    assert vote.voter_count == 9 and vote.roll.part_count == 12
    resident = User.objects.get(username="demo-resident")
    mine = vote.voters.get(user=resident)
    assert (mine.parts, mine.area) == (2, Decimal("66.300000"))
    assert not Ballot.objects.filter(vote=vote, voter=mine).exists()
    result = tally_vote(vote)
    assert (result.participants, result.yes, result.no) == (5, 4, 1)
    assert result.quorum_met is False  # 5 of 9 owners is short of two thirds

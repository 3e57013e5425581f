"""The whole path through the actions: raise → support → screen → meeting → vote →
resolution → publication → objection / effect → task → evaluation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from courtyard.core.errors import Conflict, NotAllowed
from courtyard.councils import actions
from courtyard.councils.models import (
    MeetingStatus,
    MotionStatus,
    ProposalStatus,
    Resolution,
    ResolutionStatus,
    TaskStatus,
    VoteStatus,
)

pytestmark = pytest.mark.django_db


def _meeting_with_motion(board, personas, proposal, now):  # type: ignore[no-untyped-def]
    meeting = actions.schedule_meeting(
        board.council,
        by=personas.here,
        title="第一次议事会",
        location="草厂四条44号院",
        starts_at=now + timedelta(days=4),
        now=now,
    )
    motion = actions.add_motion(meeting, by=personas.here, proposal=proposal, now=now)
    actions.announce_meeting(meeting, by=personas.here, now=now)
    return meeting, motion


def test_a_proposal_becomes_a_resolution_in_effect(board, personas):  # type: ignore[no-untyped-def]
    now = timezone.now()
    proposal = actions.raise_proposal(
        board.council,
        by=personas.resident,
        title="院内加装晾衣架",
        body="楼前空地加装晾衣架。",
        now=now,
    )
    for member in board.members[:3]:
        proposal = actions.support_proposal(proposal, by=member.user, now=now)
    assert proposal.support_count == 3
    assert proposal.screen_due_at == now + timedelta(days=board.council.screening_days)
    actions.screen_proposal(proposal, by=personas.here, now=now)
    meeting, motion = _meeting_with_motion(board, personas, proposal, now)

    start = now + timedelta(days=4)
    actions.open_meeting(meeting, by=board.secretary.user, now=start)
    assert (
        actions.record_attendance(
            meeting, by=board.secretary.user, members=board.members[:4], now=start
        )
        == 4
    )
    actions.start_debate(motion, by=board.chair.user, now=start)
    actions.give_floor(
        motion, by=board.chair.user, member=board.members[2], stance="for", now=start
    )
    actions.give_floor(
        motion, by=board.chair.user, member=board.members[2], stance="for", now=start
    )
    with pytest.raises(Conflict, match="already spoken 2 times"):
        actions.give_floor(
            motion, by=board.chair.user, member=board.members[2], stance="for", now=start
        )

    vote = actions.create_vote(board.council, by=board.secretary.user, motion=motion, now=start)
    vote = actions.open_vote(vote, by=board.secretary.user, now=start)
    assert (vote.rule, vote.voter_count) == ("majority", 5)
    voters = {v.key: v for v in vote.voters.all()}
    choices = {
        voters[f"member:{m.pk}"]: c
        for m, c in zip(board.members[:4], ["yes", "yes", "yes", "no"], strict=True)
    }
    actions.record_hands(vote, by=board.secretary.user, choices=choices, now=start)
    vote = actions.close_vote(vote, by=board.secretary.user, now=start)
    assert vote.status == VoteStatus.CLOSED and vote.passed is True
    assert (vote.result["yes"], vote.result["no"], vote.result["participants"]) == (3, 1, 4)
    motion.refresh_from_db()
    proposal.refresh_from_db()
    assert motion.status == MotionStatus.PASSED and proposal.status == ProposalStatus.DECIDED

    resolution = Resolution.objects.get(vote=vote)
    assert actions.signatures_needed(resolution) == 3  # more than half of the 4 present
    actions.sign_resolution(resolution, by=board.chair.user, now=start)
    with pytest.raises(Conflict, match="3 members must sign"):
        actions.publish_resolution(resolution, by=personas.here, now=start)
    for member in board.members[1:3]:
        actions.record_signature(resolution, by=board.secretary.user, member=member, now=start)
    resolution = actions.publish_resolution(resolution, by=personas.here, now=start)
    assert resolution.status == ResolutionStatus.PUBLISHED

    actions.object_to_resolution(resolution, by=personas.resident, reason="占用消防通道", now=start)
    with pytest.raises(NotAllowed):
        actions.object_to_resolution(resolution, by=personas.stranger, reason="x", now=start)
    actions.close_meeting(meeting, by=board.secretary.user, minutes="通过晾衣架方案。", now=start)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CLOSED

    later = start + timedelta(days=10)
    swept = actions.check_council_clocks(now=later)
    assert swept.in_effect == 1
    assert actions.check_council_clocks(now=later).in_effect == 0  # idempotent
    resolution.refresh_from_db()
    assert resolution.status == ResolutionStatus.IN_EFFECT

    task = actions.add_task(
        resolution,
        by=personas.here,
        title="采购晾衣架",
        owner=board.chair.user,
        due_at=later + timedelta(days=30),
        now=later,
    )
    actions.complete_task(task, by=board.chair.user, note="已安装", now=later)
    task.refresh_from_db()
    resolution.refresh_from_db()
    assert task.status == TaskStatus.DONE and resolution.status == ResolutionStatus.DONE
    evaluation = actions.evaluate_resolution(
        resolution, by=personas.resident, rating="satisfied", now=later
    )
    assert evaluation.rating == "satisfied"

"""Meetings: schedule, agenda (screened proposals only), notice period, opening, attendance,
the floor and its limits, deferral, minutes, cancellation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from courtyard.core.errors import BadInput, Conflict
from courtyard.councils import actions
from courtyard.councils.models import (
    Attendance,
    Meeting,
    MeetingStatus,
    MemberRole,
    MotionStatus,
    Speech,
)
from courtyard.councils.tests.steps import (
    SECOND,
    START,
    T0,
    events,
    meeting_in_progress,
    on_agenda,
    unchanged,
)

pytestmark = pytest.mark.django_db


def draft(board, personas, starts_at=START) -> Meeting:  # type: ignore[no-untyped-def]
    return actions.schedule_meeting(
        board.council,
        by=personas.here,
        title="议事会",
        location="院内",
        starts_at=starts_at,
        now=T0,
    )


def with_motion(board, personas, starts_at=START) -> Meeting:  # type: ignore[no-untyped-def]
    meeting = draft(board, personas, starts_at)
    actions.add_motion(meeting, by=personas.here, title="修缮院门", now=T0)
    return meeting


def test_a_scheduled_meeting_is_a_draft_at_the_councils_place(board, personas):
    meeting = draft(board, personas)
    meeting.refresh_from_db()
    assert (meeting.status, meeting.starts_at, meeting.place_path) == (
        "draft",
        START,
        board.council.place_path,
    )
    assert events(meeting)[0].changes == {"starts_at": [None, START.isoformat()]}


def test_a_meeting_in_the_past_is_refused(board, personas):
    with unchanged(), pytest.raises(BadInput) as caught:
        draft(board, personas, starts_at=T0)
    assert caught.value.field == "starts_at"


def test_motions_take_positions_and_a_screened_proposals_title(board, personas):
    meeting = draft(board, personas)
    proposal = on_agenda(board, personas)
    first = actions.add_motion(meeting, by=personas.here, proposal=proposal)
    second = actions.add_motion(meeting, by=personas.here, title="其他事项", text="")
    assert [(first.position, first.title, first.text), (second.position, second.title)] == [
        (1, proposal.title, proposal.body),
        (2, "其他事项"),
    ]


@pytest.mark.parametrize("step", ["raised", "declined", "withdrawn"])
def test_an_agenda_item_that_was_not_screened_is_refused(board, personas, step):
    proposal = actions.raise_proposal(board.council, by=personas.resident, title="t", body="b")
    if step == "declined":
        actions.decline_proposal(proposal, by=personas.here, reason="不属于")
    elif step == "withdrawn":
        actions.withdraw_proposal(proposal, by=personas.resident)
    meeting = draft(board, personas)
    with unchanged(meeting, proposal), pytest.raises(Conflict) as caught:
        actions.add_motion(meeting, by=personas.here, proposal=proposal)
    assert caught.value.message.startswith("Only a proposal screened onto the agenda can be moved")


def test_a_proposal_of_another_council_is_refused(board, personas, city):
    other = actions.create_council(by=personas.above, place=city.street, name="街道议事会")
    foreign = on_agenda(type(board)(other, board.chair, board.secretary, []), personas)
    meeting = draft(board, personas)
    with unchanged(meeting, foreign), pytest.raises(BadInput) as caught:
        actions.add_motion(meeting, by=personas.here, proposal=foreign)
    assert caught.value.field == "proposal"


def test_notice_at_exactly_the_notice_period_is_enough(board, personas):
    meeting = with_motion(board, personas, starts_at=T0 + timedelta(days=3))
    actions.announce_meeting(meeting, by=personas.here, now=T0)
    meeting.refresh_from_db()
    assert (meeting.status, meeting.notice_published_at) == ("announced", T0)
    assert events(meeting, "meeting_announced")[0].changes == {"status": ["draft", "announced"]}


def test_notice_one_second_short_is_refused(board, personas):
    meeting = with_motion(board, personas, starts_at=T0 + timedelta(days=3))
    with unchanged(meeting), pytest.raises(Conflict) as caught:
        actions.announce_meeting(meeting, by=personas.here, now=T0 + SECOND)
    assert caught.value.message == (
        "The charter asks for 3 days' notice: announce it by March 3, 2025, 9 a.m., "
        "or move the meeting."
    )


def test_a_meeting_without_motions_or_announced_twice_is_refused(board, personas):
    meeting = draft(board, personas)
    with unchanged(meeting), pytest.raises(Conflict):
        actions.announce_meeting(meeting, by=personas.here, now=T0)
    actions.add_motion(meeting, by=personas.here, title="修缮")
    actions.announce_meeting(meeting, by=personas.here, now=T0)
    with unchanged(meeting), pytest.raises(Conflict):
        actions.announce_meeting(meeting, by=personas.here, now=T0)


def test_opening_needs_the_notice_and_the_hour(board, personas):
    meeting = with_motion(board, personas)
    with unchanged(meeting), pytest.raises(Conflict):  # still a draft
        actions.open_meeting(meeting, by=board.secretary.user, now=START)
    actions.announce_meeting(meeting, by=personas.here, now=T0)
    with unchanged(meeting), pytest.raises(Conflict):
        actions.open_meeting(
            meeting, by=board.secretary.user, now=START - timedelta(hours=1) - SECOND
        )
    actions.open_meeting(meeting, by=board.secretary.user, now=START - timedelta(hours=1))
    meeting.refresh_from_db()
    assert (meeting.status, meeting.opened_at) == ("in_progress", START - timedelta(hours=1))
    with unchanged(meeting), pytest.raises(Conflict):
        actions.open_meeting(meeting, by=board.secretary.user, now=START)


def test_motions_are_fixed_once_the_meeting_runs(board, personas):
    sitting = meeting_in_progress(board, personas)
    with unchanged(sitting.meeting), pytest.raises(Conflict):
        actions.add_motion(sitting.meeting, by=personas.here, title="临时动议")


def test_attendance_counts_each_member_once(board, personas):
    sitting = meeting_in_progress(board, personas, present=2)
    meeting = sitting.meeting
    assert events(meeting, "attendance_recorded")[0].changes == {"present": [None, 2]}
    with unchanged(meeting):  # again: harmless, no row, no audit row
        assert actions.record_attendance(meeting, by=personas.here, members=board.members[:2]) == 2
    assert actions.record_attendance(meeting, by=personas.here, members=board.members[1:4]) == 4
    assert Attendance.objects.filter(meeting=meeting).count() == 4


def test_attendance_is_refused_for_non_members_and_for_a_draft(board, personas, city):
    sitting = meeting_in_progress(board, personas, present=0)
    left = actions.remove_member(board.members[4], by=personas.here)
    other = actions.create_council(by=personas.above, place=city.street, name="街道议事会")
    stranger_seat = actions.add_member(
        other, by=personas.above, user=personas.stranger, role=MemberRole.RESIDENT
    )
    for member in (left, stranger_seat):
        with unchanged(sitting.meeting), pytest.raises(BadInput) as caught:
            actions.record_attendance(
                sitting.meeting, by=personas.here, members=[board.members[0], member]
            )
        assert caught.value.field == "member"
    meeting = draft(board, personas)
    with unchanged(meeting), pytest.raises(Conflict):
        actions.record_attendance(meeting, by=personas.here, members=board.members[:1])


def test_the_floor_keeps_order_ends_the_previous_speech_and_its_limit(board, personas):
    sitting = meeting_in_progress(board, personas)
    speaker, other = board.members[2], board.members[3]
    first = actions.give_floor(
        sitting.motion, by=board.chair.user, member=speaker, stance="for", now=START
    )
    second = actions.give_floor(
        sitting.motion,
        by=board.chair.user,
        member=other,
        stance="against",
        now=START + timedelta(minutes=2),
    )
    first.refresh_from_db()
    assert first.ended_at == START + timedelta(minutes=2) and first.seconds == 120
    third = actions.give_floor(
        sitting.motion,
        by=board.chair.user,
        member=speaker,
        stance="neutral",
        now=START + timedelta(minutes=3),
    )
    assert [first.order, second.order, third.order] == [1, 2, 3]
    actions.end_speech(third, by=board.chair.user, now=START + timedelta(minutes=5))
    third.refresh_from_db()
    assert third.seconds == 120
    assert events(sitting.meeting, "floor_given")[0].changes == {
        "motion": [None, sitting.motion.title],
        "order": [None, 1],
        "stance": [None, "for"],
    }
    with unchanged(sitting.motion), pytest.raises(Conflict) as caught:
        actions.give_floor(sitting.motion, by=board.chair.user, member=speaker, stance="for")
    assert caught.value.message == (
        "委员3 has already spoken 2 times on this motion (the charter allows 2)."
    )


def test_a_charter_of_one_speech_per_motion_is_kept(board, personas):
    actions.change_charter(board.council, by=personas.here, speeches_per_motion=1)
    sitting = meeting_in_progress(board, personas)
    actions.give_floor(sitting.motion, by=board.chair.user, member=board.members[2], stance="for")
    with unchanged(sitting.motion), pytest.raises(Conflict):
        actions.give_floor(
            sitting.motion, by=board.chair.user, member=board.members[2], stance="for"
        )


def test_the_floor_is_refused_without_a_debate_a_stance_or_a_seat(board, personas):
    sitting = meeting_in_progress(board, personas)
    with unchanged(sitting.motion), pytest.raises(BadInput) as caught:
        actions.give_floor(sitting.motion, by=board.chair.user, member=board.chair, stance="yes")
    assert caught.value.field == "stance"
    left = actions.remove_member(board.members[4], by=personas.here)
    with unchanged(sitting.motion), pytest.raises(BadInput):
        actions.give_floor(sitting.motion, by=board.chair.user, member=left, stance="for")
    waiting = actions.defer_motion(sitting.motion, by=board.chair.user)
    with unchanged(waiting), pytest.raises(Conflict):
        actions.give_floor(waiting, by=board.chair.user, member=board.chair, stance="for")


def test_a_debate_starts_only_in_a_running_meeting(board, personas):
    meeting = with_motion(board, personas)
    motion = meeting.motions.get()
    with unchanged(motion), pytest.raises(Conflict):
        actions.start_debate(motion, by=board.chair.user)
    sitting = meeting_in_progress(board, personas)
    with unchanged(sitting.motion), pytest.raises(Conflict):  # already in debate
        actions.start_debate(sitting.motion, by=board.chair.user)


def test_deferring_ends_the_speech_and_a_deferred_motion_can_be_debated_again(board, personas):
    sitting = meeting_in_progress(board, personas)
    speech = actions.give_floor(
        sitting.motion, by=board.chair.user, member=board.chair, stance="for", now=START
    )
    motion = actions.defer_motion(sitting.motion, by=board.chair.user, now=START + SECOND)
    speech.refresh_from_db()
    assert (motion.status, speech.ended_at) == ("deferred", START + SECOND)
    with unchanged(motion), pytest.raises(Conflict):
        actions.defer_motion(motion, by=board.chair.user)
    assert actions.start_debate(motion, by=board.chair.user).status == MotionStatus.DEBATING


def test_closing_keeps_the_minutes_defers_open_motions_and_ends_speeches(board, personas):
    sitting = meeting_in_progress(board, personas)
    actions.give_floor(sitting.motion, by=board.chair.user, member=board.chair, stance="for")
    later = START + timedelta(hours=2)
    with unchanged(sitting.meeting), pytest.raises(BadInput):
        actions.close_meeting(sitting.meeting, by=board.secretary.user, minutes=" ", now=later)
    meeting = actions.close_meeting(
        sitting.meeting, by=board.secretary.user, minutes="议定事项。", now=later
    )
    sitting.motion.refresh_from_db()
    assert (meeting.status, meeting.closed_at, meeting.minutes) == ("closed", later, "议定事项。")
    assert sitting.motion.status == MotionStatus.DEFERRED
    assert not Speech.objects.filter(ended_at__isnull=True).exists()
    with unchanged(meeting), pytest.raises(Conflict):
        actions.close_meeting(meeting, by=board.secretary.user, minutes="again")


def test_a_meeting_with_an_open_vote_cannot_close(board, personas):
    sitting = meeting_in_progress(board, personas)
    vote = actions.create_vote(board.council, by=personas.here, motion=sitting.motion)
    actions.open_vote(vote, by=personas.here, now=START)
    with unchanged(sitting.meeting, sitting.motion), pytest.raises(Conflict):
        actions.close_meeting(sitting.meeting, by=board.secretary.user, minutes="记录")


def test_cancelling_is_for_meetings_not_yet_running(board, personas):
    meeting = with_motion(board, personas)
    actions.announce_meeting(meeting, by=personas.here, now=T0)
    meeting = actions.cancel_meeting(meeting, by=personas.here, now=T0)
    assert meeting.status == MeetingStatus.CANCELLED
    assert events(meeting, "meeting_cancelled")[0].changes == {"status": ["announced", "cancelled"]}
    sitting = meeting_in_progress(board, personas)
    with unchanged(sitting.meeting), pytest.raises(Conflict):
        actions.cancel_meeting(sitting.meeting, by=personas.here)


def test_an_announced_agenda_takes_motions_only_before_the_notice_period(board, personas):
    meeting = with_motion(board, personas)  # starts at START = T0 + 4 days; notice 3 days
    actions.announce_meeting(meeting, by=personas.here, now=T0)
    last = START - timedelta(days=3)
    assert actions.add_motion(meeting, by=personas.here, title="补充", now=last).position == 2
    with unchanged(meeting), pytest.raises(Conflict):
        actions.add_motion(meeting, by=personas.here, title="太晚", now=last + SECOND)

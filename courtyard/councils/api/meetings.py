"""Meetings in the API: /api/v1/councils/{id}/meetings, /api/v1/meetings/{id}, the motions'
debate (/api/v1/motions/{id}/…) and speeches (/api/v1/speeches/{id}/end).

- Announced and later meetings of a visible council are public, with their agenda, who is
  present and the speaking order (members' names are public); drafts are for the staff
  over the place (404 for anyone else).
- Preparing a meeting (schedule, agenda, notice, cancel) is for the staff over the place
  (`councils.manage`); running it (open, attendance, debate, floor, defer, close with the
  minutes) also for the council's chair and secretary (`councils.run_meeting`).
- Every step answers the meeting as the chair's screen shows it: motions, speeches with
  their times and the charter's limits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status as HttpStatus

from courtyard.core.api import page_response
from courtyard.core.errors import BadInput
from courtyard.councils import actions
from courtyard.councils.api.common import LIST, READ, STEP, PageParams, allow, one_of, utc, visible
from courtyard.councils.api.councils import council_for
from courtyard.councils.models import (
    Attendance,
    Council,
    CouncilMember,
    Meeting,
    MeetingStatus,
    Motion,
    MotionStatus,
    Proposal,
    Speech,
    Stance,
)

router = Router(tags=["councils"])


class MeetingOut(Schema):
    id: int
    council_id: int
    council_name: str
    title: str
    location: str
    starts_at: datetime
    status: MeetingStatus
    notice_published_at: datetime | None
    opened_at: datetime | None
    closed_at: datetime | None
    minutes: str


class SpeechOut(Schema):
    id: int
    order: int
    member_id: int
    member_name: str
    stance: Stance
    started_at: datetime
    ended_at: datetime | None
    seconds: int | None


class MotionOut(Schema):
    id: int
    position: int
    title: str
    text: str
    status: MotionStatus
    proposal_id: int | None
    speeches: list[SpeechOut]


class PresentOut(Schema):
    member_id: int
    name: str
    role: str


class MeetingDetailOut(MeetingOut):
    speech_minutes: int = Field(..., description="The charter's minutes per speech")
    speeches_per_motion: int = Field(..., description="Speeches per person and motion")
    motions: list[MotionOut]
    present: list[PresentOut]


class MeetingPage(Schema):
    items: list[MeetingOut]
    next_cursor: str | None


class MeetingFilters(PageParams):
    status: MeetingStatus | None = None


class MeetingIn(Schema):
    title: str
    location: str
    starts_at: datetime = Field(..., description="In the future; the notice goes out later")


class MotionIn(Schema):
    title: str = Field("", description="Empty: the proposal's title")
    text: str = ""
    proposal: int | None = Field(None, description="A proposal screened onto the agenda")


class AttendanceIn(Schema):
    members: list[Annotated[int, Field(ge=1, lt=2**63)]] = Field(
        ..., description="Ids of the council members present"
    )


class FloorIn(Schema):
    member: int = Field(..., description="The id of the council member given the floor")
    stance: Stance


class MinutesIn(Schema):
    minutes: str


def _out(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.pk,
        "council_id": meeting.council_id,
        "council_name": meeting.council.name,
        "title": meeting.title,
        "location": meeting.location,
        "starts_at": utc(meeting.starts_at),
        "status": meeting.status,
        "notice_published_at": utc(meeting.notice_published_at),
        "opened_at": utc(meeting.opened_at),
        "closed_at": utc(meeting.closed_at),
        "minutes": meeting.minutes,
    }


def _speech_out(speech: Speech) -> dict[str, Any]:
    return {
        "id": speech.pk,
        "order": speech.order,
        "member_id": speech.member_id,
        "member_name": speech.member.display_name,
        "stance": speech.stance,
        "started_at": utc(speech.started_at),
        "ended_at": utc(speech.ended_at),
        "seconds": speech.seconds,
    }


def _readable(user: Any) -> Any:
    return Meeting.objects.visible_to(user).select_related("council")


def _detail(request: HttpRequest, meeting_id: int) -> dict[str, Any]:
    """The meeting with its agenda, speeches and attendance: five queries, however long."""
    speeches = Speech.objects.select_related("member__user").order_by("order")
    motions = Motion.objects.prefetch_related(Prefetch("speeches", queryset=speeches))
    attendance = Attendance.objects.select_related("member__user").order_by("member_id")
    meeting = visible(
        _readable(request.user).prefetch_related(
            Prefetch("motions", queryset=motions.order_by("position")),
            Prefetch("attendance", queryset=attendance),
        ),
        meeting_id,
    )
    return {
        **_out(meeting),
        "speech_minutes": meeting.council.speech_minutes,
        "speeches_per_motion": meeting.council.speeches_per_motion,
        "motions": [
            {
                "id": m.pk,
                "position": m.position,
                "title": m.title,
                "text": m.text,
                "status": m.status,
                "proposal_id": m.proposal_id,
                "speeches": [_speech_out(s) for s in m.speeches.all()],
            }
            for m in meeting.motions.all()
        ],
        "present": [
            {"member_id": a.member_id, "name": a.member.display_name, "role": a.member.role}
            for a in meeting.attendance.all()
        ],
    }


def _meeting(request: HttpRequest, meeting_id: int, perm: str) -> Meeting:
    meeting = visible(_readable(request.user), meeting_id)
    allow(request, perm, meeting)
    return meeting


def _motion(request: HttpRequest, motion_id: int) -> Motion:
    """A motion of a visible meeting, for those who run the meeting."""
    meetings = Meeting.objects.visible_to(request.user)
    motion = visible(
        Motion.objects.filter(meeting__in=meetings).select_related("meeting"), motion_id
    )
    allow(request, "councils.run_meeting", motion.meeting)
    return motion


def _members(meeting: Meeting, ids: list[int]) -> list[CouncilMember]:
    found = {
        m.pk: m for m in CouncilMember.objects.filter(council_id=meeting.council_id, pk__in=ids)
    }
    if set(ids) - set(found):
        raise BadInput(_("This person is not a member of the council."), field="members")
    return [found[pk] for pk in dict.fromkeys(ids)]


@router.get(
    "/councils/{council_id}/meetings",
    response={200: MeetingPage, **LIST},
    summary="A council's meetings, latest first",
)
def list_meetings(request: HttpRequest, council_id: int, filters: Query[MeetingFilters]) -> Any:
    council = visible(Council.objects.visible_to(request.user), council_id)
    qs = _readable(request.user).filter(council=council)
    if filters.status:
        qs = qs.filter(status=filters.status)
    page = page_response(qs, filters.cursor, filters.limit, ("-starts_at", "-id"))
    page["items"] = [_out(m) for m in page["items"]]
    return page


@router.post(
    "/councils/{council_id}/meetings",
    response={201: MeetingDetailOut, **STEP},
    summary="Schedule a meeting (a draft; the staff over the place)",
)
def schedule_meeting(request: HttpRequest, council_id: int, payload: MeetingIn) -> Any:
    council = council_for(request, council_id, "councils.manage")
    meeting = actions.schedule_meeting(
        council,
        by=request.user,
        title=payload.title,
        location=payload.location,
        starts_at=payload.starts_at,
    )
    return HttpStatus(201, _detail(request, meeting.pk))


@router.get(
    "/meetings/{meeting_id}",
    response={200: MeetingDetailOut, **READ},
    summary="One meeting with its motions, speeches and attendance",
)
def get_meeting(request: HttpRequest, meeting_id: int) -> Any:
    return _detail(request, meeting_id)


@router.post(
    "/meetings/{meeting_id}/motions",
    response={201: MeetingDetailOut, **STEP},
    summary="Put a motion on the agenda (a screened proposal, or a motion of its own)",
)
def add_motion(request: HttpRequest, meeting_id: int, payload: MotionIn) -> Any:
    meeting = _meeting(request, meeting_id, "councils.manage")
    proposal = one_of(
        Proposal.objects.visible_to(request.user),
        payload.proposal,
        field="proposal",
        missing=_("There is no such proposal."),
    )
    actions.add_motion(
        meeting, by=request.user, title=payload.title, text=payload.text, proposal=proposal
    )
    return HttpStatus(201, _detail(request, meeting_id))


@router.post(
    "/meetings/{meeting_id}/announce",
    response={200: MeetingDetailOut, **STEP},
    summary="Publish the notice (at least the charter's notice period ahead)",
)
def announce_meeting(request: HttpRequest, meeting_id: int) -> Any:
    actions.announce_meeting(_meeting(request, meeting_id, "councils.manage"), by=request.user)
    return _detail(request, meeting_id)


@router.post(
    "/meetings/{meeting_id}/open",
    response={200: MeetingDetailOut, **STEP},
    summary="Open an announced meeting",
)
def open_meeting(request: HttpRequest, meeting_id: int) -> Any:
    actions.open_meeting(_meeting(request, meeting_id, "councils.run_meeting"), by=request.user)
    return _detail(request, meeting_id)


@router.post(
    "/meetings/{meeting_id}/cancel",
    response={200: MeetingDetailOut, **STEP},
    summary="Call off a meeting that has not begun",
)
def cancel_meeting(request: HttpRequest, meeting_id: int) -> Any:
    actions.cancel_meeting(_meeting(request, meeting_id, "councils.manage"), by=request.user)
    return _detail(request, meeting_id)


@router.post(
    "/meetings/{meeting_id}/attendance",
    response={200: MeetingDetailOut, **STEP},
    summary="Mark council members present",
)
def record_attendance(request: HttpRequest, meeting_id: int, payload: AttendanceIn) -> Any:
    meeting = _meeting(request, meeting_id, "councils.run_meeting")
    members = _members(meeting, payload.members)
    actions.record_attendance(meeting, by=request.user, members=members)
    return _detail(request, meeting_id)


@router.post(
    "/meetings/{meeting_id}/close",
    response={200: MeetingDetailOut, **STEP},
    summary="Close the meeting with its minutes (motions left open are deferred)",
)
def close_meeting(request: HttpRequest, meeting_id: int, payload: MinutesIn) -> Any:
    meeting = _meeting(request, meeting_id, "councils.run_meeting")
    actions.close_meeting(meeting, by=request.user, minutes=payload.minutes)
    return _detail(request, meeting_id)


@router.post(
    "/motions/{motion_id}/debate",
    response={200: MeetingDetailOut, **STEP},
    summary="Open the debate on a motion",
)
def start_debate(request: HttpRequest, motion_id: int) -> Any:
    motion = _motion(request, motion_id)
    actions.start_debate(motion, by=request.user)
    return _detail(request, motion.meeting_id)


@router.post(
    "/motions/{motion_id}/floor",
    response={200: MeetingDetailOut, **STEP},
    summary="Give a member the floor (ends the speech before; the charter's limits apply)",
)
def give_floor(request: HttpRequest, motion_id: int, payload: FloorIn) -> Any:
    motion = _motion(request, motion_id)
    [member] = _members(motion.meeting, [payload.member])
    actions.give_floor(motion, by=request.user, member=member, stance=payload.stance)
    return _detail(request, motion.meeting_id)


@router.post(
    "/motions/{motion_id}/defer",
    response={200: MeetingDetailOut, **STEP},
    summary="Put a motion off to a later meeting",
)
def defer_motion(request: HttpRequest, motion_id: int) -> Any:
    motion = _motion(request, motion_id)
    actions.defer_motion(motion, by=request.user)
    return _detail(request, motion.meeting_id)


@router.post(
    "/speeches/{speech_id}/end",
    response={200: MeetingDetailOut, **STEP},
    summary="End a speech",
)
def end_speech(request: HttpRequest, speech_id: int) -> Any:
    meetings = Meeting.objects.visible_to(request.user)
    speech = visible(
        Speech.objects.filter(motion__meeting__in=meetings).select_related("motion__meeting"),
        speech_id,
    )
    allow(request, "councils.run_meeting", speech.motion.meeting)
    actions.end_speech(speech, by=request.user)
    return _detail(request, speech.motion.meeting_id)

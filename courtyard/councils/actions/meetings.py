"""Meetings: schedule, agenda, notice, attendance, the floor, minutes, close."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from courtyard.core.errors import BadInput, Conflict
from courtyard.councils.actions._common import (
    TITLE_MAX,
    check_moment,
    clean_text,
    locked,
    log,
    now_or,
    require_status,
)
from courtyard.councils.models import (
    Attendance,
    Council,
    CouncilMember,
    Meeting,
    MeetingStatus,
    Motion,
    MotionStatus,
    Proposal,
    ProposalStatus,
    Speech,
    Stance,
)
from courtyard.notifications import events as notices

PREPARING = frozenset({MeetingStatus.DRAFT, MeetingStatus.ANNOUNCED})
# A meeting may be opened a little before its announced time (people arrive early).
OPEN_EARLY = timedelta(hours=1)
MINUTES_MAX = 50_000


@transaction.atomic
def schedule_meeting(
    council: Council,
    *,
    by: Any,
    title: str,
    location: str,
    starts_at: datetime,
    now: datetime | None = None,
) -> Meeting:
    """A draft meeting; its notice is published with `announce_meeting`."""
    check_moment(starts_at, "starts_at")
    at = now_or(now)
    if starts_at <= at:
        raise BadInput(_("A meeting is scheduled in the future."), field="starts_at")
    meeting = Meeting.objects.create(
        council=council,
        place_path=council.place_path,
        title=clean_text(title, "title", limit=TITLE_MAX),
        location=clean_text(location, "location", limit=TITLE_MAX),
        starts_at=starts_at,
    )
    log(meeting, by=by, verb="meeting_scheduled", at=at, starts_at=starts_at.isoformat())
    return meeting


@transaction.atomic
def add_motion(
    meeting: Meeting,
    *,
    by: Any,
    title: str = "",
    text: str = "",
    proposal: Any = None,
    now: datetime | None = None,
) -> Motion:
    """Put a motion on the agenda. A proposal goes on only once it was screened onto the
    council's agenda; its title is the motion's unless another is given."""
    meeting = (
        Meeting.objects.select_for_update(of=("self",)).select_related("council").get(pk=meeting.pk)
    )
    require_status(meeting, PREPARING, _("This meeting is %(status)s: its agenda is fixed."))
    at = now_or(now)
    if meeting.status == MeetingStatus.ANNOUNCED and (
        meeting.starts_at - at < timedelta(days=meeting.council.notice_days)
    ):
        raise Conflict(
            _("The notice period has begun: put this motion on the next meeting's agenda.")
        )
    if proposal is not None:
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)  # as it is now
        if proposal.council_id != meeting.council_id:
            raise BadInput(_("This proposal belongs to another council."), field="proposal")
        if proposal.status != ProposalStatus.ON_AGENDA:
            raise Conflict(
                _("Only a proposal screened onto the agenda can be moved; this one is %(status)s.")
                % {"status": proposal.get_status_display()}
            )
        title = title or proposal.title
        text = text or proposal.body
    last = meeting.motions.aggregate(last=Max("position"))["last"] or 0
    motion = Motion.objects.create(
        meeting=meeting,
        proposal=proposal,
        position=last + 1,
        title=clean_text(title, "title", limit=TITLE_MAX),
        text=clean_text(text, "text", required=False),
    )
    log(meeting, by=by, verb="motion_added", at=at, motion=motion.title)
    return motion


@transaction.atomic
def announce_meeting(meeting: Meeting, *, by: Any, now: datetime | None = None) -> Meeting:
    """Publish the notice: time, place and agenda, at least the charter's notice period
    before the meeting starts."""
    meeting = (
        Meeting.objects.select_for_update(of=("self",)).select_related("council").get(pk=meeting.pk)
    )
    require_status(
        meeting, {MeetingStatus.DRAFT}, _("This meeting is %(status)s: its notice is out already.")
    )
    at = now_or(now)
    notice = timedelta(days=meeting.council.notice_days)
    if meeting.starts_at - at < notice:
        raise Conflict(
            _(
                "The charter asks for %(days)d days' notice: announce it by %(latest)s, or move "
                "the meeting."
            )
            % {
                "days": meeting.council.notice_days,
                "latest": formats.date_format(
                    timezone.localtime(meeting.starts_at - notice), "DATETIME_FORMAT"
                ),
            }
        )
    if not meeting.motions.exists():
        raise Conflict(_("Put at least one motion on the agenda before announcing the meeting."))
    meeting.status = MeetingStatus.ANNOUNCED
    meeting.notice_published_at = at
    meeting.save(update_fields=["status", "notice_published_at"])
    log(
        meeting,
        by=by,
        verb="meeting_announced",
        at=at,
        status=[MeetingStatus.DRAFT, meeting.status],
    )
    notices.meeting_announced(meeting, by=by)
    return meeting


@transaction.atomic
def open_meeting(meeting: Meeting, *, by: Any, now: datetime | None = None) -> Meeting:
    meeting = locked(meeting)
    require_status(
        meeting, {MeetingStatus.ANNOUNCED}, _("This meeting is %(status)s: it cannot be opened.")
    )
    at = now_or(now)
    if at < meeting.starts_at - OPEN_EARLY:
        raise Conflict(_("This meeting starts later: open it when people have arrived."))
    meeting.status = MeetingStatus.IN_PROGRESS
    meeting.opened_at = at
    meeting.save(update_fields=["status", "opened_at"])
    log(
        meeting,
        by=by,
        verb="meeting_opened",
        at=at,
        status=[MeetingStatus.ANNOUNCED, meeting.status],
    )
    return meeting


def _in_progress(meeting: Meeting) -> None:
    require_status(
        meeting, {MeetingStatus.IN_PROGRESS}, _("This meeting is %(status)s: open it first.")
    )


def _member_of(meeting: Meeting, member: CouncilMember) -> None:
    if member.council_id != meeting.council_id or member.left_at is not None:
        raise BadInput(_("This person is not a member of the council."), field="member")


@transaction.atomic
def record_attendance(
    meeting: Meeting, *, by: Any, members: Iterable[CouncilMember], now: datetime | None = None
) -> int:
    """Mark members present (again is harmless); returns how many are present now."""
    meeting = locked(meeting)
    require_status(
        meeting,
        {MeetingStatus.ANNOUNCED, MeetingStatus.IN_PROGRESS},
        _("This meeting is %(status)s: attendance is taken while it runs."),
    )
    at = now_or(now)
    members = list(members)
    for member in members:
        _member_of(meeting, member)
    present = set(meeting.attendance.values_list("member_id", flat=True))
    new = [m for m in members if m.pk not in present]
    Attendance.objects.bulk_create(
        [Attendance(meeting=meeting, member=m, recorded_at=at) for m in new]
    )
    if new:
        log(meeting, by=by, verb="attendance_recorded", at=at, present=len(present) + len(new))
    return len(present) + len(new)


@transaction.atomic
def start_debate(motion: Motion, *, by: Any, now: datetime | None = None) -> Motion:
    motion = (
        Motion.objects.select_for_update(of=("self",)).select_related("meeting").get(pk=motion.pk)
    )
    _in_progress(motion.meeting)
    require_status(
        motion, {MotionStatus.PENDING, MotionStatus.DEFERRED}, _("This motion is %(status)s.")
    )
    motion.status = MotionStatus.DEBATING
    motion.save(update_fields=["status"])
    log(motion.meeting, by=by, verb="debate_started", at=now_or(now), motion=motion.title)
    return motion


@transaction.atomic
def give_floor(
    motion: Motion, *, by: Any, member: CouncilMember, stance: str, now: datetime | None = None
) -> Speech:
    """The chair gives `member` the floor on `motion`. Ends the speech before it. Refused
    once the member has spoken the charter's number of times on this motion."""
    motion = (
        Motion.objects.select_for_update(of=("self",))
        .select_related("meeting__council")
        .get(pk=motion.pk)
    )
    meeting = motion.meeting
    _in_progress(meeting)
    require_status(
        motion, {MotionStatus.DEBATING}, _("This motion is %(status)s: open its debate first.")
    )
    _member_of(meeting, member)
    if not meeting.attendance.filter(member=member).exists():
        raise Conflict(_("%(name)s is not recorded as present.") % {"name": member.display_name})
    if stance not in Stance.values:
        raise BadInput(_("Say whether the speaker is for or against."), field="stance")
    limit = meeting.council.speeches_per_motion
    spoken = motion.speeches.filter(member=member).count()
    if spoken >= limit:
        raise Conflict(
            _(
                "%(name)s has already spoken %(count)d times on this motion (the charter allows %(limit)d)."
            )
            % {"name": member.display_name, "count": spoken, "limit": limit}
        )
    at = now_or(now)
    motion.speeches.filter(ended_at__isnull=True).update(ended_at=at)
    order = (motion.speeches.aggregate(last=Max("order"))["last"] or 0) + 1
    speech = Speech.objects.create(
        motion=motion, member=member, order=order, stance=stance, started_at=at
    )
    log(meeting, by=by, verb="floor_given", at=at, motion=motion.title, order=order, stance=stance)
    return speech


@transaction.atomic
def end_speech(speech: Speech, *, by: Any, now: datetime | None = None) -> Speech:
    """The speaker's time is up or they yield; ending an ended speech changes nothing."""
    speech = (
        Speech.objects.select_for_update(of=("self",))
        .select_related("motion__meeting")
        .get(pk=speech.pk)
    )
    if speech.ended_at is None:
        speech.ended_at = now_or(now)
        speech.save(update_fields=["ended_at"])
        log(
            speech.motion.meeting,
            by=by,
            verb="speech_ended",
            at=speech.ended_at,
            order=speech.order,
            seconds=speech.seconds,
        )
    return speech


@transaction.atomic
def defer_motion(motion: Motion, *, by: Any, now: datetime | None = None) -> Motion:
    """Put a motion off to a later meeting (its proposal stays on the agenda)."""
    motion = (
        Motion.objects.select_for_update(of=("self",)).select_related("meeting").get(pk=motion.pk)
    )
    require_status(
        motion,
        {MotionStatus.PENDING, MotionStatus.DEBATING},
        _("This motion is %(status)s: it cannot be deferred."),
    )
    old = motion.status
    motion.status = MotionStatus.DEFERRED
    motion.save(update_fields=["status"])
    motion.speeches.filter(ended_at__isnull=True).update(ended_at=now_or(now))
    log(
        motion.meeting,
        by=by,
        verb="motion_deferred",
        at=now_or(now),
        motion=motion.title,
        status=[old, motion.status],
    )
    return motion


@transaction.atomic
def close_meeting(
    meeting: Meeting, *, by: Any, minutes: str, now: datetime | None = None
) -> Meeting:
    """Close with the minutes. Motions still in debate are deferred; votes must be closed."""
    minutes = clean_text(minutes, "minutes", limit=MINUTES_MAX)
    meeting = locked(meeting)
    _in_progress(meeting)
    if meeting.motions.filter(status=MotionStatus.VOTING).exists():
        raise Conflict(_("A vote of this meeting is still open: close it first."))
    at = now_or(now)
    meeting.motions.filter(status__in=[MotionStatus.PENDING, MotionStatus.DEBATING]).update(
        status=MotionStatus.DEFERRED
    )
    Speech.objects.filter(motion__meeting=meeting, ended_at__isnull=True).update(ended_at=at)
    meeting.status = MeetingStatus.CLOSED
    meeting.closed_at = at
    meeting.minutes = minutes
    meeting.save(update_fields=["status", "closed_at", "minutes"])
    log(
        meeting,
        by=by,
        verb="meeting_closed",
        at=at,
        status=[MeetingStatus.IN_PROGRESS, meeting.status],
    )
    return meeting


@transaction.atomic
def cancel_meeting(meeting: Meeting, *, by: Any, now: datetime | None = None) -> Meeting:
    meeting = locked(meeting)
    require_status(meeting, PREPARING, _("This meeting is %(status)s: it cannot be cancelled."))
    old = meeting.status
    meeting.status = MeetingStatus.CANCELLED
    meeting.save(update_fields=["status"])
    log(meeting, by=by, verb="meeting_cancelled", at=now_or(now), status=[old, meeting.status])
    return meeting

"""Meeting pages: the public meeting page (notice, agenda, minutes, results), the staff's
preparation (schedule, motions, announce, cancel) and the secretary's meeting screen
(open, attendance, the floor, defer, minutes, close). Votes and ballots: views_votes.

Meetings are read through `Meeting.objects.visible_to(user)` (drafts only for the staff over
the place; missing and forbidden both answer 404); each step checks its rules permission
(`councils.manage` to prepare, `councils.run_meeting` for the screen) and answers 404 when
refused. One action per POST; a refusal shows the page again with the action's sentence and
its status, and changes nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courtyard.core.errors import DomainError
from courtyard.core.http import AuthedRequest, Request
from courtyard.councils import actions
from courtyard.councils.forms_meetings import (
    AttendanceForm,
    FloorForm,
    HandsForm,
    MeetingForm,
    MinutesForm,
    MotionForm,
)
from courtyard.councils.models import (
    Ballot,
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
    Vote,
    Voter,
    VoteStatus,
)

PREPARING = (MeetingStatus.DRAFT, MeetingStatus.ANNOUNCED)
RUNNING = (MeetingStatus.ANNOUNCED, MeetingStatus.IN_PROGRESS)


def require(user: Any, perm: str, obj: Any) -> None:
    """Forbidden looks like missing."""
    if not user.has_perm(perm, obj):
        raise Http404


def visible_meeting(request: Request, pk: int) -> Meeting:
    return get_object_or_404(
        Meeting.objects.visible_to(request.user).select_related("council"), pk=pk
    )


def visible_motion(request: Request, pk: int) -> Motion:
    return get_object_or_404(
        Motion.objects.filter(meeting__in=Meeting.objects.visible_to(request.user)).select_related(
            "meeting__council", "proposal"
        ),
        pk=pk,
    )


def form_errors(form: forms.Form) -> list[str]:
    return [str(e) for errors in form.errors.values() for e in errors]


# ── The meeting page ──────────────────────────────────────────────────────────────────────


def _agenda_proposals(meeting: Meeting) -> Any:
    return Proposal.objects.filter(
        council_id=meeting.council_id, status=ProposalStatus.ON_AGENDA
    ).order_by("-raised_at", "-pk")


def _render_detail(
    request: Request,
    meeting: Meeting,
    *,
    refused: list[str] | None = None,
    motion_form: MotionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    motions = list(meeting.motions.select_related("proposal").order_by("position"))
    votes = {
        v.motion_id: v
        for v in Vote.objects.visible_to(user)
        .filter(motion__meeting=meeting)
        .exclude(status=VoteStatus.CANCELLED)
    }
    manages = user.has_perm("councils.manage", meeting)
    preparing = manages and meeting.status in PREPARING
    if preparing and motion_form is None:
        motion_form = MotionForm(proposals=_agenda_proposals(meeting))
    context = {
        "meeting": meeting,
        "council": meeting.council,
        "rows": [(m, votes.get(m.pk)) for m in motions],
        "manages": manages,
        "preparing": preparing,
        "motion_form": motion_form if preparing else None,
        "may_run": meeting.status in (*RUNNING, MeetingStatus.CLOSED)
        and user.has_perm("councils.run_meeting", meeting),
        "refused": refused or [],
    }
    return render(request, "councils/meeting_detail.html", context, status=status)


@require_GET
def meeting_detail(request: Request, pk: int) -> HttpResponse:
    """The notice (time, place, agenda), then the minutes and the results once held."""
    return _render_detail(request, visible_meeting(request, pk))


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request: AuthedRequest, council_pk: int) -> HttpResponse:
    """Schedule a draft meeting of a council (staff over its place)."""
    council = get_object_or_404(Council.objects.visible_to(request.user), pk=council_pk)
    require(request.user, "councils.manage", council)
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = actions.schedule_meeting(council, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The meeting is scheduled: put motions on its agenda."))
            return redirect("councils:meeting-detail", pk=meeting.pk)
    status = 400 if form.errors else 200
    return render(
        request, "councils/meeting_form.html", {"form": form, "council": council}, status=status
    )


@login_required
@require_POST
def meeting_add_motion(request: AuthedRequest, pk: int) -> HttpResponse:
    meeting = visible_meeting(request, pk)
    require(request.user, "councils.manage", meeting)
    form = MotionForm(request.POST, proposals=_agenda_proposals(meeting))
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.add_motion(
                meeting,
                by=request.user,
                proposal=data["proposal"],
                title=data["title"],
                text=data["text"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            status = exc.status
        else:
            messages.success(request, _("The motion is on the agenda."))
            return redirect("councils:meeting-detail", pk=meeting.pk)
    return _render_detail(request, meeting, motion_form=form, status=status)


def _step(
    request: AuthedRequest,
    meeting: Meeting,
    step: Callable[[], Any],
    done: str,
    *,
    back: str = "councils:meeting-detail",
    on_refusal: Callable[..., HttpResponse] | None = None,
) -> HttpResponse:
    """Run one action; go back with a message, or show the page again with the refusal."""
    try:
        step()
    except DomainError as exc:
        render_again = on_refusal or _render_detail
        return render_again(request, meeting, refused=[exc.message], status=exc.status)
    messages.success(request, done)
    return redirect(back, pk=meeting.pk)


@login_required
@require_POST
def meeting_announce(request: AuthedRequest, pk: int) -> HttpResponse:
    """Publish the notice; refused (409, shown on the page) inside the notice period."""
    meeting = visible_meeting(request, pk)
    require(request.user, "councils.manage", meeting)
    return _step(
        request,
        meeting,
        lambda: actions.announce_meeting(meeting, by=request.user),
        _("The notice is published."),
    )


@login_required
@require_POST
def meeting_cancel(request: AuthedRequest, pk: int) -> HttpResponse:
    meeting = visible_meeting(request, pk)
    require(request.user, "councils.manage", meeting)
    return _step(
        request,
        meeting,
        lambda: actions.cancel_meeting(meeting, by=request.user),
        _("The meeting is cancelled."),
    )


# ── The secretary's meeting screen ────────────────────────────────────────────────────────


@dataclass
class Speaker:
    member: CouncilMember
    spoken: int
    may_speak: bool


@dataclass
class MotionRow:
    motion: Motion
    speeches: list[Speech]
    current: Speech | None
    speakers: list[Speaker]
    vote: Vote | None
    hands_form: HandsForm | None = None
    elapsed: int = 0  # seconds of the current speech when the page was made
    over: bool = False


def _motion_rows(
    meeting: Meeting, members: list[CouncilMember], present: set[int]
) -> list[MotionRow]:
    """Each motion with its speaking order, who may still speak, its vote and, for an open
    vote taken by hands, one row per present member who has not voted yet. A fixed number
    of queries, however many motions, speeches and voters."""
    motions = list(meeting.motions.order_by("position"))
    speeches: dict[int, list[Speech]] = defaultdict(list)
    for speech in (
        Speech.objects.filter(motion__meeting=meeting)
        .select_related("member__user")
        .order_by("motion_id", "order")
    ):
        speeches[speech.motion_id].append(speech)
    votes = {
        v.motion_id: v
        for v in Vote.objects.filter(motion__meeting=meeting)
        .exclude(status=VoteStatus.CANCELLED)
        .select_related("resolution")  # a passed vote's resolution: signing goes on there
    }
    open_votes = [v.pk for v in votes.values() if v.status == VoteStatus.OPEN and not v.secret]
    voters: dict[int, list[Any]] = defaultdict(list)
    voted: set[int] = set()
    if open_votes:
        voted = set(
            Ballot.objects.filter(vote_id__in=open_votes).values_list("voter_id", flat=True)
        )
        for voter in Voter.objects.filter(vote_id__in=open_votes).order_by("pk"):
            member_id = int(voter.key.removeprefix("member:"))
            if member_id in present and voter.pk not in voted:
                voters[voter.vote_id].append(voter)
    limit = meeting.council.speeches_per_motion
    rows = []
    for motion in motions:
        spoken = Counter(s.member_id for s in speeches[motion.pk])
        vote = votes.get(motion.pk)
        row = MotionRow(
            motion=motion,
            speeches=speeches[motion.pk],
            current=next((s for s in speeches[motion.pk] if s.ended_at is None), None),
            speakers=[
                Speaker(m, spoken[m.pk], spoken[m.pk] < limit) for m in members if m.pk in present
            ],
            vote=vote,
        )
        if vote is not None and vote.pk in open_votes:
            row.hands_form = HandsForm(voters=voters[vote.pk], auto_id=f"hands-{vote.pk}-%s")
        rows.append(row)
    return rows


def render_run(
    request: Request,
    meeting: Meeting,
    *,
    refused: list[str] | None = None,
    minutes_form: MinutesForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The meeting screen: attendance, each motion's floor and vote, the minutes."""
    members = list(meeting.council.members.current().select_related("user").order_by("role", "pk"))
    present = set(meeting.attendance.values_list("member_id", flat=True))
    now = timezone.now()
    rows = _motion_rows(meeting, members, present)
    limit_seconds = meeting.council.speech_minutes * 60
    for row in rows:
        if row.current is not None:
            elapsed = int((now - row.current.started_at).total_seconds())
            row.elapsed, row.over = elapsed, elapsed > limit_seconds
    context = {
        "meeting": meeting,
        "council": meeting.council,
        "members": members,
        "present": present,
        "attendance_form": AttendanceForm(members=members, initial={"members": sorted(present)}),
        "rows": rows,
        "stances": Stance.choices,
        "limit_seconds": limit_seconds,
        "minutes_form": minutes_form or MinutesForm(initial={"minutes": meeting.minutes}),
        "refused": refused or [],
        "in_progress": meeting.status == MeetingStatus.IN_PROGRESS,
        "debatable": (MotionStatus.PENDING, MotionStatus.DEFERRED),
        "deferrable": (MotionStatus.PENDING, MotionStatus.DEBATING),
    }
    return render(request, "councils/meeting_run.html", context, status=status)


def _runnable(request: AuthedRequest, pk: int) -> Meeting:
    meeting = visible_meeting(request, pk)
    require(request.user, "councils.run_meeting", meeting)
    return meeting


def _run_step(
    request: AuthedRequest, meeting: Meeting, step: Callable[[], Any], done: str
) -> HttpResponse:
    return _step(request, meeting, step, done, back="councils:meeting-run", on_refusal=render_run)


@login_required
@require_GET
def meeting_run(request: AuthedRequest, pk: int) -> HttpResponse:
    return render_run(request, _runnable(request, pk))


@login_required
@require_POST
def meeting_open(request: AuthedRequest, pk: int) -> HttpResponse:
    meeting = _runnable(request, pk)
    return _run_step(
        request,
        meeting,
        lambda: actions.open_meeting(meeting, by=request.user),
        _("The meeting is open."),
    )


@login_required
@require_POST
def meeting_attendance(request: AuthedRequest, pk: int) -> HttpResponse:
    """Tick who is present (ticking again is harmless; nobody is struck off)."""
    meeting = _runnable(request, pk)
    members = list(meeting.council.members.current().select_related("user"))
    form = AttendanceForm(request.POST, members=members)
    if not form.is_valid():
        return render_run(request, meeting, refused=form_errors(form), status=400)
    return _run_step(
        request,
        meeting,
        lambda: actions.record_attendance(
            meeting, by=request.user, members=form.cleaned_data["members"]
        ),
        _("Attendance is recorded."),
    )


@login_required
@require_POST
def meeting_close(request: AuthedRequest, pk: int) -> HttpResponse:
    meeting = _runnable(request, pk)
    form = MinutesForm(request.POST)
    if not form.is_valid():
        return render_run(request, meeting, minutes_form=form, status=400)
    try:
        actions.close_meeting(meeting, by=request.user, minutes=form.cleaned_data["minutes"])
    except DomainError as exc:
        return render_run(
            request, meeting, refused=[exc.message], minutes_form=form, status=exc.status
        )
    messages.success(request, _("The meeting is closed and its minutes are kept."))
    return redirect("councils:meeting-detail", pk=meeting.pk)


def _motion_step(request: AuthedRequest, pk: int, step: Callable[..., Any], done: str) -> Any:
    motion = visible_motion(request, pk)
    meeting = motion.meeting
    require(request.user, "councils.run_meeting", meeting)
    return _run_step(request, meeting, lambda: step(motion), done)


@login_required
@require_POST
def motion_debate(request: AuthedRequest, pk: int) -> HttpResponse:
    return _motion_step(
        request,
        pk,
        lambda m: actions.start_debate(m, by=request.user),
        _("The debate is open."),
    )


@login_required
@require_POST
def motion_defer(request: AuthedRequest, pk: int) -> HttpResponse:
    return _motion_step(
        request,
        pk,
        lambda m: actions.defer_motion(m, by=request.user),
        _("The motion is deferred."),
    )


@login_required
@require_POST
def motion_floor(request: AuthedRequest, pk: int) -> HttpResponse:
    """Give a present member the floor with their stance (ends the speech before)."""
    motion = visible_motion(request, pk)
    meeting = motion.meeting
    require(request.user, "councils.run_meeting", meeting)
    form = FloorForm(request.POST)
    if not form.is_valid():
        return render_run(request, meeting, refused=form_errors(form), status=400)
    member = (
        CouncilMember.objects.filter(council_id=meeting.council_id, pk=form.cleaned_data["member"])
        .select_related("user")
        .first()
    )
    if member is None:
        return render_run(
            request, meeting, refused=[_("This person is not a member of the council.")], status=400
        )
    return _run_step(
        request,
        meeting,
        lambda: actions.give_floor(
            motion, by=request.user, member=member, stance=form.cleaned_data["stance"]
        ),
        _("%(name)s has the floor.") % {"name": member.display_name},
    )


@login_required
@require_POST
def motion_end_speech(request: AuthedRequest, pk: int) -> HttpResponse:
    motion = visible_motion(request, pk)
    meeting = motion.meeting
    require(request.user, "councils.run_meeting", meeting)
    speech = motion.speeches.filter(ended_at__isnull=True).first()
    if speech is None:
        return render_run(request, meeting, refused=[_("Nobody has the floor.")], status=409)
    return _run_step(
        request,
        meeting,
        lambda: actions.end_speech(speech, by=request.user),
        _("The speech has ended."),
    )

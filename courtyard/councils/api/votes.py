"""Votes in the API: /api/v1/councils/{id}/votes, /api/v1/votes/{id} and its ballots.

- Votes of a visible council are public once prepared (drafts: the staff over the place).
  While a vote runs with hidden results (`results_hidden`, from the charter) only the number
  of ballots shows; `counts` is null until the close. A closed vote shows its tally and the
  reasons (`/result`).
- A secret vote never shows how anyone voted — not even the voter's own ballot shows a
  choice. Owners' votes are never secret; owners' names are personal data: the voters list
  names them only for the staff over the place (`councils.see_owners`).
- Preparing, opening, closing and cancelling a vote and recording hands and paper ballots
  are for those who run the council's meetings (`councils.run_meeting`). Online ballots are
  cast by the voter in person; the action refuses (403) anyone not on the electorate.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status as HttpStatus

from courtyard.core.api import ErrorOut, page_response
from courtyard.core.errors import BadInput, Conflict
from courtyard.councils import actions
from courtyard.councils.api.common import (
    LIST,
    READ,
    STEP,
    PageParams,
    allow,
    area_text,
    logged_in,
    named,
    one_of,
    utc,
    visible,
)
from courtyard.councils.api.councils import council_for
from courtyard.councils.models import (
    Ballot,
    Council,
    Matter,
    Motion,
    OwnersRoll,
    SecretCount,
    Vote,
    VoteMethod,
    Voter,
    VoteStatus,
)
from courtyard.councils.models.meetings import Meeting

router = Router(tags=["councils"])

CHOICES = ("yes", "no", "abstain")


class CountsOut(Schema):
    yes: int
    no: int
    abstain: int


class VoteOut(Schema):
    id: int
    council_id: int
    motion_id: int | None
    meeting_id: int | None
    title: str
    roll_id: int | None = Field(..., description="Set for an owners' vote")
    matter: str = Field(..., description="Civil Code Art. 278 item, for an owners' vote")
    rule: str = Field(..., description="Frozen when the vote opens")
    secret: bool
    results_hidden: bool
    status: VoteStatus
    online_opens_at: datetime | None
    online_closes_at: datetime | None
    online_open_now: bool
    opened_at: datetime | None
    closed_at: datetime | None
    voter_count: int
    ballot_count: int
    counts: CountsOut | None = Field(..., description="Null while the results are hidden")
    passed: bool | None
    quorum_met: bool | None


class MyBallotOut(Schema):
    choice: str | None = Field(..., description="Null in a secret vote")
    method: VoteMethod
    cast_at: datetime
    changed_at: datetime | None


class VoteDetailOut(VoteOut):
    my_ballot: MyBallotOut | None = Field(..., description="The caller's ballot, if they voted")


class VotePage(Schema):
    items: list[VoteOut]
    next_cursor: str | None


class ResultOut(Schema):
    rule: str
    passed: bool
    quorum_met: bool
    participants: int
    yes: int
    no: int
    abstain: int
    members: int | None = None
    owners: int | None = None
    total_area: str | None = None
    participating_area: str | None = None
    yes_area: str | None = None
    no_area: str | None = None
    abstain_area: str | None = None
    reasons: list[str]


class VoterOut(Schema):
    id: int
    key: str = Field(..., description="member:<member id>, or the owner's id on the roll")
    name: str | None = Field(..., description="Owners' names only for the staff over the place")
    area: str | None
    parts: int
    voted: bool
    method: VoteMethod | None


class VoterPage(Schema):
    items: list[VoterOut]
    next_cursor: str | None


class VoteIn(Schema):
    title: str = Field("", description="Empty: the motion's title")
    motion: int | None = Field(None, description="A motion of the council's meeting")
    roll: int | None = Field(None, description="The owners' roll: an owners' vote")
    matter: Matter | None = Field(None, description="For an owners' vote")
    online_opens_at: datetime | None = None
    online_closes_at: datetime | None = None


class ChoiceIn(Schema):
    choice: str = Field(..., description="yes, no or abstain")


class PaperIn(ChoiceIn):
    voter: int = Field(..., description="The voter's id (see /voters)")
    paper_ref: str = Field(..., description="The paper ballot's number")


class HandIn(ChoiceIn):
    member: int = Field(..., description="A council member present")


class HandsIn(Schema):
    choices: list[HandIn]


def _live_counts(votes: list[Vote]) -> dict[int, dict[str, int]]:
    """Counts of running or cancelled votes whose results are not hidden: at most two
    queries for any number of votes (ballots; secret choices, which name no voter)."""
    shown = [v for v in votes if v.status != VoteStatus.CLOSED and not v.results_hidden]
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CHOICES, 0))
    open_ = [v.pk for v in shown if not v.secret]
    secret = [v.pk for v in shown if v.secret]
    rows: list[Any] = []
    if open_:
        rows += (
            Ballot.objects.filter(vote_id__in=open_)
            .values_list("vote_id", "choice")
            .annotate(n=Count("id"))
            .order_by()
        )
    if secret:
        rows += SecretCount.objects.filter(vote_id__in=secret).values_list(
            "vote_id", "choice", "count"
        )
    for vote_id, choice, n in rows:
        if choice in CHOICES:
            counts[vote_id][choice] += n
    return {v.pk: counts[v.pk] for v in shown}


def _out(vote: Vote, live: dict[int, dict[str, int]]) -> dict[str, Any]:
    counts: dict[str, int] | None = live.get(vote.pk)
    if vote.status == VoteStatus.CLOSED and vote.result:
        counts = {c: vote.result[c] for c in CHOICES}
    return {
        "id": vote.pk,
        "council_id": vote.council_id,
        "motion_id": vote.motion_id,
        "meeting_id": vote.motion.meeting_id if vote.motion else None,
        "title": vote.title,
        "roll_id": vote.roll_id,
        "matter": vote.matter,
        "rule": vote.rule,
        "secret": vote.secret,
        "results_hidden": vote.results_hidden,
        "status": vote.status,
        "online_opens_at": utc(vote.online_opens_at),
        "online_closes_at": utc(vote.online_closes_at),
        "online_open_now": vote.online_window_open(),
        "opened_at": utc(vote.opened_at),
        "closed_at": utc(vote.closed_at),
        "voter_count": vote.voter_count,
        "ballot_count": vote.ballot_count,
        "counts": counts,
        "passed": vote.passed,
        "quorum_met": vote.quorum_met,
    }


def _readable(user: Any) -> Any:
    """`Vote.objects.visible_to` (drafts for staff and the council's chair and secretary)."""
    return Vote.objects.visible_to(user).select_related("motion")


def _detail(request: HttpRequest, vote_id: int) -> dict[str, Any]:
    vote = visible(_readable(request.user), vote_id)
    mine = None
    if request.user.is_authenticated:
        ballot = Ballot.objects.filter(vote=vote, voter__user=request.user).first()
        if ballot is not None:
            mine = {
                "choice": None if vote.secret else ballot.choice,
                "method": ballot.method,
                "cast_at": utc(ballot.cast_at),
                "changed_at": utc(ballot.changed_at),
            }
    return {**_out(vote, _live_counts([vote])), "my_ballot": mine}


def _vote(request: HttpRequest, vote_id: int, perm: str) -> Vote:
    """A vote the caller may act on. An owners' vote lists owners (personal data) and counts
    their area: only the staff over the place run it, whatever `perm` the step names."""
    vote = visible(_readable(request.user), vote_id)
    allow(request, "councils.see_owners" if vote.roll_id else perm, vote)
    return vote


@router.get(
    "/councils/{council_id}/votes",
    response={200: VotePage, **LIST},
    summary="A council's votes, newest first",
)
def list_votes(request: HttpRequest, council_id: int, params: Query[PageParams]) -> Any:
    council = visible(Council.objects.visible_to(request.user), council_id)
    qs = _readable(request.user).filter(council=council)
    page = page_response(qs, params.cursor, params.limit, ("-id",))
    live = _live_counts(page["items"])
    page["items"] = [_out(vote, live) for vote in page["items"]]
    return page


@router.post(
    "/councils/{council_id}/votes",
    response={201: VoteDetailOut, **STEP},
    summary="Prepare a vote: on a motion, or an owners' vote on a roll",
)
def create_vote(request: HttpRequest, council_id: int, payload: VoteIn) -> Any:
    council = council_for(request, council_id, "councils.run_meeting")
    meetings = Meeting.objects.visible_to(request.user).filter(council=council)
    motion = one_of(
        Motion.objects.filter(meeting__in=meetings).select_related("meeting"),
        payload.motion,
        field="motion",
        missing=_("There is no such motion in this council."),
    )
    roll = one_of(
        OwnersRoll.objects.filter(council=council),
        payload.roll,
        field="roll",
        missing=_("There is no such owners' roll in this council."),
    )
    if roll is not None:
        allow(request, "councils.see_owners", council)  # owners' votes: staff only
    vote = actions.create_vote(
        council,
        by=request.user,
        title=payload.title,
        motion=motion,
        roll=roll,
        matter=payload.matter or "",
        online_opens_at=payload.online_opens_at,
        online_closes_at=payload.online_closes_at,
    )
    return HttpStatus(201, _detail(request, vote.pk))


@router.get(
    "/votes/{vote_id}",
    response={200: VoteDetailOut, **READ},
    summary="One vote; counts only when its results are not hidden",
)
def get_vote(request: HttpRequest, vote_id: int) -> Any:
    return _detail(request, vote_id)


@router.get(
    "/votes/{vote_id}/result",
    response={200: ResultOut, **READ, 409: ErrorOut},
    summary="The tally of a closed vote, with the reasons",
)
def get_result(request: HttpRequest, vote_id: int) -> Any:
    vote = visible(_readable(request.user), vote_id)
    if vote.status != VoteStatus.CLOSED or not vote.result:
        raise Conflict(_("This vote has no result yet: it is counted when it closes."))
    return vote.result


@router.get(
    "/votes/{vote_id}/voters",
    response={200: VoterPage, **LIST, 403: ErrorOut},
    summary="The frozen electorate and who has voted (those who run the meetings)",
)
def list_voters(request: HttpRequest, vote_id: int, params: Query[PageParams]) -> Any:
    vote = _vote(request, vote_id, "councils.run_meeting")
    names = vote.roll_id is None or request.user.has_perm("councils.see_owners", vote)
    page = page_response(vote.voters.all(), params.cursor, params.limit, ("key", "id"))
    ids = [voter.pk for voter in page["items"]]
    voted = dict(Ballot.objects.filter(voter_id__in=ids).values_list("voter_id", "method"))
    page["items"] = [
        {
            "id": v.pk,
            "key": v.key,
            "name": v.name if names else None,
            "area": area_text(v.area) if v.area is not None else None,
            "parts": v.parts,
            "voted": v.pk in voted,
            "method": voted.get(v.pk),
        }
        for v in page["items"]
    ]
    return page


def _vote_step(request: HttpRequest, vote_id: int, action: Any) -> Any:
    action(_vote(request, vote_id, "councils.run_meeting"), by=request.user)
    return _detail(request, vote_id)


@router.post(
    "/votes/{vote_id}/open",
    response={200: VoteDetailOut, **STEP},
    summary="Open the vote: its electorate, rule and secrecy are frozen now",
)
def open_vote(request: HttpRequest, vote_id: int) -> Any:
    return _vote_step(request, vote_id, actions.open_vote)


@router.post(
    "/votes/{vote_id}/close",
    response={200: VoteDetailOut, **STEP},
    summary="Close and count (after the online window); a passed vote drafts a resolution",
)
def close_vote(request: HttpRequest, vote_id: int) -> Any:
    return _vote_step(request, vote_id, actions.close_vote)


@router.post(
    "/votes/{vote_id}/cancel",
    response={200: VoteDetailOut, **STEP},
    summary="Call off a vote that has not closed",
)
def cancel_vote(request: HttpRequest, vote_id: int) -> Any:
    return _vote_step(request, vote_id, actions.cancel_vote)


@router.post(
    "/votes/{vote_id}/ballot",
    response={200: VoteDetailOut, **STEP},
    summary="Cast (or change, until the window closes) one's online ballot",
)
def cast_ballot(request: HttpRequest, vote_id: int, payload: ChoiceIn) -> Any:
    vote = visible(_readable(request.user), vote_id)
    user = logged_in(request)
    actions.cast_ballot(vote, by=user, choice=payload.choice)
    return _detail(request, vote_id)


@router.post(
    "/votes/{vote_id}/paper",
    response={200: VoteDetailOut, **STEP},
    summary="Enter a paper ballot with the paper's number (one paper counts once)",
)
def record_paper_ballot(request: HttpRequest, vote_id: int, payload: PaperIn) -> Any:
    vote = _vote(request, vote_id, "councils.run_meeting")
    voter = named(
        Voter.objects.filter(vote=vote),
        payload.voter,
        field="voter",
        missing=_("This voter is not on the electorate of this vote."),
    )
    actions.record_paper_ballot(
        vote, by=request.user, voter=voter, choice=payload.choice, paper_ref=payload.paper_ref
    )
    return _detail(request, vote_id)


@router.post(
    "/votes/{vote_id}/hands",
    response={200: VoteDetailOut, **STEP},
    summary="Record a show of hands: each present member's choice (all or nothing)",
)
def record_hands(request: HttpRequest, vote_id: int, payload: HandsIn) -> Any:
    vote = _vote(request, vote_id, "councils.run_meeting")
    keys = {f"member:{hand.member}": hand.choice for hand in payload.choices}
    if len(keys) != len(payload.choices):
        raise BadInput(_("Each member raises a hand once."), field="choices")
    voters = {v.key: v for v in Voter.objects.filter(vote=vote, key__in=keys)}
    if set(keys) - set(voters):
        raise BadInput(_("This voter is not on the electorate of this vote."), field="choices")
    actions.record_hands(
        vote, by=request.user, choices={voters[key]: choice for key, choice in keys.items()}
    )
    return _detail(request, vote_id)

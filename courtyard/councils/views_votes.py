"""Vote pages: the results page, the steps of a vote (create on a motion, open, show of
hands, close, cancel), the ballot page on a phone and the staff's entry of paper ballots.

Votes are read through the councils the user may see; a draft only by those who run it
(404 for the rest). A meeting's vote is run by `councils.run_meeting` (staff over the place, the chair,
the secretary); an owners' vote, whose voters' names are personal data, by staff over the
place only (`councils.see_owners`). Results stay hidden while an open vote's
`results_hidden` says so: the page shows the number of ballots only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from courtyard.core.errors import DomainError
from courtyard.core.http import AuthedRequest, Request
from courtyard.core.pagination import keyset_page
from courtyard.councils import actions
from courtyard.councils.forms_meetings import (
    CHOICES,
    BallotForm,
    HandsForm,
    PaperBallotForm,
    VoteWindowForm,
)
from courtyard.councils.models import (
    Ballot,
    Council,
    DecisionRule,
    Matter,
    Resolution,
    ResolutionStatus,
    Vote,
    Voter,
    VoteStatus,
)
from courtyard.councils.tally import Tally
from courtyard.councils.views_meetings import (
    form_errors,
    render_run,
    require,
    visible_motion,
)
from courtyard.places.models import prefix_range

SEARCH_MAX = 50
CHOICE_LABELS = dict(CHOICES)


def visible_vote(request: Request, pk: int) -> Vote:
    """A vote of a council the user may see. A draft is for those who run it: the staff
    over the place and, for a meeting's vote, the chair and the secretary who prepared it
    on the meeting screen; an owners' draft only by staff."""
    vote = get_object_or_404(
        Vote.objects.filter(council__in=Council.objects.visible_to(request.user)).select_related(
            "council", "motion__meeting__council", "roll", "resolution"
        ),
        pk=pk,
    )
    if vote.status == VoteStatus.DRAFT:
        require(request.user, run_perm(vote), vote)
    return vote


def run_perm(vote: Vote) -> str:
    """Who runs this vote: owners' votes show owners' names, so staff only."""
    return "councils.see_owners" if vote.is_owners_vote else "councils.run_meeting"


def _runnable(request: AuthedRequest, pk: int) -> Vote:
    vote = visible_vote(request, pk)
    require(request.user, run_perm(vote), vote)
    return vote


def rule_label(vote: Vote) -> str:
    if vote.is_owners_vote:
        return str(Matter(vote.matter).label) if vote.matter in Matter.values else ""
    return str(DecisionRule(vote.rule).label) if vote.rule in DecisionRule.values else ""


def shown_tally(vote: Vote) -> Tally | None:
    """The count the page may show: after the close, or while open when not hidden. Counted
    again from the frozen electorate and ballots, so that the reasons read in the reader's
    language (the stored result keeps the closer's)."""
    if vote.status == VoteStatus.CLOSED or (
        vote.status == VoteStatus.OPEN and not vote.results_hidden
    ):
        return actions.tally_vote(vote)
    return None


def _resolution_shown(vote: Vote, *, may_run: bool) -> Resolution | None:
    """A passed vote's resolution (read with the vote), linked where the reader may open
    it: once published for everyone, while it awaits signatures for those who run the vote."""
    resolution: Resolution | None = getattr(vote, "resolution", None) if vote.passed else None
    if resolution is None or (resolution.status == ResolutionStatus.DRAFT and not may_run):
        return None
    return resolution


def render_vote(
    request: Request, vote: Vote, *, refused: list[str] | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    now = timezone.now()
    is_voter = (
        user.is_authenticated
        and vote.status == VoteStatus.OPEN
        and vote.voters.filter(user_id=user.pk).exists()
    )
    context_may_run = user.has_perm(run_perm(vote), vote)
    context = {
        "vote": vote,
        "council": vote.council,
        "tally": shown_tally(vote),
        "rule_label": rule_label(vote),
        "window_open": vote.online_window_open(now),
        "is_voter": is_voter,
        "may_run": context_may_run,
        "refused": refused or [],
        "resolution": _resolution_shown(vote, may_run=context_may_run),
    }
    return render(request, "councils/vote_detail.html", context, status=status)


@require_GET
def vote_detail(request: Request, pk: int) -> HttpResponse:
    """The question, the window, and the tally's numbers, thresholds and reasons."""
    return render_vote(request, visible_vote(request, pk))


def _back(request: AuthedRequest, vote: Vote, step: Any, done: str) -> HttpResponse:
    """Run one step of a vote; back to the meeting screen (a meeting's vote) or to the vote
    page, with the refusal shown there."""
    meeting = vote.motion.meeting if vote.motion is not None else None
    try:
        step()
    except DomainError as exc:
        if meeting is not None:
            return render_run(request, meeting, refused=[exc.message], status=exc.status)
        return render_vote(request, vote, refused=[exc.message], status=exc.status)
    messages.success(request, done)
    if meeting is not None:
        return redirect("councils:meeting-run", pk=meeting.pk)
    return redirect("councils:vote-detail", pk=vote.pk)


@login_required
@require_POST
def motion_vote(request: AuthedRequest, pk: int) -> HttpResponse:
    """Prepare a vote on a motion (optionally with an online window for the members)."""
    motion = visible_motion(request, pk)
    meeting = motion.meeting
    require(request.user, "councils.run_meeting", meeting)
    form = VoteWindowForm(request.POST)
    if not form.is_valid():
        return render_run(request, meeting, refused=form_errors(form), status=400)
    try:
        actions.create_vote(meeting.council, by=request.user, motion=motion, **form.cleaned_data)
    except DomainError as exc:
        return render_run(request, meeting, refused=[exc.message], status=exc.status)
    messages.success(request, _("The vote is prepared: open it when the debate is over."))
    return redirect("councils:meeting-run", pk=meeting.pk)


@login_required
@require_POST
def vote_open(request: AuthedRequest, pk: int) -> HttpResponse:
    vote = _runnable(request, pk)
    return _back(
        request,
        vote,
        lambda: actions.open_vote(vote, by=request.user),
        _("The vote is open."),
    )


@login_required
@require_POST
def vote_close(request: AuthedRequest, pk: int) -> HttpResponse:
    vote = _runnable(request, pk)
    return _back(
        request,
        vote,
        lambda: actions.close_vote(vote, by=request.user),
        _("The vote is closed and counted."),
    )


@login_required
@require_POST
def vote_cancel(request: AuthedRequest, pk: int) -> HttpResponse:
    vote = _runnable(request, pk)
    return _back(
        request,
        vote,
        lambda: actions.cancel_vote(vote, by=request.user),
        _("The vote is cancelled."),
    )


@login_required
@require_POST
def vote_hands(request: AuthedRequest, pk: int) -> HttpResponse:
    """The show of hands: one choice per present member, all recorded or none."""
    vote = _runnable(request, pk)
    voters = list(vote.voters.order_by("pk"))
    form = HandsForm(request.POST, voters=voters)
    if not form.is_valid():
        meeting = vote.motion.meeting if vote.motion is not None else None
        if meeting is not None:
            return render_run(request, meeting, refused=form_errors(form), status=400)
        return render_vote(request, vote, refused=form_errors(form), status=400)
    choices = form.choices()
    return _back(
        request,
        vote,
        lambda: actions.record_hands(vote, by=request.user, choices=choices),
        _("The show of hands is recorded (%(count)d).") % {"count": len(choices)},
    )


# ── The ballot page ───────────────────────────────────────────────────────────────────────


def _render_ballot(
    request: AuthedRequest, vote: Vote, *, refused: list[str] | None = None, status: int = 200
) -> HttpResponse:
    voter = vote.voters.filter(user_id=request.user.pk).first()
    ballot = Ballot.objects.filter(vote=vote, voter=voter).first() if voter else None
    now = timezone.now()
    window_open = vote.online_window_open(now)
    may_change = ballot is not None and ballot.method == "online" and not vote.secret
    context = {
        "vote": vote,
        "voter": voter,
        "ballot": ballot,
        "choice_label": CHOICE_LABELS.get(ballot.choice, "") if ballot else "",
        "window_open": window_open,
        "may_cast": voter is not None and window_open and (ballot is None or may_change),
        "may_change": may_change,
        "choices": CHOICES,
        "refused": refused or [],
    }
    return render(request, "councils/ballot_cast.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def ballot_cast(request: AuthedRequest, pk: int) -> HttpResponse:
    """The voter's own ballot, online within the window. Refusals (outside the window, not
    on the electorate, already voted) are the action's sentences; nothing is stored."""
    vote = visible_vote(request, pk)
    require(request.user, "councils.cast_ballot", vote)
    if request.method == "GET":
        return _render_ballot(request, vote)
    form = BallotForm(request.POST)
    if not form.is_valid():
        return _render_ballot(request, vote, refused=form_errors(form), status=400)
    try:
        actions.cast_ballot(vote, by=request.user, choice=form.cleaned_data["choice"])
    except DomainError as exc:
        return _render_ballot(request, vote, refused=[exc.message], status=exc.status)
    messages.success(request, _("Your ballot is counted."))
    return redirect("councils:ballot-cast", pk=vote.pk)


# ── Paper ballots ─────────────────────────────────────────────────────────────────────────


def _render_paper(
    request: AuthedRequest,
    vote: Vote,
    *,
    bound: PaperBallotForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The vote's voters by name (a prefix search, keyset pages), each with a form for its
    paper ballot, or the ballot already recorded."""
    q = str(request.GET.get("q") or "").strip()[:SEARCH_MAX]
    voters = vote.voters.all()
    if q:
        low, high = prefix_range(q)
        voters = voters.filter(name__gte=low, name__lt=high)
    page = keyset_page(
        voters, cursor=request.GET.get("cursor"), size=settings.PAGE_SIZE, order=("name", "pk")
    )
    ballots = {
        b.voter_id: b
        for b in Ballot.objects.filter(vote=vote, voter__in=[v.pk for v in page.items]).only(
            "voter_id", "method", "paper_ref"
        )
    }
    bound_voter = str(bound.data.get("voter")) if bound is not None else None
    rows = []
    for voter in page.items:
        mine = bound is not None and bound_voter == str(voter.pk)
        form = bound if mine else PaperBallotForm(initial={"voter": voter.pk})
        assert form is not None
        form.auto_id = f"paper-{voter.pk}-%s"
        rows.append((voter, ballots.get(voter.pk), form))
    refused = (
        form_errors(bound) if bound is not None and not any(r[2] is bound for r in rows) else []
    )
    query = urlencode({"q": q}) if q else ""
    context = {
        "vote": vote,
        "rows": rows,
        "page": page,
        "q": q,
        "query": query,
        "action": reverse("councils:ballot-paper", args=[vote.pk]) + (f"?{query}" if query else ""),
        "choices": CHOICES,
        "refused": refused,
        "open": vote.status == VoteStatus.OPEN,
    }
    template = "councils/ballot_paper_rows.html" if request.htmx else "councils/ballot_paper.html"
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def ballot_paper(request: AuthedRequest, pk: int) -> HttpResponse:
    """Staff enter a paper ballot with the paper's number, choosing the voter by name."""
    vote = _runnable(request, pk)
    if request.method == "GET":
        return _render_paper(request, vote)
    form = PaperBallotForm(request.POST)
    if not form.is_valid():
        return _render_paper(request, vote, bound=form, status=400)
    data = form.cleaned_data
    voter: Voter | None = vote.voters.filter(pk=data["voter"]).first()
    if voter is None:
        form.add_error("voter", _("This voter is not on the electorate of this vote."))
        return _render_paper(request, vote, bound=form, status=400)
    try:
        actions.record_paper_ballot(
            vote, by=request.user, voter=voter, choice=data["choice"], paper_ref=data["paper_ref"]
        )
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _render_paper(request, vote, bound=form, status=exc.status)
    messages.success(
        request,
        _("Paper ballot %(ref)s is recorded for %(name)s.")
        % {"ref": data["paper_ref"], "name": voter.name},
    )
    back = reverse("councils:ballot-paper", args=[vote.pk])
    q = str(request.GET.get("q") or "").strip()[:SEARCH_MAX]
    return redirect(f"{back}?{urlencode({'q': q})}" if q else back)

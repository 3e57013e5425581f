"""Votes: prepare, open (freezing electorate and rule), ballots by hand, paper or online,
close with the tally. One voter, one ballot — decided by the database."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from courtyard.core.errors import BadInput, Conflict, NotAllowed
from courtyard.councils.actions._common import (
    TITLE_MAX,
    check_moment,
    clean_text,
    log,
    now_or,
    require_status,
)
from courtyard.councils.models import (
    Ballot,
    Council,
    Matter,
    MeetingStatus,
    Motion,
    MotionStatus,
    OwnersRoll,
    ProposalStatus,
    Resolution,
    SecretCount,
    Vote,
    VoteMethod,
    Voter,
    VoteStatus,
)
from courtyard.councils.models.council import DecisionRule
from courtyard.councils.tally import Ballot as TallyBallot
from courtyard.councils.tally import Choice, Electorate, Tally, get_rule, tally_votes
from courtyard.notifications import events as notices

CHOICE_ORDER = (Choice.YES, Choice.NO, Choice.ABSTAIN)


def _choice(value: str) -> Choice:
    if value not in Choice.__members__.values():
        raise BadInput(_("Choose yes, no or abstain."), field="choice")
    return Choice(value)


@transaction.atomic
def create_vote(
    council: Council,
    *,
    by: Any,
    title: str = "",
    motion: Motion | None = None,
    roll: OwnersRoll | None = None,
    matter: str = "",
    online_opens_at: datetime | None = None,
    online_closes_at: datetime | None = None,
    now: datetime | None = None,
) -> Vote:
    """Prepare a vote: on a motion of a meeting, or on its own (an owners' vote over weeks).
    An owners' vote names its roll and its matter under Civil Code Art. 278."""
    if motion is not None:
        if motion.meeting.council_id != council.pk:
            raise BadInput(_("This motion belongs to another council."), field="motion")
        if motion.votes.exclude(status=VoteStatus.CANCELLED).exists():
            raise Conflict(_("This motion already has a vote."))
        title = title or motion.title
    if roll is not None and motion is not None:
        raise BadInput(
            _("An owners' vote is not a meeting's motion: prepare it on its own."), field="roll"
        )
    if roll is not None:
        if roll.council_id != council.pk:
            raise BadInput(_("This roll belongs to another council."), field="roll")
        if matter not in Matter.values:
            raise BadInput(_("Say which matter of Civil Code Art. 278 this is."), field="matter")
    elif matter:
        raise BadInput(
            _("Only owners' votes have a matter; choose the owners' roll."), field="roll"
        )
    check_moment(online_opens_at, "online_opens_at")
    check_moment(online_closes_at, "online_closes_at")
    if (online_opens_at is None) != (online_closes_at is None):
        raise BadInput(_("Give both ends of the online voting window."), field="online_closes_at")
    if online_opens_at and online_closes_at and online_opens_at >= online_closes_at:
        raise BadInput(_("The online window must close after it opens."), field="online_closes_at")
    vote = Vote.objects.create(
        council=council,
        place_path=council.place_path,
        motion=motion,
        title=clean_text(title, "title", limit=TITLE_MAX),
        roll=roll,
        matter=matter,
        online_opens_at=online_opens_at,
        online_closes_at=online_closes_at,
    )
    log(vote, by=by, verb="vote_created", at=now_or(now), title=vote.title)
    return vote


def _freeze_voters(vote: Vote) -> list[Voter]:
    if vote.roll_id is None:
        members = vote.council.members.current().select_related("user").order_by("pk")
        return [
            Voter(vote=vote, key=f"member:{m.pk}", user=m.user, name=m.display_name)
            for m in members
        ]
    owners: dict[str, Voter] = {}
    areas: dict[str, Decimal] = defaultdict(Decimal)
    for part in vote.roll.parts.order_by("pk"):  # type: ignore[union-attr]
        voter = owners.get(part.owner_key)
        if voter is None:
            voter = owners[part.owner_key] = Voter(
                vote=vote, key=part.owner_key, name=part.owner_name, parts=0
            )
        voter.parts += 1
        areas[part.owner_key] += part.area
        if voter.user_id is None and part.owner_user_id is not None:
            voter.user_id = part.owner_user_id
    for key, voter in owners.items():
        voter.area = areas[key]
    return list(owners.values())


@transaction.atomic
def open_vote(vote: Vote, *, by: Any, now: datetime | None = None) -> Vote:
    """Open the vote: its electorate (current members, or the owners of the roll with their
    areas), rule, secrecy and visibility are frozen now; later changes to the council or
    the roll do not reach it."""
    vote = (
        Vote.objects.select_for_update(of=("self",))
        .select_related("council", "motion__meeting")
        .get(pk=vote.pk)
    )
    require_status(vote, {VoteStatus.DRAFT}, _("This vote is %(status)s: it cannot be opened."))
    at = now_or(now)
    council = vote.council
    if vote.motion is not None:
        if vote.motion.meeting.status != MeetingStatus.IN_PROGRESS:
            raise Conflict(_("A motion is voted on while its meeting is in progress."))
        if vote.motion.status not in (MotionStatus.PENDING, MotionStatus.DEBATING):
            raise Conflict(
                _("This motion is %(status)s: it cannot be put to the vote.")
                % {"status": vote.motion.get_status_display()}
            )
    voters = _freeze_voters(vote)
    if not voters:
        raise Conflict(
            _("Nobody could vote: the owners' roll is empty.")
            if vote.roll_id
            else _("Nobody could vote: the council has no members.")
        )
    if vote.roll_id is not None:
        vote.rule = Matter.rule_for(vote.matter)
        vote.custom_rule = None
        vote.secret = False  # owners' votes count area per owner: they are signed ballots
    else:
        vote.rule = council.decision_rule
        vote.custom_rule = (
            council.custom_rule if council.decision_rule == DecisionRule.CUSTOM else None
        )
        vote.secret = council.secret_ballots
    get_rule(vote.rule, vote.custom_rule)  # a broken charter refuses here, not at the close
    Voter.objects.bulk_create(voters, batch_size=2000)
    if vote.secret:
        SecretCount.objects.bulk_create([SecretCount(vote=vote, choice=c) for c in CHOICE_ORDER])
    # Live counts of a secret vote would tell, ballot by ballot, how each voter voted.
    vote.results_hidden = council.results_hidden_until_close or vote.secret
    vote.voter_count = len(voters)
    vote.status = VoteStatus.OPEN
    vote.opened_at = at
    vote.save()
    if vote.motion is not None:
        vote.motion.status = MotionStatus.VOTING
        vote.motion.save(update_fields=["status"])
        vote.motion.speeches.filter(ended_at__isnull=True).update(ended_at=at)
    log(
        vote,
        by=by,
        verb="vote_opened",
        at=at,
        rule=vote.rule,
        voters=len(voters),
        secret=vote.secret,
    )
    notices.vote_opened(vote, by=by)
    return vote


def _record(
    vote: Vote,
    voter: Voter,
    *,
    by: Any,
    choice: Choice,
    method: str,
    at: datetime,
    paper_ref: str = "",
    may_change: bool = False,
) -> Ballot:
    """Write one ballot (or change an online one). The voter's row is locked, so a voter's
    concurrent requests queue; the unique constraint is the last word."""
    voter = Voter.objects.select_for_update().get(pk=voter.pk)
    existing = Ballot.objects.filter(vote=vote, voter=voter).first()
    if existing is not None:
        if not (may_change and existing.method == VoteMethod.ONLINE and not vote.secret):
            raise Conflict(
                _("%(name)s has already voted: one voter, one ballot.") % {"name": voter.name}
            )
        old = existing.choice
        if old != choice:
            existing.choice = choice
            existing.changed_at = at
            existing.save(update_fields=["choice", "changed_at"])
            log(
                vote,
                by=by,
                verb="ballot_changed",
                at=at,
                voter=voter.key,
                choice=[old, str(choice)],
            )
        return existing
    try:
        with transaction.atomic():
            ballot = Ballot.objects.create(
                vote=vote,
                voter=voter,
                choice="" if vote.secret else choice,
                method=method,
                paper_ref=paper_ref,
                recorded_by=by if method != VoteMethod.ONLINE else None,
                cast_at=at,
            )
    except IntegrityError as exc:
        if paper_ref:
            raise Conflict(
                _("Paper ballot %(ref)s is already counted in this vote.") % {"ref": paper_ref}
            ) from exc
        raise Conflict(
            _("%(name)s has already voted: one voter, one ballot.") % {"name": voter.name}
        ) from exc
    if vote.secret:
        SecretCount.objects.filter(vote=vote, choice=choice).update(count=F("count") + 1)
    Vote.objects.filter(pk=vote.pk).update(ballot_count=F("ballot_count") + 1)
    # A secret vote's trail proves that this voter voted, never how.
    log(
        vote,
        by=by,
        verb="ballot_cast",
        at=at,
        voter=voter.key,
        method=method,
        paper=paper_ref or None,
        choice=None if vote.secret else str(choice),
    )
    return ballot


def _open_for_ballots(vote: Vote) -> Vote:
    """The vote, locked: a ballot and the close queue, so no ballot lands after the count."""
    vote = (
        Vote.objects.select_for_update(of=("self",))
        .select_related("motion__meeting")
        .get(pk=vote.pk)
    )
    require_status(vote, {VoteStatus.OPEN}, _("This vote is %(status)s: it takes no ballots."))
    return vote


@transaction.atomic
def cast_ballot(vote: Vote, *, by: Any, choice: str, now: datetime | None = None) -> Ballot:
    """An online ballot by the voter in person, within the window. It may be changed until
    the window closes, except in a secret vote."""
    choice_ = _choice(choice)
    vote = _open_for_ballots(vote)
    at = now_or(now)
    if not vote.online_window_open(at):
        raise Conflict(_("Online voting is not open now for this vote."))
    voter = vote.voters.filter(user_id=getattr(by, "pk", None) or 0).first()
    if voter is None:
        raise NotAllowed(_("You are not on the electorate of this vote."))
    return _record(
        vote, voter, by=by, choice=choice_, method=VoteMethod.ONLINE, at=at, may_change=True
    )


@transaction.atomic
def record_paper_ballot(
    vote: Vote, *, by: Any, voter: Voter, choice: str, paper_ref: str, now: datetime | None = None
) -> Ballot:
    """Staff enter a paper ballot with the paper's number; one paper counts once."""
    choice_ = _choice(choice)
    paper_ref = clean_text(paper_ref, "paper_ref", limit=64)
    vote = _open_for_ballots(vote)
    if voter.vote_id != vote.pk:
        raise BadInput(_("This voter is not on the electorate of this vote."), field="voter")
    return _record(
        vote,
        voter,
        by=by,
        choice=choice_,
        method=VoteMethod.PAPER,
        at=now_or(now),
        paper_ref=paper_ref,
    )


@transaction.atomic
def record_hands(
    vote: Vote, *, by: Any, choices: dict[Voter, str], now: datetime | None = None
) -> int:
    """The secretary records a show of hands at the meeting: each present member's choice.
    Refused for secret votes and owners' votes; all or nothing."""
    vote = _open_for_ballots(vote)
    if vote.secret:
        raise Conflict(_("A secret vote is not taken by a show of hands."))
    if vote.roll_id is not None:
        raise Conflict(_("Owners vote by paper or online ballot, not by a show of hands."))
    if vote.motion is None or vote.motion.meeting.status != MeetingStatus.IN_PROGRESS:
        raise Conflict(_("A show of hands is taken at a meeting in progress."))
    present = set(vote.motion.meeting.attendance.values_list("member_id", flat=True))
    at = now_or(now)
    parsed = [(voter, _choice(value)) for voter, value in choices.items()]
    for voter, _c in parsed:
        if voter.vote_id != vote.pk:
            raise BadInput(_("This voter is not on the electorate of this vote."), field="voter")
        if int(voter.key.removeprefix("member:")) not in present:
            raise Conflict(_("%(name)s is not recorded as present.") % {"name": voter.name})
    for voter, choice_ in parsed:
        _record(vote, voter, by=by, choice=choice_, method=VoteMethod.HANDS, at=at)
    return len(parsed)


def tally_vote(vote: Vote) -> Tally:
    """Count the vote from its frozen electorate and its ballots. A secret vote's choices are
    matched to its participants in a fixed order: for member rules only the counts matter."""
    voters = list(vote.voters.order_by("key").values_list("pk", "key", "area"))
    if vote.roll_id is None:
        electorate = Electorate.of_members(key for _pk, key, _a in voters)
    else:
        electorate = Electorate.of_owners({key: area or Decimal(0) for _pk, key, area in voters})
    key_of = {pk: key for pk, key, _a in voters}
    rows = vote.ballots.values_list("voter_id", "choice")
    if vote.secret:
        participants = sorted(key_of[voter_id] for voter_id, _c in rows)
        counts = dict(vote.secret_counts.values_list("choice", "count"))
        secret = [choice for choice in CHOICE_ORDER for _n in range(counts.get(choice, 0))]
        ballots = [TallyBallot(v, c) for v, c in zip(participants, secret, strict=True)]
    else:
        ballots = [TallyBallot(key_of[voter_id], choice) for voter_id, choice in rows]
    return tally_votes(get_rule(vote.rule, vote.custom_rule), electorate, ballots)


@transaction.atomic
def close_vote(vote: Vote, *, by: Any, now: datetime | None = None) -> Vote:
    """Close and tally. While an online window runs the vote stays open (voters may still
    change their ballots). A passed motion becomes a draft resolution to be signed."""
    vote = (
        Vote.objects.select_for_update(of=("self",))
        .select_related("motion__proposal")
        .get(pk=vote.pk)
    )
    require_status(vote, {VoteStatus.OPEN}, _("This vote is %(status)s: it cannot be closed."))
    at = now_or(now)
    if vote.online_closes_at is not None and at < vote.online_closes_at:
        raise Conflict(_("Online voting runs until its window closes; close the vote after that."))
    result = tally_vote(vote)
    vote.status = VoteStatus.CLOSED
    vote.closed_at = at
    vote.passed = result.passed
    vote.quorum_met = result.quorum_met
    vote.result = result.as_dict()
    vote.save(update_fields=["status", "closed_at", "passed", "quorum_met", "result"])
    motion = vote.motion
    if motion is not None:
        motion.status = MotionStatus.PASSED if result.passed else MotionStatus.FAILED
        motion.save(update_fields=["status"])
        if motion.proposal is not None:
            motion.proposal.status = ProposalStatus.DECIDED
            motion.proposal.save(update_fields=["status"])
    log(vote, by=by, verb="vote_closed", at=at, passed=result.passed, quorum_met=result.quorum_met)
    if result.passed:
        resolution = Resolution.objects.create(
            council_id=vote.council_id,
            place_path=vote.place_path,
            vote=vote,
            motion=motion,
            proposal=motion.proposal if motion else None,
            title=vote.title,
            text=(motion.text if motion and motion.text else vote.title),
            created_at=at,
        )
        log(resolution, by=by, verb="resolution_drafted", at=at, vote=vote.pk)
    return vote


@transaction.atomic
def cancel_vote(vote: Vote, *, by: Any, now: datetime | None = None) -> Vote:
    """Call off a vote that has not closed; ballots cast stay on record, uncounted."""
    vote = Vote.objects.select_for_update(of=("self",)).select_related("motion").get(pk=vote.pk)
    require_status(
        vote,
        {VoteStatus.DRAFT, VoteStatus.OPEN},
        _("This vote is %(status)s: it cannot be cancelled."),
    )
    old = vote.status
    vote.status = VoteStatus.CANCELLED
    vote.save(update_fields=["status"])
    if vote.motion is not None and vote.motion.status == MotionStatus.VOTING:
        vote.motion.status = MotionStatus.DEBATING
        vote.motion.save(update_fields=["status"])
    log(vote, by=by, verb="vote_cancelled", at=now_or(now), status=[old, vote.status])
    return vote

"""Owners' rolls and owners' votes for `courtyard generate --councils N` (see
`generator_councils`): a roll of 20–400 exclusive parts whose counters match its parts,
and a vote on it under Civil Code Art. 278 whose `Voter` rows are what `open_vote` freezes
(one per owner, areas summed, parts counted)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from courtyard.councils.models import (
    Ballot,
    Council,
    CouncilMember,
    ExclusivePart,
    Matter,
    OwnersRoll,
    Vote,
    VoteMethod,
    Voter,
    VoteStatus,
)
from courtyard.councils.tally import Ballot as TallyBallot
from courtyard.councils.tally import Electorate, Part, tally_votes
from courtyard.demo import generator_council_words as words
from courtyard.demo.generator_councils import CHOICES, CouncilPlanner, Person, Seat, person_name


def roll(
    planner: CouncilPlanner, council: Council, seat: Seat, people: list[Person], created: datetime
) -> tuple[OwnersRoll, list[ExclusivePart]]:
    """Most owners hold one part, one in ten a second; a developer or housing centre may
    hold several unsold parts (one owner). Some of `people` own a part, with their account."""
    rng = planner.rng
    n = rng.randint(20, 400)
    made = planner.add(
        OwnersRoll,
        council_id=council.pk,
        name=f"{seat.name}业主名册",
        imported_at=created + timedelta(days=rng.randint(1, 60)),
    )
    developer = rng.randint(1, max(1, n // 10)) if rng.random() < 0.4 else 0
    accounts = list(people)
    rng.shuffle(accounts)
    parts: list[ExclusivePart] = []
    owner: tuple[str, str, int | None] = ("", "", None)
    for i in range(n):
        if i >= n - developer:
            if owner[0] != "o-dev":
                owner = ("o-dev", f"{seat.name}{rng.choice(words.DEVELOPERS)}", None)
        elif i and owner[0] != "o-dev" and rng.random() < 0.1:
            pass  # a second part of the same owner
        elif accounts and rng.random() < 0.3:
            person = accounts.pop()
            owner = (f"o-{i + 1}", person.name, person.pk)
        else:
            owner = (f"o-{i + 1}", person_name(rng), None)
        part = f"{i // 12 + 1}-{(i % 12) // 2 + 1}{i % 2 + 1:02d}"  # 1-101, 1-102, 1-201 …
        area = Decimal(rng.randint(3_500, 16_000)).scaleb(-2)
        parts.append(
            planner.add(
                ExclusivePart,
                roll_id=made.pk,
                part=part,
                area=area,
                owner_key=owner[0],
                owner_name=owner[1],
                owner_user_id=owner[2],
            )
        )
    made.part_count = n
    made.owner_count = len({p.owner_key for p in parts})
    made.total_area = sum((p.area for p in parts), Decimal(0))
    return made, parts


def owners_vote(
    planner: CouncilPlanner,
    council: Council,
    members: list[CouncilMember],
    roll: OwnersRoll,
    parts: list[ExclusivePart],
) -> None:
    """Open now (the online window running, results hidden) or closed with the tally's
    result; ballots online from owners with accounts, on paper (numbered, recorded by the
    secretary) from the others."""
    rng, now = planner.rng, planner.now
    titles, matters, weights = zip(*words.OWNERS_VOTES, strict=True)
    k = rng.choices(range(len(titles)), weights)[0]
    is_open = rng.random() < 0.5
    if is_open:
        opens = now - timedelta(days=rng.randint(1, 10))
        closes = now + timedelta(days=rng.randint(3, 20))
    else:
        closes = now - timedelta(days=rng.randint(5, 120))
        opens = max(closes - timedelta(days=rng.randint(7, 21)), roll.imported_at)
    vote = planner.add(
        Vote,
        council_id=council.pk,
        place_path=council.place_path,
        title=titles[k],
        roll_id=roll.pk,
        matter=matters[k],
        rule=Matter.rule_for(matters[k]),
        results_hidden=council.results_hidden_until_close,
        status=VoteStatus.OPEN,
        online_opens_at=opens,
        online_closes_at=closes,
        opened_at=opens,
    )
    voters: dict[str, Voter] = {}
    for part in parts:
        voter = voters.get(part.owner_key)
        if voter is None:
            voter = voters[part.owner_key] = planner.add(
                Voter, vote_id=vote.pk, key=part.owner_key, name=part.owner_name, area=Decimal(0)
            )
        voter.parts += 1
        voter.area = (voter.area or Decimal(0)) + part.area
        if voter.user_id is None and part.owner_user_id is not None:
            voter.user_id = part.owner_user_id
    share = rng.uniform(0.2, 0.6) if is_open else rng.uniform(0.5, 0.95)
    voting = rng.sample(list(voters.values()), round(len(voters) * share))
    ballots = []
    secretary = members[1].user_id
    for number, voter in enumerate(voting, 1):
        choice = rng.choice(CHOICES)
        online = voter.user_id is not None and rng.random() < 0.7
        planner.add(
            Ballot,
            vote_id=vote.pk,
            voter_id=voter.pk,
            choice=choice,
            method=VoteMethod.ONLINE if online else VoteMethod.PAPER,
            paper_ref="" if online else f"P-{number:04d}",
            recorded_by_id=None if online else secretary,
            cast_at=opens + (min(closes, now) - opens) * rng.random(),
        )
        ballots.append(TallyBallot(voter.key, choice))
    vote.voter_count, vote.ballot_count = len(voters), len(voting)
    if is_open:
        return
    vote.status, vote.closed_at = VoteStatus.CLOSED, closes + timedelta(hours=1)
    electorate = Electorate.of_parts(Part(v.key, v.key, f"{v.area:.2f}") for v in voters.values())
    planner.record_result(vote, tally_votes(vote.rule, electorate, ballots))
    if vote.passed:
        planner.resolution(council, vote, None, members, members[1], vote.closed_at)

"""`courtyard generate --councils N`: councils in bulk, with members, proposals and their
supporters, meetings (attendance, motions, speeches, votes by show of hands, signed and
published resolutions) and owners' rolls of 20–400 exclusive parts with owners' votes
(`generator_council_owners`).

Rows are planned a chunk of councils at a time and written with `executemany` (the
demands generator's `RowWriter`: ids numbered here, PostgreSQL's sequences moved past
them at the end), with every count and stamp the actions would keep: `support_count`
equals the supports, a roll's `part_count`/`owner_count`/`total_area` its parts, a vote's
`voter_count`/`ballot_count` its frozen `Voter` rows and its ballots, a resolution's
`signature_count` its signatures; closed votes carry the tally engine's result. Deadlines
are computed as the actions compute them, and what `check_council_clocks` would have done
by now is done (overdue screening marked, resolutions past both periods in effect).

Invariants:
- One `random.Random`, consumed in a fixed order over places sorted by code: the same seed
  and the same day give the same councils, names and choices on any database.
- Members are residents of the place who already have accounts (home there), then new
  accounts that cannot log in (usernames `council-<root code>-<serial>`); a run refuses a
  database that holds such usernames already.
- Generated rows have no audit events (they are not the doing of any person).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.management.base import CommandError
from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max
from django.utils import timezone

from courtyard.councils.conf import configured_charter
from courtyard.councils.models import (
    Attendance,
    Ballot,
    Council,
    CouncilMember,
    ExclusivePart,
    Meeting,
    MeetingStatus,
    MemberRole,
    Motion,
    MotionStatus,
    OwnersRoll,
    Proposal,
    ProposalStatus,
    ProposalSupport,
    Resolution,
    ResolutionStatus,
    Signature,
    Speech,
    Stance,
    Vote,
    VoteMethod,
    Voter,
    VoteStatus,
)
from courtyard.councils.tally import Ballot as TallyBallot
from courtyard.councils.tally import Electorate, Tally, tally_votes
from courtyard.demands.clock import add_time
from courtyard.demands.generator import GIVEN_NAMES, SURNAMES, RowWriter
from courtyard.demo import generator_council_words as words
from courtyard.demo.naming import short_place_name
from courtyard.organizations.models import Organization, OrganizationKind
from courtyard.people.models import User
from courtyard.places.models import COMMUNITY_LEVEL_KINDS, Place, PlaceKind, path_ids

CHUNK = 250  # councils planned, then written, together (bounded memory)
BUILDING_SHARE = 0.3  # councils at a building or courtyard (楼门院议事会); the rest at communities
TABLES: list[type[models.Model]] = [
    User, Council, CouncilMember, OwnersRoll, ExclusivePart, Proposal, ProposalSupport,
    Meeting, Motion, Attendance, Speech, Vote, Voter, Ballot, Resolution, Signature,
]  # fmt: skip
LABELS = {  # the generator's summary names the rows it made
    User: "council_accounts", Council: "councils", CouncilMember: "council_members",
    OwnersRoll: "owners_rolls", ExclusivePart: "exclusive_parts", Proposal: "proposals",
    ProposalSupport: "supports", Meeting: "meetings", Motion: "motions",
    Attendance: "attendances", Speech: "speeches", Vote: "votes", Voter: "voters",
    Ballot: "ballots", Resolution: "resolutions", Signature: "signatures",
}  # fmt: skip
CHOICES = ["yes"] * 7 + ["no"] * 2 + ["abstain"]
ORG_ROLES: dict[str, str] = {
    OrganizationKind.SOCIAL_ORGANIZATION: MemberRole.SOCIAL_ORGANIZATION,
    OrganizationKind.PROPERTY_COMPANY: MemberRole.PROPERTY_COMPANY,
}


def username_prefix(root_code: str) -> str:
    return f"council-{root_code[:6]}-"


def refuse_unless_fresh(root_code: str) -> None:
    """Generated accounts of an earlier run would collide with this run's usernames."""
    if User.objects.filter(username__startswith=username_prefix(root_code)).exists():
        raise CommandError(
            "This database already holds generated council members "
            f"({username_prefix(root_code)}…); generate into a fresh database. "
            "Nothing was written."
        )


@dataclass(frozen=True)
class Seat:
    """A place a council sits at, with what the plan needs of its surroundings."""

    pk: int
    name: str  # in words, for names and texts
    path: str
    is_building: bool
    community: int  # the community's pk (its own for a community)
    homes: tuple[int, ...]  # buildings where its residents live


class Person(NamedTuple):
    pk: int
    name: str


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A time in [start, end), or `start` when the span is empty."""
    seconds = int((end - start).total_seconds())
    return start + timedelta(seconds=rng.randrange(seconds)) if seconds > 0 else start


class CouncilPlanner:
    """Plans councils one at a time (`plan`), writes what is planned (`flush`)."""

    def __init__(self, rng: random.Random, root: Place, *, now: datetime) -> None:
        self.rng, self.now = rng, now
        self.prefix = username_prefix(root.code)
        self.serial = 0
        self.charter = configured_charter()
        self.counts: dict[str, int] = defaultdict(int)
        self.orgs: dict[tuple[int, str], list[int]] = defaultdict(list)
        self.residents: dict[int, list[Person]] = defaultdict(list)
        self.writer = RowWriter(*TABLES)
        self.next_id = {
            model: (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1
            for model in TABLES
        }
        self.pending: dict[type[models.Model], list[Any]] = defaultdict(list)

    def add(self, model: type[Any], **values: Any) -> Any:
        """A new row of `model` (values by attname), numbered now so that children can
        point at it before it is written."""
        obj = self.writer.new(model, **values)
        obj.pk = self.next_id[model]
        self.next_id[model] += 1
        self.pending[model].append(obj)
        return obj

    def flush(self, bar: Any) -> None:
        for model in TABLES:
            objs = self.pending.pop(model, [])
            self.writer.write(objs)
            self.counts[LABELS[model]] += len(objs)
            if bar is not None:
                bar.update(len(objs))

    def finish(self) -> None:
        """Move PostgreSQL's sequences past the ids numbered here (SQLite's follow)."""
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), TABLES):
                cursor.execute(statement)

    # Surroundings -------------------------------------------------------------------------

    def seats(self, root: Place, n: int) -> list[Seat]:
        """`n` places under `root`: communities and (BUILDING_SHARE) buildings, picked in
        code order with replacement (a place may hold several councils)."""
        places = Place.objects.within(root).order_by("code")
        communities = list(
            places.filter(kind__in=COMMUNITY_LEVEL_KINDS).values_list("pk", "name", "path")
        )
        if not communities:
            raise CommandError("Councils sit at communities: the tree has none.")
        names = {pk: short_place_name(name) or name for pk, name, _p in communities}
        buildings: list[tuple[int, str, str, int]] = []
        homes: dict[int, list[int]] = defaultdict(list)
        for pk, name, path in places.filter(kind=PlaceKind.BUILDING).values_list(
            "pk", "name", "path"
        ):
            community = next((i for i in reversed(path_ids(path)) if i in names), 0)
            buildings.append((pk, name, path, community))
            homes[community].append(pk)
        chosen = []
        for _ in range(n):
            if buildings and self.rng.random() < BUILDING_SHARE:
                pk, name, path, community = self.rng.choice(buildings)
                label = f"{names.get(community, '')}{name}"
                chosen.append(Seat(pk, label, path, True, community or pk, (pk,)))
            else:
                pk, _name, path = self.rng.choice(communities)
                chosen.append(Seat(pk, names[pk], path, False, pk, tuple(homes.get(pk, ()))))
        self._surroundings(chosen)
        return chosen

    def _surroundings(self, seats: list[Seat]) -> None:
        """Organizations at the seats' communities, and people who already live there."""
        communities = sorted({s.community for s in seats})
        homes = sorted({h for s in seats for h in (*s.homes, s.pk)})
        for i in range(0, len(communities), 5000):
            orgs = Organization.objects.filter(
                place_id__in=communities[i : i + 5000], is_active=True
            ).exclude(kind=OrganizationKind.GOVERNMENT_DEPARTMENT)
            for place_id, pk, kind in orgs.order_by("pk").values_list("place_id", "pk", "kind"):
                self.orgs[(place_id, ORG_ROLES.get(kind, MemberRole.UNIT))].append(pk)
        for i in range(0, len(homes), 5000):
            people = User.objects.filter(home_id__in=homes[i : i + 5000], is_active=True)
            for home, pk, name, username in people.order_by("pk").values_list(
                "home_id", "pk", "display_name", "username"
            ):
                self.residents[home].append(Person(pk, name or username))

    # One council --------------------------------------------------------------------------

    def plan(self, seat: Seat) -> None:
        from courtyard.demo.generator_council_owners import owners_vote, roll

        rng, now = self.rng, self.now
        created = now - timedelta(days=rng.randint(200, 900))
        kind = "楼门院议事会" if seat.is_building else rng.choice(["居民议事会", "议事协商会"])
        council = self.add(
            Council,
            place_id=seat.pk,
            place_path=seat.path,
            name=f"{seat.name}{kind}",
            description=f"{seat.name}的居民议事平台：民事民提、民议、民决、民办、民评。",
            created_at=created,
            **self.charter,
        )
        roles = self._roles(seat)
        people = self._people(seat, len(roles) + rng.randint(3, 8))
        members = [
            self.add(CouncilMember, council_id=council.pk, user_id=person.pk, role=role,
                     organization_id=org, joined_at=created)
            for (role, org), person in zip(roles, people, strict=False)
        ]  # fmt: skip
        names = {person.pk: person.name for person in people}
        rolled = (
            roll(self, council, seat, people, created)
            if rng.random() < (0.8 if seat.is_building else 0.2)
            else None
        )
        held = rng.choice([0, 1, 1, 2, 2, 3])  # closed meetings, spread over its life
        first, last = created + timedelta(days=30), now - timedelta(days=7)
        for i in range(held):
            at = (first + (last - first) * (i + rng.uniform(0.2, 0.8)) / held).replace(minute=0)
            self._closed_meeting(council, seat, members, names, people, at, i + 1)
        if rng.random() < 0.5:
            self._upcoming_meeting(council, seat, people, held + 1)
        for _ in range(rng.randint(0, 4)):
            self._free_proposal(council, seat, people, created)
        if rolled is not None and rng.random() < 0.7:
            owners_vote(self, council, members, *rolled)

    def _roles(self, seat: Seat) -> list[tuple[str, int | None]]:
        """Chair, secretary, 2–7 resident representatives, then representatives of the
        community's units and organizations, of the police and the owners' committee."""
        rng = self.rng
        extra: list[tuple[str, int | None]] = []
        for role, chance in (
            (MemberRole.UNIT, 0.7),
            (MemberRole.SOCIAL_ORGANIZATION, 0.5),
            (MemberRole.PROPERTY_COMPANY, 0.5),
        ):
            orgs = self.orgs.get((seat.community, role))
            if orgs and rng.random() < chance:
                extra.append((role, rng.choice(orgs)))
        if rng.random() < 0.3:
            extra.append((MemberRole.POLICE, None))
        if seat.is_building and rng.random() < 0.5:
            extra.append((MemberRole.OWNERS_COMMITTEE, None))
        residents = [(MemberRole.RESIDENT, None)] * rng.randint(2, 7)
        return [(MemberRole.CHAIR, None), (MemberRole.SECRETARY, None), *residents, *extra]

    def _people(self, seat: Seat, wanted: int) -> list[Person]:
        """Who takes part: residents with accounts first, then new accounts living there."""
        homes = dict.fromkeys((*seat.homes, seat.pk))
        people = [p for home in homes for p in self.residents.get(home, [])]
        self.rng.shuffle(people)
        people = people[:wanted]
        while len(people) < wanted:
            self.serial += 1
            name = person_name(self.rng)
            user = self.add(
                User,
                username=f"{self.prefix}{self.serial:07d}",
                display_name=name,
                password=UNUSABLE_PASSWORD_PREFIX + "generated",
                home_id=self.rng.choice(seat.homes) if seat.homes else None,
                date_joined=self.now,
            )
            people.append(Person(user.pk, name))
        return people

    # Proposals ----------------------------------------------------------------------------

    def _proposal(
        self, council: Council, seat: Seat, people: list[Person], *, status: str,
        raised: datetime, screened: datetime | None,
    ) -> Proposal:  # fmt: skip
        """A proposal with its supporters (never the proposer), who supported it between
        raising and screening; the threshold's stamps as `support_proposal` sets them."""
        rng = self.rng
        title, body = rng.choice(words.PROPOSALS)
        proposer = rng.choice(people)
        proposal = self.add(
            Proposal, council_id=council.pk, place_path=council.place_path, title=title,
            body=body.format(place=seat.name), proposer_id=proposer.pk, status=status,
            raised_at=raised, screened_at=screened,
            decline_reason=rng.choice(words.DECLINE_REASONS) if status == "declined" else "",
        )  # fmt: skip
        until = screened or min(raised + timedelta(days=30), self.now)
        others = [p for p in people if p is not proposer]
        chosen = rng.sample(others, rng.randint(0, min(len(others), 12)))
        times = sorted(between(rng, raised, until) for _ in chosen)
        for person, at in zip(chosen, times, strict=True):
            self.add(ProposalSupport, proposal_id=proposal.pk, user_id=person.pk, created_at=at)
        proposal.support_count = len(chosen)
        threshold = council.support_threshold
        if len(chosen) >= threshold:
            proposal.threshold_reached_at = times[threshold - 1]
            proposal.screen_due_at = times[threshold - 1] + timedelta(days=council.screening_days)
            if status == ProposalStatus.RAISED and proposal.screen_due_at < self.now:
                proposal.screening_overdue_at = proposal.screen_due_at  # as the sweep marks it
        return proposal

    def _free_proposal(
        self, council: Council, seat: Seat, people: list[Person], created: datetime
    ) -> None:
        """A proposal not taken to a meeting (yet): raised, declined, withdrawn, on the
        agenda."""
        rng, now = self.rng, self.now
        status = rng.choices(
            [ProposalStatus.RAISED, ProposalStatus.DECLINED, ProposalStatus.WITHDRAWN,
             ProposalStatus.ON_AGENDA], [5, 2, 1, 2],
        )[0]  # fmt: skip
        screened = None
        if status == ProposalStatus.RAISED:
            raised = between(rng, max(created, now - timedelta(days=40)), now - timedelta(hours=1))
        else:
            raised = between(rng, created, now - timedelta(days=15))
            if status != ProposalStatus.WITHDRAWN:
                screened = raised + timedelta(days=rng.randint(1, council.screening_days))
        self._proposal(council, seat, people, status=status, raised=raised, screened=screened)

    # Meetings -----------------------------------------------------------------------------

    def _meeting(
        self, council: Council, seat: Seat, at: datetime, number: int, status: str
    ) -> Meeting:
        notice = at - timedelta(days=council.notice_days + self.rng.randint(0, 4))
        return self.add(
            Meeting, council_id=council.pk, place_path=council.place_path,
            title=f"{timezone.localtime(at).year}年第{number}次议事会",
            location=f"{seat.name}{self.rng.choice(words.LOCATIONS)}", starts_at=at,
            status=status, notice_published_at=min(notice, self.now),
        )  # fmt: skip

    def _motions(
        self, meeting: Meeting, council: Council, seat: Seat, people: list[Person], status: str
    ) -> list[Motion]:
        """1–3 motions, most carrying a proposal screened before the notice went out."""
        rng, notice = self.rng, meeting.notice_published_at
        assert notice is not None
        motions = []
        for position in range(1, rng.randint(1, 3) + 1):
            proposal = None
            if rng.random() < 0.8:
                raised = notice - timedelta(days=rng.randint(3, 30), hours=rng.randint(0, 23))
                raised = max(raised, council.created_at)
                screened = between(rng, raised, notice)
                proposal = self._proposal(
                    council, seat, people, status=status, raised=raised, screened=screened
                )
                title, text = proposal.title, proposal.body
            else:
                title, text = rng.choice(words.STANDING_MOTIONS)
            motions.append(
                self.add(Motion, meeting_id=meeting.pk, proposal_id=proposal and proposal.pk,
                         position=position, title=title, text=text)
            )  # fmt: skip
        return motions

    def _upcoming_meeting(
        self, council: Council, seat: Seat, people: list[Person], number: int
    ) -> None:
        days = council.notice_days + self.rng.randint(1, 20)
        at = self.now + timedelta(days=days, hours=19)
        meeting = self._meeting(council, seat, at, number, MeetingStatus.ANNOUNCED)
        meeting.notice_published_at = self.now - timedelta(hours=self.rng.randint(1, 48))
        self._motions(meeting, council, seat, people, ProposalStatus.ON_AGENDA)

    def _closed_meeting(
        self, council: Council, seat: Seat, members: list[CouncilMember], names: dict[int, str],
        people: list[Person], at: datetime, number: int,
    ) -> None:  # fmt: skip
        rng = self.rng
        meeting = self._meeting(council, seat, at, number, MeetingStatus.CLOSED)
        meeting.opened_at = at
        meeting.closed_at = at + timedelta(minutes=rng.randint(60, 150))
        meeting.minutes = words.MINUTES
        present = rng.sample(members, rng.randint(len(members) // 2 + 1, len(members)))
        for member in present:
            self.add(Attendance, meeting_id=meeting.pk, member_id=member.pk, recorded_at=at)
        motions = self._motions(meeting, council, seat, people, ProposalStatus.DECIDED)
        for i, motion in enumerate(motions):
            start = at + timedelta(minutes=20 * i + 5)
            speakers = rng.sample(present, min(len(present), rng.randint(0, 3)))
            for order, member in enumerate(speakers, 1):
                spoke = start + timedelta(minutes=2 * order)
                self.add(
                    Speech, motion_id=motion.pk, member_id=member.pk, order=order,
                    stance=rng.choice(Stance.values), started_at=spoke,
                    ended_at=spoke + timedelta(seconds=rng.randint(40, 120)),
                )  # fmt: skip
            vote = self._member_vote(council, motion, members, names, present, start)
            motion.status = MotionStatus.PASSED if vote.passed else MotionStatus.FAILED
            if vote.passed:
                self.resolution(council, vote, motion, present, members[1], meeting.closed_at)

    def _member_vote(
        self, council: Council, motion: Motion, members: list[CouncilMember],
        names: dict[int, str], present: list[CouncilMember], start: datetime,
    ) -> Vote:  # fmt: skip
        """A show of hands recorded by the secretary: every current member is a voter,
        those present have a ballot."""
        opened = start + timedelta(minutes=10)
        vote = self.add(
            Vote, council_id=council.pk, place_path=council.place_path, motion_id=motion.pk,
            title=motion.title, rule=council.decision_rule,
            results_hidden=council.results_hidden_until_close, status=VoteStatus.CLOSED,
            opened_at=opened, closed_at=opened + timedelta(minutes=3),
            voter_count=len(members), ballot_count=len(present),
        )  # fmt: skip
        voters = {
            m.pk: self.add(Voter, vote_id=vote.pk, key=f"member:{m.pk}", user_id=m.user_id,
                           name=names[m.user_id])
            for m in members
        }  # fmt: skip
        ballots = []
        for member in present:
            choice = self.rng.choice(CHOICES)
            self.add(
                Ballot, vote_id=vote.pk, voter_id=voters[member.pk].pk, choice=choice,
                method=VoteMethod.HANDS, recorded_by_id=members[1].user_id,
                cast_at=opened + timedelta(minutes=1),
            )  # fmt: skip
            ballots.append(TallyBallot(f"member:{member.pk}", choice))
        electorate = Electorate.of_members(v.key for v in voters.values())
        self.record_result(vote, tally_votes(vote.rule, electorate, ballots))
        return vote

    def record_result(self, vote: Vote, result: Tally) -> None:
        vote.passed, vote.quorum_met = result.passed, result.quorum_met
        vote.result = result.as_dict()

    def resolution(
        self, council: Council, vote: Vote, motion: Motion | None, signers: list[CouncilMember],
        secretary: CouncilMember, signed: datetime,
    ) -> None:  # fmt: skip
        """The resolution of a passed vote, signed by more than half of `signers` (recorded
        by the secretary), published two hours later, in effect if both periods are over
        by now (as the sweep would have it)."""
        resolution = self.add(
            Resolution, council_id=council.pk, place_path=council.place_path, vote_id=vote.pk,
            motion_id=motion and motion.pk, proposal_id=motion and motion.proposal_id,
            title=vote.title, text=(motion.text if motion and motion.text else vote.title),
            created_at=vote.closed_at,
        )  # fmt: skip
        needed = len(signers) // 2 + 1
        chosen = self.rng.sample(signers, min(len(signers), needed + self.rng.randint(0, 2)))
        for member in chosen:
            self.add(Signature, resolution_id=resolution.pk, member_id=member.pk,
                     signed_at=signed, recorded_by_id=secretary.user_id)  # fmt: skip
        resolution.signature_count = len(chosen)
        published = signed + timedelta(hours=2)
        if published > self.now:
            return  # awaiting publication
        resolution.status = ResolutionStatus.PUBLISHED
        resolution.published_at = published
        resolution.publication_ends_at = add_time(
            published, timedelta(days=council.publication_working_days), working_days=True
        )
        resolution.objection_ends_at = published + timedelta(days=council.objection_days)
        resolution.objection_threshold = council.objection_threshold
        effect = max(resolution.publication_ends_at, resolution.objection_ends_at)
        if effect <= self.now:
            resolution.status, resolution.took_effect_at = ResolutionStatus.IN_EFFECT, effect


def make_councils(
    rng: random.Random,
    root: Place,
    count: int,
    *,
    now: datetime | None = None,
    bar: Any = None,
) -> dict[str, int]:
    """`count` councils at places under `root`; returns the rows made, by table. Runs
    inside the caller's transaction, on tables no one else writes meanwhile."""
    refuse_unless_fresh(root.code)
    now = now or timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    planner = CouncilPlanner(rng, root, now=now)
    seats = planner.seats(root, count)
    for start in range(0, len(seats), CHUNK):
        for seat in seats[start : start + CHUNK]:
            planner.plan(seat)
        planner.flush(bar)
    planner.finish()
    if bar is not None:
        bar.close()
    return {name: n for name, n in planner.counts.items() if n}

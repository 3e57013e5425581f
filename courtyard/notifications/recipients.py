"""Who is told: groups of people named by what they are (the handlers of a unit, the staff
at a place, the members of a council, the voters of a vote), resolved when the
notifications are written.

A group is an `Audience` (a kind and a key), not a list of users: `notify` resolves every
audience of one kind in one indexed query, however many notices a transaction sends (the
SLA sweep tells a thousand units in one batch), and only after the action has committed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from courtyard.people.models import ORGANIZATION_ROLE_KINDS, Role


@dataclass(frozen=True)
class Audience:
    kind: str
    key: int


def unit_handlers(organization: Any) -> Audience:
    """The people acting for an organization: active unit-handler, department-handler and
    social-organization-staff roles in it (the `handled_organizations` roles)."""
    return Audience("handlers", _pk(organization))


def staff_at(place: Any) -> Audience:
    """Staff holding an active staff role exactly at the place (the community worker of a
    community, the officers of a street …), not those above or below it."""
    return Audience("staff", _pk(place))


def council_members(council: Any) -> Audience:
    """The current members of a council (every seat is held by an account)."""
    return Audience("members", _pk(council))


def voters(vote: Any) -> Audience:
    """The voters of a vote's frozen electorate who have an account."""
    return Audience("voters", _pk(vote))


def requester(demand: Any) -> list[int]:
    """A demand's requester, when it was raised by an account (no query)."""
    return [demand.requester_id] if demand.requester_id else []


def _pk(obj: Any) -> int:
    return int(getattr(obj, "pk", obj))


# ── Resolving: one query per kind, whatever the number of keys ────────────────────────────


def _handlers(keys: set[int]) -> Iterable[tuple[int, int]]:
    # Served by the role table's organization index.
    return (
        Role.objects.active()
        .filter(
            kind__in=ORGANIZATION_ROLE_KINDS,
            organization_id__in=keys,
            organization__is_active=True,
            user__is_active=True,
        )
        .values_list("organization_id", "user_id")
    )


def _staff(keys: set[int]) -> Iterable[tuple[int, int]]:
    # Served by the role table's place index.
    return (
        Role.objects.active()
        .staff()
        .filter(place_id__in=keys, user__is_active=True)
        .values_list("place_id", "user_id")
    )


def _members(keys: set[int]) -> Iterable[tuple[int, int]]:
    from courtyard.councils.models import CouncilMember

    # Served by the council foreign key's index.
    return (
        CouncilMember.objects.current()
        .filter(council_id__in=keys, user__is_active=True)
        .values_list("council_id", "user_id")
    )


def _voters(keys: set[int]) -> Iterable[tuple[int, int]]:
    from courtyard.councils.models import Voter

    # Served by the (vote, user) index.
    return Voter.objects.filter(
        vote_id__in=keys, user__isnull=False, user__is_active=True
    ).values_list("vote_id", "user_id")


RESOLVERS: dict[str, Callable[[set[int]], Iterable[tuple[int, int]]]] = {
    "handlers": _handlers,
    "staff": _staff,
    "members": _members,
    "voters": _voters,
}


def resolve(audiences: Iterable[Audience]) -> dict[Audience, set[int]]:
    """The user ids of each audience: one query per kind of audience."""
    keys: dict[str, set[int]] = defaultdict(set)
    for audience in audiences:
        keys[audience.kind].add(audience.key)
    found: dict[Audience, set[int]] = defaultdict(set)
    for kind, wanted in keys.items():
        for key, user_id in RESOLVERS[kind](wanted):
            found[Audience(kind, key)].add(user_id)
    return found

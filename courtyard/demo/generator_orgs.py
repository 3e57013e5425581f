"""Generated organizations, coordination committees and dual reports (bulk, no actions).

Called by `generator.Generator` inside its transaction, after the places exist; each
function consumes the shared `random.Random` in a fixed order, so a seed fixes the rows.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from courtyard.demo.bulk import allocate, insert_in_batches
from courtyard.demo.credit import counter_org_code, credit_code
from courtyard.demo.naming import (
    COMMITMENTS,
    UNIT_AUTHORITY,
    UNIT_KINDS,
    social_org_name,
    unit_name,
)
from courtyard.organizations.models import (
    Committee,
    CommitteeMembership,
    DualReport,
    DualReportKind,
    Organization,
    OrganizationKind,
    Position,
)
from courtyard.people.models import User
from courtyard.places.models import STREET_LEVEL_KINDS, Place

GENERATOR_USERNAME = "generator"
MEMBERS_PER_COMMITTEE = 10
# Generated dates (founding, joining, registering) fall in 2018–2023, never in the future.
EPOCH, SPAN_DAYS = date(2018, 1, 1), 6 * 365


@dataclass(frozen=True)
class Community:
    pk: int
    code: str
    short_name: str  # for organization names, "" when the name makes a poor prefix
    street_id: int
    path: str


@dataclass(frozen=True)
class Unit:
    """What later phases need of a generated unit (not a social organization)."""

    pk: int
    community_id: int
    street_id: int


def _some_day(rng: random.Random) -> date:
    return EPOCH + timedelta(days=rng.randrange(SPAN_DAYS))


def make_organizations(
    rng: random.Random,
    communities: list[Community],
    *,
    units: int,
    social_orgs: int,
    batch_size: int,
    bar: Any,
) -> list[Unit]:
    """`units` units of the unit kinds and `social_orgs` social organizations, seated at
    communities/villages; returns the units, in insertion order."""
    unit_spread = allocate(units, len(communities), rng, cap=units) if units else []
    social_spread = (
        allocate(social_orgs, len(communities), rng, cap=social_orgs) if social_orgs else []
    )
    kinds, weights = zip(*UNIT_KINDS, strict=True)
    seated: list[tuple[Community, bool]] = []  # in insertion order: (community, is_unit)

    def rows() -> Iterator[Organization]:
        serial = 0
        for i, community in enumerate(communities):
            for _ in range(unit_spread[i] if units else 0):
                kind = rng.choices(kinds, weights)[0]
                name, name_en = unit_name(rng, kind, community.short_name)
                authority = UNIT_AUTHORITY[kind]
                seated.append((community, True))
                yield _organization(serial, community, kind, authority, name, name_en)
                serial += 1
            for _ in range(social_spread[i] if social_orgs else 0):
                name, name_en, authority = social_org_name(rng, community.short_name)
                seated.append((community, False))
                yield _organization(
                    serial,
                    community,
                    OrganizationKind.SOCIAL_ORGANIZATION,
                    authority,
                    name,
                    name_en,
                )
                serial += 1

    made = [org.pk for org in insert_in_batches(rows(), batch_size=batch_size, bar=bar)]
    bar.close()
    return [
        Unit(pk, community.pk, community.street_id)
        for pk, (community, is_unit) in zip(made, seated, strict=True)
        if is_unit
    ]


def _organization(
    serial: int, community: Community, kind: str, authority: str, name: str, name_en: str
) -> Organization:
    return Organization(
        name=name,
        name_en=name_en,
        kind=kind,
        credit_code=credit_code(authority, community.code, counter_org_code(serial)),
        place_id=community.pk,
        place_path=community.path,
    )


def make_committees(
    rng: random.Random, root: Place, units: list[Unit], *, batch_size: int, bar: Any
) -> tuple[int, int]:
    """A committee at every street/township under `root`, with up to
    MEMBERS_PER_COMMITTEE member units seated in it (first chair, second deputy).
    Returns (committees, memberships)."""
    streets = list(
        Place.objects.within(root)
        .filter(kind__in=STREET_LEVEL_KINDS)
        .order_by("code")
        .values_list("pk", "name", "name_en", "path")
    )
    bar.reset(total=len(streets))
    committees = {
        c.place_id: c.pk
        for c in insert_in_batches(
            (
                Committee(
                    place_id=pk,
                    place_path=path,
                    name=f"{name}党建工作协调委员会",
                    name_en=f"{name_en} Party-Building Coordination Committee" if name_en else "",
                    founded_on=_some_day(rng),
                )
                for pk, name, name_en, path in streets
            ),
            batch_size=batch_size,
            bar=bar,
        )
    }
    bar.close()
    by_street: dict[int, list[int]] = defaultdict(list)
    for unit in units:
        by_street[unit.street_id].append(unit.pk)

    def memberships() -> Iterator[CommitteeMembership]:
        for street_pk, *_ in streets:
            here = by_street.get(street_pk, [])
            chosen = rng.sample(here, min(MEMBERS_PER_COMMITTEE, len(here)))
            for i, org_pk in enumerate(chosen):
                position = (Position.CHAIR, Position.DEPUTY)[i] if i < 2 else Position.MEMBER
                yield CommitteeMembership(
                    committee_id=committees[street_pk],
                    organization_id=org_pk,
                    position=position,
                    joined_on=_some_day(rng),
                )

    made = sum(1 for _ in insert_in_batches(memberships(), batch_size=batch_size))
    return len(committees), made


def generator_user() -> User:
    """The account generated rows are registered by: it cannot log in."""
    user, created = User.objects.get_or_create(
        username=GENERATOR_USERNAME, defaults={"display_name": "数据生成器"}
    )
    if created or user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def make_dual_reports(rng: random.Random, units: list[Unit], *, batch_size: int, bar: Any) -> int:
    """About half of the units report (双报到) to the community where they sit."""
    if not units:
        bar.close()
        return 0
    by = generator_user()

    def rows() -> Iterator[DualReport]:
        for unit in units:
            if rng.random() < 0.5:
                yield DualReport(
                    community_id=unit.community_id,
                    kind=DualReportKind.UNIT,
                    organization_id=unit.pk,
                    commitments=rng.choice(COMMITMENTS),
                    registered_on=_some_day(rng),
                    registered_by=by,
                )

    made = sum(1 for _ in insert_in_batches(rows(), batch_size=batch_size, bar=bar))
    bar.close()
    return made

"""Every page and API read costs a fixed number of queries, whatever the size of the data.

Each case is measured twice with `django_assert_num_queries` and the same exact number: once
on the small city of conftest, once after 60 more rows of what the page lists (children,
organizations, members, dual reports, audit events, tokens …). A page that grows with the
data (an N+1) fails the second measurement; a page that gains a query fails the first, so a
regression shows either way. The number is written down so that a change is a decision.

Where the numbers come from: a logged-in page spends 2 on the session and the user, 1 on the
unread-notifications badge in the navigation, 1 on the staff scope (the user's active staff roles, read once per request); the rest is the page's
own reads (the object, its list page, ancestors, counts, …), one query each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from conftest import City, Personas, credit_code
from courtyard.organizations import actions as org_actions
from courtyard.organizations.models import Organization, OrganizationKind
from courtyard.people import actions as people_actions
from courtyard.people.models import RoleKind, User
from courtyard.places.actions import create_place, rename_place
from courtyard.places.models import Place, PlaceKind

GROWTH = 60


@dataclass
class World:
    city: City
    personas: Personas
    bearer: str  # the resident's API token


@pytest.fixture
def world(city: City, personas: Personas) -> World:
    _token, raw = people_actions.issue_token(personas.resident, by=personas.resident)
    return World(city, personas, raw)


# ── Growth: 60 more of what a page lists; each returns text the grown page must show ──────


def add_children(parent: Place, kind: str, prefix: str) -> str:
    for i in range(GROWTH):
        create_place(
            by=None, parent=parent, kind=kind, code=f"{prefix}{i:03d}", name=f"新{prefix}{i:03d}"
        )
    return f"新{prefix}000"


def add_organizations(w: World) -> str:
    for i in range(GROWTH):
        org_actions.create_organization(
            by=None,
            name=f"前门新单位{i:03d}",
            kind=OrganizationKind.ENTERPRISE,
            place=w.city.community,
            credit_code=credit_code(100 + i),
        )
    return "前门新单位000"


def add_members(w: World) -> str:
    """60 current members of the street committee, and 10 former ones."""
    add_organizations(w)
    for i, org in enumerate(Organization.objects.filter(name__startswith="前门新单位")):
        membership = org_actions.add_committee_member(w.city.committee, by=None, organization=org)
        if i < 10:
            org_actions.end_committee_membership(membership, by=None)
    return "前门新单位010"


def add_unit_reports(w: World) -> str:
    """The 草厂 unit registers and withdraws 60 times (its page lists its registrations)."""
    for i in range(GROWTH):
        report = org_actions.register_dual_report(
            by=w.personas.handler,
            community=w.city.community,
            commitments=f"承诺{i:03d}",
            organization=w.city.unit,
        )
        if i < GROWTH - 1:
            org_actions.withdraw_dual_report(report, by=None)
    return "承诺0"  # the page shows 20 of them


def add_dual_reports(w: World) -> str:
    """30 units and 30 party members (with phones) register with 草厂."""
    add_organizations(w)
    units = Organization.objects.filter(name__startswith="前门新单位").order_by("pk")
    for i, org in enumerate(units[: GROWTH // 2]):
        org_actions.register_dual_report(
            by=w.personas.here,
            community=w.city.community,
            commitments=f"单位承诺{i:03d}",
            organization=org,
        )
    for i in range(GROWTH // 2):
        member = User.objects.create_user(
            username=f"member{i:03d}", display_name=f"党员{i:03d}", phone=f"1390000{i:04d}"
        )
        org_actions.register_dual_report(
            by=member, community=w.city.community, commitments=f"党员承诺{i:03d}", member=member
        )
    return "党员承诺029"


def add_history(w: World) -> str:
    for i in range(GROWTH):
        rename_place(w.city.community, by=w.personas.here, name=f"草厂社区{i:03d}", name_en="")
    return "草厂社区059"


def add_account_rows(w: World) -> str:
    """60 tokens, 60 roles and 60 dual-reporting registrations of the resident."""
    resident = w.personas.resident
    for i in range(GROWTH):
        people_actions.issue_token(resident, by=resident, name=f"令牌{i:03d}")
        people_actions.assign_role(
            resident, by=None, kind=RoleKind.VOLUNTEER, place=w.city.courtyard
        )
        report = org_actions.register_dual_report(
            by=resident, community=w.city.community, commitments=f"我的承诺{i:03d}", member=resident
        )
        org_actions.withdraw_dual_report(report, by=None)
    return "令牌059"


def add_roles(w: World) -> str:
    """60 more roles of the resident (volunteer in 60 new courtyards of 草厂)."""
    add_children(w.city.community, PlaceKind.BUILDING, "B")
    for place in Place.objects.filter(code__startswith="B"):
        people_actions.assign_role(
            w.personas.resident, by=None, kind=RoleKind.VOLUNTEER, place=place
        )
    return "新B059"


def add_committees(w: World) -> str:
    """60 communities under the street, each with its committee."""
    add_children(w.city.street, PlaceKind.COMMUNITY, "C")
    for place in Place.objects.filter(code__startswith="C"):
        org_actions.create_committee(by=None, place=place, name=f"{place.name}协调委员会")
    return "新C000协调委员会"


# ── The pages ─────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Page:
    label: str
    persona: str  # "anonymous", a persona name, or "bearer" (the resident's API token)
    url: Callable[[World], str]
    grow: Callable[[World], str]
    queries: int


PAGES = [
    Page(
        "home",
        "anonymous",
        lambda w: "/",
        lambda w: add_children(w.city.city, PlaceKind.DISTRICT, "D"),
        2,
    ),
    Page(
        "home-search",
        "anonymous",
        lambda w: "/?q=新",
        lambda w: add_children(w.city.street, PlaceKind.COMMUNITY, "C"),
        4,
    ),
    Page(
        "place-city",
        "anonymous",
        lambda w: f"/places/{w.city.city.pk}/",
        lambda w: add_children(w.city.city, PlaceKind.DISTRICT, "D"),
        4,
    ),
    Page(
        "place-district",
        "anonymous",
        lambda w: f"/places/{w.city.district.pk}/",
        lambda w: add_children(w.city.district, PlaceKind.STREET, "S"),
        5,
    ),
    Page(
        "place-street",
        "above",
        lambda w: f"/places/{w.city.street.pk}/",
        lambda w: add_children(w.city.street, PlaceKind.COMMUNITY, "C"),
        9,
    ),
    Page(
        "place-community",
        "here",
        lambda w: f"/places/{w.city.community.pk}/",
        lambda w: add_children(w.city.community, PlaceKind.BUILDING, "B"),
        9,
    ),
    Page(
        "place-community-anonymous",
        "anonymous",
        lambda w: f"/places/{w.city.community.pk}/",
        lambda w: add_children(w.city.community, PlaceKind.BUILDING, "B"),
        5,
    ),
    Page("directory", "anonymous", lambda w: "/organizations/", add_organizations, 1),
    Page(
        "directory-filtered",
        "anonymous",
        lambda w: f"/organizations/?q=前门&kind=enterprise&place={w.city.community.pk}",
        add_organizations,
        2,
    ),
    Page(
        "directory-as-staff",
        "here",
        lambda w: f"/organizations/?place={w.city.street.pk}",
        add_organizations,
        6,
    ),
    Page(
        "organization",
        "above",
        lambda w: f"/organizations/{w.city.unit.pk}/",
        add_unit_reports,
        7,
    ),
    Page(
        "committee",
        "anonymous",
        lambda w: f"/organizations/committees/{w.city.committee.pk}/",
        add_members,
        3,
    ),
    Page(
        "committee-as-manager",
        "above",
        lambda w: f"/organizations/committees/{w.city.committee.pk}/",
        add_members,
        8,
    ),
    Page(
        "dual-reports",
        "here",
        lambda w: f"/organizations/communities/{w.city.community.pk}/dual-reports/",
        add_dual_reports,
        6,
    ),
    Page(
        "history",
        "above",
        lambda w: f"/history/places.place/{w.city.community.pk}/",
        add_history,
        6,
    ),
    Page("account", "resident", lambda w: "/accounts/", add_account_rows, 7),
    # API
    Page(
        "api-places",
        "anonymous",
        lambda w: "/api/v1/places",
        lambda w: add_children(w.city.street, PlaceKind.COMMUNITY, "C"),
        1,
    ),
    Page(
        "api-place",
        "anonymous",
        lambda w: f"/api/v1/places/{w.city.courtyard.pk}",
        lambda w: add_children(w.city.courtyard, PlaceKind.UNIT, "U") and '"unit": 60',
        3,
    ),
    Page(
        "api-children",
        "anonymous",
        lambda w: f"/api/v1/places/{w.city.community.pk}/children",
        lambda w: add_children(w.city.community, PlaceKind.BUILDING, "B"),
        2,
    ),
    Page(
        "api-descendants",
        "anonymous",
        lambda w: f"/api/v1/places/{w.city.district.pk}/descendants",
        lambda w: add_children(w.city.community, PlaceKind.BUILDING, "B"),
        2,
    ),
    Page("api-organizations", "anonymous", lambda w: "/api/v1/organizations", add_organizations, 1),
    Page(
        "api-organizations-filtered",
        "anonymous",
        lambda w: f"/api/v1/organizations?q=前门&kind=enterprise&place={w.city.street.pk}",
        add_organizations,
        2,
    ),
    Page(
        "api-organization",
        "anonymous",
        lambda w: f"/api/v1/organizations/{w.city.unit.pk}",
        lambda w: add_members(w) and w.city.unit.name,
        1,
    ),
    Page("api-committees", "anonymous", lambda w: "/api/v1/committees", add_committees, 1),
    Page(
        "api-committee",
        "anonymous",
        lambda w: f"/api/v1/committees/{w.city.committee.pk}",
        lambda w: add_members(w) and w.city.committee.name,
        1,
    ),
    Page(
        "api-members",
        "anonymous",
        lambda w: f"/api/v1/committees/{w.city.committee.pk}/members",
        add_members,
        2,
    ),
    Page("api-me", "bearer", lambda w: "/api/v1/me", add_roles, 2),
]


def client_of(w: World, persona: str, client_for: Callable[[User | None], Client]) -> Client:
    if persona == "bearer":
        return Client(headers={"Authorization": f"Bearer {w.bearer}"})
    return client_for(None if persona == "anonymous" else getattr(w.personas, persona))


# (Not "page": pytest-playwright owns a fixture of that name.)
@pytest.mark.parametrize("case", PAGES, ids=lambda p: p.label)
def test_query_count_does_not_grow_with_the_data(
    case: Page, world: World, client_for: Any, django_assert_num_queries: Any
) -> None:
    client = client_of(world, case.persona, client_for)
    url = case.url(world)
    assert client.get(url).status_code == 200  # warm the caches (content types, token use)

    with django_assert_num_queries(case.queries):
        small = client.get(url)
    assert small.status_code == 200

    shown = case.grow(world)

    with django_assert_num_queries(case.queries):
        large = client.get(url)
    assert large.status_code == 200
    assert shown in large.content.decode(), "the grown data should be on the page"

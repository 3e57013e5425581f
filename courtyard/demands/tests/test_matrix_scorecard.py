"""Who may see a scorecard: every scorecard route × every persona.

A place's scorecard: the staff who administer the place (its own workers and those above).
A unit's: its handlers and the staff who administer the place where it sits. Everyone else
logged in gets exactly the page a missing id gets (404); anonymous visitors are sent to log
in. Reading a scorecard writes nothing. `test_every_scorecard_route_is_in_the_matrix`
fails when a `demands:scorecard-*` route exists that no case covers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from conftest import City, Personas
from courtyard.core.models import AuditEvent
from courtyard.demands.models import DemandTally
from courtyard.demands.tests.conftest import Catalogue
from courtyard.demands.tests.matrix import (
    LOGIN,
    MISSING,
    PERSONAS,
    Expect,
    assert_status,
    statuses,
)
from courtyard.people.models import User


@dataclass
class World:
    city: City
    personas: Personas
    catalogue: Catalogue

    def user(self, persona: str) -> User | None:
        return None if persona == "anonymous" else getattr(self.personas, persona)


@pytest.fixture
def world(city: City, personas: Personas, catalogue: Catalogue) -> World:
    march = date(2025, 3, 1)
    for place in (city.community, city.sibling, city.street, city.district, city.city):
        DemandTally.objects.create(month=march, place=place, dispatched=2, responded_in_time=1)
    for org in (city.unit, city.sibling_unit, catalogue.department):
        DemandTally.objects.create(month=march, organization=org, dispatched=2, evaluated=1)
    return World(city, personas, catalogue)


@dataclass(frozen=True)
class Case:
    route: str
    label: str
    url: Callable[[World], str]
    expect: dict[str, Expect]


def place(attr: str, query: str = "") -> Callable[[World], str]:
    return lambda w: f"/demands/scorecard/{getattr(w.city, attr).pk}/{query}"


def unit(get: Callable[[World], Any], query: str = "") -> Callable[[World], str]:
    return lambda w: f"/demands/scorecard/unit/{get(w).pk}/{query}"


NOBODY = statuses(404, anonymous=LOGIN)

CASES = [
    # A community: its worker and the street above; not the sibling community's worker.
    Case(
        "demands:scorecard-place",
        "caochang",
        place("community"),
        statuses(404, here=200, above=200, anonymous=LOGIN),
    ),
    Case(
        "demands:scorecard-place",
        "caochang-march",
        place("community", "?month=2025-03"),
        statuses(404, here=200, above=200, anonymous=LOGIN),
    ),
    Case(
        "demands:scorecard-place",
        "sibling-community",
        place("sibling"),
        statuses(404, sibling=200, above=200, anonymous=LOGIN),
    ),
    # The street: its officer only (the community workers are below it).
    Case(
        "demands:scorecard-place",
        "street",
        place("street", "?month=2025-03"),
        statuses(404, above=200, anonymous=LOGIN),
    ),
    # Above everyone's scope.
    Case("demands:scorecard-place", "district", place("district"), NOBODY),
    Case("demands:scorecard-place", "city", place("city"), NOBODY),
    Case("demands:scorecard-place", "other-district-community", place("far_community"), NOBODY),
    # A courtyard is no administrative level: no scorecard, not even for its staff.
    Case("demands:scorecard-place", "courtyard", place("courtyard"), NOBODY),
    Case(
        "demands:scorecard-place",
        "missing-place",
        lambda w: f"/demands/scorecard/{MISSING}/",
        NOBODY,
    ),
    # The unit seated in 草厂: its handler and the staff over 草厂.
    Case(
        "demands:scorecard-unit",
        "caochang-unit",
        unit(lambda w: w.city.unit, "?month=2025-03"),
        statuses(404, here=200, above=200, handler=200, anonymous=LOGIN),
    ),
    # The unit seated in the sibling community: its staff, not 草厂's handler.
    Case(
        "demands:scorecard-unit",
        "sibling-unit",
        unit(lambda w: w.city.sibling_unit),
        statuses(404, sibling=200, above=200, anonymous=LOGIN),
    ),
    # The district department: its handler (through the catalogue); the district is above
    # every staff persona.
    Case(
        "demands:scorecard-unit",
        "district-department",
        unit(lambda w: w.catalogue.department),
        statuses(404, handler=200, anonymous=LOGIN),
    ),
    Case(
        "demands:scorecard-unit",
        "missing-unit",
        lambda w: f"/demands/scorecard/unit/{MISSING}/",
        NOBODY,
    ),
]


def case_named(label: str) -> Case:
    return next(case for case in CASES if case.label == label)


def _params() -> Iterator[Any]:
    for case in CASES:
        for persona in PERSONAS:
            yield pytest.param(case, persona, id=f"{case.label}-{persona}")


def trace() -> tuple[int, list[tuple[Any, ...]]]:
    return AuditEvent.objects.count(), list(DemandTally.objects.order_by("pk").values_list())


@pytest.mark.parametrize(("case", "persona"), list(_params()))
def test_scorecard(case: Case, persona: str, world: World, client_for: Any) -> None:
    client = client_for(world.user(persona))
    before = trace()

    response = client.get(case.url(world))

    expected = case.expect[persona]
    assert_status(response, expected)
    if expected == 404:
        assert [t.name for t in response.templates][:1] == ["404.html"]
    if expected == 200:
        assert "<h1>" in response.content.decode()
    assert trace() == before, "reading a scorecard left a trace"


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_scorecards_answer_only_get(method: str, world: World, client_for: Any) -> None:
    client = client_for(world.personas.above)
    before = trace()
    for url in (case_named("caochang").url(world), case_named("caochang-unit").url(world)):
        assert getattr(client, method)(url).status_code == 405
    assert trace() == before


def _normalized(page: str) -> str:
    """Without the CSRF token and the `next` fields that carry the page's own URL."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
    return re.sub(r'name="next" value="[^"]*"', "", page)


@pytest.mark.parametrize(
    ("forbidden", "missing"),
    [
        pytest.param(place("community"), lambda w: f"/demands/scorecard/{MISSING}/", id="place"),
        pytest.param(
            unit(lambda w: w.city.unit), lambda w: f"/demands/scorecard/unit/{MISSING}/", id="unit"
        ),
    ],
)
def test_a_forbidden_scorecard_is_byte_for_byte_a_missing_one(
    forbidden: Callable[[World], str],
    missing: Callable[[World], str],
    world: World,
    client_for: Any,
) -> None:
    client = client_for(world.personas.sibling)
    refused, absent = client.get(forbidden(world)), client.get(missing(world))
    assert refused.status_code == absent.status_code == 404
    assert _normalized(refused.content.decode()) == _normalized(absent.content.decode())


def test_an_ended_role_opens_nothing(world: World, client_for: Any) -> None:
    from courtyard.people.models import Role

    for persona in (world.personas.here, world.personas.handler):
        Role.objects.filter(user=persona).update(
            starts_on=date(2019, 1, 1), ends_on=date(2020, 1, 1)
        )
    here, handler = client_for(world.personas.here), client_for(world.personas.handler)
    assert here.get(case_named("caochang").url(world)).status_code == 404
    assert here.get(case_named("caochang-unit").url(world)).status_code == 404
    assert handler.get(case_named("caochang-unit").url(world)).status_code == 404
    assert handler.get(case_named("district-department").url(world)).status_code == 404


# ── The matrix covers every scorecard route ───────────────────────────────────────────────


def walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = ":".join(filter(None, [namespace, p.namespace or ""]))
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else str(p.name)
            yield prefix + str(p.pattern), name


def test_every_scorecard_route_is_in_the_matrix(world: World) -> None:
    routes = {
        (route, name)
        for route, name in walk(get_resolver().url_patterns)
        if name.startswith("demands:scorecard")
    }
    assert routes, "no scorecard routes found"
    named = {case.route for case in CASES}
    reached = {resolve(case.url(world).partition("?")[0]).route for case in CASES}
    uncovered = sorted(f"{n} {r}" for r, n in routes if n not in named or r not in reached)
    assert uncovered == [], "add these scorecard routes to the matrix"
    assert named <= {n for _r, n in routes}, "the matrix names routes that do not exist"


def test_case_urls_reach_their_routes(world: World) -> None:
    for case in CASES:
        match = resolve(case.url(world).partition("?")[0])
        assert f"{match.namespace}:{match.url_name}" == case.route, case.label

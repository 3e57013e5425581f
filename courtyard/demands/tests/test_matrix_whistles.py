"""The permission matrix of the whistle pages: every route of urls_whistles × every persona.

Personas (conftest): `here` (community worker at 草厂社区: reads the whistles blown in 草厂,
may not blow, close or score), `above` (street officer at 前门街道: runs the street's
whistles), `sibling` (community worker at the sibling community), `resident`, `handler`
(handler of the 草厂 unit and of the district's urban-management department, both summoned),
`stranger` (logged in, no role) and `anonymous`. A page someone may not open answers like a
missing one (404 rendered by 404.html); a request that may not write leaves no trace (no row
changed, no audit event). `test_every_whistle_route_is_in_the_matrix` fails when the demands
URLs gain a `whistle-*` route no case covers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import resolve

from conftest import City, Personas
from courtyard.demands import urls, urls_whistles
from courtyard.demands.models import Whistle, WhistleStatus, WhistleSummons
from courtyard.demands.tests.conftest import Catalogue
from courtyard.demands.tests.matrix import (
    LOGIN,
    PERSONAS,
    REDIRECT,
    Expect,
    assert_status,
    audited,
    db_state,
    statuses,
)
from courtyard.demands.whistles import blow_whistle, close_whistle
from courtyard.people.models import User


@dataclass
class World:
    city: City
    personas: Personas
    catalogue: Catalogue
    open: Whistle  # in 草厂, summoning the unit and the department
    closed: Whistle  # in 草厂, closed, summoning the unit: to be scored
    sibling: Whistle  # in the sibling community, summoning the sibling's school

    def user(self, persona: str) -> User | None:
        return None if persona == "anonymous" else getattr(self.personas, persona)


@pytest.fixture
def world(city: City, personas: Personas, catalogue: Catalogue) -> World:
    def blow(place: Any, orgs: list[Any], title: str) -> Whistle:
        return blow_whistle(
            by=personas.above, place=place, kind="routine", title=title,
            description="街道解决不了", organizations=orgs,
        )  # fmt: skip

    open_ = blow(city.community, [city.unit, catalogue.department], "路灯抢修")
    closed = close_whistle(blow(city.courtyard, [city.unit], "积水清理"), by=personas.above)
    sibling = blow(city.sibling, [city.sibling_unit], "校门口拥堵")
    return World(city, personas, catalogue, open_, closed, sibling)


@dataclass(frozen=True)
class Case:
    route: str  # "demands:<name>"
    label: str
    method: str
    url: Callable[[World], str]
    expect: dict[str, Expect]
    writers: tuple[str, ...] = ()
    written: Callable[[World, User | None], bool] | None = None
    data: Callable[[World], dict[str, Any]] | None = None
    # On a list page: the whistle it is about, and the personas whose page lists it.
    listed: Callable[[World], Whistle] | None = None
    shown_to: tuple[str, ...] = ()

    @property
    def ident(self) -> str:
        return f"{self.label}-{self.method}"


def _blown_by(w: World, user: User | None) -> bool:
    return Whistle.objects.filter(title="燃气泄漏", blown_by=user).exists() and audited(
        "blow_whistle", user
    )


def _reported_by(w: World, user: User | None) -> bool:
    summons = WhistleSummons.objects.get(whistle=w.open, organization=w.city.unit)
    return summons.reported_at is not None and audited("report_to_whistle", user)


def _closed_by(w: World, user: User | None) -> bool:
    status = Whistle.objects.get(pk=w.open.pk).status
    return status == WhistleStatus.CLOSED and audited("close_whistle", user)


def _scored_by(w: World, user: User | None) -> bool:
    summons = WhistleSummons.objects.get(whistle=w.closed, organization=w.city.unit)
    return summons.score == 70 and audited("score_summons", user)


def _detail(attr: str) -> Callable[[World], str]:
    return lambda w: f"/demands/whistles/{getattr(w, attr).pk}/"


def _step(attr: str, step: str) -> Callable[[World], str]:
    return lambda w: f"/demands/whistles/{getattr(w, attr).pk}/{step}/"


BOARD = statuses(404, here=200, above=200, sibling=200, handler=200, anonymous=LOGIN)
STREET_ONLY = statuses(404, above=200, anonymous=LOGIN)
STREET_WRITES = statuses(404, above=REDIRECT, anonymous=LOGIN)
POST_ONLY = statuses(405, anonymous=LOGIN)

CASES: list[Case] = [
    Case(
        "demands:whistle-list", "board", "GET", lambda w: "/demands/whistles/", BOARD,
        listed=lambda w: w.open, shown_to=("here", "above", "handler"),
    ),
    Case(
        "demands:whistle-list", "board-sibling", "GET", lambda w: "/demands/whistles/", BOARD,
        listed=lambda w: w.sibling, shown_to=("above", "sibling"),
    ),
    Case("demands:whistle-create", "form", "GET", lambda w: "/demands/whistles/new/", STREET_ONLY),
    Case(
        "demands:whistle-create", "blow", "POST", lambda w: "/demands/whistles/new/",
        STREET_WRITES, writers=("above",), written=_blown_by,
        data=lambda w: {
            "kind": "emergency", "title": "燃气泄漏", "description": "草厂三条燃气泄漏",
            "place": w.city.courtyard.code, "organizations": [w.catalogue.department.pk],
        },
    ),
    Case(
        "demands:whistle-detail", "detail", "GET", _detail("open"),
        statuses(404, here=200, above=200, handler=200, anonymous=LOGIN),
    ),
    Case(
        "demands:whistle-detail", "detail-sibling", "GET", _detail("sibling"),
        statuses(404, above=200, sibling=200, anonymous=LOGIN),
    ),
    Case(
        "demands:whistle-detail", "detail-missing", "GET", lambda w: "/demands/whistles/999999/",
        statuses(404, anonymous=LOGIN),
    ),
    Case(
        "demands:whistle-report", "report", "POST", _step("open", "report"),
        statuses(404, handler=REDIRECT, anonymous=LOGIN),
        writers=("handler",), written=_reported_by,
        data=lambda w: {"organization": w.city.unit.pk, "note": "到场"},
    ),
    Case("demands:whistle-report", "report", "GET", _step("open", "report"), POST_ONLY),
    Case(
        "demands:whistle-close", "close", "POST", _step("open", "close"), STREET_WRITES,
        writers=("above",), written=_closed_by, data=lambda w: {"note": "已解决"},
    ),
    Case(
        "demands:whistle-close", "close-sibling", "POST", _step("sibling", "close"),
        statuses(404, above=REDIRECT, anonymous=LOGIN),
        writers=("above",),
        written=lambda w, u: Whistle.objects.get(pk=w.sibling.pk).status == WhistleStatus.CLOSED,
    ),
    Case("demands:whistle-close", "close", "GET", _step("open", "close"), POST_ONLY),
    Case(
        "demands:whistle-score", "score", "POST", _step("closed", "score"), STREET_WRITES,
        writers=("above",), written=_scored_by,
        data=lambda w: {"organization": w.city.unit.pk, "score": "70", "comment": "较好"},
    ),
    Case("demands:whistle-score", "score", "GET", _step("closed", "score"), POST_ONLY),
]  # fmt: skip


def _params() -> Iterator[Any]:
    for case in CASES:
        for persona in PERSONAS:
            yield pytest.param(case, persona, id=f"{case.ident}-{persona}")


@pytest.mark.parametrize(("case", "persona"), list(_params()))
def test_whistle_page(case: Case, persona: str, world: World, client_for: Any) -> None:
    user = world.user(persona)
    client: Client = client_for(user)
    url = case.url(world)
    data = case.data(world) if case.data else None
    before = db_state()

    response = client.get(url) if case.method == "GET" else client.post(url, data or {})

    expected = case.expect[persona]
    assert_status(response, expected)
    if expected == 404:
        assert [t.name for t in response.templates][:1] == ["404.html"]
    if persona in case.writers:
        assert case.written is not None
        assert case.written(world, user), "the allowed request did not do its work"
    else:
        assert db_state() == before, "a request that may not write left a trace"
    if case.listed is not None and expected == 200:
        shown = f'data-whistle="{case.listed(world).pk}"' in response.content.decode()
        assert shown == (persona in case.shown_to)


def test_every_whistle_route_is_in_the_matrix(world: World) -> None:
    """Each `whistle-*` route of the demands URLs (and each route of urls_whistles) is
    named by a case and reached by a case's URL."""
    names = {f"demands:{p.name}" for p in urls_whistles.urlpatterns}
    whistle_names = {
        f"demands:{p.name}"
        for p in urls.urlpatterns
        if getattr(p, "name", None) and p.name.startswith("whistle-")  # type: ignore[union-attr]
    }
    assert names == whistle_names
    assert {case.route for case in CASES} == names
    reached = {resolve(case.url(world).partition("?")[0]).view_name for case in CASES}
    assert reached == names


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.ident)
def test_case_url_reaches_its_route(case: Case, world: World) -> None:
    assert resolve(case.url(world).partition("?")[0]).view_name == case.route

"""The permission matrix of the whistle API (/api/v1/whistles …): every operation × every
persona, each calling with its own Bearer token.

Personas (conftest) as in test_matrix_whistles: `here` (community worker at 草厂社区: reads the
whistles blown in 草厂, may not blow, close or score), `above` (street officer at 前门街道: runs
the street's whistles), `sibling` (community worker next door), `resident`, `handler`
(handler of the 草厂 unit and of the district's urban-management department, both summoned),
`stranger` (logged in, no role) and `anonymous`.

A whistle the persona may not read, or may read but not take the step on, answers exactly
like a missing one (404, {"detail": "Not found."}), as the pages do; blowing is refused with
403 and a sentence. A request that may not write leaves no trace (no row changed in any of
the project's tables, no audit event). `test_every_whistle_operation_is_in_the_matrix` fails
when the OpenAPI document declares a whistle operation that no case sends.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client

from conftest import City, Personas
from courtyard.demands.models import Whistle, WhistleStatus, WhistleSummons
from courtyard.demands.tests.conftest import Catalogue
from courtyard.demands.tests.matrix import MISSING, PERSONAS, Expect, audited, db_state, statuses
from courtyard.demands.whistles import blow_whistle, close_whistle
from courtyard.people.actions import issue_token
from courtyard.people.models import User

pytestmark = pytest.mark.django_db

NOT_FOUND = {"detail": "Not found."}


@dataclass
class World:
    city: City
    personas: Personas
    catalogue: Catalogue
    open: Whistle  # in 草厂, summoning the unit and the department
    closed: Whistle  # in 草厂 courtyard, closed, summoning the unit: to be scored
    sibling: Whistle  # in the sibling community, summoning the sibling's school
    bearer: dict[str, str] = field(default_factory=dict)

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
    w = World(city, personas, catalogue, open_, closed, sibling)
    for persona in PERSONAS[:-1]:
        user = w.user(persona)
        assert user is not None
        _token, w.bearer[persona] = issue_token(user, by=user, name="matrix")
    return w


# ── Cases ─────────────────────────────────────────────────────────────────────────────────


def _blown_by(w: World, user: User | None) -> bool:
    return Whistle.objects.filter(title="燃气泄漏", blown_by=user).exists() and audited(
        "blow_whistle", user
    )


def _reported_by(w: World, user: User | None) -> bool:
    summons = WhistleSummons.objects.get(whistle=w.open, organization=w.city.unit)
    return summons.reported_at is not None and audited("report_to_whistle", user)


def _closed_by(attr: str) -> Callable[[World, User | None], bool]:
    def closed(w: World, user: User | None) -> bool:
        whistle = Whistle.objects.get(pk=getattr(w, attr).pk)
        return whistle.status == WhistleStatus.CLOSED and audited("close_whistle", user)

    return closed


def _scored_by(w: World, user: User | None) -> bool:
    summons = WhistleSummons.objects.get(whistle=w.closed, organization=w.city.unit)
    return summons.score == 70 and audited("score_summons", user)


@dataclass(frozen=True)
class Case:
    label: str
    method: str
    path: str  # as the OpenAPI document names it
    whistle: str  # the World attribute the path takes, "" for none, "missing"
    expect: dict[str, Expect]
    body: Callable[[World], dict[str, Any]] | None = None
    written: Callable[[World, User | None], bool] | None = None
    # On a list: the whistle it is about, and the personas whose list shows it.
    listed: str = ""
    shown_to: tuple[str, ...] = ()

    @property
    def writers(self) -> tuple[str, ...]:
        if self.written is None:
            return ()
        return tuple(p for p, status in self.expect.items() if status in (200, 201))

    def url(self, w: World) -> str:
        if not self.whistle:
            return self.path
        pk = MISSING if self.whistle == "missing" else getattr(w, self.whistle).pk
        return self.path.format(whistle_id=pk)


LIST = "/api/v1/whistles"
ONE = "/api/v1/whistles/{whistle_id}"
LOGGED_IN = statuses(200, anonymous=401)
NOBODY = statuses(404)


def _step(label: str, whistle: str, expect: dict[str, Expect], **kw: Any) -> Case:
    return Case(label, "POST", f"{ONE}/{label.split('-')[0]}", whistle, expect, **kw)


def _report(w: World) -> dict[str, Any]:
    return {"organization": w.city.unit.pk, "note": "到场"}


def _score(w: World) -> dict[str, Any]:
    return {"organization": w.city.unit.pk, "score": 70, "comment": "较好"}


CASES: list[Case] = [
    Case("list", "GET", LIST, "", LOGGED_IN, listed="open", shown_to=("here", "above", "handler")),
    Case("list-sibling", "GET", LIST, "", LOGGED_IN, listed="sibling", shown_to=("above", "sibling")),
    Case(
        "blow", "POST", LIST, "", statuses(403, above=201, anonymous=401),
        body=lambda w: {
            "kind": "emergency", "title": "燃气泄漏", "description": "草厂三条燃气泄漏",
            "place": w.city.courtyard.pk, "organizations": [w.catalogue.department.pk],
        },
        written=_blown_by,
    ),
    Case("detail", "GET", ONE, "open", statuses(404, here=200, above=200, handler=200)),
    Case("detail-sibling", "GET", ONE, "sibling", statuses(404, above=200, sibling=200)),
    Case("detail-missing", "GET", ONE, "missing", NOBODY),
    _step("report", "open", statuses(404, handler=200), body=_report, written=_reported_by),
    _step("report-missing", "missing", NOBODY, body=_report),
    _step("close", "open", statuses(404, above=200), body=lambda w: {"note": "已解决"},
          written=_closed_by("open")),
    _step("close-sibling", "sibling", statuses(404, above=200), body=lambda w: {},
          written=_closed_by("sibling")),
    _step("close-missing", "missing", NOBODY, body=lambda w: {}),
    _step("score", "closed", statuses(404, above=200), body=_score, written=_scored_by),
    _step("score-missing", "missing", NOBODY, body=_score),
]  # fmt: skip


def client_of(w: World, persona: str) -> Client:
    headers = {"Accept-Language": "en"}
    if persona != "anonymous":
        headers["Authorization"] = f"Bearer {w.bearer[persona]}"
    return Client(headers=headers)


@pytest.mark.parametrize(
    ("case", "persona"),
    [pytest.param(c, p, id=f"{c.label}-{c.method}-{p}") for c in CASES for p in PERSONAS],
)
def test_whistle_api(case: Case, persona: str, world: World) -> None:
    client = client_of(world, persona)
    body = case.body(world) if case.body else {}
    before = db_state()

    if case.method == "GET":
        response = client.get(case.url(world))
    else:
        response = client.post(case.url(world), json.dumps(body), content_type="application/json")

    expected = case.expect[persona]
    assert response.status_code == expected, response.content
    if expected == 404:
        assert response.json() == NOT_FOUND
    if expected == 403:
        assert response.json() == {
            "detail": "Only street, district and city officers blow whistles."
        }
    if persona in case.writers:
        assert case.written is not None
        assert case.written(world, world.user(persona)), "the step did not happen"
    else:
        assert db_state() == before, "a request that may not write left a trace"
    if case.listed and expected == 200:
        ids = {item["id"] for item in response.json()["items"]}
        assert (getattr(world, case.listed).pk in ids) == (persona in case.shown_to)


def test_every_whistle_operation_is_in_the_matrix() -> None:
    from config.api import api

    declared = {
        (path, method)
        for path, item in api.get_openapi_schema()["paths"].items()
        if path.startswith("/api/v1/whistles")
        for method in item
    }
    sent = {(case.path, case.method.lower()) for case in CASES}
    assert sorted(declared - sent) == [], "add these operations to the matrix"
    assert sorted(sent - declared) == [], "the matrix sends operations that do not exist"

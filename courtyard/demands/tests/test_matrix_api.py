"""The permission matrix of the demands API: every endpoint and method × every persona.

Personas (conftest): `here` (community worker at 草厂社区), `above` (street officer at 前门街道),
`sibling` (community worker next door), `resident` (the requester, living in a 草厂
courtyard), `handler` (handler of the unit the streetlight demands are dispatched to),
`stranger` (logged in, no role) and `anonymous`. Each persona calls with its own Bearer token.

A demand the persona may not see answers exactly like a missing one (404, {"detail": "Not
found."}); one it sees but may not act on answers 403 with a sentence. A request that may
not write leaves no trace: no row added or changed in any of the project's tables, no audit
event. `test_every_api_operation_and_method_is_in_the_matrix` fails when the OpenAPI document
declares a demands operation that no case sends.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from conftest import City, Personas
from courtyard.core.models import AuditEvent
from courtyard.demands import actions
from courtyard.demands.models import Demand
from courtyard.demands.tests.conftest import Catalogue
from courtyard.people.actions import issue_token
from courtyard.people.models import User

pytestmark = pytest.mark.django_db

PERSONAS = ("here", "above", "sibling", "resident", "handler", "stranger", "anonymous")
MISSING = 999_999
NOT_ALLOWED = {"detail": "You may not take this step on this demand."}


@dataclass
class World:
    city: City
    personas: Personas
    catalogue: Catalogue
    bearer: dict[str, str] = field(default_factory=dict)
    extra: dict[str, int] = field(default_factory=dict)

    def user(self, persona: str) -> User | None:
        return None if persona == "anonymous" else getattr(self.personas, persona)


@pytest.fixture
def world(city: City, personas: Personas, catalogue: Catalogue) -> World:
    w = World(city, personas, catalogue)
    for persona in PERSONAS[:-1]:
        user = w.user(persona)
        assert user is not None
        _token, w.bearer[persona] = issue_token(user, by=user, name="matrix")
    return w


# ── The states a demand is put in before a case runs ──────────────────────────────────────


def submitted(w: World) -> int:
    demand = actions.submit_demand(
        by=w.personas.resident,
        channel="web",
        place=w.city.courtyard,
        category=w.catalogue.streetlight,
        description="胡同口路灯不亮三天了",
        requester=w.personas.resident,
    )
    return demand.pk


def with_primary(w: World) -> int:
    w.extra["primary"] = submitted(w)
    return submitted(w)


def dispatched(w: World) -> int:
    demand = Demand.objects.get(pk=submitted(w))
    return actions.dispatch_demand(demand, by=w.personas.here).pk


def signed(w: World) -> int:
    demand = Demand.objects.get(pk=dispatched(w))
    return actions.sign_demand(demand, by=w.personas.handler).pk


def contacted(w: World) -> int:
    demand = Demand.objects.get(pk=signed(w))
    return actions.contact_requester(demand, by=w.personas.handler).pk


def replied(w: World) -> int:
    demand = Demand.objects.get(pk=contacted(w))
    return actions.reply_demand(demand, by=w.personas.handler, reply="已更换灯泡").pk


def extension_asked(w: World) -> int:
    demand = Demand.objects.get(pk=signed(w))
    assert demand.feedback_due_at is not None
    until = demand.feedback_due_at + timedelta(days=3)
    return actions.request_extension(demand, by=w.personas.handler, until=until, reason="采购").pk


def missing(w: World) -> int:
    return MISSING


def nothing(w: World) -> int:
    return 0


# ── Cases ─────────────────────────────────────────────────────────────────────────────────

Expect = int


def statuses(default: Expect, **overrides: Expect) -> dict[str, Expect]:
    unknown = set(overrides) - set(PERSONAS)
    assert not unknown, unknown
    return {persona: overrides.get(persona, default) for persona in PERSONAS}


PUBLIC = statuses(200)
LOGGED_IN = statuses(200, anonymous=401)
# Who sees the requester's new demand: the requester and the staff of 草厂 and its street.
SEES_NEW = statuses(404, here=200, above=200, resident=200)
SEES_DISPATCHED = statuses(404, here=200, above=200, resident=200, handler=200)
TRIAGE = statuses(404, here=200, above=200, resident=403)
HANDLE = statuses(404, handler=200, here=403, above=403, resident=403)
DECIDE_EXTENSION = statuses(404, above=200, here=403, resident=403, handler=403)
EVALUATE = statuses(404, resident=200, here=403, above=403, handler=403)
REOPEN = statuses(404, resident=200, here=200, above=200, handler=403)
CLOSE = statuses(404, here=200, above=200, resident=403, handler=403)
NOBODY = statuses(404)


def allowed(expect: dict[str, Expect]) -> tuple[str, ...]:
    return tuple(p for p, status in expect.items() if status in (200, 201))


@dataclass(frozen=True)
class Case:
    label: str
    method: str
    path: str  # as the OpenAPI document names it
    state: Callable[[World], int]  # returns the demand id the path takes
    expect: dict[str, Expect]
    body: Callable[[World], dict[str, Any]] | None = None
    verb: str = ""  # the audit verb an allowed write records
    after: str = ""  # the status an allowed step leaves
    writes: bool = False

    @property
    def writers(self) -> tuple[str, ...]:
        return allowed(self.expect) if self.writes else ()

    def url(self, demand_id: int) -> str:
        return self.path.format(demand_id=demand_id)


def step(
    label: str,
    state: Callable[[World], int],
    expect: dict[str, Expect],
    verb: str,
    after: str,
    body: Callable[[World], dict[str, Any]] | None = None,
) -> Case:
    return Case(
        label=label,
        method="POST",
        path=f"/api/v1/demands/{{demand_id}}/{label}",
        state=state,
        expect=expect,
        body=body,
        verb=verb,
        after=after,
        writes=True,
    )


def later(w: World) -> dict[str, Any]:
    return {"until": "2099-01-01T00:00:00+08:00", "reason": "采购"}


NEW_DEMAND = {"category": "streetlight", "description": "路灯不亮"}
CASES: list[Case] = [
    Case("catalogue", "GET", "/api/v1/service-categories", nothing, PUBLIC),
    Case("list", "GET", "/api/v1/demands", dispatched, LOGGED_IN),
    Case(
        "raise",
        "POST",
        "/api/v1/demands",
        nothing,
        statuses(201, anonymous=401),
        body=lambda w: NEW_DEMAND | {"place": w.city.courtyard.pk},
        verb="submit_demand",
        after="submitted",
        writes=True,
    ),
    Case(
        "record-on-behalf",
        "POST",
        "/api/v1/demands",
        nothing,
        statuses(403, here=201, above=201, anonymous=401),
        body=lambda w: (
            NEW_DEMAND
            | {"place": w.city.courtyard.pk, "channel": "phone", "requester_name": "王先生"}
        ),
        verb="submit_demand",
        after="submitted",
        writes=True,
    ),
    Case("detail-new", "GET", "/api/v1/demands/{demand_id}", submitted, SEES_NEW),
    Case("detail-dispatched", "GET", "/api/v1/demands/{demand_id}", dispatched, SEES_DISPATCHED),
    Case("detail-missing", "GET", "/api/v1/demands/{demand_id}", missing, NOBODY),
    step("accept", submitted, TRIAGE, "accept_demand", "accepted"),
    step(
        "answer", submitted, TRIAGE, "answer_demand", "answered", lambda w: {"answer": "周一开放"}
    ),
    step(
        "decline", submitted, TRIAGE, "decline_demand", "declined", lambda w: {"reason": "属法院"}
    ),
    step(
        "merge",
        with_primary,
        TRIAGE,
        "merge_demand",
        "merged",
        lambda w: {"primary": w.extra.get("primary", MISSING)},
    ),
    step("dispatch", submitted, TRIAGE, "dispatch_demand", "dispatched", lambda w: {}),
    step("return", dispatched, HANDLE, "return_demand", "accepted", lambda w: {"reason": "误派"}),
    step("sign", dispatched, HANDLE, "sign_demand", "signed"),
    step("contact", signed, HANDLE, "contact_requester", "contacted", lambda w: {"note": "已电联"}),
    step("reply", contacted, HANDLE, "reply_demand", "replied", lambda w: {"reply": "已修好"}),
    step("extension", signed, HANDLE, "request_extension", "signed", later),
    step(
        "extension/decision",
        extension_asked,
        DECIDE_EXTENSION,
        "approve_extension",
        "signed",
        lambda w: {"approve": True},
    ),
    step(
        "evaluate",
        replied,
        EVALUATE,
        "evaluate_demand",
        "closed",
        lambda w: {"resolved": True, "satisfaction": "satisfied"},
    ),
    step("reopen", replied, REOPEN, "reopen_demand", "accepted", lambda w: {"reason": "又坏了"}),
    step("close", replied, CLOSE, "close_demand", "closed"),
]
# Every step on an id that does not exist: missing for everyone.
CASES += [
    Case(f"{case.label}-missing", case.method, case.path, missing, NOBODY, body=case.body)
    for case in CASES
    if case.path.startswith("/api/v1/demands/{demand_id}/")
]


# ── Running a case ────────────────────────────────────────────────────────────────────────

VOLATILE = {"last_login", "last_used_at"}
STATE_APPS = ("core", "places", "people", "organizations", "demands")


def db_state() -> dict[str, list[tuple[Any, ...]]]:
    state = {}
    for label in STATE_APPS:
        for model in apps.get_app_config(label).get_models():
            names = [f.attname for f in model._meta.concrete_fields if f.attname not in VOLATILE]
            state[model._meta.label] = list(model.objects.order_by("pk").values_list(*names))
    return state


def client_of(w: World, persona: str) -> Client:
    headers = {"Accept-Language": "en"}
    if persona != "anonymous":
        headers["Authorization"] = f"Bearer {w.bearer[persona]}"
    return Client(headers=headers)


def wrote(case: Case, user: User | None, demand_id: int, response: Any) -> bool:
    if case.path == "/api/v1/demands":
        demand = Demand.objects.get(pk=response.json()["id"])
        demand_id = demand.pk
    else:
        demand = Demand.objects.get(pk=demand_id)
    return demand.status == case.after and (
        AuditEvent.objects.filter(verb=case.verb, actor=user, target_id=str(demand_id)).exists()
    )


@pytest.mark.parametrize(
    ("case", "persona"),
    [pytest.param(c, p, id=f"{c.label}-{c.method}-{p}") for c in CASES for p in PERSONAS],
)
def test_api_endpoint(case: Case, persona: str, world: World) -> None:
    demand_id = case.state(world)
    client = client_of(world, persona)
    body = case.body(world) if case.body else {}
    before = db_state()

    if case.method == "GET":
        response = client.get(case.url(demand_id))
    else:
        response = client.post(
            case.url(demand_id), json.dumps(body), content_type="application/json"
        )

    expected = case.expect[persona]
    assert response.status_code == expected, response.content
    if expected == 404:
        assert response.json() == client.get(f"/api/v1/demands/{MISSING}").json()
    if expected == 403 and case.path != "/api/v1/demands":
        assert response.json() == NOT_ALLOWED
    if persona in case.writers:
        assert wrote(case, world.user(persona), demand_id, response), "the step did not happen"
    else:
        assert db_state() == before, "a request that may not write left a trace"


# ── The matrix covers every operation ────────────────────────────────────────────────────


def test_every_api_operation_and_method_is_in_the_matrix() -> None:
    from config.api import api

    declared = {
        (path, method)
        for path, item in api.get_openapi_schema()["paths"].items()
        if path.startswith(("/api/v1/demands", "/api/v1/service-categories"))
        for method in item
    }
    sent = {(case.path, case.method.lower()) for case in CASES}
    assert sorted(declared - sent) == [], "add these operations to the matrix"
    assert sorted(sent - declared) == [], "the matrix sends operations that do not exist"


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_sibling_communitys_ids_all_look_missing(persona: str, world: World) -> None:
    """A demand raised next door answers 404 to everyone but its own staff and the street."""
    demand = actions.submit_demand(
        by=world.personas.sibling,
        channel="phone",
        place=world.city.sibling,
        category=world.catalogue.water,
        description="整栋楼停水",
        requester_name="赵先生",
        requester_phone="13911112222",
    )
    client = client_of(world, persona)

    response = client.get(f"/api/v1/demands/{demand.pk}")

    sees = persona in ("sibling", "above")
    assert response.status_code == (200 if sees else 404)
    assert ("13911112222" in response.content.decode()) is sees

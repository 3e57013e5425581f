"""The permission matrix of the staff pages: every route of urls_staff × every persona.

Personas (conftest): `here` (community worker at 草厂社区), `above` (street officer at 前门街道),
`sibling` (community worker at the sibling community), `resident`, `handler` (handler of the
草厂 unit and of the district's urban-management department), `stranger` (logged in, no role)
and `anonymous`. A page someone may not open answers like a missing one (404 rendered by
404.html); a request that may not write leaves no trace (no row changed, no audit event).
`test_every_staff_route_is_in_the_matrix` fails when urls_staff gains a route no case covers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import resolve

from conftest import City, Personas
from courtyard.core.models import AuditEvent
from courtyard.demands import actions, urls_staff
from courtyard.demands.models import Demand, Status
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
from courtyard.people.models import User


@dataclass
class World:
    city: City
    personas: Personas
    catalogue: Catalogue
    waiting: Demand  # submitted in a 草厂 courtyard: the triage queue's
    dispatched: Demand  # 草厂, dispatched to the department: the handler's inbox
    extended: Demand  # 草厂, with the 草厂 unit, more time asked: the street's list

    def user(self, persona: str) -> User | None:
        return None if persona == "anonymous" else getattr(self.personas, persona)


@pytest.fixture
def world(city: City, personas: Personas, catalogue: Catalogue) -> World:
    def submit(category: Any) -> Demand:
        return actions.submit_demand(
            by=personas.resident,
            channel="web",
            place=city.courtyard,
            category=category,
            description="院里的问题",
            requester=personas.resident,
        )

    waiting = submit(catalogue.streetlight)
    dispatched = actions.dispatch_demand(submit(catalogue.streetlight), by=personas.here)
    extended = actions.dispatch_demand(
        submit(catalogue.water), by=personas.here, organization=city.unit
    )
    extended = actions.sign_demand(extended, by=personas.handler)
    assert extended.feedback_due_at is not None
    extended = actions.request_extension(
        extended,
        by=personas.handler,
        until=extended.feedback_due_at + timedelta(days=2),
        reason="等配件",
    )
    return World(city, personas, catalogue, waiting, dispatched, extended)


STAFF = statuses(404, here=200, above=200, sibling=200, anonymous=LOGIN)


@dataclass(frozen=True)
class Case:
    route: str  # "demands:<name>"
    label: str
    method: str
    url: Callable[[World], str]
    expect: dict[str, Expect]
    writers: tuple[str, ...] = ()
    written: Callable[[World, User | None], bool] | None = None
    data: Callable[[World, User | None], dict[str, Any]] | None = None
    # On a list page: the demand it is about, and the personas whose page lists it.
    listed: Callable[[World], Demand] | None = None
    shown_to: tuple[str, ...] = ()

    @property
    def ident(self) -> str:
        return f"{self.label}-{self.method}"


def _accepted_by(w: World, user: User | None) -> bool:
    demand = Demand.objects.get(pk=w.waiting.pk)
    return demand.status == Status.ACCEPTED and audited("accept_demand", user)


def _recorded_by(w: World, user: User | None) -> bool:
    return (
        Demand.objects.filter(recorded_by=user, channel="phone", requester_name="刘大爷").exists()
        and AuditEvent.objects.filter(verb="submit_demand", actor=user).exists()
    )


CASES: list[Case] = [
    Case(
        "demands:triage", "triage", "GET", lambda w: "/demands/triage/", STAFF,
        listed=lambda w: w.waiting, shown_to=("here", "above"),
    ),
    Case(
        "demands:triage", "triage-open-in-caochang", "GET",
        lambda w: f"/demands/triage/?status=open&place={w.city.community.pk}", STAFF,
        listed=lambda w: w.dispatched, shown_to=("here", "above"),
    ),
    Case(
        "demands:triage-bulk", "triage-bulk-accept", "POST", lambda w: "/demands/triage/bulk/",
        statuses(404, here=REDIRECT, above=REDIRECT, sibling=REDIRECT, anonymous=LOGIN),
        writers=("here", "above"), written=_accepted_by,
        data=lambda w, u: {"action": "accept", "ids": [w.waiting.pk]},
    ),
    Case(
        "demands:triage-bulk", "triage-bulk-answer", "POST", lambda w: "/demands/triage/bulk/",
        statuses(404, here=REDIRECT, above=REDIRECT, sibling=REDIRECT, anonymous=LOGIN),
        writers=("here", "above"),
        written=lambda w, u: (
            Demand.objects.get(pk=w.waiting.pk).status == Status.ANSWERED
            and audited("answer_demand", u)
        ),
        data=lambda w, u: {"action": "answer", "ids": [w.waiting.pk], "template": "policy"},
    ),
    Case(
        "demands:triage-bulk", "triage-bulk", "GET", lambda w: "/demands/triage/bulk/",
        statuses(405, anonymous=LOGIN),
    ),
    Case("demands:record", "record-form", "GET", lambda w: "/demands/record/", STAFF),
    Case(
        "demands:record", "record-in-caochang", "POST", lambda w: "/demands/record/",
        statuses(404, here=REDIRECT, above=REDIRECT, sibling=400, anonymous=LOGIN),
        writers=("here", "above"), written=_recorded_by,
        data=lambda w, u: {
            "channel": "phone", "requester_name": "刘大爷", "requester_phone": "13900007777",
            "place": w.city.courtyard.code, "category": w.catalogue.streetlight.pk,
            "description": "路灯坏了",
        },
    ),
    Case(
        "demands:inbox", "inbox", "GET", lambda w: "/demands/inbox/",
        statuses(404, handler=200, anonymous=LOGIN),
        listed=lambda w: w.dispatched, shown_to=("handler",),
    ),
    Case(
        "demands:inbox", "inbox-signed", "GET", lambda w: "/demands/inbox/?tab=signed",
        statuses(404, handler=200, anonymous=LOGIN),
        listed=lambda w: w.extended, shown_to=("handler",),
    ),
    Case(
        "demands:extensions", "extensions", "GET", lambda w: "/demands/extensions/",
        statuses(404, above=200, anonymous=LOGIN),
        listed=lambda w: w.extended, shown_to=("above",),
    ),
]  # fmt: skip


def _params() -> Iterator[Any]:
    for case in CASES:
        for persona in PERSONAS:
            yield pytest.param(case, persona, id=f"{case.ident}-{persona}")


@pytest.mark.parametrize(("case", "persona"), list(_params()))
def test_staff_page(case: Case, persona: str, world: World, client_for: Any) -> None:
    user = world.user(persona)
    client: Client = client_for(user)
    url = case.url(world)
    data = case.data(world, user) if case.data else None
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
        shown = f'data-demand="{case.listed(world).pk}"' in response.content.decode()
        assert shown == (persona in case.shown_to)


def test_every_staff_route_is_in_the_matrix(world: World) -> None:
    """Each route of urls_staff is named by a case and reached by a case's URL."""
    names = {f"demands:{p.name}" for p in urls_staff.urlpatterns}
    assert {case.route for case in CASES} == names
    reached = {resolve(case.url(world).partition("?")[0]).view_name for case in CASES}
    assert reached == names


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.ident)
def test_case_url_reaches_its_route(case: Case, world: World) -> None:
    assert resolve(case.url(world).partition("?")[0]).view_name == case.route

"""The permission matrix of the resident's routes and of a demand's page with its action
forms: every route named `demands:demand-*` defined in urls_resident × GET and POST × every
persona (here, above, sibling, resident, handler, stranger, anonymous).

Each case states the status every persona gets. A forbidden demand answers exactly like a
missing one (the 404 page), never 403 — also when the persona may see the demand but not
take the step. Every request a persona may not make leaves no trace: no row changed, no
audit event. `test_every_resident_route_is_in_the_matrix` fails when a route of
urls_resident has no case for GET and for POST.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.urls import resolve

from conftest import City, Personas
from courtyard.demands import actions, urls_resident
from courtyard.demands.models import Demand, Status
from courtyard.demands.tests.conftest import Catalogue
from courtyard.demands.tests.matrix import (
    LOGIN,
    MISSING,
    PERSONAS,
    REDIRECT,
    Expect,
    assert_status,
    audited,
    db_state,
    statuses,
)
from courtyard.demands.tests.test_pages_resident import advance
from courtyard.people.models import User

# States of their own: signed for with more time asked; dispatched, then returned by the unit.
EXTENSION_PENDING = "extension-pending"
RETURNED = "returned"


@dataclass
class World:
    city: City
    personas: Personas
    catalogue: Catalogue
    demand: Demand  # the resident's streetlight demand in a 草厂 courtyard, in the case's state
    other: Demand  # another submitted demand at 草厂 (a merge's primary)

    def user(self, persona: str) -> User | None:
        return None if persona == "anonymous" else getattr(self.personas, persona)


def build_world(city: City, personas: Personas, catalogue: Catalogue, state: str) -> World:
    def submit() -> Demand:
        return actions.submit_demand(
            by=personas.resident, channel="web", place=city.courtyard,
            category=catalogue.streetlight, description="胡同口路灯不亮", requester=personas.resident,
        )  # fmt: skip

    demand = submit()
    other = submit()
    if state == EXTENSION_PENDING:
        demand = advance(demand, Status.SIGNED, personas)
        actions.request_extension(
            demand, by=personas.handler, reason="需要采购灯具",
            until=demand.feedback_due_at + timedelta(days=3),  # type: ignore[operator]
        )  # fmt: skip
    elif state == RETURNED:
        demand = advance(demand, Status.DISPATCHED, personas)
        demand = actions.return_demand(demand, by=personas.handler, reason="不属于本单位")
    else:
        demand = advance(demand, state, personas)
    return World(city, personas, catalogue, demand, other)


def now_status(w: World) -> str:
    return Demand.objects.get(pk=w.demand.pk).status


# ── Cases ─────────────────────────────────────────────────────────────────────────────────


LOGGED_IN = statuses(200, anonymous=LOGIN)
NOT_ALLOWED = statuses(405, anonymous=LOGIN)  # the wrong method, once logged in
VIEWERS_SUBMITTED = statuses(404, here=200, above=200, resident=200, anonymous=LOGIN)
VIEWERS_WITH_UNIT = statuses(404, here=200, above=200, resident=200, handler=200, anonymous=LOGIN)
TRIAGE = statuses(404, here=REDIRECT, above=REDIRECT, anonymous=LOGIN)
HANDLE = statuses(404, handler=REDIRECT, anonymous=LOGIN)


@dataclass(frozen=True)
class Case:
    route: str  # "demands:demand-…"
    label: str
    method: str
    state: str  # the status the demand is brought to first
    url: Callable[[World], str]
    expect: dict[str, Expect]
    writers: tuple[str, ...] = ()
    written: Callable[[World, User | None], bool] | None = None
    data: Callable[[World], dict[str, Any]] = field(default=lambda w: {})


def on(path: str) -> Callable[[World], str]:
    """A URL on the world's demand: on("accept/") → /demands/<id>/accept/."""
    return lambda w: f"/demands/{w.demand.pk}/{path}"


def step(
    slug: str,
    state: str,
    expect: dict[str, Expect],
    written: Callable[[World, User | None], bool],
    data: Callable[[World], dict[str, Any]] = lambda w: {},
) -> list[Case]:
    """An action's POST (the allowed personas write), its GET (405) and a POST on a
    demand that does not exist (404 for everyone)."""
    route = f"demands:demand-{slug}"
    writers = tuple(p for p, status in expect.items() if status == REDIRECT)
    return [
        Case(route, slug, "POST", state, on(f"{slug}/"), expect, writers, written, data),
        Case(route, slug, "GET", state, on(f"{slug}/"), NOT_ALLOWED),
        Case(
            route,
            f"{slug}-missing",
            "POST",
            state,
            lambda w: f"/demands/{MISSING}/{slug}/",
            statuses(404, anonymous=LOGIN),
            data=data,
        ),
    ]


def moved(status: str, verb: str) -> Callable[[World, User | None], bool]:
    return lambda w, u: now_status(w) == status and audited(verb, u)


S = Status
CASES: list[Case] = [
    # Pages
    Case("demands:demand-create", "create", "GET", S.SUBMITTED, lambda w: "/demands/new/",
         LOGGED_IN),
    Case("demands:demand-create", "create-searching", "GET", S.SUBMITTED,
         lambda w: "/demands/new/?q=路灯&place_q=草厂", LOGGED_IN),
    Case(
        "demands:demand-create", "create", "POST", S.SUBMITTED, lambda w: "/demands/new/",
        statuses(REDIRECT, anonymous=LOGIN), writers=PERSONAS[:-1],
        written=lambda w, u: Demand.objects.filter(requester=u, description="新的诉求").exists()
        and audited("submit_demand", u),
        data=lambda w: {
            "category": w.catalogue.water.pk, "description": "新的诉求", "where": "other",
            "place_code": w.city.courtyard.code, "idempotency_key": "m" * 32,
        },
    ),
    Case("demands:demand-list-mine", "mine", "GET", S.SUBMITTED, lambda w: "/demands/mine/",
         LOGGED_IN),
    Case("demands:demand-list-mine", "mine", "POST", S.SUBMITTED, lambda w: "/demands/mine/",
         NOT_ALLOWED),
    Case("demands:demand-detail", "detail-submitted", "GET", S.SUBMITTED, on(""),
         VIEWERS_SUBMITTED),
    Case("demands:demand-detail", "detail-dispatched", "GET", S.DISPATCHED, on(""),
         VIEWERS_WITH_UNIT),
    Case("demands:demand-detail", "detail-returned", "GET", RETURNED,  # no longer the unit's
         on(""), VIEWERS_SUBMITTED),
    Case("demands:demand-detail", "detail-missing", "GET", S.SUBMITTED,
         lambda w: f"/demands/{MISSING}/", statuses(404, anonymous=LOGIN)),
    Case("demands:demand-detail", "detail", "POST", S.SUBMITTED, on(""), NOT_ALLOWED),
    # The requester
    *step("evaluate", S.REPLIED, statuses(404, resident=REDIRECT, anonymous=LOGIN),
          moved(S.CLOSED, "evaluate_demand"),
          lambda w: {"resolved": "yes", "satisfaction": "satisfied"}),
    *step("reopen", S.REPLIED,
          statuses(404, resident=REDIRECT, here=REDIRECT, above=REDIRECT, anonymous=LOGIN),
          moved(S.ACCEPTED, "reopen_demand"), lambda w: {"reason": "又坏了"}),
    # Staff administering the place
    *step("accept", S.SUBMITTED, TRIAGE, moved(S.ACCEPTED, "accept_demand")),
    *step("answer", S.SUBMITTED, TRIAGE, moved(S.ANSWERED, "answer_demand"),
          lambda w: {"answer": "请拨打96777"}),
    *step("decline", S.ACCEPTED, TRIAGE, moved(S.DECLINED, "decline_demand"),
          lambda w: {"reason": "属于法院管辖"}),
    *step("merge", S.SUBMITTED, TRIAGE,
          lambda w, u: moved(S.MERGED, "merge_demand")(w, u)
          and Demand.objects.get(pk=w.demand.pk).primary_id == w.other.pk,
          lambda w: {"primary": w.other.pk}),
    *step("dispatch", S.ACCEPTED, TRIAGE,
          lambda w, u: moved(S.DISPATCHED, "dispatch_demand")(w, u)
          and Demand.objects.get(pk=w.demand.pk).assignee_id == w.city.unit.pk,
          lambda w: {"organization": w.city.unit.pk}),
    *step("close", S.REPLIED, TRIAGE, moved(S.CLOSED, "close_demand")),
    # The handlers of the unit it is dispatched to
    *step("sign", S.DISPATCHED, HANDLE, moved(S.SIGNED, "sign_demand")),
    *step("contact", S.SIGNED, HANDLE, moved(S.CONTACTED, "contact_requester"),
          lambda w: {"note": "约好周三上门"}),
    *step("reply", S.CONTACTED, HANDLE, moved(S.REPLIED, "reply_demand"),
          lambda w: {"reply": "已更换灯泡"}),
    *step("return", S.DISPATCHED, HANDLE, moved(S.ACCEPTED, "return_demand"),
          lambda w: {"reason": "不属于本单位"}),
    *step("request-extension", S.SIGNED, HANDLE,
          lambda w, u: Demand.objects.get(pk=w.demand.pk).extension_reason == "需要采购"
          and audited("request_extension", u),
          lambda w: {"until": "2099-01-01", "reason": "需要采购"}),
    # The street
    *step("decide-extension", EXTENSION_PENDING,
          statuses(404, above=REDIRECT, anonymous=LOGIN),
          lambda w, u: Demand.objects.get(pk=w.demand.pk).extension_requested_until is None
          and audited("approve_extension", u),
          lambda w: {"decision": "approve"}),
]  # fmt: skip


def _params() -> list[Any]:
    return [
        pytest.param(case, persona, id=f"{case.label}-{case.method}-{persona}")
        for case in CASES
        for persona in PERSONAS
    ]


# ── Running a case ────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(("case", "persona"), _params())
def test_route(
    case: Case,
    persona: str,
    city: City,
    personas: Personas,
    catalogue: Catalogue,
    client_for: Any,
) -> None:
    w = build_world(city, personas, catalogue, case.state)
    user = w.user(persona)
    client = client_for(user)
    url, data = case.url(w), case.data(w)
    before = db_state()

    response = client.get(url) if case.method == "GET" else client.post(url, data)

    expected = case.expect[persona]
    assert_status(response, expected)
    if expected == 404:  # forbidden looks exactly like missing
        assert [t.name for t in response.templates][:1] == ["404.html"]
        assert "13800138000" not in response.content.decode()
    if persona in case.writers:
        assert case.written is not None
        assert case.written(w, user), "the allowed request did not do its work"
    else:
        assert db_state() == before, "a request that may not write left a trace"


# ── The matrix covers every route of urls_resident ──────────────────────────────────────


def test_every_resident_route_is_in_the_matrix(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    w = build_world(city, personas, catalogue, Status.SUBMITTED)
    defined = {f"demands:{p.name}": str(p.pattern) for p in urls_resident.urlpatterns}
    assert all(name.startswith("demands:demand-") for name in defined)
    covered = {(case.route, case.method) for case in CASES}
    missing = sorted(
        f"{name} {method}"
        for name in defined
        for method in ("GET", "POST")
        if (name, method) not in covered
    )
    assert missing == [], "add these routes and methods to the matrix"
    assert sorted({case.route for case in CASES} - set(defined)) == []
    for case in CASES:  # each case's URL reaches the route it names
        match = resolve(case.url(w).partition("?")[0])
        assert (match.view_name, match.route) == (
            case.route,
            "demands/" + defined[case.route],
        ), case.label


def test_a_forbidden_demand_is_byte_for_byte_a_missing_one(
    city: City, personas: Personas, catalogue: Catalogue, client_for: Any
) -> None:
    w = build_world(city, personas, catalogue, Status.SUBMITTED)

    def normalized(response: Any) -> str:
        assert response.status_code == 404
        return re.sub(
            r'name="(csrfmiddlewaretoken|next)" value="[^"]*"', "", response.content.decode()
        )

    for persona in ("sibling", "handler", "resident"):
        client = client_for(w.user(persona))
        for path in ("", "accept/", "sign/", "decide-extension/"):
            if persona == "resident" and path == "":
                continue  # the requester sees their demand
            forbidden = client.post if path else client.get
            absent = forbidden(f"/demands/{MISSING}/{path}")
            shown = forbidden(f"/demands/{w.demand.pk}/{path}")
            assert normalized(shown) == normalized(absent), (persona, path)

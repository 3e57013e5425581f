"""The permission matrix of the public council pages: every route of urls_public × GET and
POST × every persona — here (community worker at 草厂社区, over the council), above (street
officer), sibling (worker of the sibling community), resident (home in a 草厂 courtyard, the
proposer), handler (of the unit seated in 草厂), member (a resident representative on the
council), stranger (logged in, no role) and anonymous.

A page someone may not see answers like a missing one (404); a step someone may see but the
action refuses (an objection from someone not affected) answers with the action's status and
its sentence. Every request a persona may not make leaves no trace: no row changed, no audit
event. `test_every_public_route_is_in_the_matrix` fails when a route of urls_public has no
case for GET and for POST.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.urls import resolve

from conftest import City, Personas
from courtyard.councils import actions, urls_public
from courtyard.councils.models import Council, FollowUpTask, Proposal, Resolution
from courtyard.councils.tests.conftest import Board
from courtyard.councils.tests.test_pages_public import (
    DRAFT,
    IN_EFFECT,
    PUBLISHED,
    SIGNED,
    raised,
    resolution_in,
)
from courtyard.demands.tests.conftest import Catalogue, catalogue  # noqa: F401 (a fixture)
from courtyard.demands.tests.matrix import (
    LOGIN,
    MISSING,
    REDIRECT,
    VOLATILE,
    Expect,
    assert_status,
    audited,
)
from courtyard.people.models import User

PERSONAS = ("here", "above", "sibling", "resident", "handler", "member", "stranger", "anonymous")
STATE_APPS = ("core", "places", "people", "organizations", "demands", "councils")
NONE = ""  # no resolution needed


def db_state() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the project's tables (councils included)."""
    state = {}
    for label in STATE_APPS:
        for model in apps.get_app_config(label).get_models():
            names = [f.attname for f in model._meta.concrete_fields if f.attname not in VOLATILE]
            state[model._meta.label] = list(
                model._default_manager.order_by("pk").values_list(*names)
            )
    return state


def statuses(default: Expect, **overrides: Expect) -> dict[str, Expect]:
    unknown = set(overrides) - set(PERSONAS)
    assert not unknown, unknown
    return {persona: overrides.get(persona, default) for persona in PERSONAS}


@dataclass
class World:
    city: City
    personas: Personas
    board: Board
    catalogue: Catalogue
    proposal: Proposal  # raised by the resident, no support yet
    resolution: Resolution | None  # in the case's state
    task: FollowUpTask | None  # an open task of an in-effect resolution (the member's, the unit's)

    @property
    def council(self) -> Council:
        return self.board.council

    def user(self, persona: str) -> User | None:
        if persona == "anonymous":
            return None
        if persona == "member":
            return self.board.members[3].user
        return getattr(self.personas, persona)


def build_world(
    city: City,
    personas: Personas,
    board: Board,
    catalogue: Catalogue,  # noqa: F811
    state: str,
) -> World:
    proposal = raised(board, personas.resident, title="修缮院门")
    resolution = resolution_in(board, personas, state) if state else None
    task = None
    if state == IN_EFFECT:
        assert resolution is not None
        from datetime import timedelta

        from django.utils import timezone

        task = actions.add_task(
            resolution, by=personas.here, title="采购", owner=board.members[3].user,
            organization=city.unit, due_at=timezone.now() + timedelta(days=9),
        )  # fmt: skip
    return World(city, personas, board, catalogue, proposal, resolution, task)


# ── Cases ────────────────────────────────────────────────────────────────────────────────

EVERYONE = statuses(200)
LOGGED_IN = statuses(200, anonymous=LOGIN)
WRONG_METHOD = statuses(405)  # a page that takes no POST (no login needed to read it)
WRONG_METHOD_LOGIN = statuses(405, anonymous=LOGIN)  # a step's URL read with GET
STAFF_PAGE = statuses(404, here=200, above=200, anonymous=LOGIN)
STAFF_STEP = statuses(404, here=REDIRECT, above=REDIRECT, anonymous=LOGIN)
ALL_MISSING = statuses(404, anonymous=LOGIN)


@dataclass(frozen=True)
class Case:
    route: str  # "councils:…"
    label: str
    method: str
    state: str  # the resolution's state (NONE: no resolution)
    url: Callable[[World], str]
    expect: dict[str, Expect]
    written: Callable[[World, User | None], bool] | None = None
    data: Callable[[World], dict[str, Any]] = field(default=lambda w: {})

    @property
    def writers(self) -> tuple[str, ...]:
        return tuple(p for p, status in self.expect.items() if status == REDIRECT)


def did(verb: str) -> Callable[[World, User | None], bool]:
    return lambda w, u: audited(verb, u)


def step(
    route: str, state: str, url: Callable[[World], str], missing: str, expect: dict[str, Expect],
    verb: str, data: Callable[[World], dict[str, Any]] = lambda w: {},
) -> list[Case]:  # fmt: skip
    """A step's POST (the allowed personas write), its GET (405) and a POST on an object
    that does not exist (404 for everyone)."""
    label = route.partition(":")[2]
    return [
        Case(route, label, "POST", state, url, expect, did(verb), data),
        Case(route, label, "GET", state, url, WRONG_METHOD_LOGIN),
        Case(route, f"{label}-missing", "POST", state, lambda w: missing, ALL_MISSING, data=data),
    ]


def council(path: str = "") -> Callable[[World], str]:
    return lambda w: f"/councils/{w.council.pk}/{path}"


def proposal(path: str = "") -> Callable[[World], str]:
    return lambda w: f"/councils/proposals/{w.proposal.pk}/{path}"


def resolution(path: str = "") -> Callable[[World], str]:
    return lambda w: f"/councils/resolutions/{w.resolution.pk}/{path}"  # type: ignore[union-attr]


def task(path: str) -> Callable[[World], str]:
    return lambda w: f"/councils/tasks/{w.task.pk}/{path}"  # type: ignore[union-attr]


CHARTER = {
    "decision_rule": "majority", "notice_days": 4, "publication_working_days": 5,
    "objection_days": 7, "objection_threshold": 5, "support_threshold": 3, "screening_days": 10,
    "meets_every_days": 182, "speech_minutes": 2, "speeches_per_motion": 2,
}  # fmt: skip
PROPOSER_OR_MEMBER = statuses(403, resident=REDIRECT, member=REDIRECT, anonymous=LOGIN)

CASES: list[Case] = [
    # Councils
    Case("councils:council-list", "list", "GET", NONE, lambda w: "/councils/", EVERYONE),
    Case("councils:council-list", "list-place", "GET", NONE,
         lambda w: f"/councils/?place={w.city.community.pk}", EVERYONE),
    Case("councils:council-list", "list", "POST", NONE, lambda w: "/councils/", WRONG_METHOD),
    Case("councils:council-create", "create", "GET", NONE,
         lambda w: f"/councils/new/?place={w.city.community.pk}", STAFF_PAGE),
    Case("councils:council-create", "create-missing", "GET", NONE,
         lambda w: f"/councils/new/?place={MISSING}", ALL_MISSING),
    Case("councils:council-create", "create", "POST", NONE,
         lambda w: f"/councils/new/?place={w.city.community.pk}", STAFF_STEP,
         did("council_created"), lambda w: {"name": "新议事会"}),
    Case("councils:council-detail", "detail", "GET", NONE, council(), EVERYONE),
    Case("councils:council-detail", "detail-missing", "GET", NONE,
         lambda w: f"/councils/{MISSING}/", statuses(404)),
    Case("councils:council-detail", "detail", "POST", NONE, council(), WRONG_METHOD),
    Case("councils:council-charter", "charter", "GET", NONE, council("charter/"), STAFF_PAGE),
    Case("councils:council-charter", "charter", "POST", NONE, council("charter/"), STAFF_STEP,
         did("charter_changed"), lambda w: CHARTER),
    *step("councils:council-member-add", NONE, council("members/add/"),
          f"/councils/{MISSING}/members/add/", STAFF_STEP, "member_added",
          lambda w: {"username": w.personas.stranger.username, "role": "resident"}),
    *step("councils:council-member-remove", NONE,
          lambda w: f"/councils/{w.council.pk}/members/{w.board.members[4].pk}/remove/",
          f"/councils/{MISSING}/members/{MISSING}/remove/", STAFF_STEP, "member_removed"),
    # Proposals
    Case("councils:proposal-list", "proposals", "GET", NONE, council("proposals/"), EVERYONE),
    Case("councils:proposal-list", "proposals", "POST", NONE, council("proposals/"),
         WRONG_METHOD),
    Case("councils:proposal-create", "raise", "GET", NONE, council("proposals/new/"), LOGGED_IN),
    Case("councils:proposal-create", "raise", "POST", NONE, council("proposals/new/"),
         statuses(REDIRECT, anonymous=LOGIN), did("proposal_raised"),
         lambda w: {"title": "新议题", "body": "内容"}),
    Case("councils:proposal-create", "raise-missing", "POST", NONE,
         lambda w: f"/councils/{MISSING}/proposals/new/", ALL_MISSING,
         data=lambda w: {"title": "新议题", "body": "内容"}),
    Case("councils:proposal-detail", "proposal", "GET", NONE, proposal(), EVERYONE),
    Case("councils:proposal-detail", "proposal-missing", "GET", NONE,
         lambda w: f"/councils/proposals/{MISSING}/", statuses(404)),
    Case("councils:proposal-detail", "proposal", "POST", NONE, proposal(), WRONG_METHOD),
    *step("councils:proposal-support", NONE, proposal("support/"),
          f"/councils/proposals/{MISSING}/support/",
          statuses(REDIRECT, resident=409, anonymous=LOGIN),  # the proposer is counted
          "proposal_supported"),
    *step("councils:proposal-withdraw", NONE, proposal("withdraw/"),
          f"/councils/proposals/{MISSING}/withdraw/",
          statuses(404, resident=REDIRECT, anonymous=LOGIN), "proposal_withdrawn"),
    *step("councils:proposal-screen", NONE, proposal("screen/"),
          f"/councils/proposals/{MISSING}/screen/", STAFF_STEP, "proposal_screened"),
    *step("councils:proposal-decline", NONE, proposal("decline/"),
          f"/councils/proposals/{MISSING}/decline/", STAFF_STEP, "proposal_declined",
          lambda w: {"reason": "不属于议事范围"}),
    # Resolutions
    Case("councils:resolution-list", "resolutions", "GET", NONE, council("resolutions/"),
         EVERYONE),
    Case("councils:resolution-list", "resolutions", "POST", NONE, council("resolutions/"),
         WRONG_METHOD),
    Case("councils:resolution-detail", "draft", "GET", DRAFT, resolution(),
         statuses(404, here=200, above=200, member=200)),
    Case("councils:resolution-detail", "published", "GET", PUBLISHED, resolution(), EVERYONE),
    Case("councils:resolution-detail", "in-effect", "GET", IN_EFFECT, resolution(), EVERYONE),
    Case("councils:resolution-detail", "resolution", "POST", PUBLISHED, resolution(),
         WRONG_METHOD),
    *step("councils:resolution-sign", DRAFT, resolution("sign/"),
          f"/councils/resolutions/{MISSING}/sign/",
          statuses(404, member=REDIRECT, anonymous=LOGIN), "resolution_signed"),
    *step("councils:resolution-record-signature", DRAFT, resolution("record-signature/"),
          f"/councils/resolutions/{MISSING}/record-signature/", STAFF_STEP, "resolution_signed",
          lambda w: {"member": w.board.members[4].pk}),
    *step("councils:resolution-publish", SIGNED, resolution("publish/"),
          f"/councils/resolutions/{MISSING}/publish/", STAFF_STEP, "resolution_published"),
    *step("councils:resolution-object", PUBLISHED, resolution("object/"),
          f"/councils/resolutions/{MISSING}/object/", PROPOSER_OR_MEMBER, "objection_filed",
          lambda w: {"reason": "占用消防通道"}),
    *step("councils:resolution-evaluate", IN_EFFECT, resolution("evaluate/"),
          f"/councils/resolutions/{MISSING}/evaluate/", PROPOSER_OR_MEMBER,
          "resolution_evaluated", lambda w: {"rating": "satisfied"}),
    *step("councils:resolution-task-add", IN_EFFECT, resolution("task-add/"),
          f"/councils/resolutions/{MISSING}/task-add/", STAFF_STEP, "task_added",
          lambda w: {"title": "清理", "due": "2099-01-01", "owner": w.personas.here.username}),
    *step("councils:task-complete", IN_EFFECT, task("complete/"),
          f"/councils/tasks/{MISSING}/complete/",
          statuses(404, here=REDIRECT, above=REDIRECT, member=REDIRECT, handler=REDIRECT,
                   anonymous=LOGIN),
          "task_done"),
    *step("councils:task-dispatch", IN_EFFECT, task("dispatch/"),
          f"/councils/tasks/{MISSING}/dispatch/", STAFF_STEP, "task_dispatched",
          lambda w: {"category": w.catalogue.streetlight.pk, "organization": w.city.unit.pk}),
]  # fmt: skip


def _params() -> list[Any]:
    return [
        pytest.param(case, persona, id=f"{case.label}-{case.method}-{persona}")
        for case in CASES
        for persona in PERSONAS
    ]


@pytest.mark.parametrize(("case", "persona"), _params())
def test_route(
    case: Case,
    persona: str,
    city: City,
    personas: Personas,
    board: Board,
    catalogue: Catalogue,  # noqa: F811
    client_for: Any,
) -> None:
    w = build_world(city, personas, board, catalogue, case.state)
    user = w.user(persona)
    client = client_for(user)
    url, data = case.url(w), case.data(w)
    before = db_state()

    response = client.get(url) if case.method == "GET" else client.post(url, data)

    expected = case.expect[persona]
    assert_status(response, expected)
    if expected == 404:  # forbidden looks exactly like missing
        assert [t.name for t in response.templates][:1] == ["404.html"]
    if persona in case.writers and case.written is not None:
        assert case.written(w, user), "the allowed request did not do its work"
    else:
        assert db_state() == before, "a request that may not write left a trace"


def test_every_public_route_is_in_the_matrix(
    city: City,
    personas: Personas,
    board: Board,
    catalogue: Catalogue,  # noqa: F811
) -> None:
    w = build_world(city, personas, board, catalogue, IN_EFFECT)
    defined = {f"councils:{p.name}": str(p.pattern) for p in urls_public.urlpatterns}
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
        if case.state and case.state != IN_EFFECT:
            continue  # the same routes, another resolution
        match = resolve(case.url(w).partition("?")[0])
        assert (match.view_name, match.route) == (
            case.route,
            "councils/" + defined[case.route],
        ), case.label

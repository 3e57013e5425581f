"""The permission matrix: every page, action and API endpoint × every persona.

Personas (conftest): `here` (community worker at 草厂社区), `above` (street officer at 前门街道,
one level up), `sibling` (community worker at the sibling community), `resident`, `handler`
(handler of the 草厂 unit), `stranger` (logged in, no role) and `anonymous`.

Each case states the status every persona gets. A forbidden object answers exactly like a
missing one (404 rendered by 404.html, or {"detail": "Not found."} in the API), never 403. Every
request that a persona may not make leaves no trace: no new or changed row, no audit event.
`test_every_url_pattern_is_in_the_matrix` fails when a URL exists that no case covers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from conftest import PASSWORD, City, Personas
from courtyard.core.models import AuditEvent
from courtyard.organizations import actions as org_actions
from courtyard.organizations.models import (
    CommitteeMembership,
    DualReport,
    Organization,
    OrganizationKind,
)
from courtyard.people import actions as people_actions
from courtyard.people.models import ApiToken, Role, RoleKind, User

PERSONAS = ("here", "above", "sibling", "resident", "handler", "stranger", "anonymous")
LOGIN = "302 to login"
REDIRECT = "302 elsewhere"
MISSING = 999_999  # an id no row has


# ── The world every case runs in ─────────────────────────────────────────────────────────


@dataclass
class World:
    city: City
    personas: Personas
    inactive_org: Organization  # seated in 草厂, no longer active: staff over it only
    membership: CommitteeMembership  # the 草厂 unit chairs the street committee
    unit_report: DualReport  # the 草厂 unit registered with 草厂 by its handler
    member_report: DualReport  # the resident registered with 草厂 as a party member
    resident_token: ApiToken
    bearer: dict[str, str] = field(default_factory=dict)  # persona → raw API token

    def user(self, persona: str) -> User | None:
        return None if persona == "anonymous" else getattr(self.personas, persona)


@pytest.fixture
def world(city: City, personas: Personas) -> World:
    inactive = org_actions.create_organization(
        by=None, name="草厂旧货店", kind=OrganizationKind.OTHER, place=city.community
    )
    Organization.objects.filter(pk=inactive.pk).update(is_active=False)
    inactive.refresh_from_db()
    unit_report = org_actions.register_dual_report(
        by=personas.handler,
        community=city.community,
        commitments="开放食堂给社区老人",
        organization=city.unit,
    )
    member_report = org_actions.register_dual_report(
        by=personas.resident,
        community=city.community,
        commitments="周末参加环境整治",
        member=personas.resident,
    )
    resident_token, _raw = people_actions.issue_token(
        personas.resident, by=personas.resident, name="家里的脚本"
    )
    w = World(
        city=city,
        personas=personas,
        inactive_org=inactive,
        membership=CommitteeMembership.objects.get(
            committee=city.committee, organization=city.unit
        ),
        unit_report=unit_report,
        member_report=member_report,
        resident_token=resident_token,
    )
    for persona in PERSONAS[:-1]:
        user = w.user(persona)
        assert user is not None
        _token, w.bearer[persona] = people_actions.issue_token(user, by=user, name="matrix")
    return w


# Fields that change on every authenticated request and are no "trace" of an action.
VOLATILE = {"last_login", "last_used_at"}
STATE_APPS = ("core", "places", "people", "organizations")


def db_state() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the project's own tables (sessions and lockout logs aside)."""
    state = {}
    for label in STATE_APPS:
        for model in apps.get_app_config(label).get_models():
            names = [f.attname for f in model._meta.concrete_fields if f.attname not in VOLATILE]
            state[model._meta.label] = list(model.objects.order_by("pk").values_list(*names))
    return state


def audited(verb: str, user: User | None) -> bool:
    return AuditEvent.objects.filter(verb=verb, actor=user).exists()


# ── Cases ─────────────────────────────────────────────────────────────────────────────────


Expect = int | str


def statuses(default: Expect, **overrides: Expect) -> dict[str, Expect]:
    """The status for every persona: `default`, except those named."""
    unknown = set(overrides) - set(PERSONAS)
    assert not unknown, unknown
    return {persona: overrides.get(persona, default) for persona in PERSONAS}


PUBLIC = statuses(200)
LOGGED_IN = statuses(200, anonymous=LOGIN)
STAFF_OF_CAOCHANG = statuses(404, here=200, above=200)  # 草厂 and the street above it
STREET_STAFF = statuses(404, above=200)  # the street only: 草厂's worker is below it


@dataclass(frozen=True)
class Case:
    route: str  # the URL name, "namespace:name"
    label: str  # readable part of the test id
    method: str
    url: Callable[[World], str]
    expect: dict[str, Expect]
    # The personas whose request is meant to write, and the check that it did.
    writers: tuple[str, ...] = ()
    written: Callable[[World, User | None], bool] | None = None
    data: Callable[[World, User | None], dict[str, Any]] | None = None
    setup: Callable[[World], None] | None = None
    api: bool = False
    # (personas, reason): a known bug makes these rows fail until it is fixed.
    xfail: tuple[tuple[str, ...], str] | None = None

    @property
    def ident(self) -> str:
        return f"{self.label}-{self.method}"


def _withdraw_unit_report(w: World) -> None:
    org_actions.withdraw_dual_report(w.unit_report, by=None)


PAGES: list[Case] = [
    # core
    Case("core:home", "home", "GET", lambda w: "/", PUBLIC),
    Case("core:home", "home-search", "GET", lambda w: "/?q=草厂", PUBLIC),
    Case("healthz", "healthz", "GET", lambda w: "/healthz", PUBLIC),
    Case("readyz", "readyz", "GET", lambda w: "/readyz", PUBLIC),
    Case(
        "core:large-type", "large-type", "POST", lambda w: "/display/large-type", statuses(REDIRECT)
    ),
    Case("core:large-type", "large-type", "GET", lambda w: "/display/large-type", statuses(405)),
    Case(
        "core:history",
        "history-place-caochang",
        "GET",
        lambda w: f"/history/places.place/{w.city.community.pk}/",
        STAFF_OF_CAOCHANG,
    ),
    Case(
        "core:history",
        "history-place-sibling-community",
        "GET",
        lambda w: f"/history/places.place/{w.city.sibling.pk}/",
        statuses(404, sibling=200, above=200),
    ),
    Case(
        "core:history",
        "history-place-street",
        "GET",
        lambda w: f"/history/places.place/{w.city.street.pk}/",
        STREET_STAFF,
    ),
    Case(
        "core:history",
        "history-place-missing",
        "GET",
        lambda w: f"/history/places.place/{MISSING}/",
        statuses(404),
    ),
    Case(
        "core:history",
        "history-organization",
        "GET",
        lambda w: f"/history/organizations.organization/{w.city.unit.pk}/",
        STAFF_OF_CAOCHANG,
    ),
    Case(
        "core:history",
        "history-inactive-organization",
        "GET",
        lambda w: f"/history/organizations.organization/{w.inactive_org.pk}/",
        STAFF_OF_CAOCHANG,
    ),
    Case(
        "core:history",
        "history-committee",
        "GET",
        lambda w: f"/history/organizations.committee/{w.city.committee.pk}/",
        STREET_STAFF,
    ),
    Case(
        "core:history",
        "history-membership",
        "GET",
        lambda w: f"/history/organizations.committeemembership/{w.membership.pk}/",
        STREET_STAFF,
    ),
    Case(
        "core:history",
        "history-dual-report",
        "GET",
        lambda w: f"/history/organizations.dualreport/{w.unit_report.pk}/",
        STAFF_OF_CAOCHANG,
    ),
    Case(
        "core:history",
        "history-of-a-user-is-no-page",
        "GET",
        lambda w: f"/history/people.user/{w.personas.resident.pk}/",
        statuses(404),
    ),
    Case(
        "core:history",
        "history-of-audit-events-is-no-page",
        "GET",
        lambda w: f"/history/core.auditevent/{AuditEvent.objects.order_by('pk')[0].pk}/",
        statuses(404),
    ),
    # places
    Case(
        "places:place-detail",
        "place-community",
        "GET",
        lambda w: f"/places/{w.city.community.pk}/",
        PUBLIC,
    ),
    Case(
        "places:place-detail",
        "place-street",
        "GET",
        lambda w: f"/places/{w.city.street.pk}/",
        PUBLIC,
    ),
    Case(
        "places:place-detail", "place-city", "GET", lambda w: f"/places/{w.city.city.pk}/", PUBLIC
    ),
    Case(
        "places:place-detail",
        "place-missing",
        "GET",
        lambda w: f"/places/{MISSING}/",
        statuses(404),
    ),
    # organizations
    Case(
        "organizations:organization-list", "directory", "GET", lambda w: "/organizations/", PUBLIC
    ),
    Case(
        "organizations:organization-list",
        "directory-filtered",
        "GET",
        lambda w: f"/organizations/?place={w.city.community.pk}&kind=enterprise&q=前门",
        PUBLIC,
    ),
    Case(
        "organizations:organization-detail",
        "organization",
        "GET",
        lambda w: f"/organizations/{w.city.unit.pk}/",
        PUBLIC,
    ),
    Case(
        "organizations:organization-detail",
        "organization-inactive",
        "GET",
        lambda w: f"/organizations/{w.inactive_org.pk}/",
        STAFF_OF_CAOCHANG,
    ),
    Case(
        "organizations:organization-detail",
        "organization-missing",
        "GET",
        lambda w: f"/organizations/{MISSING}/",
        statuses(404),
    ),
    Case(
        "organizations:committee-detail",
        "committee",
        "GET",
        lambda w: f"/organizations/committees/{w.city.committee.pk}/",
        PUBLIC,
    ),
    Case(
        "organizations:committee-detail",
        "committee-add-member",
        "POST",
        lambda w: f"/organizations/committees/{w.city.committee.pk}/",
        statuses(404, above=REDIRECT),
        writers=("above",),
        written=lambda w, u: (
            CommitteeMembership.objects.current()
            .filter(committee=w.city.committee, organization=w.city.sibling_unit)
            .exists()
            and audited("add_committee_member", u)
        ),
        data=lambda w, u: {"organization": w.city.sibling_unit.pk, "position": "member"},
    ),
    Case(
        "organizations:membership-end",
        "membership-end",
        "POST",
        lambda w: f"/organizations/memberships/{w.membership.pk}/end/",
        statuses(404, above=REDIRECT),
        writers=("above",),
        written=lambda w, u: (
            CommitteeMembership.objects.get(pk=w.membership.pk).left_on is not None
            and audited("end_committee_membership", u)
        ),
    ),
    Case(
        "organizations:membership-end",
        "membership-end",
        "GET",
        lambda w: f"/organizations/memberships/{w.membership.pk}/end/",
        statuses(405),
    ),
    Case(
        "organizations:dualreport-list",
        "dual-reports-caochang",
        "GET",
        lambda w: f"/organizations/communities/{w.city.community.pk}/dual-reports/",
        statuses(404, here=200, above=200, anonymous=LOGIN),
    ),
    Case(
        "organizations:dualreport-list",
        "dual-reports-sibling-community",
        "GET",
        lambda w: f"/organizations/communities/{w.city.sibling.pk}/dual-reports/",
        statuses(404, sibling=200, above=200, anonymous=LOGIN),
    ),
    Case(
        "organizations:dualreport-list",
        "dual-reports-of-a-street",  # not a community: there is no such list
        "GET",
        lambda w: f"/organizations/communities/{w.city.street.pk}/dual-reports/",
        statuses(404, anonymous=LOGIN),
    ),
    Case(
        "organizations:dualreport-create",
        "dual-report-form",
        "GET",
        lambda w: f"/organizations/communities/{w.city.community.pk}/dual-reports/new/",
        LOGGED_IN,
    ),
    Case(
        "organizations:dualreport-create",
        "dual-report-form-of-a-street",
        "GET",
        lambda w: f"/organizations/communities/{w.city.street.pk}/dual-reports/new/",
        statuses(404, anonymous=LOGIN),
    ),
    Case(
        # Registering the 草厂 unit: only its handler may; for anyone else the unit is not
        # among the choices, so the form refuses it.
        "organizations:dualreport-create",
        "dual-report-register-unit",
        "POST",
        lambda w: f"/organizations/communities/{w.city.community.pk}/dual-reports/new/",
        statuses(400, handler=REDIRECT, anonymous=LOGIN),
        writers=("handler",),
        written=lambda w, u: (
            DualReport.objects.current().filter(organization=w.city.unit).exists()
            and AuditEvent.objects.filter(verb="register_dual_report", actor=u).count() == 2
        ),
        data=lambda w, u: {"organization": str(w.city.unit.pk), "commitments": "周末义诊"},
        setup=_withdraw_unit_report,
    ),
    Case(
        "organizations:dualreport-withdraw",
        "dual-report-withdraw",
        "POST",
        lambda w: f"/organizations/dual-reports/{w.unit_report.pk}/withdraw/",
        statuses(404, here=REDIRECT, above=REDIRECT, handler=REDIRECT, anonymous=LOGIN),
        writers=("here", "above", "handler"),
        written=lambda w, u: (
            DualReport.objects.get(pk=w.unit_report.pk).withdrawn_on is not None
            and audited("withdraw_dual_report", u)
        ),
    ),
    Case(
        "organizations:dualreport-withdraw",
        "dual-report-withdraw-party-member",
        "POST",
        lambda w: f"/organizations/dual-reports/{w.member_report.pk}/withdraw/",
        statuses(404, here=REDIRECT, above=REDIRECT, resident=REDIRECT, anonymous=LOGIN),
        writers=("here", "above", "resident"),
        written=lambda w, u: (
            DualReport.objects.get(pk=w.member_report.pk).withdrawn_on is not None
            and audited("withdraw_dual_report", u)
        ),
    ),
    Case(
        "organizations:dualreport-withdraw",
        "dual-report-withdraw-missing",
        "POST",
        lambda w: f"/organizations/dual-reports/{MISSING}/withdraw/",
        statuses(404, anonymous=LOGIN),
    ),
    # people
    Case(
        "people:login",
        "login",
        "GET",
        lambda w: "/accounts/login/",
        statuses(REDIRECT, anonymous=200),
    ),
    Case("people:logout", "logout", "POST", lambda w: "/accounts/logout/", statuses(REDIRECT)),
    Case("people:logout", "logout", "GET", lambda w: "/accounts/logout/", statuses(405)),
    Case(
        "people:password-change",
        "password-change",
        "GET",
        lambda w: "/accounts/password/",
        LOGGED_IN,
    ),
    Case(
        "people:password-change",
        "password-change-wrong-old",
        "POST",
        lambda w: "/accounts/password/",
        LOGGED_IN,
        data=lambda w, u: {
            "old_password": "not-it",
            "new_password1": "another-horse-battery",
            "new_password2": "another-horse-battery",
        },
    ),
    Case(
        "people:password-done",
        "password-done",
        "GET",
        lambda w: "/accounts/password/done/",
        LOGGED_IN,
    ),
    Case("people:account", "account", "GET", lambda w: "/accounts/", LOGGED_IN),
    Case(
        "people:account",
        "account-save-profile",
        "POST",
        lambda w: "/accounts/",
        statuses(REDIRECT, anonymous=LOGIN),
        writers=PERSONAS[:-1],
        written=lambda w, u: (
            User.objects.filter(pk=getattr(u, "pk", None), display_name="新名字").exists()
            and audited("update_profile", u)
        ),
        data=lambda w, u: {
            "display_name": "新名字",
            "phone": u.phone if u else "",
            "preferred_language": "zh-hans",
        },
    ),
    Case(
        "people:token-create",
        "token-create",
        "POST",
        lambda w: "/accounts/tokens/",
        statuses(REDIRECT, anonymous=LOGIN),
        writers=PERSONAS[:-1],
        written=lambda w, u: ApiToken.objects.filter(user=u, name="新的令牌").exists(),
        data=lambda w, u: {"name": "新的令牌"},
    ),
    Case(
        # The resident's token: nobody else may revoke it, not even the staff above them.
        "people:token-revoke",
        "token-revoke-residents-token",
        "POST",
        lambda w: f"/accounts/tokens/{w.resident_token.pk}/revoke/",
        statuses(404, resident=REDIRECT, anonymous=LOGIN),
        writers=("resident",),
        written=lambda w, u: (
            ApiToken.objects.get(pk=w.resident_token.pk).revoked_at is not None
            and audited("revoke_token", u)
        ),
    ),
]


def _api(
    route: str,
    label: str,
    method: str,
    url: Callable[[World], str],
    expect: dict[str, Expect],
    **kw: Any,
) -> Case:
    return Case(route, label, method, url, expect, api=True, **kw)


API: list[Case] = [
    _api("api:api-root", "api-root", "GET", lambda w: "/api/v1/", statuses(404)),
    _api("api:openapi-json", "api-openapi", "GET", lambda w: "/api/v1/openapi.json", PUBLIC),
    _api("api:openapi-view", "api-docs", "GET", lambda w: "/api/v1/docs", PUBLIC),
    _api(
        "api:create_token",
        "api-token-create",
        "POST",
        lambda w: "/api/v1/auth/token",
        statuses(200, anonymous=401),
        writers=PERSONAS[:-1],
        written=lambda w, u: (
            ApiToken.objects.filter(user=u, name="API").exists() and audited("issue_token", u)
        ),
        # Each persona sends its own credentials; the anonymous visitor a wrong password.
        data=lambda w, u: (
            {"username": u.username, "password": PASSWORD}
            if u
            else {"username": w.personas.resident.username, "password": "wrong-password"}
        ),
    ),
    _api(
        "api:revoke_current_token",
        "api-token-revoke-own",
        "DELETE",
        lambda w: "/api/v1/auth/token",
        statuses(204, anonymous=401),
        writers=PERSONAS[:-1],
        written=lambda w, u: (
            ApiToken.objects.filter(user=u, name="matrix", revoked_at__isnull=False).exists()
            and audited("revoke_token", u)
        ),
    ),
    _api("api:me", "api-me", "GET", lambda w: "/api/v1/me", statuses(200, anonymous=401)),
    _api(
        "api:list_places", "api-places", "GET", lambda w: "/api/v1/places?code=110101011010", PUBLIC
    ),
    _api(
        "api:get_place",
        "api-place",
        "GET",
        lambda w: f"/api/v1/places/{w.city.community.pk}",
        PUBLIC,
    ),
    _api(
        "api:get_place",
        "api-place-missing",
        "GET",
        lambda w: f"/api/v1/places/{MISSING}",
        statuses(404),
    ),
    _api(
        "api:list_children",
        "api-place-children",
        "GET",
        lambda w: f"/api/v1/places/{w.city.street.pk}/children",
        PUBLIC,
    ),
    _api(
        "api:list_descendants",
        "api-place-descendants",
        "GET",
        lambda w: f"/api/v1/places/{w.city.street.pk}/descendants",
        PUBLIC,
    ),
    _api(
        "api:list_organizations",
        "api-organizations",
        "GET",
        lambda w: "/api/v1/organizations",
        PUBLIC,
    ),
    _api(
        "api:get_organization",
        "api-organization",
        "GET",
        lambda w: f"/api/v1/organizations/{w.city.unit.pk}",
        PUBLIC,
    ),
    _api(
        "api:get_organization",
        "api-organization-inactive",
        "GET",
        lambda w: f"/api/v1/organizations/{w.inactive_org.pk}",
        STAFF_OF_CAOCHANG,
    ),
    _api("api:list_committees", "api-committees", "GET", lambda w: "/api/v1/committees", PUBLIC),
    _api(
        "api:get_committee",
        "api-committee",
        "GET",
        lambda w: f"/api/v1/committees/{w.city.committee.pk}",
        PUBLIC,
    ),
    _api(
        "api:list_members",
        "api-committee-members",
        "GET",
        lambda w: f"/api/v1/committees/{w.city.committee.pk}/members",
        PUBLIC,
    ),
]

ALL_CASES = PAGES + API


def _params(cases: list[Case]) -> Iterator[Any]:
    for case in cases:
        for persona in PERSONAS:
            marks = []
            if case.xfail and persona in case.xfail[0]:
                marks = [pytest.mark.xfail(strict=True, reason=case.xfail[1])]
            yield pytest.param(case, persona, id=f"{case.ident}-{persona}", marks=marks)


# ── Running a case ────────────────────────────────────────────────────────────────────────


def api_client(w: World, persona: str) -> Client:
    """A client that authenticates with the persona's Bearer token (none when anonymous)."""
    if persona == "anonymous":
        return Client()
    return Client(headers={"Authorization": f"Bearer {w.bearer[persona]}"})


def client_of(
    w: World, persona: str, case: Case, client_for: Callable[[User | None], Client]
) -> Client:
    return api_client(w, persona) if case.api else client_for(w.user(persona))


def send(client: Client, case: Case, url: str, data: dict[str, Any] | None) -> Any:
    if case.method == "GET":
        return client.get(url)
    if case.method == "DELETE":
        return client.delete(url)
    if case.api:
        return client.post(url, json.dumps(data or {}), content_type="application/json")
    return client.post(url, data or {})


def assert_status(response: Any, expected: Expect) -> None:
    login = reverse("people:login")
    location = response.get("Location", "")
    if expected == LOGIN:
        assert (response.status_code, location.partition("?")[0]) == (302, login)
    elif expected == REDIRECT:
        assert response.status_code == 302
        assert not location.startswith(login)
    else:
        assert response.status_code == expected, location


def assert_looks_missing(response: Any, client: Client) -> None:
    """Forbidden is indistinguishable from missing: the 404 page, or the API's answer for
    an id that does not exist."""
    if response["Content-Type"].startswith("application/json"):
        assert response.json() == client.get(f"/api/v1/places/{MISSING}").json()
    else:
        assert [t.name for t in response.templates][:1] == ["404.html"]


@pytest.mark.parametrize(("case", "persona"), list(_params(PAGES)))
def test_page(case: Case, persona: str, world: World, client_for: Any) -> None:
    run_case(case, persona, world, client_for)


@pytest.mark.parametrize(("case", "persona"), list(_params(API)))
def test_api_endpoint(case: Case, persona: str, world: World, client_for: Any) -> None:
    run_case(case, persona, world, client_for)


def run_case(case: Case, persona: str, w: World, client_for: Any) -> None:
    if case.setup:
        case.setup(w)
    user = w.user(persona)
    client = client_of(w, persona, case, client_for)
    url = case.url(w)
    data = case.data(w, user) if case.data else None
    before = db_state()

    response = send(client, case, url, data)

    expected = case.expect[persona]
    assert_status(response, expected)
    if expected == 404:
        assert_looks_missing(response, client)
    if persona in case.writers:
        assert case.written is not None
        assert case.written(w, user), "the allowed request did not do its work"
    else:
        assert db_state() == before, "a request that may not write left a trace"


# ── The matrix covers every URL ───────────────────────────────────────────────────────────

IGNORED_PREFIXES = ("admin/", "i18n/", "static/", "media/", "__debug__/")
# Demands have their own matrices (courtyard/demands/tests/test_matrix_*.py), each with a
# coverage test of its own routes.
DEMAND_PREFIXES = (
    "demands/",
    "open311/",
    "api/v1/demands",
    "api/v1/service-categories",
    "api/v1/whistles",
)
IGNORED_PREFIXES += DEMAND_PREFIXES
# Councils have their own matrices, each with a coverage test of its routes or operations
# (courtyard/councils/tests/test_matrix_public.py, test_matrix_meetings.py, test_matrix_api.py).
COUNCIL_API_PREFIXES = (
    "councils/",
    *(
        f"api/v1/{name}"
        for name in (
            "councils", "proposals", "meetings", "motions", "speeches", "votes", "rolls",
            "resolutions", "tasks",
        )
    ),
)  # fmt: skip
IGNORED_PREFIXES += COUNCIL_API_PREFIXES
# The inbox has its own matrix with a coverage test (courtyard/notifications/tests/test_pages.py).
NOTIFICATION_PREFIXES = ("notifications/", "api/v1/notifications")
IGNORED_PREFIXES += NOTIFICATION_PREFIXES


def walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    """(route, name) of every URL pattern, names qualified by their namespaces."""
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = ":".join(filter(None, [namespace, p.namespace or ""]))
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else str(p.name)
            yield prefix + str(p.pattern), name


def url_patterns() -> list[tuple[str, str]]:
    """(route, name) of the project's URL patterns, admin, i18n and static files aside."""
    return [
        (r, n) for r, n in walk(get_resolver().url_patterns) if not r.startswith(IGNORED_PREFIXES)
    ]


def project_routes() -> dict[str, str]:
    """name → route."""
    routes: dict[str, str] = {}
    for route, name in url_patterns():
        routes.setdefault(name, route)
    return routes


def test_every_url_pattern_is_in_the_matrix(world: World) -> None:
    """Each pattern must be named by a case and reached by a case's URL; a pattern that
    reuses a name with another path is caught by the second condition."""
    named = {case.route for case in ALL_CASES}
    reached = {resolve(case.url(world).partition("?")[0]).route for case in ALL_CASES}
    patterns = url_patterns()

    uncovered = sorted(
        f"{name}  {route}" for route, name in patterns if name not in named or route not in reached
    )
    assert uncovered == [], "add these URL patterns to the permission matrix"
    stale = sorted(named - {name for _route, name in patterns})
    assert stale == [], "the matrix names routes that do not exist"
    assert all(name != "None" for _route, name in patterns), "name every URL pattern"


def test_every_api_operation_and_method_is_in_the_matrix() -> None:
    """Several operations can share one path (POST and DELETE /auth/token): compare the
    (path, method) pairs the API declares with those the matrix sends."""
    from config.api import api

    declared = {
        (path, method)
        for path, item in api.get_openapi_schema()["paths"].items()
        for method in item
        if not path.lstrip("/").startswith(
            DEMAND_PREFIXES + COUNCIL_API_PREFIXES + NOTIFICATION_PREFIXES
        )
    }
    sent = set()
    for case in API:
        if case.route.startswith("api:openapi") or case.route == "api:api-root":
            continue
        route = project_routes()[case.route]
        sent.add(("/" + re.sub(r"<(\w+)>", r"{\1}", route), case.method.lower()))
    assert sorted(declared - sent) == []


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.ident)
def test_case_url_reaches_its_route(case: Case, world: World) -> None:
    routes = project_routes()
    match = resolve(case.url(world).partition("?")[0])
    assert match.route == routes[case.route]


# ── Guessed ids: the same ids through the API, per persona ────────────────────────────────


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_organization_list_shows_the_inactive_unit_only_to_staff_over_it(
    persona: str, world: World
) -> None:
    client = api_client(world, persona)
    ids = {o["id"] for o in client.get("/api/v1/organizations?limit=200").json()["items"]}
    assert world.city.unit.pk in ids
    assert (world.inactive_org.pk in ids) == (persona in ("here", "above"))


@pytest.mark.parametrize("persona", ["here", "sibling", "resident"])
def test_session_and_bearer_token_see_the_same_through_the_api(
    persona: str, world: World, client_for: Any
) -> None:
    """One permission funnel: the session cookie and a Bearer token give the same answers."""
    bearer = api_client(world, persona)
    session = client_for(world.user(persona))
    for url in (
        f"/api/v1/organizations/{world.inactive_org.pk}",
        f"/api/v1/organizations?place={world.city.community.pk}",
        "/api/v1/me",
    ):
        a, b = bearer.get(url), session.get(url)
        assert (a.status_code, a.json()) == (b.status_code, b.json()), url


def _normalized(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'name="next" value="[^"]*"', "", html)


@pytest.mark.parametrize(
    ("url", "missing"),
    [
        pytest.param(
            lambda w: f"/organizations/communities/{w.city.community.pk}/dual-reports/",
            f"/organizations/communities/{MISSING}/dual-reports/",
            id="dual-reports",
        ),
        pytest.param(
            lambda w: f"/history/places.place/{w.city.community.pk}/",
            f"/history/places.place/{MISSING}/",
            id="history",
        ),
        pytest.param(
            lambda w: f"/organizations/{w.inactive_org.pk}/",
            f"/organizations/{MISSING}/",
            id="inactive-organization",
        ),
    ],
)
def test_forbidden_page_is_byte_for_byte_a_missing_page(
    url: Callable[[World], str], missing: str, world: World, client_for: Any
) -> None:
    client = client_for(world.personas.sibling)
    forbidden, absent = client.get(url(world)), client.get(missing)
    assert forbidden.status_code == absent.status_code == 404
    assert _normalized(forbidden.content.decode()) == _normalized(absent.content.decode())


# ── Regressions: bugs this matrix found (fixed in 2b57431) ───────────────────────────────


def test_a_former_handler_cannot_register_the_unit(world: World, client_for: Any) -> None:
    """The form offers only the units of *active* handler roles (it once offered all)."""
    _withdraw_unit_report(world)
    handler = world.personas.handler
    Role.objects.filter(user=handler, kind=RoleKind.UNIT_HANDLER).update(
        starts_on=date(2020, 1, 1), ends_on=date(2021, 1, 1)
    )
    before = db_state()
    response = client_for(handler).post(
        f"/organizations/communities/{world.city.community.pk}/dual-reports/new/",
        {"organization": str(world.city.unit.pk), "commitments": "周末义诊"},
    )
    assert response.status_code == 400
    assert db_state() == before


def test_committee_members_api_does_not_reveal_an_inactive_unit(world: World) -> None:
    """Members are read through Organization.visible_to: an inactive unit is no more visible
    in a committee's list than at its own URL."""
    org_actions.add_committee_member(world.city.committee, by=None, organization=world.inactive_org)
    anonymous = Client()
    assert anonymous.get(f"/api/v1/organizations/{world.inactive_org.pk}").status_code == 404
    members = anonymous.get(f"/api/v1/committees/{world.city.committee.pk}/members").json()
    assert world.inactive_org.pk not in {m["organization"]["id"] for m in members["items"]}


def test_committee_page_does_not_name_an_inactive_unit(world: World, client_for: Any) -> None:
    """The HTML page reads members through the same funnel as the API."""
    org_actions.add_committee_member(world.city.committee, by=None, organization=world.inactive_org)
    html = client_for(None).get(f"/organizations/committees/{world.city.committee.pk}/")
    assert world.inactive_org.name not in html.content.decode()

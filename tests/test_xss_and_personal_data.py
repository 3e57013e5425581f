"""Stored and reflected XSS, personal data in the wrong place, open redirects.

Every text a person can write (place, organization and display names, commitments, token
names) and every query parameter a page echoes carries `<script>` and `<svg onload>` payloads:
the raw payload never reaches a page, and where the text is displayed its escaped form does.
The resident's phone number appears only to the resident and, once they register as a party
member, to the staff who administer that community. The display forms never redirect away
from the site.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils.html import escape

from conftest import City, Personas
from courtyard.core.models import AuditEvent
from courtyard.organizations import actions as org_actions
from courtyard.organizations.models import DualReport, OrganizationKind
from courtyard.people import actions as people_actions
from courtyard.people.models import RoleKind
from courtyard.places.actions import rename_place

PAYLOADS = [
    pytest.param("<script>alert(1)</script>", id="script"),
    pytest.param("<svg onload=alert(1)>", id="svg-onload"),
]
PHONE = "13800138000"
MASKED_PHONE = "138****8000"


def html_of(response: Any) -> str:
    assert response.status_code == 200, (response.status_code, response.get("Location"))
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


def assert_escaped(html: str, payload: str, *, shown: bool = True, where: str = "") -> None:
    """The raw payload is not in the page; its escaped form is, where it is displayed."""
    assert payload not in html, where
    assert "<script>alert" not in html, where
    assert "<svg" not in html, where
    if shown:
        assert escape(payload) in html, where


# ── Stored: text people write ─────────────────────────────────────────────────────────────


@pytest.mark.parametrize("payload", PAYLOADS)
def test_place_name(payload: str, city: City, personas: Personas, client_for: Any) -> None:
    rename_place(city.community, by=personas.above, name=payload, name_en=payload)
    org_actions.register_dual_report(
        by=personas.handler, community=city.community, commitments="义诊", organization=city.unit
    )
    anonymous, here = client_for(None), client_for(personas.here)
    handler = client_for(personas.handler)

    pages = {
        "the place": anonymous.get(f"/places/{city.community.pk}/"),
        "its parent's children": anonymous.get(f"/places/{city.street.pk}/"),
        "its child's breadcrumb": anonymous.get(f"/places/{city.courtyard.pk}/"),
        "search results": anonymous.get("/", {"q": payload[:10]}),
        "directory within it": anonymous.get("/organizations/", {"place": city.community.pk}),
        "an organization seated there": anonymous.get(f"/organizations/{city.unit.pk}/"),
        "dual-reporting list": here.get(
            f"/organizations/communities/{city.community.pk}/dual-reports/"
        ),
        "dual-reporting form": handler.get(
            f"/organizations/communities/{city.community.pk}/dual-reports/new/"
        ),
        "its history": here.get(f"/history/places.place/{city.community.pk}/"),
        "the worker's account (role)": here.get("/accounts/"),
        "the unit's registrations": handler.get(f"/organizations/{city.unit.pk}/"),
    }
    for where, response in pages.items():
        assert_escaped(html_of(response), payload, where=where)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_message_naming_the_place_is_escaped(
    payload: str, city: City, personas: Personas, client_for: Any
) -> None:
    rename_place(city.community, by=None, name=payload, name_en="")
    response = client_for(personas.stranger).post(
        f"/organizations/communities/{city.community.pk}/dual-reports/new/",
        {"organization": "member", "commitments": "周末义诊"},
        follow=True,
    )
    assert_escaped(html_of(response), payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_organization_name(payload: str, city: City, personas: Personas, client_for: Any) -> None:
    org = org_actions.create_organization(
        by=None, name=payload, kind=OrganizationKind.OTHER, place=city.community
    )
    org_actions.add_committee_member(city.committee, by=None, organization=org)
    people_actions.assign_role(
        personas.stranger, by=None, kind=RoleKind.UNIT_HANDLER, organization=org
    )
    org_actions.register_dual_report(
        by=personas.stranger, community=city.community, commitments="义诊", organization=org
    )
    anonymous, stranger = client_for(None), client_for(personas.stranger)

    pages = {
        "directory": anonymous.get("/organizations/"),
        "directory search": anonymous.get("/organizations/", {"q": payload[:10]}),
        "its page": anonymous.get(f"/organizations/{org.pk}/"),
        "committee page": anonymous.get(f"/organizations/committees/{city.committee.pk}/"),
        "committee page (manager)": client_for(personas.above).get(
            f"/organizations/committees/{city.committee.pk}/"
        ),
        "handler's account": stranger.get("/accounts/"),
        "dual-reporting form": stranger.get(
            f"/organizations/communities/{city.community.pk}/dual-reports/new/"
        ),
        "dual-reporting list": client_for(personas.here).get(
            f"/organizations/communities/{city.community.pk}/dual-reports/"
        ),
        "its history": client_for(personas.here).get(
            f"/history/organizations.organization/{org.pk}/"
        ),
    }
    for where, response in pages.items():
        assert_escaped(html_of(response), payload, where=where)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_display_name(payload: str, city: City, personas: Personas, client_for: Any) -> None:
    resident = personas.resident
    people_actions.update_profile(
        resident, by=resident, display_name=payload, phone=PHONE, preferred_language="zh-hans"
    )
    report = org_actions.register_dual_report(
        by=resident, community=city.community, commitments="义诊", member=resident
    )
    here = client_for(personas.here)

    pages = {
        "own account": client_for(resident).get("/accounts/"),
        "dual-reporting list": here.get(
            f"/organizations/communities/{city.community.pk}/dual-reports/"
        ),
        "history (actor)": here.get(f"/history/organizations.dualreport/{report.pk}/"),
    }
    for where, response in pages.items():
        assert_escaped(html_of(response), payload, where=where)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_commitment_text(payload: str, city: City, personas: Personas, client_for: Any) -> None:
    org_actions.register_dual_report(
        by=personas.handler,
        community=city.community,
        commitments=f"第一行\n{payload}",
        organization=city.unit,
    )
    org_actions.register_dual_report(
        by=personas.resident,
        community=city.community,
        commitments=payload,
        member=personas.resident,
    )
    pages = {
        "dual-reporting list": client_for(personas.here).get(
            f"/organizations/communities/{city.community.pk}/dual-reports/"
        ),
        "organization page (staff)": client_for(personas.above).get(
            f"/organizations/{city.unit.pk}/"
        ),
        "organization page (its handler)": client_for(personas.handler).get(
            f"/organizations/{city.unit.pk}/"
        ),
        "registrant's account": client_for(personas.resident).get("/accounts/"),
    }
    for where, response in pages.items():
        assert_escaped(html_of(response), payload, where=where)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_token_name(payload: str, personas: Personas, client_for: Any) -> None:
    client = client_for(personas.resident)
    created = client.post("/accounts/tokens/", {"name": payload}, follow=True)
    assert_escaped(html_of(created), payload)
    assert_escaped(html_of(client.get("/accounts/")), payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_api_answers_payloads_as_json_that_browsers_do_not_sniff(payload: str, city: City) -> None:
    rename_place(city.community, by=None, name=payload, name_en="")
    response = Client().get(f"/api/v1/places/{city.community.pk}")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.json()["name"] == payload


# ── Reflected: query parameters ───────────────────────────────────────────────────────────


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize(
    ("who", "url", "param", "shown"),
    [
        pytest.param(None, "/", "q", True, id="home-q"),
        pytest.param(None, "/organizations/", "q", True, id="directory-q"),
        pytest.param(None, "/organizations/", "kind", False, id="directory-kind"),
        pytest.param(None, "/accounts/login/", "next", True, id="login-next"),
        # Every page puts its own address in the `next` of the language and large-type forms.
        pytest.param(None, "/", "next", False, id="home-next"),
        pytest.param(None, "/places/{community}/", "next", False, id="place-next"),
        pytest.param("here", "/accounts/", "next", False, id="account-next"),
        pytest.param(
            "here",
            "/organizations/communities/{community}/dual-reports/",
            "next",
            False,
            id="dual-reports-next",
        ),
    ],
)
def test_query_parameter_is_escaped_where_the_page_echoes_it(
    payload: str,
    who: str | None,
    url: str,
    param: str,
    shown: bool,
    city: City,
    personas: Personas,
    client_for: Any,
) -> None:
    client = client_for(getattr(personas, who) if who else None)
    response = client.get(url.format(community=city.community.pk), {param: payload})
    assert_escaped(html_of(response), payload, shown=shown)


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize(
    ("who", "url"),
    [
        pytest.param(None, "/places/{community}/", id="place"),
        pytest.param(None, "/organizations/", id="directory"),
        pytest.param(None, "/organizations/committees/{committee}/", id="committee"),
        pytest.param("here", "/organizations/communities/{community}/dual-reports/", id="list"),
        pytest.param("here", "/history/places.place/{community}/", id="history"),
    ],
)
def test_cursor_payload_is_refused_without_echoing_it(
    payload: str,
    who: str | None,
    url: str,
    city: City,
    personas: Personas,
    client_for: Any,
) -> None:
    client = client_for(getattr(personas, who) if who else None)
    path = url.format(community=city.community.pk, committee=city.committee.pk)
    response = client.get(path, {"cursor": payload})
    assert response.status_code == 400
    assert_escaped(response.content.decode(), payload, shown=False)


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("param", ["q", "kind", "cursor", "limit", "code", "place"])
def test_api_does_not_echo_a_payload_into_html(payload: str, param: str, city: City) -> None:
    response = Client().get("/api/v1/organizations", {param: payload})
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("form", "payload"),
    [
        pytest.param("/i18n/setlang/", "<script>alert(1)</script>", id="language-script"),
        pytest.param("/i18n/setlang/", "<svg onload=alert(1)>", id="language-svg-onload"),
        pytest.param("/display/large-type", "<script>alert(1)</script>", id="large-type-script"),
        pytest.param("/display/large-type", "<svg onload=alert(1)>", id="large-type-svg-onload"),
    ],
)
def test_display_forms_do_not_reflect_a_next_payload(form: str, payload: str, db: Any) -> None:
    response = Client().post(form, {"language": "en", "next": payload})
    assert response.status_code == 302
    assert payload not in response.content.decode()
    assert "<" not in response["Location"]


@pytest.mark.parametrize("target", ["abc", "<svg onload=alert(1)>"])
def test_a_next_that_is_not_a_path_falls_back_home(target: str, db: Any) -> None:
    """A bare word is no address (django.shortcuts.redirect would try to reverse() it: 500)."""
    client = Client(raise_request_exception=False)
    response = client.post("/display/large-type", {"next": target})
    assert (response.status_code, response["Location"]) == (302, "/")


def test_withdrawing_with_a_next_that_is_not_a_path_redirects_to_the_account(
    city: City, personas: Personas, client_for: Any
) -> None:
    report = org_actions.register_dual_report(
        by=personas.resident, community=city.community, commitments="义诊", member=personas.resident
    )
    client = client_for(personas.resident)
    client.raise_request_exception = False
    response = client.post(f"/organizations/dual-reports/{report.pk}/withdraw/", {"next": "abc"})
    assert (response.status_code, response["Location"]) == (302, "/accounts/")


# ── Open redirects ────────────────────────────────────────────────────────────────────────

OFFSITE = [
    "https://evil.example/",
    "http://evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "https:evil.example",
    " https://evil.example/",
    "javascript:alert(1)",
    "https://testserver@evil.example/",
]


@pytest.mark.parametrize("target", OFFSITE)
@pytest.mark.parametrize("form", ["/i18n/setlang/", "/display/large-type"])
def test_display_forms_refuse_open_redirects(target: str, form: str, db: Any) -> None:
    response = Client().post(form, {"language": "en", "next": target})
    assert (response.status_code, response["Location"]) == (302, "/")


@pytest.mark.parametrize("form", ["/i18n/setlang/", "/display/large-type"])
def test_display_forms_return_to_the_page_they_came_from(form: str, db: Any) -> None:
    response = Client().post(form, {"language": "en", "next": "/organizations/?q=前门"})
    assert response.status_code == 302
    assert response["Location"] == "/organizations/?q=" + quote("前门")


@pytest.mark.parametrize("target", OFFSITE[:4])
def test_login_refuses_open_redirects(target: str, personas: Personas) -> None:
    response = Client().post(
        "/accounts/login/",
        {"username": "resident", "password": "correct-horse-battery", "next": target},
    )
    assert (response.status_code, response["Location"]) == (302, "/accounts/")


@pytest.mark.parametrize("target", OFFSITE[:4])
def test_withdrawing_refuses_open_redirects(
    target: str, city: City, personas: Personas, client_for: Any
) -> None:
    report = org_actions.register_dual_report(
        by=personas.resident, community=city.community, commitments="义诊", member=personas.resident
    )
    response = client_for(personas.here).post(
        f"/organizations/dual-reports/{report.pk}/withdraw/", {"next": target}
    )
    assert (response.status_code, response["Location"]) == (302, "/accounts/")
    assert DualReport.objects.get(pk=report.pk).withdrawn_on is not None


# ── Personal data ─────────────────────────────────────────────────────────────────────────


@pytest.fixture
def registered_resident(city: City, personas: Personas) -> DualReport:
    """The resident (phone 13800138000) registers with 草厂 as a party member, and the unit
    registers too: the pages that list registrations now have a reason to show the phone."""
    assert personas.resident.phone == PHONE
    org_actions.register_dual_report(
        by=personas.handler, community=city.community, commitments="义诊", organization=city.unit
    )
    return org_actions.register_dual_report(
        by=personas.resident, community=city.community, commitments="清扫", member=personas.resident
    )


PUBLIC_PAGES = [
    "/",
    "/?q=草厂",
    "/places/{community}/",
    "/places/{courtyard}/",
    "/places/{street}/",
    "/organizations/",
    "/organizations/?place={community}",
    "/organizations/{unit}/",
    "/organizations/committees/{committee}/",
    "/api/v1/places",
    "/api/v1/places/{community}",
    "/api/v1/places/{courtyard}",
    "/api/v1/places/{community}/children",
    "/api/v1/places/{street}/descendants",
    "/api/v1/organizations",
    "/api/v1/organizations/{unit}",
    "/api/v1/committees",
    "/api/v1/committees/{committee}",
    "/api/v1/committees/{committee}/members",
    "/api/v1/openapi.json",
]


def fill(url: str, city: City) -> str:
    return url.format(
        community=city.community.pk,
        courtyard=city.courtyard.pk,
        street=city.street.pk,
        unit=city.unit.pk,
        committee=city.committee.pk,
    )


@pytest.mark.usefixtures("registered_resident")
@pytest.mark.parametrize("who", [None, "sibling", "handler", "stranger"], ids=str)
@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_the_residents_phone_is_not_on_public_pages(
    url: str, who: str | None, city: City, personas: Personas, client_for: Any
) -> None:
    client = client_for(getattr(personas, who) if who else None)
    response = client.get(fill(url, city))
    assert response.status_code == 200
    body = response.content.decode()
    assert PHONE not in body
    assert MASKED_PHONE not in body


@pytest.mark.usefixtures("registered_resident")
def test_the_sibling_worker_never_sees_the_residents_phone(
    city: City, personas: Personas, client_for: Any
) -> None:
    sibling = client_for(personas.sibling)
    for url in (
        f"/organizations/communities/{city.community.pk}/dual-reports/",
        f"/organizations/communities/{city.sibling.pk}/dual-reports/",
        f"/history/places.place/{city.courtyard.pk}/",
        f"/history/organizations.dualreport/{DualReport.objects.get(member=personas.resident).pk}/",
        "/accounts/",
        "/api/v1/me",
    ):
        response = sibling.get(url)
        assert response.status_code in (200, 404), url
        assert PHONE not in response.content.decode(), url


def test_the_resident_sees_their_own_phone_on_their_account_page(
    personas: Personas, client_for: Any
) -> None:
    html = html_of(client_for(personas.resident).get("/accounts/"))
    assert f'value="{PHONE}"' in html


def test_nobody_else_sees_the_residents_phone_on_their_account_page(
    personas: Personas, client_for: Any
) -> None:
    for persona in ("here", "above", "sibling", "handler", "stranger"):
        html = html_of(client_for(getattr(personas, persona)).get("/accounts/"))
        assert PHONE not in html, persona


@pytest.mark.usefixtures("registered_resident")
@pytest.mark.parametrize(
    ("persona", "status", "sees_phone"),
    [
        pytest.param("here", 200, True, id="here"),
        pytest.param("above", 200, True, id="above"),
        pytest.param("sibling", 404, False, id="sibling"),
        pytest.param("resident", 404, False, id="resident"),
        pytest.param("handler", 404, False, id="handler"),
        pytest.param("stranger", 404, False, id="stranger"),
    ],
)
def test_a_party_members_phone_is_on_the_dual_report_list_only_for_its_staff(
    persona: str,
    status: int,
    sees_phone: bool,
    city: City,
    personas: Personas,
    client_for: Any,
) -> None:
    response = client_for(getattr(personas, persona)).get(
        f"/organizations/communities/{city.community.pk}/dual-reports/"
    )
    assert response.status_code == status
    assert (PHONE in response.content.decode()) is sees_phone


@pytest.mark.usefixtures("registered_resident")
def test_the_dual_report_list_needs_a_login(city: City) -> None:
    response = Client().get(f"/organizations/communities/{city.community.pk}/dual-reports/")
    assert response.status_code == 302
    assert PHONE not in response.content.decode()


def test_a_changed_phone_is_not_written_to_the_audit_trail_nor_shown_in_history(
    city: City, personas: Personas, client_for: Any
) -> None:
    resident = client_for(personas.resident)
    response = resident.post(
        "/accounts/",
        {"display_name": "王秀兰", "phone": "13900139000", "preferred_language": "zh-hans"},
    )
    assert response.status_code == 302

    event = AuditEvent.objects.get(verb="update_profile")
    assert "13900139000" not in str(event.changes)
    assert PHONE not in str(event.changes)
    for url in (
        f"/history/places.place/{city.courtyard.pk}/",
        f"/history/places.place/{city.community.pk}/",
    ):
        html = html_of(client_for(personas.above).get(url))
        assert "13900139000" not in html
        assert PHONE not in html

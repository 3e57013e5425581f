"""Every endpoint of /api/v1/: shapes, filters, cursor pages, errors a person can read,
readable Chinese, the OpenAPI document and its offline docs page, health checks, and query
parameters that are not whitelisted never reaching the ORM."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import PASSWORD, City, Personas, credit_code
from courtyard.core.pagination import encode_cursor
from courtyard.organizations import actions as org_actions
from courtyard.organizations.models import OrganizationKind, Position
from courtyard.people.models import ApiToken
from courtyard.places.actions import create_place
from courtyard.places.models import Place, PlaceKind

MISSING = 999_999
BROKEN_CURSOR = "This page link is broken or out of date. Start again from the first page."
NOT_FOUND = {"detail": "Not found."}

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> Client:
    """An anonymous API client that reads English messages."""
    return Client(headers={"Accept-Language": "en"})


def place_json(place: Place) -> dict[str, Any]:
    return {
        "id": place.pk,
        "code": place.code,
        "kind": place.kind,
        "name": place.name,
        "name_en": place.name_en,
        "parent_id": place.parent_id,
    }


def walk_pages(api: Client, url: str, limit: int) -> list[list[dict[str, Any]]]:
    """Every page of a list endpoint, following next_cursor."""
    pages, cursor = [], None
    sep = "&" if "?" in url else "?"
    while True:
        query = f"{url}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = api.get(query)
        assert response.status_code == 200, response.content
        body = response.json()
        assert set(body) == {"items", "next_cursor"}
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "the cursor never ends"


# ── Places ────────────────────────────────────────────────────────────────────────────────


def test_find_a_place_by_its_code(api: Client, city: City) -> None:
    body = api.get("/api/v1/places?code=110101011010").json()

    assert body == {"items": [place_json(city.community)], "next_cursor": None}
    assert body["items"][0] == {
        "id": city.community.pk,
        "code": "110101011010",
        "kind": "community",
        "name": "草厂社区居委会",
        "name_en": "Caochang Community",
        "parent_id": city.street.pk,
    }


def test_list_places_filters_by_kind_and_parent(api: Client, city: City) -> None:
    communities = api.get("/api/v1/places?kind=community").json()["items"]
    assert [p["id"] for p in communities] == [
        city.community.pk,
        city.sibling.pk,
        city.far_community.pk,
    ]
    under_street = api.get(f"/api/v1/places?parent={city.street.pk}").json()["items"]
    assert [p["id"] for p in under_street] == [city.community.pk, city.sibling.pk]
    assert api.get("/api/v1/places?code=000000000000").json() == {
        "items": [],
        "next_cursor": None,
    }


def test_place_detail_has_its_ancestors_root_first_and_its_counts(api: Client, city: City) -> None:
    body = api.get(f"/api/v1/places/{city.community.pk}").json()

    assert body == {
        **place_json(city.community),
        "ancestors": [place_json(city.city), place_json(city.district), place_json(city.street)],
        "counts": {"building": 1, "org:enterprise": 1},
    }
    street = api.get(f"/api/v1/places/{city.street.pk}").json()
    assert street["counts"] == {
        "community": 2,
        "building": 1,
        "org:enterprise": 1,
        "org:school": 1,
    }
    root = api.get(f"/api/v1/places/{city.city.pk}").json()
    assert root["ancestors"] == []
    assert root["parent_id"] is None


@pytest.fixture
def grown_community(city: City) -> list[Place]:
    """草厂 with five courtyards (its own and four more), two of them with stairwell units."""
    yards = [city.courtyard]
    for i in range(2, 6):
        yards.append(
            create_place(
                by=None,
                parent=city.community,
                kind=PlaceKind.BUILDING,
                code=f"110101011010{i:03d}",
                name=f"草厂{i}号院",
            )
        )
    for yard in yards[1:3]:
        create_place(by=None, parent=yard, kind=PlaceKind.UNIT, code=f"{yard.code}-1", name="1单元")
    return yards


def test_children_come_in_cursor_pages_without_duplicates_or_omissions(
    api: Client, city: City, grown_community: list[Place]
) -> None:
    pages = walk_pages(api, f"/api/v1/places/{city.community.pk}/children", limit=2)

    assert [len(p) for p in pages] == [2, 2, 1]
    seen = [p["id"] for page in pages for p in page]
    expected = list(city.community.children.order_by("code", "pk").values_list("pk", flat=True))
    assert seen == expected
    assert len(expected) == 5


def test_descendants_come_in_tree_order_in_cursor_pages(
    api: Client, city: City, grown_community: list[Place]
) -> None:
    pages = walk_pages(api, f"/api/v1/places/{city.community.pk}/descendants", limit=2)

    seen = [p["id"] for page in pages for p in page]
    expected = list(
        Place.objects.below(city.community).order_by("path").values_list("pk", flat=True)
    )
    assert [len(p) for p in pages] == [2, 2, 2, 1]
    assert seen == expected
    assert len(set(seen)) == len(seen) == 7
    assert city.community.pk not in seen
    units = api.get(f"/api/v1/places/{city.community.pk}/descendants?kind=unit").json()["items"]
    assert [u["name"] for u in units] == ["1单元", "1单元"]


def test_children_of_a_place_filter_by_kind(api: Client, city: City) -> None:
    body = api.get(f"/api/v1/places/{city.city.pk}/children?kind=district").json()
    assert [p["id"] for p in body["items"]] == [city.district.pk, city.other_district.pk]
    assert api.get(f"/api/v1/places/{city.city.pk}/children?kind=unit").json()["items"] == []


# ── Organizations and committees ──────────────────────────────────────────────────────────


@pytest.fixture
def more_organizations(city: City) -> None:
    for i, (name, kind, place) in enumerate(
        [
            ("前门小学", OrganizationKind.SCHOOL, city.community),
            ("前门医院", OrganizationKind.HOSPITAL, city.sibling),
            ("前门物业", OrganizationKind.PROPERTY_COMPANY, city.courtyard),
            ("学院路中学", OrganizationKind.SCHOOL, city.far_community),
        ],
        start=10,
    ):
        org_actions.create_organization(
            by=None, name=name, kind=kind, place=place, credit_code=credit_code(i)
        )


def names(body: dict[str, Any]) -> list[str]:
    return [o["name"] for o in body["items"]]


def test_organization_directory_lists_by_name_with_all_fields(api: Client, city: City) -> None:
    body = api.get("/api/v1/organizations").json()
    assert body["next_cursor"] is None
    assert body["items"] == sorted(body["items"], key=lambda o: (o["name"], o["id"]))
    unit = next(o for o in body["items"] if o["id"] == city.unit.pk)
    assert unit == {
        "id": city.unit.pk,
        "name": "前门文化发展有限公司",
        "name_en": "Qianmen Culture Co.",
        "kind": "enterprise",
        "credit_code": credit_code(1),
        "place_id": city.community.pk,
    }


@pytest.mark.usefixtures("more_organizations")
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param(
            "q=前门", ["前门医院", "前门小学", "前门文化发展有限公司", "前门物业"], id="q"
        ),
        pytest.param("q=学院", ["学院路中学"], id="q-other"),
        pytest.param("kind=school", ["前门小学", "大栅栏小学", "学院路中学"], id="kind"),
        pytest.param("q=前门&kind=school", ["前门小学"], id="q-and-kind"),
        pytest.param("q=nothing", [], id="q-no-match"),
    ],
)
def test_organization_filters(api: Client, query: str, expected: list[str]) -> None:
    assert names(api.get(f"/api/v1/organizations?{query}").json()) == sorted(expected)


@pytest.mark.usefixtures("more_organizations")
def test_organization_place_filter_takes_the_whole_subtree(api: Client, city: City) -> None:
    in_caochang = names(api.get(f"/api/v1/organizations?place={city.community.pk}").json())
    assert sorted(in_caochang) == sorted(["前门小学", "前门文化发展有限公司", "前门物业"])
    in_street = names(api.get(f"/api/v1/organizations?place={city.street.pk}").json())
    assert len(in_street) == 5
    pages = walk_pages(api, f"/api/v1/organizations?place={city.street.pk}", limit=2)
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [o["name"] for page in pages for o in page] == in_street
    assert api.get(f"/api/v1/organizations?place={MISSING}").json() == NOT_FOUND


@pytest.mark.usefixtures("more_organizations")
def test_organization_directory_cursor_pages(api: Client) -> None:
    pages = walk_pages(api, "/api/v1/organizations", limit=2)
    seen = [o["name"] for page in pages for o in page]
    assert [len(p) for p in pages] == [2, 2, 2]
    assert seen == sorted(seen)
    assert len(set(seen)) == 6
    filtered = walk_pages(api, "/api/v1/organizations?q=前门", limit=1)
    assert [o["name"] for page in filtered for o in page] == sorted(
        ["前门医院", "前门小学", "前门文化发展有限公司", "前门物业"]
    )


def test_organization_detail(api: Client, city: City) -> None:
    body = api.get(f"/api/v1/organizations/{city.sibling_unit.pk}").json()
    assert body == {
        "id": city.sibling_unit.pk,
        "name": "大栅栏小学",
        "name_en": "Dashilar Primary School",
        "kind": "school",
        "credit_code": credit_code(2),
        "place_id": city.sibling.pk,
    }


def test_committees_list_detail_and_members(api: Client, city: City) -> None:
    district_committee = org_actions.create_committee(
        by=None, place=city.other_district, name="海淀区党建工作协调委员会"
    )
    org_actions.add_committee_member(
        city.committee, by=None, organization=city.sibling_unit, position=Position.DEPUTY
    )

    everything = api.get("/api/v1/committees").json()
    assert [c["id"] for c in everything["items"]] == [city.committee.pk, district_committee.pk]
    in_district = api.get(f"/api/v1/committees?place={city.district.pk}").json()
    assert [c["id"] for c in in_district["items"]] == [city.committee.pk]
    assert api.get(f"/api/v1/committees?place={MISSING}").json() == NOT_FOUND

    detail = api.get(f"/api/v1/committees/{city.committee.pk}").json()
    assert detail == {
        "id": city.committee.pk,
        "name": "前门街道党建工作协调委员会",
        "name_en": "Qianmen Coordination Committee",
        "place_id": city.street.pk,
        "founded_on": city.committee.founded_on.isoformat(),
    }

    members = api.get(f"/api/v1/committees/{city.committee.pk}/members").json()
    assert members["next_cursor"] is None
    assert [(m["organization"]["id"], m["position"], m["left_on"]) for m in members["items"]] == [
        (city.unit.pk, "chair", None),
        (city.sibling_unit.pk, "deputy", None),
    ]
    assert set(members["items"][0]) == {"id", "organization", "position", "joined_on", "left_on"}
    assert members["items"][0]["organization"]["name"] == "前门文化发展有限公司"


def test_committee_members_page_and_leave_out_former_members(api: Client, city: City) -> None:
    for i in range(4):
        org = org_actions.create_organization(
            by=None,
            name=f"前门单位{i}",
            kind=OrganizationKind.ENTERPRISE,
            place=city.community,
            credit_code=credit_code(20 + i),
        )
        membership = org_actions.add_committee_member(city.committee, by=None, organization=org)
        if i == 0:
            org_actions.end_committee_membership(membership, by=None)

    pages = walk_pages(api, f"/api/v1/committees/{city.committee.pk}/members", limit=2)
    seen = [m["organization"]["name"] for page in pages for m in page]
    assert [len(p) for p in pages] == [2, 2]
    assert sorted(seen) == sorted(["前门文化发展有限公司", "前门单位1", "前门单位2", "前门单位3"])


# ── People ────────────────────────────────────────────────────────────────────────────────


def test_token_me_and_revoke(api: Client, personas: Personas, city: City) -> None:
    refused = api.post(
        "/api/v1/auth/token",
        json.dumps({"username": "worker-here", "password": "wrong"}),
        content_type="application/json",
    )
    assert (refused.status_code, refused.json()) == (
        401,
        {"detail": "The username or password is wrong."},
    )

    issued = api.post(
        "/api/v1/auth/token",
        json.dumps({"username": "worker-here", "password": PASSWORD}),
        content_type="application/json",
    )
    assert issued.status_code == 200
    assert set(issued.json()) == {"token", "expires_at"}
    token = issued.json()["token"]

    client = Client(headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})
    me = client.get("/api/v1/me").json()
    assert me == {
        "username": "worker-here",
        "display_name": "李社工",
        "preferred_language": "zh-hans",
        "roles": [
            {
                "kind": "community_worker",
                "place_id": city.community.pk,
                "place_name": "Caochang Community",  # the English name, asked for in English
                "organization_id": None,
                "organization_name": None,
                "starts_on": me["roles"][0]["starts_on"],
                "ends_on": None,
            }
        ],
    }

    assert client.delete("/api/v1/auth/token").status_code == 204
    assert ApiToken.objects.get(user=personas.here).revoked_at is not None
    after = client.get("/api/v1/me")
    assert after.status_code == 401
    assert "revoked" in after.json()["detail"]


def test_me_without_credentials_is_401_with_a_sentence(api: Client) -> None:
    response = api.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json() == {"detail": "Log in, or send Authorization: Bearer <token>."}


def test_auth_token_without_a_body_is_422(api: Client) -> None:
    response = api.post("/api/v1/auth/token", "{}", content_type="application/json")
    assert response.status_code == 422
    assert set(response.json()) == {"detail", "errors"}


# ── Errors ────────────────────────────────────────────────────────────────────────────────

LISTS = [
    "/api/v1/places",
    "/api/v1/places/{community}/children",
    "/api/v1/places/{community}/descendants",
    "/api/v1/organizations",
    "/api/v1/committees",
    "/api/v1/committees/{committee}/members",
]


def fill(url: str, city: City, *, missing: bool = False) -> str:
    return url.format(
        community=MISSING if missing else city.community.pk,
        committee=MISSING if missing else city.committee.pk,
    )


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("limit", ["0", "-1", "201", "abc", "1.5"])
def test_limit_out_of_range_is_422_with_detail_and_errors(
    api: Client, city: City, url: str, limit: str
) -> None:
    response = api.get(f"{fill(url, city)}?limit={limit}")

    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert body["detail"].startswith("Some input is not valid: limit: ")
    assert [e["loc"] for e in body["errors"]] == [["query", "limit"]]


@pytest.mark.parametrize("url", LISTS)
def test_limit_at_the_bounds_is_accepted(api: Client, city: City, url: str) -> None:
    for limit in (1, 200):
        assert api.get(f"{fill(url, city)}?limit={limit}").status_code == 200


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


TAMPERED = [
    pytest.param("!!!", id="not-base64"),
    pytest.param(b64(b"\xff\xfe"), id="not-utf8"),
    pytest.param(b64(b"not json"), id="not-json"),
    pytest.param(b64(b'{"pk": 1}'), id="not-a-list"),
    pytest.param(encode_cursor([1, 2, 3, 4]), id="wrong-length"),
    pytest.param(encode_cursor([[1], {"a": 1}]), id="nested-values"),
    pytest.param(encode_cursor([None, None]), id="nulls"),
]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("cursor", TAMPERED)
def test_tampered_cursor_is_400_with_a_readable_detail(
    api: Client, city: City, url: str, cursor: str
) -> None:
    response = api.get(f"{fill(url, city)}?cursor={cursor}")

    assert response.status_code == 400
    assert response.json() == {"detail": BROKEN_CURSOR}


# One value per ordering field, of the right count but the wrong type: a string where the
# field is an integer or a date. (Descendants order by path, a string: any string is valid.)
# Such a cursor passes decode_cursor; the filter must still refuse it with a 400, not a 500.
WRONG_TYPES = [
    pytest.param("/api/v1/places", ["x"], id="api-places"),
    pytest.param(
        "/api/v1/places/{community}/children", ["110101011010001", "x"], id="api-children"
    ),
    pytest.param("/api/v1/organizations", ["前门", "x"], id="api-organizations"),
    pytest.param("/api/v1/committees", ["x"], id="api-committees"),
    pytest.param("/api/v1/committees/{committee}/members", ["x"], id="api-members"),
    pytest.param("/places/{community}/", ["110101011010001", "x"], id="place-page"),
    pytest.param("/organizations/", ["前门", "x"], id="directory-page"),
    pytest.param("/organizations/committees/{committee}/", ["chair", "x", 1], id="committee-page"),
    pytest.param(
        "/organizations/communities/{community}/dual-reports/", ["x", 1], id="dual-reports-page"
    ),
    pytest.param("/history/places.place/{community}/", ["x"], id="history-page"),
]


@pytest.mark.parametrize(("url", "values"), WRONG_TYPES)
def test_cursor_with_values_of_the_wrong_type_is_400(
    city: City, personas: Personas, client_for: Any, url: str, values: list[Any]
) -> None:
    client = client_for(personas.above)  # the dual-report list and history need staff
    client.raise_request_exception = False
    response = client.get(
        f"{fill(url, city)}?cursor={encode_cursor(values)}", headers={"Accept-Language": "en"}
    )
    assert response.status_code == 400
    assert BROKEN_CURSOR in response.content.decode()


@pytest.mark.parametrize("value", [10**30, -(10**30)], ids=["huge", "negative-huge"])
def test_a_cursor_beyond_any_id_is_an_empty_page_not_an_error(
    api: Client, city: City, value: int
) -> None:
    """Integers beyond the column's range are valid JSON and a valid type; the database
    must not be asked to compare with them in a way that errors (PostgreSQL and SQLite)."""
    response = api.get(f"/api/v1/places?cursor={encode_cursor([value])}")
    assert response.status_code == 200
    items = response.json()["items"]
    if value > 0:
        assert items == []  # nothing lies after it
    else:
        assert len(items) == Place.objects.count()  # everything does


def test_a_cursor_longer_than_1024_characters_is_422(api: Client) -> None:
    assert api.get(f"/api/v1/places?cursor={'A' * 1025}").status_code == 422


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/places/{missing}",
        "/api/v1/places/{missing}/children",
        "/api/v1/places/{missing}/descendants",
        "/api/v1/organizations/{missing}",
        "/api/v1/committees/{missing}",
        "/api/v1/committees/{missing}/members",
    ],
)
def test_unknown_id_is_404_with_detail(api: Client, url: str) -> None:
    response = api.get(url.format(missing=MISSING))
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert response["Content-Type"] == "application/json; charset=utf-8"


def test_a_non_numeric_id_is_422(api: Client) -> None:
    response = api.get("/api/v1/places/abc")
    assert response.status_code == 422
    assert set(response.json()) == {"detail", "errors"}


# ── Encoding, documents, health ───────────────────────────────────────────────────────────


def test_json_keeps_chinese_readable(api: Client, city: City) -> None:
    raw = api.get(f"/api/v1/places/{city.community.pk}").content

    assert "草厂".encode() in raw
    assert b"\\u8349" not in raw
    assert "北京市".encode() in raw


def test_openapi_document_lists_every_path(api: Client) -> None:
    response = api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["info"]["title"] == "Courtyard API"
    # The foundation's paths; demands, whistles, councils and notifications have their own
    # API tests (courtyard/<app>/tests/test_api.py).
    others = (
        "demands", "service-categories", "whistles", "notifications", "councils", "proposals",
        "meetings", "motions", "speeches", "votes", "rolls", "resolutions", "tasks",
    )  # fmt: skip
    foundation = [
        p for p in schema["paths"] if not p.startswith(tuple(f"/api/v1/{o}" for o in others))
    ]
    assert sorted(foundation) == [
        "/api/v1/auth/token",
        "/api/v1/committees",
        "/api/v1/committees/{committee_id}",
        "/api/v1/committees/{committee_id}/members",
        "/api/v1/me",
        "/api/v1/organizations",
        "/api/v1/organizations/{org_id}",
        "/api/v1/places",
        "/api/v1/places/{place_id}",
        "/api/v1/places/{place_id}/children",
        "/api/v1/places/{place_id}/descendants",
    ]
    assert set(schema["paths"]["/api/v1/auth/token"]) == {"post", "delete"}
    places = schema["paths"]["/api/v1/places"]["get"]
    assert {p["name"] for p in places["parameters"]} == {
        "code",
        "kind",
        "parent",
        "cursor",
        "limit",
    }


def test_docs_page_uses_only_local_static_files(api: Client) -> None:
    response = api.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()

    assert "http://" not in html
    assert "https://" not in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "the docs page should load Swagger UI"
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not a static file"
    assert "/api/v1/openapi.json" in html


def test_healthz_and_readyz(api: Client) -> None:
    health = api.get("/healthz")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    ready = api.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": connection.vendor}
    assert ready["Content-Type"] == "application/json"


# ── Query parameters that are not whitelisted ─────────────────────────────────────────────

FUZZ = (
    "password=x&user__password__startswith=a&order_by=password&ordering=-password"
    "&is_active=false&place__path__startswith=x&name__regex=.*&pk__in=1&id=1&format=xml"
    "&select_related=user&extra=1"
)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/places",
        "/api/v1/places/{community}",
        "/api/v1/places/{community}/children",
        "/api/v1/places/{community}/descendants",
        "/api/v1/organizations",
        "/api/v1/committees",
        "/api/v1/committees/{committee}",
        "/api/v1/committees/{committee}/members",
    ],
)
def test_unknown_query_parameters_change_nothing_and_never_reach_the_orm(
    api: Client, city: City, url: str
) -> None:
    url = fill(url, city)
    baseline = api.get(url)
    with CaptureQueriesContext(connection) as queries:
        fuzzed = api.get(f"{url}?{FUZZ}")

    assert fuzzed.status_code == baseline.status_code == 200
    assert fuzzed.json() == baseline.json()
    for query in queries.captured_queries:
        assert "password" not in query["sql"].lower()
        assert "people_user" not in query["sql"].lower()


def test_unknown_query_parameters_on_an_organization_detail(api: Client, city: City) -> None:
    url = f"/api/v1/organizations/{city.unit.pk}"
    assert api.get(f"{url}?{FUZZ}").json() == api.get(url).json()


def test_a_filter_value_is_matched_as_data_not_as_a_lookup(api: Client, city: City) -> None:
    """`q` is a prefix of the name, never an expression: wildcards match nothing."""
    for q in ("%", "_", ".*", "' OR 1=1 --", "前门%"):
        assert api.get("/api/v1/organizations", {"q": q}).json()["items"] == [], q

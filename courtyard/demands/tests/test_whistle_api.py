"""The whistle API (/api/v1/whistles): shapes with exact values, filters, cursor pages, a
fixed number of queries per list, each step through its action with the action's refusals
(which change nothing). Who may call what is test_matrix_whistle_api's."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from conftest import City, Personas
from courtyard.core.models import AuditEvent
from courtyard.demands import actions
from courtyard.demands.models import Whistle, WhistleStatus, WhistleSummons
from courtyard.demands.tests.conftest import Catalogue
from courtyard.demands.tests.matrix import MISSING, db_state
from courtyard.demands.whistles import blow_whistle, close_whistle, report_to_whistle
from courtyard.people.actions import issue_token
from courtyard.people.models import User

pytestmark = pytest.mark.django_db

BLOWN = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def api_as(user: User) -> Client:
    _token, secret = issue_token(user, by=user, name="test")
    return Client(headers={"Authorization": f"Bearer {secret}", "Accept-Language": "en"})


def post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def street(personas: Personas) -> Client:
    return api_as(personas.above)


@pytest.fixture
def handler(personas: Personas) -> Client:
    return api_as(personas.handler)


@pytest.fixture
def open_whistle(city: City, personas: Personas, catalogue: Catalogue) -> Whistle:
    """Blown in 草厂 at BLOWN (report within 30 min), summoning the unit and the department."""
    return blow_whistle(
        by=personas.above, place=city.community, kind="routine", title="路灯抢修",
        description="街道解决不了", organizations=[city.unit, catalogue.department], now=BLOWN,
    )  # fmt: skip


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


# ── Reading ───────────────────────────────────────────────────────────────────────────────


def test_a_whistle_reads_in_full(
    open_whistle: Whistle, city: City, catalogue: Catalogue, personas: Personas, street: Client
) -> None:
    report_to_whistle(
        open_whistle, by=personas.handler, organization=city.unit, note="已到场",
        now=BLOWN + timedelta(minutes=45),
    )  # fmt: skip

    body = street.get(f"/api/v1/whistles/{open_whistle.pk}").json()

    assert body == {
        "id": open_whistle.pk,
        "status": "open",
        "kind": "routine",
        "title": "路灯抢修",
        "description": "街道解决不了",
        "street_id": city.street.pk,
        "street_name": "Qianmen Subdistrict",
        "place_id": city.community.pk,
        "place_name": city.community.name_en,
        "demand_id": None,
        "demand_summary": None,
        "blown_by_name": "张主任",
        "blown_at": "2025-03-03T09:00:00Z",
        "report_due_at": "2025-03-03T09:30:00Z",
        "closed_at": None,
        "closing_note": "",
        "is_overdue": True,  # the department has not reported, long past the deadline
        "summonses": [
            {
                "organization_id": city.unit.pk,
                "organization_name": city.unit.name_en or city.unit.name,
                "reported_at": "2025-03-03T09:45:00Z",
                "report_note": "已到场",
                "late": True,
                "score": None,
                "score_comment": "",
                "scored_at": None,
            },
            {
                "organization_id": catalogue.department.pk,
                "organization_name": "Dongcheng Urban Management",
                "reported_at": None,
                "report_note": "",
                "late": False,
                "score": None,
                "score_comment": "",
                "scored_at": None,
            },
        ],
    }


def test_a_whistle_on_a_demand_names_it(
    city: City, personas: Personas, catalogue: Catalogue, street: Client
) -> None:
    demand = actions.submit_demand(
        by=personas.resident, channel="web", place=city.courtyard,
        category=catalogue.streetlight, description="胡同口路灯不亮三天了",
        requester=personas.resident,
    )  # fmt: skip

    response = post(street, "/api/v1/whistles", {
        "kind": "crunch", "title": "路灯", "description": "多部门", "demand": demand.pk,
        "organizations": [catalogue.department.pk],
    })  # fmt: skip

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["place_id"], body["demand_id"]) == (city.courtyard.pk, demand.pk)
    assert body["demand_summary"] == demand.public_summary
    whistle = Whistle.objects.get(pk=body["id"])
    assert (whistle.demand_id, whistle.kind, whistle.blown_by) == (
        demand.pk,
        "crunch",
        personas.above,
    )


def test_the_list_filters(
    open_whistle: Whistle, city: City, personas: Personas, catalogue: Catalogue, street: Client
) -> None:
    closed = close_whistle(
        blow_whistle(
            by=personas.above,
            place=city.sibling,
            kind="emergency",
            title="积水",
            description="排水",
            organizations=[city.sibling_unit],
        ),
        by=personas.above,
    )
    url = "/api/v1/whistles"

    assert ids(street.get(url)) == [closed.pk, open_whistle.pk]
    assert ids(street.get(f"{url}?status=open")) == [open_whistle.pk]
    assert ids(street.get(f"{url}?status=closed")) == [closed.pk]
    assert ids(street.get(f"{url}?kind=emergency")) == [closed.pk]
    assert ids(street.get(f"{url}?place={city.community.pk}")) == [open_whistle.pk]
    assert ids(street.get(f"{url}?place={city.street.pk}")) == [closed.pk, open_whistle.pk]
    assert ids(street.get(f"{url}?place={city.far_community.pk}")) == []
    assert ids(street.get(f"{url}?organization={catalogue.department.pk}")) == [open_whistle.pk]
    assert ids(street.get(f"{url}?organization={city.sibling_unit.pk}")) == [closed.pk]
    assert street.get(f"{url}?place={MISSING}").status_code == 404
    assert street.get(f"{url}?status=asleep").status_code == 422


def test_the_handler_lists_only_the_whistles_summoning_its_units(
    open_whistle: Whistle, city: City, personas: Personas, handler: Client
) -> None:
    blow_whistle(
        by=personas.above, place=city.sibling, kind="routine", title="拥堵",
        description="校门口", organizations=[city.sibling_unit],
    )  # fmt: skip
    assert ids(handler.get("/api/v1/whistles")) == [open_whistle.pk]


def test_cursor_pages_walk_every_whistle_once(
    city: City, personas: Personas, street: Client
) -> None:
    made = [
        blow_whistle(
            by=personas.above,
            place=city.community,
            kind="routine",
            title=f"第{i}哨",
            description="街道解决不了",
            organizations=[city.unit],
        ).pk
        for i in range(5)
    ]
    seen: list[int] = []
    url: str | None = "/api/v1/whistles?limit=2"
    while url:
        body = street.get(url).json()
        assert len(body["items"]) <= 2
        seen += [item["id"] for item in body["items"]]
        url = (
            f"/api/v1/whistles?limit=2&cursor={body['next_cursor']}"
            if body["next_cursor"]
            else None
        )
    assert seen == sorted(made, reverse=True)


def test_the_list_costs_the_same_queries_for_one_whistle_or_many(
    city: City,
    personas: Personas,
    catalogue: Catalogue,
    street: Client,
    django_assert_num_queries: Any,
) -> None:
    def blow(n: int) -> None:
        for _ in range(n):
            title = f"哨{Whistle.objects.count()}"  # another title: not a repeat of the last
            whistle = blow_whistle(
                by=personas.above, place=city.community, kind="routine", title=title,
                description="街道解决不了", organizations=[city.unit, catalogue.department],
            )  # fmt: skip
            report_to_whistle(whistle, by=personas.handler, organization=city.unit)

    blow(1)
    street.get("/api/v1/whistles")  # the token's first use writes its last_used_at
    # the token with its user, the staff scope, the page, its summonses with their units
    with django_assert_num_queries(4):
        assert len(ids(street.get("/api/v1/whistles"))) == 1
    blow(6)
    with django_assert_num_queries(4):
        assert len(ids(street.get("/api/v1/whistles"))) == 7


# ── Steps ─────────────────────────────────────────────────────────────────────────────────


def test_blowing_through_the_api_is_the_action(
    city: City, personas: Personas, catalogue: Catalogue, street: Client
) -> None:
    response = post(street, "/api/v1/whistles", {
        "kind": "emergency", "title": "燃气泄漏", "description": "草厂三条燃气泄漏",
        "place": city.courtyard.pk, "organizations": [catalogue.department.pk, city.unit.pk],
    })  # fmt: skip

    assert response.status_code == 201, response.content
    body = response.json()
    whistle = Whistle.objects.get(pk=body["id"])
    assert (whistle.place, whistle.street, whistle.status) == (
        city.courtyard, city.street, WhistleStatus.OPEN,
    )  # fmt: skip
    assert whistle.report_due_at - whistle.blown_at == timedelta(minutes=30)
    assert [s["organization_id"] for s in body["summonses"]] == sorted(
        [catalogue.department.pk, city.unit.pk]
    )
    event = AuditEvent.objects.get(verb="blow_whistle")
    assert (event.actor, event.place_path) == (personas.above, city.courtyard.path)


@pytest.mark.parametrize(
    ("change", "status", "detail"),
    [
        ({"place": None}, 400, "Give the place, or the demand the whistle is blown on."),
        ({"place": MISSING}, 400, "There is no such place."),
        ({"organizations": []}, 400, "Summon at least one department or unit."),
        ({"organizations": [MISSING]}, 400, "Summon only active departments and units of this district."),
        ({"demand": MISSING}, 400, "No demand with this number is within your street."),
        ({"title": "  "}, 400, None),
        ({"place": "far"}, 403, "Only the officers of this street may blow its whistle."),
    ],
)  # fmt: skip
def test_a_refused_blow_says_why_and_leaves_no_trace(
    change: dict[str, Any],
    status: int,
    detail: str | None,
    city: City,
    catalogue: Catalogue,
    street: Client,
) -> None:
    body = {
        "kind": "routine", "title": "燃气泄漏", "description": "燃气泄漏",
        "place": city.courtyard.pk, "organizations": [catalogue.department.pk],
    } | change  # fmt: skip
    if body["place"] == "far":
        body["place"] = city.far_community.pk
    before = db_state()

    response = post(street, "/api/v1/whistles", body)

    assert response.status_code == status, response.content
    if detail is not None:
        assert response.json()["detail"] == detail
    assert db_state() == before


def test_reporting_through_the_api(
    open_whistle: Whistle, city: City, personas: Personas, handler: Client
) -> None:
    url = f"/api/v1/whistles/{open_whistle.pk}/report"

    response = post(handler, url, {"organization": city.unit.pk, "note": "已到场"})

    assert response.status_code == 200, response.content
    row = next(s for s in response.json()["summonses"] if s["organization_id"] == city.unit.pk)
    assert (row["report_note"], row["late"]) == ("已到场", True)  # blown in 2025
    summons = WhistleSummons.objects.get(whistle=open_whistle, organization=city.unit)
    assert summons.reported_at is not None
    assert AuditEvent.objects.filter(verb="report_to_whistle", actor=personas.handler).count() == 1

    before = db_state()
    again = post(handler, url, {"organization": city.unit.pk})
    assert again.status_code == 409
    assert "reported on site at" in again.json()["detail"]
    unknown = post(handler, url, {"organization": MISSING})
    assert unknown.json() == {
        "detail": "Choose a department or unit this whistle summons.",
        "field": "organization",
    }
    not_theirs = post(handler, url, {"organization": city.sibling_unit.pk})
    assert not_theirs.status_code == 403
    assert db_state() == before


def test_closing_and_scoring_through_the_api(
    open_whistle: Whistle, city: City, personas: Personas, catalogue: Catalogue, street: Client
) -> None:
    base = f"/api/v1/whistles/{open_whistle.pk}"
    before = db_state()
    early = post(street, f"{base}/score", {"organization": city.unit.pk, "score": 80})
    assert early.status_code == 409
    assert early.json()["detail"] == "Close the whistle before scoring the parties it summoned."
    assert db_state() == before

    closed = post(street, f"{base}/close", {"note": "已解决"})
    assert closed.status_code == 200, closed.content
    assert (closed.json()["status"], closed.json()["closing_note"]) == ("closed", "已解决")
    assert post(street, f"{base}/close", {}).status_code == 409

    before = db_state()
    too_high = post(street, f"{base}/score", {"organization": city.unit.pk, "score": 101})
    assert too_high.status_code == 400
    assert too_high.json()["detail"] == "Give a score from 0 to 100."
    assert db_state() == before

    scored = post(
        street, f"{base}/score", {"organization": city.unit.pk, "score": 85, "comment": "及时"}
    )
    assert scored.status_code == 200, scored.content
    row = next(s for s in scored.json()["summonses"] if s["organization_id"] == city.unit.pk)
    assert (row["score"], row["score_comment"]) == (85, "及时")
    assert WhistleSummons.objects.get(whistle=open_whistle, organization=city.unit).score == 85
    again = post(street, f"{base}/score", {"organization": city.unit.pk, "score": 90})
    assert again.status_code == 409
    assert timezone.now() > open_whistle.report_due_at

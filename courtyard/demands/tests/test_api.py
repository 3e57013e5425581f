"""The demands API (/api/v1/demands …, /api/v1/service-categories): shapes, filters, cursor
pages, idempotent intake, every step with its exact result, errors a person can read, the
requester's name and phone only for those who handle the demand, and fixed query counts."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client
from django.utils import timezone

from conftest import City, Personas
from courtyard.core.models import AuditEvent
from courtyard.demands import actions
from courtyard.demands.models import Demand, ServiceCategory
from courtyard.demands.tests.conftest import Catalogue
from courtyard.people.actions import issue_token
from courtyard.people.models import User

pytestmark = pytest.mark.django_db

MISSING = 999_999
NOT_FOUND = {"detail": "Not found."}
NOT_ALLOWED = {"detail": "You may not take this step on this demand."}
SCRIPT = '<script>alert("x")</script><svg onload=alert(1)>'


def api_as(user: User | None) -> Client:
    """A client that authenticates with a Bearer token of `user` and reads English."""
    headers = {"Accept-Language": "en"}
    if user is not None:
        _token, raw = issue_token(user, by=user, name="test")
        headers["Authorization"] = f"Bearer {raw}"
    return Client(headers=headers)


def post(client: Client, url: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
    return client.post(
        url, json.dumps(body or {}), content_type="application/json", headers=headers
    )


def stamp(value: Any) -> Any:
    """A datetime as the API writes it."""
    return None if value is None else DjangoJSONEncoder().default(value)


def raise_demand(city: City, personas: Personas, catalogue: Catalogue, **kw: Any) -> Demand:
    fields: dict[str, Any] = {
        "by": personas.resident,
        "channel": "web",
        "place": city.courtyard,
        "category": catalogue.streetlight,
        "description": "胡同口路灯不亮三天了",
        "requester": personas.resident,
    }
    fields.update(kw)
    return actions.submit_demand(**fields)


def dispatched(city: City, personas: Personas, catalogue: Catalogue, **kw: Any) -> Demand:
    demand = raise_demand(city, personas, catalogue, **kw)
    return actions.dispatch_demand(demand, by=personas.here)


def replied(city: City, personas: Personas, catalogue: Catalogue) -> Demand:
    demand = dispatched(city, personas, catalogue)
    demand = actions.sign_demand(demand, by=personas.handler)
    demand = actions.contact_requester(demand, by=personas.handler)
    return actions.reply_demand(demand, by=personas.handler, reply="已更换灯泡")


def traces() -> tuple[int, int]:
    return Demand.objects.count(), AuditEvent.objects.filter(verb="submit_demand").count()


# ── The catalogue ─────────────────────────────────────────────────────────────────────────


def test_the_catalogue_is_public_and_lists_active_categories_by_code(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    catalogue.water.attributes = [{"code": "floor", "datatype": "number", "required": True}]
    catalogue.water.save()
    ServiceCategory.objects.create(service_code="old", name="旧类别", is_active=False)

    body = api_as(None).get("/api/v1/service-categories").json()

    assert body == {
        "items": [
            {
                "service_code": "infra",
                "name": "市政设施",
                "name_en": "Public works",
                "parent": None,
                "description": "",
                "keywords": "",
                "feedback_class": "general",
                "attributes": [],
            },
            {
                "service_code": "streetlight",
                "name": "路灯不亮",
                "name_en": "Street light out",
                "parent": "infra",
                "description": "",
                "keywords": "",
                "feedback_class": "general",
                "attributes": [],
            },
            {
                "service_code": "water-outage",
                "name": "停水",
                "name_en": "No water",
                "parent": None,
                "description": "",
                "keywords": "",
                "feedback_class": "utilities",
                "attributes": [{"code": "floor", "datatype": "number", "required": True}],
            },
        ],
        "next_cursor": None,
    }


def test_the_catalogue_pages_with_a_cursor(catalogue: Catalogue) -> None:
    client = api_as(None)
    first = client.get("/api/v1/service-categories?limit=2").json()
    second = client.get(f"/api/v1/service-categories?limit=2&cursor={first['next_cursor']}").json()

    assert [c["service_code"] for c in first["items"]] == ["infra", "streetlight"]
    assert [c["service_code"] for c in second["items"]] == ["water-outage"]
    assert second["next_cursor"] is None


# ── Raising a demand ──────────────────────────────────────────────────────────────────────


def test_a_resident_raises_a_demand_and_gets_201_with_the_demand(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    response = post(
        api_as(personas.resident),
        "/api/v1/demands",
        {
            "category": "streetlight",
            "place": city.courtyard.pk,
            "description": "胡同口路灯不亮三天了",
            "address": "草厂三条东口",
            "lat": 39.894321,
            "long": 116.402512,
        },
    )

    assert response.status_code == 201
    assert response["Content-Type"] == "application/json; charset=utf-8"
    demand = Demand.objects.get()
    assert response.json() == {
        "id": demand.pk,
        "status": "submitted",
        "channel": "api",
        "category": "streetlight",
        "category_name": "Street light out",
        "place_id": city.courtyard.pk,
        "place_name": "No. 12, Caochang 3rd Lane",
        "public_summary": "路灯不亮 · 草厂三条12号院",
        "description": "胡同口路灯不亮三天了",
        "attributes": {},
        "address": "草厂三条东口",
        "lat": 39.894321,
        "long": 116.402512,
        "assignee_id": None,
        "assignee_name": None,
        "primary_id": None,
        "answer": "",
        "decline_reason": "",
        "reply": "",
        "resolved": None,
        "satisfaction": None,
        "evaluation_comment": "",
        "times_dispatched": 0,
        "times_reopened": 0,
        "is_overdue": False,
        "submitted_at": stamp(demand.submitted_at),
        "accepted_at": None,
        "dispatched_at": None,
        "signed_at": None,
        "contacted_at": None,
        "replied_at": None,
        "evaluated_at": None,
        "closed_at": None,
        "sign_due_at": None,
        "response_due_at": None,
        "feedback_due_at": None,
        "return_until": None,
        "due_at": None,
        "overdue_since": None,
        "escalation_level": 0,
        "extension_requested_until": None,
        "extension_reason": "",
        # The resident handles nothing: not even their own name comes back.
        "requester_name": None,
        "requester_phone": None,
    }
    assert "\\u" not in response.content.decode()  # Chinese stays readable
    assert (demand.requester, demand.channel, demand.recorded_by) == (
        personas.resident,
        "api",
        personas.resident,
    )
    assert (demand.requester_name, demand.requester_phone) == ("王秀兰", "13800138000")
    assert AuditEvent.objects.filter(
        verb="submit_demand", actor=personas.resident, target_id=str(demand.pk)
    ).exists()


def test_a_retry_with_the_same_idempotency_key_header_returns_the_first_demand_with_200(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    client = api_as(personas.resident)
    body = {"category": "streetlight", "place": city.courtyard.pk, "description": "路灯不亮"}

    first = post(client, "/api/v1/demands", body, **{"Idempotency-Key": "a1b2c3"})
    retry = post(
        client,
        "/api/v1/demands",
        body | {"description": "又发了一次"},
        **{"Idempotency-Key": "a1b2c3"},
    )

    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json() == first.json()
    assert traces() == (1, 1)


def test_a_retry_with_the_same_idempotency_key_field_creates_nothing_new(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    client = api_as(personas.resident)
    body = {
        "category": "streetlight",
        "place": city.courtyard.pk,
        "description": "路灯不亮",
        "idempotency_key": "retry-me",
    }

    codes = [post(client, "/api/v1/demands", body).status_code for _ in range(3)]

    assert codes == [201, 200, 200]
    assert traces() == (1, 1)


def test_the_same_key_from_another_account_is_another_demand(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    body = {"category": "streetlight", "place": city.courtyard.pk, "description": "路灯不亮"}
    mine = post(api_as(personas.resident), "/api/v1/demands", body, **{"Idempotency-Key": "k"})
    theirs = post(api_as(personas.stranger), "/api/v1/demands", body, **{"Idempotency-Key": "k"})

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert Demand.objects.get(pk=theirs.json()["id"]).requester == personas.stranger


def test_staff_record_a_phone_demand_on_behalf_of_a_caller(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    response = post(
        api_as(personas.here),
        "/api/v1/demands",
        {
            "category": "water-outage",
            "place": city.community.pk,
            "description": "整栋楼停水",
            "channel": "phone",
            "requester_name": "王先生",
            "requester_phone": "13900000000",
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["channel"], body["requester_name"], body["requester_phone"]) == (
        "phone",
        "王先生",
        "13900000000",
    )
    demand = Demand.objects.get()
    assert (demand.requester, demand.recorded_by) == (None, personas.here)


@pytest.mark.parametrize("persona", ["resident", "sibling", "handler", "stranger"])
def test_only_staff_of_the_place_record_on_someones_behalf(
    persona: str, city: City, personas: Personas, catalogue: Catalogue
) -> None:
    response = post(
        api_as(getattr(personas, persona)),
        "/api/v1/demands",
        {
            "category": "streetlight",
            "place": city.courtyard.pk,
            "description": "路灯不亮",
            "channel": "walk_in",
            "requester_name": "王先生",
        },
    )

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only staff of this place record demands on someone's behalf."
    }
    assert traces() == (0, 0)


def test_a_requester_name_without_an_on_behalf_channel_is_refused(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    response = post(
        api_as(personas.here),
        "/api/v1/demands",
        {
            "category": "streetlight",
            "place": city.courtyard.pk,
            "description": "路灯不亮",
            "requester_phone": "13900000000",
        },
    )

    assert response.status_code == 400
    assert response.json()["field"] == "requester_name"
    assert traces() == (0, 0)


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"category": "no-such-code"}, 400, "category"),
        ({"category": "inactive"}, 400, "category"),
        ({"place": MISSING}, 400, "place"),
        ({"description": "   "}, 400, "description"),
        ({"description": "长" * 100_000}, 400, "description"),
        ({"lat": 91.0, "long": 116.4}, 400, "lat"),
        ({"long": -180.5}, 400, "long"),
        ({"address": "地" * 301}, 400, "address"),
        ({"category": "water-outage"}, 400, "attribute[floor]"),
        ({"channel": "hotline"}, 422, None),
        ({"place": "草厂"}, 422, None),
        ({"description": None}, 422, None),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_stores_nothing(
    change: dict[str, Any],
    status: int,
    field: str | None,
    city: City,
    personas: Personas,
    catalogue: Catalogue,
) -> None:
    ServiceCategory.objects.create(service_code="inactive", name="停用", is_active=False)
    catalogue.water.attributes = [
        {"code": "floor", "datatype": "number", "required": True, "description": "楼层"}
    ]
    catalogue.water.save()
    body = {"category": "streetlight", "place": city.courtyard.pk, "description": "路灯不亮"}

    response = post(api_as(personas.resident), "/api/v1/demands", body | change)

    assert response.status_code == status, response.content
    assert response.json()["detail"]
    assert response.json().get("field") == field
    assert traces() == (0, 0)


def test_a_nul_character_in_a_text_is_refused_with_400(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    body = {"category": "streetlight", "place": city.courtyard.pk, "description": "路灯\x00不亮"}

    response = post(api_as(personas.resident), "/api/v1/demands", body)

    assert (response.status_code, response.json().get("field")) == (400, "description")
    assert traces() == (0, 0)


def test_anonymous_callers_neither_list_nor_raise(city: City, catalogue: Catalogue) -> None:
    client = api_as(None)
    body = {"category": "streetlight", "place": city.courtyard.pk, "description": "路灯不亮"}

    assert client.get("/api/v1/demands").status_code == 401
    response = post(client, "/api/v1/demands", body)

    assert response.status_code == 401
    assert response.json() == {"detail": "Log in, or send Authorization: Bearer <token>."}
    assert traces() == (0, 0)


def test_script_in_every_text_comes_back_as_plain_json(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    response = post(
        api_as(personas.here),
        "/api/v1/demands",
        {
            "category": "streetlight",
            "place": city.courtyard.pk,
            "description": SCRIPT,
            "address": SCRIPT,
            "channel": "phone",
            "requester_name": "<svg onload=x>",
        },
    )

    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = json.loads(response.content)
    assert (body["description"], body["address"], body["requester_name"]) == (
        SCRIPT,
        SCRIPT,
        "<svg onload=x>",
    )
    listed = api_as(personas.here).get("/api/v1/demands")
    assert listed["Content-Type"] == "application/json; charset=utf-8"
    assert listed.json()["items"][0]["description"] == SCRIPT


# ── Reading ───────────────────────────────────────────────────────────────────────────────


def test_each_persona_lists_the_demands_it_may_see_newest_first(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    mine = raise_demand(city, personas, catalogue)
    sent = dispatched(city, personas, catalogue)
    next_door = raise_demand(
        city,
        personas,
        catalogue,
        by=personas.sibling,
        channel="phone",
        place=city.sibling,
        requester=None,
        requester_name="赵先生",
    )

    def ids(user: User) -> list[int]:
        return [item["id"] for item in api_as(user).get("/api/v1/demands").json()["items"]]

    assert ids(personas.resident) == [sent.pk, mine.pk]
    assert ids(personas.here) == [sent.pk, mine.pk]
    assert ids(personas.above) == [next_door.pk, sent.pk, mine.pk]
    assert ids(personas.sibling) == [next_door.pk]
    assert ids(personas.handler) == [sent.pk]
    assert ids(personas.stranger) == []


def test_broad_scopes_list_the_same_demands_as_their_visible_set_newest_first(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    """A district or the city is said as a prefix (no index) for the newest-first list
    (`visible_to(newest_first=True)`): the same rows as the range, page after page."""
    from courtyard.people.actions import assign_role
    from courtyard.people.models import RoleKind

    made = [raise_demand(city, personas, catalogue) for _ in range(3)]
    far = raise_demand(
        city,
        personas,
        catalogue,
        by=None,
        channel="hotline",
        place=city.far_community,
        requester=None,
        requester_name="孙女士",
    )
    district = User.objects.create(username="district-officer")
    assign_role(district, by=None, kind=RoleKind.DISTRICT_OFFICER, place=city.district)
    assign_role(district, by=None, kind=RoleKind.UNIT_HANDLER, organization=city.unit)
    admin = User.objects.create(username="city-admin")
    assign_role(admin, by=None, kind=RoleKind.CITY_ADMIN, place=city.city)

    def walk(user: User) -> list[int]:
        client, seen, cursor = api_as(user), [], ""
        while True:
            page = client.get(f"/api/v1/demands?limit=2{cursor}").json()
            seen += [item["id"] for item in page["items"]]
            if not page["next_cursor"]:
                return seen
            cursor = f"&cursor={page['next_cursor']}"

    newest_first = sorted((d.pk for d in made), reverse=True)
    assert walk(district) == newest_first
    assert walk(admin) == [far.pk, *newest_first]
    for user in (district, admin):
        wide = Demand.objects.visible_to(user, newest_first=True)
        assert set(wide.values_list("pk", flat=True)) == set(
            Demand.objects.visible_to(user).values_list("pk", flat=True)
        )


def test_the_requester_appears_in_the_list_only_for_those_who_handle_it(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    demand = dispatched(city, personas, catalogue)

    def requester(user: User) -> tuple[str | None, str | None]:
        item = api_as(user).get("/api/v1/demands").json()["items"][0]
        assert item["id"] == demand.pk
        return item["requester_name"], item["requester_phone"]

    assert requester(personas.here) == ("王秀兰", "13800138000")
    assert requester(personas.above) == ("王秀兰", "13800138000")
    assert requester(personas.handler) == ("王秀兰", "13800138000")
    assert requester(personas.resident) == (None, None)


@pytest.mark.parametrize(
    ("persona", "status", "requester"),
    [
        ("here", 200, "王秀兰"),
        ("above", 200, "王秀兰"),
        ("handler", 200, "王秀兰"),
        ("resident", 200, None),
        ("sibling", 404, None),
        ("stranger", 404, None),
        ("anonymous", 404, None),
    ],
)
def test_one_demand_shows_the_requester_only_to_those_who_handle_it(
    persona: str,
    status: int,
    requester: str | None,
    city: City,
    personas: Personas,
    catalogue: Catalogue,
) -> None:
    demand = dispatched(city, personas, catalogue)
    client = api_as(None if persona == "anonymous" else getattr(personas, persona))

    response = client.get(f"/api/v1/demands/{demand.pk}")

    assert response.status_code == status
    if status == 404:
        assert response.json() == NOT_FOUND == client.get(f"/api/v1/demands/{MISSING}").json()
        assert "13800138000" not in response.content.decode()
    else:
        body = response.json()
        assert (body["requester_name"], body["requester_phone"]) == (
            requester,
            "13800138000" if requester else None,
        )
        assert (body["status"], body["assignee_id"], body["assignee_name"]) == (
            "dispatched",
            catalogue.department.pk,
            "Dongcheng Urban Management",
        )


def test_the_list_filters_by_status_category_place_assignee_and_overdue(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    long_ago = timezone.now() - timedelta(days=30)
    late = actions.dispatch_demand(
        raise_demand(city, personas, catalogue), by=personas.here, now=long_ago
    )
    on_time = dispatched(city, personas, catalogue)
    water = raise_demand(city, personas, catalogue, category=catalogue.water, place=city.community)
    closed = actions.decline_demand(
        raise_demand(city, personas, catalogue), by=personas.here, reason="属于法院"
    )
    # Past its deadline, but no longer open: never overdue.
    Demand.objects.filter(pk=closed.pk).update(due_at=long_ago)
    client = api_as(personas.above)

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/demands?{query}")
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids("status=dispatched") == [on_time.pk, late.pk]
    assert ids("status=declined") == [closed.pk]
    assert ids("category=water-outage") == [water.pk]
    assert ids(f"place={city.courtyard.pk}") == [closed.pk, on_time.pk, late.pk]
    assert ids(f"place={city.sibling.pk}") == []
    assert ids(f"assignee={catalogue.department.pk}") == [on_time.pk, late.pk]
    assert ids("overdue=true") == [late.pk]
    assert ids("overdue=false") == [closed.pk, water.pk, on_time.pk]
    assert ids("status=dispatched&overdue=false") == [on_time.pk]
    items = client.get("/api/v1/demands?overdue=true").json()["items"]
    assert items[0]["is_overdue"] is True


def test_unknown_filter_values_answer_404_and_other_parameters_are_ignored(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    demand = raise_demand(city, personas, catalogue)
    client = api_as(personas.here)

    assert client.get("/api/v1/demands?category=nope").json() == NOT_FOUND
    assert client.get(f"/api/v1/demands?place={MISSING}").status_code == 404
    assert client.get("/api/v1/demands?status=lost").status_code == 422
    assert client.get("/api/v1/demands?limit=0").status_code == 422
    assert client.get("/api/v1/demands?limit=201").status_code == 422
    # Not whitelisted: never reach the ORM.
    for query in (
        "requester_phone=1",
        "requester__username=resident",
        "order_by=requester_phone",
        "description__contains=灯",
    ):
        body = client.get(f"/api/v1/demands?{query}").json()
        assert [item["id"] for item in body["items"]] == [demand.pk], query


def test_the_list_pages_newest_first_with_a_cursor(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    made = [raise_demand(city, personas, catalogue).pk for _ in range(5)]
    client = api_as(personas.here)

    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/demands?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url).json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert (seen, pages) == (sorted(made, reverse=True), 3)
    broken = client.get("/api/v1/demands?cursor=not-a-cursor")
    assert broken.status_code == 400
    assert broken.json() == {
        "detail": "This page link is broken or out of date. Start again from the first page."
    }


# ── Steps ─────────────────────────────────────────────────────────────────────────────────


def test_triage_steps_through_the_api(city: City, personas: Personas, catalogue: Catalogue) -> None:
    client = api_as(personas.here)
    a, b, c, d = (raise_demand(city, personas, catalogue) for _ in range(4))

    accepted = post(client, f"/api/v1/demands/{a.pk}/accept").json()
    answered = post(client, f"/api/v1/demands/{b.pk}/answer", {"answer": "周一至周五开放"}).json()
    declined = post(client, f"/api/v1/demands/{c.pk}/decline", {"reason": "属于法院"}).json()
    merged = post(client, f"/api/v1/demands/{d.pk}/merge", {"primary": a.pk}).json()

    assert (accepted["status"], accepted["accepted_at"] is not None) == ("accepted", True)
    assert (answered["status"], answered["answer"]) == ("answered", "周一至周五开放")
    assert (declined["status"], declined["decline_reason"]) == ("declined", "属于法院")
    assert (merged["status"], merged["primary_id"]) == ("merged", a.pk)
    assert accepted["requester_name"] == "王秀兰"  # the worker handles it


def test_dispatch_follows_the_table_or_the_unit_chosen(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    client = api_as(personas.here)
    auto, by_hand = raise_demand(city, personas, catalogue), raise_demand(city, personas, catalogue)

    first = post(client, f"/api/v1/demands/{auto.pk}/dispatch").json()
    second = post(
        client, f"/api/v1/demands/{by_hand.pk}/dispatch", {"organization": city.unit.pk}
    ).json()

    assert (first["status"], first["assignee_id"]) == ("dispatched", catalogue.department.pk)
    assert (second["status"], second["assignee_id"]) == ("dispatched", city.unit.pk)
    auto.refresh_from_db()
    assert first["feedback_due_at"] == stamp(auto.dispatched_at + timedelta(days=7))
    assert first["sign_due_at"] == stamp(auto.dispatched_at + timedelta(hours=2))
    assert first["due_at"] == first["sign_due_at"]
    assert first["times_dispatched"] == 1


def test_merge_and_dispatch_refuse_targets_that_do_not_exist_or_are_hidden(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    demand = raise_demand(city, personas, catalogue)
    hidden = raise_demand(
        city,
        personas,
        catalogue,
        by=personas.sibling,
        channel="phone",
        place=city.sibling,
        requester=None,
    )
    client = api_as(personas.here)

    for primary in (hidden.pk, MISSING):
        response = post(client, f"/api/v1/demands/{demand.pk}/merge", {"primary": primary})
        assert response.status_code == 400
        assert response.json() == {
            "detail": "There is no such demand to merge into.",
            "field": "primary",
        }
    response = post(client, f"/api/v1/demands/{demand.pk}/dispatch", {"organization": MISSING})
    assert response.json() == {"detail": "There is no such unit.", "field": "organization"}
    demand.refresh_from_db()
    assert (demand.status, demand.primary_id, demand.assignee_id) == ("submitted", None, None)


def test_the_unit_signs_contacts_asks_for_time_and_replies(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    demand = dispatched(city, personas, catalogue)
    unit, street = api_as(personas.handler), api_as(personas.above)
    url = f"/api/v1/demands/{demand.pk}"

    signed = post(unit, f"{url}/sign").json()
    contacted = post(unit, f"{url}/contact", {"note": "电话联系"}).json()
    until = demand.feedback_due_at + timedelta(days=3)
    asked = post(
        unit,
        f"{url}/extension",
        {"until": timezone.localtime(until).isoformat(), "reason": "需采购灯具"},
    )
    granted = post(street, f"{url}/extension/decision", {"approve": True}).json()
    reply = post(unit, f"{url}/reply", {"reply": "已更换灯泡"}).json()

    assert (signed["status"], contacted["status"]) == ("signed", "contacted")
    assert asked.status_code == 200
    assert (asked.json()["extension_requested_until"], asked.json()["extension_reason"]) == (
        stamp(until),
        "需采购灯具",
    )
    assert (granted["feedback_due_at"], granted["extension_requested_until"]) == (
        stamp(until),
        None,
    )
    assert (reply["status"], reply["reply"], reply["due_at"]) == ("replied", "已更换灯泡", None)


def test_the_street_refuses_an_extension(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    demand = actions.sign_demand(dispatched(city, personas, catalogue), by=personas.handler)
    due = demand.feedback_due_at
    actions.request_extension(
        demand, by=personas.handler, until=due + timedelta(days=1), reason="需采购"
    )

    body = post(
        api_as(personas.above),
        f"/api/v1/demands/{demand.pk}/extension/decision",
        {"approve": False},
    ).json()

    assert (body["feedback_due_at"], body["extension_requested_until"]) == (stamp(due), None)


def test_a_unit_returns_a_misrouted_order(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    demand = dispatched(city, personas, catalogue)

    body = post(
        api_as(personas.handler), f"/api/v1/demands/{demand.pk}/return", {"reason": "不归我们管"}
    ).json()

    assert (body["status"], body["assignee_id"], body["due_at"]) == ("accepted", None, None)


def test_the_requester_rates_and_reopens_and_staff_close(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    rated, reopened, closed = (replied(city, personas, catalogue) for _ in range(3))
    resident = api_as(personas.resident)

    evaluation = post(
        resident,
        f"/api/v1/demands/{rated.pk}/evaluate",
        {"resolved": True, "satisfaction": "basic", "comment": "还行"},
    ).json()
    again = post(resident, f"/api/v1/demands/{reopened.pk}/reopen", {"reason": "又坏了"}).json()
    shut = post(api_as(personas.here), f"/api/v1/demands/{closed.pk}/close").json()

    assert (
        evaluation["status"],
        evaluation["resolved"],
        evaluation["satisfaction"],
        evaluation["evaluation_comment"],
    ) == ("closed", True, "basic", "还行")
    assert (again["status"], again["times_reopened"], again["assignee_id"]) == ("accepted", 1, None)
    assert (shut["status"], shut["resolved"]) == ("closed", None)


def test_an_illegal_move_is_a_409_that_changes_nothing(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    demand = actions.accept_demand(raise_demand(city, personas, catalogue), by=personas.here)
    client = api_as(personas.here)
    events = AuditEvent.objects.count()

    response = post(client, f"/api/v1/demands/{demand.pk}/accept")

    assert response.status_code == 409
    assert response.json() == {"detail": "This demand is accepted: that step is not possible now."}
    assert AuditEvent.objects.count() == events
    demand.refresh_from_db()
    assert demand.status == "accepted"


def test_a_step_without_its_text_is_a_400_that_changes_nothing(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    demand = raise_demand(city, personas, catalogue)

    response = post(api_as(personas.here), f"/api/v1/demands/{demand.pk}/decline", {"reason": " "})

    assert (response.status_code, response.json()) == (
        400,
        {"detail": "This cannot be empty.", "field": "reason"},
    )
    demand.refresh_from_db()
    assert demand.status == "submitted"


def test_a_visible_demand_refuses_a_step_the_caller_may_not_take_with_403(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    demand = raise_demand(city, personas, catalogue)

    response = post(api_as(personas.resident), f"/api/v1/demands/{demand.pk}/accept")

    assert (response.status_code, response.json()) == (403, NOT_ALLOWED)
    demand.refresh_from_db()
    assert demand.status == "submitted"


# ── The OpenAPI document ──────────────────────────────────────────────────────────────────


def test_every_demand_operation_declares_its_error_codes() -> None:
    from config.api import api

    paths = api.get_openapi_schema()["paths"]
    declared = {
        (path, method): set(operation["responses"])
        for path, item in paths.items()
        if path.startswith(("/api/v1/demands", "/api/v1/service-categories"))
        for method, operation in item.items()
    }
    step = {200, 400, 401, 403, 404, 409, 422}
    assert declared[("/api/v1/demands", "get")] == {200, 400, 401, 404, 422}
    assert declared[("/api/v1/demands", "post")] == {200, 201, 400, 401, 403, 409, 422}
    assert declared[("/api/v1/demands/{demand_id}", "get")] == {200, 401, 404}
    assert declared[("/api/v1/service-categories", "get")] == {200, 400, 401, 422}
    steps = {key: codes for key, codes in declared.items() if key[0].count("/") > 4}
    assert len(steps) == 14
    assert all(codes == step for codes in steps.values()), steps


# ── Query counts: the same at two sizes ───────────────────────────────────────────────────

GROWTH = 30


def grow(city: City, personas: Personas, catalogue: Catalogue) -> None:
    for i in range(GROWTH):
        demand = raise_demand(city, personas, catalogue, description=f"第{i}件")
        if i % 2:
            actions.dispatch_demand(demand, by=personas.here)


@pytest.mark.parametrize("persona", ["here", "handler", "resident"])
def test_the_list_costs_the_same_at_two_sizes(
    persona: str,
    city: City,
    personas: Personas,
    catalogue: Catalogue,
    django_assert_num_queries: Any,
) -> None:
    dispatched(city, personas, catalogue)
    raise_demand(city, personas, catalogue)
    client = api_as(getattr(personas, persona))
    client.get("/api/v1/demands")  # the token's first use stamps last_used_at

    # token + user, staff scope, the caller's units, the page's ids, their rows, whose
    # requester the caller may see
    with django_assert_num_queries(6):
        small = client.get("/api/v1/demands?limit=50")
    grow(city, personas, catalogue)
    with django_assert_num_queries(6):
        large = client.get("/api/v1/demands?limit=50")

    assert small.status_code == large.status_code == 200
    assert len(large.json()["items"]) > len(small.json()["items"]) >= 1


def test_one_demand_costs_the_same_at_two_sizes(
    city: City, personas: Personas, catalogue: Catalogue, django_assert_num_queries: Any
) -> None:
    demand = dispatched(city, personas, catalogue)
    client = api_as(personas.handler)
    client.get("/api/v1/demands")

    # token + user, staff scope, the demand, the handler's units (see_requester)
    with django_assert_num_queries(4):
        client.get(f"/api/v1/demands/{demand.pk}")
    grow(city, personas, catalogue)
    with django_assert_num_queries(4):
        response = client.get(f"/api/v1/demands/{demand.pk}")
    assert response.json()["requester_name"] == "王秀兰"

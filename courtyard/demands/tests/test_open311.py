"""Open311 GeoReport v2 at /open311/v2/: every resource in both formats, the same data in
JSON and XML, every error in the standard's list format with the right status, filters,
the 90-day window and the 1,000 cap, the key check, idempotent retries, no personal data
in any answer, escaped script, W3C datetimes, fixed query counts and `create_api_key`."""

from __future__ import annotations

import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import URLPattern, get_resolver, resolve
from django.utils import timezone

from conftest import City, Personas
from courtyard.core.models import AuditEvent
from courtyard.demands import actions
from courtyard.demands.models import Demand, Open311Client, ServiceCategory
from courtyard.demands.open311.keys import create_client
from courtyard.demands.tests.conftest import Catalogue

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
FORMATS = ("json", "xml")
SCRIPT = '<script>alert("x")</script><svg onload=alert(1)>'
W3C = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")
ITEM_TAGS = {
    "service_requests": "request",
    "services": "service",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}


@pytest.fixture
def en() -> Client:
    """An anonymous client that reads English."""
    return Client(headers={"Accept-Language": "en"})


@pytest.fixture
def key(db: Any) -> str:
    _client, raw = create_client(by=None, name="12345 热线")
    return raw


# ── Reading both formats ──────────────────────────────────────────────────────────────────


def xml_value(element: ET.Element) -> Any:
    """An XML element as the JSON value it stands for (every leaf as text)."""
    if element.tag in ITEM_TAGS:
        return [xml_value(child) for child in element]
    if len(element):
        return {child.tag: xml_value(child) for child in element}
    return element.text


def as_text(value: Any) -> Any:
    """A JSON value with every leaf written as XML writes it."""
    if isinstance(value, dict):
        return {k: as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_text(v) for v in value]
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def both(client: Client, path: str, root: str, **kw: Any) -> tuple[int, Any]:
    """GET (or POST with data=…) `path` in both formats; check that they agree; return the
    status and the JSON value."""
    method = client.post if "data" in kw else client.get
    data = kw.pop("data", None)
    answers = {}
    for fmt in FORMATS:
        response = method(f"{BASE}/{path}.{fmt}" + kw.get("query", ""), data or {})
        content_type = "application/json" if fmt == "json" else "text/xml"
        assert response["Content-Type"] == f"{content_type}; charset=utf-8"
        answers[fmt] = response
    first, second = answers["json"], answers["xml"]
    assert first.status_code == second.status_code
    value = json.loads(first.content)
    text = second.content.decode()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    document = ET.fromstring(second.content)
    assert document.tag == root
    if "data" not in kw:
        assert xml_value(document) == as_text(value)
    return first.status_code, value


def error_of(status: int, description: str) -> list[dict[str, Any]]:
    return [{"code": status, "description": description}]


def local(value: Any) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds")


def raise_demand(city: City, personas: Personas, catalogue: Catalogue, **kw: Any) -> Demand:
    fields: dict[str, Any] = {
        "by": personas.resident,
        "channel": "web",
        "place": city.courtyard,
        "category": catalogue.streetlight,
        "description": "胡同口路灯不亮三天了，我是王秀兰，电话13800138000",
        "requester": personas.resident,
    }
    fields.update(kw)
    return actions.submit_demand(**fields)


def replied(
    city: City, personas: Personas, catalogue: Catalogue, reply: str = "已更换灯泡"
) -> Demand:
    demand = actions.dispatch_demand(raise_demand(city, personas, catalogue), by=personas.here)
    demand = actions.sign_demand(demand, by=personas.handler)
    demand = actions.contact_requester(demand, by=personas.handler)
    return actions.reply_demand(demand, by=personas.handler, reply=reply)


# ── Discovery and services ────────────────────────────────────────────────────────────────


def test_discovery_names_the_endpoint_and_its_formats(en: Client) -> None:
    status, value = both(en, "discovery", "discovery")

    assert status == 200
    assert value == {
        "changeset": "2026-11-26T00:00:00Z",
        "contact": "The operators of this Courtyard platform.",
        "key_service": "Ask the operators for a key: they create one with "
        "`courtyard create_api_key`.",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": "http://testserver/open311/v2",
                "changeset": "2026-11-26T00:00:00Z",
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def test_services_list_the_active_catalogue_in_the_readers_language(
    en: Client, catalogue: Catalogue
) -> None:
    catalogue.water.attributes = [{"code": "floor", "datatype": "number", "required": True}]
    catalogue.water.keywords = "水,停水"
    catalogue.water.save()
    ServiceCategory.objects.create(service_code="old", name="旧类别", is_active=False)

    status, value = both(en, "services", "services")

    assert status == 200
    assert value == [
        {
            "service_code": "infra",
            "service_name": "Public works",
            "description": "",
            "metadata": False,
            "type": "realtime",
            "keywords": "",
            "group": "",
        },
        {
            "service_code": "streetlight",
            "service_name": "Street light out",
            "description": "",
            "metadata": False,
            "type": "realtime",
            "keywords": "",
            "group": "Public works",
        },
        {
            "service_code": "water-outage",
            "service_name": "No water",
            "description": "",
            "metadata": True,
            "type": "realtime",
            "keywords": "水,停水",
            "group": "",
        },
    ]
    _status, chinese = both(Client(), "services", "services")
    assert [s["service_name"] for s in chinese] == ["市政设施", "路灯不亮", "停水"]


def test_a_service_definition_lists_its_attributes(en: Client, catalogue: Catalogue) -> None:
    catalogue.water.attributes = [
        {
            "code": "floor",
            "datatype": "number",
            "required": True,
            "description": "楼层",
            "description_en": "Floor",
        },
        {
            "code": "since",
            "datatype": "singlevaluelist",
            "description": "停了多久",
            "values": [
                {"key": "hours", "name": "几小时", "name_en": "Hours"},
                {"key": "days", "name": "几天"},
            ],
        },
    ]
    catalogue.water.save()

    status, value = both(en, "services/water-outage", "service_definition")

    assert status == 200
    assert value == {
        "service_code": "water-outage",
        "attributes": [
            {
                "variable": True,
                "code": "floor",
                "datatype": "number",
                "required": True,
                "datatype_description": "",
                "order": 1,
                "description": "Floor",
            },
            {
                "variable": True,
                "code": "since",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": "",
                "order": 2,
                "description": "停了多久",
                "values": [{"key": "hours", "name": "Hours"}, {"key": "days", "name": "几天"}],
            },
        ],
    }
    assert both(en, "services/streetlight", "service_definition")[1] == {
        "service_code": "streetlight",
        "attributes": [],
    }


@pytest.mark.parametrize("code", ["no-such-service", "old", "%3Cscript%3E"])
def test_an_unknown_or_retired_service_code_is_a_404(
    code: str, en: Client, catalogue: Catalogue
) -> None:
    ServiceCategory.objects.create(service_code="old", name="旧类别", is_active=False)

    status, value = both(en, f"services/{code}", "errors")

    assert (status, value) == (404, error_of(404, "There is no service with this service_code."))


# ── Requests: public fields only ──────────────────────────────────────────────────────────


def test_a_request_shows_public_fields_only(
    en: Client, city: City, personas: Personas, catalogue: Catalogue
) -> None:
    demand = replied(city, personas, catalogue)
    Demand.objects.filter(pk=demand.pk).update(
        address="草厂三条东口", latitude="39.894321", longitude="116.402512"
    )
    demand.refresh_from_db()

    status, value = both(en, f"requests/{demand.pk}", "service_requests")

    assert status == 200
    assert value == [
        {
            "service_request_id": demand.pk,
            "status": "open",  # replied: waiting for the requester's rating
            # A fixed sentence, never the unit's free text (it may quote the requester).
            "status_notes": "The responsible unit has replied.",
            "service_name": "Street light out",
            "service_code": "streetlight",
            "description": "路灯不亮 · 草厂三条12号院",
            "agency_responsible": "Dongcheng Urban Management",
            "service_notice": "",
            "requested_datetime": local(demand.submitted_at),
            "updated_datetime": local(demand.replied_at),
            "expected_datetime": local(demand.feedback_due_at),
            "address": "No. 12, Caochang 3rd Lane",  # the place, never the free-text address
            "address_id": "110101011010001",
            "zipcode": "",
            "lat": 39.894321,
            "long": 116.402512,
            "media_url": "",
        }
    ]


def test_a_new_request_without_an_address_shows_its_place(
    en: Client, city: City, personas: Personas, catalogue: Catalogue
) -> None:
    demand = raise_demand(city, personas, catalogue)

    value = both(en, f"requests/{demand.pk}", "service_requests")[1][0]

    assert (value["address"], value["agency_responsible"], value["status_notes"]) == (
        "No. 12, Caochang 3rd Lane",
        "",
        "",
    )
    assert (value["expected_datetime"], value["lat"], value["long"]) == (None, None, None)
    assert value["updated_datetime"] == value["requested_datetime"] == local(demand.submitted_at)


def test_every_status_maps_to_open_or_closed(
    en: Client, city: City, personas: Personas, catalogue: Catalogue
) -> None:
    by = personas.here

    def new() -> Demand:
        return raise_demand(city, personas, catalogue)

    submitted = new()
    accepted = actions.accept_demand(new(), by=by)
    dispatched = actions.dispatch_demand(new(), by=by)
    signed = actions.sign_demand(actions.dispatch_demand(new(), by=by), by=personas.handler)
    contacted = actions.contact_requester(
        actions.sign_demand(actions.dispatch_demand(new(), by=by), by=personas.handler),
        by=personas.handler,
    )
    waiting = replied(city, personas, catalogue)
    rated = actions.evaluate_demand(
        replied(city, personas, catalogue),
        by=personas.resident,
        resolved=True,
        satisfaction="satisfied",
    )
    answered = actions.answer_demand(new(), by=by, answer="周一开放")
    declined = actions.decline_demand(new(), by=by, reason="属法院")
    merged = actions.merge_demand(new(), by=by, primary=submitted)
    expected = {
        submitted.pk: "open",
        accepted.pk: "open",
        dispatched.pk: "open",
        signed.pk: "open",
        contacted.pk: "open",
        waiting.pk: "open",
        rated.pk: "closed",
        answered.pk: "closed",
        declined.pk: "closed",
        merged.pk: "closed",
    }

    listed = both(en, "requests", "service_requests")[1]

    assert {item["service_request_id"]: item["status"] for item in listed} == expected
    notes = {item["service_request_id"]: item["status_notes"] for item in listed}
    assert notes[merged.pk] == f"Merged into request {submitted.pk}."
    assert notes[rated.pk] == "Handled and closed."
    # An answer or a reason for declining is no public note.
    assert notes[answered.pk] == notes[declined.pk] == ""
    assert [item["service_request_id"] for item in listed] == sorted(expected, reverse=True)


def ids_of(client: Client, query: str) -> list[int]:
    status, value = both(client, "requests", "service_requests", query=query)
    assert status == 200, value
    return [item["service_request_id"] for item in value]


def test_requests_filter_by_id_code_status_and_dates(
    en: Client, city: City, personas: Personas, catalogue: Catalogue
) -> None:
    now = timezone.now()
    old = raise_demand(city, personas, catalogue, submitted_at=now - timedelta(days=100))
    light = raise_demand(city, personas, catalogue, submitted_at=now - timedelta(days=10))
    water = raise_demand(
        city, personas, catalogue, category=catalogue.water, submitted_at=now - timedelta(days=5)
    )
    done = actions.decline_demand(
        raise_demand(city, personas, catalogue, submitted_at=now - timedelta(days=1)),
        by=personas.here,
        reason="属法院",
    )

    assert ids_of(en, "") == [done.pk, water.pk, light.pk]  # the last 90 days
    assert ids_of(en, "?jurisdiction_id=beijing") == [done.pk, water.pk, light.pk]
    # A list of ids overrides every other parameter.
    assert ids_of(en, f"?service_request_id={old.pk},{water.pk}&status=closed") == [
        water.pk,
        old.pk,
    ]
    assert ids_of(en, f"?service_request_id= {light.pk} ,{999_999}") == [light.pk]
    assert ids_of(en, "?service_code=water-outage") == [water.pk]
    assert ids_of(en, "?service_code=water-outage,streetlight") == [done.pk, water.pk, light.pk]
    assert ids_of(en, "?status=open") == [water.pk, light.pk]
    assert ids_of(en, "?status=closed") == [done.pk]
    assert ids_of(en, "?status=open,closed") == [done.pk, water.pk, light.pk]
    start = (now - timedelta(days=120)).isoformat()
    end = (now - timedelta(days=50)).isoformat()
    assert ids_of(en, f"?start_date={quote(start)}&end_date={quote(end)}") == [old.pk]
    # One end given: the 90 days next to it.
    assert ids_of(en, f"?start_date={quote(start)}") == [old.pk]
    assert ids_of(en, f"?end_date={quote(end)}") == [old.pk]
    day = timezone.localtime(now - timedelta(days=7)).date().isoformat()
    assert ids_of(en, f"?start_date={day}") == [done.pk, water.pk]  # a plain date: midnight


def quote(value: str) -> str:
    return value.replace("+", "%2B")


@pytest.mark.parametrize(
    ("query", "status", "description"),
    [
        (
            "service_request_id=1,x",
            400,
            "service_request_id takes up to 1000 request ids separated by commas.",
        ),
        (
            "service_request_id=" + ",".join(["1"] * 1001),
            400,
            "service_request_id takes up to 1000 request ids separated by commas.",
        ),
        ("service_code=streetlight,nope", 404, "There is no service with this service_code."),
        ("status=pending", 400, "status is open or closed (or both, comma separated)."),
        (
            "start_date=yesterday",
            400,
            "start_date is not a W3C datetime such as 2026-05-01T09:30:00+08:00.",
        ),
        (
            "end_date=2026-13-01T00:00:00Z",
            400,
            "end_date is not a W3C datetime such as 2026-05-01T09:30:00+08:00.",
        ),
        (
            "start_date=2026-02-30",
            400,
            "start_date is not a W3C datetime such as 2026-05-01T09:30:00+08:00.",
        ),
        (
            "start_date=2026-05-01T00:00:00Z&end_date=2026-04-01T00:00:00Z",
            400,
            "end_date comes before start_date.",
        ),
        (
            "start_date=2026-01-01T00:00:00Z&end_date=2026-04-02T00:00:00Z",
            400,
            "start_date and end_date span at most 90 days.",
        ),
        ("start_date=9999-12-31T00:00:00Z", 400, "This date is out of range."),
        ("end_date=0001-01-01T00:00:00Z", 400, "This date is out of range."),
    ],
)
def test_bad_request_filters_are_refused_in_both_formats(
    query: str, status: int, description: str, en: Client, catalogue: Catalogue
) -> None:
    got = both(en, "requests", "errors", query=f"?{query}")

    assert got == (status, error_of(status, description))


def test_at_most_1000_requests_newest_first(
    en: Client, city: City, personas: Personas, catalogue: Catalogue
) -> None:
    template = raise_demand(city, personas, catalogue)
    fields = {
        f.attname: getattr(template, f.attname)
        for f in Demand._meta.concrete_fields
        if f.attname not in ("id", "idempotency_key", "external_id")
    }
    Demand.objects.bulk_create([Demand(**fields) for _ in range(1004)])

    listed = json.loads(en.get(f"{BASE}/requests.json").content)

    newest = list(Demand.objects.order_by("-id").values_list("pk", flat=True)[:1000])
    assert [item["service_request_id"] for item in listed] == newest


@pytest.mark.parametrize("request_id", ["999999", "abc", "1.5", "١"])
def test_an_unknown_request_is_a_404(request_id: str, en: Client, catalogue: Catalogue) -> None:
    got = both(en, f"requests/{request_id}", "errors")

    assert got == (404, error_of(404, "There is no request with this id."))


def test_a_token_is_the_request_id(
    en: Client, city: City, personas: Personas, catalogue: Catalogue
) -> None:
    demand = raise_demand(city, personas, catalogue)

    assert both(en, f"tokens/{demand.pk}", "service_requests") == (
        200,
        [{"service_request_id": demand.pk, "token": str(demand.pk)}],
    )
    for unknown in ("999999", "not-a-token"):
        assert both(en, f"tokens/{unknown}", "errors") == (
            404,
            error_of(404, "There is no request with this token."),
        )


# ── Posting a request ─────────────────────────────────────────────────────────────────────


def request_data(city: City, key: str, **change: str) -> dict[str, str]:
    data = {
        "api_key": key,
        "jurisdiction_id": "beijing",
        "service_code": "water-outage",
        "address_id": city.courtyard.code,
        "address_string": "草厂三条12号院3号楼",
        "lat": "39.894321",
        "long": "116.402512",
        "description": "整栋楼停水了",
        "attribute[floor]": "3",
        "first_name": "秀兰",
        "last_name": "王",
        "phone": "13800138000",
        "email": "wang@example.com",
        "device_id": "device-1",
        "account_id": "acct-1",
    }
    data.update(change)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_client_posts_a_request_and_gets_its_id(
    fmt: str, en: Client, city: City, catalogue: Catalogue, key: str
) -> None:
    catalogue.water.attributes = [{"code": "floor", "datatype": "number", "required": True}]
    catalogue.water.save()

    response = en.post(f"{BASE}/requests.{fmt}", request_data(city, key))

    assert response.status_code == 201
    demand = Demand.objects.get()
    answer = [{"service_request_id": demand.pk, "service_notice": "", "account_id": None}]
    if fmt == "json":
        assert json.loads(response.content) == answer
    else:
        assert xml_value(ET.fromstring(response.content)) == as_text(answer)
    assert (demand.channel, demand.place, demand.category, demand.status) == (
        "open311",
        city.courtyard,
        catalogue.water,
        "submitted",
    )
    assert (demand.requester_name, demand.requester_phone, demand.requester) == (
        "王秀兰",
        "13800138000",
        None,
    )
    assert (demand.description, demand.address, demand.attributes) == (
        "整栋楼停水了",
        "草厂三条12号院3号楼",
        {"floor": "3"},
    )
    assert (str(demand.latitude), str(demand.longitude)) == ("39.894321", "116.402512")
    assert demand.recorded_by is None
    event = AuditEvent.objects.get(verb="submit_demand")
    assert (event.actor, event.target_id, event.changes["channel"]) == (
        None,
        str(demand.pk),
        [None, "open311"],
    )


def test_western_names_keep_their_order(
    en: Client, city: City, catalogue: Catalogue, key: str
) -> None:
    en.post(
        f"{BASE}/requests.json", request_data(city, key, first_name="Ada", last_name="Lovelace")
    )

    assert Demand.objects.get().requester_name == "Ada Lovelace"


def test_a_request_without_a_map_point_or_contact_is_taken(
    en: Client, city: City, catalogue: Catalogue, key: str
) -> None:
    data = {"api_key": key, "service_code": "streetlight", "address_id": city.community.code}

    response = en.post(f"{BASE}/requests.json", data | {"description": "路灯不亮"})

    assert response.status_code == 201
    demand = Demand.objects.get()
    assert (demand.latitude, demand.address, demand.requester_name) == (None, "", "")


@pytest.mark.parametrize(
    ("change", "status", "description"),
    [
        ({"api_key": None}, 400, "api_key is required to post a request."),
        ({"api_key": "o311_guessed"}, 403, "This api_key is not valid."),
        ({"api_key": "revoked"}, 403, "This api_key is not valid."),
        ({"service_code": None}, 400, "service_code is required."),
        ({"service_code": "nope"}, 404, "There is no service with this service_code."),
        (
            {"address_id": None},
            400,
            "address_id (a place code) is required: requests are routed by place. "
            "lat, long and address_string are kept with the request as given.",
        ),
        ({"address_id": "999"}, 400, "address_id is not the code of a known place."),
        ({"long": None}, 400, "Give lat and long together."),
        ({"lat": "北纬39度"}, 400, "lat: Give the position as decimal degrees."),
        ({"long": "200"}, 400, "long: This latitude or longitude is out of range."),
        ({"description": None}, 400, "description: This cannot be empty."),
        (
            {"description": "长" * 100_000},
            400,
            "description: This is longer than 5000 characters.",
        ),
        ({"attribute[floor]": None}, 400, "attribute[floor]: Please answer: 楼层"),
        ({"phone": "1" * 21}, 400, "phone: This is longer than 20 characters."),
        (
            {"address_string": "地" * 301},
            400,
            "address_string: This is longer than 300 characters.",
        ),
        (
            {"last_name": "王" * 101},
            400,
            "first_name/last_name: This is longer than 100 characters.",
        ),
    ],
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_bad_post_is_refused_in_the_standards_error_format_and_stores_nothing(
    fmt: str,
    change: dict[str, str | None],
    status: int,
    description: str,
    en: Client,
    city: City,
    catalogue: Catalogue,
    key: str,
) -> None:
    catalogue.water.attributes = [{"code": "floor", "required": True, "description": "楼层"}]
    catalogue.water.save()
    if change.get("api_key") == "revoked":
        client, revoked = create_client(by=None, name="old client")
        Open311Client.objects.filter(pk=client.pk).update(revoked_at=timezone.now())
        change = {"api_key": revoked}
    data: dict[str, Any] = request_data(city, key)
    for name, value in change.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    events = AuditEvent.objects.count()

    response = en.post(f"{BASE}/requests.{fmt}", data)

    assert response.status_code == status
    if fmt == "json":
        assert json.loads(response.content) == error_of(status, description)
    else:
        assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<errors>')
        assert xml_value(ET.fromstring(response.content)) == as_text(error_of(status, description))
    assert (Demand.objects.count(), AuditEvent.objects.count()) == (0, events)
    assert "13800138000" not in response.content.decode()


def test_a_missing_answer_is_named_in_the_readers_language(
    en: Client, city: City, catalogue: Catalogue, key: str
) -> None:
    catalogue.water.attributes = [
        {"code": "floor", "required": True, "description": "楼层", "description_en": "Floor"}
    ]
    catalogue.water.save()

    response = en.post(f"{BASE}/requests.json", request_data(city, key, **{"attribute[floor]": ""}))

    assert json.loads(response.content) == error_of(400, "attribute[floor]: Please answer: Floor")


def test_a_retry_with_the_same_idempotency_key_returns_the_first_request(
    en: Client, city: City, catalogue: Catalogue, key: str
) -> None:
    data = request_data(city, key, service_code="streetlight")
    headers = {"Idempotency-Key": "order-42"}

    first = en.post(f"{BASE}/requests.json", data, headers=headers)
    retry = en.post(f"{BASE}/requests.json", data, headers=headers)
    _other, other_key = create_client(by=None, name="another system")
    other = en.post(f"{BASE}/requests.json", data | {"api_key": other_key}, headers=headers)

    assert (first.status_code, retry.status_code, other.status_code) == (201, 200, 201)
    assert json.loads(retry.content) == json.loads(first.content)
    assert json.loads(other.content) != json.loads(first.content)
    assert Demand.objects.count() == 2


def test_posting_needs_a_key_not_a_csrf_token(city: City, catalogue: Catalogue, key: str) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(f"{BASE}/requests.json", request_data(city, key, service_code="infra"))

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("post", "services", "GET, HEAD"),
        ("post", "discovery", "GET, HEAD"),
        ("post", "services/streetlight", "GET, HEAD"),
        ("post", "requests/1", "GET, HEAD"),
        ("post", "tokens/1", "GET, HEAD"),
        ("put", "requests", "GET, HEAD, POST"),
        ("delete", "requests", "GET, HEAD, POST"),
    ],
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_other_methods_are_a_405_in_the_format_asked(
    fmt: str, method: str, path: str, allow: str, en: Client, catalogue: Catalogue
) -> None:
    response = getattr(en, method)(f"{BASE}/{path}.{fmt}")

    assert (response.status_code, response["Allow"]) == (405, allow)
    error = error_of(405, "This resource does not take this method.")
    if fmt == "json":
        assert json.loads(response.content) == error
    else:
        assert xml_value(ET.fromstring(response.content)) == as_text(error)


def test_an_unknown_format_is_no_resource(en: Client, catalogue: Catalogue) -> None:
    assert en.get(f"{BASE}/services.html").status_code == 404
    assert en.get(f"{BASE}/services").status_code == 404


# ── No personal data, no script ───────────────────────────────────────────────────────────


def test_no_requester_name_or_phone_ever_appears_in_an_open311_answer(
    city: City, personas: Personas, catalogue: Catalogue, key: str, client_for: Any
) -> None:
    secrets = ["王秀兰", "13800138000", "赵先生", "13911112222", "李四", "13700001111", "b@x.cn"]
    quoting = replied(
        city,
        personas,
        catalogue,
        reply="已联系王秀兰（13800138000），另一号码15012345678已更换灯泡",
    )
    Demand.objects.filter(pk=quoting.pk).update(address="王秀兰家门口 13800138000")
    phoned = raise_demand(
        city,
        personas,
        catalogue,
        by=personas.here,
        channel="phone",
        requester=None,
        requester_name="赵先生",
        requester_phone="13911112222",
        description="赵先生来电：13911112222",
    )
    closed = actions.close_demand(replied(city, personas, catalogue), by=personas.here)
    anonymous = Client()
    anonymous.post(
        f"{BASE}/requests.json",
        request_data(
            city, key, first_name="四", last_name="李", phone="13700001111", email="b@x.cn"
        ),
    )
    posted = Demand.objects.get(channel="open311")
    ids = [quoting.pk, phoned.pk, closed.pk, posted.pk]
    paths = [
        "discovery",
        "services",
        "services/streetlight",
        "requests",
        f"requests?service_request_id={','.join(map(str, ids))}",
        *(f"requests/{pk}" for pk in ids),
        *(f"tokens/{pk}" for pk in ids),
        "requests/999999",
    ]
    staff = client_for(personas.here)  # staff see the same public answer

    bodies = []
    for client in (anonymous, staff):
        for path in paths:
            for fmt in FORMATS:
                url = f"{BASE}/{path.replace('?', f'.{fmt}?', 1) if '?' in path else path + '.' + fmt}"
                response = client.get(url)
                assert response.status_code in (200, 404)
                bodies.append(response.content.decode())
    bodies.append(
        anonymous.post(
            f"{BASE}/requests.xml", request_data(city, key, service_code="infra")
        ).content.decode()
    )

    assert len(bodies) == 2 * len(paths) * 2 + 1
    for body in bodies:
        for secret in secrets:
            assert secret not in body
        assert "15012345678" not in body
    notes = json.loads(anonymous.get(f"{BASE}/requests/{quoting.pk}.json").content)[0]
    assert notes["status_notes"] == "承办单位已答复。"  # the anonymous client reads Chinese
    assert notes["address"] == quoting.place.name


def test_script_comes_back_as_plain_json_and_escaped_xml(
    city: City, personas: Personas, catalogue: Catalogue, key: str
) -> None:
    en = Client()
    en.post(
        f"{BASE}/requests.json",
        request_data(city, key, service_code="streetlight", address_string=SCRIPT,
                     description=SCRIPT),
    )  # fmt: skip
    demand = Demand.objects.get()
    demand = actions.dispatch_demand(demand, by=personas.here)
    demand = actions.sign_demand(demand, by=personas.handler)
    demand = actions.contact_requester(demand, by=personas.handler)
    actions.reply_demand(demand, by=personas.handler, reply=SCRIPT + "\x0b\x1fend")

    as_json = en.get(f"{BASE}/requests/{demand.pk}.json")
    as_xml = en.get(f"{BASE}/requests/{demand.pk}.xml")

    item = json.loads(as_json.content)[0]
    # Free text (address, reply, description) is never published: the payload cannot appear.
    assert SCRIPT not in as_json.content.decode()
    assert item["description"] == "路灯不亮 · 草厂三条12号院"  # never the raw description
    text = as_xml.content.decode()
    assert "<script>" not in text and "<svg" not in text
    parsed = ET.fromstring(as_xml.content).find("request")
    assert parsed is not None
    assert parsed.findtext("status_notes") == item["status_notes"]


def test_datetimes_are_w3c_with_an_offset(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    demand = replied(city, personas, catalogue)

    item = json.loads(Client().get(f"{BASE}/requests/{demand.pk}.json").content)[0]

    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert W3C.fullmatch(item[name]), item[name]
        assert item[name].endswith("+08:00")  # Asia/Shanghai


# ── Query counts: the same at two sizes ───────────────────────────────────────────────────


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_request_list_costs_one_query_at_two_sizes(
    fmt: str,
    city: City,
    personas: Personas,
    catalogue: Catalogue,
    django_assert_num_queries: Any,
) -> None:
    replied(city, personas, catalogue)
    client = Client()

    with django_assert_num_queries(1):
        small = client.get(f"{BASE}/requests.{fmt}")
    for _ in range(10):
        replied(city, personas, catalogue)
        raise_demand(city, personas, catalogue, category=catalogue.water)
    with django_assert_num_queries(1):
        large = client.get(f"{BASE}/requests.{fmt}")
    # service_code filter: one more, to know the codes
    with django_assert_num_queries(2):
        filtered = client.get(f"{BASE}/requests.{fmt}?service_code=streetlight")

    assert small.status_code == large.status_code == filtered.status_code == 200
    assert len(large.content) > len(small.content)


def test_one_request_costs_one_query(
    city: City, personas: Personas, catalogue: Catalogue, django_assert_num_queries: Any
) -> None:
    demand = replied(city, personas, catalogue)

    with django_assert_num_queries(1):
        Client().get(f"{BASE}/requests/{demand.pk}.xml")


# ── Keys ──────────────────────────────────────────────────────────────────────────────────


def test_create_api_key_prints_a_key_once_and_stores_only_its_hash(
    city: City, catalogue: Catalogue
) -> None:
    out, err = io.StringIO(), io.StringIO()

    call_command("create_api_key", "12345 hotline", stdout=out, stderr=err)

    raw = out.getvalue().strip()
    client = Open311Client.objects.get()
    assert raw.startswith("o311_") and len(raw) > 40
    assert (client.name, client.key_hash, client.prefix) == (
        "12345 hotline",
        hashlib.sha256(raw.encode()).hexdigest(),
        raw[:12],
    )
    assert raw not in err.getvalue()
    assert AuditEvent.objects.filter(verb="create_open311_client").count() == 1
    response = Client().post(f"{BASE}/requests.json", request_data(city, raw, service_code="infra"))
    assert response.status_code == 201


@pytest.mark.parametrize("name", ["", "   ", "名" * 101])
def test_create_api_key_refuses_a_bad_name(name: str, db: Any) -> None:
    with pytest.raises(CommandError):
        call_command("create_api_key", name, stdout=io.StringIO(), stderr=io.StringIO())

    assert Open311Client.objects.count() == 0


# ── Every Open311 URL pattern is exercised here ──────────────────────────────────────────

REACHED = [
    "discovery.json",
    "services.xml",
    "services/streetlight.json",
    "requests.json",
    "requests/1.xml",
    "tokens/1.json",
]


def test_every_open311_url_pattern_is_exercised() -> None:
    resolver = next(p for p in get_resolver().url_patterns if str(p.pattern) == "open311/v2/")
    names = {f"open311:{p.name}" for p in resolver.url_patterns if isinstance(p, URLPattern)}
    reached = {resolve(f"{BASE}/{path}").view_name for path in REACHED}

    assert names == reached

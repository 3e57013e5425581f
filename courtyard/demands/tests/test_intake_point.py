"""A demand's map point must lie in its place's bounding box — or the nearest ancestor's
(one query by path prefixes). The edges belong to the box; a point just outside is refused
with one sentence naming the place, and nothing is stored. The same check answers the
web form (400 on the latitude field) and Open311 (400 in its error format). Boxes are set
through `set_place_box` (whole, ordered, audited, idempotent); the demo districts get theirs."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from conftest import City, Personas
from courtyard.core.errors import BadInput
from courtyard.core.models import AuditEvent
from courtyard.demands import actions
from courtyard.demands.models import Demand
from courtyard.demands.open311.keys import create_client
from courtyard.demands.tests.conftest import Catalogue
from courtyard.demo.city_places import DISTRICT_BOXES, set_district_boxes
from courtyard.places.actions import set_place_box
from courtyard.places.models import Place

# 东城区, roughly (the demo's box).
DONGCHENG = {
    "min_latitude": "39.85",
    "max_latitude": "39.98",
    "min_longitude": "116.37",
    "max_longitude": "116.45",
}
INSIDE = ("39.894321", "116.402512")  # 前门, 草厂
OUTSIDE = ("39.990000", "116.330000")  # 五道口, in 海淀区


def box_district(city: City) -> Place:
    return set_place_box(city.district, by=None, **DONGCHENG)


def submit(city: City, p: Personas, c: Catalogue, lat: Any, long: Any, **kw: Any) -> Demand:
    return actions.submit_demand(
        by=p.resident,
        channel="web",
        place=kw.pop("place", city.courtyard),
        category=c.streetlight,
        description="胡同口路灯不亮三天了",
        requester=p.resident,
        latitude=lat,
        longitude=long,
        **kw,
    )


def refusal(city: City, p: Personas, c: Catalogue, lat: Any, long: Any, **kw: Any) -> BadInput:
    with translation.override("en"), pytest.raises(BadInput) as caught:
        submit(city, p, c, lat, long, **kw)
    assert Demand.objects.count() == 0
    assert not AuditEvent.objects.filter(verb="submit_demand").exists()
    return caught.value


# ── The check ───────────────────────────────────────────────────────────────────────────


def test_a_point_inside_the_inherited_box_is_kept(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    box_district(city)
    demand = submit(city, personas, catalogue, *INSIDE)
    assert (demand.latitude, demand.longitude) == (Decimal("39.894321"), Decimal("116.402512"))


def test_a_point_outside_is_refused_naming_the_place_and_nothing_is_stored(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    box_district(city)
    error = refusal(city, personas, catalogue, *OUTSIDE)
    assert (error.message, error.field, error.status) == (
        "This point is outside Dongcheng District.",
        "lat",
        400,
    )


@pytest.mark.parametrize(
    ("lat", "long", "kept"),
    [
        ("39.85", "116.37", True),  # the south-west corner
        ("39.98", "116.45", True),  # the north-east corner
        ("39.98", "116.40", True),  # on the northern edge
        ("39.980001", "116.40", False),  # a millionth of a degree north of it
        ("39.849999", "116.40", False),
        ("39.90", "116.369999", False),
        ("39.90", "116.450001", False),
    ],
)
def test_the_edges_belong_to_the_box(
    lat: str, long: str, kept: bool, city: City, personas: Personas, catalogue: Catalogue
) -> None:
    box_district(city)
    if kept:
        assert submit(city, personas, catalogue, lat, long).latitude == Decimal(lat)
    else:
        refusal(city, personas, catalogue, lat, long)


def test_the_nearest_box_on_the_way_up_decides(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    box_district(city)
    # 前门街道's own, smaller box: a point in the district but west of the street is refused.
    set_place_box(
        city.street,
        by=None,
        min_latitude="39.88",
        max_latitude="39.91",
        min_longitude="116.39",
        max_longitude="116.41",
    )
    error = refusal(city, personas, catalogue, "39.90", "116.38")
    assert error.message == "This point is outside Qianmen Subdistrict."
    assert submit(city, personas, catalogue, "39.90", "116.40").pk
    # A place with a box of its own uses it, not its ancestors'.
    street = Place.objects.get(pk=city.street.pk)
    assert street.box_holder() == street


def test_the_box_holder_is_found_in_one_query(city: City, django_assert_num_queries: Any) -> None:
    box_district(city)
    courtyard = Place.objects.get(pk=city.courtyard.pk)
    with django_assert_num_queries(1):
        holder = courtyard.box_holder()
    assert holder is not None and holder.pk == city.district.pk
    other = Place.objects.get(pk=city.far_community.pk)  # 海淀区 has no box; nor its street
    with django_assert_num_queries(1):
        assert other.box_holder() is None
    district = Place.objects.get(pk=city.district.pk)
    with django_assert_num_queries(0):
        assert district.box_holder() == district


def test_without_a_box_or_without_a_point_nothing_is_checked(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    assert submit(city, personas, catalogue, *OUTSIDE).pk  # no box anywhere yet
    box_district(city)
    assert submit(city, personas, catalogue, None, None).latitude is None


# ── Setting a box ───────────────────────────────────────────────────────────────────────


def test_a_box_is_set_whole_and_ordered_with_an_audit_row(city: City) -> None:
    with translation.override("en"):
        with pytest.raises(BadInput) as caught:
            set_place_box(city.district, by=None, **{**DONGCHENG, "max_longitude": None})
        assert caught.value.message == "Give all four edges of the box, or none."
        with pytest.raises(BadInput) as caught:
            set_place_box(city.district, by=None, **{**DONGCHENG, "min_latitude": "40.1"})
        assert caught.value.message == (
            "The southern and western edges come before the northern and eastern ones."
        )
        with pytest.raises(BadInput) as caught:
            set_place_box(city.district, by=None, **{**DONGCHENG, "max_latitude": "91"})
        assert caught.value.message == "This latitude or longitude is out of range."
    assert not AuditEvent.objects.filter(verb="set_place_box").exists()

    box_district(city)
    box_district(city)  # the same box again: nothing written

    district = Place.objects.get(pk=city.district.pk)
    assert (district.min_latitude, district.max_longitude) == (
        Decimal("39.85"),
        Decimal("116.45"),
    )
    event = AuditEvent.objects.get(verb="set_place_box")
    assert event.changes["min_latitude"] == [None, "39.850000"]
    assert event.place_path == district.path
    set_place_box(
        district, by=None, min_latitude=None, max_latitude="", min_longitude=None,
        max_longitude=None,
    )  # fmt: skip
    assert Place.objects.get(pk=city.district.pk).box_holder() is None


def test_the_demo_districts_get_their_boxes(city: City) -> None:
    set_district_boxes()  # the fixture city's districts have the demo's codes
    dongcheng = Place.objects.get(pk=city.district.pk)
    haidian = Place.objects.get(pk=city.other_district.pk)
    assert haidian.box_contains(Decimal("39.99"), Decimal("116.33"))  # 五道口
    assert not haidian.box_contains(*map(Decimal, INSIDE))
    assert dongcheng.box_contains(*map(Decimal, INSIDE))  # 前门
    assert (haidian.min_latitude, haidian.max_longitude) == (Decimal("39.88"), Decimal("116.39"))
    assert set(DISTRICT_BOXES) == {"110101000000", "110108000000", "110114000000"}
    events = AuditEvent.objects.filter(verb="set_place_box").count()
    set_district_boxes()
    assert AuditEvent.objects.filter(verb="set_place_box").count() == events == 2


# ── The web form and Open311 ────────────────────────────────────────────────────────────


def test_the_raise_form_refuses_a_point_outside_on_the_latitude_field(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    box_district(city)
    client = Client(headers={"accept-language": "en"})
    client.force_login(personas.resident)
    data = {
        "category": catalogue.water.pk,
        "description": "楼里停水了",
        "where": "home",
        "latitude": OUTSIDE[0],
        "longitude": OUTSIDE[1],
        "idempotency_key": "q" * 32,
    }
    response = client.post("/demands/new/", data)
    page = response.content.decode()
    assert response.status_code == 400
    assert "This point is outside Dongcheng District." in page
    assert page.index("This point is outside") > page.index('id="id_latitude"')  # on its field
    assert Demand.objects.count() == 0

    response = client.post("/demands/new/", {**data, "latitude": INSIDE[0], "longitude": INSIDE[1]})
    assert response.status_code == 302
    assert Demand.objects.get().latitude == Decimal(INSIDE[0])


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_refuses_a_point_outside_in_its_error_format(
    fmt: str, city: City, catalogue: Catalogue
) -> None:
    box_district(city)
    _client, key = create_client(by=None, name="12345 热线")
    data = {
        "api_key": key,
        "service_code": "water-outage",
        "address_id": city.courtyard.code,
        "lat": OUTSIDE[0],
        "long": OUTSIDE[1],
        "description": "整栋楼停水了",
    }
    client = Client(headers={"accept-language": "en"})
    response = client.post(f"/open311/v2/requests.{fmt}", data)
    assert response.status_code == 400
    if fmt == "json":
        assert json.loads(response.content) == [
            {"code": 400, "description": "lat: This point is outside Dongcheng District."}
        ]
    else:
        assert b"lat: This point is outside Dongcheng District." in response.content
    assert Demand.objects.count() == 0

    response = client.post(
        "/open311/v2/requests.json", {**data, "lat": INSIDE[0], "long": INSIDE[1]}
    )
    assert response.status_code == 201


@pytest.mark.parametrize(("lat", "long"), [("39.99", None), (None, "116.40"), ("0", "")])
def test_half_a_point_is_refused_and_cannot_slip_past_the_box(
    city: City, personas: Personas, catalogue: Catalogue, lat: Any, long: Any
) -> None:
    box_district(city)
    error = refusal(city, personas, catalogue, lat, long)
    assert (error.message, error.field) == (
        "Give both the latitude and the longitude, or neither.",
        "lat",
    )

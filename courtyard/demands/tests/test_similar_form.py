"""Similar demands on the resident's raise form: "check for similar demands" (htmx as the
description is typed, or its button without JavaScript) lists open demands at the place
that look like the same problem — by their public summaries only, never their text or
requester — raises nothing, keeps what was typed, escapes what it shows, and costs a fixed
number of queries whatever the number of candidates."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from conftest import City, Personas, make_user
from courtyard.demands import actions
from courtyard.demands.models import Demand, ServiceCategory
from courtyard.demands.tests.conftest import Catalogue
from courtyard.people.models import User

NEIGHBOUR_TEXT = "胡同口的路灯不亮了，晚上很黑"
TYPED = "胡同口路灯不亮三天了"
SCRIPT = "<script>alert(1)</script>"
HTMX = {"HX-Request": "true"}


def en_client(user: User) -> Client:
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


@pytest.fixture
def neighbour(city: City) -> User:
    return make_user("neighbour", display_name="赵大爷", phone="13900139000")


def raise_by(user: User, city: City, category: ServiceCategory, text: str) -> Demand:
    return actions.submit_demand(
        by=user,
        channel="web",
        place=city.courtyard,
        category=category,
        description=text,
        requester=user,
    )


def check(city: City, catalogue: Catalogue, **change: Any) -> dict[str, Any]:
    return {
        "check_similar": "1",
        "category": catalogue.streetlight.pk,
        "description": TYPED,
        "where": "home",
        "idempotency_key": "s" * 32,
        **change,
    }


def listed(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-similar="(\d+)"', page)]


def test_the_button_lists_similar_open_demands_by_their_public_summary_only(
    city: City, personas: Personas, catalogue: Catalogue, neighbour: User
) -> None:
    theirs = raise_by(neighbour, city, catalogue.streetlight, NEIGHBOUR_TEXT)
    raise_by(neighbour, city, catalogue.water, "楼里停水了")  # another problem
    closed = raise_by(neighbour, city, catalogue.streetlight, NEIGHBOUR_TEXT)
    actions.answer_demand(closed, by=personas.here, answer="已报修")  # no longer open
    client = en_client(personas.resident)

    response = client.post("/demands/new/", check(city, catalogue))

    page = response.content.decode()
    assert response.status_code == 200
    assert listed(page) == [theirs.pk]
    assert f"#{theirs.pk} {theirs.public_summary}" in page
    assert f'href="/demands/{theirs.pk}/"' not in page  # not theirs to open
    assert "This is my problem too" in page
    for private in (NEIGHBOUR_TEXT, "赵大爷", "13900139000"):
        assert private not in page
    # Nothing raised; the form shows what was typed, without errors.
    assert Demand.objects.count() == 3
    assert f"{TYPED}</textarea>" in page
    assert 'role="alert"' not in page
    assert 'value="ssssssssssssssssssssssssssssssss"' in page  # the same form, the same key


def test_with_htmx_only_the_section_comes_back(
    city: City, personas: Personas, catalogue: Catalogue, neighbour: User
) -> None:
    theirs = raise_by(neighbour, city, catalogue.streetlight, NEIGHBOUR_TEXT)
    mine = raise_by(personas.resident, city, catalogue.streetlight, "东门路灯不亮了")
    client = en_client(personas.resident)

    response = client.post("/demands/new/", check(city, catalogue), headers=HTMX)

    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page and "<section" not in page  # the results, for their <div>
    assert sorted(listed(page)) == sorted([theirs.pk, mine.pk])
    assert f'href="/demands/{mine.pk}/"' in page  # my own: a link to follow it
    assert f'href="/demands/{theirs.pk}/"' not in page
    assert Demand.objects.count() == 2


def test_the_form_page_wires_the_section_for_htmx_and_for_the_button(
    personas: Personas, catalogue: Catalogue
) -> None:
    page = en_client(personas.resident).get("/demands/new/").content.decode()
    section = page[page.index('<section id="raise-similar"') :]
    assert 'hx-post="/demands/new/"' in section
    assert 'hx-target="#raise-similar-results"' in section  # the triggers' element stays
    assert "input changed delay:800ms from:#id_description" in section
    assert "change from:#id_category" in section
    assert '<button type="submit" name="check_similar" value="1" formnovalidate>' in section
    assert page.index('id="raise-similar"') < page.index('name="photos"')


def test_until_the_form_is_filled_it_says_what_is_missing_and_when_nothing_is_like_it(
    city: City, personas: Personas, catalogue: Catalogue, neighbour: User
) -> None:
    raise_by(neighbour, city, catalogue.streetlight, NEIGHBOUR_TEXT)
    client = en_client(personas.resident)

    page = client.post(
        "/demands/new/", check(city, catalogue, description=""), headers=HTMX
    ).content.decode()
    assert "Choose what it is about, describe it and say where it is" in page
    assert listed(page) == []

    # Another kind of problem: the neighbour's open street-light demand is not like it (her
    # words are not compared; the same kind at the same place would be — see test_similar).
    page = client.post(
        "/demands/new/",
        check(city, catalogue, description="楼道里没水了", category=catalogue.water.pk),
        headers=HTMX,
    ).content.decode()
    assert "No open demand like this one was found nearby." in page

    # Another place, by its code: 草厂's demands are not "at" the sibling community.
    page = client.post(
        "/demands/new/",
        check(city, catalogue, where="other", place_code=city.sibling.code),
        headers=HTMX,
    ).content.decode()
    assert listed(page) == [] and "No open demand like this one" in page


@pytest.mark.parametrize("payload", [SCRIPT, "<svg onload=alert(1)>"])
def test_what_the_section_and_the_form_show_is_escaped(
    payload: str, city: City, personas: Personas, catalogue: Catalogue, neighbour: User
) -> None:
    odd = ServiceCategory.objects.create(
        parent=catalogue.streetlight.parent, service_code="odd", name=f"路灯{payload}"
    )
    theirs = raise_by(neighbour, city, odd, f"{TYPED}{payload}")
    client = en_client(personas.resident)

    for headers in ({}, HTMX):
        page = client.post(
            "/demands/new/",
            check(city, catalogue, description=f"{TYPED}{payload}", category=odd.pk),
            headers=headers,
        ).content.decode()
        assert listed(page) == [theirs.pk]
        assert payload not in page
        assert "路灯&lt;" in page  # the category's name in the summary, escaped


def test_the_check_costs_a_fixed_number_of_queries(
    city: City,
    personas: Personas,
    catalogue: Catalogue,
    neighbour: User,
    django_assert_num_queries: Any,
) -> None:
    client = en_client(personas.resident)
    data = check(city, catalogue)
    raise_by(neighbour, city, catalogue.streetlight, NEIGHBOUR_TEXT)
    client.post("/demands/new/", data, headers=HTMX)  # warm up
    # The session, the user, the home, the category (read as chosen, then as cleaned), the
    # candidates, my staff scope (none), which of them I may open.
    with django_assert_num_queries(8):
        small = client.post("/demands/new/", data, headers=HTMX).content.decode()
    for _ in range(6):
        raise_by(neighbour, city, catalogue.streetlight, NEIGHBOUR_TEXT)
        raise_by(personas.resident, city, catalogue.streetlight, NEIGHBOUR_TEXT)
    with django_assert_num_queries(8):
        large = client.post("/demands/new/", data, headers=HTMX).content.decode()
    assert len(listed(small)) == 1 and len(listed(large)) == 5


def test_sending_the_form_still_raises_the_demand(
    city: City, personas: Personas, catalogue: Catalogue, neighbour: User
) -> None:
    raise_by(neighbour, city, catalogue.streetlight, NEIGHBOUR_TEXT)
    data = check(city, catalogue)
    del data["check_similar"]
    response = en_client(personas.resident).post("/demands/new/", data)
    assert response.status_code == 302
    assert Demand.objects.filter(requester=personas.resident, description=TYPED).count() == 1

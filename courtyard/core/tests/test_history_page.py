"""The history page speaks in words: action labels and field names, not identifiers."""

from __future__ import annotations

from courtyard.places.actions import rename_place


def test_history_shows_the_action_and_field_in_words(city, personas, client_for, settings):
    rename_place(city.community, by=personas.here, name="草厂社区", name_en="Caochang")
    client = client_for(personas.here)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(f"/history/places.place/{city.community.pk}/").content.decode()
    assert "place renamed" in html
    assert "<strong>name</strong>: 草厂社区居委会 → 草厂社区" in html
    assert "rename_place" not in html


def test_an_htmx_request_for_more_children_gets_only_the_list(city, client_for):
    response = client_for(None).get(f"/places/{city.street.pk}/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="children-list"' in html

"""The inbox page and API: only the recipient sees a notification (someone else's is a 404,
a visitor goes to the login), opening one marks it read and goes only to a local page,
the label is shown as text, the list and the badge cost a fixed number of queries."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import get_resolver

from conftest import City, Personas
from courtyard.notifications.actions import notify
from courtyard.notifications.models import Notification
from courtyard.places.models import Place

XSS = '<script>alert("x")</script>'
MISSING = 999_999


@pytest.fixture
def client_for(client_for: Any) -> Any:
    """The shared `client_for`, reading pages in English (the messages are asserted)."""

    def make(user: Any) -> Client:
        client = client_for(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


@pytest.fixture
def inbox(city: City, personas: Personas, committed: Any) -> dict[str, Notification]:
    """Two notifications for the resident (one with a hostile label), one for the worker."""
    with committed():
        notify([personas.resident], verb="demand_answered", target=city.community,
               url=f"/places/{city.community.pk}/", target_repr="#1 路灯不亮")  # fmt: skip
        notify([personas.resident], verb="demand_declined", target=city.community,
               url="https://evil.example/", target_repr=XSS)  # fmt: skip
        notify([personas.here], verb="demand_reminder", target=city.community, url="/")
    rows = {n.verb: n for n in Notification.objects.all()}
    return rows


def test_the_list_shows_my_notifications_escaped_and_unread_first(
    inbox: Any, personas: Personas, client_for: Any
) -> None:
    html = client_for(personas.resident).get("/notifications/").content.decode()
    assert "Your demand #1 路灯不亮 was answered." in html
    assert XSS not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "Demand / its deadline is near" not in html and "deadline is near" not in html
    assert html.count('class="unread"') == 2


def test_opening_marks_read_and_goes_only_to_a_local_page(
    inbox: Any, personas: Personas, city: City, client_for: Any
) -> None:
    client = client_for(personas.resident)
    local, remote = inbox["demand_answered"], inbox["demand_declined"]
    response = client.get(f"/notifications/{local.pk}/")
    assert (response.status_code, response["Location"]) == (302, f"/places/{city.community.pk}/")
    assert Notification.objects.get(pk=local.pk).read_at is not None
    response = client.get(f"/notifications/{remote.pk}/")
    assert (response.status_code, response["Location"]) == (302, "/notifications/")
    assert Notification.objects.filter(recipient=personas.resident, read_at=None).count() == 0


@pytest.mark.parametrize("persona", ["here", "above", "sibling", "handler", "stranger"])
def test_someone_elses_notification_is_missing(
    persona: str, inbox: Any, personas: Personas, client_for: Any
) -> None:
    mine = inbox["demand_answered"]
    client = client_for(getattr(personas, persona))
    response = client.get(f"/notifications/{mine.pk}/")
    assert response.status_code == 404
    assert [t.name for t in response.templates][:1] == ["404.html"]
    assert XSS not in client.get("/notifications/").content.decode()
    assert client.post("/notifications/read/").status_code == 302
    api = client.post(
        "/api/v1/notifications/read", json.dumps({"ids": [mine.pk]}),
        content_type="application/json",
    )  # fmt: skip
    absent = client.post(
        "/api/v1/notifications/read", json.dumps({"ids": [MISSING]}),
        content_type="application/json",
    )  # fmt: skip
    assert (api.status_code, api.json()) == (404, absent.json())
    assert Notification.objects.get(pk=mine.pk).read_at is None


@pytest.mark.parametrize(
    ("method", "url"),
    [("GET", "/notifications/"), ("GET", "/notifications/{pk}/"), ("POST", "/notifications/read/")],
)
def test_a_visitor_is_sent_to_the_login(method: str, url: str, inbox: Any) -> None:
    url = url.format(pk=inbox["demand_answered"].pk)
    response = Client().generic(method, url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert Notification.objects.filter(read_at__isnull=False).count() == 0


def test_the_api_for_a_visitor_is_401(inbox: Any) -> None:
    assert Client().get("/api/v1/notifications").status_code == 401
    response = Client().post("/api/v1/notifications/read", "{}", content_type="application/json")
    assert response.status_code == 401
    assert Notification.objects.filter(read_at__isnull=False).count() == 0


def test_mark_all_read_page(inbox: Any, personas: Personas, client_for: Any) -> None:
    response = client_for(personas.resident).post("/notifications/read/")
    assert (response.status_code, response["Location"]) == (302, "/notifications/")
    assert Notification.objects.filter(read_at=None).get().recipient == personas.here


def test_the_api_lists_with_a_cursor_and_the_unread_filter(
    inbox: Any, personas: Personas, client_for: Any
) -> None:
    client = client_for(personas.resident)
    first = client.get("/api/v1/notifications?limit=1").json()
    assert [i["verb"] for i in first["items"]] == ["demand_declined"]
    assert first["items"][0]["message"] == f"Your demand {XSS} was declined: see the reason."
    assert first["items"][0]["target_type"] == "places.place"
    second = client.get(f"/api/v1/notifications?limit=1&cursor={first['next_cursor']}").json()
    assert ([i["verb"] for i in second["items"]], second["next_cursor"]) == (
        ["demand_answered"],
        None,
    )
    marked = client.post(
        "/api/v1/notifications/read", json.dumps({"ids": [inbox["demand_answered"].pk]}),
        content_type="application/json",
    )  # fmt: skip
    assert marked.json() == {"marked": 1}
    unread = client.get("/api/v1/notifications?unread=true").json()["items"]
    assert [i["verb"] for i in unread] == ["demand_declined"]
    read = client.get("/api/v1/notifications?unread=false").json()["items"]
    assert [i["verb"] for i in read] == ["demand_answered"]
    everything = client.post("/api/v1/notifications/read", "{}", content_type="application/json")
    assert everything.json() == {"marked": 1}


def test_the_badge_counts_my_unread_in_one_query(
    inbox: Any, personas: Personas, client_for: Any, django_assert_num_queries: Any
) -> None:
    client = client_for(personas.resident)
    client.get("/accounts/")  # warm the caches
    html = client.get("/accounts/").content.decode()
    assert 'class="badge unread-count">2<' in html
    Notification.objects.update(read_at=None)
    # The account page (tests/test_query_counts.py) is 6 queries without the badge.
    with django_assert_num_queries(7):
        client.get("/accounts/")
    Notification.objects.filter(recipient=personas.resident).update(read_at="2025-01-01T00:00Z")
    assert "unread-count" not in client.get("/accounts/").content.decode()
    assert "unread-count" not in Client().get("/").content.decode()


def test_the_list_costs_a_fixed_number_of_queries(
    city: City, personas: Personas, client_for: Any, committed: Any,
    django_assert_num_queries: Any,
) -> None:  # fmt: skip
    client = client_for(personas.resident)
    client.get("/notifications/")
    with django_assert_num_queries(4):  # session, user, badge, the page
        client.get("/notifications/")
    with committed():
        for i in range(60):
            notify([personas.resident], verb="demand_answered", target=city.community,
                   url="/", target_repr=f"#{i}")  # fmt: skip
    with django_assert_num_queries(4):
        html = client.get("/notifications/").content.decode()
    assert "#59" in html and "?cursor=" in html
    with django_assert_num_queries(3):  # session, user, the page: no badge in the API
        client.get("/api/v1/notifications?unread=true")


def test_every_inbox_route_is_covered_here() -> None:
    """The global permission matrix skips notifications/: this file covers its routes."""
    names = {
        p.name
        for r in get_resolver().url_patterns
        if getattr(r, "namespace", None) == "notifications"
        for p in r.url_patterns
    }
    assert names == {"notification-list", "notification-open", "notification-read-all"}


def test_a_notification_followed_from_another_site_stays_unread(
    city: City, personas: Personas
) -> None:
    notification = Notification.objects.create(
        recipient=personas.here, verb="demand_dispatched", target_type=ContentType.objects.get_for_model(Place),
        target_id=str(city.community.pk), target_repr="草厂", url="/",
    )  # fmt: skip
    client = Client()
    client.force_login(personas.here)
    url = f"/notifications/{notification.pk}/"
    assert client.get(url, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 302
    notification.refresh_from_db()
    assert notification.read_at is None
    client.get(url, headers={"Sec-Fetch-Site": "same-origin"})
    notification.refresh_from_db()
    assert notification.read_at is not None

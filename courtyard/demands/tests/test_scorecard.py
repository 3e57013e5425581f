"""The scorecard pages: what they show, the month picker, escaping, and a fixed number of
queries at two data sizes. Who may see them: test_matrix_scorecard.py."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.utils.html import escape

from conftest import City, Personas, credit_code
from courtyard.demands import scores
from courtyard.demands.models import DemandTally, Whistle
from courtyard.demands.tests.conftest import Catalogue
from courtyard.demands.tests.test_rates import MARCH, hand_example
from courtyard.demands.whistles import (
    blow_whistle,
    close_whistle,
    report_to_whistle,
    score_summons,
)
from courtyard.organizations import actions as org_actions
from courtyard.organizations.models import OrganizationKind
from courtyard.places.actions import create_place, rename_place
from courtyard.places.models import Place, PlaceKind

PAYLOADS = ["<script>alert(1)</script>", "<svg onload=alert(1)>"]


@pytest.fixture
def client_for(client_for: Any) -> Any:
    """The shared `client_for`, reading in English: the assertions quote the English
    sentences (the zh-hans catalogue may translate them any day), and place names show
    their English form."""

    def make(user: Any) -> Client:
        client = client_for(user)
        client.cookies.load({settings.LANGUAGE_COOKIE_NAME: "en"})
        return client

    return make


def place_url(place: Place, month: str | None = "2025-03") -> str:
    return f"/demands/scorecard/{place.pk}/" + (f"?month={month}" if month else "")


def unit_url(org: Any, month: str | None = "2025-03") -> str:
    return f"/demands/scorecard/unit/{org.pk}/" + (f"?month={month}" if month else "")


def html(response: Any, status: int = 200) -> str:
    assert response.status_code == status, response.get("Location")
    return response.content.decode()


def text(page: str) -> str:
    """The page without tags and with whitespace collapsed, for reading sentences."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def ranking_names(page: str) -> list[str]:
    section = page.split('id="ranking-heading"', 1)[1]
    return re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a></th>', section)


# ── What the pages show ───────────────────────────────────────────────────────────────────


def test_the_street_scorecard_shows_the_hand_computed_rates_and_ranks_its_communities(
    city: City, personas: Personas, catalogue: Catalogue, client_for: Any
) -> None:
    hand_example(city, personas, catalogue)
    page = html(client_for(personas.above).get(place_url(city.street)))
    words = text(page)

    assert "<h1>Scorecard · Qianmen Subdistrict</h1>" in page
    for shown in ("75.0%", "66.7%", "50.0%", "60.00"):
        assert shown in words
    # Untranslated sentences read in English until the lead translates them.
    assert "Requester contacted in time for 3 of 4 dispatched orders." in words
    assert "2 of 3 evaluated orders rated resolved." in words
    assert "Satisfied 1, basically satisfied 1, not satisfied 1." in words
    # The trend: 12 months, oldest first, the month asked for last and marked.
    trend = page.split('id="trend-heading"', 1)[1].split("</section>", 1)[0]
    months = re.findall(r'<th scope="row">(\d{4}-\d{2})</th>', trend)
    assert months == [f"{scores.add_months(date(2024, 4, 1), i):%Y-%m}" for i in range(12)]
    assert '<tr aria-current="true">\n        <th scope="row">2025-03</th>' in trend
    assert page.count("<meter") == 4 + 4  # the month's four bars, and 草厂's in the ranking
    # The ranking of its communities: 草厂 scored, the sibling without orders unranked.
    assert ranking_names(page) == ["Caochang Community", "Dashilar West Street"]
    assert f'href="/demands/scorecard/{city.community.pk}/?month=2025-03"' in page


def test_the_city_ranks_streets_not_communities(
    city: City, personas: Personas, catalogue: Catalogue, client_for: Any
) -> None:
    hand_example(city, personas, catalogue)
    admin = _city_admin()
    page = html(client_for(admin).get(place_url(city.city)))
    # 前门 scored first, then 学院路 (海淀区); no communities
    assert ranking_names(page) == ["Qianmen Subdistrict", "Xueyuan Road Subdistrict"]


def _city_admin() -> Any:
    from conftest import make_user
    from courtyard.people import actions as people_actions
    from courtyard.people.models import RoleKind

    admin = make_user("city-admin")
    people_actions.assign_role(
        admin, by=None, kind=RoleKind.CITY_ADMIN, place=Place.objects.get(kind=PlaceKind.CITY)
    )
    return admin


def test_a_community_scorecard_has_no_ranking(
    city: City, personas: Personas, catalogue: Catalogue, client_for: Any
) -> None:
    hand_example(city, personas, catalogue)
    page = html(client_for(personas.here).get(place_url(city.community)))
    assert 'id="ranking-heading"' not in page
    assert "60.00" in page


def test_a_month_without_orders_shows_dashes_not_zero_percent(
    city: City, personas: Personas, client_for: Any
) -> None:
    page = html(client_for(personas.here).get(place_url(city.community, "2024-06")))
    assert "0.0%" not in page
    assert '<span aria-hidden="true">—</span><span class="visually-hidden">nothing to count' in page
    assert "<meter" not in page


def test_the_unit_scorecard_shows_the_unit_and_links_its_seat_for_staff_only(
    city: City, personas: Personas, catalogue: Catalogue, client_for: Any
) -> None:
    hand_example(city, personas, catalogue)
    handler_page = html(client_for(personas.handler).get(unit_url(catalogue.department)))
    assert "60.00" in handler_page and "75.0%" in handler_page
    assert "/demands/scorecard/" + str(city.district.pk) not in handler_page

    DemandTally.objects.create(month=MARCH, organization=city.unit, dispatched=2)
    staff_page = html(client_for(personas.here).get(unit_url(city.unit)))
    assert f'href="/demands/scorecard/{city.community.pk}/?month=2025-03"' in staff_page
    assert "—" in staff_page  # dispatched, nothing contacted in time: 0.0 %; no evaluation
    assert "0.0%" in staff_page


def test_breadcrumbs_link_only_the_scorecards_the_viewer_may_see(
    city: City, personas: Personas, client_for: Any
) -> None:
    here = html(client_for(personas.here).get(place_url(city.community)))
    assert f"/demands/scorecard/{city.street.pk}/" not in here
    above = html(client_for(personas.above).get(place_url(city.community)))
    assert f'href="/demands/scorecard/{city.street.pk}/?month=2025-03"' in above
    assert f"/demands/scorecard/{city.district.pk}/" not in above


# ── The month picker ──────────────────────────────────────────────────────────────────────


def test_the_default_month_is_this_month(city: City, personas: Personas, client_for: Any) -> None:
    this_month = scores.current_month()
    DemandTally.objects.create(
        month=this_month,
        place=city.community,
        dispatched=8,
        responded_in_time=7,
        evaluated=4,
        resolved=4,
        satisfied=4,
    )
    page = html(client_for(personas.here).get(place_url(city.community, None)))
    assert f'value="{this_month:%Y-%m}"' in page
    assert "87.5%" in page
    assert "This month is not over" in page
    assert 'rel="next"' not in page  # nothing after this month
    assert f'?month={scores.add_months(this_month, -1):%Y-%m}" rel="prev"' in page


def test_a_past_month_links_to_the_next(city: City, personas: Personas, client_for: Any) -> None:
    page = html(client_for(personas.here).get(place_url(city.community, "2025-03")))
    assert 'href="?month=2025-04" rel="next"' in page
    assert 'href="?month=2025-02" rel="prev"' in page
    assert 'value="2025-03"' in page
    assert '<label for="id_month">' in page
    assert "This month is not over" not in page


@pytest.mark.parametrize(
    "bad", ["2025-13", "25-03", "2025-3", "0001-01", "März", "٢٠٢٥-٠٣", *PAYLOADS]
)
def test_a_bad_month_is_refused_with_a_message_and_this_month_shown(
    bad: str, city: City, personas: Personas, client_for: Any
) -> None:
    response = client_for(personas.here).get(place_url(city.community, None), {"month": bad})
    page = html(response, 400)
    assert 'role="alert"' in page
    assert f'value="{scores.current_month():%Y-%m}"' in page
    assert "<script>alert" not in page and "<svg" not in page


# ── Escaping ──────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("payload", PAYLOADS)
def test_place_names_in_the_ranking_and_breadcrumb_are_escaped(
    payload: str, city: City, personas: Personas, client_for: Any
) -> None:
    rename_place(city.sibling, by=None, name=payload, name_en=payload)
    rename_place(city.street, by=None, name=payload + "街", name_en=payload + "街")
    page = html(client_for(personas.above).get(place_url(city.street)))
    assert payload not in page and "<script>alert" not in page and "<svg" not in page
    assert escape(payload) in page
    community = html(client_for(personas.above).get(place_url(city.community)))
    assert escape(payload + "街") in community and "<svg" not in community


@pytest.mark.parametrize("payload", PAYLOADS)
def test_unit_names_are_escaped(
    payload: str, city: City, personas: Personas, client_for: Any
) -> None:
    org = org_actions.create_organization(
        by=None,
        name=payload,
        name_en=payload,
        kind=OrganizationKind.ENTERPRISE,
        place=city.community,
        credit_code=credit_code(77),
    )
    page = html(client_for(personas.here).get(unit_url(org)))
    assert payload not in page and "<script>alert" not in page and "<svg" not in page
    assert escape(payload) in page


# ── The whistles of a street ──────────────────────────────────────────────────────────────


def shanghai(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai"))


def blow_march(city: City, personas: Personas, catalogue: Catalogue) -> None:
    """Within 前门 in March 2025 (Shanghai time): two whistles summoning three parties, one
    reported in time and one late, scored 70 and 85; one the first minutes of March (still
    February in UTC), one in February, one in April, one in 海淀区: not March's."""

    def blow(place: Place, at: datetime, orgs: list[Any]) -> Whistle:
        return blow_whistle(
            by=personas.above if place != city.far_community else _city_admin(), place=place,
            kind="routine", title=f"哨{at:%m%d}", description="街道解决不了", organizations=orgs,
            now=at,
        )  # fmt: skip

    first = blow(city.courtyard, shanghai(3, 1, 0, 10), [city.unit, catalogue.department])
    report_to_whistle(first, by=personas.handler, organization=city.unit,
                      now=shanghai(3, 1, 0, 30))  # in time (30 min)  # fmt: skip
    report_to_whistle(first, by=personas.handler, organization=catalogue.department,
                      now=shanghai(3, 1, 1, 0))  # late  # fmt: skip
    close_whistle(first, by=personas.above)
    score_summons(first, by=personas.above, organization=city.unit, score=70)
    score_summons(first, by=personas.above, organization=catalogue.department, score=85)
    blow(city.sibling, shanghai(3, 31, 23, 50), [city.sibling_unit])  # not reported
    blow(city.sibling, shanghai(2, 28, 23, 50), [city.sibling_unit])
    blow(city.community, shanghai(4, 1, 0, 10), [city.unit])


def test_the_street_scorecard_counts_its_whistles_by_month(
    city: City, personas: Personas, catalogue: Catalogue, client_for: Any, settings: Any
) -> None:
    settings.TIME_ZONE = "Asia/Shanghai"
    blow_march(city, personas, catalogue)

    page = html(client_for(personas.above).get(place_url(city.street)))

    record = page.split('id="street-whistles"', 1)[1].split("</dl>", 1)[0]
    assert re.findall(r"<dd>([^<]+)</dd>", record) == ["2", "3", "1", "33.3%", "77.5"]
    trend = page.split('id="street-whistle-trend"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        r'<th scope="row">(\d{4}-\d{2})</th>\s*<td>(\d+)</td>\s*<td>(\d+)</td>', trend
    )
    assert rows[-2:] == [("2025-02", "1", "1"), ("2025-03", "2", "3")]
    assert [r[0] for r in rows] == [
        f"{scores.add_months(date(2024, 4, 1), i):%Y-%m}" for i in range(12)
    ]
    assert scores.whistle_trend(city.street, 1, date(2025, 4, 1))[0].blown == 1
    # A month without whistles says so; a community's or a district's page has no section.
    assert "No whistle was blown within this place in this month." in text(
        html(client_for(personas.above).get(place_url(city.street, "2025-01")))
    )
    community = html(client_for(personas.here).get(place_url(city.community)))
    assert 'id="street-whistles-heading"' not in community


def test_the_report_rate_and_average_are_exact(
    city: City, personas: Personas, catalogue: Catalogue, settings: Any
) -> None:
    settings.TIME_ZONE = "Asia/Shanghai"
    blow_march(city, personas, catalogue)
    march = scores.whistle_trend(city.street, 12, MARCH)[-1]
    assert (march.month, march.blown, march.summoned, march.reported_in_time) == (MARCH, 2, 3, 1)
    assert (march.scored, march.score_total) == (2, 155)
    assert march.report_rate == Fraction(1, 3)
    assert march.report_percent == Decimal("33.3")
    assert march.average_score == Decimal("77.5")
    empty = scores.whistle_trend(city.street, 12, MARCH)[0]
    assert (empty.report_rate, empty.average_score) == (None, None)


# ── A fixed number of queries, at two data sizes ──────────────────────────────────────────

GROWTH = 60


def grow_communities(city: City, catalogue: Catalogue) -> str:
    """60 more communities under the street, each with a tally in the month, and a year of
    tallies for the street and the units."""
    for i in range(GROWTH):
        place = create_place(
            by=None,
            parent=city.street,
            kind=PlaceKind.COMMUNITY,
            code=f"110101011{i:03d}X",
            name=f"新社区{i:03d}",
        )
        DemandTally.objects.create(
            month=MARCH,
            place=place,
            dispatched=10,
            responded_in_time=i % 10,
            evaluated=5,
            resolved=i % 5,
            satisfied=i % 3,
        )
    for i in range(12):
        month = scores.add_months(MARCH, -i)
        for target in ({"place": city.street}, {"place": city.community}):
            DemandTally.objects.create(month=month, dispatched=3, responded_in_time=2, **target)
        for org in (city.unit, catalogue.department):
            DemandTally.objects.create(month=month, organization=org, dispatched=3, evaluated=1)
    return "新社区059"


def grow_streets(city: City, catalogue: Catalogue) -> str:
    """60 more streets in the two districts, each with a tally in the month."""
    for i in range(GROWTH):
        place = create_place(
            by=None,
            parent=city.district if i % 2 else city.other_district,
            kind=PlaceKind.STREET if i % 3 else PlaceKind.TOWNSHIP,
            code=f"1101S{i:03d}",
            name=f"新街乡{i:03d}",
        )
        DemandTally.objects.create(
            month=MARCH, place=place, dispatched=4, responded_in_time=i % 5, evaluated=0
        )
    grow_communities(city, catalogue)
    return "新街乡059"


def grow_street(city: City, catalogue: Catalogue) -> str:
    """The communities of `grow_communities`, and 20 whistles within the street in March."""
    shown = grow_communities(city, catalogue)
    officer = _city_admin()
    for i in range(20):
        blow_whistle(
            by=officer, place=city.sibling if i % 2 else city.courtyard, kind="routine",
            title=f"哨{i}", description="街道解决不了", organizations=[city.unit, city.sibling_unit],
            now=datetime(2025, 3, 2 + i, 10, tzinfo=UTC),
        )  # fmt: skip
    return shown


@dataclass(frozen=True)
class Page:
    label: str
    persona: str
    url: Callable[[City, Catalogue], str]
    grow: Callable[[City, Catalogue], str]
    queries: int


# A logged-in page spends 2 on the session and the user, 1 on the unread-notifications badge
# and 1 on the staff scope; then:
# place pages 1 place, 1 ancestors (none for the city: it has none), 1 trend, 2 ranking
# (none for a community: it ranks nothing), 1 whistles by month (streets only); unit pages 1 unit (+1 "does the user handle
# it" for handlers, whom the seat's scope did not admit), 1 trend, 1 whistle record.
PAGES = [
    Page("street", "above", lambda c, k: place_url(c.street), grow_street, 10),
    Page("community", "here", lambda c, k: place_url(c.community), grow_communities, 7),
    Page("city", "city-admin", lambda c, k: place_url(c.city), grow_streets, 8),
    Page("unit-staff", "here", lambda c, k: unit_url(c.unit), grow_communities, 7),
    Page("unit-handler", "handler", lambda c, k: unit_url(k.department), grow_communities, 8),
]


@pytest.mark.parametrize("case", PAGES, ids=lambda p: p.label)
def test_query_count_does_not_grow_with_the_data(
    case: Page,
    city: City,
    personas: Personas,
    catalogue: Catalogue,
    client_for: Any,
    django_assert_num_queries: Any,
) -> None:
    user = _city_admin() if case.persona == "city-admin" else getattr(personas, case.persona)
    client: Client = client_for(user)
    url = case.url(city, catalogue)
    assert client.get(url).status_code == 200  # warm the caches (content types)

    with django_assert_num_queries(case.queries):
        small = client.get(url)
    assert small.status_code == 200

    shown = case.grow(city, catalogue)

    with django_assert_num_queries(case.queries):
        large = client.get(url)
    assert large.status_code == 200
    if case.label in ("street", "city"):
        assert shown in large.content.decode(), "the grown data should be on the page"

"""The three rates on hand-computed examples, trends, rankings, and the rebuild giving the
numbers the incremental upkeep gives."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from conftest import City, Personas
from courtyard.demands import actions, scores
from courtyard.demands.models import Demand, DemandTally, Dispatch, ServiceCategory
from courtyard.demands.rebuild import rebuild_demand_rates
from courtyard.demands.scores import Rates
from courtyard.demands.tests.conftest import Catalogue
from courtyard.places.actions import create_place, move_place
from courtyard.places.models import Place, PlaceKind

BEIJING = ZoneInfo("Asia/Shanghai")
MARCH = date(2025, 3, 1)


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A moment of 2025 in Beijing time (the deployment's time zone)."""
    return datetime(2025, month, day, hour, minute, tzinfo=BEIJING)


def raise_demand(
    place: Place, category: ServiceCategory, personas: Personas, when: datetime
) -> Demand:
    return actions.submit_demand(
        by=personas.resident,
        channel="web",
        place=place,
        category=category,
        description="路灯不亮",
        requester=personas.resident,
        submitted_at=when,
    )


def handled(demand: Demand, personas: Personas, *, contact_at: datetime) -> Demand:
    """Sign for, contact the requester at `contact_at`, and reply (a minute later)."""
    demand = actions.sign_demand(demand, by=personas.handler, now=contact_at - timedelta(hours=1))
    demand = actions.contact_requester(demand, by=personas.handler, now=contact_at)
    return actions.reply_demand(
        demand, by=personas.handler, reply="已处理", now=contact_at + timedelta(minutes=1)
    )


# ── Rates from counts ─────────────────────────────────────────────────────────────────────


HAND = {
    "dispatched": 4,
    "responded_in_time": 3,
    "evaluated": 3,
    "resolved": 2,
    "satisfied": 1,
    "basically_satisfied": 1,
    "unsatisfied": 1,
}


def test_rates_are_exact_fractions_of_the_counts() -> None:
    rates = Rates.from_row(HAND, month=MARCH)
    assert rates.response == Fraction(3, 4)
    assert rates.resolution == Fraction(2, 3)
    # (1 satisfied + 0.5 × 1 basically satisfied) ÷ 3 evaluated
    assert rates.satisfaction == Fraction(1, 2)
    # 0.10 × 3/4 + 0.45 × 2/3 + 0.45 × 1/2 = 0.075 + 0.3 + 0.225
    assert rates.composite == Fraction(3, 5)
    assert (rates.response_percent, rates.resolution_percent, rates.satisfaction_percent) == (
        Decimal("75.0"),
        Decimal("66.7"),
        Decimal("50.0"),
    )
    assert rates.score == Decimal("60.00")


def test_weights_come_from_the_configuration(settings: Any) -> None:
    settings.DEMANDS = {
        "BASIC_SATISFACTION_WEIGHT": "0.8",
        "SCORE_WEIGHTS": {"response": "0.2", "resolution": "0.4", "satisfaction": "0.4"},
    }
    rates = Rates.from_row(HAND)
    assert rates.satisfaction == Fraction(3, 5)  # (1 + 0.8) ÷ 3
    # 0.2 × 3/4 + 0.4 × 2/3 + 0.4 × 3/5 = 3/20 + 4/15 + 6/25
    assert rates.composite == Fraction(3, 20) + Fraction(4, 15) + Fraction(6, 25)
    assert rates.composite == Fraction(197, 300)


def test_a_rate_without_a_denominator_is_none_not_zero() -> None:
    nothing = Rates.from_row(None, month=MARCH)
    assert (nothing.response, nothing.resolution, nothing.satisfaction, nothing.composite) == (
        None,
        None,
        None,
        None,
    )
    assert (nothing.dispatched, nothing.evaluated, nothing.month) == (0, 0, MARCH)
    assert nothing.response_percent is None and nothing.score is None
    assert not nothing.has_orders

    dispatched_only = Rates.from_row({"dispatched": 2, "responded_in_time": 0})
    assert dispatched_only.response == 0
    assert dispatched_only.resolution is None
    assert dispatched_only.composite is None  # the score needs all three rates
    assert dispatched_only.has_orders


def test_rates_read_a_tally_row(city: City) -> None:
    row = DemandTally(month=MARCH, place=city.street, **HAND)
    rates = Rates.from_row(row)
    assert (rates.month, rates.composite) == (MARCH, Fraction(3, 5))


def test_months_are_counted_across_years() -> None:
    assert scores.add_months(date(2025, 1, 1), -1) == date(2024, 12, 1)
    assert scores.add_months(date(2025, 3, 1), -11) == date(2024, 4, 1)
    assert scores.add_months(date(2024, 12, 1), 1) == date(2025, 1, 1)
    assert scores.add_months(date(2025, 3, 1), 24) == date(2027, 3, 1)


# ── The hand-computed example, through the actions ───────────────────────────────────────


def hand_example(city: City, personas: Personas, catalogue: Catalogue) -> None:
    """4 orders dispatched in March 2025 to the city-management department: 3 contacted
    in time, 1 late (after 24 h); 3 evaluated: resolved and satisfied, resolved and
    basically satisfied, not resolved and not satisfied; the 4th waits."""
    evaluations = [(True, "satisfied"), (True, "basic"), (False, "unsatisfied")]
    for i, contact_after in enumerate([1, 2, 23, 25]):
        dispatched = at(3, 10 + i)
        demand = raise_demand(city.courtyard, catalogue.streetlight, personas, dispatched)
        demand = actions.dispatch_demand(demand, by=personas.here, now=dispatched)
        demand = handled(demand, personas, contact_at=dispatched + timedelta(hours=contact_after))
        if i < 3:
            resolved, satisfaction = evaluations[i]
            actions.evaluate_demand(
                demand,
                by=personas.resident,
                resolved=resolved,
                satisfaction=satisfaction,
                now=at(3, 20),
            )


def test_rates_of_a_place_and_its_unit_after_the_actions(
    city: City, personas: Personas, catalogue: Catalogue, django_assert_num_queries: Any
) -> None:
    hand_example(city, personas, catalogue)

    for place in (city.community, city.street, city.district, city.city):
        with django_assert_num_queries(1):
            rates = scores.rates_for_place(place, MARCH)
        assert (rates.dispatched, rates.responded_in_time, rates.evaluated, rates.resolved) == (
            4,
            3,
            3,
            2,
        ), place
        assert (rates.response, rates.resolution, rates.satisfaction, rates.composite) == (
            Fraction(3, 4),
            Fraction(2, 3),
            Fraction(1, 2),
            Fraction(3, 5),
        ), place

    with django_assert_num_queries(1):
        unit = scores.rates_for_unit(catalogue.department, MARCH)
    assert unit.composite == Fraction(3, 5)
    assert unit.satisfaction == Fraction(1, 2)

    # Beside it and in other months: nothing.
    assert scores.rates_for_place(city.sibling, MARCH).composite is None
    assert scores.rates_for_place(city.community, date(2025, 2, 1)).dispatched == 0
    assert scores.rates_for_unit(city.unit, MARCH).dispatched == 0
    # A courtyard is no administrative level: it has no tally.
    assert scores.rates_for_place(city.courtyard, MARCH).dispatched == 0


def test_a_month_given_mid_month_means_that_month(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    hand_example(city, personas, catalogue)
    assert scores.rates_for_place(city.street, date(2025, 3, 17)).composite == Fraction(3, 5)


# ── Trend ─────────────────────────────────────────────────────────────────────────────────


def test_trend_lists_every_month_oldest_first_in_one_query(
    city: City, django_assert_num_queries: Any
) -> None:
    DemandTally.objects.create(month=date(2024, 4, 1), place=city.street, dispatched=1)
    DemandTally.objects.create(month=date(2025, 1, 1), place=city.street, **HAND)
    DemandTally.objects.create(month=date(2024, 3, 1), place=city.street, dispatched=9)  # before
    DemandTally.objects.create(month=date(2025, 4, 1), place=city.street, dispatched=9)  # after
    DemandTally.objects.create(month=date(2025, 1, 1), place=city.community, dispatched=5)

    with django_assert_num_queries(1):
        rows = scores.trend(city.street, months=12, end=MARCH)

    assert [r.month for r in rows] == [scores.add_months(date(2024, 4, 1), i) for i in range(12)]
    assert [r.dispatched for r in rows] == [1, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0]
    assert rows[9].composite == Fraction(3, 5)
    assert rows[0].response == 0 and rows[1].response is None


def test_trend_of_a_unit(city: City, catalogue: Catalogue) -> None:
    DemandTally.objects.create(month=MARCH, organization=catalogue.department, **HAND)
    DemandTally.objects.create(month=MARCH, organization=catalogue.fallback, dispatched=7)
    rows = scores.trend(catalogue.department, months=3, end=MARCH)
    assert [(r.month, r.dispatched) for r in rows] == [
        (date(2025, 1, 1), 0),
        (date(2025, 2, 1), 0),
        (MARCH, 4),
    ]


def test_trend_refuses_what_has_no_scorecard(city: City) -> None:
    with pytest.raises(TypeError):
        scores.trend(city.committee, months=1)  # type: ignore[arg-type]


# ── Ranking ───────────────────────────────────────────────────────────────────────────────


def street(city: City, code: str, name: str, kind: str = PlaceKind.STREET) -> Place:
    return create_place(by=None, parent=city.district, kind=kind, code=code, name=name)


def tally(place: Place, month: date = MARCH, **counts: int) -> None:
    DemandTally.objects.create(month=month, place=place, **counts)


def perfect() -> dict[str, int]:
    return {"dispatched": 5, "responded_in_time": 5, "evaluated": 5, "resolved": 5, "satisfied": 5}


def test_ranking_orders_by_composite_then_response_then_resolution(
    city: City, django_assert_num_queries: Any
) -> None:
    a = street(city, "110101S01", "甲街道")
    b = street(city, "110101S02", "乙街道")
    c = street(city, "110101S03", "丙街道")
    d = street(city, "110101S04", "丁街道")
    e = street(city, "110101S05", "戊乡", PlaceKind.TOWNSHIP)
    f = street(city, "110101S06", "己街道")
    g = street(city, "110101S07", "庚街道")
    h = street(city, "110101S08", "辛街道")
    tally(a, **perfect())  # 1.00
    # 0.82 three ways: G and B respond fully, G resolves more; C responds to 80 %.
    tally(b, dispatched=10, responded_in_time=10, evaluated=10, resolved=8, satisfied=8)
    tally(c, dispatched=10, responded_in_time=8, evaluated=45, resolved=37, satisfied=37)
    tally(g, dispatched=10, responded_in_time=10, evaluated=10, resolved=9, satisfied=7)
    # D and E: the very same numbers (0.50) share a rank.
    for place in (d, e):
        tally(place, dispatched=4, responded_in_time=2, evaluated=2, resolved=1, satisfied=1)
    tally(h, dispatched=3, responded_in_time=3)  # nothing evaluated: no score
    # F has no orders at all. Not counted here: another month, a community, the other district.
    tally(f, month=date(2025, 2, 1), **perfect())
    tally(city.community, **perfect())
    far_street = Place.objects.get(code="110108016000")
    tally(far_street, **perfect())

    with django_assert_num_queries(2):
        ranked = scores.ranking(city.district, MARCH)

    assert [(r.place.name, r.rank) for r in ranked] == [
        ("甲街道", 1),
        ("庚街道", 2),
        ("乙街道", 3),
        ("丙街道", 4),
        ("丁街道", 5),
        ("戊乡", 5),
        ("前门街道", None),  # unscored, by code
        ("己街道", None),
        ("辛街道", None),
    ]
    scores_of = {r.place.name: r.rates.composite for r in ranked}
    assert scores_of["庚街道"] == scores_of["乙街道"] == scores_of["丙街道"] == Fraction(41, 50)
    assert scores_of["丁街道"] == Fraction(1, 2)


def test_the_city_ranks_every_street_of_every_district_in_two_queries(
    city: City, django_assert_num_queries: Any
) -> None:
    extra = [street(city, f"110101T{i:02d}", f"新街道{i:02d}") for i in range(20)]
    for i, place in enumerate(extra):
        tally(place, dispatched=20, responded_in_time=i, evaluated=1, resolved=1, satisfied=1)

    with django_assert_num_queries(2):
        ranked = scores.ranking(city.city, MARCH)

    assert len(ranked) == 22  # 20 new, 前门街道 and 学院路街道 (海淀区)
    assert {r.place.kind for r in ranked} == {PlaceKind.STREET}
    assert [r.place.name for r in ranked[:3]] == ["新街道19", "新街道18", "新街道17"]
    assert [r.rank for r in ranked[:20]] == list(range(1, 21))
    assert [r.place.name for r in ranked[20:]] == ["前门街道", "学院路街道"]


def test_a_street_ranks_its_communities_and_a_community_ranks_nothing(
    city: City, django_assert_num_queries: Any
) -> None:
    tally(city.sibling, dispatched=1, responded_in_time=1, evaluated=1, resolved=1, satisfied=1)
    tally(city.community, dispatched=1, responded_in_time=0, evaluated=1, resolved=1, satisfied=1)
    ranked = scores.ranking(city.street, MARCH)
    assert [(r.place, r.rank) for r in ranked] == [(city.sibling, 1), (city.community, 2)]
    with django_assert_num_queries(0):
        assert scores.ranking(city.community, MARCH) == []
        assert scores.ranking(city.courtyard, MARCH) == []


# ── Rebuild == incremental ────────────────────────────────────────────────────────────────


def mixed_history(city: City, personas: Personas, catalogue: Catalogue) -> None:
    """Every way an order can count, and stop counting, across month (and time-zone)
    boundaries: dispatch, return, redispatch, contact in time and late, every evaluation,
    close without an evaluation, reopen before and after an evaluation, re-evaluate."""
    here, handler, resident = personas.here, personas.handler, personas.resident
    light, water = catalogue.streetlight, catalogue.water

    # 1. Dispatched 00:30 on 1 February in Beijing (still 31 January in UTC): February.
    d1 = raise_demand(city.courtyard, light, personas, at(1, 31, 23))
    d1 = actions.dispatch_demand(d1, by=here, now=at(2, 1, 0, 30))
    d1 = handled(d1, personas, contact_at=at(2, 1, 10))
    actions.evaluate_demand(d1, by=resident, resolved=True, satisfaction="satisfied", now=at(2, 3))

    # 2. Raised at the community itself; water falls back to the district; contacted late;
    #    evaluated 23:50 on 31 January, reopened in February (taken back from January),
    #    redispatched by hand, evaluated 00:10 on 1 March Beijing time (28 February UTC).
    d2 = raise_demand(city.community, water, personas, at(1, 10, 8))
    d2 = actions.dispatch_demand(d2, by=here, now=at(1, 10))
    d2 = handled(d2, personas, contact_at=at(1, 11, 10))  # 25 h > 24 h
    d2 = actions.evaluate_demand(
        d2, by=resident, resolved=False, satisfaction="unsatisfied", now=at(1, 31, 23, 50)
    )
    d2 = actions.reopen_demand(d2, by=resident, reason="还是没水", now=at(2, 5))
    d2 = actions.dispatch_demand(d2, by=here, organization=catalogue.department, now=at(2, 5, 10))
    d2 = handled(d2, personas, contact_at=at(2, 5, 12))
    actions.evaluate_demand(
        d2, by=resident, resolved=True, satisfaction="basic", now=at(3, 1, 0, 10)
    )

    # 3. Returned while dispatched (misrouted), redispatched to the 草厂 unit.
    d3 = raise_demand(city.courtyard, light, personas, at(1, 15, 8))
    d3 = actions.dispatch_demand(d3, by=here, now=at(1, 15))
    d3 = actions.return_demand(d3, by=handler, reason="不归我们管", now=at(1, 15, 12))
    d3 = actions.dispatch_demand(d3, by=here, organization=city.unit, now=at(1, 16))
    d3 = handled(d3, personas, contact_at=at(1, 16, 11))
    actions.evaluate_demand(d3, by=resident, resolved=True, satisfaction="basic", now=at(1, 20))

    # 4. In the sibling community: returned after signing, redispatched, contacted late,
    #    closed without an evaluation, reopened, dispatched again, evaluated.
    d4 = raise_demand(city.sibling, light, personas, at(2, 10, 8))
    d4 = actions.dispatch_demand(d4, by=here, now=at(2, 10))
    d4 = actions.sign_demand(d4, by=handler, now=at(2, 10, 10))
    d4 = actions.return_demand(d4, by=handler, reason="错派", now=at(2, 10, 11))
    d4 = actions.dispatch_demand(d4, by=here, organization=catalogue.fallback, now=at(2, 11))
    d4 = handled(d4, personas, contact_at=at(2, 13))  # two days: late
    d4 = actions.close_demand(d4, by=here, now=at(2, 20))
    d4 = actions.reopen_demand(d4, by=here, reason="居民来电", now=at(2, 21))
    d4 = actions.dispatch_demand(d4, by=here, now=at(2, 22))
    d4 = handled(d4, personas, contact_at=at(2, 22, 15))
    actions.evaluate_demand(
        d4, by=resident, resolved=False, satisfaction="satisfied", now=at(2, 25)
    )

    # 5. In the other district: dispatched, never signed for.
    d5 = raise_demand(city.far_community, light, personas, at(3, 3, 8))
    actions.dispatch_demand(d5, by=here, organization=catalogue.department, now=at(3, 3))

    # 6. Reopened after the reply (no evaluation yet), dispatched again, contacted late,
    #    evaluated, reopened again (taken back), dispatched in April and contacted.
    d6 = raise_demand(city.courtyard, light, personas, at(3, 5, 8))
    d6 = actions.dispatch_demand(d6, by=here, now=at(3, 5))
    d6 = handled(d6, personas, contact_at=at(3, 5, 11))
    d6 = actions.reopen_demand(d6, by=resident, reason="没修好", now=at(3, 8))
    d6 = actions.dispatch_demand(d6, by=here, now=at(3, 9))
    d6 = handled(d6, personas, contact_at=at(3, 11))
    d6 = actions.evaluate_demand(
        d6, by=resident, resolved=True, satisfaction="satisfied", now=at(3, 20)
    )
    d6 = actions.reopen_demand(d6, by=resident, reason="又坏了", now=at(3, 21))
    d6 = actions.dispatch_demand(d6, by=here, now=at(4, 1))
    d6 = actions.sign_demand(d6, by=handler, now=at(4, 1, 10))
    actions.contact_requester(d6, by=handler, now=at(4, 1, 11))

    # 7. A consultation answered directly, and 8. an order returned and left: count nothing.
    d7 = raise_demand(city.courtyard, light, personas, at(3, 6))
    actions.answer_demand(d7, by=here, answer="请拨打供电热线")
    d8 = raise_demand(city.sibling, light, personas, at(3, 7))
    d8 = actions.dispatch_demand(d8, by=here, now=at(3, 7, 10))
    actions.return_demand(d8, by=handler, reason="不归我们管", now=at(3, 7, 11))


COUNTS = scores.COUNT_FIELDS


def tally_rows() -> dict[tuple[date, int | None, int | None], tuple[int, ...]]:
    """Every tally with a count, keyed by (month, place, unit); the incremental upkeep may
    leave rows of zeros behind (a returned dispatch), which read as no row."""
    rows = DemandTally.objects.values_list("month", "place_id", "organization_id", *COUNTS)
    return {(m, p, o): tuple(counts) for m, p, o, *counts in rows if any(counts)}


def test_rebuild_gives_the_numbers_of_the_incremental_upkeep(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    mixed_history(city, personas, catalogue)
    incremental = tally_rows()
    zeros = DemandTally.objects.count() - len(incremental)

    result = rebuild_demand_rates()

    assert tally_rows() == incremental
    assert DemandTally.objects.count() == len(incremental) == result.rows
    assert zeros > 0  # the returned dispatch of d8 left zeros behind in the upkeep
    assert (result.dispatches, result.evaluations) == (10, 4)


def test_the_mixed_history_counts_what_a_person_would_count(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    """The rebuild's numbers checked by hand, month by month, for the street."""
    mixed_history(city, personas, catalogue)
    rebuild_demand_rates()
    street = {r.month: r for r in scores.trend(city.street, months=4, end=date(2025, 4, 1))}
    jan, feb, mar, apr = (street[date(2025, m, 1)] for m in (1, 2, 3, 4))
    # January: d2 (late), d3 to the unit (in time; its returned dispatch does not count).
    assert (jan.dispatched, jan.responded_in_time, jan.evaluated) == (2, 1, 1)
    assert (jan.resolved, jan.basically_satisfied) == (1, 1)  # d3; d2's was taken back
    # February: d1, d2 again, d4 twice (late, then in time); d1 and d4 evaluated.
    assert (feb.dispatched, feb.responded_in_time) == (4, 3)
    assert (feb.evaluated, feb.resolved, feb.satisfied, feb.unsatisfied) == (2, 1, 2, 0)
    # March: d6 twice (in time, then late); d2 evaluated 00:10 on 1 March; d5 is elsewhere.
    assert (mar.dispatched, mar.responded_in_time) == (2, 1)
    assert (mar.evaluated, mar.resolved, mar.basically_satisfied) == (1, 1, 1)
    assert (apr.dispatched, apr.responded_in_time, apr.evaluated) == (1, 1, 0)
    unit = scores.rates_for_unit(city.unit, date(2025, 1, 1))
    assert (unit.dispatched, unit.responded_in_time, unit.evaluated) == (1, 1, 1)


def test_rebuild_of_one_month_repairs_it_and_leaves_the_others(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    mixed_history(city, personas, catalogue)
    incremental = tally_rows()
    february = date(2025, 2, 1)
    DemandTally.objects.filter(month=february).update(dispatched=99, satisfied=7)
    DemandTally.objects.filter(month=february, place=city.street).delete()
    DemandTally.objects.create(month=february, place=city.far_community, evaluated=3)
    DemandTally.objects.filter(month=MARCH, place=city.city).update(resolved=42)
    march_city = {k: v for k, v in tally_rows().items() if k[0] == MARCH}

    out = StringIO()
    call_command("rebuild_demand_rates", "--month", "2025-02", stdout=out)

    after = tally_rows()
    assert {k: v for k, v in after.items() if k[0] == february} == {
        k: v for k, v in incremental.items() if k[0] == february
    }
    assert {k: v for k, v in after.items() if k[0] == MARCH} == march_city  # untouched
    assert out.getvalue().startswith("Rebuilt ")
    assert "for 2025-02 from 4 dispatches and 2 evaluations" in out.getvalue()


def test_rebuild_is_idempotent_and_survives_an_empty_history(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    assert rebuild_demand_rates().rows == 0
    mixed_history(city, personas, catalogue)
    first = (rebuild_demand_rates(), tally_rows())
    second = (rebuild_demand_rates(), tally_rows())
    assert first == second


def test_a_lost_rollup_is_recomputed_from_the_raw_rows(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    hand_example(city, personas, catalogue)
    DemandTally.objects.all().delete()
    rebuild_demand_rates()
    for place in (city.community, city.street, city.district, city.city):
        assert scores.rates_for_place(place, MARCH).composite == Fraction(3, 5)
    assert scores.rates_for_unit(catalogue.department, MARCH).composite == Fraction(3, 5)
    assert not DemandTally.objects.filter(place=city.courtyard).exists()  # no admin level


def test_a_moved_community_counts_the_same_before_and_after_a_rebuild(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    hand_example(city, personas, catalogue)
    new_street = street(city, "110101S99", "新街道")
    move_place(city.community, by=None, new_parent=new_street)
    incremental = tally_rows()
    rebuild_demand_rates()
    assert tally_rows() == incremental


@pytest.mark.parametrize("bad", ["2025-13", "2025-3", "March", "0000-01", "2025-02-01", "٢٠٢٥-٠٣"])
def test_the_command_refuses_a_month_it_cannot_read(bad: str, city: City) -> None:
    DemandTally.objects.create(month=MARCH, place=city.street, dispatched=1)
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("rebuild_demand_rates", "--month", bad)
    assert DemandTally.objects.get().dispatched == 1


def test_the_rebuild_reads_only_surviving_dispatches(
    city: City, personas: Personas, catalogue: Catalogue
) -> None:
    mixed_history(city, personas, catalogue)
    kept = Dispatch.objects.filter(returned_at__isnull=True).count()
    assert rebuild_demand_rates().dispatches == kept == 10

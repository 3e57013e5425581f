"""The three rates (三率) and the composite score, read from the `DemandTally` rollup.

- response rate = dispatches whose first contact came in time ÷ dispatches (kept, not
  returned), counted in the month of the dispatch;
- resolution rate = evaluations rated resolved ÷ evaluations, in the month of the
  evaluation;
- satisfaction rate = (satisfied + w × basically satisfied) ÷ evaluations, w from
  `demands.conf` (BASIC_SATISFACTION_WEIGHT);
- composite = the rates weighted by `demands.conf` SCORE_WEIGHTS (response, resolution,
  satisfaction); defined only when all three rates are.

Rates are exact `Fraction`s (the configured numbers are decimals, so every result is a
terminating fraction when the weights are); a rate whose denominator is 0 is `None` —
"no orders" is not "0 %". Every function here costs a fixed number of queries: one per
place or unit, one for a trend over any number of months, two for a ranking of any size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from courtyard.demands.conf import DemandSettings, demand_settings
from courtyard.demands.models import DemandTally, WhistleSummons
from courtyard.organizations.models import Organization
from courtyard.places.models import (
    COMMUNITY_LEVEL_KINDS,
    STREET_LEVEL_KINDS,
    Place,
    PlaceKind,
    path_range,
)

COUNT_FIELDS = (
    "dispatched",
    "responded_in_time",
    "evaluated",
    "resolved",
    "satisfied",
    "basically_satisfied",
    "unsatisfied",
)

# Whose scorecard ranks which level: the city and a district rank the streets and townships
# within them (all 343 of Beijing on the city's page), a street ranks its communities.
RANKED_LEVEL: dict[str, frozenset[str]] = {
    PlaceKind.CITY: frozenset(STREET_LEVEL_KINDS),
    PlaceKind.DISTRICT: frozenset(STREET_LEVEL_KINDS),
    PlaceKind.STREET: frozenset(COMMUNITY_LEVEL_KINDS),
    PlaceKind.TOWNSHIP: frozenset(COMMUNITY_LEVEL_KINDS),
}

PERCENT = Decimal("0.1")
SCORE = Decimal("0.01")


def _ratio(numerator: Fraction | int, denominator: int) -> Fraction | None:
    return Fraction(numerator) / denominator if denominator else None


def _rounded(value: Fraction | None, scale: int, quantum: Decimal) -> Decimal | None:
    """`value` × `scale` as a decimal rounded half up to `quantum` (for display only)."""
    if value is None:
        return None
    scaled = value * scale
    return (Decimal(scaled.numerator) / Decimal(scaled.denominator)).quantize(
        quantum, rounding=ROUND_HALF_UP
    )


@dataclass(frozen=True)
class Rates:
    """The counts of one place or unit in one month and the rates computed from them."""

    month: date | None
    dispatched: int
    responded_in_time: int
    evaluated: int
    resolved: int
    satisfied: int
    basically_satisfied: int
    unsatisfied: int
    response: Fraction | None
    resolution: Fraction | None
    satisfaction: Fraction | None
    composite: Fraction | None

    @classmethod
    def from_row(
        cls, row: Any = None, *, month: date | None = None, config: DemandSettings | None = None
    ) -> Rates:
        """Rates of a `DemandTally`, a mapping of its counts, or `None` (no row: all zero)."""
        config = config or demand_settings()
        counts = {name: _count(row, name) for name in COUNT_FIELDS}
        if month is None and row is not None:
            month = row.get("month") if isinstance(row, Mapping) else getattr(row, "month", None)
        evaluated = counts["evaluated"]
        basic_weight = Fraction(config.basic_satisfaction_weight)
        response = _ratio(counts["responded_in_time"], counts["dispatched"])
        resolution = _ratio(counts["resolved"], evaluated)
        satisfaction = _ratio(
            counts["satisfied"] + basic_weight * counts["basically_satisfied"], evaluated
        )
        composite = None
        if response is not None and resolution is not None and satisfaction is not None:
            weights = {k: Fraction(v) for k, v in config.score_weights.items()}
            composite = (
                weights.get("response", Fraction(0)) * response
                + weights.get("resolution", Fraction(0)) * resolution
                + weights.get("satisfaction", Fraction(0)) * satisfaction
            )
        return cls(
            month=month,
            **counts,
            response=response,
            resolution=resolution,
            satisfaction=satisfaction,
            composite=composite,
        )

    # Display helpers: percentages to one decimal, the composite as points out of 100.
    @property
    def response_percent(self) -> Decimal | None:
        return _rounded(self.response, 100, PERCENT)

    @property
    def resolution_percent(self) -> Decimal | None:
        return _rounded(self.resolution, 100, PERCENT)

    @property
    def satisfaction_percent(self) -> Decimal | None:
        return _rounded(self.satisfaction, 100, PERCENT)

    @property
    def score(self) -> Decimal | None:
        return _rounded(self.composite, 100, SCORE)

    @property
    def cells(self) -> list[tuple[str | None, str]]:
        """(value, unit) of the composite score and the three rates, in the order of the
        scorecard's tables; values as plain decimal strings (the city ranking shows
        hundreds of rows: no per-number localization in the template)."""
        pairs = (
            (self.score, ""),
            (self.response_percent, "%"),
            (self.resolution_percent, "%"),
            (self.satisfaction_percent, "%"),
        )
        return [(None if value is None else str(value), unit) for value, unit in pairs]

    @property
    def has_orders(self) -> bool:
        return bool(self.dispatched or self.evaluated)


def _count(row: Any, name: str) -> int:
    if row is None:
        return 0
    value = row.get(name, 0) if isinstance(row, Mapping) else getattr(row, name, 0)
    return int(value or 0)


# ── Months ────────────────────────────────────────────────────────────────────────────────


def current_month() -> date:
    """The first day of this month in the deployment's time zone."""
    return timezone.localdate().replace(day=1)


def add_months(month: date, n: int) -> date:
    """The first day of the month `n` months after (or, negative, before) `month`."""
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def _first_day(month: date | None) -> date:
    return (month or current_month()).replace(day=1)


# ── Queries ───────────────────────────────────────────────────────────────────────────────

Target = Place | Organization


def _target_filter(target: Target) -> dict[str, Any]:
    if isinstance(target, Place):
        return {"place": target}
    if isinstance(target, Organization):
        return {"organization": target}
    raise TypeError(f"A scorecard is kept for a place or a unit, not {type(target).__name__}.")


def _tallies(target: Target) -> Any:
    return DemandTally.objects.filter(**_target_filter(target)).values("month", *COUNT_FIELDS)


def rates_for_place(place: Place, month: date | None = None) -> Rates:
    """The rates of an administrative place (community, street, district, city) in a month
    (this month by default). One query."""
    month = _first_day(month)
    return Rates.from_row(_tallies(place).filter(month=month).first(), month=month)


def rates_for_unit(organization: Organization, month: date | None = None) -> Rates:
    """The rates of a unit or department in a month. One query."""
    month = _first_day(month)
    return Rates.from_row(_tallies(organization).filter(month=month).first(), month=month)


def trend(target: Target, months: int = 12, end: date | None = None) -> list[Rates]:
    """The rates of a place or a unit for the `months` months up to `end` (this month by
    default), oldest first, months without orders included. One query."""
    end = _first_day(end)
    start = add_months(end, -(months - 1))
    rows = {
        row["month"]: row
        for row in _tallies(target).filter(month__gte=start, month__lte=end).order_by()
    }
    config = demand_settings()
    return [
        Rates.from_row(rows.get(month), month=month, config=config)
        for month in (add_months(start, i) for i in range(months))
    ]


@dataclass(frozen=True)
class Ranked:
    """One child place in a ranking; `rank` is shared by ties, None without a score."""

    place: Place
    rates: Rates
    rank: int | None


def ranked_kinds(place: Place) -> frozenset[str]:
    """The kinds of place a scorecard of `place` ranks (empty below the street level)."""
    return RANKED_LEVEL.get(place.kind, frozenset())


def _sort_key(rates: Rates) -> tuple[Fraction, ...]:
    """Higher first: composite, then response, then resolution."""
    return tuple(
        -(value or Fraction(0)) for value in (rates.composite, rates.response, rates.resolution)
    )


def ranking(parent: Place, month: date | None = None) -> list[Ranked]:
    """The children of `parent` at the ranked level (the streets and townships of a district
    or of the city, the communities and villages of a street) with their rates in `month`,
    best first: by composite score, then response rate, then resolution rate. Equal keys
    share a rank (1, 2, 2, 4); places without a score come last, unranked, by code. Two
    queries whatever the number of children: their tallies, and their names."""
    kinds = ranked_kinds(parent)
    if not kinds:
        return []
    month = _first_day(month)
    low, high = path_range(parent.path)
    tallies = {
        row["place_id"]: row
        for row in DemandTally.objects.filter(
            month=month, place__kind__in=kinds, place__path__gte=low, place__path__lt=high
        )
        .order_by()
        .values("place_id", *COUNT_FIELDS)
    }
    children = (
        Place.objects.within(parent)
        .of_kind(*kinds)
        .only("pk", "kind", "code", "name", "name_en", "path")
        .order_by("code", "pk")
    )
    config = demand_settings()
    scored: list[tuple[Place, Rates]] = [
        (child, Rates.from_row(tallies.get(child.pk), month=month, config=config))
        for child in children
    ]
    # Stable sort: among equal keys (and among the unscored) the order by code stays.
    scored.sort(key=lambda pair: (1,) if pair[1].composite is None else (0, *_sort_key(pair[1])))
    result: list[Ranked] = []
    previous: tuple[Fraction, ...] | None = None
    rank = 0
    for position, (child, rates) in enumerate(scored, start=1):
        if rates.composite is None:
            result.append(Ranked(child, rates, None))
            continue
        key = _sort_key(rates)
        if key != previous:
            rank, previous = position, key
        result.append(Ranked(child, rates, rank))
    return result


# ── Whistles blown within a street ────────────────────────────────────────────────────────


@dataclass(frozen=True)
class WhistleMonth:
    """The whistles blown within a place in one month (local time), and how the parties
    they summoned answered: reported on site by the deadline, and the street's scores."""

    month: date
    blown: int
    summoned: int
    reported_in_time: int
    scored: int
    score_total: int

    @property
    def report_rate(self) -> Fraction | None:
        """Summonses reported on site in time ÷ summonses; None without any."""
        return _ratio(self.reported_in_time, self.summoned)

    @property
    def report_percent(self) -> Decimal | None:
        return _rounded(self.report_rate, 100, PERCENT)

    @property
    def average_score(self) -> Decimal | None:
        """The average of the scores given, to 0.1; None when none was given."""
        return _rounded(_ratio(self.score_total, self.scored), 1, PERCENT)


def _month_start(month: date) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=timezone.get_current_timezone())


def whistle_trend(place: Place, months: int = 12, end: date | None = None) -> list[WhistleMonth]:
    """The whistles blown within `place` in each of the `months` months up to `end` (this
    month by default), oldest first, months without whistles included. One query over the
    summonses of the whistles whose `place_path` lies in the place's range (the index
    (place_path, status, id) serves it) and whose `blown_at` falls in the months."""
    end = _first_day(end)
    start = add_months(end, -(months - 1))
    low, high = path_range(place.path)
    tz = timezone.get_current_timezone()
    rows = (
        WhistleSummons.objects.filter(
            whistle__place_path__gte=low,
            whistle__place_path__lt=high,
            whistle__blown_at__gte=_month_start(start),
            whistle__blown_at__lt=_month_start(add_months(end, 1)),
        )
        .annotate(month=TruncMonth("whistle__blown_at", tzinfo=tz))
        .order_by()
        .values("month")
        .annotate(
            blown=Count("whistle_id", distinct=True),
            summoned=Count("pk"),
            in_time=Count("pk", filter=Q(reported_at__lte=F("whistle__report_due_at"))),
            scored=Count("score"),
            score_total=Sum("score"),
        )
    )
    by_month: dict[date, WhistleMonth] = {}
    for row in rows:
        moment = row["month"]
        month = timezone.localtime(moment, tz).date() if isinstance(moment, datetime) else moment
        by_month[month] = WhistleMonth(
            month=month,
            blown=row["blown"],
            summoned=row["summoned"],
            reported_in_time=row["in_time"],
            scored=row["scored"],
            score_total=row["score_total"] or 0,
        )
    return [
        by_month.get(m) or WhistleMonth(m, 0, 0, 0, 0, 0)
        for m in (add_months(start, i) for i in range(months))
    ]

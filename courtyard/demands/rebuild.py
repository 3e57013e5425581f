"""Recompute the three rates' rollup (`DemandTally`) from the raw rows.

`courtyard rebuild_demand_rates [--month YYYY-MM]` calls `rebuild_demand_rates`. It must
give exactly the numbers the incremental upkeep (`demands.rates`) gives:

- dispatch counts come from `Dispatch` rows not returned, in the month of the dispatch;
  "responded in time" is `contacted_at <= response_due_at`;
- evaluation counts come from `Demand` rows with `evaluated_at` set (an evaluation taken
  back by a reopen has cleared it), in the month of the evaluation, for the assignee;
- both count for the demand's administrative places (community, street, district, city:
  `rates.counted_places`) and for the unit.

The raw rows are grouped in the database (place path × unit × month) and read with
`.iterator()`; the administrative ancestors of every distinct path are found with one query
over the administrative places. Rows whose counts are all zero are not written: the
incremental upkeep may leave such rows behind (a returned dispatch), and every reader
treats a missing row as zeros.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, DateField, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from courtyard.demands.models import Demand, DemandTally, Dispatch, Satisfaction
from courtyard.demands.rates import bump, counted_places
from courtyard.demands.scores import COUNT_FIELDS, add_months
from courtyard.places.models import ADMINISTRATIVE_KINDS, Place, parent_path, path_ids, path_range

# (month, "place" | "unit", id) → counts by field
Key = tuple[date, str, int]


@dataclass(frozen=True)
class RebuildResult:
    rows: int  # DemandTally rows written
    dispatches: int  # dispatches counted
    evaluations: int  # evaluations counted


def _month_bounds(month: date) -> tuple[datetime, datetime]:
    """[start, end) of a month in the deployment's time zone, as aware datetimes."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(month, time.min, tzinfo=tz)
    end = datetime.combine(add_months(month, 1), time.min, tzinfo=tz)
    return start, end


def _month(field: str) -> TruncMonth:
    # Truncated in the current time zone, as `rates.month_of` does.
    return TruncMonth(field, output_field=DateField())


def _dispatch_groups(month: date | None, within: str | None = None) -> Iterator[Any]:
    rows = Dispatch.objects.filter(returned_at__isnull=True)
    if within is not None:
        low, high = path_range(within)
        rows = rows.filter(demand__place_path__gte=low, demand__place_path__lt=high)
    if month is not None:
        start, end = _month_bounds(month)
        rows = rows.filter(dispatched_at__gte=start, dispatched_at__lt=end)
    grouped = (
        rows.order_by()
        .values("organization_id", path=F("demand__place_path"), month=_month("dispatched_at"))
        .annotate(
            dispatched=Count("pk"),
            # (not "responded_in_time": Dispatch has a property of that name)
            in_time=Count("pk", filter=Q(contacted_at__lte=F("response_due_at"))),
        )
    )
    return grouped.iterator(chunk_size=5000)


def _evaluation_groups(month: date | None, within: str | None = None) -> Iterator[Any]:
    rows = Demand.objects.filter(evaluated_at__isnull=False)
    if within is not None:
        low, high = path_range(within)
        rows = rows.filter(place_path__gte=low, place_path__lt=high)
    if month is not None:
        start, end = _month_bounds(month)
        rows = rows.filter(evaluated_at__gte=start, evaluated_at__lt=end)
    grouped = (
        rows.order_by()
        .values("assignee_id", path=F("place_path"), month=_month("evaluated_at"))
        .annotate(
            evaluated=Count("pk"),
            resolved=Count("pk", filter=Q(resolved=True)),
            satisfied=Count("pk", filter=Q(satisfaction=Satisfaction.SATISFIED)),
            basically_satisfied=Count("pk", filter=Q(satisfaction=Satisfaction.BASIC)),
            unsatisfied=Count("pk", filter=Q(satisfaction=Satisfaction.UNSATISFIED)),
        )
    )
    return grouped.iterator(chunk_size=5000)


class _AdministrativeAncestors:
    """path → ids of the administrative places along it (`rates.counted_places`, in bulk):
    one query for the ids of all administrative places (~8,000 in Beijing), then a cache."""

    def __init__(self) -> None:
        self.ids = set(
            Place.objects.filter(kind__in=ADMINISTRATIVE_KINDS).values_list("pk", flat=True)
        )
        self.cache: dict[str, list[int]] = {}

    def __call__(self, path: str) -> list[int]:
        found = self.cache.get(path)
        if found is None:
            found = self.cache[path] = [pk for pk in path_ids(path) if pk in self.ids]
        return found


def _lock_tally_table() -> None:
    """Taken before the raw rows are read, so that no action's increment falls between the
    read and the rewrite: an action that has bumped a tally holds its row lock until it
    commits (and the rebuild waits for it, then reads its rows); one that has not yet waits
    for the rebuild and then bumps the rebuilt rows. SQLite's IMMEDIATE transactions
    already serialize writers."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(DemandTally._meta.db_table)
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")


@transaction.atomic
def rebuild_demand_rates(
    month: date | None = None, progress: Callable[[int], None] | None = None
) -> RebuildResult:
    """Recompute `DemandTally` from `Dispatch` and `Demand` rows: every month, or only
    `month` (its first day). Delete and insert in one transaction."""
    if month is not None:
        month = month.replace(day=1)
    _lock_tally_table()
    ancestors = _AdministrativeAncestors()
    totals: defaultdict[Key, Counter[str]] = defaultdict(Counter)
    counted = {"dispatched": 0, "evaluated": 0}
    seen = 0

    def add(group: dict[str, Any], unit_id: int | None, fields: tuple[str, ...]) -> None:
        nonlocal seen
        keys: list[Key] = [(group["month"], "place", pk) for pk in ancestors(group["path"])]
        if unit_id:
            keys.append((group["month"], "unit", unit_id))
        for key in keys:
            counts = totals[key]
            for name in fields:
                counts[name] += group[name]
        seen += 1
        if progress and seen % 10000 == 0:
            progress(seen)

    dispatch_fields = ("dispatched", "responded_in_time")
    for group in _dispatch_groups(month):
        group["responded_in_time"] = group["in_time"]
        add(group, group["organization_id"], dispatch_fields)
        counted["dispatched"] += group["dispatched"]
    evaluation_fields = tuple(f for f in COUNT_FIELDS if f not in dispatch_fields)
    for group in _evaluation_groups(month):
        add(group, group["assignee_id"], evaluation_fields)
        counted["evaluated"] += group["evaluated"]

    old = DemandTally.objects.all() if month is None else DemandTally.objects.filter(month=month)
    old.delete()
    rows = [
        DemandTally(
            month=key_month,
            place_id=pk if kind == "place" else None,
            organization_id=pk if kind == "unit" else None,
            **{name: counts[name] for name in COUNT_FIELDS},
        )
        for (key_month, kind, pk), counts in totals.items()
        if any(counts.values())
    ]
    DemandTally.objects.bulk_create(rows, batch_size=2000)
    return RebuildResult(
        rows=len(rows), dispatches=counted["dispatched"], evaluations=counted["evaluated"]
    )


def move_tallies(place: Place, old_path: str, new_path: str) -> None:
    """A subtree moved (places.actions.move_place): its demands now count for the new
    ancestors, not the old ones. Its totals, read from the raw rows of the subtree, are
    taken from the administrative places above the old position and added above the new
    one; the subtree's own places and the units keep their rows."""
    old_above = counted_places(parent_path(old_path))
    new_above = counted_places(parent_path(new_path))
    if old_above == new_above:
        return
    by_month: defaultdict[date, Counter[str]] = defaultdict(Counter)
    for group in _dispatch_groups(None, within=new_path):
        by_month[group["month"]]["dispatched"] += group["dispatched"]
        by_month[group["month"]]["responded_in_time"] += group["in_time"]
    for group in _evaluation_groups(None, within=new_path):
        for name in COUNT_FIELDS:
            if name not in ("dispatched", "responded_in_time"):
                by_month[group["month"]][name] += group[name]
    for month, counts in by_month.items():
        bump(month, places=old_above, organization_id=None, **{k: -v for k, v in counts.items()})
        bump(month, places=new_above, organization_id=None, **dict(counts))

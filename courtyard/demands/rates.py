"""The three rates' rollup (`DemandTally`): incremental upkeep called by the actions.

Every change is an UPDATE … SET n = n + delta on rows created beforehand with
ignore_conflicts, so concurrent actions never lose a count. The places counted are the
demand's administrative ancestors (community, street, district, city) — not grids or
buildings; the unit is the dispatch's or the demand's assignee.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import connection
from django.db.models import F
from django.utils import timezone

from courtyard.demands.models import Demand, DemandTally, Dispatch, Satisfaction
from courtyard.demands.scores import COUNT_FIELDS
from courtyard.places.models import ADMINISTRATIVE_KINDS, Place, path_ids


def month_of(moment: datetime) -> date:
    """The first day of the month `moment` falls in, in the deployment's time zone."""
    return timezone.localtime(moment).date().replace(day=1)


def counted_places(place_path: str) -> list[int]:
    """Ids of the administrative places a demand at `place_path` counts for."""
    ids = path_ids(place_path)
    return list(
        Place.objects.filter(pk__in=ids, kind__in=ADMINISTRATIVE_KINDS).values_list("pk", flat=True)
    )


def bump(month: date, *, places: list[int], organization_id: int | None, **deltas: int) -> None:
    rows = [DemandTally(month=month, place_id=pk) for pk in places]
    if organization_id:
        rows.append(DemandTally(month=month, organization_id=organization_id))
    DemandTally.objects.bulk_create(rows, ignore_conflicts=True)
    changes = {field: F(field) + delta for field, delta in deltas.items() if delta}
    if not changes:
        return
    DemandTally.objects.filter(month=month, place_id__in=places).update(**changes)
    if organization_id:
        DemandTally.objects.filter(month=month, organization_id=organization_id).update(**changes)


# A tally row: (month, "place" | "unit", id) — the keys `bump_many` takes.
TallyKey = tuple[date, str, int]


def bump_many(deltas: dict[TallyKey, dict[str, int]]) -> None:
    """`bump` for many rows at once (the bulk hotline import): `INSERT … ON CONFLICT (the
    partial unique index) DO UPDATE SET n = n + excluded.n`, in key order (two concurrent
    callers lock rows in the same order) — on PostgreSQL one statement per kind of row
    over `unnest` of one array per column, elsewhere one executemany. A row is made exactly
    when `bump` would have made it: give only keys with something to add."""
    ops = connection.ops
    table = ops.quote_name(DemandTally._meta.db_table)
    counts = [ops.quote_name(name) for name in COUNT_FIELDS]
    sets = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in counts)
    keys = sorted(deltas)
    postgresql = connection.vendor == "postgresql"
    for kind, column in (("place", "place_id"), ("unit", "organization_id")):
        rows = [
            (
                ops.adapt_datefield_value(key[0]),
                key[2],
                *(deltas[key].get(f, 0) for f in COUNT_FIELDS),
            )
            for key in keys
            if key[1] == kind
        ]
        if not rows:
            continue
        if postgresql:
            arrays = ["%s::date[]", "%s::bigint[]", *(["%s::integer[]"] * len(counts))]
            values = f"SELECT * FROM unnest({', '.join(arrays)})"  # noqa: S608 (placeholders)
        else:
            values = f"VALUES ({', '.join(['%s'] * (2 + len(counts)))})"
        # Table and column names from the model's metadata; values as parameters. The
        # conflict target names the partial unique index of that kind of row.
        sql = (
            f"INSERT INTO {table} (month, {column}, {', '.join(counts)}) {values} "
            f"ON CONFLICT ({column}, month) WHERE {column} IS NOT NULL DO UPDATE SET {sets}"
        )
        with connection.cursor() as cursor:
            if postgresql:
                cursor.execute(sql, [list(each) for each in zip(*rows, strict=True)])
            else:
                cursor.executemany(sql, rows)


def record_dispatch(dispatch: Dispatch, sign: int = 1) -> None:
    """A dispatch counts (or, returned, stops counting) in its month."""
    demand = dispatch.demand
    bump(
        month_of(dispatch.dispatched_at),
        places=counted_places(demand.place_path),
        organization_id=dispatch.organization_id,
        dispatched=sign,
        responded_in_time=sign if dispatch.responded_in_time else 0,
    )


def record_response(dispatch: Dispatch) -> None:
    """The first contact came in time: count it in the dispatch's month."""
    if dispatch.responded_in_time and dispatch.returned_at is None:
        bump(
            month_of(dispatch.dispatched_at),
            places=counted_places(dispatch.demand.place_path),
            organization_id=dispatch.organization_id,
            responded_in_time=1,
        )


def evaluation_deltas(demand: Demand, sign: int = 1) -> dict[str, int]:
    return {
        "evaluated": sign,
        "resolved": sign if demand.resolved else 0,
        "satisfied": sign if demand.satisfaction == Satisfaction.SATISFIED else 0,
        "basically_satisfied": sign if demand.satisfaction == Satisfaction.BASIC else 0,
        "unsatisfied": sign if demand.satisfaction == Satisfaction.UNSATISFIED else 0,
    }


def record_evaluation(demand: Demand, sign: int = 1) -> None:
    """An evaluation counts in its month (sign=-1 takes it back when a demand reopens)."""
    assert demand.evaluated_at is not None
    bump(
        month_of(demand.evaluated_at),
        places=counted_places(demand.place_path),
        organization_id=demand.assignee_id,
        **evaluation_deltas(demand, sign),
    )

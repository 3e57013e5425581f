"""The three rates' rollup (`DemandTally`): incremental upkeep called by the actions.

Every change is an UPDATE … SET n = n + delta on rows created beforehand with
ignore_conflicts, so concurrent actions never lose a count. The places counted are the
demand's administrative ancestors (community, street, district, city) — not grids or
buildings; the unit is the dispatch's or the demand's assignee.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import F
from django.utils import timezone

from courtyard.demands.models import Demand, DemandTally, Dispatch, Satisfaction
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

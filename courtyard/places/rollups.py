"""The place counts rollup (`PlaceCount`): incremental upkeep and a full rebuild.

A *count source* yields `(path, item)` for every thing it counts, where `path` is the path
of the place the thing sits at; the thing then counts for that place and every ancestor.
Other apps register their sources in `AppConfig.ready` (organizations counts units there).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator

from django.db import connection, transaction
from django.db.models import F

from courtyard.places.models import Place, PlaceCount, parent_path, path_ids

CountSource = Callable[[], Iterable[tuple[str, str]]]
_sources: dict[str, CountSource] = {}


def register_count_source(name: str, source: CountSource) -> None:
    _sources[name] = source


def _places_by_kind() -> Iterator[tuple[str, str]]:
    """Each place counts, by its kind, for its parent and the parent's ancestors."""
    rows = Place.objects.filter(parent__isnull=False).values_list("path", "kind")
    for path, kind in rows.iterator(chunk_size=5000):
        yield parent_path(path), kind


register_count_source("places", _places_by_kind)


def adjust_counts(path: str, item: str, delta: int) -> None:
    """Add `delta` to `item` at the place with `path` and at all its ancestors.

    Race-free: missing rows are created with 0 (ignoring conflicts), then incremented
    with an UPDATE … SET count = count + delta.
    """
    ids = path_ids(path)
    if not ids or not delta:
        return
    PlaceCount.objects.bulk_create(
        [PlaceCount(place_id=pk, item=item, count=0) for pk in ids], ignore_conflicts=True
    )
    PlaceCount.objects.filter(place_id__in=ids, item=item).update(count=F("count") + delta)


def apply_count_deltas(deltas: Counter[tuple[int, str]]) -> None:
    """Add many (place id, item) → delta changes at once: one UPDATE per distinct pair,
    and new places share their ancestors, so a whole tree costs a few hundred."""
    PlaceCount.objects.bulk_create(
        [PlaceCount(place_id=pk, item=item, count=0) for pk, item in deltas],
        ignore_conflicts=True,
        batch_size=1000,
    )
    for (pk, item), delta in deltas.items():
        if delta:
            PlaceCount.objects.filter(place_id=pk, item=item).update(count=F("count") + delta)


def counts_for(place: Place) -> dict[str, int]:
    """{item: count} for one place (one query)."""
    return dict(place.counts.filter(count__gt=0).values_list("item", "count"))


@transaction.atomic
def rebuild_place_counts(progress: Callable[[int], None] | None = None) -> int:
    """Recompute every count from the raw rows; returns the number of rollup rows."""
    if connection.vendor == "postgresql":
        # Locked before the raw rows are read: an increment committed after the read would
        # be lost. SQLite's IMMEDIATE transactions already serialize writers.
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(PlaceCount._meta.db_table)
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
    totals: Counter[tuple[int, str]] = Counter()
    seen = 0
    for source in _sources.values():
        for path, item in source():
            for pk in path_ids(path):
                totals[(pk, item)] += 1
            seen += 1
            if progress and seen % 10000 == 0:
                progress(seen)
    PlaceCount.objects.all().delete()
    PlaceCount.objects.bulk_create(
        (PlaceCount(place_id=pk, item=item, count=n) for (pk, item), n in totals.items()),
        batch_size=2000,
    )
    return len(totals)

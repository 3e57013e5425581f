"""Bulk upkeep of materialized paths, for importers and generators that insert many places.

Rows are inserted with an empty path, parents before children; `fill_paths` then sets
every empty path with one UPDATE per tree level (parent path + own zero-padded id).
"""

from __future__ import annotations

from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat, LPad

from courtyard.places.models import SEGMENT, Place


def _own_segment() -> LPad:
    return LPad(Cast("pk", output_field=CharField()), SEGMENT, Value("0"))


def fill_paths() -> int:
    """Give every place with an empty path its path; returns how many were filled.

    Raises RuntimeError if a row cannot be reached from a parent that has a path (which
    would mean a parent was inserted after its child).
    """
    filled = Place.objects.filter(path="", parent__isnull=True).update(path=_own_segment())
    parent_path = Subquery(Place.objects.filter(pk=OuterRef("parent_id")).values("path")[:1])
    while True:
        ready = Place.objects.filter(path="", parent__isnull=False).exclude(parent__path="")
        done = Place.objects.filter(pk__in=Subquery(ready.values("pk"))).update(
            path=Concat(parent_path, _own_segment(), output_field=CharField())
        )
        filled += done
        if not done:
            break
    if Place.objects.filter(path="").exists():
        raise RuntimeError("Some places could not get a path: a parent has none.")
    return filled

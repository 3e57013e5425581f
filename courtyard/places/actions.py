"""Writes to the place tree. Each action is atomic and leaves an audit row."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from courtyard.core.audit import diff, record_event
from courtyard.core.errors import BadInput, Conflict
from courtyard.places.models import (
    Place,
    PlaceKind,
    may_sit_under,
    parent_path,
    placement_error,
    segment,
)
from courtyard.places.rollups import adjust_counts
from courtyard.places.tree import rewrite_paths, run_move_hooks


def _check_kind(kind: str, parent: Place | None) -> None:
    if kind not in PlaceKind.values:
        raise BadInput(_("Unknown kind of place: %(kind)s.") % {"kind": kind}, field="kind")
    parent_kind = parent.kind if parent else None
    if not may_sit_under(kind, parent_kind):
        raise BadInput(placement_error(kind, parent_kind), field="parent")


@transaction.atomic
def create_place(
    *, by: Any, parent: Place | None, kind: str, code: str, name: str, name_en: str = ""
) -> Place:
    """Add one place under `parent`; its kind must be allowed there and its code unused."""
    if parent is not None:  # its path as committed now, not as the caller read it
        parent = Place.objects.select_for_update().get(pk=parent.pk)
    _check_kind(kind, parent)
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise BadInput(_("A place needs a code and a name."))
    duplicate = Conflict(_("The code %(code)s is already used.") % {"code": code}, field="code")
    if Place.objects.filter(code=code).exists():
        raise duplicate
    try:
        with transaction.atomic():  # the unique code decides a race
            place = Place.objects.create(
                parent=parent, kind=kind, code=code, name=name, name_en=name_en
            )
    except IntegrityError as exc:
        raise duplicate from exc
    place.path = (parent.path if parent else "") + segment(place.pk)
    place.save(update_fields=["path"])
    if parent:
        adjust_counts(parent.path, kind, 1)
    record_event(
        by=by,
        verb="create_place",
        target=place,
        changes={"name": [None, name], "parent": [None, parent.pk if parent else None]},
        place_path=place.path,
    )
    return place


@transaction.atomic
def rename_place(place: Place, *, by: Any, name: str, name_en: str) -> Place:
    # The stored names, not the instance's: an admin form may already have changed those.
    before: dict[str, Any] = dict(Place.objects.filter(pk=place.pk).values("name", "name_en").get())
    place.name, place.name_en = name.strip(), name_en.strip()
    if not place.name:
        raise BadInput(_("A place needs a name."), field="name")
    place.save(update_fields=["name", "name_en"])
    record_event(
        by=by, verb="rename_place", target=place, changes=diff(before, place), place_path=place.path
    )
    return place


@transaction.atomic
def move_place(place: Place, *, by: Any, new_parent: Place) -> Place:
    """Move a place and its whole subtree under `new_parent`, rewriting every path below it
    with one UPDATE and moving its counts from the old ancestors to the new ones."""
    place = Place.objects.select_for_update().get(pk=place.pk)
    new_parent = Place.objects.select_for_update().get(pk=new_parent.pk)
    if new_parent.is_within(place):
        raise BadInput(_("A place cannot be moved into its own subtree."), field="parent")
    _check_kind(place.kind, new_parent)
    old_parent_path, old_path = parent_path(place.path), place.path
    new_path = new_parent.path + segment(place.pk)
    if new_path == old_path:
        return place
    moved = dict(place.counts.values_list("item", "count"))
    moved[place.kind] = moved.get(place.kind, 0) + 1
    rewrite_paths(old_path, new_path)
    run_move_hooks(place, old_path, new_path)
    old_parent_id = place.parent_id
    Place.objects.filter(pk=place.pk).update(parent=new_parent)
    for item, n in moved.items():
        adjust_counts(old_parent_path, item, -n)
        adjust_counts(new_parent.path, item, n)
    place.refresh_from_db()
    record_event(
        by=by,
        verb="move_place",
        target=place,
        changes={"parent": [old_parent_id, new_parent.pk], "path": [old_path, new_path]},
        place_path=place.path,
    )
    return place


BOX_FIELDS = ("min_latitude", "max_latitude", "min_longitude", "max_longitude")


def _degrees(value: Any, field: str, limit: int) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise BadInput(_("Give the position as decimal degrees."), field=field) from exc
    if not number.is_finite() or abs(number) > limit:
        raise BadInput(_("This latitude or longitude is out of range."), field=field)
    return number.quantize(Decimal("0.000001"))


@transaction.atomic
def set_place_box(
    place: Place,
    *,
    by: Any,
    min_latitude: Any,
    max_latitude: Any,
    min_longitude: Any,
    max_longitude: Any,
) -> Place:
    """Set a place's bounding box (all four edges), or clear it (all four None): demands
    raised within the place must then put their map point inside it (or inside the
    nearest ancestor's box when the place has none)."""
    place = Place.objects.select_for_update().get(pk=place.pk)
    raw = dict(
        zip(BOX_FIELDS, (min_latitude, max_latitude, min_longitude, max_longitude), strict=True)
    )
    given = {name for name, value in raw.items() if value not in (None, "")}
    if given and given != set(BOX_FIELDS):
        raise BadInput(_("Give all four edges of the box, or none."), field="min_latitude")
    new: dict[str, Decimal | None] = dict.fromkeys(BOX_FIELDS)
    if given:
        for name, value in raw.items():
            new[name] = _degrees(value, name, 90 if "latitude" in name else 180)
        low_lat, high_lat = new["min_latitude"], new["max_latitude"]
        low_long, high_long = new["min_longitude"], new["max_longitude"]
        assert low_lat is not None and high_lat is not None
        assert low_long is not None and high_long is not None
        if low_lat > high_lat or low_long > high_long:
            raise BadInput(
                _("The southern and western edges come before the northern and eastern ones."),
                field="min_latitude",
            )
    before = {name: getattr(place, name) for name in BOX_FIELDS}
    if before == new:
        return place
    for name, value in new.items():
        setattr(place, name, value)
    place.save(update_fields=list(BOX_FIELDS))
    record_event(
        by=by,
        verb="set_place_box",
        target=place,
        changes={
            name: [
                None if before[name] is None else str(before[name]),
                None if value is None else str(value),
            ]
            for name, value in new.items()
            if before[name] != value
        },
        place_path=place.path,
    )
    return place

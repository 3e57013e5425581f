"""Writes to the place tree. Each action is atomic and leaves an audit row."""

from __future__ import annotations

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

"""Bulk upkeep of materialized paths: filling them after bulk inserts, rewriting them when
a subtree moves.

Rows are inserted with an empty path, parents before children; `fill_paths` then sets
every empty path with one UPDATE … FROM per tree level (parent path + own zero-padded id).
Other tables keep a copy of their place's path (`place_path`) for indexed scoping; they
register it here so that `rewrite_paths` keeps every copy right when a subtree moves.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection, models
from django.db.models import CharField, Value
from django.db.models.functions import Concat, Substr

from courtyard.places.models import SEGMENT, Place, path_range

_path_copies: list[tuple[type[models.Model], str]] = [(Place, "path")]


def register_path_copy(model: type[models.Model], field: str = "place_path") -> None:
    """Declare that `model.field` holds a copy of a place path."""
    if (model, field) not in _path_copies:
        _path_copies.append((model, field))


_move_hooks: list[Callable[[Place, str, str], None]] = []


def register_move_hook(hook: Callable[[Place, str, str], None]) -> None:
    """`hook(place, old_path, new_path)` runs inside move_place, after the paths are
    rewritten: for rollups other apps keep by place (demand tallies)."""
    if hook not in _move_hooks:
        _move_hooks.append(hook)


def run_move_hooks(place: Place, old: str, new: str) -> None:
    for hook in _move_hooks:
        hook(place, old, new)


def rewrite_paths(old: str, new: str) -> None:
    """Replace the prefix `old` by `new` in every path and path copy (one UPDATE each)."""
    low, high = path_range(old)
    for model, field in _path_copies:
        model._default_manager.filter(**{f"{field}__gte": low, f"{field}__lt": high}).update(
            **{field: Concat(Value(new), Substr(field, len(old) + 1), output_field=CharField())}
        )


def _own_segment(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"lpad(CAST({column} AS text), {SEGMENT}, '0')"
    return f"substr('{'0' * SEGMENT}' || {column}, -{SEGMENT})"


def fill_paths() -> int:
    """Give every place with an empty path its path; returns how many were filled.

    Raises RuntimeError if a row cannot be reached from a parent that has a path (which
    would mean a parent was inserted after its child).
    """
    table = connection.ops.quote_name(Place._meta.db_table)
    filled = 0
    with connection.cursor() as cursor:
        # Roots: their own segment. SQL without any input: table and column names only.
        cursor.execute(
            f"UPDATE {table} SET path = {_own_segment('id')} "  # noqa: S608
            "WHERE path = '' AND parent_id IS NULL"
        )
        filled += cursor.rowcount
        while True:
            # SQLite (3.33+) and PostgreSQL both join the parent with UPDATE … FROM.
            cursor.execute(
                f"UPDATE {table} SET path = parent.path || {_own_segment(table + '.id')} "  # noqa: S608
                f"FROM {table} AS parent "
                f"WHERE {table}.parent_id = parent.id AND {table}.path = '' AND parent.path <> ''"
            )
            if cursor.rowcount <= 0:
                break
            filled += cursor.rowcount
    if Place.objects.filter(path="").exists():
        raise RuntimeError("Some places could not get a path: a parent has none.")
    return filled

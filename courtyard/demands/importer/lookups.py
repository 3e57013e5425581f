"""What the rows of an import refer to, fetched a batch at a time (never a query per row).

Kept for the whole import (they do not change under it): categories (all of them, once),
places by code, units by credit code or name, which places are administrative (the ones a
demand counts for in the rates). Read afresh for each batch: the responsibility table
(`route`, what `routing.responsible_unit` answers), and in the batch's transaction whether
the units are still active (`lock_units`, as `dispatch_demand` locks its unit).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection
from django.db.models import Field, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.demands.importer.checking import CREDIT_CODE_RE
from courtyard.demands.models import Demand, Responsibility, ServiceCategory
from courtyard.organizations.models import Organization
from courtyard.places.models import ADMINISTRATIVE_KINDS, Place, path_ids

IN_CHUNK = 900  # values per IN (…) off PostgreSQL: under SQLite's oldest limit of 999


def in_chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    items = sorted(values)
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]


def select_in(
    sql: str, values: Iterable[Any], params: Iterable[Any] = (), *, lock: bool = False
) -> list[tuple[Any, ...]]:
    """The rows of `sql`, which ends in "… <column>", for the column's `values`: on
    PostgreSQL `= ANY(%s)` with the values as one array (planned in a third of the time of
    an IN list of thousands), elsewhere IN (…) chunks. `lock`: FOR UPDATE where there is
    such a thing. Table and column names in `sql` come from models' metadata; every value
    is a parameter."""
    items = sorted(set(values))
    if not items:
        return []
    suffix = " FOR UPDATE" if lock and connection.features.has_select_for_update else ""
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"{sql} = ANY(%s){suffix}", [*params, items])
            return list(cursor.fetchall())
        for chunk in in_chunks(items):
            cursor.execute(
                f"{sql} IN ({', '.join(['%s'] * len(chunk))}){suffix}", [*params, *chunk]
            )
            rows += cursor.fetchall()
    return rows


def objects_in[M: Model](
    model: type[M], sql: str, values: Iterable[Any], params: Iterable[Any] = ()
) -> list[M]:
    """`select_in` for whole objects: `sql` is "SELECT * FROM <table> WHERE … <column>"."""
    items = sorted(set(values))
    if not items:
        return []
    if connection.vendor == "postgresql":
        return list(model.objects.raw(f"{sql} = ANY(%s)", [*params, items]))  # type: ignore[attr-defined]
    found: list[M] = []
    for chunk in in_chunks(items):
        where = f"{sql} IN ({', '.join(['%s'] * len(chunk))})"
        found += model.objects.raw(where, [*params, *chunk])  # type: ignore[attr-defined]
    return found


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, Field)
    return connection.ops.quote_name(str(field.column))


def existing_numbers(numbers: Iterable[str]) -> set[str]:
    """The order numbers among `numbers` that a demand already has."""
    number = _column(Demand, "external_id")
    sql = f"SELECT {number} FROM {_table(Demand)} WHERE {number}"  # noqa: S608
    return {str(row[0]) for row in select_in(sql, set(numbers) - {""})}


class Lookups:
    """See the module docstring."""

    def __init__(self) -> None:
        self.categories = {c.service_code: c for c in ServiceCategory.objects.all()}
        parents = {c.pk: c.parent_id for c in self.categories.values()}
        # category → it and its ancestors, most specific first (`routing.category_chain`)
        self.chains: dict[int, list[int]] = {}
        for pk in parents:
            chain: list[int] = []
            current: int | None = pk
            while current is not None and current not in chain:
                chain.append(current)
                current = parents.get(current)
            self.chains[pk] = chain
        self.places: dict[str, Place | None] = {}
        self.units: dict[str, Organization | str] = {}  # value → unit, or why not
        self.administrative: dict[int, bool] = {}
        self.zone = timezone.get_current_timezone()  # local times in the file are in it

    # Kept for the import ---------------------------------------------------------------

    def fetch_places(self, codes: set[str]) -> None:
        missing = {code for code in codes if code not in self.places}
        sql = f"SELECT * FROM {_table(Place)} WHERE {_column(Place, 'code')}"  # noqa: S608
        found = {p.code: p for p in objects_in(Place, sql, missing)}
        for code in missing:
            self.places[code] = found.get(code)

    def fetch_units(self, values: set[str]) -> None:
        """Resolve unit cells: a credit code names any organization with it, a name only an
        active one; two organizations with the name make the name ambiguous."""
        missing = {v for v in values if v not in self.units}
        codes = {v for v in missing if CREDIT_CODE_RE.match(v.upper())}
        table = _table(Organization)
        by_code: defaultdict[str, list[Organization]] = defaultdict(list)
        sql = f"SELECT * FROM {table} WHERE {_column(Organization, 'credit_code')}"  # noqa: S608
        for org in objects_in(Organization, sql, {v.upper() for v in codes}):
            by_code[org.credit_code or ""].append(org)
        by_name: defaultdict[str, list[Organization]] = defaultdict(list)
        active, name = _column(Organization, "is_active"), _column(Organization, "name")
        sql = f"SELECT * FROM {table} WHERE {active} = %s AND {name}"  # noqa: S608
        for org in objects_in(Organization, sql, missing - codes, [True]):
            by_name[org.name].append(org)
        for value in missing:
            units = by_code[value.upper()] if value in codes else by_name[value]
            if not units:
                self.units[value] = _("unknown unit %(unit)s") % {"unit": value}
            elif len(units) > 1:
                self.units[value] = _(
                    "more than one organization is named %(unit)s: give its credit code"
                ) % {"unit": value}
            else:
                self.units[value] = units[0]

    def unit(self, value: str) -> Organization | str:
        if value not in self.units:
            self.fetch_units({value})
        return self.units[value]

    def counted_places(self, place_path: str) -> list[int]:
        """`rates.counted_places` from the cache: the administrative places along the path."""
        ids = path_ids(place_path)
        missing = [pk for pk in ids if pk not in self.administrative]
        if missing:
            self.fetch_administrative(missing)
        return [pk for pk in ids if self.administrative[pk]]

    def fetch_administrative(self, ids: Iterable[int]) -> None:
        missing = {pk for pk in ids if pk not in self.administrative}
        kinds = sorted(ADMINISTRATIVE_KINDS)
        sql = (
            f"SELECT {_column(Place, 'id')} FROM {_table(Place)} "  # noqa: S608
            f"WHERE {_column(Place, 'kind')} IN ({', '.join(['%s'] * len(kinds))}) "
            f"AND {_column(Place, 'id')}"
        )
        found = {row[0] for row in select_in(sql, missing, kinds)}
        for pk in missing:
            self.administrative[pk] = pk in found

    # Read in the batch's transaction ---------------------------------------------------

    def lock_units(self, ids: set[int]) -> dict[int, bool]:
        """Whether each unit is active, as it is now: the rows locked as `dispatch_demand`
        locks its unit, so that none is deactivated before the batch commits."""
        pk, active = _column(Organization, "id"), _column(Organization, "is_active")
        sql = f"SELECT {pk}, {active} FROM {_table(Organization)} WHERE {pk}"  # noqa: S608
        return {row[0]: bool(row[1]) for row in select_in(sql, ids, lock=True)}

    def route(self, pairs: list[tuple[int, str]]) -> list[int | None]:
        """For each (category id, place path), the unit `routing.responsible_unit` names:
        the nearest place with a row wins, at one place the most specific category, then
        the place's fallback (category empty); inactive units are passed over. One query
        per IN chunk of the places along the paths."""
        places = {pk for _, path in pairs for pk in path_ids(path)}
        rows: defaultdict[int, list[tuple[int | None, int]]] = defaultdict(list)
        r_place, r_category = _column(Responsibility, "place"), _column(Responsibility, "category")
        r_unit = _column(Responsibility, "organization")
        o_id, o_active = _column(Organization, "id"), _column(Organization, "is_active")
        sql = (
            f"SELECT r.{r_place}, r.{r_category}, r.{r_unit} "  # noqa: S608
            f"FROM {_table(Responsibility)} r JOIN {_table(Organization)} o "
            f"ON o.{o_id} = r.{r_unit} WHERE o.{o_active} = %s AND r.{r_place}"
        )
        for place, category, organization in select_in(sql, places, [True]):
            rows[place].append((category, organization))
        chosen: list[int | None] = []
        for category, path in pairs:
            chain = self.chains[category]
            unit: int | None = None
            for place in reversed(path_ids(path)):  # nearest first
                best: int | None = None
                for row_category, row_unit in rows.get(place, ()):
                    if row_category is None:
                        rank = len(chain)
                    elif row_category in chain:
                        rank = chain.index(row_category)
                    else:
                        continue
                    if best is None or rank < best:
                        best, unit = rank, row_unit
                if best is not None:
                    break
            chosen.append(unit)
        return chosen

"""Running an import batch by batch: `prepare` (check the rows, route the dispatches, plan
the rows: Python and reads, no write) then `commit` (one transaction: what may have changed
is read again, the batch is written).

On its own connection (the command) the two overlap: a writer thread with a connection of
its own commits batch N while this thread prepares batch N+1 (both drivers let go of the
interpreter while the database works), so the import costs about the larger of the two
instead of their sum. Inside a caller's transaction (the tests' `db`) everything runs in
this thread and that transaction.

Invariants:
- The writer thread holds the only write transaction; this thread reads only (places,
  units, the responsibility table; the order numbers of the next batch only while the
  writer is idle, so that even SQLite's in-memory shared cache, which locks tables, is
  never read under a write).
- A batch is all or nothing; a row refused in `commit` (a unit deactivated meanwhile)
  is reported like any bad row; the results of every batch are summed in this thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, connections, transaction
from django.utils.translation import gettext as _

from courtyard.core.errors import BadInput
from courtyard.demands.conf import DemandSettings
from courtyard.demands.importer.checking import (
    BadRow,
    Order,
    check_as_actions,
    check_row,
    reason,
)
from courtyard.demands.importer.lookups import Lookups, existing_numbers
from courtyard.demands.importer.writing import BatchWriter, Planned, plan
from courtyard.places.models import path_ids

ATTEMPTS = 3  # a batch that collides with another import's order numbers is tried again
CACHE_KIB = 64 * 1024  # SQLite's page cache for the connection that writes

Records = list[tuple[int, dict[str, Any]]]
Problems = list[tuple[int, str]]


@dataclass
class ImportResult:
    created: int = 0
    existing: int = 0
    errors: Problems = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Prepared:
    """A batch ready to commit: its planned orders, and its size (for the progress)."""

    size: int
    planned: list[Planned]


@dataclass
class Run:
    """What the batches of one import share; see the module docstring."""

    lookups: Lookups
    writer: BatchWriter
    config: DemandSettings
    now: datetime
    first_line: dict[str, int] = field(default_factory=dict)  # order number → first line

    def run(
        self,
        batches: Iterable[Records],
        result: ImportResult,
        progress: Callable[[int], None] | None,
        *,
        pipeline: bool,
    ) -> None:
        if not pipeline:
            for records in batches:
                prepared = self.prepare(records, self.existing(records), result)
                self.collect(self.commit(prepared), prepared.size, result, progress)
            return
        with ThreadPoolExecutor(1, thread_name_prefix="import_demands") as pool:
            try:
                self.overlap(pool, iter(batches), result, progress)
            finally:
                pool.submit(connections.close_all).result()  # the writer's connection

    def overlap(
        self,
        pool: ThreadPoolExecutor,
        batches: Iterator[Records],
        result: ImportResult,
        progress: Callable[[int], None] | None,
    ) -> None:
        pending: tuple[Future[tuple[int, int, Problems]], int] | None = None
        records = next(batches, None)
        existing = self.existing(records) if records else set()
        while records is not None:
            prepared = self.prepare(records, existing, result)
            if pending is not None:  # the writer is idle once this returns
                self.collect(pending[0].result(), pending[1], result, progress)
            records = next(batches, None)
            existing = self.existing(records) if records else set()
            pending = (pool.submit(self.commit, prepared, own_connection=True), prepared.size)
        if pending is not None:
            self.collect(pending[0].result(), pending[1], result, progress)

    @staticmethod
    def existing(records: Records) -> set[str]:
        return existing_numbers(str(r.get("external_id", "")) for _, r in records)

    @staticmethod
    def collect(
        outcome: tuple[int, int, Problems],
        size: int,
        result: ImportResult,
        progress: Callable[[int], None] | None,
    ) -> None:
        created, existing, errors = outcome
        result.created += created
        result.existing += existing
        result.errors += errors
        if progress:
            progress(size)

    # Preparing (reads only) ------------------------------------------------------------

    def prepare(self, records: Records, existing: set[str], result: ImportResult) -> Prepared:
        """Check the rows (the bad ones reported, the existing counted, in the order of the
        rows), route the dispatches by the responsibility table and plan the good rows."""
        lookups = self.lookups
        fresh = [r for _, r in records if str(r.get("external_id", "")) not in existing]
        lookups.fetch_places({str(r.get("place_code", "")) for r in fresh} - {""})
        lookups.fetch_units({str(r.get("unit", "")) for r in fresh} - {""})
        orders = list(self.check(records, existing, result))
        to_route = [o for o in orders if o.dispatched and o.unit is None]
        routed = dict(
            zip(
                (id(order) for order in to_route),
                lookups.route([(o.category.pk, o.place.path) for o in to_route]),
                strict=True,
            )
        )
        lookups.fetch_administrative({pk for order in orders for pk in path_ids(order.place.path)})
        planned: list[Planned] = []
        for order in orders:
            unit_id: int | None = None
            if order.dispatched:  # what `dispatch_demand` would refuse, first
                unit_id = order.unit.pk if order.unit is not None else routed[id(order)]
                problem = ""
                if unit_id is None:
                    problem = no_unit()
                elif order.unit is not None and not order.unit.is_active:
                    problem = inactive_unit()
                if problem:
                    result.errors.append((order.line, problem))
                    continue
            if order.later_problem:  # the reply, refused after a dispatch that went through
                result.errors.append((order.line, order.later_problem))
                continue
            planned.append(self.plan(order, unit_id))
        if connection.vendor == "postgresql":  # numbered here: less for the writer to do
            self.writer.number(planned)
        return Prepared(len(records), planned)

    def check(self, records: Records, existing: set[str], result: ImportResult) -> Iterator[Order]:
        for line, row in records:
            number = str(row.get("external_id", ""))
            # A number seen on an earlier line of this file is a repeat, whether that line
            # was imported (in an earlier batch) or refused; one in the database before
            # that is simply there already.
            if number and number in self.first_line:
                result.errors.append(
                    (
                        line,
                        _("the order number %(id)s appears again (first on line %(first)d)")
                        % {"id": number, "first": self.first_line[number]},
                    )
                )
                continue
            if number in existing:
                result.existing += 1
                continue
            if number:
                self.first_line[number] = line
            try:
                order = check_row(line, row, self.lookups, self.now)
                check_as_actions(order)
            except BadRow as exc:
                result.errors.append((line, str(exc)))
            else:
                yield order

    def plan(self, order: Order, unit_id: int | None) -> Planned:
        places = self.lookups.counted_places(order.place.path)
        planned = plan(order, unit_id, places, self.config, self.writer.rows)
        self.writer.prepare(planned)
        return planned

    # Committing (the one transaction of a batch) ---------------------------------------

    def commit(
        self, prepared: Prepared, *, own_connection: bool = False
    ) -> tuple[int, int, Problems]:
        """(created, found existing meanwhile, rows refused now). `own_connection`: in the
        writer thread, whose connection gets the bigger page cache on SQLite."""
        if own_connection and connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {-CACHE_KIB:d}")
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with transaction.atomic():
                    return self.write(prepared.planned)
            except IntegrityError:
                if attempt == ATTEMPTS:
                    raise
                # another import wrote one of these order numbers: check them again
        raise AssertionError("unreachable")

    def write(self, batch: list[Planned]) -> tuple[int, int, Problems]:
        """Read again what may have changed since `prepare` (order numbers, whether the
        units are active, locked as `dispatch_demand` locks its unit), then write."""
        taken = existing_numbers(planned.order.external_id for planned in batch)
        fresh = [planned for planned in batch if planned.order.external_id not in taken]
        units = {p.demand.assignee_id for p in fresh if p.dispatch is not None}
        active = self.lookups.lock_units({pk for pk in units if pk is not None})
        kept: list[Planned] = []
        errors: Problems = []
        for planned in fresh:
            order, unit_id = planned.order, planned.demand.assignee_id
            if planned.dispatch is not None and not active.get(unit_id or 0, False):
                if order.unit is not None:  # named in the file, deactivated since
                    errors.append((order.line, inactive_unit()))
                    continue
                # routed to a unit deactivated since: routed again, as the action would be
                unit_id = self.lookups.route([(order.category.pk, order.place.path)])[0]
                if unit_id is None:
                    errors.append((order.line, no_unit()))
                    continue
                planned = self.plan(order, unit_id)
            kept.append(planned)
        if kept:
            self.writer.write(kept)
        return len(kept), len(batch) - len(fresh), errors


def no_unit() -> str:
    """`dispatch_demand`'s refusal when the responsibility table names no unit."""
    return reason(
        BadInput(
            _(
                "No unit answers for this category here, and the district has no fallback: "
                "choose the unit by hand."
            ),
            field="organization",
        )
    )


def inactive_unit() -> str:
    """`dispatch_demand`'s refusal of a unit that is not active."""
    return reason(BadInput(_("This unit is no longer active."), field="organization"))

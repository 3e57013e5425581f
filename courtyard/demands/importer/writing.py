"""Writing checked orders in bulk: each order's final state computed as the actions would
leave it, then one INSERT (COPY on PostgreSQL) per table per batch and the rates' deltas
applied once.

`plan` follows the replay the import used to run (`submit_demand`, then `answer_demand`,
`decline_demand` or `accept_demand`, or `dispatch_demand`, `sign_demand`,
`contact_requester`, `reply_demand`, `evaluate_demand` or `close_demand`, each with `now=`
the recorded time): the same stamps, the same deadlines (`generator.stamp_dispatch`, with
`clock.add_time` and `conf`), the same `Dispatch` row, the same audit rows (verb, changes,
time, in the order of the steps) and the same `DemandTally` increments (`rates`' rules:
a dispatch in its month, in time if first contact came by its deadline, an evaluation in
its month, for the administrative places along the path and the unit).

`BatchWriter.prepare` turns a planned order into database rows without ids (pure Python,
no query); `BatchWriter.write` reserves the ids, fills them in and writes the batch.

Invariants:
- Call `BatchWriter.write` inside a transaction: the ids are reserved in it
  (`reserve_ids`), and the batch is all or nothing.
- Ids ascend in the order of the steps, so a demand's timeline (audit rows by id) reads
  in the order it happened, as when each step wrote its row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.utils import timezone

from courtyard.core.models import AuditEvent
from courtyard.demands.conf import DemandSettings
from courtyard.demands.generator import RowWriter, stamp_dispatch
from courtyard.demands.importer.checking import Order
from courtyard.demands.models import Demand, Dispatch, Status
from courtyard.demands.rates import TallyKey, bump_many, evaluation_deltas
from courtyard.demands.scores import COUNT_FIELDS


@dataclass
class Planned:
    """One order's rows, unsaved: the demand, its dispatch, its audit steps as (verb,
    changes, time) and the administrative places it counts for; then (`prepare`) the
    same as database rows without their ids, and its tally increments."""

    order: Order
    demand: Demand
    dispatch: Dispatch | None
    steps: list[tuple[str, dict[str, list[Any]], datetime]] = field(default_factory=list)
    places: list[int] = field(default_factory=list)
    demand_row: list[Any] = field(default_factory=list)
    dispatch_row: list[Any] | None = None
    event_rows: list[list[Any]] = field(default_factory=list)
    tallies: list[tuple[TallyKey, list[int]]] = field(default_factory=list)


def plan(
    order: Order,
    unit_id: int | None,
    places: list[int],
    config: DemandSettings,
    rows: RowWriter,
) -> Planned:
    """The order's final rows, as the replay through the actions leaves them (module
    docstring). `unit_id`: the unit of its dispatch, if it has one; `places`: the
    administrative places along its path (`rates.counted_places`); `rows` makes the
    unsaved instances."""
    stamps, category, place = order.stamps, order.category, order.place
    demand = rows.new(
        Demand,
        channel=order.channel,
        place_id=place.pk,
        place_path=place.path,
        category_id=category.pk,
        feedback_class=category.feedback_class,
        description=order.description,
        public_summary=f"{category.name} · {place.name}"[:200],
        attributes=order.attributes,
        address=order.address,
        requester_name=order.requester_name,
        requester_phone=order.requester_phone,
        submitted_at=order.received_at,
        external_id=order.external_id or None,
    )
    planned = Planned(order, demand, None, places=places)
    submitted = SHARED.get(("submit_demand", order.channel))
    if submitted is None:
        submitted = {"status": [None, Status.SUBMITTED.value], "channel": [None, order.channel]}
        share(("submit_demand", order.channel), submitted)
    planned.steps.append(("submit_demand", submitted, order.received_at))
    status = Status.SUBMITTED.value

    def step(verb: str, new: str, at: datetime, **notes: Any) -> None:
        """The audit row `actions._log` writes."""
        nonlocal status
        # a text, or one of many units: its own changes; else the shared ones
        key = None if "note" in notes or "unit" in notes else (verb, status, *notes.values())
        changes = SHARED.get(key) if key else None
        if changes is None:
            changes = {"status": [status, new]}
            changes.update({k: [None, value] for k, value in notes.items() if value is not None})
            if key:
                share(key, changes)
        planned.steps.append((verb, changes, at))
        status = new

    if order.status == Status.ANSWERED:
        at = stamps["replied_at"]
        demand.answer, demand.closed_at, demand.due_at = order.reply, at, None
        step("answer_demand", Status.ANSWERED.value, at, note=order.reply)
    elif order.status == Status.DECLINED:
        at = stamps["replied_at"]
        demand.decline_reason, demand.closed_at, demand.due_at = order.reply, at, None
        step("decline_demand", Status.DECLINED.value, at, note=order.reply)
    elif order.status == Status.ACCEPTED:
        demand.accepted_at = order.received_at
        step("accept_demand", Status.ACCEPTED.value, order.received_at)
    else:
        _plan_dispatched(order, unit_id, config, rows, planned, step)
    demand.status = status
    return planned


# The changes that many audit rows have in common (a step without a free text or a unit:
# the same verb from the same status with the same notes, or a submission by a channel):
# one dict each, which nobody changes, so that its JSON is made once (`BatchWriter`).
SHARED: dict[Any, dict[str, list[Any]]] = {}
SHARED_IDS: set[int] = set()


def share(key: Any, changes: dict[str, list[Any]]) -> None:
    SHARED[key] = changes
    SHARED_IDS.add(id(changes))  # kept alive by SHARED


def _plan_dispatched(
    order: Order,
    unit_id: int | None,
    config: DemandSettings,
    rows: RowWriter,
    planned: Planned,
    step: Any,
) -> None:
    stamps, demand = order.stamps, planned.demand
    if "dispatched_at" in stamps:
        assert unit_id is not None
        at = stamps["dispatched_at"]
        response_due = stamp_dispatch(demand, at, unit_id, config)
        demand.times_dispatched = 1
        planned.dispatch = rows.new(
            Dispatch, organization_id=unit_id, dispatched_at=at, response_due_at=response_due
        )
        step("dispatch_demand", Status.DISPATCHED.value, at, unit=unit_id)
    if "signed_at" in stamps:
        demand.signed_at = stamps["signed_at"]
        demand.due_at = demand.response_due_at
        step("sign_demand", Status.SIGNED.value, demand.signed_at)
    if "contacted_at" in stamps:
        assert planned.dispatch is not None
        demand.contacted_at = planned.dispatch.contacted_at = stamps["contacted_at"]
        demand.due_at = demand.feedback_due_at
        step("contact_requester", Status.CONTACTED.value, demand.contacted_at)
    if "replied_at" in stamps:
        demand.reply, demand.replied_at, demand.due_at = order.reply, stamps["replied_at"], None
        step("reply_demand", Status.REPLIED.value, demand.replied_at, note=order.reply)
    if "evaluated_at" in stamps:
        at = stamps["evaluated_at"]
        demand.resolved, demand.satisfaction = order.resolved, order.satisfaction
        demand.evaluated_at = demand.closed_at = at
        step(
            "evaluate_demand", Status.CLOSED.value, at,
            resolved=order.resolved, satisfaction=order.satisfaction,
        )  # fmt: skip
    elif order.status == Status.CLOSED:
        demand.closed_at = stamps.get("closed_at", stamps["replied_at"])
        demand.due_at = None
        step("close_demand", Status.CLOSED.value, demand.closed_at)


def tallies_of(planned: Planned, month_of: Any) -> list[tuple[TallyKey, list[int]]]:
    """What `rates.record_dispatch`, `record_response` and `record_evaluation` add for one
    order: (tally row, counts in COUNT_FIELDS order) — dispatched, responded in time,
    evaluated, resolved, satisfied, basically satisfied, not satisfied."""
    found: list[tuple[TallyKey, list[int]]] = []
    dispatch, demand = planned.dispatch, planned.demand
    if dispatch is not None:
        month = month_of(dispatch.dispatched_at)
        counts = [1, int(dispatch.responded_in_time), 0, 0, 0, 0, 0]
        found += [((month, "place", pk), counts) for pk in planned.places]
        found.append(((month, "unit", dispatch.organization_id), counts))
    if demand.evaluated_at is not None:
        month = month_of(demand.evaluated_at)
        evaluation = evaluation_deltas(demand)
        counts = [0, 0, *(evaluation[name] for name in COUNT_FIELDS[2:])]
        found += [((month, "place", pk), counts) for pk in planned.places]
        if demand.assignee_id:
            found.append(((month, "unit", demand.assignee_id), counts))
    return found


def tally_deltas(batch: list[Planned]) -> dict[TallyKey, dict[str, int]]:
    """The batch's increments summed per tally row; only rows with something to add (as
    `bump` makes them)."""
    sums: dict[TallyKey, list[int]] = {}
    for planned in batch:
        for key, counts in planned.tallies:
            total = sums.get(key)
            if total is None:
                sums[key] = counts.copy()
            else:
                for i, n in enumerate(counts):
                    total[i] += n
    return {key: dict(zip(COUNT_FIELDS, counts, strict=True)) for key, counts in sums.items()}


class Months:
    """`rates.month_of` with the time zone read once and the months kept."""

    def __init__(self) -> None:
        self.zone = timezone.get_current_timezone()
        self.months: dict[tuple[int, int], date] = {}

    def __call__(self, moment: datetime) -> date:
        local = moment.astimezone(self.zone)
        key = (local.year, local.month)
        found = self.months.get(key)
        if found is None:
            found = self.months[key] = date(local.year, local.month, 1)
        return found


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` new primary keys for `model`, ascending, that no other writer will take.

    PostgreSQL: drawn from the table's sequence (what an INSERT would draw). SQLite: above
    both the largest id and the AUTOINCREMENT counter (a deleted row's number is never given
    again: audit rows name their object by id); this runs inside the batch's transaction,
    which holds SQLite's write lock from its BEGIN IMMEDIATE (config.settings), so no other
    writer can take them before the commit (and in a deferred transaction SQLite would
    refuse the write rather than let two writers collide)."""
    if count == 0:
        return []
    table = str(model._meta.db_table)
    column = str(model._meta.pk.column)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [quote(table), column, count],
            )
            return sorted(row[0] for row in cursor.fetchall())
        if connection.vendor == "sqlite":
            assert connection.in_atomic_block, "on SQLite, reserve ids in the transaction"
            # Table and column names from the model's metadata.
            cursor.execute(f"SELECT max({quote(column)}) FROM {quote(table)}")  # noqa: S608
            top = cursor.fetchone()[0] or 0
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            start = max(top, row[0] if row else 0) + 1
            return list(range(start, start + count))
    raise NotImplementedError(f"bulk import on {connection.vendor}")


class BatchWriter:
    """Rows for planned orders (`prepare`, no query) and their writing (`write`, in the
    batch's transaction): Demand, Dispatch and AuditEvent rows with `RowWriter`, ids
    reserved first so that dispatches and audit rows can name their demand; then the
    rates' deltas (`rates.bump_many`)."""

    def __init__(self) -> None:
        self.rows = RowWriter(Demand, Dispatch, AuditEvent, copy=True)
        self.months = Months()
        self.at = {
            model: {name: i for i, name in enumerate(self.rows.columns(model))}
            for model in (Demand, Dispatch, AuditEvent)
        }
        at = self.at[AuditEvent]
        self.event_row = self.rows.blank_row(AuditEvent)
        self.event_row[at["actor_id"]] = None  # the system, as `by=None`
        demand_type = ContentType.objects.get_for_model(Demand).pk
        self.event_row[at["target_type_id"]] = demand_type
        fields = {f.attname: f for f in Demand._meta.concrete_fields}
        self.moments = [  # the columns of the demand's moments
            i
            for name, i in self.at[Demand].items()
            if isinstance(fields[name], models.DateTimeField)
        ]
        self.json: dict[int, Any] = {}  # id of a shared `changes` → its database value

    def prepare(self, planned: Planned) -> None:
        """The order's database rows, ids left to `write`, and its tally increments. Each
        moment is converted once (the dispatch and the audit rows repeat the demand's
        stamps), and each shared `changes` once per import (`shared`)."""
        rows = self.rows
        values = rows.values(planned.demand)
        planned.demand_row = rows.convert(Demand, values.copy())
        # id → database value of the demand's moments, alive as long as `planned` is
        known = {id(values[i]): planned.demand_row[i] for i in self.moments}
        known.update(self.json)
        if planned.dispatch is not None:
            planned.dispatch_row = rows.convert(Dispatch, rows.values(planned.dispatch), known)
        at = self.at[AuditEvent]
        verb_, changes_, when, path = at["verb"], at["changes"], at["created_at"], at["place_path"]
        place_path = planned.demand.place_path
        planned.event_rows = []
        for verb, changes, moment in planned.steps:
            row = self.event_row.copy()
            row[verb_], row[changes_], row[when], row[path] = verb, changes, moment, place_path
            planned.event_rows.append(rows.convert(AuditEvent, row, known))
            if id(changes) in SHARED_IDS and id(changes) not in self.json:
                self.json[id(changes)] = row[changes_]
        planned.tallies = tallies_of(planned, self.months)

    def number(self, batch: list[Planned]) -> None:
        """Reserve ids for the orders of `batch` that have none and fill them in: the
        demand's, its dispatch's (and the demand it names), its audit rows' (and the
        demand they name). On PostgreSQL this may run before the batch's transaction (a
        sequence gives each number once, committed or not); on SQLite it runs in it."""
        batch = [planned for planned in batch if planned.demand.pk is None]
        demand_pk = self.at[Demand]["id"]
        for planned, pk in zip(batch, reserve_ids(Demand, len(batch)), strict=True):
            planned.demand.pk = planned.demand_row[demand_pk] = pk

        at = self.at[Dispatch]
        dispatches = [p.dispatch_row for p in batch if p.dispatch_row is not None]
        ids = iter(reserve_ids(Dispatch, len(dispatches)))
        for planned in batch:
            if planned.dispatch_row is not None:
                planned.dispatch_row[at["id"]] = next(ids)
                planned.dispatch_row[at["demand_id"]] = planned.demand.pk

        at = self.at[AuditEvent]
        pk_, target, repr_ = at["id"], at["target_id"], at["target_repr"]
        ids = iter(reserve_ids(AuditEvent, sum(len(p.event_rows) for p in batch)))
        for planned in batch:
            shown, number = str(planned.demand)[:255], str(planned.demand.pk)
            for row in planned.event_rows:
                row[pk_], row[target], row[repr_] = next(ids), number, shown

    def write(self, batch: list[Planned]) -> None:
        """Number what is not numbered yet, insert; then the tallies (see the class)."""
        self.number(batch)
        self.rows.insert_rows(Demand, [planned.demand_row for planned in batch])
        dispatches = [p.dispatch_row for p in batch if p.dispatch_row is not None]
        self.rows.insert_rows(Dispatch, dispatches)
        events = [row for planned in batch for row in planned.event_rows]
        self.rows.insert_rows(AuditEvent, events)
        bump_many(tally_deltas(batch))

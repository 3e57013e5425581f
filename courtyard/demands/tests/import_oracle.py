"""The hotline import as it was before the bulk path: every row checked, then replayed
through `demands.actions` (with `now=` its recorded times) in a savepoint of its own.

Kept only for the tests, as the oracle the bulk import must agree with: the same demands,
dispatches, audit rows, tallies, and the same bad rows with the same reasons.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction

from courtyard.core.errors import DomainError
from courtyard.demands import actions
from courtyard.demands.importer import ImportResult
from courtyard.demands.importer.checking import BadRow, Order, check_row
from courtyard.demands.importer.lookups import Lookups
from courtyard.demands.importer.reading import record
from courtyard.demands.models import Demand, Status


def replay(order: Order) -> Demand:
    """Create the demand and run its history through the actions (call in a transaction)."""
    stamps = order.stamps
    demand = actions.submit_demand(
        by=None,
        channel=order.channel,
        place=order.place,
        category=order.category,
        description=order.description,
        requester_name=order.requester_name,
        requester_phone=order.requester_phone,
        address=order.address,
        attributes=order.attributes,
        external_id=order.external_id,
        submitted_at=order.received_at,
    )
    if order.status == Status.ANSWERED:
        return actions.answer_demand(demand, by=None, answer=order.reply, now=stamps["replied_at"])
    if order.status == Status.DECLINED:
        return actions.decline_demand(demand, by=None, reason=order.reply, now=stamps["replied_at"])
    if order.status == Status.ACCEPTED:
        return actions.accept_demand(demand, by=None, now=order.received_at)
    if "dispatched_at" in stamps:
        demand = actions.dispatch_demand(
            demand, by=None, organization=order.unit, now=stamps["dispatched_at"]
        )
    if "signed_at" in stamps:
        demand = actions.sign_demand(demand, by=None, now=stamps["signed_at"])
    if "contacted_at" in stamps:
        demand = actions.contact_requester(demand, by=None, now=stamps["contacted_at"])
    if "replied_at" in stamps:
        demand = actions.reply_demand(demand, by=None, reply=order.reply, now=stamps["replied_at"])
    if "evaluated_at" in stamps:
        assert order.resolved is not None
        demand = actions.evaluate_demand(
            demand,
            by=None,
            resolved=order.resolved,
            satisfaction=order.satisfaction,
            now=stamps["evaluated_at"],
        )
    elif order.status == Status.CLOSED:
        demand = actions.close_demand(
            demand, by=None, now=stamps.get("closed_at", stamps["replied_at"])
        )
    return demand


def replay_rows(
    header: list[str], rows: Iterable[tuple[int, list[Any]]], *, now: datetime
) -> ImportResult:
    """The per-row import: see the module docstring."""
    result = ImportResult()
    lookups = Lookups()
    first_line: dict[str, int] = {}
    for line, cells in rows:
        row = record(header, cells)
        number = str(row.get("external_id", ""))
        if number and number in first_line:
            result.errors.append(
                (
                    line,
                    f"the order number {number} appears again (first on line {first_line[number]})",
                )
            )
            continue
        if number and Demand.objects.filter(external_id=number).exists():
            result.existing += 1
            continue
        if number:
            first_line[number] = line
        lookups.fetch_places({str(row.get("place_code", ""))} - {""})
        try:
            order = check_row(line, row, lookups, now)
            with transaction.atomic():
                replay(order)
        except BadRow as exc:
            result.errors.append((line, str(exc)))
        except DomainError as exc:
            where = f"{exc.field}: " if exc.field else ""
            result.errors.append((line, f"{where}{exc.message}"))
        else:
            result.created += 1
    result.errors.sort()
    return result

"""Loading 12345 hotline work orders (工单) with their history: `courtyard import_demands FILE`.

The file is CSV (UTF-8, with or without BOM; GB 18030 is also read, as Chinese office
software writes it) or XLSX (the first sheet), chosen by the file's extension. Row 1 names
the columns; their order does not matter, unknown columns are ignored, and the Chinese
headers of the usual hotline exports (工单编号, 受理时间 …) are understood too.

Columns (required in **bold**):

- **external_id** (工单编号) — the hotline's order number; the import is idempotent on it.
- **received_at** (受理时间) — when the order was received. Every time is ISO 8601 with an
  offset (``2024-05-06T08:30:00+08:00``) or ``YYYY-MM-DD HH:MM[:SS]`` (also with ``/``) in
  the deployment's time zone; XLSX date cells are read in that zone too.
- channel (来源渠道) — web, phone, walk_in, grid_patrol, hotline, api, open311 (or 网站,
  电话, 来访, 网格巡查, 12345 …); empty means hotline.
- **service_code** (诉求类别编码) — a category of the service catalogue.
- **place_code** (地点编码) — the code of a place: a community, grid, building …
- **description** (诉求内容) — at most 5,000 characters.
- address (地址), requester_name (来电人), requester_phone (联系电话).
- The history, each step needing the one before it and none before the previous one:
  dispatched_at (派单时间) and unit (承办单位: a unified social credit code or the exact name
  of an organization; also read from unit_credit_code; empty: the responsibility table
  decides), signed_at (签收时间), contacted_at (首次联系时间), replied_at (回复时间) with
  reply (回复内容), evaluated_at (评价时间) with resolved (是否解决: 是/否/yes/no) and
  satisfaction (满意度: 满意/基本满意/不满意 or satisfied/basic/unsatisfied), closed_at
  (办结时间, for an order closed without an evaluation).
- attribute[CODE] — the answer to the category's extra question CODE (see the catalogue),
  one column per question; a required question must be answered.
- status (状态) — the order's status at export, to check the history against: submitted,
  accepted, dispatched, signed, contacted, replied, closed, answered, declined (or 待受理,
  已受理, 已派单, 已签收, 处理中, 已回复, 已办结, 直接答复, 不予受理). Empty: what the history
  says. An *answered* order (a consultation answered directly) or a *declined* one takes its
  answer or reason from reply and its time from replied_at, and has no dispatch.

How (the bulk path): rows are read BATCH at a time. Each row is checked in Python against
lookups fetched once per batch (`lookups`): its cells and history (`checking.check_row`),
then what the actions would refuse (`checking.check_as_actions`); its dispatch is routed
by the responsibility table, and its final state computed as the actions would leave it
(`writing.plan`). In one transaction per batch the order numbers are checked again and
the units locked, and the batch is written with one statement per table (an executemany
INSERT; COPY on PostgreSQL) and the rates' deltas applied at once (`writing.BatchWriter`);
a writer thread commits one batch while the next is prepared (`running`). No row is replayed through the actions one by one: nothing
of the replay needs it (see docs/performance.md for the rows/s).

Invariants:

- A bad row is refused before its batch is written, with its line number and the reason
  (the sentence the replay through the actions gave, for what the actions refuse), and
  leaves nothing behind; the other rows of the batch are imported.
- The stored stamps, clocks (`due_at` …), dispatches, audit rows (the demand's timeline:
  the same verbs, changes and recorded times, in the same order) and the three rates
  (`DemandTally`, equal to what `rebuild_demand_rates` gives) are exactly those the
  replay of the history through `demands.actions` with `now=` the recorded times gives.
- An order number already in the database is reported as existing and not touched; a
  second import of the same file creates nothing; an order number seen on an earlier line
  of the same file is refused as a repeat, whichever batch that line was in. Each batch commits on its own, so an import that is stopped half-way keeps
  what it finished: run it again. A batch that meets an order number another import wrote
  meanwhile is checked and written again.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.demands.conf import demand_settings
from courtyard.demands.importer.checking import parse_moment
from courtyard.demands.importer.lookups import Lookups
from courtyard.demands.importer.reading import (
    COLUMNS,
    REQUIRED,
    chunks,
    read_csv,
    read_table,
    read_xlsx,
    record,
)
from courtyard.demands.importer.running import CACHE_KIB, ImportResult, Run
from courtyard.demands.importer.writing import BatchWriter

__all__ = [
    "BATCH",
    "COLUMNS",
    "ImportResult",
    "import_demands",
    "import_rows",
    "parse_moment",
    "read_csv",
    "read_table",
    "read_xlsx",
]

BATCH = 2000  # rows checked together and written in one transaction


def import_rows(
    header: list[str],
    rows: Iterator[tuple[int, list[Any]]],
    *,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
    batch_size: int = BATCH,
    pipeline: bool | None = None,
) -> ImportResult:
    """Import rows (line number, cells) under `header`; see the module docstring.
    `pipeline`: commit in a writer thread while the next batch is prepared; by default
    when the caller is not in a transaction (which the writer's connection could not see)."""
    result = ImportResult()
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        result.errors.append(
            (1, _("The header lacks the column(s): %(cols)s.") % {"cols": ", ".join(missing)})
        )
        return result
    if pipeline is None:
        pipeline = not connection.in_atomic_block
    run = Run(Lookups(), BatchWriter(), demand_settings(), now or timezone.now())
    batches = (
        [(line, record(header, cells)) for line, cells in c] for c in chunks(rows, batch_size)
    )
    with _page_cache(enabled=not pipeline), _no_cycle_collection():
        run.run(batches, result, progress, pipeline=pipeline)
    result.errors.sort()
    return result


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector off while importing: every batch allocates hundreds of
    thousands of small objects (rows, changes, stamps), each allocation spree sets off a
    collection that walks all of Django's objects too — a third of the Python time. The
    import makes no cycles (reference counting frees each batch), and it is on again after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def import_demands(
    path: Path, *, progress: Callable[[int], None] | None = None, now: datetime | None = None
) -> ImportResult:
    """Import a CSV or XLSX file of hotline orders; see the module docstring."""
    header, rows, _total = read_table(path)
    return import_rows(header, rows, progress=progress, now=now)


@contextmanager
def _page_cache(*, enabled: bool) -> Iterator[None]:
    """On SQLite, a page cache of CACHE_KIB for this connection while it writes the import
    (the default 2 MiB keeps too few of the pages of the indexes that every batch touches);
    the connection's own setting afterwards. (The writer thread's connection, closed after
    the import, sets it for itself.)"""
    if not enabled or connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = {-CACHE_KIB:d}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {before:d}")

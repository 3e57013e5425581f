"""Small tools for bulk generation: batched inserts, spreading a total over parents, and
progress bars on stderr."""

from __future__ import annotations

import random
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import models
from tqdm import tqdm

BATCH_SIZE = 2000


def progress_bar(total: int | None, desc: str, *, enabled: bool) -> tqdm[Any]:
    """A tqdm bar on stderr (stdout stays for the summary), silent when not `enabled`."""
    return tqdm(total=total, desc=desc, unit=" rows", file=sys.stderr, disable=not enabled)


def insert_in_batches[M: models.Model](
    objects: Iterable[M], *, batch_size: int = BATCH_SIZE, bar: tqdm[Any] | None = None
) -> Iterator[M]:
    """bulk_create `objects` (all of one model) `batch_size` at a time, yielding the created
    rows with their primary keys (SQLite ≥ 3.35 and PostgreSQL return them). Only one batch
    is held in memory at a time: keep what you need of each row, not the row."""
    batch: list[M] = []
    for obj in objects:
        batch.append(obj)
        if len(batch) >= batch_size:
            yield from _flush(batch, bar)
            batch = []
    if batch:
        yield from _flush(batch, bar)


def _flush[M: models.Model](batch: list[M], bar: tqdm[Any] | None) -> list[M]:
    created = type(batch[0]).objects.bulk_create(batch)  # type: ignore[attr-defined]
    if bar is not None:
        bar.update(len(created))
    return created


def allocate(total: int, parents: int, rng: random.Random, *, cap: int) -> list[int]:
    """Spread `total` items over `parents`, unevenly (each parent weighs 0.5–1.5) but
    never more than `cap` on one parent. The sum is exactly `total`.

    Raises ValueError when it cannot fit (no parents, or more than parents × cap)."""
    if total == 0:
        return [0] * parents
    if parents == 0 or total > parents * cap:
        raise ValueError(f"{total} items do not fit under {parents} parents ({cap} at most each).")
    weights = [rng.uniform(0.5, 1.5) for _ in range(parents)]
    scale = total / sum(weights)
    counts = [min(cap, int(w * scale)) for w in weights]
    short = total - sum(counts)
    # Hand out what flooring and capping left over, one at a time, fewest first.
    order = sorted(range(parents), key=counts.__getitem__)
    i = 0
    while short:
        k = order[i % parents]
        if counts[k] < cap:
            counts[k] += 1
            short -= 1
        i += 1
    return counts

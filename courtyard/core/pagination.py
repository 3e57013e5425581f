"""Keyset (cursor) pagination: every page costs the same, however deep and however large.

A cursor is the ordering values of the last row shown, encoded opaquely. The next page is
"rows after those values" — an indexed range scan — never OFFSET.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.sql.where import AND
from django.utils.translation import gettext as _

from courtyard.core.errors import BadInput

T = TypeVar("T", bound=models.Model)


@dataclass
class Page[T: models.Model]:
    items: list[T]
    next_cursor: str | None


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _broken_cursor() -> BadInput:
    return BadInput(_("This page link is broken or out of date. Start again from the first page."))


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != size:
        raise _broken_cursor()
    if not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values):
        raise _broken_cursor()
    return values


def _after(order: tuple[str, ...], values: list[Any]) -> Q:
    """Rows strictly after `values` in `order` (fields may carry a leading '-').

    The expanded form `a > x OR (a = x AND b > y) …` is exact, but no planner seeks an
    index with an OR at its head; the redundant leading bound `a >= x` (ANDed first) lets
    both SQLite and PostgreSQL start the index scan at the cursor instead of the list's top.
    """
    first = order[0]
    seek = Q(**{f"{first.lstrip('-')}__{'lte' if first.startswith('-') else 'gte'}": values[0]})
    condition = Q()
    for i, field in enumerate(order):
        name = field.lstrip("-")
        op = "lt" if field.startswith("-") else "gt"
        step = Q(**{f"{name}__{op}": values[i]})
        for prev_field, prev_value in zip(order[:i], values[:i], strict=True):
            step &= Q(**{prev_field.lstrip("-"): prev_value})
        condition |= step
    return seek & condition


def _after_first[T: models.Model](qs: models.QuerySet[T], condition: Q) -> models.QuerySet[T]:
    """`qs` filtered by the cursor's `condition`, put first in the WHERE clause.

    SQLite starts an index scan at the first lower bound it meets on a column: with a
    subtree's `path >= low` ahead of the cursor's `path >= x`, a deep page would scan from
    the subtree's start. PostgreSQL picks the tighter bound either way. Reordering the
    top-level AND children changes nothing else."""
    before = len(qs.query.where.children)
    qs = qs.filter(condition)
    where = qs.query.where
    if where.connector == AND and before:
        added = where.children[before:]
        where.children[:] = added + where.children[:before]
    return qs


def _key(obj: models.Model, field: str) -> Any:
    value: Any = obj
    for part in field.lstrip("-").split("__"):
        value = getattr(value, part)
    if isinstance(value, models.Model):
        value = value.pk
    return value if isinstance(value, (str, int)) else str(value)


def keyset_page[T: models.Model](
    queryset: models.QuerySet[T],
    *,
    cursor: str | None,
    size: int,
    order: tuple[str, ...] = ("pk",),
) -> Page[T]:
    """One page of `queryset` in `order` (the last field must be unique, e.g. "pk").

    Costs one query: it fetches `size + 1` rows to learn whether there is a next page.
    """
    qs = queryset.order_by(*order)
    try:
        if cursor:
            qs = _after_first(qs, _after(order, decode_cursor(cursor, len(order))))
        rows = list(qs[: size + 1])
    except (ValueError, TypeError, ValidationError) as exc:
        # A well-formed cursor whose values do not fit the fields (a forged link).
        raise _broken_cursor() from exc
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        next_cursor = encode_cursor([_key(rows[-1], f) for f in order])
    return Page(items=rows, next_cursor=next_cursor)

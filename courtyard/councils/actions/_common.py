"""What every council action shares: clean text, the clock, the audit row, locking."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.core.audit import record_event
from courtyard.core.errors import BadInput, Conflict
from courtyard.core.text import checked_text

TITLE_MAX = 200
TEXT_MAX = 5000


def now_or(now: datetime | None) -> datetime:
    return now or timezone.now()


def locked[M: models.Model](obj: M) -> M:
    """The row again, locked for the rest of the transaction (a fresh read)."""
    return type(obj)._default_manager.select_for_update().get(pk=obj.pk)


def clean_text(
    value: str | None, field: str, *, limit: int = TEXT_MAX, required: bool = True
) -> str:
    """Trimmed text within `limit` characters (`core.text.checked_text`)."""
    return checked_text(value, field, limit=limit, required=required)


def require_status(obj: Any, allowed: set[str] | frozenset[str], message: str) -> None:
    """Refuse (409) unless `obj.status` is one of `allowed`."""
    if obj.status not in allowed:
        raise Conflict(message % {"status": obj.get_status_display()})


def log(obj: models.Model, *, by: Any, verb: str, at: datetime, **changes: list[Any] | Any) -> None:
    """One audit row for `obj` at its place. `changes` are [old, new] pairs or new values."""
    pairs = {
        key: value if isinstance(value, list) else [None, value]
        for key, value in changes.items()
        if value is not None
    }
    record_event(
        by=by,
        verb=verb,
        target=obj,
        changes=pairs,
        place_path=getattr(obj, "place_path", ""),
        at=at,
    )


# Moments a council plans with: a meeting, a voting window, a task's deadline. Outside these
# years a date is a typo, and near the ends of the calendar it cannot even be converted to UTC.
YEARS = range(2000, 2101)


def check_moment(value: datetime | None, field: str) -> None:
    """Refuse (400) a date outside YEARS before anything compares or stores it."""
    if value is not None and value.year not in YEARS:
        raise BadInput(
            _("Give a date between %(first)d and %(last)d.")
            % {"first": YEARS[0], "last": YEARS[-1]},
            field=field,
        )

"""Writing the audit trail. Every action calls `record_event` inside its transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django_stubs_ext import StrOrPromise

from courtyard.core.models import AuditEvent

# What each action's verb means, in words (apps register theirs in AppConfig.ready).
VERB_LABELS: dict[str, StrOrPromise] = {}


def register_verb_labels(labels: dict[str, StrOrPromise]) -> None:
    VERB_LABELS.update(labels)


def _plain(value: Any) -> Any:
    """A JSON-safe rendering of a field value for the old → new record."""
    if isinstance(value, models.Model):
        return value.pk
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of `fields`, taken before a change to compute the diff after it."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def diff(before: dict[str, Any], obj: models.Model) -> dict[str, list[Any]]:
    """{field: [old, new]} for every field of `before` whose value changed on `obj`."""
    changes = {}
    for name, old in before.items():
        new = _plain(getattr(obj, name))
        if new != old:
            changes[name] = [old, new]
    return changes


def record_event(
    *,
    by: Any,
    verb: str,
    target: models.Model,
    changes: dict[str, list[Any]] | None = None,
    place_path: str = "",
    at: datetime | None = None,
) -> AuditEvent:
    """Append one audit row. `by` is the acting user (None for the system); `at` the moment
    of the change when it is not now (a replayed history)."""
    actor = by if getattr(by, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=actor,
        verb=verb,
        target_type=ContentType.objects.get_for_model(target),
        target_id=str(target.pk),
        target_repr=str(target)[:255],
        place_path=place_path,
        changes=changes or {},
        created_at=at or timezone.now(),
    )

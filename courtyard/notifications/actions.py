"""Telling people: `notify` (after the causing action commits) and `mark_read`.

`notify` is called by other apps' actions right after their audit row. It only registers
the notices with `transaction.on_commit`: a rolled-back action notifies nobody, and the
recipients are resolved and the rows written (one `bulk_create`) once the change is
durable. A failure then is logged and does not undo the committed action (`robust`).

Neither function writes an audit row: the action that caused a notice already wrote one,
and a read mark is a person's own bookkeeping, not a change to a shared record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from courtyard.notifications.models import Notification
from courtyard.notifications.recipients import Audience, resolve

Recipient = Audience | int | models.Model
BATCH = 1000


@dataclass
class Notice:
    """One event to tell `recipients` about (users, user ids or audiences), `by` excluded."""

    recipients: Sequence[Recipient]
    verb: str
    target: models.Model
    url: str
    by: Any = None
    target_repr: str = ""
    at: datetime = field(default_factory=timezone.now)


def notify(
    recipients: Iterable[Recipient],
    *,
    verb: str,
    target: models.Model,
    url: str,
    by: Any = None,
    target_repr: str | None = None,
) -> None:
    """Tell `recipients` that `verb` happened to `target` (the page at `url`), once the
    current transaction commits. Recipients are deduplicated and the actor `by` is left
    out. `target_repr` defaults to `str(target)`: pass a label without personal data when
    that string could carry some."""
    notify_all(
        [
            Notice(
                recipients=list(recipients),
                verb=verb,
                target=target,
                url=url,
                by=by,
                target_repr=str(target) if target_repr is None else target_repr,
            )
        ]
    )


def notify_all(notices: Sequence[Notice]) -> None:
    """Several notices at once: their audiences are resolved together (one query per kind
    of audience) and written in one `bulk_create`, after the commit."""
    notices = [n for n in notices if n.recipients]
    if notices:
        transaction.on_commit(lambda: _deliver(notices), robust=True)


def _deliver(notices: Sequence[Notice]) -> None:
    members = resolve(r for n in notices for r in n.recipients if isinstance(r, Audience))
    rows = []
    for notice in notices:
        ids: set[int] = set()
        for recipient in notice.recipients:
            if isinstance(recipient, Audience):
                ids |= members.get(recipient, set())
            elif isinstance(recipient, models.Model):
                ids.add(recipient.pk)
            else:
                ids.add(int(recipient))
        if getattr(notice.by, "is_authenticated", False):
            ids.discard(notice.by.pk)
        target_type = ContentType.objects.get_for_model(notice.target)  # cached
        rows += [
            Notification(
                recipient_id=user_id,
                verb=notice.verb,
                target_type=target_type,
                target_id=str(notice.target.pk),
                target_repr=notice.target_repr[:255],
                url=notice.url[:500],
                created_at=notice.at,
            )
            for user_id in sorted(ids)
        ]
    Notification.objects.bulk_create(rows, batch_size=BATCH)


def mark_read(*, by: Any, ids: Iterable[int] | None = None, now: datetime | None = None) -> int:
    """Mark `by`'s unread notifications read — all of them, or those of `ids` — and return
    how many changed. Someone else's notification is never touched: the filter is on the
    recipient, so an id that is not theirs changes nothing."""
    if not getattr(by, "is_authenticated", False):
        return 0
    rows = Notification.objects.visible_to(by).unread()
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(read_at=now or timezone.now())

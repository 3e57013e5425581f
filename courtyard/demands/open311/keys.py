"""Open311 client keys: a random key shown once; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from courtyard.core.audit import record_event
from courtyard.core.errors import BadInput
from courtyard.demands.models import Open311Client

KEY_PREFIX = "o311_"


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_client(*, by: Any, name: str) -> tuple[Open311Client, str]:
    """A new client allowed to POST requests; returns it with the raw key, which is never
    stored nor shown again."""
    name = (name or "").strip()
    if not name:
        raise BadInput(_("Give the client a name."), field="name")
    if len(name) > 100:
        raise BadInput(
            _("This is longer than %(limit)d characters.") % {"limit": 100}, field="name"
        )
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    client = Open311Client.objects.create(name=name, key_hash=hash_key(raw), prefix=raw[:12])
    record_event(by=by, verb="create_open311_client", target=client, changes={"name": [None, name]})
    return client, raw


def client_for_key(raw: str) -> Open311Client | None:
    """The active client this key belongs to; None for an unknown or revoked key."""
    return Open311Client.objects.filter(key_hash=hash_key(raw), revoked_at__isnull=True).first()

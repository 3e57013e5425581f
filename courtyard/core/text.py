"""Text helpers shared by every app."""

from __future__ import annotations

import nh3
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from courtyard.core.errors import BadInput


def localized_name(name: str, name_en: str) -> str:
    """The English name when English is active and one is known; otherwise the Chinese."""
    if name_en and (get_language() or "").startswith("en"):
        return name_en
    return name


def mask_phone(phone: str) -> str:
    """138****5678: enough to recognise on a list, not enough to call."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 8 else ("****" if phone else "")


def clean_html(value: str) -> str:
    """Rich text from users, reduced to safe markup (no scripts, handlers or styles)."""
    return nh3.clean(value, tags={"p", "br", "strong", "em", "ul", "ol", "li", "a"})


def checked_text(value: str | None, field: str, *, limit: int, required: bool = True) -> str:
    """Text typed by a person, trimmed: refused (BadInput on `field`) when empty and
    required, longer than `limit` characters, or holding NUL — PostgreSQL cannot store it,
    and no person types it."""
    value = (value or "").strip()
    if "\x00" in value:
        raise BadInput(_("This text contains a character that is not allowed."), field=field)
    if required and not value:
        raise BadInput(_("This cannot be empty."), field=field)
    if len(value) > limit:
        raise BadInput(
            _("This is longer than %(limit)d characters.") % {"limit": limit}, field=field
        )
    return value

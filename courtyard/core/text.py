"""Text helpers shared by every app."""

from __future__ import annotations

import nh3
from django.utils.translation import get_language


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

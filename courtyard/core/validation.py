"""Validation errors from the API's schemas, said in the reader's language.

pydantic reports each problem with a stable `type` and its limits in `ctx`; the common
types get a translated sentence here, the rest keep pydantic's English message."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

SKIPPED_LOCATIONS = {"query", "body", "path", "header", "form"}


def _sentence(error: dict[str, Any]) -> str:
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    messages = {
        "missing": lambda: _("is required"),
        "int_parsing": lambda: _("must be a whole number"),
        "int_type": lambda: _("must be a whole number"),
        "string_type": lambda: _("must be text"),
        "bool_parsing": lambda: _("must be true or false"),
        "json_invalid": lambda: _("is not valid JSON"),
        "enum": lambda: _("must be one of: %(values)s") % {"values": ctx.get("expected", "")},
        "literal_error": lambda: (
            _("must be one of: %(values)s") % {"values": ctx.get("expected", "")}
        ),
        "greater_than_equal": lambda: _("must be at least %(limit)s") % {"limit": ctx.get("ge")},
        "greater_than": lambda: _("must be more than %(limit)s") % {"limit": ctx.get("gt")},
        "less_than_equal": lambda: _("must be at most %(limit)s") % {"limit": ctx.get("le")},
        "less_than": lambda: _("must be less than %(limit)s") % {"limit": ctx.get("lt")},
        "string_too_long": lambda: (
            _("must be at most %(limit)s characters") % {"limit": ctx.get("max_length")}
        ),
        "string_too_short": lambda: (
            _("must be at least %(limit)s characters") % {"limit": ctx.get("min_length")}
        ),
    }
    make = messages.get(kind)
    return make() if make else str(error.get("msg", ""))


def describe(errors: list[dict[str, Any]]) -> str:
    """One line naming each bad field and what it must be, e.g. "limit: must be at most 200"."""
    parts = []
    for error in errors:
        loc = list(error.get("loc", ()))
        if loc[:1] == ["body"] and len(loc) > 2:
            loc = loc[2:]  # drop "body" and the schema's parameter name
        where = ".".join(str(p) for p in loc if p not in SKIPPED_LOCATIONS)
        parts.append(f"{where}: {_sentence(error)}" if where else _sentence(error))
    return "; ".join(parts)

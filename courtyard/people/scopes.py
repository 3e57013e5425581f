"""Scoping: which places a person administers.

Someone with an active staff role at a place (community worker, street, district or city
officer) administers that place and everything under it, and nothing beside it. Every
`visible_to(user)` of a private record goes through `staff_scope_q`, so the UI and the API
share one funnel. The scope is read once per request and cached on the user object.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from courtyard.people.models import Role
from courtyard.places.models import path_range


def staff_scope_paths(user: Any) -> list[str]:
    """Paths of the places where `user` holds an active staff role (minimal set)."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_staff_scope_paths", None)
    if cached is None:
        paths = sorted(
            set(
                Role.objects.active()
                .staff()
                .filter(user=user)
                .values_list("place__path", flat=True)
            )
            - {None}
        )
        # Drop paths already covered by a shorter one.
        cached = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
        user._staff_scope_paths = cached
    return list(cached)


def staff_scope_q(user: Any, path_field: str) -> Q:
    """A filter: rows whose `path_field` lies within a place `user` administers."""
    if getattr(user, "is_superuser", False):
        return Q()
    paths = staff_scope_paths(user)
    if not paths:
        return Q(pk__in=[])
    q = Q()
    for path in paths:
        low, high = path_range(path)
        q |= Q(**{f"{path_field}__gte": low, f"{path_field}__lt": high})
    return q


def administers(user: Any, place_path: str) -> bool:
    """Does `user` administer the place with this path (or one above it)?"""
    if getattr(user, "is_superuser", False):
        return True
    return any(place_path.startswith(p) for p in staff_scope_paths(user))

"""What every permission matrix of the demand pages shares: the personas, the expected
answers, the snapshot that proves a refused request left no trace."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.urls import reverse

from courtyard.core.models import AuditEvent
from courtyard.people.models import User

PERSONAS = ("here", "above", "sibling", "resident", "handler", "stranger", "anonymous")
LOGIN = "302 to login"
REDIRECT = "302 elsewhere"
MISSING = 999_999

# Columns that change on any request (a login, a token's use) and say nothing of a trace.
VOLATILE = {"last_login", "last_used_at"}
STATE_APPS = ("core", "places", "people", "organizations", "demands")

Expect = int | str


def db_state() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the project's tables, to compare before and after a refused request."""
    state = {}
    for label in STATE_APPS:
        for model in apps.get_app_config(label).get_models():
            names = [f.attname for f in model._meta.concrete_fields if f.attname not in VOLATILE]
            state[model._meta.label] = list(model.objects.order_by("pk").values_list(*names))
    return state


def audited(verb: str, user: User | None) -> bool:
    return AuditEvent.objects.filter(verb=verb, actor=user).exists()


def statuses(default: Expect, **overrides: Expect) -> dict[str, Expect]:
    """The expected answer for each persona: `default` unless overridden by name."""
    unknown = set(overrides) - set(PERSONAS)
    assert not unknown, unknown
    return {persona: overrides.get(persona, default) for persona in PERSONAS}


def assert_status(response: Any, expected: Expect) -> None:
    login = reverse("people:login")
    location = response.get("Location", "")
    if expected == LOGIN:
        assert (response.status_code, location.partition("?")[0]) == (302, login)
    elif expected == REDIRECT:
        assert response.status_code == 302
        assert not location.startswith(login)
    else:
        assert response.status_code == expected, location

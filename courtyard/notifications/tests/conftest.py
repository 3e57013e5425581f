"""Notification fixtures: the demand catalogue and the council board of the other apps'
tests, and `delivered` — run the on-commit callbacks of a block and list who was told."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.utils import translation

from courtyard.councils.tests.conftest import board  # noqa: F401  (fixture)
from courtyard.demands.tests.conftest import catalogue  # noqa: F401  (fixture)
from courtyard.notifications.models import Notification


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def told(verb: str | None = None) -> list[tuple[str, str]]:
    """(username, verb) of every notification, sorted."""
    rows = Notification.objects.select_related("recipient")
    if verb:
        rows = rows.filter(verb=verb)
    return sorted((n.recipient.username, n.verb) for n in rows)


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """`with committed():` runs the block's on-commit callbacks as a commit would."""

    @contextmanager
    def block() -> Iterator[None]:
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return block

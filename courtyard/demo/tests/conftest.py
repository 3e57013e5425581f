"""The demo city loaded once per test module (inside a transaction rolled back at the end):
a load plays hundreds of demands and a council's year through the actions, too slow to
repeat for every test. Tests ask for `demo`; each runs in a savepoint inside it."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction


@pytest.fixture(scope="module")
def demo_city(django_db_setup, django_db_blocker) -> Iterator[None]:  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("demo", force=True, stdout=StringIO())
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo(demo_city: None, db: None) -> None:
    """Each test runs in a savepoint inside the module's transaction."""

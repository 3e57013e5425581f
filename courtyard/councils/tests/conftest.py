import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    """The reasons are asserted word for word in English (the catalogs may translate them)."""
    with translation.override("en"):
        yield

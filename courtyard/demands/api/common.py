"""What the demand and whistle endpoints share: the declared error answers, the login check,
datetimes in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError

from courtyard.core.api import ErrorOut

# Declared on every endpoint: a bad Bearer token is a 401 before any view runs.
READ = {401: ErrorOut, 404: ErrorOut}
LIST = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut}
STEP = {**WRITE, 404: ErrorOut}


def logged_in(request: HttpRequest) -> Any:
    """The caller, or a 401 for an anonymous one."""
    if not request.user.is_authenticated:
        raise AuthenticationError()
    return request.user


def utc(value: Any) -> Any:
    """Datetimes in UTC (written with Z), whatever zone an action left on the object."""
    return value.astimezone(UTC) if isinstance(value, datetime) else value

"""What the council endpoints share: the declared error answers, the login check, the
"visible, then allowed" funnel, datetimes in UTC.

- A council object the caller may not see (a draft meeting, vote or resolution outside
  their reach, an inactive council) answers 404 exactly like a missing one.
- A visible object on which the rules refuse the caller a step answers 403 with a sentence;
  the action is not called, so nothing is stored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.errors import AuthenticationError

from courtyard.core.api import ErrorOut
from courtyard.core.errors import BadInput, NotAllowed
from courtyard.organizations.models import Organization

# Declared on every endpoint: a bad Bearer token is a 401 before any view runs.
READ = {401: ErrorOut, 404: ErrorOut}
LIST = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut}
STEP = {**WRITE, 404: ErrorOut}


def refusal(perm: str) -> str:
    messages = {
        "councils.manage": _("Only the staff over this council's place may do this."),
        "councils.run_meeting": _(
            "Only the council's chair, its secretary or the staff over its place run its meetings."
        ),
        "councils.withdraw_proposal": _("Only the proposer can withdraw a proposal."),
        "councils.sign": _("Only members of the council sign its resolutions."),
        "councils.complete_task": _(
            "Only the task's owner or the staff over the council's place complete it."
        ),
    }
    return messages.get(perm, _("You may not take this step."))


class PageParams(Schema):
    cursor: str | None = Field(None, max_length=1024)
    limit: int | None = Field(None, ge=1, le=200)


class OkOut(Schema):
    ok: bool


def logged_in(request: HttpRequest) -> Any:
    """The caller, or a 401 for an anonymous one."""
    if not request.user.is_authenticated:
        raise AuthenticationError()
    return request.user


def utc(value: Any) -> Any:
    """Datetimes in UTC (written with Z), whatever zone an action left on the object."""
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def area_text(area: Any) -> str:
    """An area in m² as text: plain digits with 2 to 6 decimals, alike on every database."""
    whole, _dot, decimals = f"{Decimal(area):.6f}".rstrip("0").partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}"


def visible[M: models.Model](queryset: models.QuerySet[M], pk: int) -> M:
    """The object if the caller may see it (`queryset` is already `visible_to`); 404
    otherwise, missing and forbidden alike."""
    return get_object_or_404(queryset, pk=pk)


def allow(request: HttpRequest, perm: str, obj: Any) -> Any:
    """The caller, after the rules let them take a step on a visible `obj`: 401 when
    anonymous, 403 with a sentence when refused."""
    user = logged_in(request)
    if not user.has_perm(perm, obj):
        raise NotAllowed(refusal(perm))
    return user


def one_of[M: models.Model](
    queryset: models.QuerySet[M], pk: int | None, *, field: str, missing: str
) -> M | None:
    """An object named in a request body (None when not named), or a 400 saying `missing`
    about `field` when there is no such object within `queryset`."""
    return None if pk is None else named(queryset, pk, field=field, missing=missing)


def named[M: models.Model](queryset: models.QuerySet[M], pk: int, *, field: str, missing: str) -> M:
    """The object a request body names by id within `queryset`, or a 400 about `field`."""
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise BadInput(missing, field=field)
    return obj


def account(pk: int | None, *, field: str) -> Any:
    """An active account named by id in a request body (None when not named), or a 400."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(is_active=True)
    return one_of(users, pk, field=field, missing=_("There is no such account."))


def organization_named(pk: int | None, *, field: str = "organization") -> Organization | None:
    """An organization named by id in a request body (None when not named), or a 400."""
    return one_of(
        Organization.objects.all(), pk, field=field, missing=_("There is no such organization.")
    )

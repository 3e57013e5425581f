"""Authentication and the caller's own account in the API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import AuthenticationError
from ninja.responses import Status

from courtyard.core.api import ErrorOut
from courtyard.people import actions
from courtyard.people.models import ApiToken, RoleKind

router = Router(tags=["people"])


class Credentials(Schema):
    username: str = Field(..., max_length=150)
    password: str = Field(..., max_length=4096)


class TokenOut(Schema):
    token: str
    expires_at: datetime


class RoleOut(Schema):
    kind: RoleKind
    place_id: int | None
    place_name: str | None
    organization_id: int | None
    organization_name: str | None
    starts_on: date
    ends_on: date | None


class MeOut(Schema):
    username: str
    display_name: str
    preferred_language: str
    roles: list[RoleOut]


@router.post(
    "/auth/token",
    response={200: TokenOut, 401: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="Exchange a username and password for an API token",
    auth=None,
)
def create_token(request: HttpRequest, credentials: Credentials) -> Any:
    # When the account is locked out, django-axes answers 429 through
    # people.lockout.lockout_response, whatever this view returns.
    user = authenticate(request, username=credentials.username, password=credentials.password)
    if user is None:
        return Status(401, {"detail": _("The username or password is wrong.")})
    token, raw = actions.issue_token(user, by=user, name="API")
    return {"token": raw, "expires_at": token.expires_at}


@router.delete(
    "/auth/token",
    response={204: None, 401: ErrorOut},
    summary="Revoke the token this request is made with",
)
def revoke_current_token(request: HttpRequest) -> Any:
    from courtyard.people.models import hash_token

    header = request.headers.get("Authorization", "")
    raw = header.partition(" ")[2].strip()
    token = ApiToken.objects.filter(key_hash=hash_token(raw)).first() if raw else None
    if token is None:
        raise AuthenticationError()
    actions.revoke_token(token, by=token.user)
    return Status(204, None)


@router.get("/me", response={200: MeOut, 401: ErrorOut}, summary="Who am I, with my roles")
def me(request: HttpRequest) -> Any:
    user = request.user
    if not user.is_authenticated:
        raise AuthenticationError()
    roles = [
        {
            "kind": r.kind,
            "place_id": r.place_id,
            "place_name": r.place.display_name if r.place else None,
            "organization_id": r.organization_id,
            "organization_name": r.organization.display_name if r.organization else None,
            "starts_on": r.starts_on,
            "ends_on": r.ends_on,
        }
        for r in user.roles.active().select_related("place", "organization").order_by("pk")
    ]
    return {
        "username": user.username,
        "display_name": user.display_name,
        "preferred_language": user.preferred_language,
        "roles": roles,
    }

"""Writes about people: roles, profiles, API tokens. Each is atomic and audited."""

from __future__ import annotations

import secrets
import unicodedata
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.core.audit import diff, record_event, snapshot
from courtyard.core.errors import BadInput, Conflict
from courtyard.people.models import (
    ORGANIZATION_ROLE_KINDS,
    STAFF_ROLE_LEVELS,
    ApiToken,
    Role,
    RoleKind,
    User,
    hash_token,
)
from courtyard.places.models import HOME_KINDS, Place, PlaceKind

TOKEN_PREFIX = "cy_"


def _user_path(user: User) -> str:
    return user.home.path if user.home_id and user.home else ""


@transaction.atomic
def assign_role(
    user: User,
    *,
    by: Any,
    kind: str,
    place: Place | None = None,
    organization: Any = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> Role:
    """Give `user` a role at a place or in an organization (exactly one of the two)."""
    if kind not in RoleKind.values:
        raise BadInput(_("Unknown role: %(kind)s.") % {"kind": kind}, field="kind")
    if (place is None) == (organization is None):
        raise BadInput(_("A role is held either at a place or in an organization."))
    if kind in ORGANIZATION_ROLE_KINDS and organization is None:
        raise BadInput(_("This role is held in an organization."), field="organization")
    if kind not in ORGANIZATION_ROLE_KINDS and place is None:
        raise BadInput(_("This role is held at a place."), field="place")
    levels = STAFF_ROLE_LEVELS.get(kind)
    if place is not None and levels is not None and place.kind not in levels:
        raise BadInput(
            _("A %(role)s is appointed at a %(levels)s, not at a %(kind)s.")
            % {
                "role": RoleKind(kind).label,
                "levels": " / ".join(str(PlaceKind(k).label) for k in sorted(levels)),
                "kind": PlaceKind(place.kind).label,
            },
            field="place",
        )
    starts_on = starts_on or timezone.localdate()
    if ends_on and ends_on < starts_on:
        raise BadInput(_("A role cannot end before it starts."), field="ends_on")
    role = Role.objects.create(
        user=user,
        kind=kind,
        place=place,
        organization=organization,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    record_event(
        by=by,
        verb="assign_role",
        target=role,
        changes={"user": [None, user.pk], "kind": [None, kind]},
        place_path=role.scope_path,
    )
    return role


@transaction.atomic
def end_role(role: Role, *, by: Any, ends_on: date | None = None) -> Role:
    """End a role (today by default). A role that has already ended stays ended."""
    role = Role.objects.select_for_update().get(pk=role.pk)
    today = timezone.localdate()
    if role.ends_on is not None and role.ends_on < today:
        raise Conflict(_("This role has already ended."))
    ends_on = ends_on or today
    if ends_on < role.starts_on:
        raise BadInput(_("A role cannot end before it starts."), field="ends_on")
    before = snapshot(role, ["ends_on"])
    role.ends_on = ends_on
    role.save(update_fields=["ends_on"])
    record_event(
        by=by, verb="end_role", target=role, changes=diff(before, role), place_path=role.scope_path
    )
    return role


PROFILE_FIELDS = ["display_name", "phone", "preferred_language"]


@transaction.atomic
def update_profile(
    user: User, *, by: Any, display_name: str, phone: str, preferred_language: str
) -> User:
    if preferred_language not in dict(settings.LANGUAGES):
        raise BadInput(_("Unknown language."), field="preferred_language")
    phone = unicodedata.normalize("NFKC", phone).strip().replace(" ", "").replace("-", "")
    digits = phone.removeprefix("+")
    if phone and not (digits.isascii() and digits.isdigit() and 5 <= len(phone) <= 20):
        raise BadInput(
            _("Enter a phone number of digits only, such as 13800138000."), field="phone"
        )
    before = snapshot(user, PROFILE_FIELDS)
    user.display_name, user.phone = display_name.strip(), phone
    user.preferred_language = preferred_language
    user.save(update_fields=PROFILE_FIELDS)
    changes = diff(before, user)
    if "phone" in changes:  # personal data: the audit trail says it changed, not what to
        changes["phone"] = ["…", "…"]
    record_event(
        by=by, verb="update_profile", target=user, changes=changes, place_path=_user_path(user)
    )
    return user


@transaction.atomic
def set_home(user: User, *, by: Any, home: Place | None) -> User:
    """Record where a resident lives: a building/courtyard or a stairwell unit."""
    if home is not None and home.kind not in HOME_KINDS:
        raise BadInput(_("A home is a building, courtyard or stairwell unit."), field="home")
    old = user.home_id
    user.home = home
    user.save(update_fields=["home"])
    record_event(
        by=by,
        verb="set_home",
        target=user,
        # Personal data: say that the home changed, not where from or to.
        changes={"home": ["…", "…"]} if old != (home.pk if home else None) else {},
        place_path=home.path if home else "",
    )
    return user


@transaction.atomic
def issue_token(user: User, *, by: Any, name: str = "") -> tuple[ApiToken, str]:
    """A new API token; returns it with the raw key, which is never stored nor shown again."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100],
        key_hash=hash_token(raw),
        prefix=raw[:10],
        expires_at=timezone.now() + settings.API_TOKEN_LIFETIME,
    )
    record_event(by=by, verb="issue_token", target=token, place_path=_user_path(user))
    return token, raw


@transaction.atomic
def revoke_token(token: ApiToken, *, by: Any) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise Conflict(_("This token was already revoked."))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_event(
        by=by,
        verb="revoke_token",
        target=token,
        changes={"revoked_at": [None, str(token.revoked_at)]},
        place_path=_user_path(token.user),
    )
    return token


@transaction.atomic
def revoke_all_tokens(user: User, *, by: Any) -> int:
    """Revoke every usable token of `user` (after a password change); returns how many."""
    now = timezone.now()
    tokens = list(user.api_tokens.usable().select_for_update())
    for token in tokens:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        record_event(
            by=by,
            verb="revoke_token",
            target=token,
            changes={"revoked_at": [None, str(now)]},
            place_path=_user_path(user),
        )
    return len(tokens)


def authenticate_token(raw: str) -> tuple[User | None, str]:
    """The user a bearer token stands for, or None and the reason it is refused."""
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw)).first()
    if token is None:
        return None, _("This API token is not valid.")
    if token.revoked_at is not None:
        return None, _("This API token was revoked. Ask for a new one at POST /api/v1/auth/token.")
    now = timezone.now()
    if token.expires_at <= now:
        return None, _("This API token has expired. Ask for a new one at POST /api/v1/auth/token.")
    if not token.user.is_active:
        return None, _("This account is disabled.")
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        # Coarse on purpose: one write per token per five minutes, not per request.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user, ""

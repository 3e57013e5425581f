"""Councils, their charters and their members."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from courtyard.core.errors import BadInput, Conflict
from courtyard.councils.actions._common import TITLE_MAX, clean_text, log, now_or
from courtyard.councils.conf import CHARTER_FIELDS, configured_charter
from courtyard.councils.models import Council, CouncilMember, DecisionRule, MemberRole
from courtyard.councils.tally import TallyError, parse_rule
from courtyard.organizations.models import Organization
from courtyard.places.models import Place

# Bounds that keep a charter meaningful: a year of notice or of publication is a typo.
CHARTER_LIMITS = {
    "notice_days": (0, 60),
    "publication_working_days": (1, 60),
    "objection_days": (1, 90),
    "objection_threshold": (1, 100_000),
    "support_threshold": (1, 100_000),
    "screening_days": (1, 365),
    "meets_every_days": (1, 3660),
    "speech_minutes": (1, 60),
    "speeches_per_motion": (1, 20),
}


def _check_charter(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(CHARTER_FIELDS) - {"custom_rule"}
    if unknown:
        raise BadInput(_("Unknown charter field: %(name)s.") % {"name": sorted(unknown)[0]})
    for field, (low, high) in CHARTER_LIMITS.items():
        if field in values:
            value = values[field]
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise BadInput(
                    _("Give a whole number from %(low)d to %(high)d.") % {"low": low, "high": high},
                    field=field,
                )
    for field in ("secret_ballots", "results_hidden_until_close"):
        if field in values and not isinstance(values[field], bool):
            # A string such as "no" would reach the database as a 500, not as a refusal.
            raise BadInput(_("Answer yes or no."), field=field)
    rule = values.get("decision_rule")
    if rule is not None and rule not in DecisionRule.values:
        raise BadInput(_("Choose one of the decision rules."), field="decision_rule")
    if rule == DecisionRule.CUSTOM or values.get("custom_rule") is not None:
        try:
            parse_rule(values.get("custom_rule"))
        except TallyError as exc:
            raise BadInput(exc.message, field="custom_rule") from exc
    return values


@transaction.atomic
def create_council(
    *,
    by: Any,
    place: Place,
    name: str,
    description: str = "",
    now: datetime | None = None,
    **charter: Any,
) -> Council:
    """A council at `place`, its charter from the configured defaults and `charter`."""
    values = {**configured_charter(), **_check_charter(charter)}
    council = Council.objects.create(
        place=place,
        place_path=place.path,
        name=clean_text(name, "name", limit=TITLE_MAX),
        description=clean_text(description, "description", required=False),
        created_at=now_or(now),
        **values,
    )
    log(council, by=by, verb="council_created", at=council.created_at, name=council.name)
    return council


@transaction.atomic
def change_charter(
    council: Council, *, by: Any, now: datetime | None = None, **charter: Any
) -> Council:
    """Change charter fields. Votes already open keep the rule they opened with."""
    values = _check_charter(charter)
    council = Council.objects.select_for_update().get(pk=council.pk)
    changes = {}
    for field, value in values.items():
        old = getattr(council, field)
        if old != value:
            changes[field] = [old, value]
            setattr(council, field, value)
    if council.decision_rule == DecisionRule.CUSTOM and council.custom_rule is None:
        raise BadInput(_("A custom decision rule needs its conditions."), field="custom_rule")
    if changes:
        council.save(update_fields=list(changes))
        log(council, by=by, verb="charter_changed", at=now_or(now), **changes)
    return council


@transaction.atomic
def add_member(
    council: Council,
    *,
    by: Any,
    user: Any,
    role: str,
    organization: Organization | None = None,
    now: datetime | None = None,
) -> CouncilMember:
    """Seat `user` on the council. One current seat per person (a database constraint)."""
    if role not in MemberRole.values:
        raise BadInput(_("Choose one of the member roles."), field="role")
    if role in (MemberRole.UNIT, MemberRole.SOCIAL_ORGANIZATION, MemberRole.PROPERTY_COMPANY) and (
        organization is None
    ):
        raise BadInput(_("Say which organization this member represents."), field="organization")
    at = now_or(now)
    try:
        with transaction.atomic():
            member = CouncilMember.objects.create(
                council=council, user=user, role=role, organization=organization, joined_at=at
            )
    except IntegrityError as exc:
        raise Conflict(_("This person already has a seat on this council.")) from exc
    log(council, by=by, verb="member_added", at=at, member=str(user.pk), role=role)
    return member


@transaction.atomic
def remove_member(member: CouncilMember, *, by: Any, now: datetime | None = None) -> CouncilMember:
    """End a seat. Votes already open keep their frozen electorate."""
    member = (
        CouncilMember.objects.select_for_update(of=("self",))
        .select_related("council")
        .get(pk=member.pk)
    )
    if member.left_at is not None:
        raise Conflict(_("This member has already left the council."))
    member.left_at = now_or(now)
    member.save(update_fields=["left_at"])
    log(member.council, by=by, verb="member_removed", at=member.left_at, member=str(member.user_id))
    return member

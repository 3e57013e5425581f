"""Writes about organizations, committees and dual reporting. Atomic and audited."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from courtyard.core.audit import diff, record_event, snapshot
from courtyard.core.errors import BadInput, Conflict
from courtyard.organizations.credit_code import validate_credit_code
from courtyard.organizations.models import (
    Committee,
    CommitteeMembership,
    DualReport,
    DualReportKind,
    Organization,
    OrganizationKind,
    Position,
)
from courtyard.places.models import (
    COMMUNITY_LEVEL_KINDS,
    STREET_LEVEL_KINDS,
    Place,
    PlaceKind,
)
from courtyard.places.rollups import adjust_counts

COMMITTEE_KINDS = {PlaceKind.DISTRICT} | STREET_LEVEL_KINDS | COMMUNITY_LEVEL_KINDS


def _clean_credit_code(code: str | None) -> str | None:
    if not code or not code.strip():
        return None
    try:
        return validate_credit_code(code)
    except ValidationError as exc:
        raise BadInput(exc.messages[0], field="credit_code") from exc


@transaction.atomic
def create_organization(
    *,
    by: Any,
    name: str,
    kind: str,
    place: Place,
    credit_code: str | None = None,
    name_en: str = "",
    address: str = "",
) -> Organization:
    """Register an organization seated at `place`; a credit code must pass its check."""
    if kind not in OrganizationKind.values:
        raise BadInput(_("Unknown kind of organization: %(kind)s.") % {"kind": kind}, field="kind")
    if not name.strip():
        raise BadInput(_("An organization needs a name."), field="name")
    place = Place.objects.select_for_update().get(pk=place.pk)  # its current path
    code = _clean_credit_code(credit_code)
    duplicate = Conflict(
        _("An organization with the credit code %(code)s is already registered.") % {"code": code},
        field="credit_code",
    )
    if code and Organization.objects.filter(credit_code=code).exists():
        raise duplicate
    try:
        with transaction.atomic():  # the unique index decides a race
            org = Organization.objects.create(
                name=name.strip(),
                name_en=name_en.strip(),
                kind=kind,
                place=place,
                place_path=place.path,
                credit_code=code,
                address=address.strip(),
            )
    except IntegrityError as exc:
        raise duplicate from exc
    adjust_counts(place.path, f"org:{kind}", 1)
    record_event(
        by=by,
        verb="create_organization",
        target=org,
        changes={"name": [None, org.name], "kind": [None, kind], "place": [None, place.pk]},
        place_path=place.path,
    )
    return org


@transaction.atomic
def deactivate_organization(organization: Organization, *, by: Any) -> Organization:
    """Take an organization out of the public directory and out of the counts."""
    return _set_active(organization, by=by, active=False)


@transaction.atomic
def reactivate_organization(organization: Organization, *, by: Any) -> Organization:
    return _set_active(organization, by=by, active=True)


def _set_active(organization: Organization, *, by: Any, active: bool) -> Organization:
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    if organization.is_active == active:
        raise Conflict(
            _("This organization is already active.")
            if active
            else _("This organization is already inactive.")
        )
    organization.is_active = active
    organization.save(update_fields=["is_active"])
    adjust_counts(organization.place_path, f"org:{organization.kind}", 1 if active else -1)
    record_event(
        by=by,
        verb="reactivate_organization" if active else "deactivate_organization",
        target=organization,
        changes={"is_active": [not active, active]},
        place_path=organization.place_path,
    )
    return organization


@transaction.atomic
def create_committee(*, by: Any, place: Place, name: str, name_en: str = "") -> Committee:
    """Found the coordination committee of a district, street/township or community."""
    place = Place.objects.select_for_update().get(pk=place.pk)  # its current path
    if place.kind not in COMMITTEE_KINDS:
        raise BadInput(
            _(
                "Coordination committees sit at a district, a street or township, or a community "
                "or village."
            ),
            field="place",
        )
    duplicate = Conflict(_("%(place)s already has a coordination committee.") % {"place": place})
    if Committee.objects.filter(place=place).exists():
        raise duplicate
    try:
        with transaction.atomic():  # the unique place decides a race
            committee = Committee.objects.create(
                place=place, place_path=place.path, name=name.strip(), name_en=name_en.strip()
            )
    except IntegrityError as exc:
        raise duplicate from exc
    record_event(
        by=by,
        verb="create_committee",
        target=committee,
        changes={"name": [None, committee.name]},
        place_path=place.path,
    )
    return committee


@transaction.atomic
def add_committee_member(
    committee: Committee,
    *,
    by: Any,
    organization: Organization,
    position: str = Position.MEMBER,
    joined_on: date | None = None,
) -> CommitteeMembership:
    """Admit a unit to a committee. A unit that is already a current member is refused."""
    if position not in Position.values:
        raise BadInput(_("Unknown position: %(p)s.") % {"p": position}, field="position")
    if not organization.place.is_within(committee.place):
        raise BadInput(
            _("%(org)s is not seated within %(place)s.")
            % {"org": organization, "place": committee.place},
            field="organization",
        )
    try:
        with transaction.atomic():
            membership = CommitteeMembership.objects.create(
                committee=committee,
                organization=organization,
                position=position,
                joined_on=joined_on or timezone.localdate(),
            )
    except IntegrityError as exc:
        raise Conflict(
            _("%(org)s is already a member of this committee.") % {"org": organization}
        ) from exc
    record_event(
        by=by,
        verb="add_committee_member",
        target=membership,
        changes={"organization": [None, organization.pk], "position": [None, position]},
        place_path=committee.place.path,
    )
    return membership


@transaction.atomic
def change_committee_position(
    membership: CommitteeMembership, *, by: Any, position: str
) -> CommitteeMembership:
    if position not in Position.values:
        raise BadInput(_("Unknown position: %(p)s.") % {"p": position}, field="position")
    before = snapshot(membership, ["position"])
    membership.position = position
    membership.save(update_fields=["position"])
    record_event(
        by=by,
        verb="change_committee_position",
        target=membership,
        changes=diff(before, membership),
        place_path=membership.committee.place.path,
    )
    return membership


@transaction.atomic
def end_committee_membership(
    membership: CommitteeMembership, *, by: Any, left_on: date | None = None
) -> CommitteeMembership:
    membership = CommitteeMembership.objects.select_for_update().get(pk=membership.pk)
    if membership.left_on is not None:
        raise Conflict(_("This unit has already left the committee."))
    left_on = left_on or timezone.localdate()
    if left_on < membership.joined_on:
        raise BadInput(_("A unit cannot leave before it joined."), field="left_on")
    membership.left_on = left_on
    membership.save(update_fields=["left_on"])
    record_event(
        by=by,
        verb="end_committee_membership",
        target=membership,
        changes={"left_on": [None, str(left_on)]},
        place_path=membership.committee.place.path,
    )
    return membership


@transaction.atomic
def register_dual_report(
    *,
    by: Any,
    community: Place,
    commitments: str,
    organization: Organization | None = None,
    member: Any = None,
) -> DualReport:
    """A unit (via its handler) or an in-service party member registers with a community.

    One current registration per unit and per member, enforced by the database."""
    if not getattr(by, "is_authenticated", False):
        raise BadInput(_("A registration is made by a person: log in first."))
    if community.kind not in COMMUNITY_LEVEL_KINDS:
        raise BadInput(_("Dual reporting is done at a community or a village."), field="community")
    if not commitments.strip():
        raise BadInput(_("Say what you commit to do for the community."), field="commitments")
    kind = DualReportKind.PARTY_MEMBER if member is not None else DualReportKind.UNIT
    if kind == DualReportKind.UNIT and organization is None:
        raise BadInput(_("Choose the unit that registers."), field="organization")
    if organization is not None and not organization.place.is_within(community):
        raise BadInput(
            _("A unit reports to the community where it is seated: %(org)s is not in %(c)s.")
            % {"org": organization, "c": community},
            field="community",
        )
    try:
        with transaction.atomic():
            report = DualReport.objects.create(
                community=community,
                kind=kind,
                organization=organization,
                member=member,
                commitments=commitments.strip(),
                registered_by=by,
            )
    except IntegrityError as exc:
        raise Conflict(
            _("Already registered: withdraw the current registration before registering again.")
        ) from exc
    record_event(
        by=by,
        verb="register_dual_report",
        target=report,
        changes={"kind": [None, kind], "community": [None, community.pk]},
        place_path=community.path,
    )
    return report


@transaction.atomic
def withdraw_dual_report(report: DualReport, *, by: Any) -> DualReport:
    report = DualReport.objects.select_for_update().get(pk=report.pk)
    if report.withdrawn_on is not None:
        raise Conflict(_("This registration was already withdrawn."))
    report.withdrawn_on = timezone.localdate()
    report.save(update_fields=["withdrawn_on"])
    record_event(
        by=by,
        verb="withdraw_dual_report",
        target=report,
        changes={"withdrawn_on": [None, str(report.withdrawn_on)]},
        place_path=report.community.path,
    )
    return report

"""Who may do what with organizations, committees and dual reporting."""

from __future__ import annotations

from typing import Any

import rules

from courtyard.organizations.models import handled_organizations
from courtyard.people.scopes import administers


@rules.predicate
def administers_committee(user: Any, committee: Any) -> bool:
    return administers(user, committee.place.path)


@rules.predicate
def administers_community(user: Any, community: Any) -> bool:
    return administers(user, community.path)


@rules.predicate
def handles_organization(user: Any, organization: Any) -> bool:
    if organization is None:
        return False
    return handled_organizations(user).filter(pk=organization.pk).exists()


@rules.predicate
def is_registrant(user: Any, report: Any) -> bool:
    return bool(report.member_id and report.member_id == getattr(user, "pk", None)) or (
        report.organization_id is not None and handles_organization(user, report.organization)
    )


@rules.predicate
def administers_report_community(user: Any, report: Any) -> bool:
    return administers(user, report.community.path)


rules.add_perm("organizations.manage_committee", administers_committee)
rules.add_perm("organizations.view_dual_reports", administers_community)
rules.add_perm("organizations.register_unit", handles_organization)
rules.add_perm("organizations.withdraw_dual_report", is_registrant | administers_report_community)

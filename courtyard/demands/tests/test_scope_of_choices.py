"""Choices that point at other objects stay inside the chooser's remit: a unit is
dispatched to within the demand's district, a duplicate is merged into a demand the staff
member administers, and a merged duplicate's requester does not see the primary's content."""

from __future__ import annotations

from django.test import Client

from courtyard.demands import actions
from courtyard.demands.models import Demand, Status
from courtyard.organizations.actions import create_organization
from courtyard.organizations.models import OrganizationKind
from courtyard.people.actions import issue_token


def raise_(by, place, category, text="路灯不亮", requester=None):  # type: ignore[no-untyped-def]
    return actions.submit_demand(
        by=by, channel="web", place=place, category=category, description=text,
        requester=requester or by,
    )  # fmt: skip


def test_the_api_refuses_to_dispatch_to_a_unit_of_another_district(city, personas, catalogue):
    demand = raise_(personas.resident, city.courtyard, catalogue.streetlight)
    far = create_organization(
        by=None, name="海淀某公司", kind=OrganizationKind.ENTERPRISE, place=city.far_community
    )
    _, token = issue_token(personas.here, by=personas.here)
    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
        f"/api/v1/demands/{demand.pk}/dispatch",
        {"organization": far.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    demand.refresh_from_db()
    assert (demand.status, demand.assignee_id) == (Status.SUBMITTED, None)


def test_a_duplicate_is_not_merged_into_a_demand_one_only_raised(
    city, personas, catalogue, client_for
):
    mine_elsewhere = raise_(personas.here, city.far_community, catalogue.water, "我家停水")
    duplicate = raise_(personas.resident, city.courtyard, catalogue.streetlight)
    response = client_for(personas.here).post(
        f"/demands/{duplicate.pk}/merge/", {"primary": mine_elsewhere.pk}
    )
    assert response.status_code == 400
    assert Demand.objects.get(pk=duplicate.pk).status == Status.SUBMITTED


def test_a_merged_requester_does_not_see_the_primarys_content(
    city, personas, catalogue, client_for
):
    primary = raise_(
        personas.stranger, city.courtyard, catalogue.streetlight, "我是刘大妈，电话13911112222"
    )
    duplicate = raise_(personas.resident, city.courtyard, catalogue.streetlight)
    actions.merge_demand(duplicate, by=personas.here, primary=primary)
    resident = client_for(personas.resident)
    assert resident.get(f"/demands/{primary.pk}/").status_code == 404
    assert "13911112222" not in resident.get(f"/demands/{duplicate.pk}/").content.decode()

"""Demand fixtures: a small catalogue and responsibility table on the shared city."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from conftest import City, Personas
from courtyard.demands.models import FeedbackClass, Responsibility, ServiceCategory
from courtyard.organizations import actions as org_actions
from courtyard.organizations.models import Organization, OrganizationKind
from courtyard.people import actions as people_actions
from courtyard.people.models import RoleKind


@dataclass
class Catalogue:
    streetlight: ServiceCategory  # 路灯不亮 (general, 7 days), owned by the city-management unit
    water: ServiceCategory  # 停水 (utilities, 24 h), no row: falls back to the district
    department: Organization  # 东城区城市管理委员会
    fallback: Organization  # 东城区人民政府 (the district's fallback owner)


@pytest.fixture
def catalogue(city: City, personas: Personas) -> Catalogue:
    infrastructure = ServiceCategory.objects.create(
        service_code="infra", name="市政设施", name_en="Public works"
    )
    streetlight = ServiceCategory.objects.create(
        parent=infrastructure,
        service_code="streetlight",
        name="路灯不亮",
        name_en="Street light out",
        feedback_class=FeedbackClass.GENERAL,
    )
    water = ServiceCategory.objects.create(
        service_code="water-outage",
        name="停水",
        name_en="No water",
        feedback_class=FeedbackClass.UTILITIES,
    )
    department = org_actions.create_organization(
        by=None,
        name="东城区城市管理委员会",
        name_en="Dongcheng Urban Management",
        kind=OrganizationKind.GOVERNMENT_DEPARTMENT,
        place=city.district,
    )
    fallback = org_actions.create_organization(
        by=None,
        name="东城区人民政府",
        name_en="Dongcheng District Government",
        kind=OrganizationKind.GOVERNMENT_DEPARTMENT,
        place=city.district,
    )
    Responsibility.objects.create(
        category=infrastructure, place=city.district, organization=department
    )
    Responsibility.objects.create(category=None, place=city.district, organization=fallback)
    people_actions.assign_role(
        personas.handler, by=None, kind=RoleKind.DEPARTMENT_HANDLER, organization=department
    )
    return Catalogue(streetlight, water, department, fallback)

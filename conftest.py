"""Shared fixtures: a small city built through the actions, and the personas of every
access test — someone allowed here, someone one level up, an outsider in a sibling
community, an anonymous visitor (see ../shared/SECURITY.md and STYLE.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import translation

from courtyard.organizations import actions as org_actions
from courtyard.organizations.credit_code import check_character
from courtyard.organizations.models import Committee, Organization, OrganizationKind, Position
from courtyard.people import actions as people_actions
from courtyard.people.models import RoleKind, User
from courtyard.places.actions import create_place
from courtyard.places.models import Place, PlaceKind

# Playwright's sync API runs an event loop in the main thread; the ORM refuses to run
# beside one unless told this is a test.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct-horse-battery"


def credit_code(serial: int, prefix: str = "91110101") -> str:
    """A valid unified social credit code, unique per serial."""
    body = f"{prefix}{serial:09d}"
    return body + check_character(body)


@dataclass
class City:
    city: Place
    district: Place  # 东城区
    other_district: Place  # 海淀区
    street: Place  # 前门街道
    community: Place  # 草厂社区 (where "here" is)
    sibling: Place  # 大栅栏西街社区: same street, another community
    courtyard: Place  # a courtyard in 草厂社区
    far_community: Place  # 学院路 community in the other district
    unit: Organization  # a member unit seated in 草厂社区
    sibling_unit: Organization  # a unit seated in the sibling community
    committee: Committee  # the street's coordination committee


@pytest.fixture
def city(db) -> City:  # type: ignore[no-untyped-def]
    def place(parent: Place | None, kind: str, code: str, name: str, name_en: str) -> Place:
        return create_place(
            by=None, parent=parent, kind=kind, code=code, name=name, name_en=name_en
        )

    bj = place(None, PlaceKind.CITY, "110000000000", "北京市", "Beijing")
    dc = place(bj, PlaceKind.DISTRICT, "110101000000", "东城区", "Dongcheng District")
    hd = place(bj, PlaceKind.DISTRICT, "110108000000", "海淀区", "Haidian District")
    qm = place(dc, PlaceKind.STREET, "110101011000", "前门街道", "Qianmen Subdistrict")
    xy = place(hd, PlaceKind.STREET, "110108016000", "学院路街道", "Xueyuan Road Subdistrict")
    cc = place(qm, PlaceKind.COMMUNITY, "110101011010", "草厂社区居委会", "Caochang Community")
    sib = place(
        qm, PlaceKind.COMMUNITY, "110101011011", "大栅栏西街社区居委会", "Dashilar West Street"
    )
    far = place(xy, PlaceKind.COMMUNITY, "110108016001", "石油大院社区居委会", "Petroleum Compound")
    yard = place(
        cc, PlaceKind.BUILDING, "110101011010001", "草厂三条12号院", "No. 12, Caochang 3rd Lane"
    )
    unit = org_actions.create_organization(
        by=None,
        name="前门文化发展有限公司",
        name_en="Qianmen Culture Co.",
        kind=OrganizationKind.ENTERPRISE,
        place=cc,
        credit_code=credit_code(1),
    )
    sibling_unit = org_actions.create_organization(
        by=None,
        name="大栅栏小学",
        name_en="Dashilar Primary School",
        kind=OrganizationKind.SCHOOL,
        place=sib,
        credit_code=credit_code(2),
    )
    committee = org_actions.create_committee(
        by=None,
        place=qm,
        name="前门街道党建工作协调委员会",
        name_en="Qianmen Coordination Committee",
    )
    org_actions.add_committee_member(committee, by=None, organization=unit, position=Position.CHAIR)
    return City(bj, dc, hd, qm, cc, sib, yard, far, unit, sibling_unit, committee)


def make_user(username: str, **fields: object) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, **fields)
    return user


@dataclass
class Personas:
    here: User  # community worker at 草厂社区
    above: User  # street officer at 前门街道 (one level up)
    sibling: User  # community worker at the sibling community
    resident: User  # resident living in a 草厂 courtyard
    handler: User  # handler of the member unit seated in 草厂社区
    stranger: User  # logged in, no role at all


@pytest.fixture
def personas(city: City) -> Personas:
    here = make_user("worker-here", display_name="李社工")
    people_actions.assign_role(here, by=None, kind=RoleKind.COMMUNITY_WORKER, place=city.community)
    above = make_user("street-officer", display_name="张主任")
    people_actions.assign_role(above, by=None, kind=RoleKind.STREET_OFFICER, place=city.street)
    sibling = make_user("worker-sibling", display_name="赵社工")
    people_actions.assign_role(sibling, by=None, kind=RoleKind.COMMUNITY_WORKER, place=city.sibling)
    resident = make_user("resident", display_name="王秀兰", phone="13800138000")
    people_actions.assign_role(resident, by=None, kind=RoleKind.RESIDENT, place=city.courtyard)
    people_actions.set_home(resident, by=None, home=city.courtyard)
    handler = make_user("unit-handler", display_name="陈联络员")
    people_actions.assign_role(handler, by=None, kind=RoleKind.UNIT_HANDLER, organization=city.unit)
    stranger = make_user("stranger")
    return Personas(here, above, sibling, resident, handler, stranger)


@pytest.fixture(autouse=True)
def default_language():  # type: ignore[no-untyped-def]
    """Every test starts in the site's language: a test that activates another one (and
    forgets to restore it) must not change what the next test in the same worker reads."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):  # type: ignore[no-untyped-def]
    """Argon2 costs ~0.1 s a hash; tests of hashing itself set PASSWORD_HASHERS back."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client_for():  # type: ignore[no-untyped-def]
    """client_for(user) → a test Client logged in as `user` (None → anonymous)."""

    def make(user: User | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make

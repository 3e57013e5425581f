from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from courtyard.core.models import AuditEvent
from courtyard.demo.city import DEMO_ACCOUNTS, DEMO_PASSWORD
from courtyard.demo.city_places import CAOCHANG, NAMES_EN
from courtyard.organizations.credit_code import validate_credit_code
from courtyard.organizations.models import (
    Committee,
    CommitteeMembership,
    DualReport,
    Organization,
)
from courtyard.people.models import Role, User
from courtyard.places.models import Place, PlaceCount, segment

COUNTED = [Place, Organization, User, Role, Committee, CommitteeMembership, DualReport, AuditEvent]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


@pytest.fixture
def demo(db: None) -> str:
    out = StringIO()
    call_command("demo", force=True, stdout=out)
    return out.getvalue()


def test_second_run_creates_nothing(demo: str) -> None:
    before = counts()
    out = StringIO()
    call_command("demo", force=True, stdout=out)
    assert counts() == before
    assert "nothing was added" in out.getvalue()


def test_demo_city_has_the_real_divisions_and_the_small_places(demo: str) -> None:
    caochang = Place.objects.get(code=CAOCHANG)
    assert caochang.name == "草厂社区居委会"
    assert caochang.name_en == "Caochang Community"
    assert caochang.parent is not None and caochang.parent.name_en == "Qianmen Subdistrict"
    assert Place.objects.filter(kind="district").count() == 3
    assert Place.objects.filter(kind="street").count() == 5
    xueyuan = Place.objects.get(code="110108010000")
    assert xueyuan.children.count() == 31
    assert all(child.name_en for child in xueyuan.children.all())
    assert set(NAMES_EN) <= set(Place.objects.values_list("code", flat=True))
    courtyard = Place.objects.get(name="草厂三条12号院")
    assert courtyard.name_en == "No. 12 Courtyard, Caochang 3rd Lane"
    assert courtyard.kind == "building" and courtyard.is_within(caochang)
    assert courtyard.code.startswith(courtyard.parent.code) and len(courtyard.code) == 18
    assert Place.objects.filter(kind="unit", name="1单元").count() == 3


def test_every_place_has_its_path_and_counts_are_right(demo: str) -> None:
    parents = dict(Place.objects.values_list("pk", "path"))
    for pk, parent_id, path in Place.objects.values_list("pk", "parent_id", "path"):
        assert path == (parents[parent_id] if parent_id else "") + segment(pk)
    caochang = Place.objects.get(code=CAOCHANG)
    counted = dict(PlaceCount.objects.filter(place=caochang).values_list("item", "count"))
    assert counted["grid"] == 2
    assert counted["building"] == 20
    assert counted["org:enterprise"] == 1


def test_every_demo_account_logs_in_with_the_demo_password(demo: str, client) -> None:  # type: ignore[no-untyped-def]
    assert len(DEMO_ACCOUNTS) == 10
    for username, role_zh, role_en in DEMO_ACCOUNTS:
        assert role_zh and role_en
        client.logout()
        response = client.post(
            reverse("people:login"), {"username": username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, username
        assert client.session["_auth_user_id"] == str(User.objects.get(username=username).pk)


def _roles(username: str) -> list[tuple[str, str | None, str | None]]:
    return sorted(
        Role.objects.active()
        .filter(user__username=username)
        .values_list("kind", "place__code", "organization__name")
    )


def test_community_workers_hold_exactly_their_roles(demo: str) -> None:
    assert _roles("demo-worker") == [("community_worker", CAOCHANG, None)]
    assert _roles("demo-worker-2") == [("community_worker", "110108010009", None)]
    assert _roles("demo-department") == [("department_handler", None, "东城区城市管理委员会")]


def test_resident_lives_in_a_caochang_courtyard(demo: str) -> None:
    resident = User.objects.get(username="demo-resident")
    caochang = Place.objects.get(code=CAOCHANG)
    assert resident.display_name == "王秀兰"
    assert resident.phone
    assert resident.home is not None and resident.home.is_within(caochang)
    assert resident.home.kind == "building"
    assert _roles("demo-resident") == [("resident", resident.home.code, None)]
    volunteer = User.objects.get(username="demo-volunteer")
    assert volunteer.home is not None and volunteer.home.is_within(caochang)
    assert {kind for kind, _, _ in _roles("demo-volunteer")} == {"resident", "volunteer"}


def test_city_admin_can_use_the_admin(demo: str) -> None:
    admin = User.objects.get(username="demo-city")
    assert admin.is_staff and admin.is_superuser
    assert not User.objects.exclude(username="demo-city").filter(is_superuser=True).exists()


def test_organizations_committees_and_dual_reports(demo: str) -> None:
    for code in Organization.objects.values_list("credit_code", flat=True):
        assert validate_credit_code(code) == code
    assert Organization.objects.filter(kind="social_organization").count() == 3
    assert set(
        Organization.objects.filter(kind="government_department").values_list(
            "place__code", flat=True
        )
    ) == {"110101000000", "110108000000", "110114000000"}  # 东城区's; 海淀区, 昌平区 governments
    qianmen = Committee.objects.get(place__code="110101011000")
    assert qianmen.name == "前门街道党建工作协调委员会"
    positions = sorted(qianmen.memberships.current().values_list("position", flat=True))
    assert positions.count("chair") == 1 and positions.count("deputy") == 1
    assert len(positions) >= 5
    handled = Role.objects.get(user__username="demo-unit").organization
    assert qianmen.memberships.current().filter(organization=handled).exists()
    assert Committee.objects.filter(place__code=CAOCHANG).exists()
    reports = DualReport.objects.current().filter(community__code=CAOCHANG)
    assert sorted(reports.values_list("kind", flat=True)) == ["party_member", "unit", "unit"]
    assert all("社区" in r.commitments for r in reports)


def test_every_demo_write_left_an_audit_row(demo: str) -> None:
    audited = {
        (verb, target_id) for verb, target_id in AuditEvent.objects.values_list("verb", "target_id")
    }
    for model, verb in [
        (Organization, "create_organization"),
        (Committee, "create_committee"),
        (CommitteeMembership, "add_committee_member"),
        (DualReport, "register_dual_report"),
        (Role, "assign_role"),
    ]:
        for pk in model.objects.values_list("pk", flat=True):
            assert (verb, str(pk)) in audited, (model.__name__, pk)
    small = Place.objects.filter(kind__in=["grid", "building", "unit"]).values_list("pk", flat=True)
    assert all(("create_place", str(pk)) in audited for pk in small)


def test_output_lists_the_accounts_and_where_to_log_in(demo: str) -> None:
    for username, _, _ in DEMO_ACCOUNTS:
        assert username in demo
    assert "/accounts/login/" in demo
    assert DEMO_PASSWORD in demo


@pytest.mark.django_db
def test_demo_refuses_to_run_when_debug_is_off_without_force(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("demo", stdout=StringIO())
    assert not User.objects.filter(username__startswith="demo-").exists()


@pytest.mark.django_db
def test_demo_keeps_a_changed_password(settings):
    call_command("demo", force=True, stdout=StringIO())
    user = User.objects.get(username="demo-city")
    user.set_password("a-new-secret-2026")
    user.save()
    call_command("demo", force=True, stdout=StringIO())
    user.refresh_from_db()
    assert user.check_password("a-new-secret-2026")

"""The demo city's demands (`courtyard demo` → demo.city_demands).

The demo is loaded once for the module (inside a transaction rolled back at the end): a
load plays 300 demands through the actions, too slow to repeat for every test."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from courtyard.core.models import AuditEvent
from courtyard.demands.catalogue import CATALOGUE
from courtyard.demands.models import (
    WITH_UNIT_STATUSES,
    Channel,
    Demand,
    DemandTally,
    Dispatch,
    Responsibility,
    ServiceCategory,
    Status,
)
from courtyard.demands.routing import responsible_unit
from courtyard.demo.city_demands import DEMO_DEMANDS
from courtyard.demo.city_places import CAOCHANG, caochang_courtyard
from courtyard.organizations.models import Organization
from courtyard.people.models import User
from courtyard.places.models import Place

TABLES = [Demand, Dispatch, DemandTally, Responsibility, ServiceCategory, Organization, AuditEvent]


def tallies() -> list[tuple[object, ...]]:
    return sorted(
        DemandTally.objects.values_list(
            "month",
            "place_id",
            "organization_id",
            "dispatched",
            "responded_in_time",
            "evaluated",
            "resolved",
            "satisfied",
            "basically_satisfied",
            "unsatisfied",
        ),
        key=repr,
    )


def test_a_second_run_adds_nothing(demo: None) -> None:
    before = {model.__name__: model.objects.count() for model in TABLES}
    rates = tallies()
    out = StringIO()
    call_command("demo", force=True, stdout=out)
    assert {model.__name__: model.objects.count() for model in TABLES} == before
    assert tallies() == rates
    assert "nothing was added" in out.getvalue()


def test_the_catalogue_and_the_fallback_governments_are_loaded(demo: None) -> None:
    assert ServiceCategory.objects.count() == len(CATALOGUE)
    governments = Organization.objects.filter(name__endswith="区人民政府")
    assert sorted(governments.values_list("name", "place__name")) == [
        ("东城区人民政府", "东城区"),
        ("昌平区人民政府", "昌平区"),
        ("海淀区人民政府", "海淀区"),
    ]
    audited = set(AuditEvent.objects.filter(verb="create_organization").values_list("target_id"))
    assert all((str(pk),) in audited for pk in governments.values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("code", "place_code", "unit"),
    [
        ("streetlight", caochang_courtyard(3, 12), "东城区城市管理委员会"),
        ("road-damage", "110101011001", "东城区城市管理委员会"),
        ("garbage", CAOCHANG, "东城区城市管理委员会"),
        ("roof-leak", caochang_courtyard(5, 27), "东城区住房和城市建设委员会"),
        ("community-activity", caochang_courtyard(1, 12), "北京草厂胡同文化发展有限公司"),
        ("community-activity", "110101011001", "东城区人民政府"),
        ("water-outage", CAOCHANG, "东城区人民政府"),
        ("streetlight", "110108010009", "海淀区人民政府"),
        ("property-service", "110108010009", "北京学清物业服务有限公司"),
        ("noise", "110114011001", "昌平区人民政府"),
    ],
)
def test_the_responsibility_table_routes_the_demo_city(
    demo: None, code: str, place_code: str, unit: str
) -> None:
    category = ServiceCategory.objects.get(service_code=code)
    place = Place.objects.get(code=place_code)
    found = responsible_unit(category, place)
    assert found is not None and found.name == unit


def test_a_few_hundred_demands_in_every_state(demo: None) -> None:
    # The hotline-style orders; the demo council adds one more, from a follow-up task.
    demands = Demand.objects.exclude(channel=Channel.COUNCIL)
    assert demands.count() == DEMO_DEMANDS
    assert set(demands.values_list("external_id", flat=True)) == {
        f"DEMO-{n:06d}" for n in range(1, DEMO_DEMANDS + 1)
    }
    assert set(demands.values_list("status", flat=True)) == set(Status.values)
    assert demands.overdue().count() >= 10
    assert demands.filter(times_reopened__gt=0, status=Status.CLOSED).exists()
    assert demands.filter(times_reopened__gt=0).exclude(status=Status.CLOSED).exists()
    assert Dispatch.objects.filter(returned_at__isnull=False).count() >= 3
    assert demands.filter(extension_requested_until__isnull=False).exists()
    assert (
        demands.filter(status=Status.MERGED, primary__isnull=False).count()
        == demands.filter(status=Status.MERGED).count()
    )
    assert set(demands.values_list("satisfaction", flat=True)) == {
        "",
        "satisfied",
        "basic",
        "unsatisfied",
    }


def test_requesters_carry_names_and_eleven_digit_mobiles(demo: None) -> None:
    for name, phone in Demand.objects.values_list("requester_name", "requester_phone"):
        assert name
        assert re.fullmatch(r"1[3-9]\d{9}", phone), phone


def test_times_spread_over_the_last_three_months(demo: None) -> None:
    now = timezone.now()
    first = Demand.objects.earliest("submitted_at").submitted_at
    assert now - timedelta(days=91) <= first <= now - timedelta(days=60)
    for field in ("submitted_at", "dispatched_at", "contacted_at", "evaluated_at", "closed_at"):
        latest = Demand.objects.filter(**{f"{field}__isnull": False}).latest(field)
        assert getattr(latest, field) <= now
    months = set(DemandTally.objects.values_list("month", flat=True))
    assert len(months) >= 3
    for demand in Demand.objects.exclude(dispatched_at=None):
        steps = [
            demand.submitted_at,
            demand.accepted_at,
            demand.dispatched_at,
            demand.signed_at,
            demand.contacted_at,
            demand.replied_at,
            demand.evaluated_at,
        ]
        taken = [step for step in steps if step is not None]
        assert taken == sorted(taken), demand.external_id


def test_demo_accounts_have_demands_to_work_on(demo: None) -> None:
    resident = User.objects.get(username="demo-resident")
    mine = Demand.objects.visible_to(resident).filter(requester=resident)
    assert mine.count() >= 7
    assert mine.filter(status=Status.REPLIED).exists()  # she can rate one now
    assert mine.filter(status=Status.CLOSED).exists()
    department = User.objects.get(username="demo-department")
    inbox = Demand.objects.visible_to(department).filter(
        assignee__name="东城区城市管理委员会", status__in=WITH_UNIT_STATUSES
    )
    assert inbox.filter(status=Status.DISPATCHED).count() >= 2
    assert inbox.filter(requester=resident).exists()
    unit = User.objects.get(username="demo-unit")
    assert (
        Demand.objects.visible_to(unit)
        .filter(assignee__name="北京草厂胡同文化发展有限公司", status__in=WITH_UNIT_STATUSES)
        .count()
        >= 2
    )
    worker = User.objects.get(username="demo-worker")
    caochang = Place.objects.get(code=CAOCHANG)
    assert Demand.objects.visible_to(worker).within(caochang).filter(status="submitted").exists()


def test_every_step_was_an_action_with_its_audit_row(demo: None) -> None:
    submitted = set(
        AuditEvent.objects.filter(verb="submit_demand").values_list("target_id", flat=True)
    )
    assert submitted == {str(pk) for pk in Demand.objects.values_list("pk", flat=True)}
    dispatched = AuditEvent.objects.filter(verb="dispatch_demand").count()
    assert dispatched == Dispatch.objects.count()


def test_the_incremental_rates_agree_with_a_rebuild(demo: None) -> None:
    rebuild = pytest.importorskip("courtyard.demands.rebuild")
    before = tallies()
    rebuild.rebuild_demand_rates()
    assert [row for row in tallies() if any(row[3:])] == [row for row in before if any(row[3:])]

"""`courtyard generate --demands N`: demands in bulk, consistent with the actions' rules."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db.models import Count

from courtyard.core.models import AuditEvent
from courtyard.demands.catalogue import CATALOGUE
from courtyard.demands.generator import make_demands
from courtyard.demands.models import (
    OPEN_STATUSES,
    Demand,
    DemandTally,
    Dispatch,
    Responsibility,
    ServiceCategory,
    Status,
)
from courtyard.demands.routing import responsible_unit
from courtyard.organizations.models import Organization
from courtyard.places.models import Place

SMALL = [
    "--synthetic",
    "--districts", "2", "--streets", "2", "--communities", "3",
    "--grids", "24", "--buildings", "60", "--units", "30", "--social-orgs", "0",
    "--no-progress",
]  # fmt: skip


def generate(*args: str) -> str:
    out = StringIO()
    call_command("generate", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def generated(db: None) -> str:
    # Small batches: duplicates merge into demands of earlier batches.
    return generate(*SMALL, "--demands", "600", "--demand-months", "6", "--batch-size", "100")


def test_counts_and_the_summary(generated: str) -> None:
    assert Demand.objects.count() == 600
    assert ServiceCategory.objects.count() == len(CATALOGUE)
    # 4 city utility companies; urban, housing, civil affairs and government per district.
    assert Organization.objects.filter(kind="government_department").count() == 8
    assert Organization.objects.filter(name__startswith="示例").count() == 4
    with_unit = Demand.objects.exclude(dispatched_at=None)
    assert (
        Dispatch.objects.count()
        == with_unit.count() + Demand.objects.filter(times_dispatched=2).count()
    )
    assert "600 demands" in generated and "departments" in generated
    assert not AuditEvent.objects.filter(verb="submit_demand").exists()


def test_every_state_and_spread_over_the_months(generated: str) -> None:
    statuses = Counter(Demand.objects.values_list("status", flat=True))
    assert statuses[Status.CLOSED] > 400
    assert statuses[Status.ANSWERED] > 10
    assert {Status.DECLINED, Status.MERGED} <= set(statuses)
    months = Demand.objects.dates("submitted_at", "month")
    assert len(months) in (6, 7)
    phones = Demand.objects.values_list("requester_phone", flat=True)
    assert all(len(phone) == 11 and phone.startswith("1") for phone in phones)


def test_demands_are_dispatched_to_whom_the_table_names(generated: str) -> None:
    rows = Demand.objects.exclude(assignee=None).select_related("category", "place")
    assert rows.count() > 400
    for demand in rows:
        assert responsible_unit(demand.category, demand.place).pk == demand.assignee_id
    # Misrouted orders went to the district government first, which returned them.
    for dispatch in Dispatch.objects.exclude(returned_at=None):
        assert dispatch.organization.name.endswith("人民政府")
        assert dispatch.return_reason


def test_stamps_and_clocks_are_consistent(generated: str) -> None:
    for d in Demand.objects.all():
        steps = [d.submitted_at, d.accepted_at, d.dispatched_at, d.signed_at, d.contacted_at]
        steps += [d.replied_at, d.evaluated_at]
        taken = [s for s in steps if s is not None]
        assert taken == sorted(taken), d.pk
        if d.status == Status.DISPATCHED:
            assert d.due_at == d.sign_due_at
        elif d.status == Status.SIGNED:
            assert d.due_at == d.response_due_at
        elif d.status == Status.CONTACTED:
            assert d.due_at == d.feedback_due_at
        else:
            assert d.due_at is None, (d.pk, d.status)
        if d.dispatched_at:
            assert d.sign_due_at <= d.response_due_at <= d.feedback_due_at
        if d.evaluated_at:
            assert d.status == Status.CLOSED and d.satisfaction and d.resolved is not None
        if d.status in OPEN_STATUSES:
            assert d.closed_at is None
        else:
            assert (
                d.closed_at is not None or d.status == Status.MERGED or (d.status == Status.REPLIED)
            )
    latest = Dispatch.objects.values("demand").annotate(n=Count("id")).filter(n__gt=1)
    for row in latest:
        assert Demand.objects.get(pk=row["demand"]).times_dispatched == row["n"]


def test_the_rates_are_rebuilt_when_the_command_exists(generated: str) -> None:
    pytest.importorskip("courtyard.demands.rebuild")
    city = Place.objects.get(code="990000000000")
    kept = Dispatch.objects.filter(returned_at=None).count()
    assert sum(DemandTally.objects.filter(place=city).values_list("dispatched", flat=True)) == kept
    evaluated = Demand.objects.exclude(evaluated_at=None).count()
    assert sum(DemandTally.objects.filter(place=city).values_list("evaluated", flat=True)) == (
        evaluated
    )


def test_the_responsibility_table_is_made_once_per_district(generated: str) -> None:
    fallback = Responsibility.objects.filter(category=None)
    assert sorted(fallback.values_list("place__kind", flat=True)) == ["district", "district"]


def test_the_same_seed_and_day_give_the_same_demands(db: None) -> None:
    generate(*SMALL)
    root = Place.objects.get(code="990000000000")
    until = datetime(2025, 3, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
    generated_units = set(Organization.objects.values_list("pk", flat=True))

    def run() -> list[tuple[object, ...]]:
        make_demands(random.Random(7), root, 150, months=2, until=until)
        rows = list(
            Demand.objects.order_by("pk").values_list(
                "place__code", "category__service_code", "status", "submitted_at",
                "closed_at", "requester_phone", "description", "assignee__name",
            )
        )  # fmt: skip
        Dispatch.objects.all().delete()
        Demand.objects.filter(primary__isnull=False).delete()
        Demand.objects.all().delete()
        Responsibility.objects.all().delete()
        Organization.objects.exclude(pk__in=generated_units).delete()
        return rows

    first = run()
    assert len(first) == 150 and first == run()


def test_no_demands_by_default(db: None) -> None:
    generate(*SMALL)
    assert not Demand.objects.exists() and not ServiceCategory.objects.exists()


def test_the_actions_work_on_after_a_bulk_generation(generated: str) -> None:
    """The ids the generator gave itself are behind the tables' sequences (PostgreSQL)."""
    from courtyard.demands import actions

    place = Place.objects.filter(kind="building").first()
    category = ServiceCategory.objects.get(service_code="streetlight")
    demand = actions.submit_demand(
        by=None, channel="hotline", place=place, category=category, description="路灯不亮"
    )
    demand = actions.dispatch_demand(demand, by=None)
    assert demand.pk > Demand.objects.exclude(pk=demand.pk).latest("pk").pk
    assert Dispatch.objects.filter(demand=demand).count() == 1

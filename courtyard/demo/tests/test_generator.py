from __future__ import annotations

import hashlib
import random
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from courtyard.core.models import AuditEvent
from courtyard.demo.bulk import allocate
from courtyard.demo.credit import counter_org_code, credit_code
from courtyard.organizations.credit_code import validate_credit_code
from courtyard.organizations.models import (
    Committee,
    CommitteeMembership,
    DualReport,
    Organization,
)
from courtyard.people.models import User
from courtyard.places.models import Place, PlaceCount, path_ids, segment

SMALL = [
    "--synthetic",
    "--districts", "2", "--streets", "2", "--communities", "3",
    "--grids", "50", "--buildings", "100", "--units", "40", "--social-orgs", "60",
    "--no-progress",
]  # fmt: skip
# What SMALL with seed 1 generates, on every database. A change to the generator or its
# word lists changes it: check the new output by eye, then update the digest.
SMALL_DIGEST = "2a0be89456d735fea586f2a60a20ac59b6cae2c335ca5da29c3ea3e33e635c24"
UNIT_KINDS = {
    "enterprise",
    "public_institution",
    "central_unit",
    "school",
    "hospital",
    "property_company",
    "other",
}
TABLES = [
    Place,
    PlaceCount,
    Organization,
    Committee,
    CommitteeMembership,
    DualReport,
    User,
    AuditEvent,
]


def generate(*args: str) -> str:
    out = StringIO()
    call_command("generate", *args, stdout=out)
    return out.getvalue()


def digest() -> str:
    """Everything a seed decides (codes, names, kinds, links, dates), not database ids."""
    rows = [
        *Place.objects.values_list("code", "kind", "name", "name_en", "parent__code"),
        *Organization.objects.values_list("credit_code", "kind", "name", "name_en", "place__code"),
        *CommitteeMembership.objects.values_list(
            "committee__place__code", "organization__credit_code", "position", "joined_on"
        ),
        *DualReport.objects.values_list(
            "organization__credit_code", "community__code", "commitments", "registered_on"
        ),
    ]
    return hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()


def table_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in TABLES}


@pytest.fixture
def small(db: None) -> str:
    return generate(*SMALL)


def test_small_synthetic_city_has_exact_counts(small: str) -> None:
    kinds = Counter(Place.objects.values_list("kind", flat=True))
    assert kinds == {
        "city": 1,
        "district": 2,
        "street": 4,
        "community": 12,
        "grid": 50,
        "building": 100,
    }
    orgs = Counter(Organization.objects.values_list("kind", flat=True))
    assert orgs["social_organization"] == 60
    assert sum(n for kind, n in orgs.items() if kind in UNIT_KINDS) == 40
    assert sum(orgs.values()) == 100
    assert Committee.objects.count() == 4
    assert set(Committee.objects.values_list("place__kind", flat=True)) == {"street"}
    # Up to ten members per committee, all units seated within its street.
    for committee in Committee.objects.all():
        here = Organization.objects.within(committee.place).filter(kind__in=UNIT_KINDS).count()
        members = committee.memberships.current()
        assert members.count() == min(10, here)
        assert members.filter(position="chair").count() == (1 if here else 0)
        assert all(m.organization.place.is_within(committee.place) for m in members)
    reports = DualReport.objects.all()
    assert 0 < reports.count() < 40
    assert all(r.kind == "unit" and r.community_id == r.organization.place_id for r in reports)
    assert {r.registered_by.username for r in reports} == {"generator"}
    assert not User.objects.get(username="generator").has_usable_password()
    assert "50 grids" in small and "100 buildings" in small


def test_codes_follow_their_parents(small: str) -> None:
    for code, kind, parent_code in Place.objects.values_list("code", "kind", "parent__code"):
        assert code.startswith("99")
        if kind in ("grid", "building"):
            assert len(code) == len(parent_code) + 3 and code.startswith(parent_code)
        else:
            assert len(code) == 12


def test_every_place_has_a_correct_path(small: str) -> None:
    paths = dict(Place.objects.values_list("pk", "path"))
    for pk, parent_id, path in Place.objects.values_list("pk", "parent_id", "path"):
        assert path == (paths[parent_id] if parent_id else "") + segment(pk)


def test_place_counts_equal_a_recount(small: str) -> None:
    expected: Counter[tuple[int, str]] = Counter()
    for path, kind in Place.objects.exclude(parent=None).values_list("path", "kind"):
        for pk in path_ids(path)[:-1]:
            expected[(pk, kind)] += 1
    for path, kind in Organization.objects.values_list("place__path", "kind"):
        for pk in path_ids(path):
            expected[(pk, f"org:{kind}")] += 1
    stored = {
        (pk, item): n
        for pk, item, n in PlaceCount.objects.values_list("place", "item", "count")
        if n
    }
    assert stored == dict(expected)


def test_credit_codes_are_valid_and_unique(small: str) -> None:
    codes = list(Organization.objects.values_list("credit_code", flat=True))
    assert len(set(codes)) == len(codes) == 100
    assert all(validate_credit_code(code) == code for code in codes)


def test_same_seed_gives_the_same_city(small: str) -> None:
    first = digest()
    assert first == SMALL_DIGEST
    # Wipe, leaves first, and generate again into the same (now empty) tables.
    DualReport.objects.all().delete()
    CommitteeMembership.objects.all().delete()
    Committee.objects.all().delete()
    Organization.objects.all().delete()
    for kind in ["building", "grid", "community", "street", "district", "city"]:
        Place.objects.filter(kind=kind).delete()
    generate(*SMALL)
    assert digest() == first


def test_another_seed_gives_another_city(small: str) -> None:
    first = digest()
    DualReport.objects.all().delete()
    CommitteeMembership.objects.all().delete()
    Committee.objects.all().delete()
    Organization.objects.all().delete()
    for kind in ["building", "grid", "community", "street", "district", "city"]:
        Place.objects.filter(kind=kind).delete()
    generate(*SMALL, "--seed", "2")
    assert digest() != first


def test_second_run_refuses_and_writes_nothing(small: str) -> None:
    before = table_counts()
    with pytest.raises(CommandError, match="already has grids"):
        generate(*SMALL)
    with pytest.raises(CommandError, match="already has grids"):
        generate(*SMALL, "--grids", "0", "--buildings", "0")
    assert table_counts() == before


def test_no_committees(db: None) -> None:
    generate(*SMALL, "--no-committees")
    assert not Committee.objects.exists()
    assert DualReport.objects.exists()


def test_too_many_grids_for_the_codes_is_refused_and_writes_nothing(db: None) -> None:
    with pytest.raises(CommandError, match="at most 999"):
        generate(
            "--synthetic",
            "--districts",
            "1",
            "--streets",
            "1",
            "--communities",
            "1",
            "--grids",
            "1000",
            "--buildings",
            "0",
            "--no-progress",
        )
    assert not Place.objects.exists()


def test_beijing_by_default(db: None) -> None:
    generate(
        "--grids", "20", "--buildings", "30", "--units", "10", "--social-orgs", "5", "--no-progress"
    )
    kinds = Counter(Place.objects.values_list("kind", flat=True))
    assert kinds["district"] == 16
    assert kinds["street"] + kinds["township"] == 349
    assert kinds["community"] + kinds["village"] == 7535
    assert kinds["grid"] == 20 and kinds["building"] == 30
    assert Committee.objects.count() == 349
    assert Place.objects.get(code="110000000000").counts.get(item="grid").count == 20


def test_allocate_spreads_exactly_and_respects_the_cap() -> None:
    rng = random.Random(5)
    counts = allocate(1000, 7, rng, cap=200)
    assert sum(counts) == 1000 and max(counts) <= 200
    assert allocate(0, 3, rng, cap=1) == [0, 0, 0]
    with pytest.raises(ValueError):
        allocate(10, 3, rng, cap=3)


def test_counter_codes_are_distinct_and_valid() -> None:
    codes = {credit_code("91", "110101", counter_org_code(n)) for n in range(5000)}
    assert len(codes) == 5000
    assert all(validate_credit_code(code) == code for code in codes)

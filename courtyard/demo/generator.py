"""`courtyard generate`: a city-sized data set, fast, for load tests and benchmarks.

The administrative tree comes from the importer (Beijing's bundled file, or a synthetic
city); grids, buildings, organizations, committees and dual reports are then bulk-inserted
in batches — no per-row action, no per-row query — and the materialized paths and the
PlaceCount rollup are rebuilt once at the end.

Invariants:
- The same options and seed give the same codes and names on any database (one
  `random.Random(seed)`, consumed in a fixed order over rows sorted by code).
- It refuses, before writing anything, a database that already holds grids under the city
  it would generate (or organizations an earlier run generated): appending is not
  supported, because codes and credit codes would collide.
- It runs in one transaction: it writes everything or nothing.
- Generated rows have no audit events (they are not the doing of any person); the
  organizations' credit codes are valid and unique (organization code "CYG" + a counter).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.management.base import CommandError
from django.db import connection, transaction
from tqdm import tqdm

from courtyard.demo.bulk import allocate, insert_in_batches, progress_bar
from courtyard.demo.city_places import DIVISIONS_CSV
from courtyard.demo.credit import GENERATED_LEAD
from courtyard.demo.generator_orgs import (
    Community,
    make_committees,
    make_dual_reports,
    make_organizations,
)
from courtyard.demo.naming import building_name, short_place_name
from courtyard.demo.synthetic import SYNTHETIC_CITY, synthetic_csv
from courtyard.organizations.models import (
    Committee,
    CommitteeMembership,
    DualReport,
    Organization,
)
from courtyard.places.importer import import_places
from courtyard.places.models import COMMUNITY_LEVEL_KINDS, Place, PlaceCount, PlaceKind
from courtyard.places.rollups import rebuild_place_counts
from courtyard.places.tree import fill_paths

BEIJING = "110000000000"
MAX_CHILDREN = 999  # a grid or building code is its parent's code + 3 digits


@dataclass
class GenerateOptions:
    """What to generate. The defaults are Beijing's scale: ~70,000 grids, 17,000 units
    (驻区单位), 68,000 social organizations."""

    grids: int = 70_000
    buildings: int = 210_000
    units: int = 17_000
    social_orgs: int = 68_000
    committees: bool = True
    synthetic: bool = False
    districts: int = 16
    streets: int = 22
    communities: int = 22
    seed: int = 1
    progress: bool = True
    batch_size: int = 2000
    demands: int = 0  # resident demands with their histories (demands.generator)
    demand_months: int = 12
    councils: int = 0  # councils with members, meetings and owners' rolls (generator_councils)


@dataclass
class GenerateReport:
    """Rows made and seconds spent, by phase."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    rates_rebuilt: bool | None = None  # None: no demands generated

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


def refuse_unless_fresh(root_code: str) -> None:
    """Raise CommandError if an earlier run (or the demo city) left rows that would collide."""
    root = Place.objects.filter(code=root_code).first()
    if root is not None:
        grids = Place.objects.within(root).filter(kind=PlaceKind.GRID)
        if grids.exists():
            raise CommandError(
                f"This database already has grids under {root.name} ({root_code}), from an "
                "earlier `courtyard generate` or from `courtyard demo`. Generating again would "
                "collide with their codes: generate into a fresh database (or another city "
                "with --synthetic). Nothing was written."
            )
    # Credit codes hold the organization code at characters 9–17.
    if Organization.objects.filter(credit_code__regex=f"^.{{8}}{GENERATED_LEAD}").exists():
        raise CommandError(
            "This database already holds generated organizations (credit codes with "
            f"{GENERATED_LEAD} as organization code); generate into a fresh database. "
            "Nothing was written."
        )


def analyze_tables() -> None:
    """On PostgreSQL, refresh the planner's statistics of the tables just filled: until
    autovacuum comes by it would plan with the empty tables' numbers (sequential scans and
    hash joins where an index scan would do), so the first minutes would not look like
    the steady state. SQLite keeps no statistics unless someone runs ANALYZE, which a
    Courtyard deployment does not, so it is left as deployments will have it."""
    if connection.vendor != "postgresql":
        return
    from courtyard.councils import models as councils
    from courtyard.demands.models import Demand, DemandTally, Dispatch, Responsibility

    models = [Place, PlaceCount, Organization, Committee, CommitteeMembership, DualReport]
    models += [Responsibility, Demand, Dispatch, DemandTally]
    models += [councils.Council, councils.CouncilMember, councils.Proposal, councils.Meeting]
    models += [councils.Vote, councils.Voter, councils.Ballot, councils.ExclusivePart]
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


class Generator:
    """One run. Call `run()` once."""

    def __init__(self, options: GenerateOptions) -> None:
        self.options = options
        self.rng = random.Random(options.seed)
        self.report = GenerateReport()
        self.root_code = SYNTHETIC_CITY if options.synthetic else BEIJING

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.report.seconds[name] = round(time.perf_counter() - started, 2)

    def bar(self, total: int | None, desc: str) -> tqdm[Any]:
        return progress_bar(total, desc, enabled=self.options.progress)

    def run(self) -> GenerateReport:
        options = self.options
        refuse_unless_fresh(self.root_code)
        if options.councils:
            from courtyard.demo.generator_councils import refuse_unless_fresh as fresh_councils

            fresh_councils(self.root_code)
        with transaction.atomic():
            with self.phase("tree"):
                self.import_tree()
            root = Place.objects.get(code=self.root_code)
            communities = [
                Community(pk, code, short_place_name(name), street_id, path)
                for pk, code, name, street_id, path in Place.objects.within(root)
                .filter(kind__in=COMMUNITY_LEVEL_KINDS)
                .order_by("code")
                .values_list("pk", "code", "name", "parent_id", "path")
            ]
            with self.phase("grids"):
                grids = self.make_grids(communities)
            with self.phase("buildings"):
                self.make_buildings(grids)
            with self.phase("paths"):
                fill_paths()
            if (options.units or options.social_orgs) and not communities:
                raise CommandError("Organizations sit at communities: the tree has none.")
            with self.phase("organizations"):
                units = make_organizations(
                    self.rng,
                    communities,
                    units=options.units,
                    social_orgs=options.social_orgs,
                    batch_size=options.batch_size,
                    bar=self.bar(options.units + options.social_orgs, "organizations"),
                )
            self.report.counts["units"] = len(units)
            self.report.counts["social_orgs"] = options.social_orgs
            if options.committees:
                with self.phase("committees"):
                    made = make_committees(
                        self.rng,
                        root,
                        units,
                        batch_size=options.batch_size,
                        bar=self.bar(None, "committees"),
                    )
                self.report.counts["committees"], self.report.counts["memberships"] = made
            with self.phase("dual_reports"):
                self.report.counts["dual_reports"] = make_dual_reports(
                    self.rng,
                    units,
                    batch_size=options.batch_size,
                    bar=self.bar(None, "dual reports"),
                )
            if options.demands:
                with self.phase("demands"):
                    self.make_demands(root)
            if options.councils:
                with self.phase("councils"):
                    self.make_councils(root)
            with self.phase("counts"):
                bar = self.bar(None, "rollup")
                self.report.counts["place_counts"] = rebuild_place_counts(
                    progress=lambda seen: bar.update(seen - bar.n)
                )
                bar.close()
        with self.phase("analyze"):
            analyze_tables()
        return self.report

    def make_demands(self, root: Place) -> None:
        from courtyard.demands.generator import make_demands

        made = make_demands(
            self.rng,
            root,
            self.options.demands,
            months=self.options.demand_months,
            batch_size=self.options.batch_size,
            bar=self.bar(self.options.demands, "demands"),
        )
        self.report.counts["demands"] = made.demands
        self.report.counts["dispatches"] = made.dispatches
        self.report.counts["departments"] = made.owners
        self.report.counts["responsibilities"] = made.responsibilities
        self.report.rates_rebuilt = made.rates_rebuilt

    def make_councils(self, root: Place) -> None:
        from courtyard.demo.generator_councils import make_councils

        made = make_councils(
            self.rng,
            root,
            self.options.councils,
            bar=self.bar(None, "councils"),
        )
        self.report.counts.update(made)

    def import_tree(self) -> None:
        options = self.options
        if options.synthetic:
            try:
                stream = synthetic_csv(options.districts, options.streets, options.communities)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            result = import_places(stream)
        else:
            with DIVISIONS_CSV.open(encoding="utf-8", newline="") as f:
                result = import_places(f)
        if not result.ok:
            line, message = result.errors[0]
            raise CommandError(f"The place tree could not be imported (line {line}): {message}")
        self.report.counts["divisions"] = result.created

    def _spread(self, total: int, parents: int, what: str, under: str) -> list[int]:
        try:
            return allocate(total, parents, self.rng, cap=MAX_CHILDREN)
        except ValueError as exc:
            raise CommandError(
                f"Cannot place {total} {what} under {parents} {under}: at most {MAX_CHILDREN} "
                f"fit under each (codes have 3 digits for them). Nothing was written."
            ) from exc

    def make_grids(self, communities: list[Community]) -> list[tuple[int, str]]:
        """Grids (网格) under every community/village; returns [(pk, code)] in code order."""
        per = self._spread(self.options.grids, len(communities), "grids", "communities")

        def rows() -> Iterator[Place]:
            for community, n in zip(communities, per, strict=True):
                for i in range(1, n + 1):
                    yield Place(
                        code=f"{community.code}{i:03d}",
                        kind=PlaceKind.GRID,
                        name=f"第{i}网格",
                        name_en=f"Grid {i}",
                        parent_id=community.pk,
                        path="",
                    )

        bar = self.bar(self.options.grids, "grids")
        grids = [
            (p.pk, p.code)
            for p in insert_in_batches(rows(), batch_size=self.options.batch_size, bar=bar)
        ]
        bar.close()
        self.report.counts["grids"] = len(grids)
        return grids

    def make_buildings(self, grids: list[tuple[int, str]]) -> None:
        """Buildings and courtyards (楼门院) under the grids."""
        per = self._spread(self.options.buildings, len(grids), "buildings", "grids")

        def rows() -> Iterator[Place]:
            for (grid_pk, grid_code), n in zip(grids, per, strict=True):
                for i in range(1, n + 1):
                    name, name_en = building_name(self.rng, i)
                    yield Place(
                        code=f"{grid_code}{i:03d}",
                        kind=PlaceKind.BUILDING,
                        name=name,
                        name_en=name_en,
                        parent_id=grid_pk,
                        path="",
                    )

        bar = self.bar(self.options.buildings, "buildings")
        made = sum(
            1 for _ in insert_in_batches(rows(), batch_size=self.options.batch_size, bar=bar)
        )
        bar.close()
        self.report.counts["buildings"] = made


def generate(options: GenerateOptions) -> GenerateReport:
    """Generate a city; see the module docstring for the guarantees."""
    return Generator(options).run()

"""Time the hotline import (rows/s) and the bulk demand generator (demands/s).

    .venv/bin/python bench/demands_bench.py                    # SQLite file in bench/out/
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scratch .venv/bin/python bench/demands_bench.py

Into a fresh database: a synthetic city (16 districts × 22 streets × 22 communities, 20,000
grids, 60,000 buildings, 2,000 units), then

1. the generator: `--generate` demands (100,000) with `demands.generator.make_demands`
   — Demand and Dispatch rows in bulk — timed apart from `rebuild_demand_rates`, which
   it runs at the end; the 1,000,000 figure is extrapolated linearly (ten times);
2. the import: `--import-rows` hotline orders (20,000) written to a CSV with their full
   histories (most closed and rated, some in hand, some answered directly), imported with
   `courtyard import_demands`' code path (the bulk path: rows checked and planned a batch
   at a time while a writer thread commits the batch before), then imported again (all
   rows already there). Afterwards, untimed, the rates' rollup is compared with what
   `rebuild_demand_rates` gives (they must agree).
   With `--generate 0` the catalogue and the responsibility table are made on their own
   (`make_demands` of 0 demands), so the import can be timed alone.

The machine's other load shows in the figures: `uptime` is printed before and after.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--generate", type=int, default=100_000, help="demands to generate")
    parser.add_argument("--import-rows", type=int, default=20_000, help="rows to import")
    parser.add_argument(
        "--single-thread",
        action="store_true",
        help="import without the writer thread (each batch prepared, then committed)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    return parser.parse_args()


def configure() -> str:
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DEBUG"] = "false"
    os.environ["SECRET_KEY"] = "bench"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    if "DATABASE_URL" not in os.environ:
        for stale in OUT.glob("demands.sqlite3*"):
            stale.unlink()
        os.environ["DATABASE_URL"] = f"sqlite:///{OUT / 'demands.sqlite3'}"
    return os.environ["DATABASE_URL"]


def load() -> str:
    with open("/proc/loadavg", encoding="utf-8") as f:
        return " ".join(f.read().split()[:3])


def build_city() -> None:
    from django.core.management import call_command

    from courtyard.demo.generator import GenerateOptions, generate

    call_command("migrate", verbosity=0)
    generate(
        GenerateOptions(
            synthetic=True,
            grids=20_000,
            buildings=60_000,
            units=2_000,
            social_orgs=0,
            progress=False,
        )
    )


def bench_generator(count: int) -> dict[str, float]:
    import courtyard.demands.generator as generator
    from courtyard.demands.models import Demand, Dispatch
    from courtyard.places.models import Place

    root = Place.objects.get(code="990000000000")
    rebuild = generator.rebuild_rates_if_possible
    generator.rebuild_rates_if_possible = lambda: False  # timed on its own below
    try:
        from django.db import transaction

        started = time.perf_counter()
        with transaction.atomic():
            report = generator.make_demands(random.Random(1), root, count, batch_size=2000)
        bulk = time.perf_counter() - started
    finally:
        generator.rebuild_rates_if_possible = rebuild
    started = time.perf_counter()
    rebuilt = rebuild()
    rates = time.perf_counter() - started
    assert Demand.objects.count() == report.demands == count
    return {
        "demands": count,
        "dispatches": Dispatch.objects.count(),
        "bulk_seconds": round(bulk, 1),
        "demands_per_second": round(count / bulk),
        "rebuild_rates_seconds": round(rates, 1) if rebuilt else -1,
        "extrapolated_1m_seconds": round((bulk + (rates if rebuilt else 0)) * 1_000_000 / count),
    }


def write_orders(path: Path, rows: int) -> None:
    """Hotline orders against the synthetic city, routed by its responsibility table."""
    from django.utils import timezone

    from courtyard.demands.generator import CATEGORY_WEIGHTS, describe, person, reply_for
    from courtyard.demands.importer import COLUMNS
    from courtyard.demands.models import ServiceCategory
    from courtyard.places.models import Place

    rng = random.Random(5)
    places = list(Place.objects.filter(kind="building").values_list("code", "name")[:20_000])
    parents = dict(
        ServiceCategory.objects.filter(parent__isnull=False).values_list(
            "service_code", "parent__service_code"
        )
    )
    codes = [c for c in CATEGORY_WEIGHTS if c in parents and c != "policy-enquiry"]
    now = timezone.localtime().replace(microsecond=0)

    def stamp(moment: object) -> str:
        return moment.strftime("%Y-%m-%d %H:%M")  # type: ignore[attr-defined]

    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        for n in range(rows):
            code = rng.choice(codes)
            place_code, place_name = rng.choice(places)
            name, phone = person(rng)
            t = now - timedelta(days=rng.uniform(10, 80))
            row = {
                "external_id": f"BENCH{n:08d}",
                "received_at": stamp(t),
                "channel": "12345",
                "service_code": code,
                "place_code": place_code,
                "description": describe(rng, code, place_name),
                "requester_name": name,
                "requester_phone": phone,
            }
            roll = rng.random()
            if roll < 0.05:
                row.update(status="answered", replied_at=stamp(t + timedelta(minutes=30)))
                row["reply"] = "已电话答复诉求人。"
            else:
                steps = ["dispatched_at", "signed_at", "contacted_at", "replied_at"]
                steps += ["evaluated_at"]
                keep = 5 if roll < 0.8 else 4 if roll < 0.9 else 3
                for step in steps[:keep]:
                    t += timedelta(minutes=rng.uniform(20, 600))
                    row[step] = stamp(t)
                if keep >= 4:
                    row["reply"] = reply_for(rng, parents[code])
                if keep == 5:
                    row["resolved"] = "是" if rng.random() < 0.9 else "否"
                    row["satisfaction"] = rng.choice(["满意"] * 8 + ["基本满意", "不满意"])
            writer.writerow(row)


def prepare_routing() -> None:
    """The catalogue and the responsibility table, when the generator did not run."""
    from django.db import transaction

    from courtyard.demands.generator import make_demands
    from courtyard.demands.models import Responsibility
    from courtyard.places.models import Place

    if Responsibility.objects.exists():
        return
    root = Place.objects.get(code="990000000000")
    with transaction.atomic():
        make_demands(random.Random(1), root, 0)


def tally_rows() -> list[tuple[object, ...]]:
    from courtyard.demands.models import DemandTally
    from courtyard.demands.scores import COUNT_FIELDS

    fields = ["month", "place_id", "organization_id", *COUNT_FIELDS]
    return sorted(DemandTally.objects.values_list(*fields), key=repr)


def bench_import(rows: int, *, single_thread: bool = False) -> dict[str, object]:
    from courtyard.demands.importer import import_rows, read_table
    from courtyard.demands.rebuild import rebuild_demand_rates

    prepare_routing()
    path = OUT / "orders.csv"
    write_orders(path, rows)
    pipeline = False if single_thread else None  # None: as the command does

    def import_file() -> Any:
        header, lines, _total = read_table(path)  # as `courtyard import_demands` does
        return import_rows(header, lines, pipeline=pipeline)

    load_before = load()
    started = time.perf_counter()
    result = import_file()
    first = time.perf_counter() - started
    load_between = load()
    assert result.created == rows, result.errors[:5]
    started = time.perf_counter()
    again = import_file()
    second = time.perf_counter() - started
    assert again.existing == rows
    kept = tally_rows()
    rebuild_demand_rates()
    assert tally_rows() == kept, "the import's rollup differs from rebuild_demand_rates"
    return {
        "rows": rows,
        "seconds": round(first, 2),
        "rows_per_second": round(rows / first),
        "again_seconds": round(second, 2),
        "again_rows_per_second": round(rows / second),
        "tallies_equal_rebuild": True,
        "writer_thread": not single_thread,
        "load_before": load_before,
        "load_after_first": load_between,
    }


def main() -> None:
    args = parse_args()
    url = configure()
    import django

    django.setup()
    from django.db import connection

    figures: dict[str, object] = {"database": connection.vendor, "load_before": load()}
    print(f"database {url.split('@')[-1]}; load average {figures['load_before']}")
    started = time.perf_counter()
    build_city()
    print(f"city built in {time.perf_counter() - started:.0f}s")
    if args.generate:
        figures["generator"] = bench_generator(args.generate)
        print("generator", json.dumps(figures["generator"]))
    if args.import_rows:
        figures["import"] = bench_import(args.import_rows, single_thread=args.single_thread)
        print("import", json.dumps(figures["import"]))
    figures["load_after"] = load()
    print(f"load average after: {figures['load_after']}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
